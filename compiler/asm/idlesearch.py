"""Is there a schedule of length ``T``? A depth-first search over the cycles.

A schedule of a block (:mod:`.problem`) of length ``T`` issues its ``n``
jobs in ``n`` of the cycles ``0 .. T - 1`` and, when every job is *counted*
on the write port (it writes, ``1 <= latency <= tail``), lands their results
in ``n`` of the cycles ``1 .. T``. So a schedule of length ``T`` leaves
exactly ``T - n`` issue cycles idle and ``T - n_w`` write cycles free of
counted results. Near the lower bound these budgets are tiny, and the search
here spends them: it decides cycle after cycle, from cycle 0, which ready job
issues (or none), and gives up a branch as soon as it has idled more issue
cycles, or left more write cycles free, than the budget allows. A write
cycle ``t + 1`` is final once cycle ``t`` is decided, because every later job
writes at least one cycle after it issues.

Every branch also has to pass

* the deadlines ``start <= T - tail`` (adjusted tails, :func:`.bounds.adjust_paths`);
* Jackson's rule (:func:`.bounds.jackson`) on the jobs left, released at
  their earliest cycle, on the issue slot and on the write port (there with
  the write cycles already taken blocked: Jackson's rule stays optimal for
  unit jobs when some unit slots are unavailable);
* the orders of :func:`.exact.dominance_pairs` (some schedule of every
  length that has one meets them all);

and a branch that failed is remembered by what decides its future: the set
of jobs issued, the issue cycles of those still writing or holding back a
successor, and the budgets spent, so an equal state reached by another order
fails at once.

The search is complete: it answers ``True`` with a schedule, ``False`` when
no schedule of length ``T`` or less exists, or ``None`` when it ran out of
nodes or time. It needs edge delays ``>= 0`` (a job then issues after all its
predecessors) and tails ``>= 1``; :func:`applicable` says whether a block
has them.
"""

from __future__ import annotations

import heapq
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

from vtc.compiler.asm.bounds import Paths, adjust_paths, jackson
from vtc.compiler.asm.problem import Block, check_schedule

__all__ = ["MAX_LENGTH", "SearchResult", "applicable", "jackson_blocked", "search_length"]


@dataclass(frozen=True)
class SearchResult:
    """What :func:`search_length` found.

    Attributes
    ----------
    feasible:
        ``True``: ``starts`` is a schedule no longer than the length asked
        for; ``False``: proven that none exists; ``None``: out of nodes or time.
    starts:
        The schedule when ``feasible`` is ``True``.
    nodes:
        Search nodes visited.
    """

    feasible: bool | None
    starts: tuple[int, ...] | None
    nodes: int


def applicable(block: Block) -> bool:
    """Whether :func:`search_length` can decide ``block``: delays ``>= 0``, tails ``>= 1``."""
    return all(d >= 0 for _, _, d in block.edges) and all(j.tail >= 1 for j in block.jobs)


def jackson_blocked(release: Sequence[int], delivery: Sequence[int], blocked: int) -> int:
    """:func:`.bounds.jackson` when the cycles set in the bit mask ``blocked`` are unavailable.

    In each available cycle, run the released job with the largest delivery
    time. Optimal for unit jobs: a schedule that runs another job there, or
    nothing, gets no worse by swapping in (or moving up) the chosen one.
    ``blocked`` has bit ``c`` set for cycle ``c`` (cycles ``>= 0``); 0 when
    there are no jobs. Release dates must be ``>= 0``.
    """
    jobs = sorted(zip(release, delivery, strict=True))
    if not jobs:
        return 0
    ready: list[int] = []
    i = 0
    n = len(jobs)
    t = jobs[0][0]
    best = t + jobs[0][1]
    while i < n or ready:
        if not ready and jobs[i][0] > t:
            t = jobs[i][0]
        while i < n and jobs[i][0] <= t:
            heapq.heappush(ready, -jobs[i][1])
            i += 1
        if blocked >> t & 1:
            t += 1
            continue
        best = max(best, t - heapq.heappop(ready))
        t += 1
    return best


#: Longest length searched: one recursion level per cycle, kept well inside
#: Python's default recursion limit; longer blocks get ``feasible=None``.
MAX_LENGTH = 700


class _Budget(Exception):
    """The node or time limit ran out."""


