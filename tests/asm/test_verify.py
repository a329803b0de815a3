"""The independent verifier: correct schedules pass, each kind of mistake is named."""

from __future__ import annotations

import ast
import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import programs, targets  # tests/asm is on sys.path (pytest rootdir-less import)

from vtc.compiler.asm import verify as verify_module
from vtc.compiler.asm.asis import build_scheduled
from vtc.compiler.asm.parser import parse
from vtc.compiler.asm.program import (
    Cell,
    CoreCode,
    Instr,
    Literal,
    Loop,
    Operand,
    PortDecl,
    PortRef,
    Program,
    Shared,
    SharedDecl,
    Stmt,
    ValueDecl,
)
from vtc.compiler.asm.verify import VerifyReport, verify, verify_machine
from vtc.compiler.errors import SourceLocation, VerifyError, VtcError, VtcErrors
from vtc.compiler.machine.code import LoopSpec, MachineProgram, MInstr
from vtc.compiler.machine.isa import Form, lookup
from vtc.compiler.machine.semantics import as_precision
from vtc.compiler.machine.target import Target, load_target, target_from_dict

FILE = "t.s"
TARGET = load_target("zynq7020-single")

# --- building programs by hand --------------------------------------------------------


def loc(line: int) -> SourceLocation:
    return SourceLocation(FILE, line)


def ins(line: int, mnemonic: str, *operands: str | float | int) -> Instr:
    """An instruction; ports are ints or names, ``@x`` is shared, numbers are literals."""
    info = lookup(mnemonic)
    assert info is not None
    port_pos = {Form.IN: 1, Form.OUT: 0}.get(info.form)
    ops: list[Operand] = []
    for pos, op in enumerate(operands):
        if pos == port_pos:
            if isinstance(op, int):
                ops.append(PortRef(loc(line), number=op))
            else:
                assert isinstance(op, str)
                ops.append(PortRef(loc(line), name=op))
        elif isinstance(op, float | int):
            ops.append(Literal(float(op), repr(op), loc(line)))
        elif op.startswith("@"):
            ops.append(Shared(op[1:], loc(line)))
        else:
            ops.append(Cell(op, loc(line)))
    return Instr(mnemonic, tuple(ops), loc(line))


def loop(line: int, end_line: int, count: int, *body: Stmt) -> Loop:
    return Loop(count, tuple(body), loc(line), loc(end_line))


def _number(body: Sequence[Stmt], counter: list[int]) -> tuple[Stmt, ...]:
    out: list[Stmt] = []
    for stmt in body:
        if isinstance(stmt, Instr):
            out.append(dataclasses.replace(stmt, index=counter[0]))
            counter[0] += 1
        elif isinstance(stmt, Loop):
            out.append(dataclasses.replace(stmt, body=_number(stmt.body, counter)))
        else:
            out.append(stmt)
    return tuple(out)


def program(
    *body: Stmt,
    inputs: dict[str, int] | None = None,
    outputs: dict[str, int] | None = None,
    consts: dict[str, float] | None = None,
    states: dict[str, float] | None = None,
    shared: Sequence[str] = (),
) -> Program:
    """A one-core program; instructions are numbered in program order."""

    def values(d: dict[str, float] | None) -> tuple[ValueDecl, ...]:
        return tuple(ValueDecl(k, v, repr(v), loc(1)) for k, v in (d or {}).items())

    return Program(
        file=FILE,
        cores=(CoreCode(0, _number(body, [0])),),
        inputs=tuple(PortDecl(k, v, loc(1)) for k, v in (inputs or {}).items()),
        outputs=tuple(PortDecl(k, v, loc(1)) for k, v in (outputs or {}).items()),
        consts=values(consts),
        states=values(states),
        shared=tuple(SharedDecl(s, loc(1)) for s in shared),
    )


def slots(text: str) -> tuple[MInstr, ...]:
    """Slots from lines ``mnemonic operands [; origin]``; ``nop*5`` is five nops.

    Operands: ``rN`` a local cell, ``@N`` a shared cell, a bare number a port.
    """
    out: list[MInstr] = []
    for raw in text.strip().splitlines():
        code, _, origin_text = raw.partition(";")
        code = code.strip()
        origin = int(origin_text) if origin_text.strip() else None
        if code.startswith("nop*"):
            out.extend(MInstr("nop") for _ in range(int(code[4:])))
            continue
        mnemonic, _, rest = code.partition(" ")
        args = [a.strip() for a in rest.split(",") if a.strip()]
        fields: dict[str, int | bool] = {}
        for name, arg in zip("dab", args, strict=False):
            fields[name] = int(arg.lstrip("r@"))
            fields[f"{name}_shared"] = arg.startswith("@")
        out.append(MInstr(mnemonic, origin=origin, **fields))  # type: ignore[arg-type]
    return tuple(out)


def machine(
    text: str,
    *,
    loops: Sequence[tuple[int, int, int]] = (),
    data: Sequence[tuple[int, float]] = (),
    symbols: Sequence[tuple[str, str, int]] = (),
    target: Target = TARGET,
) -> MachineProgram:
    return MachineProgram(
        target=target,
        slots=slots(text),
        loops=tuple(LoopSpec(*spec) for spec in loops),
        data=tuple(sorted(data)),
        symbols=tuple(symbols),
    )


def messages(exc: VtcError) -> list[str]:
    if isinstance(exc, VtcErrors):
        return [e.message for e in exc.errors]
    return [exc.message]


def problems(prog: Program, mach: MachineProgram) -> list[str]:
    """The messages of every problem ``verify`` reports (it must report some)."""
    with pytest.raises(VtcError) as info:
        verify(prog, mach)
    errors = info.value.errors if isinstance(info.value, VtcErrors) else (info.value,)
    assert all(isinstance(e, VerifyError) for e in errors)
    return messages(info.value)


# --- the worked example of target.md section 2 ----------------------------------------

WORKED = program(
    ins(4, "in", "a", "x"),
    ins(5, "mul", "b", "a", "k"),
    ins(6, "add", "c", "b", "a"),
    ins(7, "out", "y", "c"),
    ins(8, "halt"),
    inputs={"x": 0},
    outputs={"y": 0},
    consts={"k": 2.0},
)
WORKED_SLOTS = """
in r1, 0 ; 0
nop*1
mul r2, r1, r0 ; 1
nop*3
add r3, r2, r1 ; 2
nop*5
out 0, r3 ; 3
halt ; 4
"""
WORKED_DATA = {"data": [(0, 2.0)], "symbols": [("const", "k", 0)]}


def worked(text: str = WORKED_SLOTS, **kw: object) -> MachineProgram:
    args: dict[str, object] = {**WORKED_DATA, **kw}
    return machine(text, **args)  # type: ignore[arg-type]


def edited(old: str, new: str, **kw: object) -> MachineProgram:
    """The worked example's schedule with one edit."""
    assert old in WORKED_SLOTS
    return worked(WORKED_SLOTS.replace(old, new), **kw)


def test_worked_example_takes_14_cycles() -> None:
    report = verify(WORKED, worked())
    assert report == VerifyReport(cycles=14, instructions_checked=14, slots=14, windows=())


