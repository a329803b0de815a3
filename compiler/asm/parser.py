"""Parse ViSARD assembly (target.md section 5) into a :class:`~.program.Program`.

The language is defined by the lark grammar of :mod:`.grammar` (LALR). Lark
in pure Python needs some 35 microseconds per instruction line, too slow for
the 10,000-line files a compiler emits, so the lines written by the thousand
(instructions, ``loop``, ``endloop``, one-value ``.const``/``.state``,
one-name ``.shared``, blank and comment lines) are recognised by one regular
expression built from the grammar's own terminal patterns, and every other
run of lines goes to lark in blocks. Both give the same result for every
line the fast path accepts; a property test checks that against lark alone.

The parser reports everything that needs no target: syntax, unknown
mnemonics and directives, operand counts and kinds, loop structure, ``halt``
placement and duplicate declarations. It collects every error of the file
and raises them together (:meth:`VtcErrors.raise_if_any`), sorted by
position. Target-dependent checks (port ranges, loop depth, reads of cells
never written, ...) are the resolver's.

Where target.md is silent, the parser decides:

* ``.const`` and ``.state`` names share one namespace and ``.shared`` names
  another (``x`` and ``@x`` are different cells); port names and numbers are
  bound separately for ``.input`` and ``.output``.
* ``.core N`` stands once per core; code before any ``.core`` is core 0's,
  so a later ``.core 0`` is an error. Cores come out sorted by number.
* ``.phase`` stands at the top level of a core's code, never inside a loop.
* ``inf``, ``-inf`` and ``nan`` are values of ``.const``/``.state`` only: as
  an operand, ``inf`` is a cell name, and a literal is a decimal number.
* A port operand is a non-negative integer or a name (resolved later
  against ``.input``/``.output``).

>>> p = parse("in a, 0\\nmul b, a, 0.5\\nout 0, b\\nhalt\\n")
>>> [i.mnemonic for i in p.cores[0].body]
['in', 'mul', 'out', 'halt']
>>> parse("ad t, a, b\\nhalt\\n", "p.s")
Traceback (most recent call last):
...
vtc.compiler.errors.AsmError: p.s:1:1: error: unknown mnemonic 'ad' (did you mean 'add'?)
"""

from __future__ import annotations

import difflib
import functools
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from vtc.compiler.asm.grammar import (
    DIRECTIVES,
    IDENT_RE,
    NUMBER_RE,
    grammar_text,
    opcode_pattern,
)
from vtc.compiler.asm.program import (
    Cell,
    CoreCode,
    Instr,
    Literal,
    Loop,
    Operand,
    PhaseMark,
    PortDecl,
    PortRef,
    Program,
    Shared,
    SharedDecl,
    Stmt,
    ValueDecl,
)
from vtc.compiler.errors import AsmError, SourceLocation, VtcError, VtcErrors
from vtc.compiler.files import read_text
from vtc.compiler.machine.formats import parse_format
from vtc.compiler.machine.isa import ISA, Form, OpInfo

__all__ = ["parse", "parse_file"]

_OPS: dict[str, OpInfo] = {op.mnemonic: op for op in ISA}
_MAX_LOOP = 65535
_BLOCK = 256  # lines per lark call: bounds the work redone after a syntax error

_INT = re.compile(r"[0-9]+\Z")
_SPECIAL_VALUES = frozenset({"inf", "+inf", "-inf", "nan"})

# Lark's item for one line: the rule name and its tokens.
_Item = tuple[str, list[Token]]
# A token as the builder takes it, from lark or from the fast path: (terminal, text, column).
_Tok = tuple[str, str, int]


class _ToItems(Transformer[Token, list[_Item]]):
    """Callbacks run by the LALR parser as it reduces (no parse tree is built)."""

    def __init__(self) -> None:
        super().__init__(visit_tokens=False)

    def start(self, children: list[_Item]) -> list[_Item]:
        return children

    def target(self, c: list[Token]) -> _Item:
        return ("target", c)

    def scheduled(self, c: list[Token]) -> _Item:
        return ("scheduled", c)

    def input(self, c: list[Token]) -> _Item:
        return ("input", c)

    def output(self, c: list[Token]) -> _Item:
        return ("output", c)

    def const(self, c: list[Token]) -> _Item:
        return ("const", c)

    def state(self, c: list[Token]) -> _Item:
        return ("state", c)

    def shared(self, c: list[Token]) -> _Item:
        return ("shared", c)

    def core(self, c: list[Token]) -> _Item:
        return ("core", c)

    def phase(self, c: list[Token]) -> _Item:
        return ("phase", c)

    def loop(self, c: list[Token]) -> _Item:
        return ("loop", c)

    def endloop(self, c: list[Token]) -> _Item:
        return ("endloop", c)

    def instr(self, c: list[Token]) -> _Item:
        return ("instr", c)


