"""Automorphisms of a block and their lex-leader orders (compiler/asm/symmetry.py)."""

from __future__ import annotations

import itertools
import random

import pytest
from blockcases import blocks, brute_force_optimum, express_block
from hypothesis import given, settings

from vtc.compiler.asm import symmetry
from vtc.compiler.asm.exact import dominance_pairs, proof_pairs
from vtc.compiler.asm.problem import Block, BlockJob, check_schedule, schedule_length
from vtc.compiler.asm.satsched import sat_available, sat_decide
from vtc.compiler.asm.symmetry import automorphism, symmetry_pairs


def _copies(seed: int, *, copies: int = 3, size: int = 3) -> Block:
    """A seeded block of several copies of one random subgraph.

    The copies hang between an optional common source and sink and get
    their own random extra jobs now and then, so some blocks keep all the
    symmetry of the copies and some only part of it. Job indices are
    shuffled.
    """
    rng = random.Random(seed)
    kinds = [(1, True, 1), (4, True, 4), (6, True, 6), (2, False, 1)]
    part = [rng.choice(kinds) for _ in range(size)]
    inner = [(u, v) for u in range(size) for v in range(u + 1, size) if rng.random() < 0.5]
    jobs: list[tuple[int, bool, int]] = []
    edges: list[tuple[int, int, int]] = []
    for _ in range(copies):
        base = len(jobs)
        jobs.extend(part)
        edges.extend((base + u, base + v, part[u][0]) for u, v in inner)
    if rng.random() < 0.5:  # a common sink fed by the first job of each copy
        sink = len(jobs)
        jobs.append((1, True, 1))
        edges.extend((c * size, sink, part[0][0]) for c in range(copies))
    if rng.random() < 0.5:  # an extra job on one copy breaks part of the symmetry
        extra = len(jobs)
        jobs.append(rng.choice(kinds))
        edges.append((size - 1, extra, part[size - 1][0]))
    n = len(jobs)
    perm = list(range(n))
    rng.shuffle(perm)
    new = [jobs[0]] * n
    for old, j in enumerate(perm):
        new[j] = jobs[old]
    return Block(
        jobs=tuple(BlockJob(latency=a, writes=w, tail=t) for a, w, t in new),
        edges=tuple(sorted((perm[u], perm[v], d) for u, v, d in edges)),
    )


def _brute_force_pairs(block: Block) -> set[tuple[int, int]]:
    """``(v, g(v))`` for every automorphism ``g`` with first moved job ``v``, by definition."""
    n = len(block.jobs)
    delay = block.largest_delays()
    kind = [(j.latency, j.writes, j.tail) for j in block.jobs]
    pairs = set()
    for g in itertools.permutations(range(n)):
        if any(kind[g[j]] != kind[j] for j in range(n)):
            continue
        if any(delay.get((g[u], g[v])) != d for (u, v), d in delay.items()):
            continue
        moved = [j for j in range(n) if g[j] != j]
        if moved:
            pairs.add((moved[0], g[moved[0]]))
    return pairs


@settings(max_examples=150, deadline=None)
@given(blocks(max_jobs=7, max_latency=4))
def test_pairs_of_random_blocks_match_the_definition(block: Block) -> None:
    assert set(symmetry_pairs(block)) == _brute_force_pairs(block)


@pytest.mark.parametrize("seed", range(40))
def test_pairs_of_copied_subgraphs_match_the_definition(seed: int) -> None:
    block = _copies(seed, copies=2 + seed % 2, size=2 + seed % 2)
    if len(block.jobs) > 8:
        block = _copies(seed, copies=2, size=3)
    assert set(symmetry_pairs(block)) == _brute_force_pairs(block)


def test_each_pair_has_its_automorphism() -> None:
    block = _copies(7, copies=4, size=4)
    pairs = symmetry_pairs(block)
    assert len(pairs) >= 3  # four copies at least: one orbit of four
    for v, w in pairs:
        image = automorphism(block, range(v), v, w)
        assert image is not None and image[v] == w
        assert all(image[j] == j for j in range(v))
    # and none that the refinement rules out: a job maps only onto its own kind
    odd = next(w for w in range(len(block.jobs)) if block.jobs[w].latency != block.jobs[0].latency)
    assert automorphism(block, (), 0, odd) is None


def _swap_is_automorphism(block: Block, u: int, v: int) -> bool:
    delay = block.largest_delays()
    swap = list(range(len(block.jobs)))
    swap[u], swap[v] = v, u
    return block.jobs[u] == block.jobs[v] and all(
        delay.get((swap[a], swap[b])) == d for (a, b), d in delay.items()
    )


@settings(max_examples=100, deadline=None)
@given(blocks(max_jobs=8, max_latency=2))
def test_tied_dominance_pairs_are_symmetry_pairs(block: Block) -> None:
    # exact.proof_pairs relies on this: the pairs dominance_pairs lists for
    # interchangeable jobs (ordered by index) are lex-leader orders too
    sym = set(symmetry_pairs(block))
    for u, v in dominance_pairs(block):
        if u < v and _swap_is_automorphism(block, u, v):
            assert (u, v) in sym


def test_a_search_out_of_nodes_lists_fewer_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    block = _copies(5, copies=4, size=3)
    full = symmetry_pairs(block)
    monkeypatch.setattr(symmetry, "SEARCH_NODES", 0)
    assert symmetry_pairs(block) == []
    monkeypatch.setattr(symmetry, "SEARCH_NODES", 2)
    assert set(symmetry_pairs(block)) <= set(full)


def test_large_blocks_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    block = _copies(3, copies=4, size=3)
    assert symmetry_pairs(block)
    monkeypatch.setattr(symmetry, "SYMMETRY_LIMIT", len(block.jobs) - 1)
    assert symmetry_pairs(block) == []
    assert symmetry_pairs(Block(jobs=(), edges=())) == []


@pytest.mark.skipif(not sat_available(), reason="python-sat is not installed")
@pytest.mark.parametrize("seed", range(40))
def test_imposing_the_proof_pairs_keeps_the_optimum(seed: int) -> None:
    block = _copies(seed, copies=3, size=2 + seed % 2)
    optimum = brute_force_optimum(block)
    order = proof_pairs(block)
    assert len(order) >= len(symmetry_pairs(block)) > 0
    found = sat_decide(block, optimum, pairs=order)
    assert found.feasible is True and found.starts is not None
    assert check_schedule(block, found.starts) == []
    assert schedule_length(block, found.starts) <= optimum
    assert all(found.starts[u] < found.starts[v] for u, v in order)
    assert sat_decide(block, optimum - 1, pairs=order).feasible is False


@pytest.mark.parametrize(
    ("name", "count", "first"),
    [
        ("idctcol_dfg__3.dot", 4, (50, 106)),
        ("jpeg_fdct_islow_dfg__6.dot", 20, (0, 3)),
        ("jpeg_idct_ifast_dfg__5.dot", 15, (0, 3)),
    ],
)
def test_express_dct_symmetries(name: str, count: int, first: tuple[int, int]) -> None:
    # the DCT graphs are copies of butterflies: these are the orders that the
    # proofs of their lower bounds rely on (benchmarks/schedule_quality.py)
    block = express_block(name)
    pairs = symmetry_pairs(block)
    assert len(pairs) == count and pairs[0] == first
    for v, w in pairs:
        image = automorphism(block, range(v), v, w)
        assert image is not None and image[v] == w