def test_the_worked_example_parsed_from_its_text() -> None:
    text = """
.input x 0
.output y 0
.const k = 2.0
    in  a, x       ; issued c0, a visible c2
    mul b, a, k    ; c2 (waits for a), b visible c6
    add c, b, a    ; c6, c visible c12
    out y, c       ; c12, output visible c14
    halt           ; c13 (last issue)
"""
    assert verify(parse(text, "w.s"), worked()).cycles == 14


def test_a_read_too_early_is_named_with_its_cycle() -> None:
    early = WORKED_SLOTS.replace("nop*1\nmul r2, r1, r0 ; 1\nnop*3", "mul r2, r1, r0 ; 1\nnop*4")
    assert problems(WORKED, worked(early)) == [
        "slot 1 (mul r2, r1, r0; t.s:5) reads r1 in cycle 1 before any value is in it, but the "
        "source reads the result of t.s:4 (in), which slot 0 makes visible only in cycle 2"
    ]


def test_a_clobbered_live_value_names_both_writers() -> None:
    clobber = WORKED_SLOTS.replace("mul r2, r1, r0 ; 1", "mul r1, r1, r0 ; 1").replace(
        "add r3, r2, r1", "add r3, r1, r1"
    )
    assert problems(WORKED, worked(clobber)) == [
        "slot 6 (add r3, r1, r1; t.s:6) reads r1 in cycle 6 and gets the result of t.s:5 (mul), "
        "but the source reads the result of t.s:4 (in), which slot 0 made visible in cycle 2 but "
        "slot 2 overwrote in cycle 6"
    ]


def test_a_read_of_the_wrong_cell_says_where_the_value_went() -> None:
    wrong = WORKED_SLOTS.replace("out 0, r3", "out 0, r2")
    assert problems(WORKED, worked(wrong)) == [
        "slot 12 (out 0, r2; t.s:7) reads r2 in cycle 12 and gets the result of t.s:5 (mul), but "
        "the source reads the result of t.s:6 (add), which slot 6 writes to r3"
    ]


def test_a_written_constant_is_an_error() -> None:
    text = WORKED_SLOTS.replace("add r3, r2, r1", "add r0, r2, r1")
    assert problems(WORKED, worked(text.replace("out 0, r3", "out 0, r0"))) == [
        "slot 6 (add r0, r2, r1; t.s:6) writes r0, the read-only cell of constant 'k'"
    ]


def test_errors_carry_the_source_location() -> None:
    early = WORKED_SLOTS.replace("nop*1\nmul r2, r1, r0 ; 1\nnop*3", "mul r2, r1, r0 ; 1\nnop*4")
    with pytest.raises(VerifyError) as info:
        verify(WORKED, worked(early))
    assert info.value.location == loc(5)
    assert str(info.value).startswith("t.s:5:1: error: slot 1 (mul r2, r1, r0; t.s:5) reads r1")


# --- the write port -------------------------------------------------------------------

PORT = program(
    ins(4, "add", "t", "k", "k"),
    ins(5, "mul", "u", "k", "k"),
    ins(6, "add", "s", "t", "u"),
    ins(7, "halt"),
    consts={"k": 2.0},
    states={"s": 0.0},
)
PORT_DATA = {"data": [(0, 2.0), (1, 0.0)], "symbols": [("const", "k", 0), ("state", "s", 1)]}


def test_results_may_arrive_out_of_issue_order() -> None:
    text = "add r2, r0, r0 ; 0\nmul r3, r0, r0 ; 1\nnop*4\nadd r1, r2, r3 ; 2\nnop*5\nhalt ; 3"
    assert verify(PORT, machine(text, **PORT_DATA)).cycles == 13  # type: ignore[arg-type]


def test_two_results_in_one_cycle_collide_on_the_write_port() -> None:
    text = "add r2, r0, r0 ; 0\nnop\nmul r3, r0, r0 ; 1\nnop*3\nadd r1, r2, r3 ; 2\nnop*5\nhalt ; 3"
    assert problems(PORT, machine(text, **PORT_DATA)) == [  # type: ignore[arg-type]
        "write-port conflict in cycle 6: slot 0 (add r2, r0, r0; t.s:4) issued in cycle 0 and "
        "slot 2 (mul r3, r0, r0; t.s:5) issued in cycle 2 both write back then"
    ]


def test_out_and_nop_do_not_use_the_write_port() -> None:
    prog = program(
        ins(4, "mov", "t", "k"), ins(5, "out", 0, "k"), ins(6, "out", 1, "t"), ins(7, "halt"),
        consts={"k": 2.0},
    )  # fmt: skip
    # mov visible in 1, out (latency 2) issued in 0 would "write" in 2: no conflict
    text = "mov r1, r0 ; 0\nout 0, r0 ; 1\nout 1, r1 ; 2\nhalt ; 3"
    report = verify(prog, machine(text, data=[(0, 2.0)], symbols=[("const", "k", 0)]))
    assert report.cycles == 4


# --- loops ----------------------------------------------------------------------------


def acc_program(count: int = 3) -> Program:
    return program(
        loop(4, 6, count, ins(5, "add", "acc", "acc", "one")),
        ins(7, "out", "y", "acc"),
        ins(8, "halt"),
        outputs={"y": 0},
        consts={"one": 1.0},
        states={"acc": 0.0},
    )


ACC_SLOTS = "add r1, r1, r0 ; 0\nnop*5\nout 0, r1 ; 1\nhalt ; 2"
ACC_DATA = {"data": [(0, 1.0), (1, 0.0)], "symbols": [("const", "one", 0), ("state", "acc", 1)]}


def acc(
    text: str = ACC_SLOTS, loops: Sequence[tuple[int, int, int]] = ((0, 5, 3),)
) -> MachineProgram:
    return machine(text, loops=loops, **ACC_DATA)  # type: ignore[arg-type]


def test_loop_3_example_takes_20_cycles() -> None:
    report = verify(acc_program(), acc())
    assert report == VerifyReport(cycles=20, instructions_checked=20, slots=8, windows=(3,))


def test_long_loops_are_checked_in_a_window_but_counted_in_full() -> None:
    report = verify(acc_program(1000), acc(loops=[(0, 5, 1000)]))
    # B = 6 and the largest latency is 6: 2 * ceil(6 / 6) + 3 = 5 iterations checked
    assert report == VerifyReport(cycles=6 + 999 * 6 + 2, instructions_checked=32, slots=8,
                                  windows=(5,))  # fmt: skip


def test_a_recurrence_too_short_for_its_latency_fails_on_the_back_edge() -> None:
    text = ACC_SLOTS.replace("nop*5", "nop*4")
    assert problems(acc_program(), acc(text, [(0, 4, 3)])) == [
        "slot 0 (add r1, r1, r0; t.s:5) reads r1 in cycle 5 in iteration 1 and gets the initial "
        "value of state 'acc', but the source reads the result of t.s:5 (add) in iteration 0, "
        "which slot 0 makes visible only in cycle 6",
        "slot 5 (out 0, r1; t.s:7) reads r1 in cycle 15 and gets the result of t.s:5 (add) in "
        "iteration 1, but the source reads the result of t.s:5 (add) in iteration 2, which slot 0 "
        "makes visible only in cycle 16",
    ]