def search_length(
    block: Block,
    length: int,
    *,
    paths: Paths | None = None,
    pairs: Sequence[tuple[int, int]] = (),
    node_limit: int = 100_000,
    time_limit: float | None = None,
    seed: int | None = None,
) -> SearchResult:
    """Look for a schedule of ``block`` no longer than ``length`` (module docstring).

    Parameters
    ----------
    paths:
        Valid heads and tails; by default :func:`.bounds.adjust_paths`.
    pairs:
        ``(u, v)`` pairs to issue ``u`` first in, which must keep some
        schedule of every feasible length (those of
        :func:`.exact.dominance_pairs` do); they only prune.
    node_limit, time_limit:
        Give up (``feasible=None``) after this many nodes or seconds.
    seed:
        ``None`` tries the ready jobs longest tail first; a seed perturbs
        that order (for restarts that look for a schedule elsewhere).

    Raises :class:`ValueError` when the block is not :func:`applicable`.
    A schedule returned has passed :func:`.problem.check_schedule`. Lengths
    above :data:`MAX_LENGTH` are not searched (``feasible=None``).
    """
    if not applicable(block):
        raise ValueError("the search needs edge delays >= 0 and tails >= 1")
    jobs = block.jobs
    n = len(jobs)
    if n == 0:
        return SearchResult(length >= 0, () if length >= 0 else None, 0)
    p = paths if paths is not None else adjust_paths(block)
    lat = [job.latency for job in jobs]
    writes = [job.writes for job in jobs]
    counted = [job.writes and 1 <= job.latency <= job.tail for job in jobs]
    idle_issue = length - n
    idle_write = length - sum(counted)
    if idle_issue < 0 or idle_write < 0:
        return SearchResult(False, None, 0)
    if length > MAX_LENGTH:
        return SearchResult(None, None, 0)
    succ = block.successors()
    left = [len(into) for into in block.predecessors()]
    head, tail = p.head, p.tail
    due = [length - q for q in tail]
    # how long after its issue a job still matters: its write, its successors
    reach = [max([lat[j] if writes[j] else 0] + [d for _, d in succ[j]]) for j in range(n)]
    before = [0] * n
    for u, v in pairs:
        before[v] |= 1 << u
    rng = random.Random(seed)
    noise = [0.0 if seed is None else rng.random() * 3.0 for _ in range(n)]
    order = sorted(range(n), key=lambda j: (-tail[j] - noise[j], j))
    est = list(head)
    starts = [-1] * n
    failed: set[tuple[int, tuple[tuple[int, int], ...], int, int]] = set()
    nodes = 0
    stop = None if time_limit is None else time.monotonic() + time_limit

    def visit(
        t: int, issued: int, count: int, taken: int, mine: int, spent_i: int, spent_w: int
    ) -> bool:
        # taken: write cycles of every writer placed; mine: of the counted ones
        nonlocal nodes
        nodes += 1
        if nodes > node_limit or (
            stop is not None and nodes % 256 == 0 and time.monotonic() > stop
        ):
            raise _Budget
        if count == n:
            return True
        release: list[int] = []
        deliver: list[int] = []
        w_release: list[int] = []
        w_deliver: list[int] = []
        for j in range(n):
            if issued >> j & 1:
                continue
            if due[j] < t:
                return False
            e = max(est[j], t)
            release.append(e)
            deliver.append(tail[j])
            if writes[j]:
                w_release.append(e + lat[j])
                w_deliver.append(tail[j] - lat[j])
        if jackson(release, deliver) > length:
            return False
        if jackson_blocked(w_release, w_deliver, taken) > length:
            return False
        recent = tuple(
            (j, starts[j] - t) for j in range(n) if issued >> j & 1 and starts[j] + reach[j] > t
        )
        state = (issued, recent, spent_i, spent_w)
        if state in failed:
            return False
        for j in order:
            if (
                issued >> j & 1
                or left[j]
                or est[j] > t
                or due[j] < t
                or before[j] & ~issued
                or (writes[j] and taken >> (t + lat[j]) & 1)
            ):
                continue
            now = taken | 1 << (t + lat[j]) if writes[j] else taken
            now_mine = mine | 1 << (t + lat[j]) if counted[j] else mine
            # write cycle t + 1 is final: free of counted results spends budget
            free = t + 1 <= length and not now_mine >> (t + 1) & 1
            if spent_w + free > idle_write:
                continue
            starts[j] = t
            saved = [(v, est[v]) for v, _ in succ[j]]
            for v, d in succ[j]:
                est[v] = max(est[v], t + d)
                left[v] -= 1
            ok = visit(t + 1, issued | 1 << j, count + 1, now, now_mine, spent_i, spent_w + free)
            for v, e in saved:
                est[v] = e
                left[v] += 1
            if ok:
                return True
            starts[j] = -1
        if spent_i < idle_issue:
            free = t + 1 <= length and not mine >> (t + 1) & 1
            if spent_w + free <= idle_write and visit(
                t + 1, issued, count, taken, mine, spent_i + 1, spent_w + free
            ):
                return True
        failed.add(state)
        return False

    try:
        found = visit(0, 0, 0, 0, 0, 0, 0)
    except _Budget:
        return SearchResult(None, None, nodes)
    if not found:
        return SearchResult(False, None, nodes)
    problems = check_schedule(block, starts)
    if problems:
        raise RuntimeError(f"the idle search built an invalid schedule: {problems[0]}")
    return SearchResult(True, tuple(starts), nodes)