@functools.cache
def _lark() -> Lark:
    return Lark(grammar_text(), parser="lalr", lexer="contextual", transformer=_ToItems())


# The fast path: one regular expression, from the grammar's own terminal
# patterns, for the lines a compiler writes by the thousand: instructions,
# loop, endloop, one-value .const/.state, one-name .shared, blank, comment.
_WS = r"[ \t\f\r]"
_END = r"(?![\w.])"
_OPND = rf"(@?{IDENT_RE}|{NUMBER_RE}{_END})"
_SEP = rf"{_WS}*,{_WS}*"
_FAST = re.compile(
    rf"{_WS}*(?:"
    rf"(?P<op>(?i:{opcode_pattern()}))(?:{_WS}+{_OPND}(?:{_SEP}{_OPND}(?:{_SEP}{_OPND})?)?)?"
    rf"|(?P<loop>(?i:loop)){_WS}+(?P<count>{NUMBER_RE}){_END}"
    rf"|(?P<end>(?i:endloop)){_END}"
    rf"|(?P<value>(?i:\.const|\.state)){_END}{_WS}+(?P<name>{IDENT_RE}){_WS}*={_WS}*"
    rf"(?:(?P<number>{NUMBER_RE}){_END}|(?P<word>[+-]?{IDENT_RE}))"
    rf"|(?P<shared>(?i:\.shared)){_END}{_WS}+(?P<cell>{IDENT_RE})"
    rf")?{_WS}*(?:[;#].*)?"
)
# Group numbers, for m.groups() and m.start().
_G_OP, _G_LOOP, _G_COUNT, _G_END, _G_VALUE, _G_NAME, _G_NUMBER, _G_WORD, _G_SHARED, _G_CELL = (
    _FAST.groupindex[name]
    for name in ("op", "loop", "count", "end", "value", "name", "number", "word", "shared", "cell")
)
assert _G_OP == 1 and _G_LOOP == 5  # operands are groups 2 to 4
# Terminal type of a fast-path operand, by its first character.
_OPERAND_KIND = dict.fromkeys(string.ascii_letters + "_", "NAME") | {"@": "SHARED_NAME"}


def parse(text: str, file: str = "<string>") -> Program:
    """Parse assembly text.

    Parameters
    ----------
    text:
        The whole file.
    file:
        The name errors and locations give for it.

    Raises
    ------
    AsmError
        The one problem found.
    VtcErrors
        Several problems, in source order (each an :class:`AsmError`).
    """
    return _parse(text, file, fast=True)


def parse_file(path: str | Path) -> Program:
    """Read and parse an assembly file (errors name it as given)."""
    return parse(read_text(path), str(path))


