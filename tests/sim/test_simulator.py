"""The cycle-accurate simulator: semantics, timing, loops, errors (target.md sections 2-4)."""

from __future__ import annotations

import math
import struct
import subprocess
import sys

import pytest

from vtc.compiler.errors import SimulationError
from vtc.compiler.machine.code import LoopSpec, MachineProgram, MInstr, PortInfo
from vtc.compiler.machine.isa import ISA, Form, OpInfo
from vtc.compiler.machine.semantics import as_precision
from vtc.compiler.machine.target import Target, load_target
from vtc.compiler.sim.simulator import Simulator

SINGLE = load_target("zynq7020-single")
DOUBLE = load_target("zynq7020-double")


def build(target: Target, *items: MInstr | int, **kw: object) -> MachineProgram:
    """A program from slots; an int ``n`` stands for ``n`` nops."""
    slots: list[MInstr] = []
    for item in items:
        if isinstance(item, int):
            slots.extend(MInstr("nop") for _ in range(item))
        else:
            slots.append(item)
    return MachineProgram(target, tuple(slots), **kw)  # type: ignore[arg-type]


def fmt(target: Target) -> str:
    return target.default_format


def bits(x: float) -> int:
    return int.from_bytes(struct.pack(">d", x), "big")


def same(x: float, y: float) -> bool:
    return (math.isnan(x) and math.isnan(y)) or bits(x) == bits(y)


VALUES = [
    0.0,
    -0.0,
    1.0,
    -1.5,
    0.1,
    3.0,
    1e-3,
    2.5,
    -2.5,
    1e30,
    -1e30,
    3.4e38,
    math.inf,
    -math.inf,
    math.nan,
    7.25,
    0.5,
    -0.5,
    1e-40,
    100.0,
]
PAIRS = [(a, b) for a in VALUES[:12] for b in VALUES[:12]] + [
    (a, b) for a in VALUES[12:] for b in VALUES
]

ARITH = [op for op in ISA if op.fn is not None and op.form in (Form.DAB, Form.DA)]


@pytest.mark.parametrize("target", [SINGLE, DOUBLE], ids=["binary32", "binary64"])
@pytest.mark.parametrize("op", ARITH, ids=[op.mnemonic for op in ARITH])
def test_every_arithmetic_opcode_matches_semantics(target: Target, op: OpInfo) -> None:
    assert op.fn is not None
    lat = target.latency_of(op.mnemonic)
    io = target.latency_of("in")
    binary = op.form is Form.DAB
    code = MInstr(op.mnemonic, 2, 0, 1) if binary else MInstr(op.mnemonic, 2, 0)
    mp = build(
        target,
        MInstr("in", 0, 0),
        MInstr("in", 1, 1),
        io,
        code,
        lat - 1,
        MInstr("out", 0, 2),
        MInstr("halt"),
        inputs=(PortInfo(0, "a", fmt(target)), PortInfo(1, "b", fmt(target))),
        outputs=(PortInfo(0, "y", fmt(target)),),
    )
    prec = target.precision
    a_vals = [as_precision(a, prec) for a, _ in PAIRS]
    b_vals = [as_precision(b, prec) for _, b in PAIRS]
    result = Simulator(mp).run(len(PAIRS), {"a": a_vals, "b": b_vals})
    for a, b, got in zip(a_vals, b_vals, result.outputs["y"], strict=True):
        want = as_precision(op.fn(a, b) if binary else op.fn(a), prec)
        assert same(got, want), (op.mnemonic, a, b, got, want)
    assert result.cycles[0] == 2 + io + lat + target.latency_of("out")


@pytest.mark.parametrize("target", [SINGLE, DOUBLE], ids=["binary32", "binary64"])
def test_cmov_keeps_or_replaces_the_destination(target: Target) -> None:
    # cmov r2, r0, r1: r2 = r0 if r1 != 0 else r2 (r2 is a state holding 9)
    mp = build(
        target,
        MInstr("in", 1, 0),
        2,
        MInstr("cmov", 2, 0, 1),
        MInstr("out", 0, 2),
        MInstr("halt"),
        data=((0, 5.0), (2, 9.0)),
        inputs=(PortInfo(0, "c", fmt(target)),),
        outputs=(PortInfo(0, "y", fmt(target)),),
    )
    result = Simulator(mp).run(4, {"c": [0.0, 1.0, math.nan, -0.0]})
    # run 1 keeps 9; run 2 takes 5; NaN counts as true; -0.0 is false: stays 5
    assert result.outputs["y"] == [9.0, 5.0, 5.0, 5.0]