def test_a_state_must_end_in_its_home_cell() -> None:
    text = ACC_SLOTS.replace("add r1, r1, r0", "add r2, r1, r0")
    assert problems(acc_program(), acc(text))[-1] == (
        "at the end of the run the home cell r1 of state 'acc' holds the initial value of state "
        "'acc', but the source leaves the result of t.s:5 (add) in iteration 2 there (slot 0 "
        "writes that value to r2)"
    )


def test_a_state_may_live_elsewhere_if_it_is_copied_home() -> None:
    prog = program(
        ins(4, "add", "s", "s", "k"), ins(5, "mul", "s", "s", "k"), ins(6, "halt"),
        consts={"k": 2.0}, states={"s": 1.0},
    )  # fmt: skip
    text = "add r2, r1, r0 ; 0\nnop*5\nmul r1, r2, r0 ; 1\nnop*3\nhalt ; 2"
    symbols = [("const", "k", 0), ("state", "s", 1)]
    assert verify(prog, machine(text, data=[(0, 2.0), (1, 1.0)], symbols=symbols)).cycles == 11


NESTED = program(
    loop(4, 9, 3, loop(5, 7, 2, ins(6, "add", "acc", "acc", "one")), ins(8, "out", "y", "acc")),
    ins(10, "halt"),
    outputs={"y": 0},
    consts={"one": 1.0},
    states={"acc": 0.0},
)


def test_nested_loops_count_the_inner_loop_in_the_outer_body() -> None:
    text = "add r1, r1, r0 ; 0\nnop*5\nout 0, r1 ; 1\nhalt ; 2"
    mach = machine(text, loops=[(0, 6, 3), (0, 5, 2)], **ACC_DATA)  # type: ignore[arg-type]
    # inner body 6 cycles, outer body 7 + 6 = 13 cycles; halt issues in 7 + 6 + 2 * 13
    assert verify(NESTED, mach) == VerifyReport(
        cycles=40, instructions_checked=40, slots=8, windows=(3, 2)
    )


def stream_program(count: int = 2) -> Program:
    return program(
        loop(4, 6, count, ins(5, "in", "t", "x")),
        ins(7, "out", "y", "t"),
        ins(8, "halt"),
        inputs={"x": 0},
        outputs={"y": 0},
    )


STREAM = stream_program()


def test_results_stay_in_flight_across_the_loop_exit() -> None:
    text = "in r0, 0 ; 0\nnop\nout 0, r0 ; 1\nhalt ; 2"
    assert verify(STREAM, machine(text, loops=[(0, 0, 2)])).cycles == 5


def test_a_read_after_the_loop_must_wait_for_the_last_iteration() -> None:
    text = "in r0, 0 ; 0\nout 0, r0 ; 1\nhalt ; 2"
    assert problems(STREAM, machine(text, loops=[(0, 0, 2)])) == [
        "slot 1 (out 0, r0; t.s:7) reads r0 in cycle 2 and gets the result of t.s:5 (in) in "
        "iteration 0, but the source reads the result of t.s:5 (in) in iteration 1, which slot 0 "
        "makes visible only in cycle 3"
    ]


def test_errors_in_a_reduced_window_say_so() -> None:
    prog = stream_program(1000)
    ok = machine("in r0, 0 ; 0\nnop\nout 0, r0 ; 1\nhalt ; 2", loops=[(0, 0, 1000)])
    assert verify(prog, ok) == VerifyReport(
        cycles=1003, instructions_checked=10, slots=4, windows=(7,)
    )
    bad = machine("in r0, 0 ; 0\nout 0, r0 ; 1\nhalt ; 2", loops=[(0, 0, 1000)])
    with pytest.raises(VerifyError) as info:
        verify(prog, bad)
    assert info.value.message == (
        "slot 1 (out 0, r0; t.s:7) reads r0 in cycle 7 and gets the result of t.s:5 (in) in "
        "iteration 5, but the source reads the result of t.s:5 (in) in iteration 6, which slot 0 "
        "makes visible only in cycle 8"
    )
    assert info.value.notes == (
        "cycles and iterations are counted in the checked window, where loop 0 runs 7 of its "
        "1000 iterations",
    )


# --- ports ----------------------------------------------------------------------------

OUTS = program(
    ins(4, "out", "y", "k"),
    ins(5, "out", "y", 0.5),
    ins(6, "out", 1, "k"),
    ins(7, "halt"),
    outputs={"y": 0},
    consts={"k": 2.0},
)
OUTS_DATA = {"data": [(0, 2.0), (1, 0.5)], "symbols": [("const", "k", 0), ("literal", "0.5", 1)]}


def test_outs_on_different_ports_may_swap() -> None:
    text = "out 1, r0 ; 2\nout 0, r0 ; 0\nout 0, r1 ; 1\nhalt ; 3"
    assert verify(OUTS, machine(text, **OUTS_DATA)).cycles == 4  # type: ignore[arg-type]


def test_outs_on_one_port_keep_their_order() -> None:
    text = "out 0, r1 ; 1\nout 0, r0 ; 0\nout 1, r0 ; 2\nhalt ; 3"
    assert problems(OUTS, machine(text, **OUTS_DATA)) == [  # type: ignore[arg-type]
        "output port 0: output 0 of the run comes from slot 0 (out 0, r1; t.s:5), but in the "
        "source it comes from t.s:4 (out)"
    ]


def test_ins_on_one_port_keep_their_order() -> None:
    prog = program(
        ins(4, "in", "a", 0), ins(5, "in", "b", 0), ins(6, "sub", "c", "a", "b"),
        ins(7, "out", 0, "c"), ins(8, "halt"),
    )  # fmt: skip
    text = "in r1, 0 ; 1\nin r0, 0 ; 0\nnop\nsub r2, r0, r1 ; 2\nnop*5\nout 0, r2 ; 3\nhalt ; 4"
    assert problems(prog, machine(text)) == [
        "input port 0: input 0 of the run comes from slot 0 (in r1, 0; t.s:5), but in the source "
        "it comes from t.s:4 (in)"
    ]


def test_a_port_must_be_the_source_port() -> None:
    text = WORKED_SLOTS.replace("in r1, 0 ; 0", "in r1, 1 ; 0")
    assert problems(WORKED, worked(text)) == [
        "slot 0 (in r1, 1; t.s:4) uses input port 1 but its source uses port 0"
    ]


def test_a_port_must_exist_on_the_target() -> None:
    prog = program(ins(4, "out", 20, 1.0), ins(5, "halt"))
    mach = machine("out 20, r0 ; 0\nhalt ; 1", data=[(0, 1.0)], symbols=[("literal", "1.0", 0)])
    assert problems(prog, mach) == [
        "slot 0 (out 20, r0; t.s:4) uses output port 20; target 'zynq7020-single' has 16 output "
        "ports"
    ]


# --- literals, constants, states and data ---------------------------------------------


def test_a_literal_may_share_the_cell_of_an_equal_constant() -> None:
    prog = program(ins(4, "mul", "t", "k", 2), ins(5, "out", 0, "t"), ins(6, "halt"),
                   consts={"k": 2.0})  # fmt: skip
    text = "mul r1, r0, r0 ; 0\nnop*3\nout 0, r1 ; 1\nhalt ; 2"
    assert verify(prog, worked(text)).cycles == 6


