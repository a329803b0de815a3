"""The window bound (:mod:`vtc.compiler.asm.windows`): soundness against exact optima.

Skipped without OR-Tools. The brute force and the random-block strategy come
from ``test_bounds.py``.
"""

from __future__ import annotations

import random

import pytest
from blockcases import blocks, brute_force_optimum, naive_optimum
from hypothesis import given, settings
from hypothesis import strategies as st

from vtc.compiler.asm.blocksched import list_schedule
from vtc.compiler.asm.bounds import adjust_paths, class_sequence_bound, lower_bound
from vtc.compiler.asm.exact import exact_available, solve_exact
from vtc.compiler.asm.problem import Block, BlockJob, check_schedule, schedule_length
from vtc.compiler.asm.windows import (
    Port,
    Side,
    WindowBound,
    counted_jobs,
    window_bound,
    window_capacity,
)

pytestmark = pytest.mark.skipif(
    not exact_available(), reason="OR-Tools (CP-SAT) is not installed: pip install vtc[exact]"
)


ADD = BlockJob(latency=6, writes=True, tail=6)
MUL = BlockJob(latency=4, writes=True, tail=4)
MOV = BlockJob(latency=1, writes=True, tail=1)
SIDES: tuple[Side, ...] = ("start", "end")
PORTS: tuple[Port, ...] = ("issue", "write")


@st.composite
def dfg_blocks(draw: st.DrawFn, *, max_jobs: int = 14) -> Block:
    """Blocks like the EXPRESS graphs: adds, muls and moves, edges wait the latency."""
    n = draw(st.integers(1, max_jobs))
    jobs = tuple(draw(st.sampled_from([ADD, MUL, MOV])) for _ in range(n))
    pairs = draw(st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=2 * n))
    edges = tuple(sorted((u, v, jobs[u].latency) for u, v in pairs if u < v))
    return Block(jobs=jobs, edges=edges)


def _used(block: Block, starts: list[int], side: Side, port: Port, width: int) -> int:
    """Counted jobs a schedule places in a window (module docstring of windows)."""
    length = schedule_length(block, starts)
    count = 0
    for j in counted_jobs(block, port):
        job = block.jobs[j]
        if port == "issue":
            c, first, last = starts[j], 0, width - 1
            if side == "end":
                first, last = length - width, length - 1
        else:
            c, first, last = starts[j] + job.latency, 1, width
            if side == "end":
                first, last = length - width + 1, length
        count += first <= c <= last
    return count


def test_empty_block_has_no_window_bound() -> None:
    assert window_bound(Block(jobs=(), edges=())) == WindowBound(0, {})


def test_window_bound_sees_what_the_other_bounds_miss() -> None:
    # add0 -> mov3, mov1 -> mul2 -> mov4, mov1 -> mov3. The one-machine and
    # class-sequence bounds allow 8; within the first 8 cycles the add's and
    # the mul's results, and the moves after them, cannot all find distinct
    # write cycles, so the first 8 issue cycles hold at most 4 jobs: 9.
    edges = ((0, 3, 6), (1, 2, 1), (1, 3, 1), (2, 4, 4))
    block = Block(jobs=(ADD, MOV, MUL, MOV, MOV), edges=edges)
    assert lower_bound(block).value == 8
    assert class_sequence_bound(block) == 8
    bound = window_bound(block)
    assert bound.value == 9 == brute_force_optimum(block)
    assert bound.free["start", "issue", 8] == 4


def test_moves_first_or_the_write_port_idles() -> None:
    # Three independent adds: no result can land before cycle 6, so the
    # write port idles in cycles 1..5 and the block needs 3 + 5 cycles.
    block = Block(jobs=(ADD, ADD, ADD), edges=())
    paths = adjust_paths(block)
    assert window_capacity(block, paths, "start", "write", 5) == 0
    assert window_bound(block).value == 8 == brute_force_optimum(block)


def test_window_is_empty_without_candidates() -> None:
    block = Block(jobs=(ADD,), edges=())
    paths = adjust_paths(block)
    assert window_capacity(block, paths, "start", "write", 3) == 0
    assert window_capacity(block, paths, "start", "issue", 0) == 0


@settings(max_examples=120, deadline=None)
@given(blocks(max_jobs=7))
def test_window_bound_never_exceeds_the_optimum(block: Block) -> None:
    assert window_bound(block, time_limit=2.0).value <= brute_force_optimum(block)


@settings(max_examples=60, deadline=None)
@given(blocks(max_jobs=3, max_latency=3, negative_delays=True))
def test_window_bound_with_negative_delays(block: Block) -> None:
    horizon = sum(max(j.latency, j.tail) for j in block.jobs) + sum(
        max(d, 0) for _, _, d in block.edges
    )
    assert window_bound(block, time_limit=1.0).value <= naive_optimum(block, horizon + 1)


@settings(max_examples=60, deadline=None)
@given(blocks(max_jobs=7), st.sampled_from([0.0, 0.001, 0.01]))
def test_window_bound_out_of_time_stays_sound(block: Block, seconds: float) -> None:
    # A solver stopped early must weaken the bound, never break it (it once
    # read a meaningless objective bound when stopped before any solution).
    assert window_bound(block, time_limit=seconds).value <= brute_force_optimum(block)


@settings(max_examples=60, deadline=None)
@given(blocks(max_jobs=12, negative_delays=True), st.integers(0, 2**31))
def test_capacity_covers_every_schedule(block: Block, seed: int) -> None:
    # Not only optimal schedules: any valid one fits the window capacities.
    rng = random.Random(seed)
    starts = list_schedule(block, priority=[rng.random() for _ in block.jobs])
    assert check_schedule(block, starts) == []
    paths = adjust_paths(block)
    for side in SIDES:
        for port in PORTS:
            for width in (1, 3, 6, 10):
                cap = window_capacity(block, paths, side, port, width, time_limit=2.0)
                assert cap >= _used(block, starts, side, port, width)


@settings(max_examples=25, deadline=None)
@given(dfg_blocks())
def test_window_bound_on_dfg_like_blocks(block: Block) -> None:
    # Bigger than the brute force reaches: the optimum proven by CP-SAT.
    exact = solve_exact(block, time_limit=20.0)
    assert exact is not None
    if exact.optimal:
        assert window_bound(block, time_limit=2.0).value <= exact.length


@pytest.mark.parametrize("seconds", [0.005, 0.05, 0.3])
def test_big_block_out_of_time_stays_below_a_schedule(seconds: float) -> None:
    # Wide windows on a 60-job block: the solver stops before it has a
    # solution, and the bound must then fall back to nothing, not to 0 jobs.
    rng = random.Random(7)
    jobs = tuple(rng.choice([ADD, MUL, MOV]) for _ in range(60))
    edges = tuple(
        (u, v, jobs[u].latency) for v in range(60) for u in rng.sample(range(v), min(v, 2))
    )
    block = Block(jobs=jobs, edges=edges)
    length = schedule_length(block, list_schedule(block))
    bound = window_bound(block, widths=(10, 30, 50), time_limit=seconds)
    assert bound.value <= length