@pytest.mark.parametrize("target", [SINGLE, DOUBLE], ids=["binary32", "binary64"])
@pytest.mark.parametrize(
    "mnemonic",
    [
        "add",
        "mul",
        "div",
        "sqrt",
        "neg",
        "min",
        "cmplt",
        "sin",
        "pow",
        "ln",
        "floor",
        "mov",
        "cmov",
    ],
)
def test_result_is_visible_exactly_at_issue_plus_latency(target: Target, mnemonic: str) -> None:
    lat = target.latency_of(mnemonic)
    form = next(op.form for op in ISA if op.mnemonic == mnemonic)
    ins = MInstr(mnemonic, 2, 0, 1) if form is not Form.DA else MInstr(mnemonic, 2, 0)
    # r2 starts as the state value -7; out at c0+lat-1 must see -7, at c0+lat the result.
    mp = build(
        target,
        ins,
        lat - 2 if lat >= 2 else 0,
        *([MInstr("out", 0, 2)] if lat >= 2 else []),
        MInstr("out", 1, 2),
        MInstr("halt"),
        data=((0, 4.0), (1, 2.0), (2, -7.0)),
        outputs=(PortInfo(0, "old", fmt(target)), PortInfo(1, "new", fmt(target))),
    )
    out = Simulator(mp).run(1).outputs
    if lat >= 2:
        assert out["old"] == [-7.0]
    assert out["new"] != [-7.0]


def test_worked_example_takes_14_cycles() -> None:
    mp = build(
        SINGLE,
        MInstr("in", 1, 0),  # c0, a visible c2
        1,
        MInstr("mul", 2, 1, 0),  # c2, b visible c6
        3,
        MInstr("add", 3, 2, 1),  # c6, c visible c12
        5,
        MInstr("out", 0, 3),  # c12, visible c14
        MInstr("halt"),  # c13
        data=((0, 2.0),),
        inputs=(PortInfo(0, "x", "f32"),),
        outputs=(PortInfo(0, "y", "f32"),),
    )
    result = Simulator(mp).run(3, {"x": [1.0, 0.5, -2.0]})
    assert result.cycles == [14, 14, 14]
    assert result.outputs == {"y": [3.0, 1.5, -6.0]}
    assert result.total_cycles == 42
    assert [r.start for r in result.runs] == [0, 14, 28]
    assert result.instructions == 42


def loop3() -> MachineProgram:
    # .state acc = 0.0, .const one = 1.0; loop 3 { add acc, acc, one; 5 nops }; out y, acc; halt
    return build(
        SINGLE,
        MInstr("add", 1, 1, 0),
        5,
        MInstr("out", 0, 1),
        MInstr("halt"),
        loops=(LoopSpec(0, 5, 3),),
        data=((0, 1.0), (1, 0.0)),
        outputs=(PortInfo(0, "y", "f32"),),
    )


def test_loop_example_takes_20_cycles_and_keeps_state() -> None:
    result = Simulator(loop3()).run(3)
    assert result.cycles == [20, 20, 20]
    assert result.outputs == {"y": [3.0, 6.0, 9.0]}
    assert result.instructions == 3 * 20


def test_nested_loops_two_deep() -> None:
    # loop 3 { in t, x; 1 nop; loop 4 { add acc, acc, t; 5 nops }; mov n, n+1 ... }
    # outer body: in(0) nop(1) [inner 2..7] add cnt(8) 5 nops (9..13)
    mp = build(
        SINGLE,
        MInstr("in", 2, 0),  # 0
        1,  # 1
        MInstr("add", 1, 1, 2),  # 2 inner start
        5,  # 3..7 inner end at 7
        MInstr("add", 3, 3, 0),  # 8  count outer iterations
        5,  # 9..13 outer end
        MInstr("out", 0, 1),  # 14
        MInstr("out", 1, 3),  # 15
        MInstr("halt"),  # 16
        loops=(LoopSpec(0, 13, 3), LoopSpec(2, 7, 4)),
        data=((0, 1.0), (1, 0.0), (3, 0.0)),
        inputs=(PortInfo(0, "x", "f32"),),
        outputs=(PortInfo(0, "acc", "f32"), PortInfo(1, "n", "f32")),
    )
    result = Simulator(mp).run(2, {"x": [1, 2, 3, 10, 20, 30]})
    # outer body = 2 + 4*6 + 6 = 32 cycles; 3 iterations = 96; out at 96, 97; halt 98
    assert result.cycles == [99, 99]
    assert result.outputs == {"acc": [24.0, 264.0], "n": [3.0, 6.0]}