def test_the_data_image_must_hold_every_initial_value() -> None:
    mach = worked(data=[(0, 2.5)])
    assert problems(WORKED, mach) == ["constant 'k' must hold 2.0 but r0 holds 2.5"]
    assert problems(WORKED, worked(data=[])) == [
        "constant 'k' has no initial value: r0 is not in the data image"
    ]
    assert problems(WORKED, worked(data=[(0, 2.0), (0, 2.0)])) == [
        "the data image initialises r0 twice"
    ]
    wrong_start = dataclasses.replace(acc(), data=((0, 1.0), (1, 0.5)))
    assert problems(acc_program(), wrong_start) == [
        "state 'acc' must start with 0.0 but r1 holds 0.5"
    ]


def test_values_are_compared_at_the_target_precision() -> None:
    prog = program(ins(4, "out", 0, "k"), ins(5, "halt"), consts={"k": 0.1})
    text = "out 0, r0 ; 0\nhalt ; 1"
    symbols = [("const", "k", 0)]
    assert verify(prog, machine(text, data=[(0, 0.10000000149011612)], symbols=symbols))
    with pytest.raises(VerifyError, match=r"must hold 0\.10000000149011612 but r0 holds 0\.1001"):
        verify(prog, machine(text, data=[(0, 0.1001)], symbols=symbols))


def test_every_constant_literal_and_state_needs_a_cell() -> None:
    assert problems(WORKED, worked(symbols=[])) == [
        "constant 'k' (t.s:5) has no cell in the symbol table",
        "slot 2 (mul r2, r1, r0; t.s:5) reads r0 in cycle 2 and gets the unnamed initial value "
        "of r0, but the source reads constant 'k'",
    ]
    prog = program(ins(4, "out", 0, 0.5), ins(5, "halt"))
    assert problems(prog, machine("out 0, r0 ; 0\nhalt ; 1", data=[(0, 0.5)]))[0] == (
        "literal 0.5 (t.s:4) has no read-only cell in the symbol table"
    )
    homeless = dataclasses.replace(acc(), symbols=(("const", "one", 0),))
    assert problems(acc_program(), homeless)[0] == (
        "state 'acc' (t.s:5) has no home cell in the symbol table"
    )


def test_the_symbol_table_is_checked() -> None:
    assert problems(WORKED, worked(symbols=[("const", "k", 0), ("const", "q", 1)])) == [
        "constant 'q' of the symbol table is not declared"
    ]
    assert problems(WORKED, worked(symbols=[("const", "k", 0), ("alias", "k", 0)])) == [
        "symbol 'k' has unknown kind 'alias'"
    ]
    assert problems(WORKED, worked(symbols=[("const", "k", 0), ("const", "k", 0)])) == [
        "constant 'k' appears twice in the symbol table (r0 and r0)"
    ]
    shared_cell = dataclasses.replace(
        acc(), data=((0, 1.0),), symbols=(("const", "one", 0), ("state", "acc", 0))
    )
    assert problems(acc_program(), shared_cell)[0] == (
        "r0 holds both constant 'one' and state 'acc'"
    )


# --- cmov -----------------------------------------------------------------------------


def test_cmov_reads_the_old_value_of_its_destination() -> None:
    prog = program(
        ins(4, "mov", "t", "k"), ins(5, "cmov", "t", "j", "k"), ins(6, "out", 0, "t"),
        ins(7, "halt"), consts={"k": 1.0, "j": 2.0},
    )  # fmt: skip
    data = {"data": [(0, 1.0), (1, 2.0)], "symbols": [("const", "k", 0), ("const", "j", 1)]}
    good = "mov r2, r0 ; 0\ncmov r2, r1, r0 ; 1\nout 0, r2 ; 2\nhalt ; 3"
    assert verify(prog, machine(good, **data)).cycles == 4  # type: ignore[arg-type]
    bad = "mov r2, r0 ; 0\ncmov r3, r1, r0 ; 1\nout 0, r3 ; 2\nhalt ; 3"
    assert problems(prog, machine(bad, **data)) == [  # type: ignore[arg-type]
        "slot 1 (cmov r3, r1, r0; t.s:5) reads r3 in cycle 1 before any value is in it, but the "
        "source reads the result of t.s:4 (mov), which slot 0 writes to r2"
    ]


def test_a_value_may_land_in_a_cmov_destination_while_the_cmov_is_in_flight() -> None:
    # cmov reads d at issue and always writes back (target.md rule 3), like the simulator
    slow = target_from_dict({"name": "slowmove", "latency": {"move": 3}})
    prog = program(
        ins(4, "cmov", "s", "k", "k"), ins(5, "neg", "t", "k"), ins(6, "out", 0, "t"),
        ins(7, "halt"), consts={"k": 1.0}, states={"s": 0.0},
    )  # fmt: skip
    text = "cmov r1, r0, r0 ; 0\nneg r1, r0 ; 1\nout 0, r1 ; 2\nhalt ; 3"
    symbols = [("const", "k", 0), ("state", "s", 1)]
    mach = machine(text, data=[(0, 1.0), (1, 0.0)], symbols=symbols, target=slow)
    assert verify(prog, mach).cycles == 4


# --- structure: origins ---------------------------------------------------------------


def test_every_source_instruction_needs_exactly_one_slot() -> None:
    assert problems(WORKED, edited("add r3, r2, r1 ; 2", "add r3, r2, r1")) == [
        "slot 6 (add r3, r2, r1) has no origin; only inserted nops may lack one",
        "t.s:6 (add) has no slot in the machine program",
    ]
    assert problems(WORKED, edited("add r3, r2, r1 ; 2", "add r3, r2, r1 ; 1")) == [
        "t.s:5 (mul) appears in slots 2 and 6; each source instruction belongs in exactly one slot",
        "t.s:6 (add) has no slot in the machine program",
    ]
    assert problems(WORKED, edited("add r3, r2, r1 ; 2", "add r3, r2, r1 ; 9")) == [
        "slot 6 (add r3, r2, r1) names origin 9, which is no instruction of core 0",
        "t.s:6 (add) has no slot in the machine program",
    ]


def test_a_slot_keeps_the_mnemonic_of_its_origin() -> None:
    assert problems(WORKED, edited("add r3, r2, r1 ; 2", "sub r3, r2, r1 ; 2")) == [
        "slot 6 (sub r3, r2, r1; t.s:6) holds 'sub' but its origin t.s:6 is 'add'"
    ]
    bad = dataclasses.replace(worked(), slots=(MInstr("frob"), *worked().slots[1:]))
    assert problems(WORKED, bad) == ["slot 0 holds unknown mnemonic 'frob'",
                                     "t.s:4 (in) has no slot in the machine program"]  # fmt: skip


def test_source_nops_are_kept_and_inserted_nops_need_no_origin() -> None:
    prog = program(ins(4, "nop"), ins(5, "halt"))
    assert verify(prog, machine("nop ; 0\nnop\nhalt ; 1")).cycles == 3
    assert problems(prog, machine("nop\nhalt ; 1")) == [
        "t.s:4 (nop) has no slot in the machine program"
    ]


# --- structure: halt and loops --------------------------------------------------------


def test_halt_is_the_last_slot() -> None:
    assert problems(WORKED, worked(WORKED_SLOTS + "nop\n")) == [
        "slot 13 (halt; t.s:8) is a halt but not the last slot",
        "the last slot 14 (nop) is not a halt",
    ]
    assert problems(acc_program(), acc(loops=[(0, 7, 3)])) == [
        "slot 7 (halt; t.s:8) is a halt inside machine loop 0 (slots 0..7)"
    ]


