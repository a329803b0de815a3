"""The verifier on software-pipelined loops: prologue, kernel and epilogue.

Hand-built layouts pin the exact messages; the examples and random programs
scheduled with ``pipeline=True`` check the real assembler against the
verifier and the simulator.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from seqinterp import count_inputs, run_sequential
from strategies import programs, targets
from test_verify import WORKED, ins, loop, machine, problems, program, worked

from vtc.compiler.asm.dataflow import build_dataflow
from vtc.compiler.asm.layout import layout
from vtc.compiler.asm.parser import parse
from vtc.compiler.asm.program import Program, walk_instrs
from vtc.compiler.asm.resolve import resolve
from vtc.compiler.asm.sched import Schedule, schedule
from vtc.compiler.asm.verify import VerifyReport, verify, verify_machine
from vtc.compiler.errors import VerifyError, VtcErrors
from vtc.compiler.machine.code import LoopSpec, MachineProgram, MInstr
from vtc.compiler.machine.target import Target, load_target, target_from_dict
from vtc.compiler.sim.simulator import Simulator

EXAMPLES = Path(__file__).parents[2] / "examples" / "asm"

# --- a loop pipelined in 3 stages, as the scheduler lays it out -------------------------


def pipe_program(count: int = 5) -> Program:
    return program(
        loop(4, 10, count,
             ins(5, "in", "u", "x"),
             ins(6, "mul", "v", "u", "k"),
             ins(7, "out", "y", "v"),
             ins(8, "add", "w", "u", "k"),
             ins(9, "out", "z", "w")),
        ins(11, "halt"),
        inputs={"x": 0}, outputs={"y": 0, "z": 1}, consts={"k": 2.0},
    )  # fmt: skip


# II = 5, 3 stages: prologue blocks 0-1 (slots 0..9), the kernel (slots 10..14),
# epilogue blocks N and N + 1 (slots 15..24); ``; origin/stage``
PIPE_SLOTS = """
in r1, 0 ; 0/0
nop
add r3, r1, r0 ; 3/0
nop*2
in r1, 0 ; 0/0
mul r2, r1, r0 ; 1/1
add r3, r1, r0 ; 3/0
nop
out 1, r3 ; 4/1
in r1, 0 ; 0/0
mul r2, r1, r0 ; 1/1
add r3, r1, r0 ; 3/0
out 0, r2 ; 2/2
out 1, r3 ; 4/1
nop
mul r2, r1, r0 ; 1/1
nop
out 0, r2 ; 2/2
out 1, r3 ; 4/1
nop*3
out 0, r2 ; 2/2
nop
halt ; 5
"""


def staged(text: str) -> str:
    """``; origin/stage`` lines without the stage (for :func:`test_verify.slots`)."""
    return "\n".join(line.split("/")[0] for line in text.strip().splitlines())


def stages_of(text: str) -> list[int]:
    out: list[int] = []
    for line in text.strip().splitlines():
        code, _, rest = line.partition(";")
        n = int(code.split("*")[1]) if code.startswith("nop*") else 1
        out.extend([int(rest.split("/")[1]) if "/" in rest else 0] * n)
    return out


def pipe_machine(
    text: str = PIPE_SLOTS,
    loops: Sequence[tuple[int, int, int]] = ((10, 14, 3),),
    pipelines: Sequence[tuple[int, int]] = ((10, 3),),
) -> MachineProgram:
    mach = machine(staged(text), loops=loops, data=[(0, 2.0)], symbols=[("const", "k", 0)])
    slots = tuple(
        dataclasses.replace(s, stage=st) for s, st in zip(mach.slots, stages_of(text), strict=True)
    )
    return dataclasses.replace(mach, slots=slots, pipelines=tuple(pipelines))


def with_slot(mach: MachineProgram, addr: int, **changes: Any) -> MachineProgram:
    """``mach`` with slot ``addr`` changed (a ``nop`` without ``changes``)."""
    new = dataclasses.replace(mach.slots[addr], **changes) if changes else MInstr("nop")
    return dataclasses.replace(mach, slots=(*mach.slots[:addr], new, *mach.slots[addr + 1 :]))


PIPE = pipe_program()
KERNEL = "pipelined machine loop 0 (slots 10..14, 3 stages)"


def test_a_pipelined_loop_verifies() -> None:
    # (N + S - 1) * II = 7 * 5 cycles of loop, then halt: the last out lands in 35
    assert verify(PIPE, pipe_machine()) == VerifyReport(
        cycles=36, instructions_checked=36, slots=26, windows=(3,)
    )


def test_a_missing_prologue_copy_is_named_with_its_iteration() -> None:
    assert problems(PIPE, with_slot(pipe_machine(), 5)) == [
        f"t.s:5 (in) never runs iteration 1 of source loop t.s:4: the kernel of {KERNEL} runs "
        "iterations 2..4 of it, and no slot of the prologue runs iteration 1 (at stage 0: slot 5, "
        "block 1)"
    ]


def test_a_wrong_stage_runs_an_iteration_twice_or_outside_the_loop() -> None:
    assert problems(PIPE, with_slot(pipe_machine(), 9, stage=0)) == [
        f"slot 9 (out 1, r3; t.s:9) in block 1 (prologue) of {KERNEL} runs iteration 1 of source "
        "loop t.s:4, which its kernel slot 14 already runs (iterations 1..3)",
        f"t.s:9 (out) never runs iteration 0 of source loop t.s:4: the kernel of {KERNEL} runs "
        "iterations 1..3 of it, and no slot of the prologue runs iteration 0 (at stage 1: slot 9, "
        "block 1)",
    ]
    assert problems(PIPE, with_slot(pipe_machine(), 0, stage=1))[0] == (
        f"slot 0 (in r1, 0; t.s:5) in block 0 (prologue) of {KERNEL} has stage 1, so it would "
        "run iteration -1 of source loop t.s:4, which has 5 iterations"
    )
    assert problems(PIPE, with_slot(pipe_machine(), 11, stage=3)) == [
        f"slot 11 (mul r2, r1, r0; t.s:6) in the kernel of {KERNEL} has stage 3; its stages are "
        "0..2"
    ]
    assert problems(PIPE, with_slot(pipe_machine(), 16, stage=3))[0] == (
        f"slot 16 (mul r2, r1, r0; t.s:6) in block 5 (epilogue) of {KERNEL} has stage 3; its "
        "stages are 0..2"
    )


def test_swapped_epilogue_blocks_are_caught() -> None:
    slots = list(pipe_machine().slots)
    slots[15:20], slots[20:25] = slots[20:25], slots[15:20]
    swapped = dataclasses.replace(pipe_machine(), slots=tuple(slots))
    assert problems(PIPE, swapped) == [
        f"slot 21 (mul r2, r1, r0; t.s:6) in block 6 (epilogue) of {KERNEL} has stage 1, so it "
        "would run iteration 5 of source loop t.s:4, which has 5 iterations",
        f"slot 24 (out 1, r3; t.s:9) in block 6 (epilogue) of {KERNEL} has stage 1, so it would "
        "run iteration 5 of source loop t.s:4, which has 5 iterations",
        f"t.s:6 (mul) never runs iteration 4 of source loop t.s:4: the kernel of {KERNEL} runs "
        "iterations 1..3 of it, and no slot of the epilogue runs iteration 4 (at stage 1: slot "
        "16, block 5)",
        f"t.s:9 (out) never runs iteration 4 of source loop t.s:4: the kernel of {KERNEL} runs "
        "iterations 1..3 of it, and no slot of the epilogue runs iteration 4 (at stage 1: slot "
        "19, block 5)",
    ]


@pytest.mark.parametrize("count", [2, 4])
def test_the_kernel_runs_n_minus_s_plus_1_times(count: int) -> None:
    assert problems(PIPE, pipe_machine(loops=[(10, 14, count)])) == [
        f"machine loop 0 (slots 10..14) repeats {count} times but source loop t.s:4 repeats 5 "
        "times: the kernel of its 3-stage pipeline must repeat 3 times"
    ]
    assert problems(pipe_program(2), pipe_machine()) == [
        "source loop t.s:4 repeats 2 times, too few to be pipelined in 3 stages as machine "
        "loop 0 (slots 10..14)"
    ]


def test_a_wrong_cell_in_a_copy_is_a_timing_error() -> None:
    assert problems(PIPE, with_slot(pipe_machine(), 16, d=3)) == [
        "slot 23 (out 0, r2; t.s:7) reads r2 in cycle 33 in iteration 4 and gets the result of "
        "t.s:6 (mul) in iteration 3, but the source reads the result of t.s:6 (mul) in iteration "
        "4, which slot 16 writes to r3"
    ]
    assert problems(PIPE, with_slot(pipe_machine(), 13, a=3)) == [
        "slot 13 (out 0, r3; t.s:7) reads r3 in cycle 13 in iteration 0 and gets the result of "
        "t.s:8 (add) in iteration 1, but the source reads the result of t.s:6 (mul) in iteration "
        "0, which slot 6 writes to r2"
    ]


def test_long_pipelined_loops_are_checked_in_a_window() -> None:
    prog = pipe_program(1000)
    mach = pipe_machine(loops=[(10, 14, 998)])
    # II = 5, largest latency 6: the kernel keeps 2 * ceil(6 / 5) + 4 = 8 iterations, so the
    # source loop runs 8 + 3 - 1 = 10; the real run takes (1000 + 2) * 5 + 1 cycles
    assert verify(prog, mach) == VerifyReport(
        cycles=5011, instructions_checked=10 + 8 * 5 + 10 + 1, slots=26, windows=(8,)
    )
    with pytest.raises(VerifyError) as info:
        verify(prog, with_slot(mach, 16, d=3))
    assert info.value.message.startswith("slot 23 (out 0, r2; t.s:7) reads r2 in cycle 58 in "
                                         "iteration 9 and gets")  # fmt: skip
    assert info.value.notes == (
        "cycles and iterations are counted in the checked window, where loop 0 runs 8 of its 998 "
        "iterations (the kernel of source loop t.s:4, which runs 10 of its 1000)",
    )


# --- the pipeline table ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("pipelines", "expected"),
    [
        ([(10, 1)], "the pipelined loop whose kernel starts at slot 10 has 1 stage(s); a "
         "software-pipelined loop has at least 2"),
        ([(11, 3)], "the pipelined loop whose kernel starts at slot 11 has no kernel: no "
         "loop-table entry starts at slot 11"),
        ([(10, 4)], "pipelined machine loop 0 (slots 10..14, 4 stages) needs a prologue of 15 "
         "slots before slot 10, but only 10 slots precede it"),
        ([(10, 3), (10, 3)], "slot 10 is named twice as the kernel of a pipelined loop"),
    ],
)  # fmt: skip
def test_pipeline_table_rules(pipelines: list[tuple[int, int]], expected: str) -> None:
    assert problems(PIPE, pipe_machine(pipelines=pipelines)) == [expected]


def test_an_epilogue_must_fit_the_program() -> None:
    short = PIPE_SLOTS.split("nop\nmul r2, r1, r0 ; 1/1\nnop\n", maxsplit=1)[0] + "halt ; 5"
    assert problems(PIPE, pipe_machine(short))[0] == (
        f"{KERNEL} needs an epilogue of 10 slots after slot 14, but only 1 slot(s) follow it"
    )


def test_stages_outside_a_pipelined_loop_are_reported() -> None:
    staged = with_slot(worked(), 2, stage=1)
    assert problems(WORKED, staged) == [
        "slot 2 (mul r2, r1, r0; t.s:5) has stage 1 but lies in no software-pipelined loop"
    ]
    assert (
        "slot 6 (mul r2, r1, r0; t.s:6) and 8 other slot(s) have a stage but lie in no "
        "software-pipelined loop"
    ) in problems(PIPE, pipe_machine(pipelines=[]))


def test_pipelined_loops_may_not_overlap() -> None:
    prog = program(loop(4, 6, 2, ins(5, "nop")), loop(7, 9, 2, ins(8, "nop")), ins(10, "halt"))
    mach = machine("nop\nnop ; 0\nnop\nnop ; 1\nnop\nhalt ; 2", loops=[(1, 1, 1), (3, 3, 1)])
    assert problems(prog, dataclasses.replace(mach, pipelines=((1, 2), (3, 2)))) == [
        "pipelined machine loop 0 (slots 1..1, 2 stages) and pipelined machine loop 1 (slots "
        "3..3, 2 stages) overlap: with prologue and epilogue they take slots 0..2 and 2..4"
    ]


def test_only_innermost_loops_are_pipelined() -> None:
    prog = program(
        loop(4, 10, 2, ins(5, "nop"), loop(6, 8, 2, ins(7, "nop")), ins(9, "nop")),
        ins(11, "halt"),
    )
    mach = machine("nop*3\nnop ; 0\nnop ; 1\nnop ; 2\nnop*3\nhalt ; 3",
                   loops=[(3, 5, 1), (4, 4, 2)])  # fmt: skip
    assert problems(prog, dataclasses.replace(mach, pipelines=((3, 2),))) == [
        "pipelined machine loop 0 (slots 3..5, 2 stages) holds machine loop 1 (slots 4..4); only "
        "innermost loops are software-pipelined"
    ]


def test_the_prologue_and_epilogue_hold_only_the_loop() -> None:
    prog = program(
        loop(4, 10, 5,
             ins(5, "in", "u", "x"),
             ins(6, "mul", "v", "u", "k"),
             ins(7, "out", "y", "v"),
             ins(8, "add", "w", "u", "k"),
             ins(9, "out", "z", "w")),
        ins(11, "mov", "t", "k"),
        ins(12, "halt"),
        inputs={"x": 0}, outputs={"y": 0, "z": 1}, consts={"k": 2.0},
    )  # fmt: skip
    text = PIPE_SLOTS.replace(
        "nop\nmul r2, r1, r0 ; 1/1\nnop\n", "mov r4, r0 ; 5\nmul r2, r1, r0 ; 1/1\nnop\n"
    ).replace("halt ; 5", "halt ; 6")
    assert problems(prog, pipe_machine(text)) == [
        f"slot 15 (mov r4, r0; t.s:11) lies in the epilogue of {KERNEL} but its source "
        "instruction is not in source loop t.s:4"
    ]


# --- a pipelined loop inside another loop ---------------------------------------------

NESTED = program(
    loop(3, 12, 2,
         loop(4, 10, 5,
              ins(5, "in", "u", "x"),
              ins(6, "mul", "v", "u", "k"),
              ins(7, "out", "y", "v"),
              ins(8, "add", "w", "u", "k"),
              ins(9, "out", "z", "w")),
         ins(11, "nop")),
    ins(13, "halt"),
    inputs={"x": 0}, outputs={"y": 0, "z": 1}, consts={"k": 2.0},
)  # fmt: skip
NESTED_SLOTS = PIPE_SLOTS.replace("halt ; 5", "nop ; 5\nhalt ; 6")


def test_a_pipelined_loop_may_sit_in_an_outer_loop() -> None:
    mach = pipe_machine(NESTED_SLOTS, loops=[(0, 25, 2), (10, 14, 3)])
    # the outer body: 10 + 3 * 5 + 10 + 1 = 36 cycles, twice, then halt
    assert verify(NESTED, mach) == VerifyReport(
        cycles=73, instructions_checked=73, slots=27, windows=(2, 3)
    )


def test_prologue_and_epilogue_lie_in_the_kernels_enclosing_loop() -> None:
    outside = pipe_machine(NESTED_SLOTS, loops=[(5, 25, 2), (10, 14, 3)])
    assert problems(NESTED, outside) == [
        "the prologue (slots 0..9) of pipelined machine loop 1 (slots 10..14, 3 stages) must lie "
        "directly in machine loop 0 (slots 5..25) like its kernel, but slot 0 is outside machine "
        "loop 0 (slots 5..25)"
    ]
    inside = pipe_machine(NESTED_SLOTS, loops=[(0, 25, 2), (16, 18, 1), (10, 14, 3)])
    assert problems(NESTED, inside)[-1] == (
        "the epilogue (slots 15..24) of pipelined machine loop 2 (slots 10..14, 3 stages) must "
        "lie directly in machine loop 0 (slots 0..25) like its kernel, but slot 16 is inside "
        "machine loop 1 (slots 16..18)"
    )
    top = pipe_machine(PIPE_SLOTS, loops=[(0, 9, 1), (10, 14, 3)])
    assert problems(PIPE, top)[-1] == (
        "the prologue (slots 0..9) of pipelined machine loop 1 (slots 10..14, 3 stages) must lie "
        "directly at the top level like its kernel, but slot 0 is inside machine loop 0 (slots "
        "0..9)"
    )


# --- real schedules -------------------------------------------------------------------


def pipelined(
    text: str, file: str, target: Target | None = None
) -> tuple[Program, MachineProgram, Schedule]:
    """Parse, schedule with software pipelining, lay out."""
    prog = parse(text, file)
    resolved = resolve(prog, target or load_target("zynq7020-single"))
    df = build_dataflow(resolved)
    sched = schedule(df, resolved.target, pipeline=True)
    mach, _, _ = layout(resolved, df, sched)
    return prog, mach, sched


def example(name: str) -> tuple[Program, MachineProgram, Schedule]:
    path = EXAMPLES / f"{name}.s"
    return pipelined(path.read_text(), f"{name}.s")


@pytest.mark.parametrize(("name", "stages"), [("smooth", 2), ("sobel", 3)])
def test_the_pipelined_examples_verify(name: str, stages: int) -> None:
    prog, mach, sched = example(name)
    assert [s for _, s in mach.pipelines] == [stages]
    assert verify(prog, mach).cycles == sched.cycles
    assert verify_machine(mach).cycles == sched.cycles


def copies(mach: MachineProgram) -> list[tuple[int, int, int]]:
    """``(slot, source iteration, count)`` of every prologue and epilogue copy."""
    out: list[tuple[int, int, int]] = []
    for kstart, stages in mach.pipelines:
        spec = next(lp for lp in mach.loops if lp.start == kstart)
        ii, count = spec.end - spec.start + 1, spec.count + stages - 1
        span = (stages - 1) * ii
        for addr in range(kstart - span, kstart):
            block = (addr - kstart + span) // ii
            if mach.slots[addr].origin is not None:
                out.append((addr, block - mach.slots[addr].stage, count))
        for addr in range(spec.end + 1, spec.end + 1 + span):
            block = count + (addr - spec.end - 1) // ii
            if mach.slots[addr].origin is not None:
                out.append((addr, block - mach.slots[addr].stage, count))
    return out


@pytest.mark.parametrize("name", ["smooth", "sobel"])
def test_every_missing_copy_of_an_example_is_caught(name: str) -> None:
    prog, mach, _ = example(name)
    found = copies(mach)
    assert found
    for addr, k, _ in found:
        msgs = problems(prog, with_slot(mach, addr))
        origin = mach.slots[addr].origin
        line = next(i.loc.line for i in walk_instrs(prog.cores[0].body) if i.index == origin)
        assert len(msgs) == 1
        assert msgs[0].startswith(f"{name}.s:{line} (")
        assert f") never runs iteration {k} of source loop {name}.s:" in msgs[0]


@pytest.mark.parametrize("name", ["smooth", "sobel"])
def test_every_wrong_stage_in_an_example_is_caught(name: str) -> None:
    prog, mach, _ = example(name)
    stages = dict(mach.pipelines)
    for addr, _, _ in copies(mach):
        for stage in range(max(stages.values()) + 1):
            if stage != mach.slots[addr].stage:
                msgs = problems(prog, with_slot(mach, addr, stage=stage))
                assert any(f"slot {addr} " in m for m in msgs), msgs


@pytest.mark.parametrize("name", ["smooth", "sobel"])
@pytest.mark.parametrize("delta", [-1, 1])
def test_a_kernel_count_off_by_one_in_an_example_is_caught(name: str, delta: int) -> None:
    prog, mach, _ = example(name)
    (kstart, stages), = mach.pipelines  # fmt: skip
    number = next(i for i, lp in enumerate(mach.loops) if lp.start == kstart)
    spec = mach.loops[number]
    loops = list(mach.loops)
    loops[number] = LoopSpec(spec.start, spec.end, spec.count + delta)
    n = spec.count + stages - 1
    msgs = problems(prog, dataclasses.replace(mach, loops=tuple(loops)))
    assert len(msgs) == 1
    assert msgs[0].startswith(
        f"machine loop {number} (slots {spec.start}..{spec.end}) repeats {spec.count + delta} "
        f"times but source loop {name}.s:"
    )
    assert msgs[0].endswith(
        f" repeats {n} times: the kernel of its {stages}-stage pipeline must repeat "
        f"{spec.count} times"
    )


def test_swapped_epilogue_blocks_of_an_example_are_caught() -> None:
    prog, mach, _ = example("sobel")
    (kstart, _), = mach.pipelines  # fmt: skip
    spec = next(lp for lp in mach.loops if lp.start == kstart)
    ii = spec.end - spec.start + 1
    a, b = spec.end + 1, spec.end + 1 + ii
    slots = list(mach.slots)
    slots[a : a + ii], slots[b : b + ii] = slots[b : b + ii], slots[a : a + ii]
    msgs = problems(prog, dataclasses.replace(mach, slots=tuple(slots)))
    assert any(" (epilogue) of pipelined machine loop 0 " in m for m in msgs)


# --- properties over random programs --------------------------------------------------

SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _same(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(
        (math.isnan(x) and math.isnan(y)) or (x == y and math.copysign(1, x) == math.copysign(1, y))
        for x, y in zip(a, b, strict=True)
    )


def _outputs(prog: Program, mach: MachineProgram, target: Target) -> tuple[Any, Any]:
    rnd = random.Random(1)
    need = count_inputs(prog, 2)
    inputs = {p: [rnd.uniform(-4, 4) for _ in range(n)] for p, n in need.items()}
    expected = run_sequential(prog, target, 2, inputs)
    by_number = {p.name: p.number for p in mach.outputs}
    sim = Simulator(mach).run(2, inputs)
    got = {by_number[name]: values for name, values in sim.outputs.items() if values}
    return got, expected


@SETTINGS
@given(programs(max_count=30), targets(), st.data())
def test_a_damaged_pipelined_schedule_is_rejected_or_still_right(
    text: str, tdict: dict[str, Any], data: st.DataObject
) -> None:
    """Whatever the verifier accepts simulates to the sequential meaning."""
    target = target_from_dict(tdict, "random-target")
    prog, mach, _ = pipelined(text, "g.s", target)
    assume(mach.pipelines)
    slots, loops = list(mach.slots), list(mach.loops)
    kstart, stages = data.draw(st.sampled_from(mach.pipelines))
    number = next(i for i, lp in enumerate(loops) if lp.start == kstart)
    spec = loops[number]
    span = (stages - 1) * (spec.end - spec.start + 1)
    addr = data.draw(st.integers(kstart - span, spec.end + span))
    action = data.draw(st.sampled_from(["swap", "stage", "count", "nop", "cell"]))
    if action == "swap" and addr < spec.end + span:
        slots[addr], slots[addr + 1] = slots[addr + 1], slots[addr]
    elif action == "stage":
        slots[addr] = dataclasses.replace(slots[addr], stage=data.draw(st.integers(0, stages)))
    elif action == "count":
        loops[number] = LoopSpec(
            spec.start, spec.end, spec.count + data.draw(st.sampled_from([-1, 1])) or 1
        )
    elif action == "nop":
        slots[addr] = MInstr("nop")
    elif slots[addr].info.form.writes_cell:
        slots[addr] = dataclasses.replace(slots[addr], d=data.draw(st.integers(0, 12)))
    damaged = dataclasses.replace(mach, slots=tuple(slots), loops=tuple(loops))
    try:
        verify(prog, damaged)
    except (VerifyError, VtcErrors) as exc:
        errors = exc.errors if isinstance(exc, VtcErrors) else (exc,)
        assert all(isinstance(e, VerifyError) for e in errors)
        return
    got, expected = _outputs(prog, damaged, target)
    assert got.keys() == expected.keys()
    for port, values in expected.items():
        assert _same(got[port], values), f"output port {port}"
