"""The canonical printer: exact layout, and print/parse round trips of random programs."""

from __future__ import annotations

import dataclasses
import functools
import math
import operator
import string
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from irshape import shape

from vtc.compiler.asm.parser import _parse, parse
from vtc.compiler.asm.printer import format_operand, format_program
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
from vtc.compiler.errors import SourceLocation
from vtc.compiler.machine.isa import ISA, Form

L = SourceLocation("<made>", 1)


def test_layout_of_a_program() -> None:
    text = (
        "; comments go\n"
        ".shared s\n.state acc=0.0\n.const k=2.0,half=.5\n.output y,1,Q1.15\n.input x 0\n"
        '.target "my targets/t.toml"\n'
        "IN a,x\nloop 4\nloop 2\nMUL b,a,k\nendloop\nADD acc,acc,@s\nendloop\n"
        "cmov acc, 1e-3, b\nout y,acc\nsts @s,acc\nhalt\n"
    )
    assert format_program(parse(text)) == (
        '.target "my targets/t.toml"\n'
        ".input x 0\n"
        ".output y 1 q1.15\n"
        ".const k = 2.0\n"
        ".const half = .5\n"
        ".state acc = 0.0\n"
        ".shared s\n"
        "\n"
        "    in    a, x\n"
        "    loop 4\n"
        "        loop 2\n"
        "            mul   b, a, k\n"
        "        endloop\n"
        "        add   acc, acc, @s\n"
        "    endloop\n"
        "    cmov  acc, 1e-3, b\n"
        "    out   y, acc\n"
        "    sts   @s, acc\n"
        "    halt\n"
    )


def test_layout_of_several_cores_and_phases() -> None:
    text = ".core 1\n.phase b\nnop\nhalt\n.core 0\n.phase a\nhalt\n"
    assert format_program(parse(text)) == (
        ".core 0\n.phase a\n    halt\n\n.core 1\n.phase b\n    nop\n    halt\n"
    )
    text = ".core 1\nhalt\n"
    assert format_program(parse(text)) == ".core 1\n    halt\n"


def test_section_2_example_prints_canonically() -> None:
    text = (
        ".input x 0\n.output y 0\n.const k = 2.0\n"
        "    in  a, x\n    mul b, a, k\n    add c, b, a\n    out y, c\n    halt\n"
    )
    assert format_program(parse(text)) == (
        ".input x 0\n.output y 0\n.const k = 2.0\n\n"
        "    in    a, x\n    mul   b, a, k\n    add   c, b, a\n    out   y, c\n    halt\n"
    )


@pytest.mark.parametrize(
    ("target", "printed"),
    [
        ("zynq7020-single", "zynq7020-single"),
        ("t.toml", "t.toml"),
        ("../t.toml", '"../t.toml"'),
        ('a "b" \\c', '"a \\"b\\" \\\\c"'),
        ("", '""'),
    ],
)
def test_targets_are_bare_when_possible_and_quoted_otherwise(target: str, printed: str) -> None:
    p = Program("<string>", (CoreCode(0, (Instr("halt", (), L, 0),)),), target=target)
    text = format_program(p)
    assert text.splitlines()[0] == f".target {printed}"
    assert parse(text).target == target


def test_values_and_literals_without_text_are_spelled_by_value() -> None:
    assert format_operand(Literal(0.1, "", L)) == "0.1"
    assert format_operand(PortRef(L, number=3)) == "3"
    assert format_operand(PortRef(L, name="x")) == "x"
    with pytest.raises(ValueError, match=r"declare it with \.const"):
        format_operand(Literal(math.inf, "", L))
    p = Program(
        "<string>",
        (CoreCode(0, (Instr("halt", (), L, 0),)),),
        consts=(ValueDecl("a", -math.inf, "", L), ValueDecl("b", math.nan, "", L)),
        states=(ValueDecl("c", 1e-300, "", L),),
    )
    assert format_program(p).splitlines()[:3] == [
        ".const a = -inf",
        ".const b = nan",
        ".state c = 1e-300",
    ]


# ---------------------------------------------------------------------------
# Random valid programs

_FIRST = string.ascii_letters + "_"
_names = st.builds(
    operator.add, st.sampled_from(_FIRST), st.text(_FIRST + string.digits + ".", max_size=5)
)
_number_texts = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.builds(
        "{}{}{}".format,
        st.sampled_from(["", "+", "-"]),
        st.sampled_from(["0", "12", "7.", ".5", "3.25", "0.000"]),
        st.sampled_from(["", "e5", "E-3", "e+07"]),
    ),
)
_value_texts = st.one_of(_number_texts, st.sampled_from(["inf", "-inf", "+inf", "nan", "NaN"]))
_formats = st.sampled_from([None, "f32", "f64", "i8", "i16", "i32", "u8", "u16", "u32", "q4.12"])
_targets = st.one_of(
    st.none(),
    st.text(string.ascii_letters + string.digits + "_.-", min_size=1, max_size=12).filter(
        lambda t: t[0] not in ".-"
    ),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"), max_size=12),
)


_KINDS = {
    "dest": ("cell", "shared"),
    "src": ("cell", "shared", "literal"),
    "local_dest": ("cell",),
    "shared_src": ("shared",),
    "shared_dest": ("shared",),
    "local_src": ("cell", "literal"),
    "port": ("number", "name"),
}