@pytest.mark.parametrize(
    ("loops", "expected"),
    [
        ([(0, 5, 0)],
         "machine loop 0 (slots 0..5) repeats 0 times; a count must be from 1 to 65535"),
        ([(0, 5, 70000)],
         "machine loop 0 (slots 0..5) repeats 70000 times; a count must be from 1 to 65535"),
        ([(3, 2, 3)], "machine loop 0 (slots 3..2) has an empty body"),
        ([(0, 9, 3)], "machine loop 0 (slots 0..9) lies outside the 8 slots of the program"),
        ([(0, 5, 3), (0, 5, 2)],
         "machine loop 1 (slots 0..5) ends on slot 5 like its enclosing machine loop 0 (slots "
         "0..5); an inner loop may not end where its enclosing loop ends"),
        ([(0, 4, 3), (2, 5, 2)],
         "machine loop 0 (slots 0..4) and machine loop 1 (slots 2..5) overlap without nesting"),
        ([(0, 5, 4)], "machine loop 0 (slots 0..5) repeats 4 times but source loop t.s:4 repeats "
         "3 times"),
        ([], "source loop t.s:4 has no machine loop"),
        ([(0, 6, 3)],
         "slot 6 (out 0, r1; t.s:7) is inside machine loop 0 (slots 0..6) but its source "
         "instruction is not in source loop t.s:4"),
        ([(0, 5, 3), (6, 6, 1)], "machine loop 1 (slots 6..6) corresponds to no source loop"),
    ],
)  # fmt: skip
def test_loop_table_rules(loops: list[tuple[int, int, int]], expected: str) -> None:
    assert problems(acc_program(), acc(loops=loops))[0] == expected


def test_the_loop_table_is_sorted_enclosing_loops_first() -> None:
    text = "add r1, r1, r0 ; 0\nnop*5\nout 0, r1 ; 1\nhalt ; 2"
    mach = machine(text, loops=[(0, 5, 2), (0, 6, 3)], **ACC_DATA)  # type: ignore[arg-type]
    assert problems(NESTED, mach) == [
        "the loop table is not sorted by start address with enclosing loops first"
    ]


def test_loops_nest_no_deeper_than_the_target_allows() -> None:
    shallow = target_from_dict({"name": "shallow", "loop_depth": 1})
    text = "add r1, r1, r0 ; 0\nnop*5\nout 0, r1 ; 1\nhalt ; 2"
    mach = machine(text, loops=[(0, 6, 3), (0, 5, 2)], target=shallow, **ACC_DATA)  # type: ignore[arg-type]
    assert problems(NESTED, mach) == [
        "machine loop 1 (slots 0..5) nests 2 deep; target 'shallow' allows 1"
    ]


def test_an_instruction_must_stay_in_its_loop() -> None:
    prog = program(
        loop(4, 7, 2, ins(5, "in", "t", 0), ins(6, "out", 0, "t")), ins(8, "halt"),
    )  # fmt: skip
    mach = machine("in r0, 0 ; 0\nnop*2\nout 0, r0 ; 1\nhalt ; 2", loops=[(0, 2, 2)])
    assert problems(prog, mach) == [
        "t.s:6 (out) lies in source loop t.s:4 but its slot 3 is outside machine loop 0 "
        "(slots 0..2)"
    ]


def test_a_machine_loop_needs_a_source_loop() -> None:
    mach = worked(loops=[(1, 1, 5)])
    assert problems(WORKED, mach) == ["machine loop 0 (slots 1..1) corresponds to no source loop"]


# --- operands, EUs and memories -------------------------------------------------------


def test_cells_must_exist() -> None:
    text = WORKED_SLOTS.replace("in r1, 0 ; 0", "in r2000, 0 ; 0")
    assert problems(WORKED, worked(text))[0] == (
        "slot 0 (in r2000, 0; t.s:4): field d addresses cell 2000, beyond the 1024 data cells of "
        "target 'zynq7020-single'"
    )


def test_the_program_must_fit_program_memory() -> None:
    tiny = target_from_dict({"name": "tiny", "program_depth": 16})
    prog = program(*(ins(4, "nop") for _ in range(16)), ins(5, "halt"))
    text = "\n".join(f"nop ; {i}" for i in range(16)) + "\nhalt ; 16"
    assert problems(prog, machine(text, target=tiny)) == [
        "the machine program needs 17 slots but target 'tiny' has 16 words of program memory"
    ]


def test_a_core_only_has_its_eus() -> None:
    small = target_from_dict({"name": "small", "cores": [{"eus": ["io", "mul", "addsub"]}]})
    text = WORKED_SLOTS.replace("add r3, r2, r1 ; 2", "add r3, r2, r1 ; 2")
    assert verify(WORKED, worked(text, target=small)).cycles == 14
    prog = program(ins(4, "neg", "t", "k"), ins(5, "out", 0, "t"), ins(6, "halt"),
                   consts={"k": 2.0})  # fmt: skip
    mach = worked("neg r1, r0 ; 0\nout 0, r1 ; 1\nhalt ; 2", target=small)
    assert problems(prog, mach) == [
        "slot 0 (neg r1, r0; t.s:4) needs EU 'sign', which core 0 of target 'small' does not have"
    ]


# --- shared memory --------------------------------------------------------------------

SHARED = program(
    ins(4, "lds", "t", "@m"),
    ins(5, "add", "@m", "t", "k"),
    ins(6, "halt"),
    consts={"k": 2.0},
    shared=("m",),
)


def test_shared_cells_are_tracked_like_local_ones() -> None:
    text = "lds r1, @3 ; 0\nnop\nadd @3, r1, r0 ; 1\nnop*5\nhalt ; 2"
    assert verify(SHARED, worked(text)).cycles == 9
    late = "lds r1, @3 ; 0\nnop\nadd @3, r1, r0 ; 1\nhalt ; 2"
    assert verify(SHARED, worked(late)).cycles == 8


def test_a_shared_cell_keeps_one_address() -> None:
    text = "lds r1, @3 ; 0\nnop\nadd @4, r1, r0 ; 1\nnop*5\nhalt ; 2"
    assert problems(SHARED, worked(text)) == [
        "slot 2 (add @4, r1, r0; t.s:5) places shared cell '@m' at @4, but slot 0 places it at @3"
    ]
    local = "lds r1, @3 ; 0\nnop\nadd r3, r1, r0 ; 1\nnop*5\nhalt ; 2"
    assert problems(SHARED, worked(local)) == [
        "slot 2 (add r3, r1, r0; t.s:5): field d addresses a local cell but the source operand "
        "is '@m'"
    ]


# --- the source itself ----------------------------------------------------------------


def test_a_temporary_read_before_it_is_written_is_reported() -> None:
    prog = program(ins(4, "out", 0, "t"), ins(5, "mov", "t", 1.0), ins(6, "halt"))
    mach = machine("out 0, r1 ; 0\nmov r1, r0 ; 1\nhalt ; 2", data=[(0, 1.0)],
                   symbols=[("literal", "1.0", 0)])  # fmt: skip
    assert problems(prog, mach) == [
        "t.s:4 (out) reads temporary 't' before anything writes it in the run"
    ]