def _parse(text: str, file: str, *, fast: bool) -> Program:
    """:func:`parse`; ``fast=False`` gives every line to lark (for tests)."""
    lines = text.removeprefix("\ufeff").split("\n")  # a byte order mark is no text
    if lines[-1] == "":
        lines.pop()
    lines = [line.rstrip("\r") for line in lines]
    b = _Builder(file, lines)
    if not fast:
        _parse_with_lark(b, lines, 0, len(lines))
    else:
        fast_match = _FAST.fullmatch
        kinds = _OPERAND_KIND
        pending = -1
        for i, line in enumerate(lines):
            m = fast_match(line)
            if m is None:
                if pending < 0:
                    pending = i
                continue
            if pending >= 0:
                _parse_with_lark(b, lines, pending, i)
                pending = -1
            groups = (None, *m.groups())  # groups[n] is group n
            op = groups[_G_OP]
            if op is not None:
                operands = []
                for g in (2, 3, 4):
                    word = groups[g]
                    if word is None:
                        break
                    operands.append((kinds.get(word[0], "NUMBER"), word, m.start(g) + 1))
                b.instr(i + 1, op, m.start(_G_OP) + 1, operands)
            elif groups[_G_LOOP] is not None:
                b.loop(i + 1, m.start(_G_LOOP) + 1, m[_G_COUNT], m.start(_G_COUNT) + 1)
            elif groups[_G_END] is not None:
                b.endloop(i + 1, m.start(_G_END) + 1, len(m[_G_END]))
            elif groups[_G_VALUE] is not None:
                g = _G_NUMBER if groups[_G_NUMBER] is not None else _G_WORD
                value = ("NUMBER" if g == _G_NUMBER else "VALUE_WORD", m[g], m.start(g) + 1)
                name = ("NAME", m[_G_NAME], m.start(_G_NAME) + 1)
                b.value_decls(m[_G_VALUE][1:].lower(), i + 1, [name, value])
            elif groups[_G_SHARED] is not None:
                b.shared_decls(i + 1, [("NAME", m[_G_CELL], m.start(_G_CELL) + 1)])
        if pending >= 0:
            _parse_with_lark(b, lines, pending, len(lines))
    program = b.finish()
    errors = sorted(b.errors, key=_error_key)
    VtcErrors.raise_if_any(errors)
    return program


def _error_key(error: VtcError) -> tuple[int, int]:
    loc = error.location
    return (loc.line, loc.column) if loc is not None else (1 << 62, 0)


def _parse_with_lark(b: _Builder, lines: list[str], start: int, end: int) -> None:
    """Parse ``lines[start:end]`` with lark in blocks, reporting every bad line."""
    parser = _lark()
    pos = start
    while pos < end:
        stop = min(end, pos + _BLOCK)
        try:
            items = _run(parser, lines[pos:stop])
        except UnexpectedInput as exc:
            line = exc.line if isinstance(exc.line, int) and exc.line > 0 else stop - pos
            bad = min(max(pos + line - 1, pos), stop - 1)
            if bad > pos:
                # Whole lines before the bad one form a valid input of their own.
                b.feed(_run(parser, lines[pos:bad]), pos)
            b.bad_line(bad + 1, exc)
            pos = bad + 1
        else:
            b.feed(items, pos)
            pos = stop


def _run(parser: Lark, lines: list[str]) -> list[_Item]:
    return cast(list[_Item], parser.parse("\n".join(lines) + "\n"))


def _pos(tok: Token) -> tuple[int, int]:
    """A token's line and column (lark always sets them)."""
    assert tok.line is not None and tok.column is not None
    return tok.line, tok.column


# ---------------------------------------------------------------------------
# Building the program and checking it


@dataclass(eq=False)
class _Frame:
    """An open ``loop``."""

    loc: SourceLocation
    count: int
    body: list[Stmt] = field(default_factory=list)
    filled: bool = False


@dataclass(eq=False)
class _Core:
    """The code of one core as it is read."""

    index: int | None  # None: after a bad ``.core``; its code is not checked for halt
    loc: SourceLocation | None
    body: list[Stmt] = field(default_factory=list)
    stack: list[_Frame] = field(default_factory=list)
    count: int = 0
    first: SourceLocation | None = None
    last: SourceLocation | None = None
    halt: SourceLocation | None = None
    halt_in_loop: bool = False
    after_halt: bool = False
    last_bad: bool = False  # the last statement is a line with a syntax error


@dataclass(eq=False)
class _Ports:
    """The ``.input`` or ``.output`` declarations."""

    kind: str
    decls: list[PortDecl] = field(default_factory=list)
    numbers: dict[int, SourceLocation] = field(default_factory=dict)
    names: dict[str, SourceLocation] = field(default_factory=dict)


