"""The cycle-accurate ViSARD simulator (target.md sections 2 and 3).

The simulator runs a decoded image (:class:`~vtc.compiler.machine.code.MachineProgram`
as :func:`~vtc.compiler.machine.image.read_image` returns it), one slot per
cycle, exactly as the hardware does; it shares nothing with the assembler and
is the independent oracle the assembler is tested against.

Timing (target.md section 2): an instruction issued in cycle ``c`` reads its
sources in cycle ``c`` and its result becomes visible in cycle ``c + lat``.
Pending results wait in a ring buffer indexed by the cycle they land in; the
result landing in cycle ``t`` is stored before the instruction issued in ``t``
reads. The single write port means at most one result lands per cycle: a
second one is a :class:`~vtc.compiler.errors.SimulationError`.

Runs: every run starts at the program's first slot in its own cycle 0 with
nothing in flight; constants and states (the initialised cells) are valid
from the start, every other cell becomes invalid at the start of each run,
and reading an invalid cell is an error. A run ends when ``halt`` has issued
and every pending result has landed: its ``cycles`` is
``max(c + 1 over issued slots, c + lat over every write of a cell or an
output register)``. A global cycle counter runs across runs.

Preemption: :meth:`Simulator.run` with ``stop_at=C`` stops at the start of
global cycle ``C`` (before anything of that cycle happens) and returns the
complete state (:class:`~vtc.compiler.sim.state.SimState`); ``resume=state``
continues it, in this process or another, and finishes exactly as an
uninterrupted run would.

>>> from vtc.compiler.machine.code import MInstr, MachineProgram, PortInfo
>>> from vtc.compiler.machine.target import load_target
>>> mp = MachineProgram(load_target(), (
...     MInstr("in", 0, 0), MInstr("nop"), MInstr("add", 1, 0, 0), MInstr("nop"),
...     MInstr("nop"), MInstr("nop"), MInstr("nop"), MInstr("nop"), MInstr("out", 0, 1),
...     MInstr("halt")), inputs=(PortInfo(0, "x", "f32"),), outputs=(PortInfo(0, "y", "f32"),))
>>> result = Simulator(mp).run(2, {"x": [1.5, 2.0]})
>>> result.outputs, result.cycles
({'y': [3.0, 4.0]}, [10, 10])
"""

from __future__ import annotations

import hashlib
import struct
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from vtc.compiler.errors import SimulationError
from vtc.compiler.machine.code import LoopSpec, MachineProgram, MInstr
from vtc.compiler.machine.image import validate_loops
from vtc.compiler.machine.isa import Form
from vtc.compiler.sim.streams import Port, PortTable, port_table

if TYPE_CHECKING:
    from vtc.compiler.sim.state import SimState

__all__ = ["Inputs", "Observer", "RunInfo", "SimResult", "Simulator"]

#: Input streams: port name (or number) -> the values as seen outside the core.
Inputs = (
    Mapping[str, Sequence[float]]
    | Mapping[int, Sequence[float]]
    | Mapping[str | int, Sequence[float]]
)

# Instruction kinds of the pre-decoded program, most frequent first.
_K_DAB = 0
_K_DA = 1
_K_NOP = 2
_K_IN = 3
_K_OUT = 4
_K_CMOV = 5
_K_HALT = 6
_K_END = 7  # the sentinel after the last slot

_KIND = {
    Form.DAB: _K_DAB,
    Form.DA: _K_DA,
    Form.IN: _K_IN,
    Form.OUT: _K_OUT,
    Form.DAC: _K_CMOV,
}

#: A pre-decoded slot: (kind, fn, d, a, b, latency, loop-control flag).
_Slot = tuple[int, Any, int, int, int, int, bool]


class Observer(Protocol):
    """Something that watches a simulation cycle by cycle (trace, VCD).

    ``start`` is called once before the first cycle simulated, ``cycle`` once
    per cycle after the result landing in it (if any) has been stored and
    before the slot issued in it (if any) reads, and ``finish`` at the end.
    ``pc`` is the address issued in the cycle, or -1 when nothing issues
    (after ``halt``, while results are still landing, and at the run's end
    cycle, which is also the next run's cycle 0). ``landed`` is the cell whose
    result landed in this cycle, or -1.
    """

    def start(self, sim: Simulator) -> None: ...

    def cycle(self, gcycle: int, run: int, t: int, pc: int, landed: int) -> None: ...

    def finish(self, gcycle: int) -> None: ...


