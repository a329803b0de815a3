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

Backwards in time
-----------------
Where the hard choices lie at the end of a block (results that must land
in the last few cycles), a search that decides from cycle 0 finds out only
at the bottom of a deep tree. When every job writes and its tail is its
latency (as in data-flow graphs), running time backwards gives a problem of
the same kind (:func:`mirror_block`): ``s' = T - s - latency`` swaps the two
ports (the write cycles become the issue cycles and back), an edge
``u -> v`` with delay ``d`` becomes ``v -> u`` with delay
``d + latency_v - latency_u``, and a schedule of length ``T`` stays one of
length ``T``. :func:`search_restarts` searches both directions, first
completely and then with short randomised restarts (a fixed node budget
each, the ready jobs tried in perturbed orders; most of them in the
direction that gets closer to a schedule), which find schedules that one
long search misses.
"""

from __future__ import annotations

import heapq
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

from vtc.compiler.asm.bounds import Paths, adjust_paths, jackson
from vtc.compiler.asm.occupancy import FutureSums, future_sums
from vtc.compiler.asm.problem import Block, check_schedule

__all__ = [
    "COMPLETE_SHARE",
    "LOOKAHEAD",
    "MAX_LENGTH",
    "RESTART_NODES",
    "NodeChecks",
    "SearchResult",
    "applicable",
    "jackson_blocked",
    "mirror_block",
    "room_ahead",
    "search_length",
    "search_restarts",
    "unmirror",
]


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
    placed:
        The most jobs placed on any branch: how close the search came to a
        schedule (``n`` when it found one).
    """

    feasible: bool | None
    starts: tuple[int, ...] | None
    nodes: int
    placed: int = 0


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


class NodeChecks:
    """The checks every node of a search over the cycles must pass (module docstring).

    Built once per block, heads and tails, length and occupancy table; shared
    by :func:`search_length` and the beam search (:mod:`.beam`). A node is a
    partial schedule that has decided the cycles ``0 .. t - 1``.

    Attributes
    ----------
    lat, writes, counted, due:
        Per job: latency, whether it writes, whether it is a counted writer,
        latest start ``length - tail``.
    idle_issue, idle_write:
        The budgets of idle issue and free write cycles (may be negative:
        then no schedule of ``length`` exists).
    sums:
        The occupancy table (:func:`.occupancy.future_sums`) or ``None``.
    """

    def __init__(
        self, block: Block, paths: Paths, length: int, future: FutureSums | None = None
    ) -> None:
        jobs = block.jobs
        self.length = length
        self.lat = [job.latency for job in jobs]
        self.writes = [job.writes for job in jobs]
        self.counted = [job.counted_write for job in jobs]
        self.tail = paths.tail
        self.due = [length - q for q in paths.tail]
        self.idle_issue = length - len(jobs)
        self.idle_write = length - sum(self.counted)
        self.succ = block.successors()
        self.topo = paths.order
        self.sums = future if future is not None else future_sums(block, paths, length)
        self.look = LOOKAHEAD if self.sums is not None else 0
        # the most idle (free) cycles the table allows by each cycle
        self.most_idle = [max((a for a, _ in row), default=-1) for row in self.sums or ()]
        self.most_free = [max((b for _, b in row), default=-1) for row in self.sums or ()]

    def bounds(
        self,
        t: int,
        issued: int,
        starts: Sequence[int],
        est: Sequence[int],
        taken: int,
        mine: int,
        spent_i: int,
        spent_w: int,
    ) -> tuple[int, int] | None:
        """Jackson's bounds on both ports for a node, or ``None`` when it has no schedule.

        ``issued`` is the bit set of the jobs placed, ``starts`` their
        starts, ``est`` every job's earliest start through the placed
        predecessors, ``taken`` (``mine``) the write cycles of the writers
        (counted writers) placed, ``spent_i`` and ``spent_w`` the idle issue
        and free write cycles so far. ``None`` when a job left is past its
        deadline, the occupancy table or :func:`room_ahead` rules the node
        out, or a Jackson bound exceeds the length.
        """
        lat, tail, writes = self.lat, self.tail, self.writes
        release: list[int] = []
        deliver: list[int] = []
        w_release: list[int] = []
        w_deliver: list[int] = []
        ahead = 0  # sum over t' >= t of the jobs in flight at t' (occupancy.future_sums)
        for j in range(len(lat)):
            if issued >> j & 1:
                if starts[j] + lat[j] > t:
                    ahead += starts[j] + lat[j] - t
                continue
            ahead += lat[j] - 1
            if self.due[j] < t:
                return None
            e = max(est[j], t)
            release.append(e)
            deliver.append(tail[j])
            if writes[j]:
                w_release.append(e + lat[j])
                w_deliver.append(tail[j] - lat[j])
        if self.sums is not None and not self.sums[t].get((spent_i, spent_w), 0) >> ahead & 1:
            return None
        if self.look and not room_ahead(
            t,
            issued,
            est,
            self.succ,
            self.topo,
            lat,
            mine,
            spent_i,
            spent_w,
            self.most_idle,
            self.most_free,
            self.look,
        ):
            return None
        first = jackson(release, deliver)
        if first > self.length:
            return None
        second = jackson_blocked(w_release, w_deliver, taken)
        if second > self.length:
            return None
        return first, second


