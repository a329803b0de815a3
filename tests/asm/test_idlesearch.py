"""The idle-budget search (:mod:`vtc.compiler.asm.idlesearch`) against brute force."""

from __future__ import annotations

import itertools

import pytest
from blockcases import blocks, brute_force_optimum
from hypothesis import given, settings
from hypothesis import strategies as st

from vtc.compiler.asm import idlesearch
from vtc.compiler.asm.bounds import adjust_paths
from vtc.compiler.asm.exact import dominance_pairs, mirror_dominance_pairs
from vtc.compiler.asm.idlesearch import (
    MAX_LENGTH,
    applicable,
    jackson_blocked,
    mirror_block,
    search_length,
    search_restarts,
    unmirror,
)
from vtc.compiler.asm.occupancy import future_sums
from vtc.compiler.asm.problem import Block, BlockJob, check_schedule, schedule_length

ADD = BlockJob(latency=6, writes=True, tail=6)
MOV = BlockJob(latency=1, writes=True, tail=1)


def test_write_port_collision_needs_a_cycle() -> None:
    block = Block(jobs=(ADD, MOV, ADD), edges=((0, 1, 6),))
    assert search_length(block, 7).feasible is False
    found = search_length(block, 8)
    assert found.feasible is True
    assert found.starts is not None
    assert check_schedule(block, found.starts) == []
    assert schedule_length(block, found.starts) <= 8


def test_empty_block_and_short_lengths() -> None:
    assert search_length(Block(jobs=(), edges=()), 0).feasible is True
    assert search_length(Block(jobs=(MOV, MOV), edges=()), 1).feasible is False


def test_limits_give_no_answer() -> None:
    block = Block(jobs=(ADD,) * 6, edges=())
    assert search_length(block, 11, node_limit=0).feasible is None
    assert search_length(block, MAX_LENGTH + 1).feasible is None


def test_negative_delays_are_refused() -> None:
    block = Block(jobs=(MOV, MOV), edges=((0, 1, -1),))
    assert not applicable(block)
    with pytest.raises(ValueError, match="delays"):
        search_length(block, 5)


def _jackson_blocked_naive(release: list[int], delivery: list[int], blocked: int) -> int:
    horizon = max(release) + len(release) + blocked.bit_length() + 1
    free = [c for c in range(horizon) if not blocked >> c & 1]
    best = None
    for cycles in itertools.permutations(free, len(release)):
        if all(c >= r for c, r in zip(cycles, release, strict=True)):
            value = max(c + q for c, q in zip(cycles, delivery, strict=True))
            best = value if best is None else min(best, value)
    assert best is not None
    return best


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(-3, 6)), min_size=1, max_size=4),
    st.integers(0, 2**9 - 1),
)
def test_jackson_blocked_is_the_optimum(jobs: list[tuple[int, int]], blocked: int) -> None:
    release = [r for r, _ in jobs]
    delivery = [q for _, q in jobs]
    assert jackson_blocked(release, delivery, blocked) == _jackson_blocked_naive(
        release, delivery, blocked
    )


@settings(max_examples=150, deadline=None)
@given(blocks(max_jobs=7), st.booleans())
def test_search_decides_the_brute_force_optimum(block: Block, with_pairs: bool) -> None:
    optimum = brute_force_optimum(block)
    pairs = dominance_pairs(block) if with_pairs else []
    found = search_length(block, optimum, pairs=pairs, node_limit=10**6)
    assert found.feasible is True
    assert found.starts is not None
    assert check_schedule(block, found.starts) == []
    assert schedule_length(block, found.starts) <= optimum
    if optimum > 0:
        assert search_length(block, optimum - 1, pairs=pairs, node_limit=10**6).feasible is False


# --- backwards in time ----------------------------------------------------------


@st.composite
def dataflow_blocks(draw: st.DrawFn, max_jobs: int = 7) -> Block:
    """Random blocks of the data-flow kind: every job writes, tail == latency, delay = latency."""
    n = draw(st.integers(1, max_jobs))
    lats = [draw(st.sampled_from([1, 2, 4, 6])) for _ in range(n)]
    jobs = tuple(BlockJob(latency=a, writes=True, tail=a) for a in lats)
    pairs = draw(st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))))
    edges = tuple(sorted({(u, v, lats[u]) for u, v in pairs if u < v}))
    return Block(jobs=jobs, edges=edges)


@settings(max_examples=120, deadline=None)
@given(dataflow_blocks(max_jobs=8))
def test_search_with_the_occupancy_table_decides_the_brute_force_optimum(block: Block) -> None:
    # Every job is a counted writer, so the search prunes with the table of
    # occupancy.future_sums; it must still decide the optimum exactly.
    optimum = brute_force_optimum(block)
    assert future_sums(block, adjust_paths(block), optimum) is not None
    found = search_length(block, optimum, node_limit=10**6)
    assert found.feasible is True and found.starts is not None
    assert schedule_length(block, found.starts) <= optimum
    assert search_length(block, optimum - 1, node_limit=10**6).feasible is False