class _Builder:
    """Turns lines into a :class:`Program`, collecting errors."""

    def __init__(self, file: str, lines: list[str]) -> None:
        self.file = file
        self.lines = lines
        self.errors: list[AsmError] = []
        self.target: str | None = None
        self.target_loc: SourceLocation | None = None
        self.scheduled_loc: SourceLocation | None = None
        self.ports = {"input": _Ports("input"), "output": _Ports("output")}
        self.values: dict[str, list[ValueDecl]] = {"const": [], "state": []}
        self.value_names: dict[str, SourceLocation] = {}
        self.shared: list[SharedDecl] = []
        self.shared_names: dict[str, SourceLocation] = {}
        self.cores: dict[int, _Core] = {}
        self.core: _Core | None = None
        self.any_core = False  # any code or '.core' line, even a bad one

    # -- helpers ----------------------------------------------------------

    def loc(self, line: int, column: int, length: int) -> SourceLocation:
        return SourceLocation(self.file, line, column, length, self.lines[line - 1])

    def tok_loc(self, line: int, tok: _Tok) -> SourceLocation:
        return self.loc(line, tok[2], len(tok[1]))

    def error(self, message: str, loc: SourceLocation, notes: Sequence[str] = ()) -> None:
        self.errors.append(AsmError(message, loc, notes=notes))

    def end_loc(self) -> SourceLocation:
        """The end of the file's last non-blank line."""
        for n in range(len(self.lines), 0, -1):
            text = self.lines[n - 1].rstrip()
            if text:
                return self.loc(n, len(text) + 1, 1)
        return SourceLocation(self.file, 1, 1, 1, self.lines[0] if self.lines else "")

    def code_core(self, loc: SourceLocation) -> _Core:
        """The core that code at ``loc`` belongs to (core 0 before any ``.core``)."""
        core = self.core
        if core is None:
            core = self.core = self.cores[0] = _Core(0, None)
            self.any_core = True
        if core.first is None:
            core.first = loc
        core.last_bad = False
        return core

    def check_after_halt(self, core: _Core, loc: SourceLocation) -> None:
        if core.halt is not None and not core.after_halt:
            core.after_halt = True
            self.error("instruction after 'halt'", loc)

    # -- lark items -------------------------------------------------------

    def feed(self, items: list[_Item], offset: int) -> None:
        """Take the items lark produced for lines ``offset + 1 ...``."""
        for kind, tokens in items:
            line = _pos(tokens[0])[0] + offset
            toks = [(t.type, str(t), _pos(t)[1]) for t in tokens]
            if kind == "instr":
                self.instr(line, toks[0][1], toks[0][2], toks[1:])
            elif kind == "loop":
                self.loop(line, toks[0][2], toks[1][1], toks[1][2])
            elif kind == "endloop":
                self.endloop(line, toks[0][2], len(toks[0][1]))
            elif kind == "target":
                self.target_decl(line, toks[1])
            elif kind == "scheduled":
                loc = self.tok_loc(line, toks[0])
                if self.scheduled_loc is not None:
                    self.error(
                        "'.scheduled' is given twice", loc, [f"first given at {self.scheduled_loc}"]
                    )
                else:
                    self.scheduled_loc = loc
            elif kind in ("input", "output"):
                self.port_decl(kind, line, toks[1], toks[2], toks[3] if len(toks) > 3 else None)
            elif kind in ("const", "state"):
                self.value_decls(kind, line, toks[1:])
            elif kind == "shared":
                self.shared_decls(line, toks[1:])
            elif kind == "core":
                self.core_directive(self.tok_loc(line, toks[0]), line, toks[1])
            elif kind == "phase":
                self.phase(line, toks[0], toks[1])
            else:  # pragma: no cover - the grammar has no other statements
                raise AssertionError(kind)

    # -- declarations -----------------------------------------------------

    def target_decl(self, line: int, tok: _Tok) -> None:
        loc = self.tok_loc(line, tok)
        if self.target_loc is not None:
            self.error("'.target' is given twice", loc, [f"first given at {self.target_loc}"])
            return
        text = tok[1]
        if text.startswith('"'):
            text = re.sub(r'\\(["\\])', r"\1", text[1:-1])  # other backslashes stay
        self.target, self.target_loc = text, loc

    def port_decl(self, kind: str, line: int, name: _Tok, number: _Tok, fmt: _Tok | None) -> None:
        ports = self.ports[kind]
        ok = True
        name_loc = self.tok_loc(line, name)
        first = ports.names.get(name[1])
        if first is not None:
            ok = False
            self.error(
                f"{kind} name '{name[1]}' is bound twice", name_loc, [f"first bound at {first}"]
            )
        else:
            ports.names[name[1]] = name_loc
        num_loc = self.tok_loc(line, number)
        n = int(number[1]) if _INT.match(number[1]) else -1
        if n < 0:
            ok = False
            self.error(f"port number must be a non-negative integer, got {number[1]}", num_loc)
        elif n in ports.numbers:
            ok = False
            first = ports.numbers[n]
            self.error(f"{kind} port {n} is bound twice", num_loc, [f"first bound at {first}"])
        else:
            ports.numbers[n] = num_loc
        canonical: str | None = None
        if fmt is not None:
            try:
                canonical = parse_format(fmt[1]).name
            except ValueError as exc:
                ok = False
                self.error(str(exc), self.tok_loc(line, fmt))
        if ok:
            ports.decls.append(PortDecl(name[1], n, name_loc, canonical))

    def value_decls(self, kind: str, line: int, toks: list[_Tok]) -> None:
        """``name = value`` pairs: ``toks`` alternates names and values."""
        for name, value in zip(toks[::2], toks[1::2], strict=True):
            loc = self.tok_loc(line, name)
            first = self.value_names.get(name[1])
            if first is not None:
                self.error(f"'{name[1]}' is declared twice", loc, [f"first declared at {first}"])
                continue
            self.value_names[name[1]] = loc
            text = value[1]
            if value[0] == "VALUE_WORD" and text.lower() not in _SPECIAL_VALUES:
                self.error(f"'{text}' is not a number", self.tok_loc(line, value))
                continue
            self.values[kind].append(ValueDecl(name[1], float(text), text, loc))

    def shared_decls(self, line: int, toks: list[_Tok]) -> None:
        for name in toks:
            loc = self.tok_loc(line, name)
            first = self.shared_names.get(name[1])
            if first is not None:
                self.error(f"'{name[1]}' is declared twice", loc, [f"first declared at {first}"])
                continue
            self.shared_names[name[1]] = loc
            self.shared.append(SharedDecl(name[1], loc))

    # -- code -------------------------------------------------------------

    def core_directive(self, loc: SourceLocation, line: int, number: _Tok | None) -> None:
        if self.core is not None:
            self.finish_core(self.core)
        index: int | None = None
        if number is not None:
            if _INT.match(number[1]):
                index = int(number[1])
            else:
                self.error(
                    f"core number must be a non-negative integer, got {number[1]}",
                    self.tok_loc(line, number),
                )
        core = _Core(index, loc)
        self.core = core
        self.any_core = True
        if index is None:
            return
        old = self.cores.get(index)
        if old is None:
            self.cores[index] = core
        elif old.loc is not None:
            self.error(f"'.core {index}' is given twice", loc, [f"first given at {old.loc}"])
        else:
            where = old.first if old.first is not None else loc
            self.error(
                "'.core 0' after code that already belongs to core 0",
                loc,
                [f"code before any '.core' belongs to core 0; it starts at {where}"],
            )

    def phase(self, line: int, keyword: _Tok, name: _Tok) -> None:
        loc = self.tok_loc(line, name)
        core = self.code_core(loc)
        if core.stack:
            self.error("'.phase' may not stand inside a loop", self.tok_loc(line, keyword))
            return
        if core.halt is not None:
            self.error("'.phase' after 'halt'", self.tok_loc(line, keyword))
            return
        core.body.append(PhaseMark(name[1], loc))
        core.last = loc

    def loop(self, line: int, column: int, count: str, count_column: int) -> None:
        loc = self.loc(line, column, 4)
        core = self.code_core(loc)
        self.check_after_halt(core, loc)
        n = int(count) if _INT.match(count) else 0
        if not 1 <= n <= _MAX_LOOP:
            self.error(
                f"loop count must be an integer from 1 to {_MAX_LOOP}, got {count}",
                self.loc(line, count_column, len(count)),
            )
            n = 1
        core.stack.append(_Frame(loc, n))
        core.last = loc

    def endloop(self, line: int, column: int, length: int) -> None:
        loc = self.loc(line, column, length)
        core = self.code_core(loc)
        if not core.stack:
            self.error("'endloop' without 'loop'", loc)
            return
        self.close_loop(core, loc)
        core.last = loc

    def close_loop(self, core: _Core, end_loc: SourceLocation) -> None:
        frame = core.stack.pop()
        if not frame.filled:
            self.error("loop body is empty", frame.loc)
        loop = Loop(frame.count, tuple(frame.body), frame.loc, end_loc)
        if core.stack:
            core.stack[-1].body.append(loop)
            core.stack[-1].filled = True
        else:
            core.body.append(loop)

    def instr(self, line: int, mnemonic: str, column: int, raw: list[_Tok]) -> None:
        text = self.lines[line - 1]
        file = self.file
        loc = SourceLocation(file, line, column, len(mnemonic), text)
        core = self.core
        if core is None or core.first is None or core.last_bad:
            core = self.code_core(loc)
        if core.halt is not None:
            self.check_after_halt(core, loc)
        name = mnemonic.lower()
        roles = _ROLES[name]
        operands: tuple[Operand, ...] = ()
        if len(raw) != len(roles):
            self.operand_count_error(name, len(raw), loc)
        else:
            out: list[Operand] = []
            plain = True
            for role, (kind, value, col) in zip(roles, raw, strict=False):  # same length
                oloc = SourceLocation(file, line, col, len(value), text)
                if kind == "NAME" and role in _CELL_ROLES:
                    out.append(Cell(value, oloc))
                else:
                    plain = False
                    out.append(self.operand(name, role, kind, value, oloc))
            if plain:
                operands = tuple(out)
            else:
                self.check_shared_sources(roles, out)
                operands = tuple(op for op in out if op is not _BAD)
        instr = Instr(name, operands, loc, core.count)
        core.count += 1
        core.last = loc
        if core.stack:
            frame = core.stack[-1]
            frame.body.append(instr)
            frame.filled = True
        else:
            core.body.append(instr)
        if name == "halt":
            if core.stack:
                core.halt_in_loop = True
                self.error("'halt' may not stand inside a loop", loc)
            elif core.halt is None:
                core.halt = loc

    def operand_count_error(self, name: str, count: int, loc: SourceLocation) -> None:
        form = _OPS[name].form
        if form is Form.NONE:
            self.error(f"'{name}' takes no operands, got {count}", loc)
        else:
            self.error(f"'{name}' takes {form.arity} operands ({form.value}), got {count}", loc)

    def operand(self, name: str, role: str, kind: str, value: str, loc: SourceLocation) -> Operand:
        """An operand that is not simply a cell name where a cell belongs, checked."""
        if role == "port":
            if kind == "NAME":
                return PortRef(loc, name=value)
            if kind == "NUMBER" and _INT.match(value):
                return PortRef(loc, number=int(value))
            self.error(
                f"the port of '{name}' must be a non-negative integer or a name, got {value}", loc
            )
            return _BAD
        operand: Operand
        if kind == "NAME":
            operand = Cell(value, loc)
        elif kind == "SHARED_NAME":
            operand = Shared(value[1:], loc)
        else:
            operand = Literal(float(value), value, loc)
        problem: str | None = None
        if role in ("dest", "dest_src", "local_dest") and kind == "NUMBER":
            problem = f"the destination of '{name}' must be a cell, not a number"
        elif role == "local_dest" and kind == "SHARED_NAME":
            problem = f"the destination of '{name}' must be a local cell"
        elif role == "shared_dest" and kind != "SHARED_NAME":
            problem = f"the destination of '{name}' must be a shared cell (@name)"
        elif role == "shared_src" and kind != "SHARED_NAME":
            problem = f"the source of '{name}' must be a shared cell (@name)"
        elif role == "local_src" and kind == "SHARED_NAME":
            problem = f"the source of '{name}' must be a local cell or a number"
        if problem is not None:
            self.error(problem, loc)
            return _BAD
        return operand

    def check_shared_sources(self, roles: tuple[str, ...], operands: list[Operand]) -> None:
        sources = [
            op
            for role, op in zip(roles, operands, strict=True)
            if role in _SOURCE_ROLES and isinstance(op, Shared)
        ]
        if len(sources) > 1:
            self.error(
                "at most one source of an instruction may be in shared memory", sources[1].loc
            )

    # -- lines lark could not parse -----------------------------------------

    def bad_line(self, line: int, exc: UnexpectedInput) -> None:
        """Report a line lark rejected; stand in for it so no follow-on errors appear."""
        text = self.lines[line - 1]
        message, column, length, kind = _diagnose(text, exc)
        loc = self.loc(line, column, length)
        self.error(message, loc)
        head = _HEAD.match(text)
        head_loc = self.loc(line, head.start(1) + 1, len(head.group(1))) if head else loc
        if kind in ("instr", "halt"):
            core = self.code_core(head_loc)
            core.last = head_loc
            core.last_bad = True
            if core.stack:
                core.stack[-1].filled = True
                core.halt_in_loop = core.halt_in_loop or kind == "halt"
            elif kind == "halt" and core.halt is None:
                core.halt = head_loc
        elif kind == "loop":
            core = self.code_core(head_loc)
            core.stack.append(_Frame(head_loc, 1, filled=False))
            core.last = head_loc
        elif kind == "endloop":
            core = self.code_core(head_loc)
            if core.stack:
                self.close_loop(core, head_loc)
            core.last = head_loc
        elif kind == ".core":
            self.core_directive(head_loc, line, None)

    # -- the end ----------------------------------------------------------

    def finish_core(self, core: _Core) -> None:
        while core.stack:
            frame = core.stack[-1]
            self.error("'loop' without 'endloop'", frame.loc)
            frame.filled = True  # one error for it is enough
            self.close_loop(core, frame.loc)
        if core.index is None or core.halt is not None or core.halt_in_loop or core.last_bad:
            return
        where = core.last or core.loc or self.end_loc()
        self.error(f"core {core.index} does not end with 'halt'", where)

    def finish(self) -> Program:
        if self.core is not None:
            self.finish_core(self.core)
        if not self.any_core:
            self.error("core 0 does not end with 'halt'", self.end_loc())
        cores = tuple(
            CoreCode(index, tuple(core.body), core.loc)
            for index, core in sorted(self.cores.items())
        )
        return Program(
            file=self.file,
            cores=cores,
            target=self.target,
            target_loc=self.target_loc,
            inputs=tuple(self.ports["input"].decls),
            outputs=tuple(self.ports["output"].decls),
            consts=tuple(self.values["const"]),
            states=tuple(self.values["state"]),
            shared=tuple(self.shared),
            scheduled_loc=self.scheduled_loc,
        )


