"""Saving and resuming a simulation (``vtc sim --stop-at C --save-state F``, ``--resume F``).

A :class:`SimState` is the complete state of a simulation stopped at the start
of a global cycle: the machine (data memory as bit patterns, valid bits,
program counter, loop stack, results in flight with the cycle each lands in),
where the simulation is (run, cycle), how far each input stream has been
read, the outputs so far, the finished runs, and a digest of the image so a
state is never resumed on another program. Resuming it with the same inputs
finishes exactly as the uninterrupted simulation.

The file is JSON (format ``vtc-sim-state``, version 1); every value that is a
float is stored as its bit pattern, so nothing is lost in decimal.
"""

from __future__ import annotations

import hashlib
import json
import struct
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vtc.compiler.errors import SimulationError, VtcError
from vtc.compiler.files import read_text, write_text_atomic
from vtc.compiler.machine.code import MachineProgram, encode_loop, encode_word
from vtc.compiler.machine.image import data_word

if TYPE_CHECKING:
    from vtc.compiler.sim.simulator import Simulator

__all__ = [
    "STATE_FORMAT",
    "SimState",
    "capture_state",
    "load_state",
    "program_digest",
    "restore_state",
    "save_state",
]

STATE_FORMAT = "vtc-sim-state"
STATE_VERSION = 1


