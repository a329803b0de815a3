"""Machine code back to assembly text (``vtc disasm``, target.md section 6).

The text re-creates the program: the target, the ports with their formats,
the initialised data cells as ``.const``/``.state`` declarations and the code
slot by slot with physical operands (cells ``rN``, ports by number), ``nop``s
kept and the loop table back as ``loop N`` / ``endloop``. The program is
already scheduled, so the text carries ``.scheduled``: the assembler then
takes every line as one slot and every ``rN`` as cell N, and the code means
what the machine does (a read may see a cell's old value while a new one is
still in flight; such slots are marked ``!``).

Initialised cells that some instruction writes are ``.state`` cells (they keep
their value between runs); the others are ``.const``. Values are written as
the shortest decimal that reads back to the same value in the target
precision.

>>> from vtc.compiler.machine.target import load_target
>>> mp = MachineProgram(load_target(), (MInstr("out", 0, 1), MInstr("halt")),
...                     data=((1, 2.5),), outputs=(PortInfo(0, "y", "f32"),))
>>> print(disassemble(mp))  # doctest: +NORMALIZE_WHITESPACE
; vtc disasm: 2 slots, 0 loops, 1 initialised cell
.target zynq7020-single
.scheduled
.output y 0 f32
.const r1 = 2.5
        out   0, r1       ; 0
        halt              ; 1
"""

from __future__ import annotations

from vtc.compiler.machine.code import MachineProgram, MInstr, PortInfo
from vtc.compiler.machine.formats import PortFormat
from vtc.compiler.machine.isa import Form

__all__ = ["disassemble", "timing_notes", "value_text", "written_cells"]

_INDENT = "    "
_COLUMN = 36  # where the address comments start
_F32 = PortFormat("f32", "float", 32)
_F64 = PortFormat("f64", "float", 64)


def value_text(value: float, precision: str) -> str:
    """Shortest decimal that reads back to ``value`` in ``precision``.

    >>> value_text(0.10000000149011612, "single"), value_text(0.1, "double")
    ('0.1', '0.1')
    """
    return (_F32 if precision == "single" else _F64).to_text(value)


def written_cells(slots: tuple[MInstr, ...]) -> set[int]:
    """The local cells some instruction writes."""
    cells: set[int] = set()
    for ins in slots:
        if ins.info.uses_write_port and not ins.d_shared:
            cells.add(ins.d)
    return cells


def _shipped_target_differs(mp: MachineProgram) -> bool:
    from vtc.compiler.errors import TargetError
    from vtc.compiler.machine.target import load_target, named_targets

    if mp.target.name not in named_targets():
        return True
    try:
        shipped = load_target(mp.target.name)
    except TargetError:  # pragma: no cover - shipped targets load
        return True
    return shipped.to_dict() != mp.target.to_dict()


def _port_line(kind: str, port: PortInfo) -> str:
    return f".{kind} {port.name} {port.number} {port.format}".rstrip()