def test_a_missing_core_is_reported() -> None:
    with pytest.raises(VerifyError, match="the source has no code for core 1"):
        verify(WORKED, worked(), core=1)


def test_all_problems_are_reported_together() -> None:
    text = WORKED_SLOTS.replace("nop*1\nmul r2, r1, r0 ; 1\nnop*3", "mul r2, r1, r0 ; 1\nnop*4")
    text = text.replace("out 0, r3", "out 0, r2")
    with pytest.raises(VtcErrors) as info:
        verify(WORKED, worked(text, data=[(0, 3.0)]))
    assert len(info.value.errors) == 3
    assert info.value.format().endswith("3 errors")


# --- speed ---------------------------------------------------------------------------


def dense_program(n: int, cells: int = 64, distance: int = 30) -> tuple[Program, MachineProgram]:
    """``n`` instructions issued back to back, each reading a value 30 cycles old."""
    body: list[Stmt] = []
    text: list[str] = []
    for i in range(n):
        if i < cells:
            body.append(ins(i + 2, "mov", f"c{i}", "k"))
            text.append(f"mov r{i + 1}, r0 ; {i}")
        else:
            a, b = i % cells, (i - distance) % cells
            body.append(ins(i + 2, "add", f"c{a}", f"c{b}", "k"))
            text.append(f"add r{a + 1}, r{b + 1}, r0 ; {i}")
    body.append(ins(n + 2, "halt"))
    text.append(f"halt ; {n}")
    big = load_target("bench-large")
    mach = machine("\n".join(text), data=[(0, 1.0)], symbols=[("const", "k", 0)], target=big)
    return program(*body, consts={"k": 1.0}), mach


def test_a_10000_instruction_program_verifies_in_well_under_a_second() -> None:
    prog, mach = dense_program(10_000)
    start = time.process_time()  # CPU time: robust to a loaded test machine
    report = verify(prog, mach)
    elapsed = time.process_time() - start
    assert report.cycles == 10_000 + 5  # the last add issues in 9999 and lands in 10005
    assert elapsed < 1.0, f"verify took {elapsed:.2f} s of CPU time"  # about 0.15 s


def test_deep_loops_with_huge_counts_are_checked_in_a_window() -> None:
    prog = program(
        loop(3, 9, 65535, loop(4, 7, 65535, ins(5, "in", "t", 0), ins(6, "out", 0, "t")),
             ins(8, "nop")),
        ins(10, "halt"),
    )  # fmt: skip
    mach = machine("in r0, 0 ; 0\nnop\nout 0, r0 ; 1\nnop ; 2\nhalt ; 3",
                   loops=[(0, 3, 65535), (0, 2, 65535)])  # fmt: skip
    start = time.process_time()
    report = verify(prog, mach)
    assert time.process_time() - start < 1.0
    inner = 3
    outer = 1 + 65535 * inner
    assert report.cycles == 65535 * outer + 1
    assert report.windows == (5, 2 * 1 + 3)


# --- properties over random programs ----------------------------------------------------


def naive_schedule(prog: Program, target: Target) -> tuple[MachineProgram, int]:
    """Program order, every instruction followed by ``latency - 1`` nops, one cell per name.

    Trivially correct: every result is visible before the next issue. Returns
    the machine program and its cycle count (every issued slot, halt included).
    """
    prec = target.precision
    cells: dict[str, int] = {}
    data: list[tuple[int, float]] = []
    symbols: list[tuple[str, str, int]] = []

    def cell(name: str) -> int:
        return cells.setdefault(name, len(cells))

    for kind, decls in (("const", prog.consts), ("state", prog.states)):
        for d in decls:
            data.append((cell(d.name), as_precision(d.value, prec)))
            symbols.append((kind, d.name, cells[d.name]))
    shared = {s.name: i for i, s in enumerate(prog.shared)}
    ports = {d.name: d.number for d in (*prog.inputs, *prog.outputs)}

    def field(op: Operand) -> tuple[int, bool]:
        if isinstance(op, PortRef):
            return (ports[op.name] if op.name is not None else op.number or 0), False
        if isinstance(op, Shared):
            return shared[op.name], True
        if isinstance(op, Literal):
            value = as_precision(op.value, prec)
            key = repr(value)
            if "=" + key not in cells:
                data.append((cell("=" + key), value))
                symbols.append(("literal", key, cells["=" + key]))
            return cells["=" + key], False
        assert isinstance(op, Cell)
        return cell(op.name), False

    slots_out: list[MInstr] = []
    loops_out: list[LoopSpec] = []

    def emit(body: Sequence[Stmt]) -> int:
        cycles = 0
        for stmt in body:
            if isinstance(stmt, Instr):
                values = [field(op) for op in stmt.operands]
                kw: dict[str, int | bool] = {}
                for name, (value, flag) in zip("dab", values, strict=False):
                    kw[name], kw[f"{name}_shared"] = value, flag
                slots_out.append(MInstr(stmt.mnemonic, origin=stmt.index, **kw))  # type: ignore[arg-type]
                lat = target.latency_of(stmt.mnemonic)
                slots_out.extend(MInstr("nop") for _ in range(lat - 1))
                cycles += lat
            elif isinstance(stmt, Loop):
                start, number = len(slots_out), len(loops_out)
                loops_out.append(LoopSpec(0, 0, 0))
                body_cycles = emit(stmt.body)
                if isinstance(stmt.body[-1], Loop):  # an inner loop may not end here too
                    slots_out.append(MInstr("nop"))
                    body_cycles += 1
                loops_out[number] = LoopSpec(start, len(slots_out) - 1, stmt.count)
                cycles += stmt.count * body_cycles
        return cycles

    total = emit(prog.cores[0].body)
    mach = MachineProgram(
        target=target,
        slots=tuple(slots_out),
        loops=tuple(sorted(loops_out, key=lambda lp: (lp.start, -lp.end))),
        data=tuple(sorted(data)),
        symbols=tuple(symbols),
    )
    return mach, total


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(programs(shared=True), targets())
def test_a_naive_schedule_of_any_valid_program_verifies(text: str, data: dict[str, Any]) -> None:
    target = target_from_dict(data)
    prog = parse(text, "g.s")
    mach, cycles = naive_schedule(prog, target)
    report = verify(prog, mach)
    assert report.cycles == cycles
    assert report.slots == len(mach.slots)


@SETTINGS
@given(programs(), targets(), st.data())
def test_a_read_redirected_to_an_empty_cell_is_always_caught(
    text: str, target_data: dict[str, Any], data: st.DataObject
) -> None:
    target = target_from_dict(target_data)
    prog = parse(text, "g.s")
    mach, _ = naive_schedule(prog, target)
    reading = [
        (addr, name)
        for addr, s in enumerate(mach.slots)
        for name in {Form.DAB: "ab", Form.DA: "a", Form.DAC: "dab", Form.OUT: "a"}.get(
            s.info.form, ""
        )
        if not getattr(s, f"{name}_shared")
    ]
    assume(reading)
    addr, name = data.draw(st.sampled_from(reading))
    empty = target.data_depth - 1
    broken = dataclasses.replace(mach.slots[addr], **{name: empty})  # type: ignore[arg-type]
    slots2 = (*mach.slots[:addr], broken, *mach.slots[addr + 1 :])
    found = problems(prog, dataclasses.replace(mach, slots=slots2))
    assert any(f"reads r{empty} in cycle" in m and "before any value is in it" in m for m in found)


