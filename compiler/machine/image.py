"""The image set: a program as machine code on disk (target.md sections 5 and 6).

For a program ``NAME`` the image set is::

    NAME.prog.mem    program memory, one 64-bit word per slot (16 hex digits)
    NAME.data.mem    data memory, cells 0 .. cells_used-1, IEEE bit patterns
                     (8 hex digits for a single-precision target, 16 for double),
                     0 for a cell the image does not initialise
    NAME.loops.mem   loop table, one 64-bit word per loop (16 hex digits)
    NAME.*.coe       the same words as Xilinx BRAM initialisation files
    NAME.image.json  what the words do not say: the target, the ports with
                     names and formats, the loop table, which data cells are
                     initialised, the symbols

The ``.mem`` files are ``$readmemh`` text: one word per line, no address
markers. :func:`read_image` reads the ``.mem`` files and the JSON (the ``.coe``
twins are for the FPGA tools only) and decodes every word, so whoever runs
the result (the simulator) runs the machine code, not the assembler's objects.

>>> from vtc.compiler.machine.target import load_target
>>> mp = MachineProgram(load_target(), (MInstr("halt"),))
>>> image_paths("/tmp/x", "p")[0].name
'p.prog.mem'
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from vtc.compiler.errors import ImageError, SourceLocation, TargetError, VtcError
from vtc.compiler.files import read_text, write_text_atomic
from vtc.compiler.machine.code import (
    LoopSpec,
    MachineProgram,
    MInstr,
    PortInfo,
    decode_loop,
    decode_word,
    encode_loop,
    encode_word,
)
from vtc.compiler.machine.formats import parse_format
from vtc.compiler.machine.isa import Form
from vtc.compiler.machine.semantics import to_f32
from vtc.compiler.machine.target import Target, target_from_dict

__all__ = [
    "IMAGE_FORMAT",
    "IMAGE_VERSION",
    "data_word",
    "image_name",
    "image_paths",
    "read_image",
    "validate_loops",
    "word_value",
    "write_image",
]

IMAGE_FORMAT = "vtc-image"
IMAGE_VERSION = 1

#: Suffixes of the files of an image set, in the order :func:`write_image` writes them.
_SUFFIXES = (
    ".prog.mem",
    ".data.mem",
    ".loops.mem",
    ".prog.coe",
    ".data.coe",
    ".loops.coe",
    ".image.json",
)


# --- data words ----------------------------------------------------------------


def data_word(value: float, precision: str) -> int:
    """The IEEE bit pattern of a data cell holding ``value``.

    A single-precision cell rounds ``value`` to binary32 first (overflow gives
    an infinity, as the hardware's store does).

    >>> hex(data_word(1.0, "single")), hex(data_word(-2.0, "double"))
    ('0x3f800000', '0xc000000000000000')
    """
    if precision == "single":
        return int.from_bytes(struct.pack(">f", to_f32(value)), "big")
    return int.from_bytes(struct.pack(">d", value), "big")


def word_value(word: int, precision: str) -> float:
    """The value (a binary64 float) of a data word: inverse of :func:`data_word`.

    >>> word_value(0x3F800000, "single")
    1.0
    """
    if precision == "single":
        return float(struct.unpack(">f", word.to_bytes(4, "big"))[0])
    return float(struct.unpack(">d", word.to_bytes(8, "big"))[0])


# --- file names ----------------------------------------------------------------


def image_paths(directory: str | Path, name: str) -> list[Path]:
    """The paths of the files of image ``name`` in ``directory``, in writing order."""
    d = Path(directory)
    return [d / f"{name}{suffix}" for suffix in _SUFFIXES]


def image_name(path: str | Path) -> tuple[Path, str] | None:
    """``(directory, NAME)`` of a file of an image set, or ``None`` if it is not one.

    >>> image_name("out/biquad.data.mem")
    (PosixPath('out'), 'biquad')
    """
    p = Path(path)
    for suffix in _SUFFIXES:
        if p.name.endswith(suffix) and len(p.name) > len(suffix):
            return p.parent, p.name[: -len(suffix)]
    return None


# --- writing -------------------------------------------------------------------


def _mem_text(words: Sequence[int], digits: int) -> str:
    return "".join(f"{w:0{digits}x}\n" for w in words)


def _coe_text(words: Sequence[int], digits: int, what: str) -> str:
    lines = [f"; {what}", "memory_initialization_radix=16;", "memory_initialization_vector="]
    if not words:
        # Xilinx tools need at least one value: an unused entry (count 0 for a loop).
        lines[0] += " (empty: one all-zero word)"
        words = [0]
    body = ",\n".join(f"{w:0{digits}x}" for w in words)
    return "\n".join(lines) + "\n" + body + ";\n"


def _ports_json(ports: Sequence[PortInfo]) -> list[dict[str, Any]]:
    return [{"number": p.number, "name": p.name, "format": p.format} for p in ports]


def write_image(mp: MachineProgram, directory: str | Path, name: str) -> list[Path]:
    """Write the image set of ``mp`` as ``directory/NAME.*``; returns the paths written.

    Raises
    ------
    ImageError
        A field that does not fit its encoding (an assembler bug).
    VtcError
        A file that cannot be written.
    """
    target = mp.target
    try:
        prog = [encode_word(ins) for ins in mp.slots]
        loops = [encode_loop(loop) for loop in mp.loops]
    except ValueError as exc:
        raise ImageError(str(exc), where=name) from None
    cells = mp.cells_used
    init = dict(mp.data)
    data = [data_word(init[a], target.precision) if a in init else 0 for a in range(cells)]
    data_digits = target.word_bits // 4
    meta: dict[str, Any] = {
        "format": IMAGE_FORMAT,
        "version": IMAGE_VERSION,
        "name": name,
        "target": target.to_dict(),
        "program_words": len(prog),
        "data_words": cells,
        "loop_entries": len(loops),
        "inputs": _ports_json(mp.inputs),
        "outputs": _ports_json(mp.outputs),
        "loops": [{"start": lp.start, "end": lp.end, "count": lp.count} for lp in mp.loops],
        "initialised": sorted(init),
        "symbols": [list(s) for s in mp.symbols],
    }
    texts = [
        _mem_text(prog, 16),
        _mem_text(data, data_digits),
        _mem_text(loops, 16),
        _coe_text(prog, 16, f"{name}: program memory, {len(prog)} words of 64 bits"),
        _coe_text(
            data, data_digits, f"{name}: data memory, {cells} cells of {target.word_bits} bits"
        ),
        _coe_text(
            loops,
            16,
            f"{name}: loop table, {len(loops)} entr{'y' if len(loops) == 1 else 'ies'} of 64 bits",
        ),
        json.dumps(meta, indent=2) + "\n",
    ]
    paths = image_paths(directory, name)
    for path, text in zip(paths, texts, strict=True):
        write_text_atomic(path, text)
    return paths


# --- reading -------------------------------------------------------------------


def _read_words(path: Path, digits: tuple[int, ...]) -> list[tuple[int, int]]:
    """The ``(line number, word)`` pairs of a ``.mem`` file.

    Blank lines and ``//`` comments are skipped; every other line must be one
    hex word of exactly one of the widths in ``digits``.
    """
    try:
        text = read_text(path)
    except ImageError:
        raise
    except VtcError as exc:
        raise ImageError(exc.message, where=exc.where) from None
    words: list[tuple[int, int]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("//", 1)[0]
        token = line.strip()
        if not token:
            continue
        column = line.index(token) + 1
        loc = SourceLocation(str(path), number, column, len(token), raw)
        if any(c not in "0123456789abcdefABCDEF" for c in token):
            raise ImageError(f"'{token}' is not a hexadecimal word", loc)
        if len(token) not in digits:
            widths = " or ".join(str(d) for d in digits)
            raise ImageError(f"word '{token}' has {len(token)} hex digits, expected {widths}", loc)
        words.append((number, int(token, 16)))
    return words


def _loc(path: Path, line: int) -> SourceLocation:
    return SourceLocation(str(path), line)


class _Json:
    """Typed access to the parsed ``image.json`` with errors naming the key."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, message: str) -> ImageError:
        return ImageError(message, where=f"{self.path}: key '{key}'")

    def get(self, data: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
        short = key.rsplit(".", 1)[-1]
        if short not in data:
            raise self.fail(key, "missing")
        value = data[short]
        ok = isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool)
        if not ok:
            names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            raise self.fail(key, f"must be of type {names}, got {value!r}")
        return value

    def integer(self, data: Mapping[str, Any], key: str, lo: int, hi: int) -> int:
        value: int = self.get(data, key, int)
        if not lo <= value <= hi:
            raise self.fail(key, f"must be from {lo} to {hi}, got {value}")
        return value

    def ports(self, data: Mapping[str, Any], key: str, limit: int) -> tuple[PortInfo, ...]:
        ports: list[PortInfo] = []
        for i, entry in enumerate(self.get(data, key, list)):
            k = f"{key}[{i}]"
            if not isinstance(entry, dict):
                raise self.fail(k, f"must be an object, got {entry!r}")
            number = self.integer(entry, f"{k}.number", 0, limit - 1)
            pname: str = self.get(entry, f"{k}.name", str)
            fmt: str = self.get(entry, f"{k}.format", str)
            try:
                parse_format(fmt)
            except ValueError as exc:
                raise self.fail(f"{k}.format", str(exc)) from None
            ports.append(PortInfo(number, pname, fmt))
        return tuple(ports)


def _resolve(path: str | Path) -> tuple[Path, str]:
    found = image_name(path)
    if found is None:
        raise ImageError(
            "not a file of an image set (expected NAME.image.json or NAME.prog.mem, "
            "NAME.data.mem, NAME.loops.mem)",
            where=str(path),
        )
    if not Path(path).is_file():
        raise ImageError("no such file", where=str(path))
    directory, name = found
    for suffix in (".image.json", ".prog.mem", ".data.mem", ".loops.mem"):
        sibling = directory / f"{name}{suffix}"
        if not sibling.is_file():
            raise ImageError(f"the image set is incomplete: {sibling} is missing", where=str(path))
    return directory, name


def read_image(path: str | Path) -> MachineProgram:
    """Read an image set given any of its files (``NAME.image.json``, ``NAME.prog.mem``, ...).

    Raises
    ------
    ImageError
        A missing sibling, bad JSON, a bad hex word or width, an unknown
        opcode, an inconsistent loop table: naming the file and line (or key).
    """
    directory, name = _resolve(path)
    jpath = directory / f"{name}.image.json"
    meta = _read_json(jpath)
    js = _Json(jpath)
    fmt = js.get(meta, "format", str)
    if fmt != IMAGE_FORMAT:
        raise js.fail("format", f"must be '{IMAGE_FORMAT}', got '{fmt}'")
    version = js.get(meta, "version", int)
    if version != IMAGE_VERSION:
        raise js.fail("version", f"image version {version} is not supported (only {IMAGE_VERSION})")
    tdata = js.get(meta, "target", dict)
    try:
        target = target_from_dict(tdata, f"{jpath}: target")
    except TargetError as exc:
        raise ImageError(f"invalid target: {exc.message}", where=exc.where) from None

    prog_path = directory / f"{name}.prog.mem"
    prog_words = _read_words(prog_path, (16,))
    n_prog = js.integer(meta, "program_words", 1, target.program_depth)
    if len(prog_words) != n_prog:
        raise ImageError(
            f"holds {len(prog_words)} words, {jpath.name} says {n_prog}", where=str(prog_path)
        )
    slots: list[MInstr] = []
    for address, (line, word) in enumerate(prog_words):
        try:
            slots.append(decode_word(word, address))
        except ImageError as exc:
            raise ImageError(exc.message, _loc(prog_path, line)) from None
    _check_fields(slots, target, prog_path, [line for line, _ in prog_words])

    loops_path = directory / f"{name}.loops.mem"
    loop_words = _read_words(loops_path, (16,))
    n_loops = js.integer(meta, "loop_entries", 0, 65535)
    if len(loop_words) != n_loops:
        raise ImageError(
            f"holds {len(loop_words)} words, {jpath.name} says {n_loops}", where=str(loops_path)
        )
    loops: list[LoopSpec] = []
    for index, (line, word) in enumerate(loop_words):
        try:
            loops.append(decode_loop(word, index))
        except ImageError as exc:
            raise ImageError(exc.message, _loc(loops_path, line)) from None
    listed = js.get(meta, "loops", list)
    as_json = [{"start": lp.start, "end": lp.end, "count": lp.count} for lp in loops]
    if listed != as_json:
        raise js.fail("loops", f"does not match the loop table in {loops_path.name}")
    problem = validate_loops(loops, slots, target)
    if problem is not None:
        index, message = problem
        raise ImageError(message, _loc(loops_path, loop_words[index][0]))

    data_path = directory / f"{name}.data.mem"
    digits = target.word_bits // 4
    data_words = _read_words(data_path, (digits,))
    n_data = js.integer(meta, "data_words", 0, target.data_depth)
    if len(data_words) != n_data:
        raise ImageError(
            f"holds {len(data_words)} words, {jpath.name} says {n_data}", where=str(data_path)
        )
    init = js.get(meta, "initialised", list)
    seen: set[int] = set()
    for i, addr in enumerate(init):
        if isinstance(addr, bool) or not isinstance(addr, int) or not 0 <= addr < n_data:
            raise js.fail(f"initialised[{i}]", f"must be a cell address below {n_data}")
        if addr in seen:
            raise js.fail(f"initialised[{i}]", f"cell {addr} is listed twice")
        seen.add(addr)
    data: list[tuple[int, float]] = []
    for addr, (line, word) in enumerate(data_words):
        if addr in seen:
            data.append((addr, word_value(word, target.precision)))
        elif word != 0:
            raise ImageError(
                f"cell {addr} is not initialised ({jpath.name}) but its word is not zero",
                _loc(data_path, line),
            )

    inputs = js.ports(meta, "inputs", target.input_ports)
    outputs = js.ports(meta, "outputs", target.output_ports)
    symbols: list[tuple[str, str, int]] = []
    for i, sym in enumerate(js.get(meta, "symbols", list)):
        ok = (
            isinstance(sym, list)
            and len(sym) == 3
            and isinstance(sym[0], str)
            and isinstance(sym[1], str)
            and isinstance(sym[2], int)
            and not isinstance(sym[2], bool)
        )
        if not ok:
            raise js.fail(f"symbols[{i}]", f"must be [text, text, address], got {sym!r}")
        symbols.append((sym[0], sym[1], sym[2]))
    mp = MachineProgram(
        target=target,
        slots=tuple(slots),
        loops=tuple(loops),
        data=tuple(data),
        inputs=inputs,
        outputs=outputs,
        symbols=tuple(symbols),
    )
    return mp


def _read_json(path: Path) -> dict[str, Any]:
    try:
        text = read_text(path)
    except ImageError:
        raise
    except VtcError as exc:
        raise ImageError(exc.message, where=exc.where) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        lines = text.splitlines()
        src = lines[exc.lineno - 1] if 0 < exc.lineno <= len(lines) else None
        loc = SourceLocation(str(path), exc.lineno, exc.colno, 1, src)
        raise ImageError(f"not valid JSON: {exc.msg}", loc) from None
    if not isinstance(data, dict):
        raise ImageError("must hold a JSON object", where=str(path))
    return data


def _check_fields(slots: Sequence[MInstr], target: Target, path: Path, lines: list[int]) -> None:
    """Every field within its memory: cells, shared cells and port numbers."""
    for ins, line in zip(slots, lines, strict=True):
        form = ins.info.form
        fields: list[tuple[str, int, bool]] = []  # (role, value, shared)
        if form in (Form.DAB, Form.DA, Form.DAC, Form.IN, Form.LDS):
            fields.append(("cell", ins.d, ins.d_shared))
        if form in (Form.DAB, Form.DA, Form.DAC, Form.LDS):
            fields.append(("cell", ins.a, ins.a_shared))
        if form in (Form.DAB, Form.DAC):
            fields.append(("cell", ins.b, ins.b_shared))
        if form in (Form.OUT, Form.STS):
            fields.append(("cell", ins.a, ins.a_shared))
        if form is Form.STS:
            fields.append(("cell", ins.d, ins.d_shared))
        if form is Form.IN:
            fields.append(("input port", ins.a, False))
        if form is Form.OUT:
            fields.append(("output port", ins.d, False))
        for role, value, shared in fields:
            if role == "input port":
                limit, what = target.input_ports, f"input port {value} does not exist"
            elif role == "output port":
                limit, what = target.output_ports, f"output port {value} does not exist"
            elif shared:
                limit, what = target.shared.depth, f"shared cell {value} is outside shared memory"
            else:
                limit, what = target.data_depth, f"cell {value} is beyond the data memory"
            if value >= limit:
                raise ImageError(
                    f"'{ins.text()}': {what} of target '{target.name}' ({limit})",
                    _loc(path, line),
                )


def validate_loops(
    loops: Sequence[LoopSpec], slots: Sequence[MInstr], target: Target
) -> tuple[int, str] | None:
    """The first problem of a loop table as ``(entry index, message)``, or ``None``.

    Checks what the set/reset module relies on (target.md section 3): counts
    from 1 to 65535, bodies inside program memory, entries sorted by start
    with enclosing loops first, proper nesting, an inner loop never ending on
    its enclosing loop's last slot, nesting depth at most ``loop_depth``, and
    no ``halt`` inside a loop.
    """
    n = len(slots)
    stack: list[LoopSpec] = []
    previous: LoopSpec | None = None
    for i, lp in enumerate(loops):
        if not 1 <= lp.count <= 65535:
            return i, f"loop {i}: count {lp.count} is not from 1 to 65535"
        if not lp.start <= lp.end < n:
            return i, f"loop {i}: body {lp.start}..{lp.end} is not inside the program (0..{n - 1})"
        if previous is not None and (
            lp.start < previous.start or (lp.start == previous.start and lp.end >= previous.end)
        ):
            return i, f"loop {i}: entries are not sorted by start, enclosing loops first"
        previous = lp
        while stack and stack[-1].end < lp.start:
            stack.pop()
        if stack:
            outer = stack[-1]
            if lp.end > outer.end:
                return i, (
                    f"loop {i} ({lp.start}..{lp.end}) overlaps loop {outer.start}..{outer.end} "
                    "without nesting in it"
                )
            if lp.end == outer.end:
                return i, f"loop {i} ends on the same slot ({lp.end}) as its enclosing loop"
        stack.append(lp)
        if len(stack) > target.loop_depth:
            return i, f"loop {i}: nesting depth {len(stack)} exceeds {target.loop_depth}"
        for address in range(lp.start, lp.end + 1):
            if slots[address].mnemonic == "halt":
                return i, f"loop {i}: 'halt' at address {address} is inside the loop"
    return None