def _issue_sequence(mp: MachineProgram) -> list[int]:
    """Addresses in issue order for one run, with long loops cut short.

    A loop runs ``min(count, 2 * ceil(max_lat / B) + 2)`` iterations (``B`` the
    length of one iteration): iterations only interact within ``max_lat``
    cycles, so every timing pattern of the full run appears in the short one.
    """
    max_lat = max((mp.target.latency_of(ins.mnemonic) for ins in mp.slots), default=1)
    loops = list(mp.loops)

    def expand(lo: int, hi: int, active: frozenset[int]) -> list[int]:
        seq: list[int] = []
        a = lo
        while a <= hi:
            inner = next(
                (
                    i
                    for i, lp in enumerate(loops)
                    if lp.start == a and i not in active and lp.end <= hi
                ),
                None,
            )
            if inner is None:
                seq.append(a)
                a += 1
                continue
            lp = loops[inner]
            body = expand(lp.start, lp.end, active | {inner})
            reps = min(lp.count, 2 * -(-max_lat // max(len(body), 1)) + 2)
            seq.extend(body * reps)
            a = lp.end + 1
        return seq

    seq = expand(0, len(mp.slots) - 1, frozenset())
    if "halt" in (ins.mnemonic for ins in mp.slots):
        halt = next(i for i, ins in enumerate(seq) if mp.slots[ins].mnemonic == "halt")
        seq = seq[: halt + 1]
    return seq


def _reads(ins: MInstr) -> list[int]:
    form = ins.info.form
    if form is Form.DAB:
        cells = [(ins.a, ins.a_shared), (ins.b, ins.b_shared)]
    elif form is Form.DAC:
        cells = [(ins.d, ins.d_shared), (ins.a, ins.a_shared), (ins.b, ins.b_shared)]
    elif form in (Form.DA, Form.OUT, Form.STS):
        cells = [(ins.a, ins.a_shared)]
    else:
        cells = []
    return [c for c, shared in cells if not shared]


def timing_notes(mp: MachineProgram) -> dict[int, list[str]]:
    """Where the scheduled code means something else than the same text in program order.

    The hardware has an exposed pipeline: a slot that reads a cell whose new
    value is still in flight reads the old value, and a slow write issued
    before a fast one to the same cell lands after it. Assembly text means
    what it says in program order, so such slots need a note. Returns
    address -> notes.
    """
    notes: dict[int, list[str]] = {}
    last_write: dict[int, tuple[int, int, int]] = {}  # cell -> (issue cycle, landing, address)
    landed_last: dict[int, int] = {}  # cell -> issue cycle of the write that landed last
    lats = [mp.target.latency_of(ins.mnemonic) for ins in mp.slots]

    def note(address: int, text: str) -> None:
        if text not in notes.setdefault(address, []):
            notes[address].append(text)

    pending: list[tuple[int, int, int, int]] = []  # (landing, issue cycle, cell, address)
    for cycle, address in enumerate(_issue_sequence(mp)):
        still: list[tuple[int, int, int, int]] = []
        for land, issued, cell, writer in sorted(pending):
            if land > cycle:
                still.append((land, issued, cell, writer))
                continue
            if landed_last.get(cell, -1) > issued:
                note(writer, f"lands after a later write to r{cell}: the older value wins")
            landed_last[cell] = issued
        pending = still
        ins = mp.slots[address]
        for cell in _reads(ins):
            w = last_write.get(cell)
            if w is not None and w[1] > cycle:
                note(address, f"reads the old r{cell} (the write at {w[2]} is still in flight)")
        if ins.info.uses_write_port and not ins.d_shared:
            land = cycle + lats[address]
            last_write[ins.d] = (cycle, land, address)
            pending.append((land, cycle, ins.d, address))
    return notes


def disassemble(mp: MachineProgram) -> str:
    """Assembly text (``.scheduled``) that re-creates ``mp`` slot for slot."""
    precision = mp.target.precision
    lines = [
        f"; vtc disasm: {len(mp.slots)} slots, {len(mp.loops)} loops, "
        f"{len(mp.data)} initialised cell{'s' if len(mp.data) != 1 else ''}",
    ]
    if _shipped_target_differs(mp):
        lines.append(
            f"; target '{mp.target.name}' is not a shipped target (or differs from it): "
            "pass its file with --target"
        )
    notes = timing_notes(mp)
    if notes:
        lines.append(
            f"; {len(notes)} slot{' reads' if len(notes) == 1 else 's read'} a cell whose new "
            "value is still in flight (marked '!'): the exposed pipeline at work"
        )
    lines.append(f".target {mp.target.name}")
    lines.append(".scheduled")
    lines += [_port_line("input", p) for p in mp.inputs]
    lines += [_port_line("output", p) for p in mp.outputs]
    written = written_cells(mp.slots)
    names: dict[int, list[str]] = {}
    for kind, name, addr in mp.symbols:
        names.setdefault(addr, []).append(name if kind != "literal" else f"literal {name}")
    for addr, value in mp.data:
        kind = "state" if addr in written else "const"
        decl = f".{kind} r{addr} = {value_text(value, precision)}"
        lines.append(f"{decl:<{_COLUMN}} ; {', '.join(names[addr])}" if addr in names else decl)

    starts: dict[int, list[int]] = {}
    ends: dict[int, int] = {}
    for lp in mp.loops:
        starts.setdefault(lp.start, []).append(lp.count)
        ends[lp.end] = ends.get(lp.end, 0) + 1
    depth = 0
    for address, ins in enumerate(mp.slots):
        for count in starts.get(address, ()):
            lines.append(f"{_INDENT * (depth + 2)}loop {count}")
            depth += 1
        code = f"{_INDENT * (depth + 2)}{ins.text()}"
        comment = f"{address}"
        if address in notes:
            comment += "  ! " + "; ".join(notes[address])
        lines.append(f"{code:<{_COLUMN}} ; {comment}")
        for _ in range(ends.get(address, 0)):
            depth -= 1
            lines.append(f"{_INDENT * (depth + 2)}endloop")
    return "\n".join(lines) + "\n"