def test_occupancy_table_prunes_at_the_root() -> None:
    # Three adds and three moves cannot have length 8 (test_occupancy.py):
    # the table says so before the search places a single job.
    block = Block(jobs=(ADD, ADD, ADD, MOV, MOV, MOV), edges=())
    found = search_length(block, 8)
    assert found.feasible is False
    assert found.nodes == 1
    assert search_length(block, 9).feasible is True


def test_lookahead_prunes_before_the_ports_run_dry(monkeypatch: pytest.MonkeyPatch) -> None:
    # mul -> mov and mov -> add: length 8 is optimal. Refuting 7 takes fewer
    # nodes when each node checks that the next cycles have jobs enough to
    # fill both ports within the occupancy table's budgets.
    mul = BlockJob(latency=4, writes=True, tail=4)
    block = Block(jobs=(mul, MOV, MOV, ADD), edges=((0, 2, 4), (1, 3, 1)))
    assert brute_force_optimum(block) == 8
    seen = search_length(block, 7)
    monkeypatch.setattr(idlesearch, "LOOKAHEAD", 0)
    blind = search_length(block, 7)
    assert seen.feasible is False and blind.feasible is False
    assert seen.nodes < blind.nodes


def test_mirror_needs_writers_with_tail_equal_to_latency() -> None:
    halt = BlockJob(latency=1, writes=False, tail=1)
    assert mirror_block(Block(jobs=(ADD, halt), edges=((0, 1, 6),))) is None
    short = BlockJob(latency=6, writes=True, tail=1)
    assert mirror_block(Block(jobs=(short,), edges=())) is None
    # an edge waiting less than the producer's latency can turn negative
    assert mirror_block(Block(jobs=(ADD, MOV), edges=((0, 1, 0),))) is None
    assert mirror_block(Block(jobs=(ADD, MOV), edges=((0, 1, 6),))) == Block(
        jobs=(ADD, MOV), edges=((1, 0, 1),)
    )


@settings(max_examples=100, deadline=None)
@given(dataflow_blocks())
def test_mirror_schedules_are_schedules_of_the_same_length(block: Block) -> None:
    back = mirror_block(block)
    assert back is not None
    assert mirror_block(back) == Block(jobs=block.jobs, edges=tuple(sorted(block.edges)))
    optimum = brute_force_optimum(block)
    assert brute_force_optimum(back) == optimum
    found = search_length(back, optimum, node_limit=10**6)
    assert found.feasible is True and found.starts is not None
    starts = unmirror(block, optimum, found.starts)
    assert check_schedule(block, starts) == []
    assert schedule_length(block, starts) <= optimum


@settings(max_examples=100, deadline=None)
@given(dataflow_blocks(), st.booleans())
def test_restarts_decide_the_brute_force_optimum(block: Block, tiny: bool) -> None:
    optimum = brute_force_optimum(block)
    back = mirror_block(block)
    assert back is not None
    assert mirror_dominance_pairs(block) == dominance_pairs(back)
    kwargs = {
        "pairs": dominance_pairs(block),
        "mirror_pairs": mirror_dominance_pairs(block),
        "time_limit": 5.0,
        # a budget of one node forces the restarts to run out and go on
        "restart_nodes": 1 if tiny else 5000,
    }
    found = search_restarts(block, optimum, **kwargs)  # type: ignore[arg-type]
    assert found.feasible is True and found.starts is not None
    assert check_schedule(block, found.starts) == []
    assert schedule_length(block, found.starts) <= optimum
    if optimum > 1:
        assert search_restarts(block, optimum - 1, **kwargs).feasible is False  # type: ignore[arg-type]


def test_restarts_give_up_when_the_time_is_up() -> None:
    block = Block(jobs=(ADD,) * 6, edges=())
    assert search_restarts(block, 11, time_limit=0.0).feasible is None
    with pytest.raises(ValueError, match="delays"):
        search_restarts(Block(jobs=(MOV, MOV), edges=((0, 1, -1),)), 5, time_limit=1.0)


@settings(max_examples=60, deadline=None)
@given(dataflow_blocks())
def test_rounds_without_a_clock_are_deterministic(block: Block) -> None:
    optimum = brute_force_optimum(block)
    first = search_restarts(block, optimum, rounds=2, restart_nodes=3)
    assert search_restarts(block, optimum, rounds=2, restart_nodes=3) == first
    if first.feasible:
        assert first.starts is not None
        assert check_schedule(block, first.starts) == []
    assert search_restarts(block, optimum, restart_nodes=10**6).feasible is True


@settings(max_examples=60, deadline=None)
@given(blocks(max_jobs=6))
def test_placed_counts_the_deepest_branch(block: Block) -> None:
    optimum = brute_force_optimum(block)
    found = search_length(block, optimum, node_limit=10**6)
    assert found.placed == len(block.jobs)
    if optimum > 0:
        refuted = search_length(block, optimum - 1, node_limit=10**6)
        assert 0 <= refuted.placed < len(block.jobs)
