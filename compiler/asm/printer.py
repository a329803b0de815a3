"""Print a :class:`~.program.Program` as canonical assembly text.

The text reads back to the same program (locations aside), and printing that
again gives the same text: ``format_program(parse(format_program(p))) ==
format_program(p)``. Layout:

* declarations first, one per line, in a fixed order: ``.target``,
  ``.input``, ``.output``, ``.const``, ``.state``, ``.shared``;
* then each core's code after a blank line, headed by ``.core N`` unless the
  program is a single core 0; instructions indented by 4 spaces and 4 more
  per enclosing loop, the mnemonic padded to 5 columns, operands separated
  by ``", "``; ``.phase`` at the left margin;
* literals and declared values keep their source spelling.

Comments are not part of a program and are not printed.

>>> from vtc.compiler.asm.parser import parse
>>> print(format_program(parse(".const k=2.0\\nin a,0\\nMUL b,a,k\\nout 0,b\\nhalt")), end="")
.const k = 2.0
<BLANKLINE>
    in    a, 0
    mul   b, a, k
    out   0, b
    halt
"""

from __future__ import annotations

import math
import re

from vtc.compiler.asm.grammar import TARGET_WORD_RE
from vtc.compiler.asm.program import (
    Cell,
    Instr,
    Literal,
    Loop,
    Operand,
    PhaseMark,
    PortDecl,
    Program,
    Shared,
    Stmt,
    ValueDecl,
)

__all__ = ["format_operand", "format_program"]

_INDENT = "    "
_MNEMONIC_WIDTH = 5
_BARE_TARGET = re.compile(TARGET_WORD_RE + r"\Z")


def format_program(program: Program) -> str:
    """The canonical text of a program, ending with a newline."""
    out: list[str] = []
    if program.target is not None:
        out.append(f".target {_target_text(program.target)}")
    if program.scheduled:
        out.append(".scheduled")
    out.extend(_port_line(".input", decl) for decl in program.inputs)
    out.extend(_port_line(".output", decl) for decl in program.outputs)
    out.extend(_value_line(".const", decl) for decl in program.consts)
    out.extend(_value_line(".state", decl) for decl in program.states)
    out.extend(f".shared {decl.name}" for decl in program.shared)
    headed = len(program.cores) != 1 or program.cores[0].index != 0
    for core in program.cores:
        if out:
            out.append("")
        if headed:
            out.append(f".core {core.index}")
        _body(core.body, 1, out)
    return "\n".join(out) + "\n"


def format_operand(operand: Operand) -> str:
    """One operand as written in assembly.

    A literal keeps its source text; one built without text is printed as
    its shortest round-trip decimal.

    Raises
    ------
    ValueError
        A literal without text whose value is infinite or NaN: assembly has
        no such literal (declare the value with ``.const``).

    >>> from vtc.compiler.errors import SourceLocation
    >>> format_operand(Shared("s", SourceLocation("p.s", 1)))
    '@s'
    """
    if isinstance(operand, Cell):
        return operand.name
    if isinstance(operand, Shared):
        return "@" + operand.name
    if isinstance(operand, Literal):
        if operand.text:
            return operand.text
        if not math.isfinite(operand.value):
            raise ValueError(f"no literal can spell {operand.value}; declare it with .const")
        return repr(operand.value)
    if operand.number is not None:
        return str(operand.number)
    return operand.name or ""


def _body(body: tuple[Stmt, ...], depth: int, out: list[str]) -> None:
    indent = _INDENT * depth
    for stmt in body:
        if isinstance(stmt, Instr):
            if stmt.operands:
                operands = ", ".join(format_operand(op) for op in stmt.operands)
                out.append(f"{indent}{stmt.mnemonic:<{_MNEMONIC_WIDTH}} {operands}")
            else:
                out.append(f"{indent}{stmt.mnemonic}")
        elif isinstance(stmt, Loop):
            out.append(f"{indent}loop {stmt.count}")
            _body(stmt.body, depth + 1, out)
            out.append(f"{indent}endloop")
        elif isinstance(stmt, PhaseMark):
            out.append(f".phase {stmt.name}")


def _target_text(target: str) -> str:
    if _BARE_TARGET.match(target):
        return target
    escaped = target.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _port_line(directive: str, decl: PortDecl) -> str:
    line = f"{directive} {decl.name} {decl.number}"
    return f"{line} {decl.format}" if decl.format is not None else line


def _value_line(directive: str, decl: ValueDecl) -> str:
    return f"{directive} {decl.name} = {decl.text or _number_text(decl.value)}"


def _number_text(value: float) -> str:
    """A spelling for a value that has none (built in code, not parsed)."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(value)
