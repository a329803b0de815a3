"""Ruin and recreate (:mod:`vtc.compiler.asm.improve`): hand-made cases and properties.

The random-block strategy and the brute force come from ``test_bounds.py``.
"""

from __future__ import annotations

import doctest
import io
import random

import pytest
from blockcases import blocks, brute_force_optimum
from hypothesis import given, settings
from hypothesis import strategies as st

from vtc.compiler.asm import improve as improve_module
from vtc.compiler.asm.blocksched import list_schedule
from vtc.compiler.asm.bounds import longest_paths, lower_bound
from vtc.compiler.asm.improve import improve_schedule, lateness, serial_place
from vtc.compiler.asm.problem import Block, BlockJob, check_schedule, schedule_length

ADD = BlockJob(latency=6, writes=True, tail=6)
MUL = BlockJob(latency=4, writes=True, tail=4)
MOV = BlockJob(latency=1, writes=True, tail=1)
OUT = BlockJob(latency=2, writes=False, tail=1)

# add0 -> mov1 (waits 6), add2 independent: the optimum is 8 (test_bounds.py).
COLLISION = Block(jobs=(ADD, MOV, ADD), edges=((0, 1, 6),))

# Two adds and two muls, independent. The list scheduler (longest tail
# first) issues both adds in cycles 0 and 1; a mul in 2 or 3 would then write
# in the adds' cycles 6 or 7, so the muls issue in 4 and 5: length 9.
# Putting a mul (lower priority) between the adds does better: add 0, mul 1,
# add 2, mul 3 write in 6, 5, 8 and 7, length 8, the optimum.
ADDS_AND_MULS = Block(jobs=(ADD, MUL, ADD, MUL), edges=())


def _spread(block: Block) -> list[int]:
    """A valid but deliberately bad schedule: one job at a time, far apart."""
    gap = 1 + max(
        [j.latency for j in block.jobs]
        + [j.tail for j in block.jobs]
        + [d for *_, d in block.edges],
        default=0,
    )
    starts = [0] * len(block.jobs)
    for i, j in enumerate(longest_paths(block).order):
        starts[j] = i * gap
    return starts


# --- the module's example --------------------------------------------------


def test_docstring_example() -> None:
    # The project runs no doctests, so this is the only check of the example.
    out = io.StringIO()
    runner = doctest.DocTestRunner(verbose=False)
    for test in doctest.DocTestFinder().find(improve_module):
        runner.run(test, out=out.write)
    assert runner.tries >= 5
    assert runner.failures == 0, out.getvalue()


def test_collision_is_resolved() -> None:
    # the example of the docstring with a valid start: add2 at 3 writes in 9
    starts = [0, 7, 3]
    assert check_schedule(COLLISION, starts) == []
    assert schedule_length(COLLISION, starts) == 9
    found = improve_schedule(COLLISION, starts)
    assert found.length == 8 == brute_force_optimum(COLLISION)
    assert found.initial_length == 9
    assert found.improvements == 1
    assert check_schedule(COLLISION, found.starts) == []
    assert schedule_length(COLLISION, found.starts) == 8
    # 8 is lower_bound(COLLISION).value: the search stops there
    assert 1 <= found.moves < 100


# --- hand-made cases -----------------------------------------------------


def test_invalid_start_is_refused() -> None:
    # add2 at 2 and mov1 at 7 both write in cycle 8
    with pytest.raises(ValueError, match="both write in cycle 8"):
        improve_schedule(COLLISION, [0, 7, 2])
    with pytest.raises(ValueError, match="edge 0->1"):
        improve_schedule(COLLISION, [0, 4, 2])
    with pytest.raises(ValueError, match="start times"):
        improve_schedule(COLLISION, [0, 7])
    with pytest.raises(ValueError, match="negative"):
        improve_schedule(Block(jobs=(MOV,), edges=()), [-1])


