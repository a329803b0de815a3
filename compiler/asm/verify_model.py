"""Values, loop records and message helpers shared by the parts of the verifier.

Internal to :mod:`.verify` (structure and data checks) and
:mod:`.verify_timing` (the unrolled symbolic run); shares nothing with the
scheduler.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from vtc.compiler.asm.program import Cell, Literal, Loop, Operand, Shared
from vtc.compiler.errors import SourceLocation
from vtc.compiler.machine.code import LoopSpec, MInstr
from vtc.compiler.machine.isa import ISA, Form

#: Largest iteration count of a hardware loop (16-bit loop-table field).
MAX_LOOP_COUNT = 65535

#: A symbolic value: ``(Instr.index, iteration vector)`` of the instance that
#: computed it, ``("state", name)``, ``("value", bits)`` (a read-only value),
#: ``("shared", name)``, ``("data", address)`` (an unnamed initial value).
Token = tuple[object, object]

#: Key of a data cell in the symbolic memory: a local cell ``n`` is ``n``, a
#: shared cell ``n`` is ``-1 - n``.
CellKey = int

#: What a cell holds before anything is written to it and without initial value.
NO_VALUE: Token = ("none", None)


def line_of(loc: SourceLocation) -> str:
    return f"{loc.file}:{loc.line}"


def cell_name(key: CellKey) -> str:
    return f"r{key}" if key >= 0 else f"@{-1 - key}"


def iteration_text(iv: tuple[int, ...]) -> str:
    if not iv:
        return ""
    if len(iv) == 1:
        return f" in iteration {iv[0]}"
    return f" in iteration ({', '.join(map(str, iv))})"


def instance_of(token: Token) -> tuple[int, tuple[int, ...]]:
    index, iv = token
    assert isinstance(index, int) and isinstance(iv, tuple)
    return index, iv


def value_bits(value: float) -> int:
    return int.from_bytes(struct.pack("<d", value), "little")


def operand_text(op: Operand) -> str:
    if isinstance(op, Cell):
        return op.name
    if isinstance(op, Shared):
        return "@" + op.name
    if isinstance(op, Literal):
        return op.text
    return op.name if op.name is not None else str(op.number)


#: For each form: (machine field, source operand position, role) of every
#: operand, where role is "dest", "src", "both" (cmov's d), "in" or "out" (ports).
FIELDS: dict[Form, tuple[tuple[str, int, str], ...]] = {
    Form.DAB: (("d", 0, "dest"), ("a", 1, "src"), ("b", 2, "src")),
    Form.DA: (("d", 0, "dest"), ("a", 1, "src")),
    Form.DAC: (("d", 0, "both"), ("a", 1, "src"), ("b", 2, "src")),
    Form.IN: (("d", 0, "dest"), ("a", 1, "in")),
    Form.OUT: (("d", 0, "out"), ("a", 1, "src")),
    Form.LDS: (("d", 0, "dest"), ("a", 1, "src")),
    Form.STS: (("d", 0, "dest"), ("a", 1, "src")),
    Form.NONE: (),
}


def field_of(ins: MInstr, name: str) -> tuple[int, bool]:
    if name == "d":
        return ins.d, ins.d_shared
    if name == "a":
        return ins.a, ins.a_shared
    return ins.b, ins.b_shared


#: For each form: (machine field, source operand position) of the values read,
#: in field order (cmov reads its destination first).
READS: dict[Form, tuple[tuple[str, int], ...]] = {
    form: tuple((f, pos) for f, pos, role in fields if role in ("src", "both"))
    for form, fields in FIELDS.items()
}


@dataclass(frozen=True)
class Shape:
    """How an opcode uses its operands, looked up by mnemonic (hashing a str is
    much cheaper than hashing an Enum member on the hot paths)."""

    form: Form
    fields: tuple[tuple[str, int, str], ...]
    reads: tuple[tuple[str, int], ...]
    writes: bool  # writes the cell in d (local or shared)
    port: str | None  # "in" or "out" for the port of in/out


#: Every mnemonic's :class:`Shape`.
SHAPES: dict[str, Shape] = {
    op.mnemonic: Shape(
        form=op.form,
        fields=FIELDS[op.form],
        reads=READS[op.form],
        writes=op.form.writes_cell,
        port={Form.IN: "in", Form.OUT: "out"}.get(op.form),
    )
    for op in ISA
}


@dataclass(eq=False)
class SrcLoop:
    """A source loop with the instructions it holds (nested ones included)."""

    loop: Loop
    number: int
    depth: int
    origins: set[int] = field(default_factory=set)

    def describe(self) -> str:
        return f"source loop {line_of(self.loop.loc)}"


@dataclass(eq=False)
class MLoop:
    """A machine loop-table entry placed in the loop tree."""

    number: int
    spec: LoopSpec
    depth: int = 0
    children: list[MLoop] = field(default_factory=list)
    origins: set[int] = field(default_factory=set)
    src: SrcLoop | None = None
    pipe: Pipe | None = None  # set when the entry is the kernel of a pipelined loop

    def describe(self) -> str:
        return f"machine loop {self.number} (slots {self.spec.start}..{self.spec.end})"


@dataclass(eq=False)
class Pipe:
    """A software-pipelined loop: the kernel's loop-table entry and its stages.

    The ``stages - 1`` blocks of ``ii`` slots before the kernel are the
    prologue, as many after it the epilogue. Blocks are numbered over the
    whole loop: the prologue holds blocks ``0 .. stages - 2``, kernel
    iteration ``m`` is block ``stages - 1 + m`` and the epilogue holds blocks
    ``n .. n + stages - 2`` for a source loop of ``n`` iterations; a slot of
    stage ``s`` in block ``b`` runs source iteration ``b - s``.
    """

    number: int  # the kernel's index in the loop table
    spec: LoopSpec
    stages: int
    kernel: MLoop | None = None
    kernel_origins: frozenset[int] = frozenset()

    @property
    def ii(self) -> int:
        return self.spec.end - self.spec.start + 1

    @property
    def pro_start(self) -> int:
        return self.spec.start - (self.stages - 1) * self.ii

    @property
    def epi_start(self) -> int:
        return self.spec.end + 1

    @property
    def epi_end(self) -> int:
        return self.spec.end + (self.stages - 1) * self.ii

    def part(self, addr: int) -> tuple[str, int] | None:
        """``("prologue", block)`` or ``("epilogue", j)`` (block ``n + j``) of a slot."""
        if self.pro_start <= addr < self.spec.start:
            return "prologue", (addr - self.pro_start) // self.ii
        if self.epi_start <= addr <= self.epi_end:
            return "epilogue", (addr - self.epi_start) // self.ii
        return None

    def part_range(self, part: str) -> tuple[int, int]:
        if part == "prologue":
            return self.pro_start, self.spec.start - 1
        return self.epi_start, self.epi_end

    def describe(self) -> str:
        return (
            f"pipelined machine loop {self.number} (slots {self.spec.start}..{self.spec.end}, "
            f"{self.stages} stages)"
        )
