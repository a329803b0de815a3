"""Shorten a valid block schedule by ruin and recreate (large-neighbourhood search).

:func:`.blocksched.schedule_block` builds its schedules with *non-delay*
list scheduling: a cycle never idles while some job could issue. With one
write port that misses schedules that keep a write cycle free on purpose
(a deliberate idle issue cycle, or a lower-priority job first). The search
here works on the schedule itself instead:

* **ruin**: unfix the jobs that start in a window of cycles (or in the
  whole suffix from some cycle on), keeping every other job where it is;
* **recreate**: place the unfixed jobs again one at a time, in a noisy
  priority order that respects the edges among them, each in the *first*
  cycle at or after its earliest start where the issue slot and (for a
  writer) the write slot are free, and no later than the fixed successors
  allow (:func:`serial_place`). That is the serial schedule-generation
  scheme: a job placed early may leave a gap behind it that nothing fills,
  so the schedules it builds are not non-delay ones;
* **accept**: by a smooth measure of how far the schedule is from a target
  length one below the best known (:func:`lateness`), with simulated
  annealing; reaching the target lowers it by one.

Everything is deterministic for a given seed and move budget. Every
schedule returned has passed :func:`.problem.check_schedule` and is never
longer than the one given.

>>> from vtc.compiler.asm.problem import Block, BlockJob
>>> add = BlockJob(latency=6, writes=True, tail=6)
>>> mov = BlockJob(latency=1, writes=True, tail=1)
>>> block = Block(jobs=(add, mov, add), edges=((0, 1, 6),))
>>> improve_schedule(block, [0, 7, 3]).length
8
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from vtc.compiler.asm.bounds import Paths, adjust_paths, longest_paths, lower_bound
from vtc.compiler.asm.problem import Block, check_schedule, schedule_length

__all__ = [
    "DEFAULT_MOVES",
    "Improvement",
    "improve_schedule",
    "lateness",
    "serial_place",
]

#: Ruin-and-recreate moves :func:`improve_schedule` makes by default.
DEFAULT_MOVES = 20_000


@dataclass(frozen=True)
class Improvement:
    """What :func:`improve_schedule` found.

    Attributes
    ----------
    starts:
        The best schedule found (the one given when nothing was shorter).
    length:
        Its length (:func:`.problem.schedule_length`).
    initial_length:
        The length of the schedule given.
    moves:
        Ruin-and-recreate moves made.
    improvements:
        How many times the best length dropped.
    """

    starts: tuple[int, ...]
    length: int
    initial_length: int
    moves: int
    improvements: int


class _Prepared:
    """A block's adjacency, latencies and tails, built once per search."""

    def __init__(self, block: Block, paths: Paths) -> None:
        self.n = len(block.jobs)
        self.succ = block.successors()
        self.pred = block.predecessors()
        self.lat = [job.latency for job in block.jobs]
        self.writes = [job.writes for job in block.jobs]
        self.tail = [job.tail for job in block.jobs]
        self.q = list(paths.tail)
        self.order = list(paths.order)


def _latest(g: _Prepared, fixed: Sequence[int | None], horizon: int) -> list[int]:
    """Latest start of every free job given the fixed successors (``horizon - q`` at most)."""
    late = [horizon - q for q in g.q]
    for j in reversed(g.order):
        if fixed[j] is not None:
            late[j] = fixed[j] or 0
            continue
        for w, d in g.succ[j]:
            late[j] = min(late[j], late[w] - d)
    return late


def serial_place(
    block: Block,
    fixed: Sequence[int | None],
    priority: Sequence[float],
) -> list[int] | None:
    """Place the jobs whose ``fixed`` entry is ``None`` around the fixed ones.

    Parameters
    ----------
    block:
        The block (an acyclic one).
    fixed:
        Per job, its start cycle, or ``None`` for a job to place. The fixed
        starts must be valid among themselves: distinct issue cycles,
        distinct write cycles and every edge between two fixed jobs met.
    priority:
        Per job; smaller goes first among the free jobs whose free
        predecessors are all placed.

    Returns
    -------
    list[int] | None
        The start of every job, the fixed ones unchanged, or ``None`` when
        some free job finds no cycle: each goes to the first cycle
        ``>= max(0, start of predecessor + delay)`` with its issue slot and
        (writers) its write slot free, and gives up when that cycle passes
        ``start of a fixed successor - delay``. A list returned is a valid
        schedule (:func:`.problem.check_schedule`) when the fixed starts
        were valid among themselves.
    """
    return _serial(_Prepared(block, longest_paths(block)), fixed, priority)


def _serial(
    g: _Prepared, fixed: Sequence[int | None], priority: Sequence[float]
) -> list[int] | None:
    """:func:`serial_place` on a prepared block."""
    n = g.n
    start = [-1] * n
    issue: set[int] = set()
    wport: set[int] = set()
    for j, s in enumerate(fixed):
        if s is not None:
            start[j] = s
            issue.add(s)
            if g.writes[j]:
                wport.add(s + g.lat[j])
    left = [0] * n
    for j in range(n):
        if fixed[j] is None:
            left[j] = sum(1 for u, _ in g.pred[j] if fixed[u] is None)
    ready = [(priority[j], j) for j in range(n) if fixed[j] is None and left[j] == 0]
    heapq.heapify(ready)
    placed = 0
    while ready:
        _, j = heapq.heappop(ready)
        c = 0
        for u, d in g.pred[j]:
            c = max(c, start[u] + d)
        limit: int | None = None
        for w, d in g.succ[j]:
            if fixed[w] is not None:
                bound = start[w] - d
                limit = bound if limit is None else min(limit, bound)
        if g.writes[j]:
            a = g.lat[j]
            while c in issue or c + a in wport:
                c += 1
            if limit is not None and c > limit:
                return None
            wport.add(c + a)
        else:
            while c in issue:
                c += 1
            if limit is not None and c > limit:
                return None
        issue.add(c)
        start[j] = c
        placed += 1
        for w, _ in g.succ[j]:
            if fixed[w] is None:
                left[w] -= 1
                if left[w] == 0:
                    heapq.heappush(ready, (priority[w], w))
    if placed != sum(1 for s in fixed if s is None):
        raise ValueError("the edges among the free jobs form a cycle")
    return start


