"""Lower bounds of a block: hand-made cases and properties against a brute force.

This module also holds the random-block strategy and the brute-force
optimum that ``test_blocksched.py`` and ``test_exact.py`` load from here.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
from vtc.compiler.asm.problem import Block, BlockJob, check_schedule, schedule_length

# --- random blocks -------------------------------------------------------


@st.composite
def blocks(
    draw: st.DrawFn,
    *,
    min_jobs: int = 0,
    max_jobs: int = 12,
    max_latency: int = 30,
    negative_delays: bool = False,
    shuffle: bool = True,
) -> Block:
    """A random DAG block: latencies 1..max_latency, random write flags.

    Writers have ``tail == latency``; other jobs a tail of 1 or their
    latency. Edges mostly wait for the producer's latency, sometimes for
    less (down to 0, or negative with ``negative_delays``). With
    ``shuffle``, job indices are permuted so that edges may point backwards.
    """
    n = draw(st.integers(min_jobs, max_jobs))
    jobs = []
    for _ in range(n):
        latency = draw(st.integers(1, max_latency))
        writes = draw(st.booleans())
        tail = latency if writes else draw(st.sampled_from([1, latency]))
        jobs.append(BlockJob(latency=latency, writes=writes, tail=tail))
    pairs = draw(
        st.sets(st.tuples(st.integers(0, max(n - 1, 0)), st.integers(0, max(n - 1, 0))))
        if n
        else st.just(set())
    )
    edges = []
    low = -max_latency if negative_delays else 0
    for u, v in sorted(pairs):
        if u >= v:
            continue
        exact = draw(st.booleans())
        delay = jobs[u].latency if exact else draw(st.integers(low, jobs[u].latency))
        edges.append((u, v, delay))
    perm = draw(st.permutations(range(n))) if shuffle and n else list(range(n))
    new_jobs = list(jobs)
    for old, new in enumerate(perm):
        new_jobs[new] = jobs[old]
    return Block(
        jobs=tuple(new_jobs),
        edges=tuple((perm[u], perm[v], d) for u, v, d in edges),
    )


# --- brute force ---------------------------------------------------------


def _tails(block: Block) -> list[int]:
    """Longest path from each job's start to the end, computed naively."""
    n = len(block.jobs)
    memo: dict[int, int] = {}

    def q(j: int) -> int:
        if j not in memo:
            memo[j] = max(
                [block.jobs[j].tail] + [d + q(v) for u, v, d in block.edges if u == j],
            )
        return memo[j]

    return [q(j) for j in range(n)]


def brute_force_optimum(block: Block) -> int:
    """Shortest length of ``block`` by exhaustive search (edge delays >= 0).

    Enumerates the issue orders; each job goes to one of the first ``R + 1``
    cycles that are feasible after the jobs before it, ``R`` being the
    number of writers still to place (0 for a job that does not write).
    That is enough: in an optimal schedule with the least sum of starts, a
    job never skips a feasible cycle unless a later writer writes in the
    cycle it would write in, and distinct skipped cycles need distinct
    writers. With delays >= 0 a job issues after all its predecessors.
    """
    jobs = block.jobs
    n = len(jobs)
    if n == 0:
        return 0
    assert all(d >= 0 for _, _, d in block.edges)
    preds: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for u, v, d in block.edges:
        preds[v].append((u, d))
    q = _tails(block)
    best = [sum(max(j.latency, j.tail) for j in jobs) + sum(d for _, _, d in block.edges) + n]
    starts = [-1] * n

    def dfs(placed: int, last: int, used: frozenset[int], length: int) -> None:
        if placed == n:
            best[0] = min(best[0], length)
            return
        todo = [j for j in range(n) if starts[j] < 0]
        bound = max(
            [length, last + len(todo)]
            + [
                max([last + 1] + [starts[u] + d for u, d in preds[j] if starts[u] >= 0]) + q[j]
                for j in todo
            ]
        )
        if bound >= best[0]:
            return
        writers_left = sum(1 for j in todo if jobs[j].writes)
        for j in todo:
            if any(starts[u] < 0 for u, _ in preds[j]):
                continue
            c = max([last + 1] + [starts[u] + d for u, d in preds[j]])
            skips = writers_left - 1 if jobs[j].writes else 0
            tried = 0
            while tried <= skips and c + q[j] < best[0]:
                slot = c + jobs[j].latency
                if jobs[j].writes and slot in used:
                    c += 1
                    continue
                starts[j] = c
                dfs(
                    placed + 1,
                    c,
                    used | {slot} if jobs[j].writes else used,
                    max(length, c + jobs[j].tail),
                )
                starts[j] = -1
                tried += 1
                c += 1

    dfs(0, -1, frozenset(), 0)
    return best[0]


def naive_optimum(block: Block, horizon: int) -> int:
    """Shortest length over every start vector in ``[0, horizon)``: tiny blocks only."""
    import itertools

    n = len(block.jobs)
    best = None
    for starts in itertools.product(range(horizon), repeat=n):
        if not check_schedule(block, starts):
            length = schedule_length(block, starts)
            best = length if best is None else min(best, length)
    assert best is not None
    return best


# --- hand-made cases -----------------------------------------------------

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
