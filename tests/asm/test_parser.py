"""The assembly parser: syntax, the IR it builds, and every error it reports."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from irshape import shape

from vtc.compiler.asm.grammar import opcode_pattern
from vtc.compiler.asm.parser import _parse, parse, parse_file
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
    walk_instrs,
)
from vtc.compiler.errors import AsmError, SourceLocation, VtcError, VtcErrors
from vtc.compiler.machine.isa import ISA, Form, OpInfo


def errors_of(text: str, file: str = "p.s") -> str:
    with pytest.raises(VtcError) as info:
        parse(text, file)
    return info.value.format()


# Builders for expected programs (locations are ignored by shape()).
L = SourceLocation("<expected>", 1)


def c(name: str) -> Cell:
    return Cell(name, L)


def sh(name: str) -> Shared:
    return Shared(name, L)


def lit(text: str) -> Literal:
    return Literal(float(text), text, L)


def port(ref: int | str) -> PortRef:
    return PortRef(L, number=ref) if isinstance(ref, int) else PortRef(L, name=ref)


def ins(mnemonic: str, *operands: Operand, index: int) -> Instr:
    return Instr(mnemonic, operands, L, index)


def loop(count: int, *body: Stmt) -> Loop:
    return Loop(count, body, L, L)


def value(name: str, text: str) -> ValueDecl:
    return ValueDecl(name, float(text), text, L)


def program(*body: Stmt, **decls: Any) -> Program:
    return Program(file="<string>", cores=(CoreCode(0, body),), **decls)


# ---------------------------------------------------------------------------
# Instructions


def _valid_operands(op: OpInfo) -> tuple[str, tuple[Operand, ...]]:
    """A valid operand list for an instruction form, and what it parses to."""
    return {
        Form.DAB: ("d, a, 0.5", (c("d"), c("a"), lit("0.5"))),
        Form.DA: ("d, @a", (c("d"), sh("a"))),
        Form.DAC: ("d, a, cond", (c("d"), c("a"), c("cond"))),
        Form.IN: ("d, 3", (c("d"), port(3))),
        Form.OUT: ("y, a", (port("y"), c("a"))),
        Form.LDS: ("d, @s", (c("d"), sh("s"))),
        Form.STS: ("@s, -2", (sh("s"), lit("-2"))),
        Form.NONE: ("", ()),
    }[op.form]


@pytest.mark.parametrize("op", ISA, ids=lambda op: op.mnemonic)
def test_every_mnemonic_parses(op: OpInfo) -> None:
    text, operands = _valid_operands(op)
    source = f"    {op.mnemonic} {text}\n" + ("" if op.mnemonic == "halt" else "halt\n")
    got = parse(source)
    first = got.cores[0].body[0]
    assert isinstance(first, Instr)
    assert shape(first) == shape(ins(op.mnemonic, *operands, index=0))
    assert first.loc.line == 1 and first.loc.column == 5 and first.loc.length == len(op.mnemonic)


@pytest.mark.parametrize("op", ISA, ids=lambda op: op.mnemonic)
def test_every_mnemonic_checks_its_operand_count(op: OpInfo) -> None:
    text, operands = _valid_operands(op)
    source = f"{op.mnemonic} {text}, x\nhalt\n" if operands else f"{op.mnemonic} x\nhalt\n"
    expected = (
        f"'{op.mnemonic}' takes {op.form.arity} operands ({op.form.value}), got {len(operands) + 1}"
        if operands
        else f"'{op.mnemonic}' takes no operands, got 1"
    )
    assert errors_of(source).splitlines()[0] == f"p.s:1:1: error: {expected}"


def test_the_opcode_terminal_is_the_isa_table() -> None:
    pattern = re.compile(opcode_pattern())
    for op in ISA:
        assert pattern.fullmatch(op.mnemonic)
    for word in ("ad", "addd", "exp3", "loop", "add.x", "in_"):
        assert not pattern.fullmatch(word)


def test_mnemonics_and_directives_are_case_insensitive_names_are_not() -> None:
    got = parse(".INPUT X 0\n.Const K = 1\nLOOP 2\nMul T, X1, K\nENDLOOP\nIn T, X\nHALT\n")
    assert [d.name for d in got.inputs] == ["X"]
    assert [d.name for d in got.consts] == ["K"]
    assert shape(got.cores[0].body) == shape(
        (
            loop(2, ins("mul", c("T"), c("X1"), c("K"), index=0)),
            ins("in", c("T"), port("X"), index=1),
            ins("halt", index=2),
        )
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.5", 0.5),
        ("-2", -2.0),
        ("+3", 3.0),
        ("1e-3", 1e-3),
        ("2.5E+2", 250.0),
        (".25", 0.25),
        ("7.", 7.0),
        ("-0.0", -0.0),
    ],
)
def test_literals_keep_their_text(text: str, expected: float) -> None:
    got = parse(f"mul t, x, {text}\nhalt\n")
    operand = next(walk_instrs(got.cores[0].body)).operands[2]
    assert isinstance(operand, Literal)
    assert operand.text == text
    assert math.copysign(1, operand.value) == math.copysign(1, expected)
    assert operand.value == expected


def test_names_may_hold_dots_and_look_like_keywords() -> None:
    got = parse("mov loop, in.x\nadd max, inf, _nan.2\nhalt\n")
    body = got.cores[0].body
    assert shape(body[:2]) == shape(
        (
            ins("mov", c("loop"), c("in.x"), index=0),
            ins("add", c("max"), c("inf"), c("_nan.2"), index=1),
        )
    )


def test_operands_need_no_spaces_and_comments_are_ignored() -> None:
    text = "add\tt,a,b;comment, with, commas\nsub t , @s ,1 # hash comment\n; whole line\n\nhalt"
    got = parse(text)
    assert shape(got.cores[0].body) == shape(
        (
            ins("add", c("t"), c("a"), c("b"), index=0),
            ins("sub", c("t"), sh("s"), lit("1"), index=1),
            ins("halt", index=2),
        )
    )


def test_locations_name_line_column_length_and_source_line() -> None:
    text = "; head\n\tmul  tmp, x1, 0.25   ; c\nhalt\n"
    instr = parse(text, "f.s").cores[0].body[0]
    assert isinstance(instr, Instr)
    line = "\tmul  tmp, x1, 0.25   ; c"
    assert instr.loc == SourceLocation("f.s", 2, 2, 3, line)
    assert [op.loc for op in instr.operands] == [
        SourceLocation("f.s", 2, 7, 3, line),
        SourceLocation("f.s", 2, 12, 2, line),
        SourceLocation("f.s", 2, 16, 4, line),
    ]


def test_crlf_line_endings_missing_final_newline_and_byte_order_mark() -> None:
    got = parse("\ufeff.input x 0\r\nin a, x\r\nhalt")
    assert got.inputs[0].loc.column == 8
    assert got.inputs[0].loc.text == ".input x 0"
    assert [i.mnemonic for i in walk_instrs(got.cores[0].body)] == ["in", "halt"]


# ---------------------------------------------------------------------------
# Directives


def test_declarations() -> None:
    text = (
        ".target zynq7020-double\n"
        ".input  x, 0, i16\n"
        ".input  z 3 Q4.12\n"
        ".output y 1 single\n"
        ".output w, 2\n"
        ".const  k = 2.0, m = -1e3\n"
        ".state  s = 0, p = inf, q = -INF, r = nan\n"
        ".shared a, b.c\n"
        "halt\n"
    )
    got = parse(text)
    assert got.target == "zynq7020-double"
    assert got.target_loc == SourceLocation("<string>", 1, 9, 15, ".target zynq7020-double")
    assert [(d.name, d.number, d.format) for d in got.inputs] == [
        ("x", 0, "i16"),
        ("z", 3, "q4.12"),
    ]
    assert [(d.name, d.number, d.format) for d in got.outputs] == [("y", 1, "f32"), ("w", 2, None)]
    assert shape(got.consts) == shape((value("k", "2.0"), value("m", "-1e3")))
    assert shape(got.states) == shape(
        (value("s", "0"), value("p", "inf"), value("q", "-INF"), value("r", "nan"))
    )
    assert [d.name for d in got.shared] == ["a", "b.c"]
    assert got.inputs[1].loc == SourceLocation("<string>", 3, 9, 1, ".input  z 3 Q4.12")


@pytest.mark.parametrize(
    ("line", "target"),
    [
        (".target bench-large", "bench-large"),
        (".target my-target.toml", "my-target.toml"),
        ('.target "../targets/my target.toml"  ; a path', "../targets/my target.toml"),
        ('.target "C:\\\\t\\"q\\".toml"', 'C:\\t"q".toml'),
        ('.target "a;b#c"', "a;b#c"),
        ('.target "C:\\dir\\t.toml"', "C:\\dir\\t.toml"),
    ],
)
def test_target_names_and_paths(line: str, target: str) -> None:
    assert parse(f"{line}\nhalt\n").target == target


def test_cores_and_phases() -> None:
    text = ".phase load\nmov a, b\nhalt\n.core 2\nnop\n.phase run\nhalt\n.core 1\nhalt\n"
    got = parse(text)
    assert [core.index for core in got.cores] == [0, 1, 2]
    assert got.cores[0].loc is None
    assert got.cores[2].loc == SourceLocation("<string>", 4, 1, 5, ".core 2")
    assert shape(got.cores[0].body) == shape(
        (PhaseMark("load", L), ins("mov", c("a"), c("b"), index=0), ins("halt", index=1))
    )
    assert shape(got.cores[2].body) == shape(
        (ins("nop", index=0), PhaseMark("run", L), ins("halt", index=1))
    )


def test_loops_nest_and_index_counts_instructions_in_program_order() -> None:
    text = (
        "in a, 0\n"
        "loop 3\n"
        "    add acc, acc, a\n"
        "    loop 65535\n"
        "        mul b, b, 2\n"
        "        sub c, c, b\n"
        "    endloop\n"
        "    out 1, acc\n"
        "endloop\n"
        "halt\n"
    )
    got = parse(text)
    assert shape(got) == shape(
        program(
            ins("in", c("a"), port(0), index=0),
            loop(
                3,
                ins("add", c("acc"), c("acc"), c("a"), index=1),
                loop(
                    65535,
                    ins("mul", c("b"), c("b"), lit("2"), index=2),
                    ins("sub", c("c"), c("c"), c("b"), index=3),
                ),
                ins("out", port(1), c("acc"), index=4),
            ),
            ins("halt", index=5),
        )
    )
    outer = got.cores[0].body[1]
    assert isinstance(outer, Loop)
    assert (outer.loc.line, outer.loc.column, outer.loc.length) == (2, 1, 4)
    assert (outer.end_loc.line, outer.end_loc.column, outer.end_loc.length) == (9, 1, 7)


# ---------------------------------------------------------------------------
# The worked examples of target.md

SECTION_2 = """\
.input x 0
.output y 0
.const k = 2.0
    in  a, x       ; issued c0, a visible c2
    mul b, a, k    ; c2 (waits for a), b visible c6
    add c, b, a    ; c6, c visible c12
    out y, c       ; c12, output visible c14
    halt           ; c13 (last issue)
