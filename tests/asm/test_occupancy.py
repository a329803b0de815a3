"""The occupancy bound (:mod:`vtc.compiler.asm.occupancy`): hand-made cases and soundness.

The brute force and the random-block strategy come from ``test_bounds.py``.
"""

from __future__ import annotations

import random

import pytest
from blockcases import blocks, brute_force_optimum
from hypothesis import given, settings
from hypothesis import strategies as st

from vtc.compiler.asm.blocksched import list_schedule
from vtc.compiler.asm.bounds import Paths, adjust_paths, longest_paths, lower_bound
from vtc.compiler.asm.exact import exact_available
from vtc.compiler.asm.occupancy import (
    Profile,
    count_profile,
    future_sums,
    inflight_caps,
    merge_profiles,
    occupancy_bound,
    occupancy_feasible,
    profile_from_windows,
)
from vtc.compiler.asm.problem import Block, BlockJob, check_schedule, schedule_length
from vtc.compiler.asm.windows import window_bound

ADD = BlockJob(latency=6, writes=True, tail=6)
MOV = BlockJob(latency=1, writes=True, tail=1)
OUT = BlockJob(latency=2, writes=False, tail=1)
# Writes, but its result lands after the block's end: not a counted writer.
LATE = BlockJob(latency=2, writes=True, tail=1)

# Three adds and three moves, independent. Every port bound of lower_bound
# allows 8. At length 8 each port has 2 spare cycles: write cycles 1..5 can
# only take the moves' three results (an add lands at 6 at the earliest),
# so both free write cycles lie in 1..5; the last 5 issue cycles can only
# take the moves (an add needs 6 cycles), so both idle issue cycles lie in
# 3..7. Then sum_t (B(t) - A(t)) is at most 15 - 3 = 12, but the adds'
# results are in flight 3 * 5 = 15 cycles in all: 8 is impossible.
ADDS_AND_MOVES = Block(jobs=(ADD, ADD, ADD, MOV, MOV, MOV), edges=())


def _paths(block: Block) -> list[Paths]:
    return [longest_paths(block), adjust_paths(block)]


@st.composite
def writer_blocks(draw: st.DrawFn, *, max_jobs: int = 7) -> Block:
    """Random blocks in which every job writes and has ``tail == latency``."""
    block = draw(blocks(max_jobs=max_jobs))
    jobs = tuple(BlockJob(latency=j.latency, writes=True, tail=j.latency) for j in block.jobs)
    return Block(jobs=jobs, edges=block.edges)


def _occupancy(
    block: Block, starts: list[int]
) -> tuple[int, list[int], list[int], list[int], list[int]]:
    """``T`` and ``A(t)``, ``B(t)``, ``X(t)``, ``N(t)`` of a schedule (module docstring)."""
    length = schedule_length(block, starts)
    counted = [j.writes and 1 <= j.latency <= j.tail for j in block.jobs]
    issued = set(starts)
    landed = {s + j.latency for s, j, c in zip(starts, block.jobs, counted, strict=True) if c}
    ts = range(length + 1)
    idle = [sum(1 for c in range(t) if c not in issued) for t in ts]
    free = [sum(1 for c in range(1, t + 1) if c not in landed) for t in ts]
    flying = [
        sum(
            1
            for s, j, c in zip(starts, block.jobs, counted, strict=True)
            if c and s < t < s + j.latency
        )
        for t in ts
    ]
    others = [sum(1 for s, c in zip(starts, counted, strict=True) if not c and s < t) for t in ts]
    return length, idle, free, flying, others


# --- hand-made cases -----------------------------------------------------


def test_empty_block_has_zero_bound() -> None:
    assert occupancy_bound(Block(jobs=(), edges=())) == 0


def test_occupancy_beats_the_lower_bound() -> None:
    block = ADDS_AND_MOVES
    assert lower_bound(block).value == 8
    for paths in _paths(block):
        assert occupancy_feasible(block, paths, 8) is False
        assert occupancy_feasible(block, paths, 9) is True
    assert occupancy_bound(block) == 9 == brute_force_optimum(block)


