"""Lower bounds of a block: hand-made cases and properties against a brute force.

The random blocks and the brute-force optimum live in ``blockcases.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from blockcases import blocks, brute_force_optimum, naive_optimum
from hypothesis import given, settings

from vtc.compiler.asm.bounds import (
    Bounds,
    adjust_paths,
    class_sequence_bound,
    critical_path,
    head_tail_bound,
    issue_bound,
    jackson,
    longest_paths,
    lower_bound,
    write_port_bound,
)
from vtc.compiler.asm.problem import Block, BlockJob

ADD = BlockJob(latency=6, writes=True, tail=6)
MUL = BlockJob(latency=4, writes=True, tail=4)
MOV = BlockJob(latency=1, writes=True, tail=1)


def _chain(jobs: Sequence[BlockJob]) -> Block:
    return Block(
        jobs=tuple(jobs),
        edges=tuple((i, i + 1, jobs[i].latency) for i in range(len(jobs) - 1)),
    )


def test_empty_block_has_zero_bounds() -> None:
    assert lower_bound(Block(jobs=(), edges=())) == Bounds(0, 0, 0, 0, 0)
    assert class_sequence_bound(Block(jobs=(), edges=())) == 0
    assert lower_bound(Block(jobs=(), edges=())).value == 0


def test_chain_bound_is_the_critical_path() -> None:
    block = _chain([MUL, ADD, ADD, MOV])
    bounds = lower_bound(block)
    assert bounds.critical_path == 4 + 6 + 6 + 1
    assert bounds.value == 17
    assert brute_force_optimum(block) == 17


def test_independent_unit_writers_meet_the_issue_bound() -> None:
    block = Block(jobs=(MOV,) * 9, edges=())
    bounds = lower_bound(block)
    assert bounds.issue == 9
    assert bounds.critical_path == 1
    assert bounds.value == 9


def test_write_port_bound_catches_a_collision() -> None:
    # add0 -> mov1 (waits 6), add2 independent. Whichever add issues second
    # writes in cycle 7, the cycle the mov (issued at 6 at the earliest)
    # writes in, so one of them slips by a cycle: the optimum is 8, which
    # only the write-port bound sees.
    block = Block(jobs=(ADD, MOV, ADD), edges=((0, 1, 6),))
    bounds = lower_bound(block)
    assert bounds.critical_path == 7
    assert bounds.head_tail == 7
    assert bounds.write_port == 8
    assert bounds.value == 8
    assert brute_force_optimum(block) == 8
    assert naive_optimum(block, 9) == 8


def test_class_sequence_bound_sees_interleaving_on_both_ports() -> None:
    # Two muls and an add, independent. The one-machine bounds allow 6 (add
    # in c0, muls in c1 and c2), but then the add and the second mul both
    # write in c6; no order avoids a lost cycle, and only the class-sequence
    # bound sees it.
    block = Block(jobs=(MUL, MUL, ADD), edges=())
    assert lower_bound(block).value == 6
    assert class_sequence_bound(block) == 7
    assert brute_force_optimum(block) == 7
    assert class_sequence_bound(block, state_limit=0) == 6
    assert class_sequence_bound(block, start=9) == 9


def test_adjusted_heads_see_ancestors_competing_for_issue() -> None:
    # Three movs feed one add: the add's critical-path head is 1, but the
    # movs need cycles 0, 1 and 2, so it cannot start before 3.
    block = Block(jobs=(MOV, MOV, MOV, ADD), edges=((0, 3, 1), (1, 3, 1), (2, 3, 1)))
    plain = longest_paths(block)
    adjusted = adjust_paths(block, plain)
    assert plain.head[3] == 1
    assert adjusted.head[3] == 3
    assert adjusted.tail[0] >= plain.tail[0]
    assert adjusted.complete
    assert lower_bound(block).adjusted == 9 == brute_force_optimum(block)
    partial = adjust_paths(block, plain, work=0)
    assert not partial.complete
    assert (partial.head, partial.tail) == (plain.head, plain.tail)


def test_non_writers_do_not_use_the_write_port() -> None:
    out = BlockJob(latency=2, writes=False, tail=1)
    block = Block(jobs=(out, out, out), edges=())
    assert write_port_bound(block) == 0
    assert lower_bound(block).value == 3


def test_jackson_prefers_the_longest_tail() -> None:
    assert jackson([], []) == 0
    assert jackson([0, 0, 0], [1, 1, 5]) == 5
    assert jackson([0, 0, 0], [5, 5, 5]) == 7
    assert jackson([3, 0], [1, 1]) == 4


def test_paths_follow_edges_out_of_index_order() -> None:
    block = Block(jobs=(MOV, MUL), edges=((1, 0, 4),))
    paths = longest_paths(block)
    assert paths.order == (1, 0)
    assert paths.head == (4, 0)
    assert paths.tail == (1, 5)
    assert critical_path(block) == 5


def test_cycle_is_reported() -> None:
    block = Block(jobs=(MOV, MOV), edges=((0, 1, 1), (1, 0, 1)))
    with pytest.raises(ValueError, match="cycle"):
        lower_bound(block)


def test_edge_to_missing_job_is_reported() -> None:
    with pytest.raises(ValueError, match="outside"):
        lower_bound(Block(jobs=(MOV,), edges=((0, 3, 1),)))


# --- properties ----------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(blocks(max_jobs=3, max_latency=3))
def test_brute_force_agrees_with_naive_enumeration(block: Block) -> None:
    horizon = sum(max(j.latency, j.tail) for j in block.jobs) + sum(
        max(d, 0) for _, _, d in block.edges
    )
    assert brute_force_optimum(block) == naive_optimum(block, horizon + 1)


@settings(max_examples=150, deadline=None)
@given(blocks(max_jobs=7))
def test_bounds_never_exceed_the_optimum(block: Block) -> None:
    bounds = lower_bound(block)
    optimum = brute_force_optimum(block)
    assert bounds.value <= optimum
    basic = max(
        critical_path(block), issue_bound(block), head_tail_bound(block), write_port_bound(block)
    )
    # the adjusted bound may only raise the basic ones (regression: it was left out here)
    assert bounds.value == max(basic, bounds.adjusted, bounds.class_sequence)
    assert bounds.head_tail >= max(bounds.critical_path, bounds.issue)


@settings(max_examples=100, deadline=None)
@given(blocks(max_jobs=7))
def test_class_sequence_bound_never_exceeds_the_optimum(block: Block) -> None:
    bound = class_sequence_bound(block)
    assert lower_bound(block).value <= bound <= brute_force_optimum(block)


@settings(max_examples=100, deadline=None)
@given(blocks(max_jobs=40, negative_delays=True))
def test_paths_are_consistent(block: Block) -> None:
    paths = longest_paths(block)
    assert sorted(paths.order) == list(range(len(block.jobs)))
    position = {j: i for i, j in enumerate(paths.order)}
    for u, v, d in block.edges:
        assert position[u] < position[v]
        assert paths.head[v] >= paths.head[u] + d
        assert paths.tail[u] >= d + paths.tail[v]
    assert all(h >= 0 for h in paths.head)
    assert all(q >= j.tail for q, j in zip(paths.tail, block.jobs, strict=True))