# Operand roles per form: how each operand is used and checked.
_FORM_ROLES: dict[Form, tuple[str, ...]] = {
    Form.DAB: ("dest", "src", "src"),
    Form.DA: ("dest", "src"),
    Form.DAC: ("dest_src", "src", "src"),
    Form.IN: ("dest", "port"),
    Form.OUT: ("port", "src"),
    Form.LDS: ("local_dest", "shared_src"),
    Form.STS: ("shared_dest", "local_src"),
    Form.NONE: (),
}
_ROLES: dict[str, tuple[str, ...]] = {op.mnemonic: _FORM_ROLES[op.form] for op in ISA}
# Roles where a plain name is a local cell and needs no further check.
_CELL_ROLES = frozenset({"dest", "dest_src", "src", "local_dest", "local_src"})
# Roles that read a cell (cmov's d is read as well as written).
_SOURCE_ROLES = frozenset({"src", "dest_src", "shared_src"})
# Stands in for an operand with an error (never part of a returned program).
_BAD = Cell("", SourceLocation("<error>", 1))


# ---------------------------------------------------------------------------
# Syntax error messages

_HEAD = re.compile(rf"[ \t\f\r]*(\.?{IDENT_RE})")
_OPERAND_TOKEN = re.compile(rf"@?{IDENT_RE}|{NUMBER_RE}(?![\w.])")
_WORD = re.compile(r"[^\s,;#=]+")
_KEYWORDS = ("loop", "endloop")
# Suggestions for an unknown word at the start of a line: what the user may
# have meant (a directive written without its dot included).
_LINE_WORDS = {op.mnemonic: op.mnemonic for op in ISA} | {k: k for k in _KEYWORDS}
_LINE_WORDS |= {d[1:]: d for d in DIRECTIVES if d[1:] not in _LINE_WORDS}
_DIRECTIVE_WORDS = {d: d for d in DIRECTIVES}