def program_digest(mp: MachineProgram) -> str:
    """A digest of everything that decides how ``mp`` runs (symbols excluded).

    The same program gives the same digest whether it was assembled in this
    process or read from its image set.
    """
    precision = mp.target.precision
    canonical = {
        "target": mp.target.to_dict(),
        "program": [encode_word(ins) for ins in mp.slots],
        "loops": [encode_loop(lp) for lp in mp.loops],
        "data": [[a, data_word(v, precision)] for a, v in mp.data],
        "inputs": [[p.number, p.name, p.format] for p in mp.inputs],
        "outputs": [[p.number, p.name, p.format] for p in mp.outputs],
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _f64_bits(x: float) -> int:
    return int.from_bytes(struct.pack(">d", x), "big")


def _f64(bits: int) -> float:
    return float(struct.unpack(">d", bits.to_bytes(8, "big"))[0])


@dataclass(frozen=True)
class SimState:
    """The complete state of a stopped simulation (see the module docstring).

    Attributes
    ----------
    image:
        :func:`program_digest` of the program.
    steps:
        The number of runs the stopped simulation was asked for.
    cycle:
        Global cycle the simulation stopped at (nothing of it has happened).
    run, run_start, t:
        0-based run in progress, its first global cycle, the cycle within it.
    in_run:
        Whether a run is in progress (``False`` only between runs).
    pc:
        The address issued next (meaningless once ``halted``).
    halted, halt_at, end:
        Whether ``halt`` has issued in this run, in which cycle, and the
        run's end cycle then.
    out_end:
        The cycle the run's last output-register write lands in (-1: none yet).
    checked:
        Whether reads are still checked for valid bits (the first run).
    word_bits:
        Width of a data cell: 32 (single precision) or 64 (double).
    memory:
        Bit patterns of cells ``0 ..``.
    valid:
        ``"0"``/``"1"`` per cell.
    loop_stack:
        ``(loop index, iterations left)`` of the active loops, outermost first.
    pending:
        Results in flight: ``(landing cycle, cell, binary64 bits, address of the slot)``.
    inputs:
        ``(port name, values consumed, digest of the values consumed)``.
    outputs:
        ``(port name, binary64 bits of every value so far)``.
    runs:
        ``(cycles, instructions)`` of every finished run.
    """

    image: str
    steps: int
    cycle: int
    run: int
    run_start: int
    t: int
    in_run: bool
    pc: int
    halted: bool
    halt_at: int
    end: int
    out_end: int
    checked: bool
    word_bits: int
    memory: tuple[int, ...]
    valid: str
    loop_stack: tuple[tuple[int, int], ...]
    pending: tuple[tuple[int, int, int, int], ...]
    inputs: tuple[tuple[str, int, str], ...]
    outputs: tuple[tuple[str, tuple[int, ...]], ...]
    runs: tuple[tuple[int, int], ...]

    def to_json(self) -> str:
        """The state as the text of a state file."""
        width = self.word_bits // 4
        data: dict[str, Any] = {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "image": self.image,
            "steps": self.steps,
            "cycle": self.cycle,
            "run": self.run,
            "run_start": self.run_start,
            "t": self.t,
            "in_run": self.in_run,
            "pc": self.pc,
            "halted": self.halted,
            "halt_at": self.halt_at,
            "end": self.end,
            "out_end": self.out_end,
            "checked": self.checked,
            "loop_stack": [list(e) for e in self.loop_stack],
            "pending": [[c, cell, f"{v:016x}", pc] for c, cell, v, pc in self.pending],
            "inputs": [[n, pos, dig] for n, pos, dig in self.inputs],
            "outputs": {n: [f"{v:016x}" for v in vals] for n, vals in self.outputs},
            "runs": [list(r) for r in self.runs],
            "word_bits": self.word_bits,
            "valid": self.valid,
            "memory": [f"{w:0{width}x}" for w in self.memory],
        }
        return json.dumps(data, indent=1) + "\n"

    @staticmethod
    def from_json(text: str, where: str = "<state>") -> SimState:
        """Parse the text of a state file.

        Raises
        ------
        VtcError
            Naming ``where`` (and the key): not JSON, not a state, a bad value.
        """
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise VtcError(
                f"not a simulator state: invalid JSON at line {exc.lineno}", where=where
            ) from None
        if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
            raise VtcError(f"not a simulator state (format '{STATE_FORMAT}')", where=where)
        if data.get("version") != STATE_VERSION:
            raise VtcError(
                f"simulator state version {data.get('version')!r} is not supported", where=where
            )
        try:
            return SimState(
                image=_str(data["image"]),
                steps=_int(data["steps"]),
                cycle=_int(data["cycle"]),
                run=_int(data["run"]),
                run_start=_int(data["run_start"]),
                t=_int(data["t"]),
                in_run=_bool(data["in_run"]),
                pc=_int(data["pc"]),
                halted=_bool(data["halted"]),
                halt_at=_int(data["halt_at"]),
                end=_int(data["end"]),
                out_end=_int(data["out_end"]),
                checked=_bool(data["checked"]),
                word_bits=_int(data["word_bits"]),
                memory=tuple(int(_str(w), 16) for w in _list(data["memory"])),
                valid=_str(data["valid"]),
                loop_stack=tuple(
                    (_int(e[0]), _int(e[1])) for e in map(_list, _list(data["loop_stack"]))
                ),
                pending=tuple(
                    (_int(p[0]), _int(p[1]), int(_str(p[2]), 16), _int(p[3]))
                    for p in map(_list, _list(data["pending"]))
                ),
                inputs=tuple(
                    (_str(i[0]), _int(i[1]), _str(i[2])) for i in map(_list, _list(data["inputs"]))
                ),
                outputs=tuple(
                    (_str(name), tuple(int(_str(v), 16) for v in _list(vals)))
                    for name, vals in _dict(data["outputs"]).items()
                ),
                runs=tuple((_int(r[0]), _int(r[1])) for r in map(_list, _list(data["runs"]))),
            )
        except KeyError as exc:
            raise VtcError(f"simulator state lacks the key {exc}", where=where) from None
        except (ValueError, IndexError, TypeError) as exc:
            raise VtcError(f"simulator state is damaged: {exc}", where=where) from None


def _int(x: Any) -> int:
    if isinstance(x, bool) or not isinstance(x, int):
        raise ValueError(f"{x!r} is not an integer")
    return x


def _bool(x: Any) -> bool:
    if not isinstance(x, bool):
        raise ValueError(f"{x!r} is not true or false")
    return x


def _str(x: Any) -> str:
    if not isinstance(x, str):
        raise ValueError(f"{x!r} is not a string")
    return x


def _list(x: Any) -> list[Any]:
    if not isinstance(x, list):
        raise ValueError(f"{x!r} is not a list")
    return x


def _dict(x: Any) -> dict[str, Any]:
    if not isinstance(x, dict):
        raise ValueError(f"{x!r} is not an object")
    return x


def _word_code(mem: array[float]) -> str:
    return "I" if mem.typecode == "f" else "Q"


def capture_state(sim: Simulator, steps: int) -> SimState:
    """The state of a stopped simulator."""
    from vtc.compiler.sim.simulator import stream_digest

    mask = sim._mask
    t = sim._t
    pending: list[tuple[int, int, int, int]] = []
    for k in range(sim._ring):
        if sim._ra[k] >= 0:
            cycle = t + ((k - t) & mask)
            pending.append((cycle, sim._ra[k], _f64_bits(sim._rv[k]), sim._rp[k]))
    pending.sort()
    words = array(_word_code(sim.mem), sim.mem.tobytes())
    inputs = tuple(
        (port.name, pos, stream_digest(stream[:pos]))
        for port, pos, stream in zip(sim.ports.inputs, sim._ipos, sim._istreams, strict=True)
    )
    outputs = tuple(
        (port.name, tuple(_f64_bits(v) for v in values))
        for port, values in zip(sim.ports.outputs, sim._outs, strict=True)
    )
    return SimState(
        image=program_digest(sim.program),
        steps=steps,
        cycle=sim.gcycle,
        run=sim._run,
        run_start=sim._run_start,
        t=t,
        in_run=sim._in_run,
        pc=sim._pc,
        halted=sim._halted,
        halt_at=sim._halt_at,
        end=sim._end,
        out_end=sim._oend,
        checked=sim._checked,
        word_bits=sim.target.word_bits,
        memory=tuple(words),
        valid="".join("1" if v else "0" for v in sim.valid),
        loop_stack=tuple((e[0], e[1]) for e in sim._lstack),
        pending=tuple(pending),
        inputs=inputs,
        outputs=outputs,
        runs=tuple(sim._finished),
    )


def restore_state(sim: Simulator, state: SimState) -> None:
    """Load ``state`` into a freshly reset simulator whose input streams are set.

    Raises
    ------
    SimulationError
        The state belongs to another program, or the inputs differ from those
        the stopped simulation had read.
    """
    from vtc.compiler.sim.simulator import stream_digest

    def fail(message: str) -> SimulationError:
        return SimulationError(message, where=sim.name)

    if state.image != program_digest(sim.program):
        raise fail(
            "the saved state belongs to another program (its image digest differs): "
            "resume it with the program it was saved from"
        )
    cells = len(sim.mem)
    if state.word_bits != sim.target.word_bits:
        raise fail(
            f"the saved state has {state.word_bits}-bit cells, the target {sim.target.word_bits}"
        )
    if len(state.memory) != cells or len(state.valid) != cells:
        raise fail(f"the saved state holds {len(state.memory)} cells, the program {cells}")
    names = [p.name for p in sim.ports.inputs]
    if [i[0] for i in state.inputs] != names:
        raise fail("the saved state's input ports differ from the program's")
    for i, (name, pos, digest) in enumerate(state.inputs):
        stream = sim._istreams[i]
        if pos > len(stream) or stream_digest(stream[:pos]) != digest:
            raise fail(
                f"the inputs differ from those of the saved simulation (port '{name}'): "
                "resume with the same inputs"
            )
    n_slots = len(sim.slots)
    ring = sim._ring
    for cycle, cell, _, pc in state.pending:
        if not (state.t <= cycle < state.t + ring and 0 <= cell < cells and 0 <= pc < n_slots):
            raise fail("the saved state is damaged (a pending write is out of range)")
    for index, left in state.loop_stack:
        if not (0 <= index < len(sim.loops) and 0 < left <= sim.loops[index].count):
            raise fail("the saved state is damaged (bad loop stack)")
    if not 0 <= state.pc < n_slots + 1 or not state.valid.strip("01") == "":
        raise fail("the saved state is damaged (bad program counter or valid bits)")

    words = array(_word_code(sim.mem), state.memory)
    sim.mem = array(sim.mem.typecode)
    sim.mem.frombytes(words.tobytes())
    sim.valid = bytearray(1 if c == "1" else 0 for c in state.valid)
    for cycle, cell, bits, pc in state.pending:
        k = cycle & sim._mask
        sim._ra[k] = cell
        sim._rv[k] = _f64(bits)
        sim._rp[k] = pc
    sim._ipos = [pos for _, pos, _ in state.inputs]
    by_name = dict(state.outputs)
    sim._outs = [[_f64(b) for b in by_name.get(p.name, ())] for p in sim.ports.outputs]
    sim._finished = list(state.runs)
    sim._lstack = [[i, left] for i, left in state.loop_stack]
    sim._run = state.run
    sim._run_start = state.run_start
    sim._t = state.t
    sim._in_run = state.in_run
    sim._pc = state.pc
    sim._halted = state.halted
    sim._halt_at = state.halt_at
    sim._end = state.end
    sim._oend = state.out_end
    sim._checked = state.checked


def save_state(path: str | Path, state: SimState) -> None:
    """Write a state file (atomically)."""
    write_text_atomic(path, state.to_json())


def load_state(path: str | Path) -> SimState:
    """Read a state file.

    Raises
    ------
    VtcError
        Naming the file: missing, not a state, damaged.
    """
    return SimState.from_json(read_text(path), str(path))