@SETTINGS
@given(programs(), targets(), st.data())
def test_a_damaged_schedule_never_crashes_the_verifier(
    text: str, target_data: dict[str, Any], data: st.DataObject
) -> None:
    target = target_from_dict(target_data)
    prog = parse(text, "g.s")
    mach, _ = naive_schedule(prog, target)
    slots_list = list(mach.slots)
    loops = list(mach.loops)
    for _ in range(data.draw(st.integers(1, 3))):
        addr = data.draw(st.integers(0, len(slots_list) - 1))
        action = data.draw(st.sampled_from(["delete", "swap", "nop"]))
        if action == "delete" and len(slots_list) > 1:
            del slots_list[addr]
            loops = [
                LoopSpec(lp.start - (lp.start > addr), lp.end - (lp.end >= addr), lp.count)
                for lp in loops
            ]
        elif action == "swap" and addr + 1 < len(slots_list):
            slots_list[addr], slots_list[addr + 1] = slots_list[addr + 1], slots_list[addr]
        else:
            slots_list.insert(addr, MInstr("nop"))
            loops = [
                LoopSpec(lp.start + (lp.start > addr), lp.end + (lp.end >= addr), lp.count)
                for lp in loops
            ]
    damaged = dataclasses.replace(mach, slots=tuple(slots_list), loops=tuple(loops))
    try:
        verify(prog, damaged)
    except VtcErrors as exc:
        assert all(isinstance(e, VerifyError) for e in exc.errors)
    except VerifyError:
        pass


@settings(max_examples=50, deadline=None)
@given(programs(shared=True, formats=True))
def test_generated_programs_parse(text: str) -> None:
    prog = parse(text, "g.s")
    body = prog.cores[0].body
    assert body and isinstance(body[-1], Instr) and body[-1].mnemonic == "halt"


# --- verify_machine: the machine code as its own meaning -------------------------------


def machine_problems(mach: MachineProgram, prog: Program | None = None) -> list[str]:
    """The messages of every problem ``verify_machine`` reports (it must report some)."""
    with pytest.raises(VtcError) as info:
        verify_machine(mach, prog)
    errors = info.value.errors if isinstance(info.value, VtcErrors) else (info.value,)
    assert all(isinstance(e, VerifyError) for e in errors)
    return messages(info.value)


SCHEDULED = """.scheduled
.input x 0
.output y 0
.const r0 = 2.0
        in    r1, x
        nop
        mul   r2, r1, r0
        nop
        nop
        nop
        add   r3, r2, r1
        nop
        nop
        nop
        nop
        nop
        out   y, r3
        halt
"""


def scheduled(text: str) -> tuple[Program, MachineProgram]:
    prog = parse(text, "w.s")
    return prog, build_scheduled(prog, TARGET)[1]


def test_a_machine_program_is_checked_on_its_own() -> None:
    assert verify_machine(worked()) == VerifyReport(
        cycles=14, instructions_checked=14, slots=14, windows=()
    )
    assert verify_machine(*reversed(scheduled(SCHEDULED))).cycles == 14


def test_a_read_of_an_empty_cell_names_slot_cell_cycle_and_line() -> None:
    prog, mach = scheduled(SCHEDULED.replace("        nop\n", "", 1))
    with pytest.raises(VerifyError) as info:
        verify_machine(mach, prog)
    assert info.value.message == (
        "slot 1 (mul r2, r1, r0; w.s:6) reads r1 in cycle 1, which holds no value: r1 is not "
        "initialised and no result written to it is visible by then (slot 0 makes one visible "
        "only in cycle 2)"
    )
    assert info.value.location is not None and info.value.location.line == 6
    assert machine_problems(worked(WORKED_SLOTS.replace("out 0, r3", "out 0, r9"))) == [
        "slot 12 (out 0, r9) reads r9 in cycle 12, which holds no value: r9 is not initialised "
        "and no result written to it is visible by then"
    ]


def test_cmov_reads_its_destination_in_a_machine_program() -> None:
    mach = worked("cmov r1, r0, r0\nhalt")
    assert machine_problems(mach) == [
        "slot 0 (cmov r1, r0, r0) reads r1 in cycle 0, which holds no value: r1 is not "
        "initialised and no result written to it is visible by then"
    ]


def test_an_empty_read_in_a_loop_names_the_iteration_once() -> None:
    mach = machine("in r0, 0\nout 0, r0\nhalt", loops=[(0, 1, 4)])
    assert machine_problems(mach) == [
        "slot 1 (out 0, r0) reads r0 in cycle 1 in iteration 0, which holds no value: r0 is not "
        "initialised and no result written to it is visible by then (slot 0 makes one visible "
        "only in cycle 2)"
    ]
    # a value from the previous iteration is a value: only iteration 0 reads nothing
    late = machine("out 0, r0\nin r0, 0\nnop\nhalt", loops=[(0, 2, 4)])
    assert machine_problems(late) == [
        "slot 0 (out 0, r0) reads r0 in cycle 0 in iteration 0, which holds no value: r0 is not "
        "initialised and no result written to it is visible by then"
    ]
    fine = machine("in r0, 0\nnop\nout 0, r0\nhalt", loops=[(0, 2, 4)])
    assert verify_machine(fine) == VerifyReport(
        cycles=13, instructions_checked=13, slots=4, windows=(4,)
    )


def test_a_machine_program_keeps_the_write_port_rule() -> None:
    text = "add r2, r0, r0\nnop\nmul r3, r0, r0\nnop*3\nadd r1, r2, r3\nnop*5\nhalt"
    assert machine_problems(machine(text, **PORT_DATA)) == [  # type: ignore[arg-type]
        "write-port conflict in cycle 6: slot 0 (add r2, r0, r0) issued in cycle 0 and slot 2 "
        "(mul r3, r0, r0) issued in cycle 2 both write back then"
    ]


def test_a_machine_program_may_not_write_a_constant() -> None:
    text = WORKED_SLOTS.replace("add r3, r2, r1", "add r0, r2, r1").replace(
        "out 0, r3", "out 0, r0"
    )
    assert machine_problems(worked(text)) == [
        "slot 6 (add r0, r2, r1) writes r0, the read-only cell of constant 'k'"
    ]
    prog, mach = scheduled(SCHEDULED)  # .scheduled text may not write r0: edit the machine
    slot = dataclasses.replace(mach.slots[6], d=0)
    mach = dataclasses.replace(mach, slots=(*mach.slots[:6], slot, *mach.slots[7:]))
    assert machine_problems(mach, prog) == [
        "slot 6 (add r0, r2, r1; w.s:11) writes r0, the read-only cell of constant 'r0'",
        "slot 12 (out 0, r3; w.s:17) reads r3 in cycle 12, which holds no value: r3 is not "
        "initialised and no result written to it is visible by then",
    ]