def test_empty_block_and_no_budget() -> None:
    empty = improve_schedule(Block(jobs=(), edges=()), [])
    assert (empty.starts, empty.length, empty.moves, empty.improvements) == ((), 0, 0, 0)
    kept = improve_schedule(COLLISION, [0, 7, 3], moves=0)
    assert kept.starts == (0, 7, 3)
    assert (kept.length, kept.initial_length, kept.moves, kept.improvements) == (9, 9, 0, 0)


def test_finds_what_list_scheduling_misses() -> None:
    block = ADDS_AND_MULS
    starts = list_schedule(block)
    assert schedule_length(block, starts) == 9
    assert lower_bound(block).value == 7
    assert brute_force_optimum(block) == 8
    found = improve_schedule(block, starts, moves=2000)
    assert found.length == 8
    assert check_schedule(block, found.starts) == []
    # 7 cannot be reached: without a better bound it spends the whole budget
    assert found.moves == 2000
    # with the optimum as a proven bound it stops as soon as it is reached
    early = improve_schedule(block, starts, moves=2000, lower=8)
    assert early.length == 8
    assert early.moves < 2000


def test_shortens_a_deliberately_bad_schedule() -> None:
    block = ADDS_AND_MULS
    starts = _spread(block)
    assert starts == [0, 7, 14, 21]
    assert schedule_length(block, starts) == 25
    found = improve_schedule(block, starts, moves=2000, lower=8)
    assert found.length == 8
    assert found.initial_length == 25
    assert found.improvements >= 1
    assert check_schedule(block, found.starts) == []


def test_at_the_bound_nothing_is_tried() -> None:
    # lower_bound is 8 and the start already has length 8
    found = improve_schedule(COLLISION, [0, 7, 1])
    assert (found.starts, found.length, found.moves) == ((0, 7, 1), 8, 0)
    # a caller's bound counts too
    found = improve_schedule(COLLISION, [0, 7, 3], lower=9)
    assert (found.starts, found.length, found.moves) == ((0, 7, 3), 9, 0)


def test_serial_place_by_hand() -> None:
    # add0 fixed at 0; mov1 must wait 6 cycles, add2 goes wherever it fits.
    # mov1 first: mov1 at 6 (writes 7); add2 skips 0 (issue) and 1 (write 7).
    assert serial_place(COLLISION, [0, None, None], [0.0, 0.0, 1.0]) == [0, 6, 2]
    # add2 first: add2 at 1 (writes 7); mov1 skips 6 (write 7).
    assert serial_place(COLLISION, [0, None, None], [0.0, 1.0, 0.0]) == [0, 7, 1]
    # everything fixed: the schedule as it is
    assert serial_place(COLLISION, [0, 7, 3], [0.0, 0.0, 0.0]) == [0, 7, 3]
    # add0 must start by 0 for mov1 at 6 (writes 7), so add2 skips 1 ...
    assert serial_place(COLLISION, [None, 6, None], [0.0, 0.0, 0.0]) == [0, 6, 2]
    # ... which it cannot for mov1 at 5, nor when add2 holds cycle 0
    assert serial_place(COLLISION, [None, 5, None], [0.0, 0.0, 0.0]) is None
    assert serial_place(COLLISION, [None, 6, 0], [0.0, 0.0, 0.0]) is None


def test_serial_place_leaves_gaps() -> None:
    # add0 at 0 writes in 6, mul1 at 1 in 5; mul2 would write in 6 from
    # cycle 2, so it skips it and leaves a gap: not a non-delay schedule.
    block = Block(jobs=(ADD, MUL, MUL), edges=())
    assert serial_place(block, [None, None, None], [0.0, 1.0, 2.0]) == [0, 1, 3]
    # a later job without a write takes the skipped cycle
    block = Block(jobs=(ADD, MUL, MUL, OUT), edges=())
    assert serial_place(block, [None, None, None, None], [0.0, 1.0, 2.0, 3.0]) == [0, 1, 3, 2]
    # a fixed job's cycles are skipped as well
    assert serial_place(block, [None, 0, None, None], [0.0, 1.0, 2.0, 3.0]) == [1, 0, 2, 3]