# What a terminal is called in "expected ..." messages, in the order listed.
_DESCRIPTIONS = {
    "_EQUAL": "'='",
    "_COMMA": "','",
    "NAME": "a name",
    "NUMBER": "a number",
    "VALUE_WORD": "a number",
    "SHARED_NAME": "a shared cell (@name)",
    "TARGET_WORD": "a target name or a quoted path",
    "STRING": "a target name or a quoted path",
    "_NL": "end of line",
}


def _line_kind(head: str) -> str:
    word = head.lower()
    if word == "halt":
        return "halt"
    if word in _OPS:
        return "instr"
    if word in _KEYWORDS or word in DIRECTIVES:
        return word
    return "other"


def _code_part(line: str) -> str:
    """The line without its comment (a ``;`` or ``#`` outside a quoted string)."""
    quoted = False
    escaped = False
    for i, c in enumerate(line):
        if escaped:
            escaped = False
        elif quoted and c == "\\":
            escaped = True
        elif c == '"':
            quoted = not quoted
        elif c in ";#" and not quoted:
            return line[:i]
    return line


def _suggest(word: str, candidates: Mapping[str, str]) -> str:
    close = difflib.get_close_matches(word.lower(), list(candidates), n=1)
    return f" (did you mean '{candidates[close[0]]}'?)" if close else ""