@dataclass(frozen=True)
class RunInfo:
    """One finished run.

    Attributes
    ----------
    index:
        0-based run number.
    start:
        Global cycle of the run's cycle 0.
    cycles:
        The run's execution time in cycles (target.md rule 5).
    instructions:
        Slots issued in the run (``nop``s and ``halt`` included).
    """

    index: int
    start: int
    cycles: int
    instructions: int


@dataclass(frozen=True)
class SimResult:
    """What a simulation produced.

    Attributes
    ----------
    outputs:
        Output port name -> stream of values (in the port's format), for every
        output port, in port order.
    cycles:
        ``cycles`` of every finished run.
    runs:
        Details of every finished run.
    total_cycles:
        Global cycle at the end (at the stop when stopped).
    instructions:
        Slots issued in total.
    state:
        The state to resume from when the simulation stopped at ``stop_at``,
        else ``None``.
    """

    outputs: dict[str, list[float]]
    cycles: list[int]
    runs: tuple[RunInfo, ...]
    total_cycles: int
    instructions: int
    state: SimState | None = None

    @property
    def stopped(self) -> bool:
        """Whether the simulation stopped before its last run ended."""
        return self.state is not None


def _ring_size(latency: int) -> int:
    size = 2
    while size <= latency:
        size *= 2
    return size


def stream_digest(values: Sequence[float]) -> str:
    """A digest of a stream of values (binary64 bit patterns), to recognise it later."""
    h = hashlib.sha256()
    for v in values:
        h.update(struct.pack(">d", v))
    return h.hexdigest()[:32]