@pytest.mark.parametrize(
    ("loops", "expected"),
    [
        ([(0, 5, 0)],
         "machine loop 0 (slots 0..5) repeats 0 times; a count must be from 1 to 65535"),
        ([(3, 2, 3)], "machine loop 0 (slots 3..2) has an empty body"),
        ([(0, 9, 3)], "machine loop 0 (slots 0..9) lies outside the 8 slots of the program"),
        ([(0, 5, 3), (0, 5, 2)],
         "machine loop 1 (slots 0..5) ends on slot 5 like its enclosing machine loop 0 (slots "
         "0..5); an inner loop may not end where its enclosing loop ends"),
        ([(0, 4, 3), (2, 5, 2)],
         "machine loop 0 (slots 0..4) and machine loop 1 (slots 2..5) overlap without nesting"),
        ([(0, 7, 3)], "slot 7 (halt; t.s:8) is a halt inside machine loop 0 (slots 0..7)"),
        ([(0, 5, 2), (0, 6, 3)],
         "the loop table is not sorted by start address with enclosing loops first"),
    ],
)  # fmt: skip
def test_machine_loop_table_rules(loops: list[tuple[int, int, int]], expected: str) -> None:
    assert machine_problems(acc(loops=loops), acc_program())[0] == expected


def test_machine_loops_nest_no_deeper_than_the_target_allows() -> None:
    shallow = target_from_dict({"name": "shallow", "loop_depth": 1})
    text = "add r1, r1, r0\nnop*5\nout 0, r1\nhalt"
    mach = machine(text, loops=[(0, 6, 3), (0, 5, 2)], target=shallow, **ACC_DATA)  # type: ignore[arg-type]
    assert machine_problems(mach) == [
        "machine loop 1 (slots 0..5) nests 2 deep; target 'shallow' allows 1"
    ]
    assert machine_problems(worked(WORKED_SLOTS + "nop\n")) == [
        "slot 13 (halt) is a halt but not the last slot",
        "the last slot 14 (nop) is not a halt",
    ]


def test_machine_operands_are_in_range() -> None:
    small = target_from_dict({"name": "small", "input_ports": 2, "cores": [{"eus": ["io"]}]})
    text = "in r2000, 5\nlds r1, r2\nadd r1, @1, @2\nsts r3, r1\nout 0, @70000\nhalt"
    assert machine_problems(worked(text, target=small)) == [
        "slot 0 (in r2000, 5): field d addresses cell 2000, beyond the 1024 data cells of target "
        "'small'",
        "slot 0 (in r2000, 5) uses input port 5; target 'small' has 2 input ports",
        "slot 1 (lds r1, r2) needs EU 'move', which core 0 of target 'small' does not have",
        "slot 1 (lds r1, r2): 'lds' reads shared memory, but field a addresses a local cell",
        "slot 2 (add r1, @1, @2) needs EU 'addsub', which core 0 of target 'small' does not have",
        "slot 2 (add r1, @1, @2) reads 2 shared cells; at most one source may be in shared memory",
        "slot 3 (sts r3, r1) needs EU 'move', which core 0 of target 'small' does not have",
        "slot 3 (sts r3, r1): 'sts' writes shared memory, but field d addresses a local cell",
        "slot 4 (out 0, @70000) addresses shared cell 70000, beyond the 256 cells of shared memory",
        "slot 1 (lds r1, r2) reads r2 in cycle 1, which holds no value: r2 is not initialised and "
        "no result written to it is visible by then",
    ]


def test_machine_data_and_symbols_are_checked() -> None:
    assert machine_problems(worked(data=[(0, 2.0), (0, 2.0), (5000, 1.0)])) == [
        "the data image initialises r0 twice",
        "the data image initialises cell 5000, beyond the 1024 data cells of target "
        "'zynq7020-single'",
    ]
    assert machine_problems(worked(data=[])) == [
        "constant 'k' has no initial value: r0 is not in the data image",
        "slot 2 (mul r2, r1, r0) reads r0 in cycle 2, which holds no value: r0 is not "
        "initialised and no result written to it is visible by then",
    ]
    symbols = [("const", "k", 0), ("state", "s", 0), ("weird", "w", 0)]
    assert machine_problems(worked(symbols=symbols)) == [
        "r0 holds both constant 'k' and state 's'",
        "symbol 'w' has unknown kind 'weird'",
    ]


def test_machine_loops_with_huge_counts_are_checked_in_a_window() -> None:
    mach = machine("in r0, 0\nnop\nout 0, r0\nnop\nhalt",
                   loops=[(0, 3, 65535), (0, 2, 65535)])  # fmt: skip
    report = verify_machine(mach)
    assert report.cycles == 65535 * (1 + 65535 * 3) + 1
    assert report.windows == (5, 5)
    bad = machine("in r0, 0\nout 0, r0\nnop\nhalt", loops=[(0, 2, 65535), (0, 1, 65535)])
    with pytest.raises(VerifyError) as info:
        verify_machine(bad)
    assert info.value.notes == (
        "cycles and iterations are counted in the checked window, where loop 0 runs 5 of its "
        "65535 iterations, loop 1 runs 5 of its 65535 iterations",
    )


def test_a_10000_slot_machine_program_verifies_fast() -> None:
    _, mach = dense_program(10_000)
    start = time.process_time()
    report = verify_machine(mach)
    elapsed = time.process_time() - start
    assert report.cycles == 10_000 + 5
    assert elapsed < 1.0, f"verify_machine took {elapsed:.2f} s of CPU time"  # about 0.07 s


MACHINE_SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@MACHINE_SETTINGS
@given(programs(), targets())
def test_a_naive_schedule_verifies_as_a_machine_program(text: str, data: dict[str, Any]) -> None:
    target = target_from_dict(data)
    prog = parse(text, "g.s")
    mach, cycles = naive_schedule(prog, target)
    report = verify_machine(mach, prog)
    assert report.cycles == cycles
    assert report.slots == len(mach.slots)


@MACHINE_SETTINGS
@given(programs(), targets(), st.data())
def test_a_read_redirected_to_an_empty_cell_is_caught_without_a_source(
    text: str, target_data: dict[str, Any], data: st.DataObject
) -> None:
    target = target_from_dict(target_data)
    mach, _ = naive_schedule(parse(text, "g.s"), target)
    reading = [
        (addr, name)
        for addr, s in enumerate(mach.slots)
        for name in {Form.DAB: "ab", Form.DA: "a", Form.DAC: "dab", Form.OUT: "a"}.get(
            s.info.form, ""
        )
    ]
    assume(reading)
    addr, name = data.draw(st.sampled_from(reading))
    empty = target.data_depth - 1
    broken = dataclasses.replace(mach.slots[addr], **{name: empty})  # type: ignore[arg-type]
    slots2 = (*mach.slots[:addr], broken, *mach.slots[addr + 1 :])
    found = machine_problems(dataclasses.replace(mach, slots=slots2))
    assert any(f"reads r{empty} in cycle" in m and "which holds no value" in m for m in found)


def test_the_verifier_shares_no_code_with_the_scheduler() -> None:
    folder = Path(verify_module.__file__).parent
    paths = sorted(folder.glob("verify*.py"))
    assert len(paths) >= 5  # verify, verify_image, verify_model, verify_pipeline, verify_timing
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
                if node.module in ("vtc.compiler.asm", "vtc.compiler"):
                    names = [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name.startswith("vtc.compiler.asm."):
                    allowed = name == "vtc.compiler.asm.program" or name.startswith(
                        "vtc.compiler.asm.verify"
                    )
                    assert allowed, f"{path.name} imports {name}"
