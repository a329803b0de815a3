"""The assembly program as written: the parser's output, the scheduler's input.

Frozen dataclasses that keep every source location. ``Instr.index`` numbers
the instructions of a core in program order from 0; the scheduled machine
program refers back to source instructions by that index
(:attr:`vtc.compiler.machine.code.MInstr.origin`), which is how the listing
shows source lines and how the verifier checks the meaning.

The program means what it says in program order (target.md section 5):
``Instr`` and ``Loop`` statements execute one after another.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from vtc.compiler.errors import SourceLocation

__all__ = [
    "Cell",
    "CoreCode",
    "Instr",
    "Literal",
    "Loop",
    "Operand",
    "PhaseMark",
    "PortDecl",
    "PortRef",
    "Program",
    "Shared",
    "SharedDecl",
    "Stmt",
    "ValueDecl",
    "walk_instrs",
]


@dataclass(frozen=True, slots=True)
class Cell:
    """A local data cell named in the source (temporary, constant or state)."""

    name: str
    loc: SourceLocation


@dataclass(frozen=True, slots=True)
class Shared:
    """A shared-memory cell, written ``@name``."""

    name: str
    loc: SourceLocation


@dataclass(frozen=True, slots=True)
class Literal:
    """A numeric literal source operand, pooled into a constant by the assembler.

    ``text`` is the spelling in the source; ``value`` its binary64 value
    (rounded to the target precision later, when the target is known).
    """

    value: float
    text: str
    loc: SourceLocation


@dataclass(frozen=True, slots=True)
class PortRef:
    """The port operand of ``in``/``out``: a number, or a name bound by ``.input``/``.output``."""

    loc: SourceLocation
    number: int | None = None
    name: str | None = None


Operand = Cell | Shared | Literal | PortRef


@dataclass(frozen=True, slots=True)
class Instr:
    """One instruction: mnemonic (lower case) and operands in assembly order."""

    mnemonic: str
    operands: tuple[Operand, ...]
    loc: SourceLocation
    index: int = -1


@dataclass(frozen=True)
class Loop:
    """``loop count`` ... ``endloop``."""

    count: int
    body: tuple[Stmt, ...]
    loc: SourceLocation
    end_loc: SourceLocation


@dataclass(frozen=True)
class PhaseMark:
    """``.phase NAME``: the code after it belongs to DPR phase NAME (dpr.md)."""

    name: str
    loc: SourceLocation


Stmt = Instr | Loop | PhaseMark


@dataclass(frozen=True)
class PortDecl:
    """``.input NAME PORT [FORMAT]`` or ``.output NAME PORT [FORMAT]``.

    ``format`` is the canonical format name, or ``None`` for the target precision.
    """

    name: str
    number: int
    loc: SourceLocation
    format: str | None = None


@dataclass(frozen=True)
class ValueDecl:
    """One ``name = value`` of a ``.const`` or ``.state`` line."""

    name: str
    value: float
    text: str
    loc: SourceLocation


@dataclass(frozen=True)
class SharedDecl:
    """One name of a ``.shared`` line."""

    name: str
    loc: SourceLocation


@dataclass(frozen=True)
class CoreCode:
    """The code of one core (``.core N``; code before any ``.core`` is core 0)."""

    index: int
    body: tuple[Stmt, ...]
    loc: SourceLocation | None = None


@dataclass(frozen=True)
class Program:
    """A parsed assembly file.

    ``target`` is the ``.target`` operand (a name or a path), if any.
    ``scheduled`` is set by ``.scheduled``: the code is already scheduled (what
    ``vtc disasm`` writes); cells are physical (``rN``), every line is a slot,
    and it means what the machine does, not what program order says.
    """

    file: str
    cores: tuple[CoreCode, ...]
    target: str | None = None
    target_loc: SourceLocation | None = None
    inputs: tuple[PortDecl, ...] = ()
    outputs: tuple[PortDecl, ...] = ()
    consts: tuple[ValueDecl, ...] = ()
    states: tuple[ValueDecl, ...] = ()
    shared: tuple[SharedDecl, ...] = ()
    scheduled_loc: SourceLocation | None = None

    @property
    def scheduled(self) -> bool:
        """Whether the program carries ``.scheduled``."""
        return self.scheduled_loc is not None


def walk_instrs(body: tuple[Stmt, ...]) -> Iterator[Instr]:
    """Every instruction of a body in program order, loops entered once."""
    for stmt in body:
        if isinstance(stmt, Instr):
            yield stmt
        elif isinstance(stmt, Loop):
            yield from walk_instrs(stmt.body)