"""

BIQUAD = """\
; one-step biquad, direct form I           (comments start with ; or #)
.target zynq7020-single                   ; a named target or a target file
.input  x  0                               ; name bound to input port 0
.output y  0                               ; output register 0
.const  b0 = 0.2929, b1 = 0.5858, b2 = 0.2929, a1 = -0.0000, a2 = 0.1716
.state  x1 = 0.0, x2 = 0.0, y1 = 0.0, y2 = 0.0   ; persistent between runs
        in   u, x
        mul  t0, u, b0
        mul  t1, x1, b1
        add  t0, t0, t1
        mul  t1, x2, b2
        add  t0, t0, t1
        mul  t1, y1, a1
        sub  t0, t0, t1
        mul  t1, y2, a2
        sub  acc, t0, t1
        mov  x2, x1
        mov  x1, u
        mov  y2, y1
        mov  y1, acc
        out  y, acc
        halt
"""


def test_section_2_worked_example() -> None:
    got = parse(SECTION_2, "ex.s")
    expected = Program(
        file="ex.s",
        cores=(
            CoreCode(
                0,
                (
                    ins("in", c("a"), port("x"), index=0),
                    ins("mul", c("b"), c("a"), c("k"), index=1),
                    ins("add", c("c"), c("b"), c("a"), index=2),
                    ins("out", port("y"), c("c"), index=3),
                    ins("halt", index=4),
                ),
            ),
        ),
        inputs=(PortDecl("x", 0, L),),
        outputs=(PortDecl("y", 0, L),),
        consts=(value("k", "2.0"),),
    )
    assert shape(got) == shape(expected)
    assert got == _parse(SECTION_2, "ex.s", fast=False)  # locations included


def test_section_2_loop_variant() -> None:
    text = (
        ".const one = 1.0\n.state acc = 0.0\n"
        "loop 3\n    add acc, acc, one\nendloop\nout 0, acc\nhalt\n"
    )
    got = parse(text)
    assert shape(got.cores[0].body) == shape(
        (
            loop(3, ins("add", c("acc"), c("acc"), c("one"), index=0)),
            ins("out", port(0), c("acc"), index=1),
            ins("halt", index=2),
        )
    )


def test_section_5_biquad() -> None:
    got = parse(BIQUAD)
    names = "b0 b1 b2 a1 a2".split()
    texts = "0.2929 0.5858 0.2929 -0.0000 0.1716".split()
    code = [
        ("in", "u", "x"),
        ("mul", "t0", "u", "b0"),
        ("mul", "t1", "x1", "b1"),
        ("add", "t0", "t0", "t1"),
        ("mul", "t1", "x2", "b2"),
        ("add", "t0", "t0", "t1"),
        ("mul", "t1", "y1", "a1"),
        ("sub", "t0", "t0", "t1"),
        ("mul", "t1", "y2", "a2"),
        ("sub", "acc", "t0", "t1"),
        ("mov", "x2", "x1"),
        ("mov", "x1", "u"),
        ("mov", "y2", "y1"),
        ("mov", "y1", "acc"),
    ]
    body: list[Stmt] = [ins("in", c("u"), port("x"), index=0)]
    body += [ins(m, *map(c, ops), index=i) for i, (m, *ops) in enumerate(code[1:], 1)]
    body += [ins("out", port("y"), c("acc"), index=14), ins("halt", index=15)]
    expected = program(
        *body,
        target="zynq7020-single",
        inputs=(PortDecl("x", 0, L),),
        outputs=(PortDecl("y", 0, L),),
        consts=tuple(value(n, t) for n, t in zip(names, texts, strict=True)),
        states=tuple(value(n, "0.0") for n in ("x1", "x2", "y1", "y2")),
    )
    assert shape(got) == shape(expected)
    assert repr(got.consts[3].value) == "-0.0"


def test_parse_file(tmp_path: Path) -> None:
    path = tmp_path / "prog.s"
    path.write_text(SECTION_2)
    got = parse_file(path)
    assert got.file == str(path)
    assert got.cores[0].body[0].loc.file == str(path)
    with pytest.raises(VtcError) as info:
        parse_file(tmp_path / "missing.s")
    assert info.value.format() == f"{tmp_path / 'missing.s'}: error: no such file"


def test_a_bad_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.s"
    path.write_text("ad t, a, b\nhalt\n")
    with pytest.raises(AsmError) as info:
        parse_file(path)
    assert str(info.value) == f"{path}:1:1: error: unknown mnemonic 'ad' (did you mean 'add'?)"


# ---------------------------------------------------------------------------
# Errors: the exact text

ERRORS = [
    # unknown words
    ("    ad t, a, b\nhalt\n", "p.s:1:5: error: unknown mnemonic 'ad' (did you mean 'add'?)"),
    ("frobnicate t\nhalt\n", "p.s:1:1: error: unknown mnemonic 'frobnicate'"),
    ("ENDLOP\nhalt\n", "p.s:1:1: error: unknown mnemonic 'ENDLOP' (did you mean 'endloop'?)"),
    ("input x 0\nhalt\n", "p.s:1:1: error: unknown mnemonic 'input' (did you mean '.input'?)"),
    ("add.x a, b, c\nhalt\n", "p.s:1:1: error: unknown mnemonic 'add.x' (did you mean 'add'?)"),
    (".inptu x 0\nhalt\n", "p.s:1:1: error: unknown directive '.inptu' (did you mean '.input'?)"),
    (".xyzzy 0\nhalt\n", "p.s:1:1: error: unknown directive '.xyzzy'"),
    ("   3add\nhalt\n", "p.s:1:4: error: expected an instruction or a directive, got '3add'"),
    # operand counts
    ("add t, a\nhalt\n", "p.s:1:1: error: 'add' takes 3 operands (d, a, b), got 2"),
    ("add\nhalt\n", "p.s:1:1: error: 'add' takes 3 operands (d, a, b), got 0"),
    ("nop 1\nhalt\n", "p.s:1:1: error: 'nop' takes no operands, got 1"),
    ("halt x\n", "p.s:1:1: error: 'halt' takes no operands, got 1"),
    ("neg a, b, c\nhalt\n", "p.s:1:1: error: 'neg' takes 2 operands (d, a), got 3"),
    # operand kinds
    (
        "add 1, a, b\nhalt\n",
        "p.s:1:5: error: the destination of 'add' must be a cell, not a number",
    ),
    (
        "cmov 0, a, c\nhalt\n",
        "p.s:1:6: error: the destination of 'cmov' must be a cell, not a number",
    ),
    ("in 1, 2\nhalt\n", "p.s:1:4: error: the destination of 'in' must be a cell, not a number"),
    (
        "in a, 1.5\nhalt\n",
        "p.s:1:7: error: the port of 'in' must be a non-negative integer or a name, got 1.5",
    ),
    (
        "out -1, a\nhalt\n",
        "p.s:1:5: error: the port of 'out' must be a non-negative integer or a name, got -1",
    ),
    (
        "out @p, a\nhalt\n",
        "p.s:1:5: error: the port of 'out' must be a non-negative integer or a name, got @p",
    ),
    ("lds a, b\nhalt\n", "p.s:1:8: error: the source of 'lds' must be a shared cell (@name)"),
    ("lds a, 2\nhalt\n", "p.s:1:8: error: the source of 'lds' must be a shared cell (@name)"),
    ("lds @a, @b\nhalt\n", "p.s:1:5: error: the destination of 'lds' must be a local cell"),
    ("sts a, b\nhalt\n", "p.s:1:5: error: the destination of 'sts' must be a shared cell (@name)"),
    ("sts @a, @b\nhalt\n", "p.s:1:9: error: the source of 'sts' must be a local cell or a number"),
    (
        "add t, @a, @b\nhalt\n",
        "p.s:1:12: error: at most one source of an instruction may be in shared memory",
    ),
    (
        "cmov @d, a, @c\nhalt\n",
        "p.s:1:13: error: at most one source of an instruction may be in shared memory",
    ),
    # syntax inside an instruction
    ("add t,, b\nhalt\n", "p.s:1:6: error: expected an operand after ','"),
    ("add t, a, b,\nhalt\n", "p.s:1:12: error: expected an operand after ','"),
    ("add t, a, ; b\nhalt\n", "p.s:1:9: error: expected an operand after ','"),
    ("add , a\nhalt\n", "p.s:1:5: error: expected an operand before ','"),
    ("add t, a b\nhalt\n", "p.s:1:10: error: expected ',' between operands"),
    ("add t, a, 2x\nhalt\n", "p.s:1:11: error: invalid operand '2x'"),
    ("add t, a, 1.2.3\nhalt\n", "p.s:1:11: error: invalid operand '1.2.3'"),
    ("add t, a, @\nhalt\n", "p.s:1:11: error: expected a name after '@'"),
    ("add t, a, $b\nhalt\n", "p.s:1:11: error: unexpected character '$'"),
    # syntax of directives
    (".input x\nhalt\n", "p.s:1:9: error: expected ',' or a port number, got end of line"),
    (".input\nhalt\n", "p.s:1:7: error: expected a port name, got end of line"),
    (".input x 0 f32 more\nhalt\n", "p.s:1:16: error: expected end of line, got 'more'"),
    (".const k\nhalt\n", "p.s:1:9: error: expected '=', got end of line"),
    (".const k = ; none\nhalt\n", "p.s:1:11: error: expected a number, got end of line"),
    (".const k = 1 j = 2\nhalt\n", "p.s:1:14: error: expected ',' or end of line, got 'j'"),
    (".shared\nhalt\n", "p.s:1:8: error: expected a name, got end of line"),
    (".core\nhalt\n", "p.s:1:6: error: expected a core number, got end of line"),
    (".phase\nhalt\n", "p.s:1:7: error: expected a phase name, got end of line"),
    (".target\nhalt\n", "p.s:1:8: error: expected a target name or a quoted path, got end of line"),
    ('.target "abc\nhalt\n', "p.s:1:9: error: unterminated string"),
    ("loop\nnop\nendloop\nhalt\n", "p.s:1:5: error: expected a loop count, got end of line"),
    ("endloop 3\nhalt\n", "p.s:1:9: error: expected end of line, got '3'"),
    # values
    (".input x -1\nhalt\n", "p.s:1:10: error: port number must be a non-negative integer, got -1"),
    (
        ".output y 0 x16\nhalt\n",
        "p.s:1:13: error: unknown port format 'x16' "
        "(use f32, f64, i8, i16, i32, u8, u16, u32 or qM.N)",
    ),
    (".state u = Infinity\nhalt\n", "p.s:1:12: error: 'Infinity' is not a number"),
    (".core 1.5\nhalt\n", "p.s:1:7: error: core number must be a non-negative integer, got 1.5"),
    # loops and halt
    (
        "loop 0\nnop\nendloop\nhalt\n",
        "p.s:1:6: error: loop count must be an integer from 1 to 65535, got 0",
    ),
    (
        "loop 65536\nnop\nendloop\nhalt\n",
        "p.s:1:6: error: loop count must be an integer from 1 to 65535, got 65536",
    ),
    (
        "loop n\nnop\nendloop\nhalt\n",
        "p.s:1:6: error: loop count must be an integer from 1 to 65535, got n",
    ),
    ("loop 2\nendloop\nhalt\n", "p.s:1:1: error: loop body is empty"),
    ("nop\nendloop\nhalt\n", "p.s:2:1: error: 'endloop' without 'loop'"),
    ("loop 2\nnop\n", "p.s:1:1: error: 'loop' without 'endloop'"),  # and no halt
    ("loop 2\nhalt\nendloop\nhalt\n", "p.s:2:1: error: 'halt' may not stand inside a loop"),
    ("nop\n", "p.s:1:1: error: core 0 does not end with 'halt'"),
    ("", "p.s:1:1: error: core 0 does not end with 'halt'"),
    (".input x 0\n\n", "p.s:1:11: error: core 0 does not end with 'halt'"),
    (".core 1\n.core 2\nhalt\n", "p.s:1:1: error: core 1 does not end with 'halt'"),
    ("halt\nhalt\n", "p.s:2:1: error: instruction after 'halt'"),
    ("halt\nloop 2\nnop\nendloop\n", "p.s:2:1: error: instruction after 'halt'"),
    ("halt\n.phase p\n", "p.s:2:1: error: '.phase' after 'halt'"),
    (
        "loop 2\n.phase p\nnop\nendloop\nhalt\n",
        "p.s:2:1: error: '.phase' may not stand inside a loop",
    ),
]


@pytest.mark.parametrize(("text", "headline"), ERRORS, ids=[h for _, h in ERRORS])
def test_error_messages(text: str, headline: str) -> None:
    with pytest.raises(VtcError) as info:
        parse(text, "p.s")
    assert str(info.value) == headline  # the first error's headline
    assert isinstance(info.value, VtcErrors) == (text == "loop 2\nnop\n")
    # lark alone (without the fast path) reports exactly the same
    with pytest.raises(VtcError) as slow:
        _parse(text, "p.s", fast=False)
    assert slow.value.format() == info.value.format()


def test_error_report_has_caret_under_the_culprit() -> None:
    assert errors_of("in a, x\n  ad t, a, b\nhalt\n") == (
        "p.s:2:3: error: unknown mnemonic 'ad' (did you mean 'add'?)\n      ad t, a, b\n      ^~"
    )
    assert errors_of("add t, a, @x, @y\nhalt\n") == (
        "p.s:1:1: error: 'add' takes 3 operands (d, a, b), got 4\n    add t, a, @x, @y\n    ^~~"
    )
    assert errors_of("loop 0x10\n  nop\nendloop\nhalt\n") == (
        "p.s:1:6: error: expected a loop count, got '0x10'\n    loop 0x10\n         ^~~~"
    )
    assert errors_of(".const k = 1\nadd t, a,\n.state k = 2\nhalt\n") == (
        "p.s:2:9: error: expected an operand after ','\n"
        "    add t, a,\n"
        "            ^\n"
        "p.s:3:8: error: 'k' is declared twice\n"
        "    .state k = 2\n"
        "           ^\n"
        "note: first declared at p.s:1:8\n"
        "2 errors"
    )


DUPLICATES = [
    (".target a\n.target b\nhalt\n", "p.s:2:9: error: '.target' is given twice", "p.s:1:9"),
    (".input x 0\n.input y 0\nhalt\n", "p.s:2:10: error: input port 0 is bound twice", "p.s:1:10"),
    (".input x 0\n.input x 1\nhalt\n", "p.s:2:8: error: input name 'x' is bound twice", "p.s:1:8"),
    (
        ".output y, 3\n.output z, 3\nhalt\n",
        "p.s:2:12: error: output port 3 is bound twice",
        "p.s:1:12",
    ),
    (".const k = 1\n.state k = 2\nhalt\n", "p.s:2:8: error: 'k' is declared twice", "p.s:1:8"),
    (".const k = 1, k = 2\nhalt\n", "p.s:1:15: error: 'k' is declared twice", "p.s:1:8"),
    (".shared a, b\n.shared a\nhalt\n", "p.s:2:9: error: 'a' is declared twice", "p.s:1:9"),
    (".core 1\nhalt\n.core 1\nhalt\n", "p.s:3:1: error: '.core 1' is given twice", "p.s:1:1"),
]


@pytest.mark.parametrize(("text", "headline", "first"), DUPLICATES)
def test_duplicates_are_reported_at_the_second_with_a_note(
    text: str, headline: str, first: str
) -> None:
    with pytest.raises(AsmError) as info:
        parse(text, "p.s")
    assert str(info.value) == headline
    assert len(info.value.notes) == 1
    assert info.value.notes[0].endswith(f" at {first}")


def test_same_name_may_be_an_input_an_output_a_shared_cell_and_a_state() -> None:
    got = parse(".input v 0\n.output v 0\n.shared v\n.state v = 0\nhalt\n")
    assert (got.inputs[0].name, got.outputs[0].name, got.shared[0].name) == ("v", "v", "v")


def test_code_before_any_core_is_core_0_and_may_not_be_restarted() -> None:
    assert errors_of("nop\nhalt\n.core 0\nhalt\n") == (
        "p.s:3:1: error: '.core 0' after code that already belongs to core 0\n"
        "    .core 0\n"
        "    ^~~~~\n"
        "note: code before any '.core' belongs to core 0; it starts at p.s:1:1"
    )
    assert [core.index for core in parse(".const k = 1\n.core 0\nhalt\n").cores] == [0]


def test_every_error_in_a_file_is_reported_in_order() -> None:
    text = (
        ".input x 0\n"  # 1
        ".inptu z 1\n"  # 2 unknown directive
        "    in a, x\n"  # 3
        "    ad b, a, a\n"  # 4 unknown mnemonic
        "    add 1, a, a\n"  # 5 destination is a number
        "    loop 0\n"  # 6 bad count
        "        mul c, a,\n"  # 7 missing operand
        "    endloop\n"  # 8
        "    endloop\n"  # 9 endloop without loop
        "    out x, @s, c\n"  # 10 operand count
        "    halt\n"  # 11
        "    nop\n"  # 12 after halt
        ".input y 0\n"  # 13 duplicate port
    )
    with pytest.raises(VtcErrors) as info:
        parse(text, "p.s")
    assert all(isinstance(e, AsmError) for e in info.value.errors)
    assert [str(e) for e in info.value.errors] == [
        "p.s:2:1: error: unknown directive '.inptu' (did you mean '.input'?)",
        "p.s:4:5: error: unknown mnemonic 'ad' (did you mean 'add'?)",
        "p.s:5:9: error: the destination of 'add' must be a cell, not a number",
        "p.s:6:10: error: loop count must be an integer from 1 to 65535, got 0",
        "p.s:7:17: error: expected an operand after ','",
        "p.s:9:5: error: 'endloop' without 'loop'",
        "p.s:10:5: error: 'out' takes 2 operands (P, a), got 3",
        "p.s:12:5: error: instruction after 'halt'",
        "p.s:13:10: error: input port 0 is bound twice",
    ]
    assert info.value.format().endswith("\n9 errors")
    assert str(info.value) == str(info.value.errors[0])


def test_a_bad_line_stands_in_for_what_it_starts_with() -> None:
    # No follow-on errors: the bad loop line still opens a loop, the bad halt ends the core.
    assert str(errors_of("loop 2 3\nnop\nendloop\nhalt ,\n")) == (
        "p.s:1:8: error: expected end of line, got '3'\n"
        "    loop 2 3\n"
        "           ^\n"
        "p.s:4:6: error: expected an operand before ','\n"
        "    halt ,\n"
        "         ^\n"
        "2 errors"
    )
    assert str(errors_of(".core x\nnop\n")).splitlines()[0] == (
        "p.s:1:7: error: expected a core number, got 'x'"
    )
    assert len(errors_of("nop\n  ad t, a, b\n").splitlines()) == 3


# ---------------------------------------------------------------------------
# The fast path and lark agree on every line


_WORDS = [
    "add", "ADD", "mul", "cmov", "in", "out", "lds", "sts", "nop", "halt", "ad", "loop",
    "endloop", "Loop", ".const", ".state", ".input", ".output", ".shared", ".core", ".phase",
    ".target", ".inptu", "x", "t.1", "_y", "@s", "@", "0", "3", "-2", "1e-3", ".5", "7.",
    "2x", "1.2.3", "inf", "-inf", "nan", "i16", "q4.12", "=", ",", ", ", ";c", "# c", '"p q"',
    '"open', "$", "\t", " ", "  ", "\r", "add t, a, 1", ".const k = 1", ".state s = -inf",
    ".shared q", "k = 2", "= nan", "loop 3", "in a, 0", "out y, @s",
]  # fmt: skip

_lines = st.lists(st.sampled_from(_WORDS), max_size=7).map(" ".join)


@given(st.lists(_lines, max_size=12))
@settings(max_examples=300, deadline=None)
def test_fast_path_agrees_with_lark(lines: list[str]) -> None:
    text = "\n".join(lines)
    results = []
    for fast in (True, False):
        try:
            results.append(repr(_parse(text, "r.s", fast=fast)))
        except VtcError as exc:
            assert isinstance(exc, (AsmError, VtcErrors))
            results.append(exc.format())
    assert results[0] == results[1]


@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=80))
@settings(max_examples=300, deadline=None)
def test_any_text_parses_or_fails_with_located_errors(text: str) -> None:
    try:
        parse(text)
    except VtcErrors as exc:
        assert all(isinstance(e, AsmError) and e.location is not None for e in exc.errors)
    except AsmError as exc:
        assert exc.location is not None


def test_shared_decl_shape() -> None:
    assert shape(parse(".shared q\nhalt\n").shared) == shape((SharedDecl("q", L),))


def test_scheduled_directive_is_parsed_printed_and_not_repeated() -> None:
    from vtc.compiler.asm.printer import format_program

    p = parse(".scheduled\n.const r0 = 1.0\n    add r1, r0, r0\n    halt\n", "s.s")
    assert p.scheduled and p.scheduled_loc == SourceLocation("s.s", 1, 1, 10, ".scheduled")
    assert format_program(p).splitlines()[0] == ".scheduled"
    assert shape(parse(format_program(p), "s.s")) == shape(p)
    assert not parse("    halt\n").scheduled
    with pytest.raises(AsmError) as info:
        parse(".scheduled\n.scheduled\n    halt\n", "s.s")
    assert info.value.format() == (
        "s.s:2:1: error: '.scheduled' is given twice\n"
        "    .scheduled\n"
        "    ^~~~~~~~~~\n"
        "note: first given at s.s:1:1"
    )
