"""Random programs on random latency tables: schedule, verify, simulate, compare.

The assembler runs its independent verifier on every program; on top of that
the cycle-accurate simulation of the image must give, bit for bit, the
outputs of the sequential meaning of the source. The same holds with
software pipelining of innermost loops (``schedule(..., pipeline=True)``).
"""

from __future__ import annotations

import math
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from seqinterp import count_inputs, run_sequential
from strategies import programs, straight_line_programs, targets

from vtc.compiler.asm.dataflow import build_dataflow
from vtc.compiler.asm.driver import assemble
from vtc.compiler.asm.layout import layout
from vtc.compiler.asm.parser import parse
from vtc.compiler.asm.program import Program
from vtc.compiler.asm.resolve import resolve
from vtc.compiler.asm.sched import schedule
from vtc.compiler.asm.verify import verify, verify_machine
from vtc.compiler.machine.code import MachineProgram
from vtc.compiler.machine.target import Target, target_from_dict
from vtc.compiler.sim.simulator import Simulator

RUNS = 3


def _same(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(
        (math.isnan(x) and math.isnan(y)) or (x == y and math.copysign(1, x) == math.copysign(1, y))
        for x, y in zip(a, b, strict=True)
    )


def _check(text: str, tdict: dict[str, Any], keep_order: bool, seed: int) -> None:
    target = target_from_dict(tdict, "random-target")
    asm = assemble(text, "random.s", target=target, keep_order=keep_order)  # verifies
    assert asm.report["cycles"] >= asm.report["lower_bound"]
    rnd = random.Random(seed)
    need = count_inputs(asm.program, RUNS)
    inputs = {p: [rnd.uniform(-4, 4) for _ in range(n)] for p, n in need.items()}
    expected = run_sequential(asm.program, target, RUNS, inputs)
    sim = Simulator(asm.machine).run(RUNS, inputs)
    assert sim.cycles == [asm.report["cycles"]] * RUNS
    by_number = {p.name: p.number for p in asm.machine.outputs}
    got = {by_number[name]: values for name, values in sim.outputs.items() if values}
    assert got.keys() == expected.keys()
    for port, values in expected.items():
        assert _same(got[port], values), f"output port {port}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), targets(), st.integers(0, 99))
def test_random_programs_mean_what_they_say(text: str, tdict: dict[str, Any], seed: int) -> None:
    _check(text, tdict, keep_order=False, seed=seed)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), targets())
def test_random_programs_in_program_order(text: str, tdict: dict[str, Any]) -> None:
    _check(text, tdict, keep_order=True, seed=1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(straight_line_programs(), targets())
def test_straight_line_schedules_are_no_longer_than_program_order(
    text: str, tdict: dict[str, Any]
) -> None:
    target = target_from_dict(tdict, "random-target")
    fast = assemble(text, "s.s", target=target)
    naive = assemble(text, "s.s", target=target, keep_order=True)
    assert fast.report["cycles"] <= naive.report["cycles"]
    assert fast.report["cells"] == fast.report["max_live"]


def _pipelined(text: str, target: Target) -> tuple[Program, MachineProgram, int]:
    """Schedule with software pipelining and lay out: the program, its image and cycles."""
    prog = parse(text, "random.s")
    resolved = resolve(prog, target)
    df = build_dataflow(resolved)
    sched = schedule(df, target, pipeline=True)
    machine, _, _ = layout(resolved, df, sched)
    return prog, machine, sched.cycles


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(max_count=30), targets(), st.integers(0, 99))
def test_random_pipelined_programs_mean_what_they_say(
    text: str, tdict: dict[str, Any], seed: int
) -> None:
    target = target_from_dict(tdict, "random-target")
    prog, machine, cycles = _pipelined(text, target)
    assert verify(prog, machine).cycles == cycles
    assert verify_machine(machine).cycles == cycles
    rnd = random.Random(seed)
    need = count_inputs(prog, RUNS)
    inputs = {p: [rnd.uniform(-4, 4) for _ in range(n)] for p, n in need.items()}
    expected = run_sequential(prog, target, RUNS, inputs)
    sim = Simulator(machine).run(RUNS, inputs)
    assert sim.cycles == [cycles] * RUNS
    by_number = {p.name: p.number for p in machine.outputs}
    got = {by_number[name]: values for name, values in sim.outputs.items() if values}
    assert got.keys() == expected.keys()
    for port, values in expected.items():
        assert _same(got[port], values), f"output port {port}"