def test_inflight_caps_decide() -> None:
    # mov0 -> mul5 and mov1 -> mul4 (1 cycle each), two more moves. Every
    # port bound allows 7, and so do the occupancy facts without the caps.
    # At length 7 each port has one spare cycle, so B(t) - A(t) <= 1, and the
    # muls' 2 * 3 cycles in flight need it in six of t = 1..7; but no mul has
    # issued before t = 1 (head 1) and none is in flight at t = 7 (it lands
    # by the end), so the caps are 0 there and five cycles are left.
    mul = BlockJob(latency=4, writes=True, tail=4)
    block = Block(jobs=(MOV, MOV, MOV, MOV, mul, mul), edges=((0, 5, 1), (1, 4, 1)))
    paths = adjust_paths(block)
    assert lower_bound(block).value == 7
    assert inflight_caps(block, paths, 7) == [0, 0, 1, 2, 2, 2, 1, 0]
    assert occupancy_feasible(block, paths, 7) is False
    assert occupancy_bound(block) == 8 == brute_force_optimum(block)


def test_bound_parameters() -> None:
    block = ADDS_AND_MOVES
    # no length tried: the proven start, still a valid bound
    assert occupancy_bound(block, limit=0) == 8
    # 8 ruled out, 9 never tried
    assert occupancy_bound(block, limit=1) == 9
    # a larger proven bound is taken as it is (every length from 9 is feasible)
    assert occupancy_bound(block, lower=12) == 12


def test_feasibility_needs_room_for_every_job() -> None:
    block = ADDS_AND_MOVES
    paths = longest_paths(block)
    assert occupancy_feasible(block, paths, 5) is False  # fewer cycles than jobs
    assert occupancy_feasible(block, paths, 0) is False


def test_tail_below_one_is_refused() -> None:
    block = Block(jobs=(BlockJob(latency=0, writes=False, tail=0), MOV), edges=())
    with pytest.raises(ValueError, match="tail"):
        occupancy_feasible(block, longest_paths(block), 3)
    with pytest.raises(ValueError, match="tail"):
        occupancy_bound(block)


def test_count_profile_by_hand() -> None:
    # mov0 -> add1 (1 cycle) -> late2 (6 cycles); heads (0, 1, 7), tails (8, 7, 1).
    # late2 writes but lands after the end: it never fills a write cycle.
    block = Block(jobs=(MOV, ADD, LATE), edges=((0, 1, 1), (1, 2, 6)))
    paths = longest_paths(block)
    assert (paths.head, paths.tail) == ((0, 1, 7), (8, 7, 1))
    assert count_profile(block, paths, 8) == Profile(
        idle_start=(0, 0, 0, 1, 2, 3, 4, 5, 5),
        free_start=(0, 0, 1, 2, 3, 4, 5, 5, 6),
        idle_end=(0, 0, 1, 2, 3, 4, 5, 5, 5),
        free_end=(0, 1, 1, 2, 3, 4, 5, 6, 6),
    )
    assert count_profile(block, paths, 2) == Profile((0, 0, 0), (0, 0, 1), (0, 0, 1), (0, 1, 1))
    assert count_profile(block, paths, 0) == Profile()


def test_count_profile_of_adds_and_moves() -> None:
    block = ADDS_AND_MOVES
    profile = count_profile(block, longest_paths(block), 8)
    # the moves fill write cycles 1..3 and issue cycles up to the end; the
    # adds land from 6 on and issue no later than 6 cycles before the end
    assert profile.idle_start == (0, 0, 0, 0, 0, 0, 0, 1, 2)
    assert profile.free_start == (0, 0, 0, 0, 1, 2, 0, 1, 2)
    assert profile.idle_end == (0, 0, 0, 0, 1, 2, 0, 1, 2)
    assert profile.free_end == (0, 0, 0, 0, 0, 0, 0, 1, 2)