def _diagnose(line: str, exc: UnexpectedInput) -> tuple[str, int, int, str]:
    """Message, column, length and line kind for a line lark rejected."""
    code = _code_part(line).rstrip()
    column = exc.column if isinstance(exc.column, int) and exc.column > 0 else len(code) + 1
    at_eol = column > len(code) or (
        isinstance(exc, UnexpectedToken) and exc.token.type in ("_NL", "$END")
    )
    if at_eol:
        column = len(code) + 1
    rest = "" if at_eol else code[column - 1 :]
    head = _HEAD.match(line)
    if head is None or head.start(1) + 1 >= column:
        # The line does not start with a known word.
        if head is not None:
            word = head.group(1)
            if word.startswith("."):
                message = f"unknown directive '{word}'" + _suggest(word, _DIRECTIVE_WORDS)
                return message, head.start(1) + 1, len(word), "other"
            message = f"unknown mnemonic '{word}'" + _suggest(word, _LINE_WORDS)
            return message, head.start(1) + 1, len(word), "instr"
        got = _WORD.match(rest)
        got_text = got.group() if got else rest[:1]
        return (
            f"expected an instruction or a directive, got '{got_text}'",
            column,
            len(got_text),
            "other",
        )
    kind = _line_kind(head.group(1))
    if kind in ("instr", "halt"):
        message, column, length = _diagnose_operands(code, column, rest)
        return message, column, length, kind
    if rest.startswith('"'):
        return "unterminated string", column, len(rest), kind
    expected: set[str] = set()
    if isinstance(exc, UnexpectedToken):
        expected = set(exc.expected)
    elif isinstance(exc, UnexpectedCharacters) and exc.allowed:
        expected = set(exc.allowed)
    names = _describe(kind, expected)
    if at_eol:
        got_text, length = "end of line", 1
    else:
        word = _WORD.match(rest)
        token = word.group() if word else rest[0]
        got_text, length = f"'{token}'", len(token)
    if not names:  # pragma: no cover - lark always says what it expected
        return f"unexpected {got_text}", column, length, kind
    return f"expected {_join(names)}, got {got_text}", column, length, kind


