"""Blocks for the block-scheduling tests: random ones, their brute-force optimum, EXPRESS graphs.

``from blockcases import blocks, brute_force_optimum`` (``tests/asm`` is on
``sys.path`` under pytest, as for ``strategies.py``).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import strategies as st

from vtc.compiler.asm.problem import Block, BlockJob, check_schedule, schedule_length
from vtc.compiler.machine.target import load_target

# --- the benchmarks' modules and the EXPRESS graphs ------------------------


def load_benchmark(name: str) -> ModuleType:
    """The module ``benchmarks/NAME.py`` (not a package), loaded once."""
    key = f"_vtc_benchmarks_{name}"
    if key in sys.modules:
        return sys.modules[key]
    path = Path(__file__).resolve().parents[2] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(key, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module
    spec.loader.exec_module(module)
    return module


def express_block(name: str) -> Block:
    """The EXPRESS graph ``NAME`` (a file in the shared corpus) on the default target.

    Skips the calling test when the shared corpus is absent.
    """
    dfg = load_benchmark("dfg")
    dot = dfg.DFG_DIR / name
    if not dot.is_file():
        pytest.skip(f"the shared EXPRESS corpus is absent ({dot})")
    block: Block = dfg.to_block(dfg.read_dot(dot), load_target())
    return block


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