def test_merge_profiles_by_hand() -> None:
    first = Profile(idle_start=(0, 1), free_start=(0,), idle_end=(0, 2, 1), free_end=(0, 0, 5))
    second = Profile(idle_start=(0, 0, 3), free_start=(0, 4), idle_end=(0,), free_end=(0, 1))
    assert merge_profiles(first, second) == Profile(
        idle_start=(0, 1, 3), free_start=(0, 4), idle_end=(0, 2, 1), free_end=(0, 1, 5)
    )
    assert merge_profiles(second, first) == merge_profiles(first, second)
    assert merge_profiles(first) == first
    assert merge_profiles(Profile(), Profile()) == Profile()


def test_profile_from_windows_by_hand() -> None:
    free = {
        ("start", "issue", 4): 1,
        ("start", "issue", 8): 3,
        ("end", "write", 2): 2,
        ("end", "write", 6): 1,  # wider windows keep the 2 of width 2
    }
    assert profile_from_windows(free) == Profile(
        idle_start=(0, 0, 0, 0, 1, 1, 1, 1, 3),
        free_start=(0,),
        idle_end=(0,),
        free_end=(0, 0, 2, 2, 2, 2, 2),
    )
    assert profile_from_windows({}) == Profile()


def test_inflight_caps_by_hand() -> None:
    caps = inflight_caps(ADDS_AND_MOVES, longest_paths(ADDS_AND_MOVES), 8)
    # the moves are never in flight; the adds issue in 0..2 at length 8, so
    # at t = 1 only one of them can have issued, whatever the job count
    assert caps == [0, 1, 2, 3, 3, 3, 2, 1, 0]
    block = Block(jobs=(ADD, OUT), edges=())
    # the out counts from t = 1 on; the single add is in flight in 1..6 at most
    assert inflight_caps(block, longest_paths(block), 7) == [0, 2, 2, 2, 2, 2, 2, 1]
    assert len(inflight_caps(block, longest_paths(block), 0)) == 1


# --- properties ----------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(blocks(max_jobs=7))
def test_bound_lies_between_lower_bound_and_optimum(block: Block) -> None:
    bound = occupancy_bound(block)
    assert lower_bound(block).value <= bound <= brute_force_optimum(block)


@settings(max_examples=60, deadline=None)
@given(writer_blocks())
def test_feasible_at_the_optimum_of_writer_blocks(block: Block) -> None:
    # The summed identity is an equation here (no job outside W).
    optimum = brute_force_optimum(block)
    for paths in _paths(block):
        # a schedule one cycle longer is the optimal one shifted by a cycle
        for length in (optimum, optimum + 1, optimum + 2):
            assert occupancy_feasible(block, paths, length) is True
    assert occupancy_bound(block, lower=optimum) == optimum


@settings(max_examples=60, deadline=None)
@given(blocks(max_jobs=7))
def test_feasible_at_the_optimum(block: Block) -> None:
    optimum = brute_force_optimum(block)
    if optimum == 0:
        return
    for paths in _paths(block):
        assert occupancy_feasible(block, paths, optimum) is True
    assert occupancy_bound(block, lower=optimum) == optimum


@settings(max_examples=80, deadline=None)
@given(blocks(max_jobs=12, negative_delays=True), st.integers(0, 2**31), st.integers(0, 3))
def test_every_schedule_meets_the_facts(block: Block, seed: int, shift: int) -> None:
    # Not only optimal schedules: any valid one meets the identity, the caps
    # and the profiles, and its length passes the feasibility test.
    rng = random.Random(seed)
    starts = [s + shift for s in list_schedule(block, priority=[rng.random() for _ in block.jobs])]
    assert check_schedule(block, starts) == []
    length, idle, free, flying, others = _occupancy(block, starts)
    for paths in _paths(block):
        caps = inflight_caps(block, paths, length)
        assert len(caps) == length + 1
        for t in range(length + 1):
            assert free[t] - idle[t] == flying[t] + others[t]
            assert flying[t] + others[t] <= caps[t]
        profile = count_profile(block, paths, length)
        for w in range(length + 1):
            assert idle[w] >= profile.idle_start[w]
            assert free[w] >= profile.free_start[w]
            assert idle[length] - idle[length - w] >= profile.idle_end[w]
            assert free[length] - free[length - w] >= profile.free_end[w]
        if block.jobs:
            assert occupancy_feasible(block, paths, length) is True


