"""Watching a simulation: a text trace (``vtc sim --trace``) and a VCD waveform (``--vcd``).

Both are :class:`~vtc.compiler.sim.simulator.Observer`\\ s. The trace prints
one line per cycle::

      cycle  run  addr  instruction            reads                        lands
          0    1     0  in    r0, 0            x=1.5
          2    1     2  mul   r1, r0, r2       r0=1.5 r2=2.0                r0=1.5

(global cycle, 1-based run, address issued, the instruction with physical
operands, the values it reads, the results that become visible in this
cycle: a cell ``rN=value`` through the write port, an output register
``name=value``). Cycles after ``halt`` show ``-`` as address, and each run
ends with an ``end of run`` line at its end cycle, which is also the next
run's cycle 0.

The VCD file has one time step per clock period (10 ns at 100 MHz) and the
signals ``run``, ``pc``, ``opcode`` (the ISA code, ``x`` when nothing
issues), ``wp_we``/``wp_addr``/``wp_value`` (the write port: enable, cell,
value landing in the cycle) and one real signal ``out_NAME`` per output
register.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from vtc.compiler.files import write_text_atomic
from vtc.compiler.machine.formats import PortFormat
from vtc.compiler.machine.isa import Form

if TYPE_CHECKING:
    from vtc.compiler.sim.simulator import Simulator

__all__ = ["TraceWriter", "VcdWriter", "vcd_timescale"]

_F32 = PortFormat("f32", "float", 32)
_F64 = PortFormat("f64", "float", 64)


class _Outputs:
    """Output-register writes in flight: ``out`` issued in ``c`` lands in ``c + lat``."""

    def __init__(self) -> None:
        self.queue: deque[tuple[int, str, int, float]] = deque()

    def issue(self, sim: Simulator, gcycle: int, pc: int) -> tuple[str, float] | None:
        ins = sim.slots[pc]
        if ins.info.form is not Form.OUT:
            return None
        port = sim.output_port(ins.d)
        value = port.format.quantize(sim.mem[ins.a])
        self.queue.append((gcycle + sim.latency_at(pc), port.name, ins.d, value))
        return port.name, value

    def landing(self, gcycle: int) -> list[tuple[str, int, float]]:
        landed = []
        while self.queue and self.queue[0][0] <= gcycle:
            _, name, number, value = self.queue.popleft()
            landed.append((name, number, value))
        return landed


class TraceWriter:
    """Prints one line per simulated cycle to a text stream."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.outputs = _Outputs()
        self.fmt = _F32

    def start(self, sim: Simulator) -> None:
        self.sim = sim
        self.fmt = _F32 if sim.precision == "single" else _F64
        header = f"{'cycle':>7} {'run':>4} {'addr':>5}  {'instruction':<22} {'reads':<30} lands"
        self.out.write(header + "\n")

    def _value(self, cell: int) -> str:
        if not self.sim.valid[cell]:
            return "?"
        return self.fmt.to_text(self.sim.mem[cell])

    def _reads(self, pc: int) -> str:
        ins = self.sim.slots[pc]
        form = ins.info.form
        cells: list[int] = []
        if form in (Form.DAB, Form.DAC):
            cells = [ins.a, ins.b] if form is Form.DAB else [ins.d, ins.a, ins.b]
        elif form in (Form.DA, Form.OUT):
            cells = [ins.a]
        elif form is Form.IN:
            port = self.sim.input_port(ins.a)
            value = self.sim.peek_input(ins.a)
            return f"{port.name}=" + ("(none)" if value is None else port.format.to_text(value))
        seen: list[int] = []
        for c in cells:
            if c not in seen:
                seen.append(c)
        return " ".join(f"r{c}={self._value(c)}" for c in seen)

    def cycle(self, gcycle: int, run: int, t: int, pc: int, landed: int) -> None:
        sim = self.sim
        lands = [f"r{landed}={self._value(landed)}"] if landed >= 0 else []
        for name, number, value in self.outputs.landing(gcycle):
            port = sim.output_port(number)
            lands.append(f"{name}={port.format.to_text(value)}")
        if pc >= 0:
            addr, text, reads = str(pc), sim.slots[pc].text(), self._reads(pc)
            self.outputs.issue(sim, gcycle, pc)
        elif t == sim.run_end:
            addr, text, reads = "-", f"(end of run, {t} cycles)", ""
        else:
            addr, text, reads = "-", "", ""
        line = f"{gcycle:>7} {run + 1:>4} {addr:>5}  {text:<22} {reads:<30} {' '.join(lands)}"
        self.out.write(line.rstrip() + "\n")

    def finish(self, gcycle: int) -> None:
        self.out.flush()