def test_lateness_by_hand() -> None:
    # every job ends by target - depth: nothing late
    assert lateness([0, 3], [5, 2], target=6) == 0
    assert lateness([0, 3], [5, 2], target=6, depth=1) == 0
    # depth 2: both ends (5) are 1 past 4
    assert lateness([0, 3], [5, 2], target=6, depth=2) == 2
    # ends 6, 9 and 6 against 6: only the second, 3 past: 1 + 2 + 3
    assert lateness([2, 0, 5], [4, 9, 1], target=6) == 6
    # quadratic in the overrun
    assert [lateness([s], [1], target=0) for s in range(6)] == [1, 3, 6, 10, 15, 21]
    assert lateness([], [], target=0) == 0
    with pytest.raises(ValueError):
        lateness([0, 1], [1], target=3)


# --- properties ----------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 20), st.integers(1, 20)), max_size=6),
    st.integers(0, 40),
    st.integers(0, 6),
)
def test_lateness_sums_the_plain_lateness(
    jobs: list[tuple[int, int]], target: int, depth: int
) -> None:
    starts = [s for s, _ in jobs]
    tails = [q for _, q in jobs]
    value = lateness(starts, tails, target, depth)
    # the plain lateness sum(max(0, end - t)), summed over every t >= target - depth
    ends = [s + q for s, q in jobs]
    plain = sum(
        max(0, end - t) for t in range(target - depth, max(ends, default=0) + 1) for end in ends
    )
    assert value == plain
    assert (value == 0) == all(end <= target - depth for end in ends)


@settings(max_examples=80, deadline=None)
@given(blocks(max_jobs=12, negative_delays=True), st.integers(0, 2**31), st.booleans())
def test_result_is_valid_and_never_longer(block: Block, seed: int, bad: bool) -> None:
    rng = random.Random(seed)
    if bad:
        starts = _spread(block)
    else:
        starts = list_schedule(block, priority=[rng.random() for _ in block.jobs])
    assert check_schedule(block, starts) == []
    initial = schedule_length(block, starts)
    budget = 150
    found = improve_schedule(block, starts, moves=budget, seed=seed % 5)
    assert check_schedule(block, found.starts) == []
    assert found.length == schedule_length(block, found.starts)
    assert found.initial_length == initial
    assert found.length <= initial
    assert (found.improvements > 0) == (found.length < initial)
    assert 0 <= found.moves <= budget
    # deterministic for a seed and budget
    assert improve_schedule(block, starts, moves=budget, seed=seed % 5) == found
    bound = lower_bound(block).value
    assert found.length >= bound
    if initial <= bound:
        assert found.moves == 0
        assert found.starts == tuple(starts)
    if found.moves < budget:
        # it stopped early: only at the lower bound
        assert found.length == bound


@settings(max_examples=60, deadline=None)
@given(blocks(max_jobs=6))
def test_stops_at_a_given_optimum(block: Block) -> None:
    optimum = brute_force_optimum(block)
    starts = _spread(block)
    found = improve_schedule(block, starts, moves=300, lower=optimum)
    assert optimum <= found.length <= schedule_length(block, starts)
    assert check_schedule(block, found.starts) == []
    if found.moves < 300 and block.jobs:
        assert found.length == optimum


@settings(max_examples=100, deadline=None)
@given(blocks(max_jobs=12, negative_delays=True), st.integers(0, 2**31))
def test_serial_place_keeps_the_fixed_jobs(block: Block, seed: int) -> None:
    rng = random.Random(seed)
    base = list_schedule(block, priority=[rng.random() for _ in block.jobs])
    fixed = [s if rng.random() < 0.5 else None for s in base]
    priority = [rng.random() for _ in block.jobs]
    placed = serial_place(block, fixed, priority)
    if placed is not None:
        assert check_schedule(block, placed) == []
        assert all(f is None or f == s for f, s in zip(fixed, placed, strict=True))
    # the jobs the base schedule had are a valid fixed set: keeping them all
    # returns it; freeing them all always finds a place
    assert serial_place(block, list(base), priority) == base
    free = serial_place(block, [None] * len(block.jobs), priority)
    assert free is not None
    assert check_schedule(block, free) == []