def search_length(
    block: Block,
    length: int,
    *,
    paths: Paths | None = None,
    pairs: Sequence[tuple[int, int]] = (),
    node_limit: int = 100_000,
    time_limit: float | None = None,
    seed: int | None = None,
    guide: Sequence[float] | None = None,
    future: FutureSums | None = None,
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
    guide:
        Per job, a key to try the ready jobs by instead, smallest first
        (say, the starts of a good schedule one cycle longer); a seed
        perturbs it the same way.
    future:
        :func:`.occupancy.future_sums` of the block, ``paths`` and
        ``length``, to share one table among many searches; by default the
        search builds it (when the block has one).

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
    checks = NodeChecks(block, p, length, future)
    lat, writes, counted, due = checks.lat, checks.writes, checks.counted, checks.due
    idle_issue, idle_write = checks.idle_issue, checks.idle_write
    if idle_issue < 0 or idle_write < 0:
        return SearchResult(False, None, 0)
    if length > MAX_LENGTH:
        return SearchResult(None, None, 0)
    succ = checks.succ
    left = [len(into) for into in block.predecessors()]
    head, tail = p.head, p.tail
    # how long after its issue a job still matters: its write, its successors
    reach = [max([lat[j] if writes[j] else 0] + [d for _, d in succ[j]]) for j in range(n)]
    before = [0] * n
    for u, v in pairs:
        before[v] |= 1 << u
    rng = random.Random(seed)
    noise = [0.0 if seed is None else rng.random() * 3.0 for _ in range(n)]
    key = [-q for q in tail] if guide is None else list(guide)
    order = sorted(range(n), key=lambda j: (key[j] - noise[j], j))
    est = list(head)
    starts = [-1] * n
    failed: set[tuple[int, tuple[tuple[int, int], ...], int, int]] = set()
    nodes = 0
    deepest = 0
    stop = None if time_limit is None else time.monotonic() + time_limit

    def visit(
        t: int, issued: int, count: int, taken: int, mine: int, spent_i: int, spent_w: int
    ) -> bool:
        # taken: write cycles of every writer placed; mine: of the counted ones
        nonlocal nodes, deepest
        nodes += 1
        deepest = max(deepest, count)
        if nodes > node_limit or (
            stop is not None and nodes % 256 == 0 and time.monotonic() > stop
        ):
            raise _Budget
        if count == n:
            return True
        if checks.bounds(t, issued, starts, est, taken, mine, spent_i, spent_w) is None:
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
        return SearchResult(None, None, nodes, deepest)
    if not found:
        return SearchResult(False, None, nodes, deepest)
    problems = check_schedule(block, starts)
    if problems:
        raise RuntimeError(f"the idle search built an invalid schedule: {problems[0]}")
    return SearchResult(True, tuple(starts), nodes, n)


#: Node budget of each randomised restart of :func:`search_restarts`.
RESTART_NODES = 5_000
#: Share of :func:`search_restarts`' time for each complete search (one per
#: direction) before the restarts; they settle small blocks, while on big
#: ones the restarts find schedules that long searches miss.
COMPLETE_SHARE = 0.15


#: Cycles ahead that :func:`room_ahead` looks at in each node of the search.
LOOKAHEAD = 16


def room_ahead(
    t: int,
    issued: int,
    est: Sequence[int],
    succ: Sequence[Sequence[tuple[int, int]]],
    topo: Sequence[int],
    lat: Sequence[int],
    mine: int,
    spent_i: int,
    spent_w: int,
    most_idle: Sequence[int],
    most_free: Sequence[int],
    look: int,
) -> bool:
    """Whether the next ``look`` cycles have enough jobs to fill both ports.

    Every job left issues no earlier than its earliest cycle through the
    jobs left before it (``soon``); so among the issue cycles ``t .. t + h - 1``
    at least ``h`` minus the jobs with ``soon <= t + h - 1`` idle, and among
    the write cycles ``t + 1 .. t + h`` not yet taken at least their number
    minus the jobs landing by ``t + h`` at the earliest stay free. The
    occupancy table allows at most ``most_idle[t + h]`` idle and
    ``most_free[t + h]`` free cycles by ``t + h``; a node needing more has no
    schedule below it. For blocks of counted writers only (``mine`` holds
    every write cycle taken).
    """
    n = len(lat)
    soon = list(est)
    for j in topo:
        if issued >> j & 1:
            continue
        e = soon[j] if soon[j] > t else t
        soon[j] = e
        for v, d in succ[j]:
            if e + d > soon[v]:
                soon[v] = e + d
    horizon = min(look, len(most_idle) - 1 - t)
    if horizon <= 0:
        return True
    by_issue = [0] * horizon
    by_write = [0] * (horizon + 1)
    for j in range(n):
        if issued >> j & 1:
            continue
        off = soon[j] - t
        if off < horizon:
            by_issue[off] += 1
            if off + lat[j] <= horizon:
                by_write[off + lat[j]] += 1
    can_issue = 0
    can_land = 0
    open_writes = 0
    for h in range(1, horizon + 1):
        can_issue += by_issue[h - 1]
        if h - can_issue > most_idle[t + h] - spent_i:
            return False
        can_land += by_write[h]
        open_writes += not mine >> (t + h) & 1
        if open_writes - can_land > most_free[t + h] - spent_w:
            return False
    return True


def mirror_block(block: Block) -> Block | None:
    """``block`` backwards in time, or ``None`` when that is not a block of the same kind.

    Needs every job to write with ``tail == latency >= 1``; then a schedule
    ``s`` of length ``T`` of ``block`` and the schedule ``T - s - latency`` of
    the mirror are the same thing (module docstring). The mirror's edges
    are ``(v, u, d + latency_v - latency_u)``; it is ``None`` when one of
    them would have a negative delay (the search needs ``>= 0``).

    >>> from vtc.compiler.asm.problem import BlockJob
    >>> add = BlockJob(latency=6, writes=True, tail=6)
    >>> mov = BlockJob(latency=1, writes=True, tail=1)
    >>> mirror_block(Block(jobs=(add, mov), edges=((0, 1, 6),))).edges
    ((1, 0, 1),)
    """
    jobs = block.jobs
    if not all(job.writes and job.tail == job.latency >= 1 for job in jobs):
        return None
    lat = [job.latency for job in jobs]
    edges = tuple(sorted((v, u, d + lat[v] - lat[u]) for u, v, d in block.edges))
    if any(d < 0 for _, _, d in edges):
        return None
    return Block(jobs=jobs, edges=edges)


def unmirror(block: Block, length: int, starts: Sequence[int]) -> tuple[int, ...]:
    """The schedule of ``block`` that a schedule of its mirror of length ``length`` stands for.

    ``length - start - latency`` per job; the result is no longer than
    ``length`` when ``starts`` is no longer either.
    """
    return tuple(length - s - job.latency for s, job in zip(starts, block.jobs, strict=True))


def search_restarts(
    block: Block,
    length: int,
    *,
    time_limit: float | None = None,
    rounds: int | None = None,
    paths: Paths | None = None,
    pairs: Sequence[tuple[int, int]] = (),
    mirror_pairs: Sequence[tuple[int, int]] = (),
    restart_nodes: int = RESTART_NODES,
) -> SearchResult:
    """:func:`search_length` forwards and backwards in time, then randomised restarts.

    With a ``time_limit``: :data:`COMPLETE_SHARE` of it for the complete
    search forwards, as much backwards (on :func:`mirror_block`, when the
    block has a mirror), then restarts of ``restart_nodes`` nodes each with
    seeds 1, 2, ... in each direction, until a schedule is found, a search
    proves that none exists (a restart that ends within its budget has
    searched everything, only in another order), the time is up or
    ``rounds`` restarts per direction were made. After one restart in each
    direction, three restarts of every four go to the direction whose
    restarts placed more jobs on average before giving up (the one closer
    to a schedule; on data-flow graphs that is often backwards, by far),
    the fourth to the other. Without a ``time_limit``, only the restarts,
    ``rounds`` (8 by default) per direction: no clock is read, so the answer
    depends only on the arguments.

    ``pairs`` and ``mirror_pairs`` are the orders to respect in each
    direction (:func:`.exact.dominance_pairs` of the block and of its
    mirror). The schedule returned is one of ``block`` (converted back from
    the mirror with :func:`unmirror`) and has passed
    :func:`.problem.check_schedule`. Raises :class:`ValueError` when the
    block is not :func:`applicable`.
    """
    if not applicable(block):
        raise ValueError("the search needs edge delays >= 0 and tails >= 1")
    if time_limit is None and rounds is None:
        rounds = 8
    deadline = None if time_limit is None else time.monotonic() + time_limit
    back = mirror_block(block)
    ways: list[tuple[Block, Paths | None, Sequence[tuple[int, int]], bool]] = [
        (block, paths, pairs, False)
    ]
    if back is not None and block.jobs:
        ways.append((back, None, mirror_pairs, True))
    nodes = 0
    # one occupancy table per direction, shared by its searches
    tables: dict[int, FutureSums | None] = {}

    def left() -> float | None:
        return None if deadline is None else deadline - time.monotonic()

    def attempt(way: int, limit: int, seed: int | None, seconds: float | None) -> SearchResult:
        nonlocal nodes
        b, p, prs, backwards = ways[way]
        if p is None:
            p = adjust_paths(b)
            ways[way] = (b, p, prs, backwards)
        if way not in tables:
            tables[way] = future_sums(b, p, length)
        found = search_length(
            b,
            length,
            paths=p,
            pairs=prs,
            node_limit=limit,
            time_limit=seconds,
            seed=seed,
            future=tables[way],
        )
        nodes += found.nodes
        if found.feasible and found.starts is not None and backwards:
            starts = unmirror(block, length, found.starts)
            problems = check_schedule(block, starts)
            if problems:
                raise RuntimeError(f"the backward search built an invalid schedule: {problems[0]}")
            return SearchResult(True, starts, found.nodes)
        return found

    if time_limit is not None:
        for way in range(len(ways)):
            if (left() or 0.0) <= 0:
                break
            found = attempt(way, 10**9, None, time_limit * COMPLETE_SHARE)
            if found.feasible is not None:
                return SearchResult(found.feasible, found.starts, nodes)
    placed = [0] * len(ways)
    tries = [0] * len(ways)
    total = None if rounds is None else rounds * len(ways)
    made = 0
    while total is None or made < total:
        if made < len(ways):
            way = made
        else:
            # the direction whose restarts got deeper, the other every 4th time
            depth = [placed[w] / tries[w] for w in range(len(ways))]
            pick = min if made % 4 == 3 else max
            way = pick(range(len(ways)), key=lambda w: (depth[w], -w))
        made += 1
        remaining = left()
        if remaining is not None and remaining <= 0:
            return SearchResult(None, None, nodes)
        tries[way] += 1
        found = attempt(way, restart_nodes, tries[way], remaining)
        placed[way] += found.placed
        if found.feasible is not None:
            return SearchResult(found.feasible, found.starts, nodes)
    return SearchResult(None, None, nodes)