def vcd_timescale(clock_mhz: float) -> tuple[str, int]:
    """The VCD timescale and the number of its units per clock period.

    >>> vcd_timescale(100.0), vcd_timescale(125.0), vcd_timescale(150.0)
    (('10 ns', 1), ('1 ns', 8), ('1 fs', 6666667))
    """
    period_fs = round(1e9 / clock_mhz)
    for unit, fs in (
        ("100 ns", 10**8),
        ("10 ns", 10**7),
        ("1 ns", 10**6),
        ("100 ps", 10**5),
        ("10 ps", 10**4),
        ("1 ps", 10**3),
        ("100 fs", 100),
        ("10 fs", 10),
    ):
        if period_fs % fs == 0:
            return unit, period_fs // fs
    return "1 fs", period_fs


def _ident(n: int) -> str:
    chars = []
    n += 1
    while n:
        n, r = divmod(n - 1, 94)
        chars.append(chr(33 + r))
    return "".join(chars)


class VcdWriter:
    """Collects a VCD waveform of the simulation and writes it to ``path`` at the end."""

    def __init__(self, path: str | Path) -> None:
        self.path = path
        self.lines: list[str] = []
        self.outputs = _Outputs()
        self.last: dict[str, str] = {}
        self.time = -1
        self.written = -1
        self.now: dict[str, str] = {}

    def start(self, sim: Simulator) -> None:
        self.sim = sim
        unit, self.step = vcd_timescale(sim.target.clock_mhz)
        signals = [
            ("run", "integer", 32),
            ("pc", "wire", 16),
            ("opcode", "wire", 6),
            ("wp_we", "wire", 1),
            ("wp_addr", "wire", 16),
            ("wp_value", "real", 64),
        ]
        signals += [(f"out_{p.name}", "real", 64) for p in sim.ports.outputs]
        self.ids = {name: _ident(i) for i, (name, _, _) in enumerate(signals)}
        self.kinds = {name: (kind, width) for name, kind, width in signals}
        self.lines += [
            "$version vtc simulator $end",
            f"$comment ViSARD target {sim.target.name}, {sim.target.clock_mhz:g} MHz $end",
            f"$timescale {unit} $end",
            "$scope module visard $end",
        ]
        self.lines += [
            f"$var {kind} {width} {self.ids[name]} {name} $end" for name, kind, width in signals
        ]
        self.lines += ["$upscope $end", "$enddefinitions $end"]

    def _value(self, name: str, value: int | float | None) -> str:
        kind, width = self.kinds[name]
        ident = self.ids[name]
        if kind == "real":
            return f"r{value!r} {ident}"
        if value is None:
            return f"bx {ident}" if width > 1 else f"x{ident}"
        assert isinstance(value, int)
        return f"b{value:b} {ident}" if width > 1 else f"{value}{ident}"

    def _flush(self) -> None:
        if self.time < 0:
            return
        changes = [v for name, v in self.now.items() if self.last.get(name) != v]
        if changes:
            self.written = self.time
            self.lines.append(f"#{self.time * self.step}")
            self.lines += changes
            self.last.update(self.now)
        self.now = {}

    def cycle(self, gcycle: int, run: int, t: int, pc: int, landed: int) -> None:
        sim = self.sim
        if gcycle != self.time:
            first = self.time < 0
            self._flush()
            self.time = gcycle
            if first:  # real signals have no 'x': start them at 0
                self.now["wp_addr"] = self._value("wp_addr", 0)
                self.now["wp_value"] = self._value("wp_value", 0.0)
                for p in sim.ports.outputs:
                    self.now[f"out_{p.name}"] = self._value(f"out_{p.name}", 0.0)
            self.now |= {
                "run": self._value("run", run + 1),
                "pc": self._value("pc", None),
                "opcode": self._value("opcode", None),
                "wp_we": self._value("wp_we", 0),
            }
        if pc >= 0:
            self.now["run"] = self._value("run", run + 1)
            self.now["pc"] = self._value("pc", pc)
            self.now["opcode"] = self._value("opcode", sim.slots[pc].info.code)
        if landed >= 0:
            self.now["wp_we"] = self._value("wp_we", 1)
            self.now["wp_addr"] = self._value("wp_addr", landed)
            self.now["wp_value"] = self._value("wp_value", float(sim.mem[landed]))
        for name, _, value in self.outputs.landing(gcycle):
            self.now[f"out_{name}"] = self._value(f"out_{name}", value)
        if pc >= 0:
            self.outputs.issue(sim, gcycle, pc)

    def finish(self, gcycle: int) -> None:
        self._flush()
        if gcycle > self.written:  # the end of the last cycle
            self.lines.append(f"#{gcycle * self.step}")
        write_text_atomic(self.path, "\n".join(self.lines) + "\n")