def lateness(starts: Sequence[int], tails: Sequence[int], target: int, depth: int = 0) -> int:
    """``sum(x * (x + 1) / 2)`` over ``x = start + tail - (target - depth)``, for ``x > 0``.

    That is the plain lateness ``sum(max(0, start + tail - t))`` summed over
    the targets ``t`` from ``target - depth`` to ``target``: 0 exactly when
    every job ends by ``target - depth``, and it grows quadratically with
    how far a job overruns. With the longest-path tails
    (:class:`.bounds.Paths`) as ``tails`` it also counts jobs that are late
    only through their successors, and with ``depth > 0`` jobs that are
    merely close to late, which makes it a smoother guide than the length.
    """
    edge = target - depth
    total = 0
    for s, q in zip(starts, tails, strict=True):
        x = s + q - edge
        if x > 0:
            total += x * (x + 1) // 2
    return total


def improve_schedule(
    block: Block,
    starts: Sequence[int],
    *,
    moves: int = DEFAULT_MOVES,
    seed: int = 0,
    lower: int = 0,
    paths: Paths | None = None,
    window: tuple[int, int] = (6, 40),
    temperature: float = 2.0,
    depth: int = 4,
) -> Improvement:
    """Ruin-and-recreate search for a shorter schedule (module docstring).

    Parameters
    ----------
    block:
        The block (acyclic).
    starts:
        A valid schedule of it.
    moves:
        Moves to make at most (the budget; no clock is read, so the result
        depends only on the arguments).
    seed:
        Seed of the random choices.
    lower:
        A valid lower bound known to the caller; the search stops when the
        best schedule reaches it. 0 (the default): :func:`.bounds.lower_bound`.
    paths:
        Heads and tails for the priorities and :func:`lateness`; by default
        :func:`.bounds.adjust_paths`.
    window:
        Least and most cycles a window move unfixes.
    depth:
        How far below the target :func:`lateness` starts counting.
    temperature:
        Starting temperature of the annealing on :func:`lateness` (falls
        linearly to 0.05 over the budget).

    Returns
    -------
    Improvement
        The best schedule, valid and no longer than ``starts``.

    Raises
    ------
    ValueError
        When ``starts`` is not a valid schedule of ``block``.
    """
    problems = check_schedule(block, starts)
    if problems:
        raise ValueError(f"not a valid schedule: {problems[0]}")
    n = len(block.jobs)
    initial = schedule_length(block, starts)
    best = list(starts)
    best_len = initial
    lb = (lower if lower > 0 else lower_bound(block).value) if n else 0
    if n == 0 or best_len <= lb or moves <= 0:
        return Improvement(tuple(best), best_len, initial, 0, 0)
    p = paths if paths is not None else adjust_paths(block)
    g = _Prepared(block, p)
    rng = random.Random(seed)
    lo_w, hi_w = max(1, window[0]), max(1, window[0], window[1])
    target = best_len - 1
    cur = list(best)
    cur_cost = lateness(cur, g.q, target, depth)
    improvements = 0
    made = 0
    for made in range(1, moves + 1):
        length_now = max(s + q for s, q in zip(cur, g.tail, strict=True))
        if rng.random() < 0.3:
            # the suffix from a cycle near the end
            a = length_now - rng.randint(lo_w, hi_w)
            b = length_now + 1
        else:
            w = rng.randint(lo_w, hi_w)
            a = rng.randint(-w // 2, length_now)
            b = a + w
        fixed: list[int | None] = [s if not a <= s < b else None for s in cur]
        sigma = rng.choice((0.3, 1.0, 2.0, 4.0))
        mode = rng.random()
        if mode < 0.4:
            prio = [s + rng.gauss(0.0, sigma) for s in cur]
        elif mode < 0.7:
            prio = [x + rng.gauss(0.0, sigma) for x in _latest(g, fixed, target)]
        else:
            prio = [-q + rng.gauss(0.0, sigma) for q in g.q]
        cand = _serial(g, fixed, prio)
        if cand is None:
            continue
        cost = lateness(cand, g.q, target, depth)
        temp = max(0.05, temperature * (1.0 - made / moves))
        delta = cost - cur_cost
        if delta <= 0 or rng.random() < math.exp(-delta / temp):
            cur, cur_cost = cand, cost
            cand_len = schedule_length(block, cand)
            if cand_len < best_len:
                best, best_len = list(cand), cand_len
                improvements += 1
                if best_len <= lb:
                    break
                target = best_len - 1
                cur_cost = lateness(cur, g.q, target, depth)
    problems = check_schedule(block, best)
    if problems:
        raise RuntimeError(f"the search built an invalid schedule: {problems[0]}")
    return Improvement(tuple(best), best_len, initial, made, improvements)
