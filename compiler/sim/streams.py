"""Port streams and their CSV files (target.md section 4).

Each input port has a stream of values the program's ``in`` instructions
consume one by one; each output port collects what its ``out`` instructions
write. A CSV file holds one column per port, headed by the port's name
(``.input``/``.output`` name, else ``in<P>``/``out<P>``); row ``r`` holds the
``r``-th value of each stream, so columns may differ in length (a column
ends at its first empty cell). Values are the port's numbers as seen outside
and are written as the shortest decimal that reads back to the same value in
the port's format.

The dialect is deliberately small: comma-separated, no quoting of commas
(names are identifiers, values are numbers), an optional UTF-8 byte-order
mark, ``\\n`` or ``\\r\\n`` line ends.

>>> f = parse_format("i16")
>>> format_csv([("x", f, [1.0, 2.0]), ("y", f, [3.0])])
'x,y\\n1,3\\n2,\\n'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from vtc.compiler.errors import SourceLocation, VtcError
from vtc.compiler.files import read_text, write_text_atomic
from vtc.compiler.machine.code import MachineProgram, PortInfo
from vtc.compiler.machine.formats import PortFormat, parse_format
from vtc.compiler.machine.isa import Form

__all__ = [
    "Port",
    "PortTable",
    "format_csv",
    "parse_csv",
    "port_table",
    "read_csv",
    "write_csv",
]

_NUMBER = re.compile(
    r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)\Z", re.IGNORECASE
)


@dataclass(frozen=True)
class Port:
    """A port of a program: number, name (the CSV column) and format."""

    number: int
    name: str
    format: PortFormat


@dataclass(frozen=True)
class PortTable:
    """Every input and output port of a program, sorted by number.

    Ports the program uses without declaring them get the names ``in<P>`` /
    ``out<P>`` and the target precision as format.
    """

    inputs: tuple[Port, ...]
    outputs: tuple[Port, ...]

    def input_named(self, key: str | int) -> Port | None:
        """The input port with this name (a string) or number (an int)."""
        return _find(self.inputs, key)

    def output_named(self, key: str | int) -> Port | None:
        """The output port with this name (a string) or number (an int)."""
        return _find(self.outputs, key)


def _find(ports: Sequence[Port], key: str | int) -> Port | None:
    for p in ports:
        if (p.name == key) if isinstance(key, str) else (p.number == key):
            return p
    return None


def port_table(mp: MachineProgram) -> PortTable:
    """The ports of ``mp``: its declared ones plus any its code uses undeclared."""
    default = parse_format(mp.target.default_format)

    def port(info: PortInfo) -> Port:
        return Port(info.number, info.name, parse_format(info.format) if info.format else default)

    ins = {p.number: port(p) for p in mp.inputs}
    outs = {p.number: port(p) for p in mp.outputs}
    for slot in mp.slots:
        form = slot.info.form
        if form is Form.IN and slot.a not in ins:
            ins[slot.a] = Port(slot.a, f"in{slot.a}", default)
        elif form is Form.OUT and slot.d not in outs:
            outs[slot.d] = Port(slot.d, f"out{slot.d}", default)
    return PortTable(
        inputs=tuple(ins[k] for k in sorted(ins)), outputs=tuple(outs[k] for k in sorted(outs))
    )


def format_csv(columns: Sequence[tuple[str, PortFormat, Sequence[float]]]) -> str:
    """CSV text of streams: ``(name, format, values)`` per column, values in that format."""
    lines = [",".join(name for name, _, _ in columns)]
    rows = max((len(values) for _, _, values in columns), default=0)
    for r in range(rows):
        cells = [fmt.to_text(values[r]) if r < len(values) else "" for _, fmt, values in columns]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def _split(line: str) -> list[tuple[str, int]]:
    """Cells of a CSV line with their 1-based start columns, stripped (and unquoted)."""
    cells: list[tuple[str, int]] = []
    pos = 0
    for raw in line.split(","):
        stripped = raw.strip()
        column = pos + (raw.index(stripped) if stripped else 0) + 1
        if len(stripped) >= 2 and stripped[0] == stripped[-1] == '"':
            stripped = stripped[1:-1].strip()
        cells.append((stripped, column))
        pos += len(raw) + 1
    return cells


def parse_csv(text: str, file: str, formats: Mapping[str, PortFormat]) -> dict[str, list[float]]:
    """Streams from CSV text: column name -> values, each quantized to its port's format.

    ``formats`` gives the known columns. Columns the file does not have get no
    entry in the result.

    Raises
    ------
    VtcError
        With file, line and column: an unknown or repeated column, a cell that
        is not a number, a value after the end of its column, too many cells.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        return {}

    def loc(number: int, column: int, length: int) -> SourceLocation:
        return SourceLocation(file, number, column, max(length, 1), lines[number - 1])

    header = _split(lines[0])
    names: list[str] = []
    for name, column in header:
        if name not in formats:
            known = ", ".join(formats) if formats else "none"
            raise VtcError(
                f"unknown column '{name}' (the ports are: {known})", loc(1, column, len(name))
            )
        if name in names:
            raise VtcError(f"column '{name}' appears twice", loc(1, column, len(name)))
        names.append(name)
    streams: dict[str, list[float]] = {name: [] for name in names}
    ended: dict[str, int] = {}
    for number in range(2, len(lines) + 1):
        cells = _split(lines[number - 1])
        if len(cells) > len(names):
            _, column = cells[len(names)]
            raise VtcError(
                f"line has {len(cells)} cells, the header has {len(names)} columns",
                loc(number, column, 1),
            )
        for i, name in enumerate(names):
            cell, column = cells[i] if i < len(cells) else ("", 1)
            if not cell:
                ended.setdefault(name, number)
                continue
            if name in ended:
                raise VtcError(
                    f"column '{name}' continues after its empty cell on line {ended[name]}",
                    loc(number, column, len(cell)),
                )
            if not _NUMBER.match(cell):
                raise VtcError(
                    f"'{cell}' in column '{name}' is not a number", loc(number, column, len(cell))
                )
            streams[name].append(formats[name].quantize(float(cell)))
    return streams


def read_csv(path: str | Path, formats: Mapping[str, PortFormat]) -> dict[str, list[float]]:
    """:func:`parse_csv` of a file."""
    return parse_csv(read_text(path), str(path), formats)


def write_csv(path: str | Path, columns: Sequence[tuple[str, PortFormat, Sequence[float]]]) -> None:
    """Write :func:`format_csv` of ``columns`` to ``path`` (atomically)."""
    write_text_atomic(path, format_csv(columns))