def _describe(kind: str, expected: set[str]) -> list[str]:
    names: list[str] = []
    for terminal, description in _DESCRIPTIONS.items():
        if terminal not in expected:
            continue
        if kind == "loop" and terminal in ("NUMBER", "NAME"):
            description = "a loop count"
        elif kind == ".core" and terminal == "NUMBER":
            description = "a core number"
        elif kind == ".phase" and terminal == "NAME":
            description = "a phase name"
        elif kind in (".input", ".output"):
            if terminal == "NUMBER":
                description = "a port number"
            elif terminal == "NAME":
                description = "a port name" if expected == {"NAME"} else "a port format"
        if description not in names:
            names.append(description)
    return names


def _join(names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


def _diagnose_operands(code: str, column: int, rest: str) -> tuple[str, int, int]:
    prev = code[: column - 1].rstrip()
    if prev.endswith(","):
        if not rest or rest.startswith(","):
            return "expected an operand after ','", len(prev), 1
    elif rest.startswith(","):
        return "expected an operand before ','", column, 1
    elif token := _OPERAND_TOKEN.match(rest):
        return "expected ',' between operands", column, len(token.group())
    if rest.startswith("@"):
        return "expected a name after '@'", column, 1
    word = _WORD.match(rest)
    if word and (word.group()[0].isalnum() or word.group()[0] in "+-._"):
        return f"invalid operand '{word.group()}'", column, len(word.group())
    if not rest:  # pragma: no cover - an instruction line may end after any operand
        return "unexpected end of line", column, 1
    return f"unexpected character '{rest[0]}'", column, 1