@st.composite
def _operand(draw: st.DrawFn, role: str) -> Operand:
    kind = draw(st.sampled_from(_KINDS[role]))
    if kind == "number":
        return PortRef(L, number=draw(st.integers(0, 300)))
    if kind == "name":
        return PortRef(L, name=draw(_names))
    if kind == "literal":
        text = draw(_number_texts)
        return Literal(float(text), text, L)
    if kind == "shared":
        return Shared(draw(_names), L)
    return Cell(draw(_names), L)


_ROLES = {
    Form.DAB: ("dest", "src", "src"),
    Form.DA: ("dest", "src"),
    Form.DAC: ("dest", "src", "src"),
    Form.IN: ("dest", "port"),
    Form.OUT: ("port", "src"),
    Form.LDS: ("local_dest", "shared_src"),
    Form.STS: ("shared_dest", "local_src"),
    Form.NONE: (),
}
_OPS = [op for op in ISA if op.mnemonic != "halt"]
_OPERANDS = {role: _operand(role) for role in _KINDS}


@st.composite
def _instr_spec(draw: st.DrawFn) -> tuple[str, tuple[Operand, ...]]:
    op = draw(st.sampled_from(_OPS))
    roles = _ROLES[op.form]
    operands = [draw(_OPERANDS[role]) for role in roles]
    # At most one source in shared memory (cmov's d is a source too).
    sources = [i for i, role in enumerate(roles) if role in ("src", "shared_src")]
    if op.form is Form.DAC:
        sources.insert(0, 0)
    shared = [i for i in sources if isinstance(operands[i], Shared)]
    for i in shared[1:]:
        operands[i] = Cell(draw(_names), L)
    return op.mnemonic, tuple(operands)


@functools.cache
def _body(depth: int) -> st.SearchStrategy[list[Any]]:
    """Statement specs: instruction specs and ("loop", count, body) triples."""
    stmt: st.SearchStrategy[Any] = _instr_spec()
    if depth < 2:
        loops = st.tuples(
            st.just("loop"), st.integers(1, 65535), st.deferred(lambda: _body(depth + 1))
        )
        stmt = st.one_of(stmt, loops)
    return st.lists(stmt, min_size=1, max_size=4 - depth)


class _Indexer:
    def __init__(self) -> None:
        self.next = 0

    def build(self, specs: list[Any]) -> tuple[Stmt, ...]:
        out: list[Stmt] = []
        for spec in specs:
            if spec[0] == "loop":
                out.append(Loop(spec[1], self.build(spec[2]), L, L))
            else:
                out.append(Instr(spec[0], spec[1], L, self.next))
                self.next += 1
        return tuple(out)


@st.composite
def _core(draw: st.DrawFn, index: int) -> CoreCode:
    specs = draw(st.lists(_body(0), max_size=2))
    phases = draw(st.lists(_names, min_size=len(specs), max_size=len(specs)))
    indexer = _Indexer()
    body: list[Stmt] = []
    for phase, part in zip(phases, specs, strict=True):
        if draw(st.booleans()):
            body.append(PhaseMark(phase, L))
        body.extend(indexer.build(part))
    body.append(Instr("halt", (), L, indexer.next))
    return CoreCode(index, tuple(body), L)


@st.composite
def _port_decls(draw: st.DrawFn) -> tuple[PortDecl, ...]:
    names = draw(st.lists(_names, unique=True, max_size=4))
    numbers = draw(
        st.lists(st.integers(0, 64), unique=True, min_size=len(names), max_size=len(names))
    )
    return tuple(
        PortDecl(name, number, L, draw(_formats))
        for name, number in zip(names, numbers, strict=True)
    )


@st.composite
def programs(draw: st.DrawFn) -> Program:
    """Random valid programs (what the parser accepts), locations all dummies."""
    values = draw(
        st.lists(
            st.tuples(_names, _value_texts, st.booleans()), max_size=6, unique_by=lambda t: t[0]
        )
    )
    decls = [(ValueDecl(n, float(t), t, L), is_const) for n, t, is_const in values]
    indices = draw(st.lists(st.integers(0, 7), unique=True, min_size=1, max_size=2))
    cores = tuple(draw(_core(i)) for i in sorted(indices))
    if len(cores) == 1 and cores[0].index == 0:
        cores = (dataclasses.replace(cores[0], loc=None),)
    return Program(
        file="<string>",
        cores=cores,
        target=draw(_targets),
        inputs=draw(_port_decls()),
        outputs=draw(_port_decls()),
        consts=tuple(d for d, is_const in decls if is_const),
        states=tuple(d for d, is_const in decls if not is_const),
        shared=tuple(SharedDecl(n, L) for n in draw(st.lists(_names, unique=True, max_size=3))),
    )


@given(programs())
@settings(max_examples=150, deadline=None)
def test_print_parse_round_trip(program: Program) -> None:
    text = format_program(program)
    parsed = parse(text)
    assert shape(parsed) == shape(program)
    assert format_program(parsed) == text
    assert repr(_parse(text, "<string>", fast=False)) == repr(parsed)  # lark alone agrees


@given(programs())
@settings(max_examples=30, deadline=None)
def test_printed_text_locations_point_at_the_printed_lines(program: Program) -> None:
    text = format_program(program)
    lines = text.split("\n")  # not splitlines(): a target may hold "\x1e", "\f", ...
    parsed = parse(text, "p.s")
    for core in parsed.cores:
        for stmt in core.body:
            assert stmt.loc.text == lines[stmt.loc.line - 1]
            if isinstance(stmt, Instr):
                start = stmt.loc.column - 1
                assert lines[stmt.loc.line - 1][start : start + stmt.loc.length] == stmt.mnemonic