class Simulator:
    """A cycle-accurate simulator of one core's image.

    Parameters
    ----------
    mp:
        The decoded image.
    name:
        Shown before error messages (``NAME: error: ...``): the program's file.

    Raises
    ------
    SimulationError
        A program the simulator cannot run: shared memory, an invalid loop table.
    """

    def __init__(self, mp: MachineProgram, *, name: str | None = None) -> None:
        self.program = mp
        self.name = name
        self.target = mp.target
        self.slots: tuple[MInstr, ...] = mp.slots
        self.loops: tuple[LoopSpec, ...] = mp.loops
        self.ports: PortTable = port_table(mp)
        self.precision = mp.target.precision
        problem = validate_loops(mp.loops, mp.slots, mp.target)
        if problem is not None:
            raise SimulationError(problem[1], where=name)
        for address, ins in enumerate(mp.slots):
            form = ins.info.form
            if form in (Form.LDS, Form.STS) or ins.d_shared or ins.a_shared or ins.b_shared:
                raise SimulationError(
                    f"shared memory is not supported by the simulator yet "
                    f"('{ins.text()}' at address {address})",
                    where=name,
                )
        self.cells = max(mp.cells_used, 1)
        self._in_index = {p.number: i for i, p in enumerate(self.ports.inputs)}
        self._out_index = {p.number: i for i, p in enumerate(self.ports.outputs)}
        self._loops_at: dict[int, list[int]] = {}
        ends: set[int] = set()
        for i, lp in enumerate(mp.loops):
            self._loops_at.setdefault(lp.start, []).append(i)
            ends.add(lp.end)
        lats = [self.target.latency_of(ins.mnemonic) for ins in mp.slots]
        self._latency = lats
        self._prog: list[_Slot] = [
            self._decode(ins, lat, address in ends or (address + 1) in self._loops_at)
            for address, (ins, lat) in enumerate(zip(mp.slots, lats, strict=True))
        ]
        self._prog.append((_K_END, None, 0, 0, 0, 1, False))
        self._ring = _ring_size(max(lats, default=1))
        self._mask = self._ring - 1
        init = dict(mp.data)
        typecode = "f" if self.precision == "single" else "d"
        self._data0 = array(typecode, [init.get(a, 0.0) for a in range(self.cells)])
        self._valid0 = bytearray(1 if a in init else 0 for a in range(self.cells))
        self.mem = array(self._data0.typecode, self._data0)
        self.valid = bytearray(self._valid0)
        self.observer: Observer | None = None
        self._reset_machine()

    # --- decoding -------------------------------------------------------------

    def _decode(self, ins: MInstr, lat: int, ctl: bool) -> _Slot:
        info = ins.info
        if ins.mnemonic == "nop":
            return (_K_NOP, None, 0, 0, 0, lat, ctl)
        if ins.mnemonic == "halt":
            return (_K_HALT, None, 0, 0, 0, lat, ctl)
        kind = _KIND[info.form]
        if kind == _K_IN:
            return (kind, None, ins.d, self._in_index[ins.a], 0, lat, ctl)
        if kind == _K_OUT:
            port = self.ports.outputs[self._out_index[ins.d]]
            return (kind, port.format.quantize, self._out_index[ins.d], ins.a, 0, lat, ctl)
        return (kind, info.fn, ins.d, ins.a, ins.b, lat, ctl)

    # --- machine state ----------------------------------------------------------

    def _reset_machine(self) -> None:
        self._ra = [-1] * self._ring  # cell landing in the cycle of this ring slot, -1 none
        self._rv = [0.0] * self._ring  # its value
        self._rp = [0] * self._ring  # the address of the slot that wrote it
        self._pc = 0
        self._t = 0
        self._halted = False
        self._end = -1
        self._oend = -1  # the cycle the last output-register write of the run lands in
        self._halt_at = -1  # the cycle halt issued in, -1 before
        self._lstack: list[list[int]] = []  # [loop index, iterations left]
        self._run = 0
        self._run_start = 0
        self._in_run = False
        self._checked = True
        self._finished: list[tuple[int, int]] = []  # (cycles, instructions) per finished run
        self._ipos = [0] * len(self.ports.inputs)
        self._outs: list[list[float]] = [[] for _ in self.ports.outputs]
        self._istreams: list[list[float]] = [[] for _ in self.ports.inputs]
        self.mem = array(self._data0.typecode, self._data0)
        self.valid = bytearray(self._valid0)

    @property
    def run_index(self) -> int:
        """0-based index of the run in progress (or of the next one)."""
        return self._run

    @property
    def gcycle(self) -> int:
        """The global cycle the simulator is at."""
        return self._run_start + self._t

    def latency_at(self, address: int) -> int:
        """The latency of the slot at ``address``."""
        return self._latency[address]

    @property
    def run_end(self) -> int:
        """The end cycle of the run in progress once ``halt`` has issued, else -1."""
        return self._end if self._halted else -1

    def input_port(self, number: int) -> Port:
        """The input port with this number."""
        return self.ports.inputs[self._in_index[number]]

    def output_port(self, number: int) -> Port:
        """The output port with this number."""
        return self.ports.outputs[self._out_index[number]]

    def peek_input(self, number: int) -> float | None:
        """The value the next ``in`` on input port ``number`` takes, or ``None``."""
        i = self._in_index[number]
        pos = self._ipos[i]
        stream = self._istreams[i]
        return stream[pos] if pos < len(stream) else None

    # --- errors -----------------------------------------------------------------

    def _error(self, message: str) -> SimulationError:
        return SimulationError(message, where=self.name)

    def _bad_read(self, pc: int, t: int, cells: Sequence[int]) -> SimulationError:
        cell = next(c for c in cells if not self.valid[c])
        return self._error(
            f"'{self.slots[pc].text()}' at address {pc} reads cell r{cell}, which holds no "
            f"value in run {self._run + 1}, cycle {t} (it is not initialised and no write "
            "to it has landed in this run)"
        )

    def _conflict(self, pc: int, t: int, lat: int) -> SimulationError:
        land = t + lat
        other = self._rp[land & self._mask]
        issued = land - self._latency[other]
        return self._error(
            f"write-port conflict in run {self._run + 1}, cycle {land}: "
            f"'{self.slots[other].text()}' (address {other}, issued in cycle {issued}) and "
            f"'{self.slots[pc].text()}' (address {pc}, issued in cycle {t}) "
            "both land a result in that cycle"
        )

    def _no_input(self, stream: int) -> SimulationError:
        port = self.ports.inputs[stream]
        return self._error(
            f"input port '{port.name}' has no value for run {self._run + 1} "
            f"(the input gives {len(self._istreams[stream])})"
        )

    # --- loops --------------------------------------------------------------------

    def _enter(self, address: int, after: int) -> None:
        """Activate the loops starting at ``address`` listed after loop ``after``."""
        for i in self._loops_at.get(address, ()):
            if i > after:
                self._lstack.append([i, self.loops[i].count])

    def _next_pc(self, pc: int) -> int:
        """The address after ``pc`` when ``pc`` ends a loop or precedes a loop's start."""
        stack = self._lstack
        loops = self.loops
        while stack:
            entry = stack[-1]
            lp = loops[entry[0]]
            if lp.end != pc:
                break
            entry[1] -= 1
            if entry[1] > 0:
                self._enter(lp.start, entry[0])
                return lp.start
            stack.pop()
        self._enter(pc + 1, -1)
        return pc + 1

    # --- running ------------------------------------------------------------------

    def _streams(self, inputs: Inputs) -> list[list[float]]:
        streams: list[list[float]] = [[] for _ in self.ports.inputs]
        for key, values in inputs.items():
            port = self.ports.input_named(key)
            if port is None:
                known = ", ".join(p.name for p in self.ports.inputs) or "none"
                what = f"'{key}'" if isinstance(key, str) else str(key)
                raise self._error(f"the program has no input port {what} (its inputs: {known})")
            q = port.format.quantize
            streams[self._in_index[port.number]] = [q(float(v)) for v in values]
        return streams

    def run(
        self,
        steps: int,
        inputs: Inputs | None = None,
        *,
        stop_at: int | None = None,
        resume: SimState | None = None,
        observer: Observer | None = None,
    ) -> SimResult:
        """Run the program ``steps`` times (from a fresh machine, or from ``resume``).

        Parameters
        ----------
        steps:
            Number of runs in total (including those a resumed state finished).
        inputs:
            Input port name (or number) -> its stream of values as seen outside.
        stop_at:
            Stop at the start of this global cycle and return the state.
        resume:
            A state from an earlier stopped simulation of the same image with
            the same inputs.
        observer:
            Called every cycle (trace, waveform).

        Raises
        ------
        SimulationError
            A write-port conflict, a read of a cell without a value, an input
            stream that runs out, a state that does not belong to this image.
        """
        self._reset_machine()
        self._istreams = self._streams(inputs or {})
        if resume is not None:
            from vtc.compiler.sim.state import restore_state

            restore_state(self, resume)
        if steps < self._run + (1 if self._in_run else 0) or steps < 0:
            raise self._error(
                f"cannot run {steps} steps: the saved state is already in run {self._run + 1}"
            )
        if stop_at is not None and stop_at < self.gcycle:
            raise self._error(
                f"cannot stop at cycle {stop_at}: the state is at cycle {self.gcycle}"
            )
        self.observer = observer
        if observer is not None:
            observer.start(self)
        stopped = False
        try:
            while self._run < steps:
                if not self._in_run:
                    self._start_run()
                limit = -1 if stop_at is None else stop_at - self._run_start
                if not self._halted and not self._issue(limit):
                    stopped = True
                    break
                if not self._drain(limit):
                    stopped = True
                    break
                self._finish_run()
        finally:
            if observer is not None:
                observer.finish(self.gcycle)
            self.observer = None
        state = None
        if stopped:
            from vtc.compiler.sim.state import capture_state

            state = capture_state(self, steps)
        return self._result(state)

    def _result(self, state: SimState | None) -> SimResult:
        runs: list[RunInfo] = []
        start = 0
        for i, (cycles, count) in enumerate(self._finished):
            runs.append(RunInfo(i, start, cycles, count))
            start += cycles
        issued = sum(count for _, count in self._finished)
        if self._in_run:
            issued += self._t if not self._halted else self._issued_in_run
        return SimResult(
            outputs={p.name: list(v) for p, v in zip(self.ports.outputs, self._outs, strict=True)},
            cycles=[r.cycles for r in runs],
            runs=tuple(runs),
            total_cycles=self.gcycle,
            instructions=issued,
            state=state,
        )

    @property
    def _issued_in_run(self) -> int:
        return self._halt_at + 1

    def _start_run(self) -> None:
        self.valid[:] = self._valid0
        self._pc = 0
        self._t = 0
        self._halted = False
        self._end = -1
        self._oend = -1
        self._halt_at = -1
        self._lstack.clear()
        self._enter(0, -1)
        self._in_run = True

    def _finish_run(self) -> None:
        self._finished.append((self._end, self._halt_at + 1))
        self._run_start += self._end
        self._run += 1
        self._t = 0
        self._in_run = False
        self._halted = False
        self._checked = False  # every run reads and writes the same cells at the same times

    def _issue(self, limit: int) -> bool:
        """Issue slots until ``halt`` (True) or until cycle ``limit`` of the run (False)."""
        mem = self.mem
        valid = self.valid
        ra = self._ra
        rv = self._rv
        rp = self._rp
        mask = self._mask
        prog = self._prog
        obs = self.observer
        chk = self._checked
        istreams = self._istreams
        ipos = self._ipos
        outs = self._outs
        run = self._run
        gbase = self._run_start
        oend = self._oend
        pc = self._pc
        t = self._t
        try:
            while True:
                if t == limit:
                    return False
                k = t & mask
                w = ra[k]
                if w >= 0:
                    mem[w] = rv[k]
                    valid[w] = 1
                    ra[k] = -1
                if obs is not None:
                    self._pc = pc
                    self._t = t
                    obs.cycle(gbase + t, run, t, pc, w)
                kind, fn, d, a, b, lat, ctl = prog[pc]
                if kind == 0:  # d = fn(a, b)
                    if chk and not (valid[a] and valid[b]):
                        raise self._bad_read(pc, t, (a, b))
                    k = (t + lat) & mask
                    if ra[k] >= 0:
                        raise self._conflict(pc, t, lat)
                    rv[k] = fn(mem[a], mem[b])
                    ra[k] = d
                    rp[k] = pc
                elif kind == 1:  # d = fn(a)
                    if chk and not valid[a]:
                        raise self._bad_read(pc, t, (a,))
                    k = (t + lat) & mask
                    if ra[k] >= 0:
                        raise self._conflict(pc, t, lat)
                    rv[k] = fn(mem[a])
                    ra[k] = d
                    rp[k] = pc
                elif kind == 2:  # nop
                    pass
                elif kind == 3:  # in d, stream a
                    stream = istreams[a]
                    pos = ipos[a]
                    if pos >= len(stream):
                        raise self._no_input(a)
                    ipos[a] = pos + 1
                    k = (t + lat) & mask
                    if ra[k] >= 0:
                        raise self._conflict(pc, t, lat)
                    rv[k] = stream[pos]
                    ra[k] = d
                    rp[k] = pc
                elif kind == 4:  # out stream d, a
                    if chk and not valid[a]:
                        raise self._bad_read(pc, t, (a,))
                    outs[d].append(fn(mem[a]))
                    oend = t + lat
                elif kind == 5:  # cmov d, a, c: reads d as well
                    if chk and not (valid[d] and valid[a] and valid[b]):
                        raise self._bad_read(pc, t, (d, a, b))
                    k = (t + lat) & mask
                    if ra[k] >= 0:
                        raise self._conflict(pc, t, lat)
                    rv[k] = fn(mem[d], mem[a], mem[b])
                    ra[k] = d
                    rp[k] = pc
                elif kind == 6:  # halt
                    break
                else:
                    raise self._error(
                        f"run {run + 1} ran past the last slot (address {pc - 1}) without 'halt'"
                    )
                if ctl:
                    self._t = t
                    pc = self._next_pc(pc)
                else:
                    pc += 1
                t += 1
        finally:
            self._pc = pc
            self._t = t
            self._oend = oend
        # halt issued in cycle t: the run ends when every pending result has landed
        end = max(t + 1, oend)
        for i in range(1, self._ring):
            if ra[(t + i) & mask] >= 0:
                end = max(end, t + i)
        self._halt_at = t
        self._halted = True
        self._end = end
        self._t = t + 1
        return True

    def _drain(self, limit: int) -> bool:
        """Land the results still in flight after ``halt``, up to the run's end cycle."""
        mem = self.mem
        valid = self.valid
        ra = self._ra
        rv = self._rv
        mask = self._mask
        obs = self.observer
        t = self._t
        end = self._end
        try:
            while t <= end:
                if t == limit:
                    return False
                k = t & mask
                w = ra[k]
                if w >= 0:
                    mem[w] = rv[k]
                    valid[w] = 1
                    ra[k] = -1
                if obs is not None:
                    self._t = t
                    obs.cycle(self._run_start + t, self._run, t, -1, w)
                t += 1
        finally:
            self._t = t
        self._t = end
        return True