def test_nested_loops_starting_on_the_same_slot() -> None:
    # loop 2 { loop 3 { add acc, acc, one; 5 nops }; add m, m, one; 5 nops }
    mp = build(
        SINGLE,
        MInstr("add", 1, 1, 0),  # 0 both loops start here
        5,  # 1..5 inner end
        MInstr("add", 2, 2, 0),  # 6
        5,  # 7..11 outer end
        MInstr("out", 0, 1),
        MInstr("out", 1, 2),
        MInstr("halt"),
        loops=(LoopSpec(0, 11, 2), LoopSpec(0, 5, 3)),
        data=((0, 1.0), (1, 0.0), (2, 0.0)),
        outputs=(PortInfo(0, "acc", "f32"), PortInfo(1, "m", "f32")),
    )
    result = Simulator(mp).run(1)
    assert result.outputs == {"acc": [6.0], "m": [2.0]}
    assert result.cycles == [2 * (18 + 6) + 3]


def test_results_stay_in_flight_across_the_back_edge() -> None:
    # loop 2 { mul p, p, two (lat 4); 1 nop } : the second mul reads the old p
    mp = build(
        SINGLE,
        MInstr("mul", 1, 1, 0),
        1,
        MInstr("nop"),
        3,
        MInstr("out", 0, 1),
        MInstr("halt"),
        loops=(LoopSpec(0, 1, 2),),
        data=((0, 2.0), (1, 3.0)),
        outputs=(PortInfo(0, "y", "f32"),),
    )
    result = Simulator(mp).run(2)
    # both muls read p=3 (issued c0, c2; landing c4, c6): p = 6 twice; out c8, halt c9
    assert result.outputs == {"y": [6.0, 12.0]}
    assert result.cycles == [10, 10]


def test_write_port_conflict_names_run_cycle_and_both_addresses() -> None:
    mp = build(
        SINGLE,
        MInstr("mul", 2, 0, 0),  # c0 lands c4
        2,
        MInstr("cmplt", 3, 0, 0),  # c3 lands c5
        MInstr("cmpeq", 4, 0, 0),  # c4 lands c6
        MInstr("neg", 5, 0),  # c5 lands c6: conflict
        MInstr("halt"),
        data=((0, 1.0),),
    )
    with pytest.raises(SimulationError) as exc:
        Simulator(mp, name="p.s").run(1)
    assert exc.value.format() == (
        "p.s: error: write-port conflict in run 1, cycle 6: 'cmpeq r4, r0, r0' (address 4, "
        "issued in cycle 4) and 'neg   r5, r0' (address 5, issued in cycle 5) both land a "
        "result in that cycle"
    )


def test_reading_a_cell_without_value_is_an_error() -> None:
    mp = build(SINGLE, MInstr("add", 2, 0, 1), MInstr("halt"), data=((0, 1.0),))
    with pytest.raises(SimulationError) as exc:
        Simulator(mp).run(1)
    assert str(exc.value) == (
        "error: 'add   r2, r0, r1' at address 0 reads cell r1, which holds no value in run 1, "
        "cycle 0 (it is not initialised and no write to it has landed in this run)"
    )


def test_reading_before_the_write_lands_is_an_error() -> None:
    mp = build(
        SINGLE, MInstr("sqr", 1, 0), 2, MInstr("out", 0, 1), MInstr("halt"), data=((0, 3.0),)
    )
    with pytest.raises(SimulationError, match=r"reads cell r1, .* run 1, cycle 3"):
        Simulator(mp).run(1)


def test_a_temporary_read_before_its_write_fails_in_the_first_run() -> None:
    # r1 is written after the read: only states keep values, so run 1 fails.
    mp = build(SINGLE, MInstr("out", 0, 1), MInstr("mov", 1, 0), MInstr("halt"), data=((0, 3.0),))
    with pytest.raises(SimulationError, match="run 1, cycle 0"):
        Simulator(mp).run(2)


def test_input_running_out_names_port_and_run() -> None:
    mp = build(
        SINGLE,
        MInstr("in", 0, 0),
        1,
        MInstr("out", 0, 0),
        MInstr("halt"),
        inputs=(PortInfo(0, "x", "f32"),),
    )
    with pytest.raises(SimulationError) as exc:
        Simulator(mp).run(5, {"x": [1, 2, 3, 4]})
    assert exc.value.message == "input port 'x' has no value for run 5 (the input gives 4)"


