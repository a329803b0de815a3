"""The exact CP-SAT scheduler (skipped without OR-Tools)."""

from __future__ import annotations

import random

import pytest
from blockcases import blocks, brute_force_optimum, naive_optimum
from hypothesis import given, settings
from hypothesis import strategies as st

from vtc.compiler.asm import exact as exact_module
from vtc.compiler.asm.blocksched import list_schedule, schedule_block
from vtc.compiler.asm.bounds import longest_paths
from vtc.compiler.asm.exact import (
    ExactResult,
    dominance_pairs,
    exact_available,
    respect_pairs,
    solve_exact,
)
from vtc.compiler.asm.problem import Block, BlockJob, check_schedule, schedule_length

pytestmark = pytest.mark.skipif(
    not exact_available(), reason="OR-Tools (CP-SAT) is not installed: pip install vtc[exact]"
)


ADD = BlockJob(latency=6, writes=True, tail=6)
MUL = BlockJob(latency=4, writes=True, tail=4)
MOV = BlockJob(latency=1, writes=True, tail=1)


def _slow_hint(block: Block) -> list[int]:
    """A valid but poor schedule: the jobs one after another, far apart."""
    gap = 1 + max(
        [max(j.latency, j.tail) for j in block.jobs] + [d for _, _, d in block.edges], default=0
    )
    starts = [0] * len(block.jobs)
    for i, j in enumerate(longest_paths(block).order):
        starts[j] = i * gap
    return starts


def _solve(block: Block, *, slow: bool = False) -> ExactResult:
    hint = _slow_hint(block) if slow else None
    result = solve_exact(block, time_limit=10.0, hint=hint)
    assert result is not None
    assert check_schedule(block, result.starts) == []
    assert schedule_length(block, result.starts) == result.length
    return result


def test_write_port_collision_is_solved_to_optimality() -> None:
    result = _solve(Block(jobs=(ADD, MOV, ADD), edges=((0, 1, 6),)))
    assert result.length == 8
    assert result.optimal
    assert result.bound == 8


def test_solver_beats_the_list_schedule() -> None:
    # A mix where greedy critical-path scheduling wastes cycles on the write
    # port (two muls feeding an add, plus independent movs and adds).
    jobs = (MUL, MUL, ADD, MOV, MOV, ADD, MOV, MUL, ADD, MOV)
    edges = ((0, 2, 4), (1, 2, 4), (2, 3, 6), (7, 8, 4), (8, 9, 6), (4, 5, 1))
    block = Block(jobs=jobs, edges=edges)
    greedy = schedule_length(block, list_schedule(block))
    result = _solve(block)
    assert result.optimal
    assert greedy == 15
    assert result.length == 14 == brute_force_optimum(block)


def test_hint_is_checked() -> None:
    block = Block(jobs=(MOV, MOV), edges=())
    with pytest.raises(ValueError, match="hint"):
        solve_exact(block, time_limit=1.0, hint=[0, 0])


def test_hint_at_the_lower_bound_is_returned_as_optimal() -> None:
    block = Block(jobs=(MOV,) * 4, edges=())
    result = solve_exact(block, time_limit=1.0, hint=[3, 2, 1, 0])
    assert result == ExactResult(starts=(3, 2, 1, 0), length=4, optimal=True, bound=4)


def test_schedule_block_polishes_with_the_solver() -> None:
    jobs = (MUL, MUL, ADD, MOV, MOV, ADD, MOV, MUL, ADD, MOV)
    edges = ((0, 2, 4), (1, 2, 4), (2, 3, 6), (7, 8, 4), (8, 9, 6), (4, 5, 1))
    block = Block(jobs=jobs, edges=edges)
    result = schedule_block(block, restarts=0, exact_seconds=5.0)
    assert check_schedule(block, result.starts) == []
    assert result.optimal
    assert result.length == brute_force_optimum(block)