@pytest.mark.skipif(not exact_available(), reason="OR-Tools (CP-SAT) is not installed")
@settings(max_examples=40, deadline=None)
@given(blocks(max_jobs=7))
def test_window_profile_only_raises_the_bound(block: Block) -> None:
    windows = window_bound(block, widths=(2, 4, 6, 8, 12), time_limit=1.0)
    # (a copy: the map's Literal keys do not fit the Mapping[str, ...] type)
    free: dict[tuple[str, str, int], int] = dict(windows.free.items())
    profile = profile_from_windows(free)
    plain = occupancy_bound(block)
    assert plain <= occupancy_bound(block, profile=profile) <= brute_force_optimum(block)


# --- the table of future sums --------------------------------------------


def _future_sum(block: Block, starts: list[int], t: int) -> int:
    """``S(t)`` as a partial schedule knows it at ``t`` (:func:`future_sums`)."""
    total = 0
    for s, job in zip(starts, block.jobs, strict=True):
        if s < t:
            total += max(0, s + job.latency - t)
        else:
            total += job.latency - 1
    return total


@settings(max_examples=120, deadline=None)
@given(writer_blocks(max_jobs=9), st.integers(0, 2**31), st.integers(0, 3), st.integers(0, 2))
def test_every_schedule_passes_the_future_table(
    block: Block, seed: int, shift: int, extra: int
) -> None:
    # Any valid schedule, of the table's length or shorter (``extra``),
    # passes the table at every cycle: the table never prunes a schedule.
    rng = random.Random(seed)
    starts = [s + shift for s in list_schedule(block, priority=[rng.random() for _ in block.jobs])]
    assert check_schedule(block, starts) == []
    length = schedule_length(block, starts) + extra
    _, idle, free, _, _ = _occupancy(block, starts)
    for paths in _paths(block):
        table = future_sums(block, paths, length, state_limit=10**8)
        if not block.jobs:
            assert table is None
            continue
        assert table is not None and len(table) == length + 1
        for t in range(length + 1):
            a = idle[t] if t < len(idle) else idle[-1] + (t - len(idle) + 1)
            b = free[t] if t < len(free) else free[-1] + (t - len(free) + 1)
            assert table[t].get((a, b), 0) >> _future_sum(block, starts, t) & 1, t


def test_future_table_of_adds_and_moves() -> None:
    # ADDS_AND_MOVES cannot have length 8 (see above): at cycle 0 nothing
    # reaches the whole sum 3 * 5 = 15 (12 at most, as computed by hand).
    # At 9 the root state reaches it.
    paths = adjust_paths(ADDS_AND_MOVES)
    assert occupancy_feasible(ADDS_AND_MOVES, paths, 8) is False
    ruled_out = future_sums(ADDS_AND_MOVES, paths, 8)
    assert ruled_out is not None
    assert ruled_out[0][0, 0].bit_length() - 1 == 12
    table = future_sums(ADDS_AND_MOVES, paths, 9)
    assert table is not None
    assert table[0][0, 0] >> 15 & 1
    # after an add issued at 0 with nothing else: S(1) = 5 + 15 - 5 = 15,
    # A(1) = 0, B(1) = 1 (write cycle 1 free)
    assert table[1][0, 1] >> 15 & 1


def test_future_table_needs_counted_writers_and_room() -> None:
    block = Block(jobs=(ADD, OUT), edges=())
    assert future_sums(block, adjust_paths(block), 8) is None
    assert future_sums(ADDS_AND_MOVES, adjust_paths(ADDS_AND_MOVES), 60, state_limit=100) is None
    short = future_sums(ADDS_AND_MOVES, adjust_paths(ADDS_AND_MOVES), 5)
    assert short is not None and not short[0]