def test_inputs_by_number_and_unknown_port() -> None:
    mp = build(SINGLE, MInstr("in", 0, 3), 1, MInstr("out", 2, 0), MInstr("halt"))
    result = Simulator(mp).run(2, {3: [1.25, 2.5]})
    assert result.outputs == {"out2": [1.25, 2.5]}
    with pytest.raises(SimulationError) as exc:
        Simulator(mp).run(1, {"x": [1.0]})
    assert exc.value.message == "the program has no input port 'x' (its inputs: in3)"


def test_port_formats_saturate_round_and_map_nan_to_zero() -> None:
    mp = build(
        SINGLE,
        MInstr("in", 0, 0),
        MInstr("in", 1, 1),
        1,
        MInstr("out", 0, 0),
        MInstr("out", 1, 1),
        MInstr("out", 2, 0),
        MInstr("halt"),
        inputs=(PortInfo(0, "i", "i16"), PortInfo(1, "q", "q4.4")),
        outputs=(PortInfo(0, "o8", "i8"), PortInfo(1, "oq", "q2.2"), PortInfo(2, "f", "f32")),
    )
    i_in = [40000.0, -40000.0, 2.5, 3.5, math.nan, 100.0]
    q_in = [0.03125, 0.09375, 100.0, -100.0, 1.1, math.nan]
    out = Simulator(mp).run(6, {"i": i_in, "q": q_in}).outputs
    assert out["f"] == [32767.0, -32768.0, 2.0, 4.0, 0.0, 100.0]  # i16: saturate, even, NaN
    assert out["o8"] == [127.0, -128.0, 2.0, 4.0, 0.0, 100.0]  # i8 saturates again
    # q4.4 in: ties to even on the 1/16 grid, saturates at 7.9375 / -8; q2.2 out: grid 1/4
    assert out["oq"] == [0.0, 0.0, 1.75, -2.0, 1.0, 0.0]


def test_halt_missing_is_an_error() -> None:
    mp = build(SINGLE, MInstr("nop"), MInstr("nop"))
    with pytest.raises(SimulationError, match="ran past the last slot"):
        Simulator(mp).run(1)


def test_shared_memory_is_not_supported_yet() -> None:
    mp = build(SINGLE, MInstr("lds", 0, 1, a_shared=True), MInstr("halt"))
    with pytest.raises(SimulationError, match="shared memory is not supported by the simulator"):
        Simulator(mp)


def test_run_end_waits_for_every_pending_write() -> None:
    # div issued c0 lands c14, halt c1: the run takes 14 cycles; the state is
    # visible to the next run.
    mp = build(
        SINGLE,
        MInstr("out", 0, 1),
        MInstr("div", 1, 1, 0),
        MInstr("halt"),
        data=((0, 2.0), (1, 8.0)),
        outputs=(PortInfo(0, "y", "f32"),),
    )
    result = Simulator(mp).run(3)
    assert result.cycles == [15, 15, 15]
    assert result.outputs == {"y": [8.0, 4.0, 2.0]}


def test_zero_steps() -> None:
    result = Simulator(loop3()).run(0)
    assert result.outputs == {"y": []} and result.cycles == [] and result.total_cycles == 0


def test_single_precision_rounds_once_on_store_and_overflows_to_inf() -> None:
    mp = build(
        SINGLE,
        MInstr("mul", 1, 0, 0),
        3,
        MInstr("out", 0, 1),
        MInstr("halt"),
        data=((0, 3e30),),
        outputs=(PortInfo(0, "y", "f64"),),
    )
    assert Simulator(mp).run(1).outputs == {"y": [math.inf]}
    mp = build(
        DOUBLE,
        MInstr("mul", 1, 0, 0),
        5,
        MInstr("out", 0, 1),
        MInstr("halt"),
        data=((0, 3e30),),
        outputs=(PortInfo(0, "y", "f64"),),
    )
    assert Simulator(mp).run(1).outputs == {"y": [3e30 * 3e30]}


def test_simulator_does_not_import_the_assembler() -> None:
    code = (
        "import sys, vtc.compiler.sim.simulator, vtc.compiler.sim.state, "
        "vtc.compiler.sim.trace, vtc.compiler.sim.streams, vtc.compiler.machine.image; "
        "bad = [m for m in sys.modules if m.startswith('vtc.compiler.asm')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