@settings(max_examples=40, deadline=None)
@given(blocks(max_jobs=7))
def test_exact_finds_the_brute_force_optimum(block: Block) -> None:
    result = _solve(block, slow=True)
    assert result.optimal
    assert result.length == result.bound == brute_force_optimum(block)


@settings(max_examples=25, deadline=None)
@given(blocks(max_jobs=12, negative_delays=True))
def test_exact_is_valid_with_negative_delays(block: Block) -> None:
    result = _solve(block, slow=True)
    assert result.optimal
    assert result.length <= schedule_length(block, list_schedule(block))


def test_dominance_orders_twins_by_index_and_strict_pairs_one_way() -> None:
    # movs 0 and 1 feed the add 2 alike (twins); mov 3 feeds nothing and so
    # may always go after them (it dominates nobody: its successors are fewer).
    block = Block(jobs=(MOV, MOV, ADD, MOV), edges=((0, 2, 1), (1, 2, 1)))
    pairs = set(dominance_pairs(block))
    assert (0, 1) in pairs
    assert (1, 0) not in pairs
    assert {(0, 3), (1, 3)} <= pairs
    assert (3, 0) not in pairs
    assert all(block.jobs[u] == block.jobs[v] for u, v in pairs)


def test_dominance_needs_the_same_kind_and_delays() -> None:
    # mov 1 waits longer for mov 0 than mov 2 does: 2 dominates 1, not back.
    block = Block(jobs=(MOV, MOV, MOV), edges=((0, 1, 3), (0, 2, 1)))
    assert (2, 1) in dominance_pairs(block)
    assert (1, 2) not in dominance_pairs(block)
    assert dominance_pairs(Block(jobs=(MOV, MUL), edges=())) == []


@settings(max_examples=150, deadline=None)
@given(blocks(max_jobs=12, negative_delays=True), st.integers(0, 2**31))
def test_swapping_dominated_pairs_keeps_a_schedule_valid(block: Block, seed: int) -> None:
    # The exchange argument of dominance_pairs, executed: any valid schedule
    # becomes one meeting every pair, valid and no longer.
    rng = random.Random(seed)
    starts = list_schedule(block, priority=[rng.random() for _ in block.jobs])
    pairs = dominance_pairs(block)
    fixed = respect_pairs(starts, pairs)
    assert check_schedule(block, fixed) == []
    assert schedule_length(block, fixed) == schedule_length(block, starts)
    assert all(fixed[u] < fixed[v] for u, v in pairs)


@settings(max_examples=60, deadline=None)
@given(blocks(max_jobs=7, max_latency=6))
def test_dominance_keeps_an_optimal_schedule(block: Block) -> None:
    # With few latencies, many pairs: the ordered problem still reaches the
    # brute-force optimum (solve_exact imposes the pairs).
    result = _solve(block, slow=True)
    assert result.optimal
    assert result.length == brute_force_optimum(block)


@pytest.fixture
def cp_sat_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The decision sweep without the idle search: every length goes to CP-SAT."""
    monkeypatch.setattr(exact_module, "SEARCH_SHARE", 0.0)


@pytest.mark.usefixtures("cp_sat_only")
@settings(max_examples=60, deadline=None)
@given(blocks(max_jobs=7, max_latency=8))
def test_slot_model_keeps_the_optimum(block: Block) -> None:
    # The cycle-by-cycle decision model (_add_slots) must not cut off the
    # optimum: it would then be "proven" longer than the brute force.
    result = _solve(block, slow=True)
    assert result.optimal
    assert result.length == brute_force_optimum(block)


@pytest.mark.usefixtures("cp_sat_only")
@settings(max_examples=60, deadline=None)
@given(blocks(max_jobs=3, max_latency=3, negative_delays=True))
def test_slot_model_with_negative_delays(block: Block) -> None:
    horizon = sum(max(j.latency, j.tail) for j in block.jobs) + sum(
        max(d, 0) for _, _, d in block.edges
    )
    result = _solve(block, slow=True)
    assert result.optimal
    assert result.length == naive_optimum(block, horizon + 1)
