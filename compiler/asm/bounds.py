"""Lower bounds on the length of a straight-line block (:mod:`.problem`).

Every bound here is a number that no valid schedule can beat; the scheduler
stops searching when it reaches the largest of them, and the benchmark
reports its gap to them. The first four run in ``O(n log n + e)``, the
adjusted one in at most :data:`ADJUST_WORK` more steps; the class-sequence
bound is exponential in the worst case and has a limit of its own.

* :func:`critical_path`: the latency-weighted longest path, tails included;
* :func:`issue_bound`: one instruction per cycle;
* :func:`head_tail_bound`: the issue slot as one machine with release dates
  and delivery times, solved exactly by Jackson's rule;
* :func:`write_port_bound`: the same on the write port, for the jobs that
  write;
* :func:`adjusted_bound`: the three above again after raising every head
  and tail by one-machine bounds on its ancestors and descendants
  (:func:`adjust_paths`, limited to :data:`ADJUST_WORK` on big blocks);
* :func:`class_sequence_bound`: a dynamic program over the order in which
  latency classes use the ports; exponential in the worst case, so it is
  not part of :func:`lower_bound` (the benchmark and the exact solver's
  callers use it).

The window bound of :mod:`.windows` (idle cycles forced at the two ends of
the block, by small CP-SAT problems) lives there, since it needs OR-Tools.

>>> from vtc.compiler.asm.problem import Block, BlockJob
>>> add = BlockJob(latency=6, writes=True, tail=6)
>>> lower_bound(Block(jobs=(add, add), edges=((0, 1, 6),))).value
12
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

from vtc.compiler.asm.problem import Block

__all__ = [
    "ADJUST_WORK",
    "Bounds",
    "Paths",
    "adjust_paths",
    "adjusted_bound",
    "class_sequence_bound",
    "critical_path",
    "head_tail_bound",
    "issue_bound",
    "jackson",
    "longest_paths",
    "lower_bound",
    "write_port_bound",
]

#: Ancestor and descendant entries :func:`adjust_paths` examines at most.
ADJUST_WORK = 20_000


@dataclass(frozen=True)
class Paths:
    """Longest paths through a block.

    Attributes
    ----------
    order:
        The jobs in a topological order of the edges.
    head:
        Earliest start of each job: the longest path (sum of edge delays) from
        any job to it, at least 0.
    tail:
        The longest path from the job's start to the end of the block: its
        own ``tail``, or an edge delay plus the successor's ``tail`` here,
        whichever is larger. Any schedule has ``length >= start + tail``.
    complete:
        False when :func:`adjust_paths` stopped at its work limit, so that
        some jobs kept their plain head or tail.
    """

    order: tuple[int, ...]
    head: tuple[int, ...]
    tail: tuple[int, ...]
    complete: bool = True


@dataclass(frozen=True)
class Bounds:
    """The lower bounds of one block; ``value`` is the largest.

    ``adjusted`` is :func:`adjusted_bound`: the critical path and both
    head/tail bounds again, on the heads and tails of :func:`adjust_paths`;
    0 when it was skipped (``lower_bound(..., adjust=False)``, or a schedule
    that met the other bounds at once). ``class_sequence`` is
    :func:`class_sequence_bound`, ``occupancy`` the occupancy bound of
    :mod:`.occupancy` and ``window`` the window bound of :mod:`.windows`
    (with the occupancy bound over its windows), each 0 unless someone
    computed it (only :func:`.blocksched.schedule_block` with the exact
    solver does).
    """

    critical_path: int
    issue: int
    head_tail: int
    write_port: int
    adjusted: int = 0
    class_sequence: int = 0
    occupancy: int = 0
    window: int = 0

    @property
    def value(self) -> int:
        """The best (largest) lower bound."""
        return max(
            self.critical_path,
            self.issue,
            self.head_tail,
            self.write_port,
            self.adjusted,
            self.class_sequence,
            self.occupancy,
            self.window,
        )


def longest_paths(block: Block) -> Paths:
    """Heads and tails of every job (:class:`Paths`).

    Raises :class:`ValueError` when the edges form a cycle or name a job that
    does not exist.

    >>> from vtc.compiler.asm.problem import Block, BlockJob
    >>> mul = BlockJob(latency=4, writes=True, tail=4)
    >>> longest_paths(Block(jobs=(mul, mul), edges=((0, 1, 4),)))
    Paths(order=(0, 1), head=(0, 4), tail=(8, 4), complete=True)
    """
    n = len(block.jobs)
    succ: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    indeg = [0] * n
    for u, v, d in block.edges:
        if not (0 <= u < n and 0 <= v < n):
            raise ValueError(f"edge {u}->{v} names a job outside 0..{n - 1}")
        succ[u].append((v, d))
        indeg[v] += 1
    # Kahn's algorithm, smallest index first among the free jobs, so that a
    # block whose edges follow program order keeps that order.
    free = [j for j in range(n) if indeg[j] == 0]
    heapq.heapify(free)
    order: list[int] = []
    while free:
        u = heapq.heappop(free)
        order.append(u)
        for v, _ in succ[u]:
            indeg[v] -= 1
            if indeg[v] == 0:
                heapq.heappush(free, v)
    if len(order) != n:
        stuck = sorted(j for j in range(n) if indeg[j] > 0)
        raise ValueError(f"the edges of the block form a cycle through jobs {stuck[:8]}")
    head = [0] * n
    for u in order:
        hu = head[u]
        for v, d in succ[u]:
            head[v] = max(head[v], hu + d)
    tail = [job.tail for job in block.jobs]
    for u in reversed(order):
        best = tail[u]
        for v, d in succ[u]:
            best = max(best, d + tail[v])
        tail[u] = best
    return Paths(order=tuple(order), head=tuple(head), tail=tuple(tail))


def jackson(release: Sequence[int], delivery: Sequence[int]) -> int:
    """Optimum of one machine, unit jobs: ``min max(s[j] + delivery[j])``.

    Jobs take one cycle each, start at distinct integer cycles
    ``s[j] >= release[j]``. Jackson's rule (in every cycle, run the released
    job with the largest delivery time) is optimal for the preemptive problem
    ``1|r_j, pmtn|L_max``; with unit processing times and integer release
    dates no job is ever preempted, so it is the exact optimum of the
    non-preemptive problem too. 0 when there are no jobs; release dates and
    delivery times may be negative.

    >>> jackson([0, 0, 0], [1, 1, 5])
    5
    """
    jobs = sorted(zip(release, delivery, strict=True))
    if not jobs:
        return 0
    ready: list[int] = []
    t = jobs[0][0]
    best = t + jobs[0][1]
    i = 0
    n = len(jobs)
    while i < n or ready:
        if not ready and jobs[i][0] > t:
            t = jobs[i][0]
        while i < n and jobs[i][0] <= t:
            heapq.heappush(ready, -jobs[i][1])
            i += 1
        q = -heapq.heappop(ready)
        best = max(best, t + q)
        t += 1
    return best


def critical_path(block: Block, paths: Paths | None = None) -> int:
    """Length of the longest path: ``max(head[j] + tail[j])``.

    Valid because every job starts no earlier than its head (each edge delay
    is respected along the path into it) and the block lasts at least
    ``tail[j]`` after that start (its own tail, or the path out of it).
    """
    p = paths if paths is not None else longest_paths(block)
    return max((h + q for h, q in zip(p.head, p.tail, strict=True)), default=0)


def issue_bound(block: Block) -> int:
    """The number of jobs.

    Valid because jobs issue in distinct cycles from 0, so the last one
    issues in cycle ``n - 1`` or later and every job's tail is at least 1.
    """
    return len(block.jobs)


def head_tail_bound(block: Block, paths: Paths | None = None) -> int:
    """The issue slot as a one-machine problem with heads and tails.

    Relax every constraint but single issue: job ``j`` takes the issue slot
    for one cycle, no earlier than its head, and the block then lasts at
    least its tail. Every schedule is a feasible solution of this relaxation
    with the same or a larger objective, so the relaxation's optimum,
    computed exactly by :func:`jackson`, is a lower bound. It dominates both
    the critical path and the issue bound.
    """
    p = paths if paths is not None else longest_paths(block)
    return jackson(p.head, p.tail)


def write_port_bound(block: Block, paths: Paths | None = None) -> int:
    """The write port as a one-machine problem with heads and tails.

    A writing job ``j`` occupies the write port in cycle ``w = s + latency``,
    all those cycles are distinct, ``w >= head + latency``, and the block
    lasts at least ``tail - latency`` after ``w``. As in
    :func:`head_tail_bound`, the exact optimum of this relaxation (Jackson's
    rule on shifted heads and reduced tails) is a lower bound; it catches
    jobs of different latencies whose results would land in the same cycle.
    0 when no job writes.
    """
    p = paths if paths is not None else longest_paths(block)
    writers = [j for j, job in enumerate(block.jobs) if job.writes]
    lat = [block.jobs[j].latency for j in writers]
    return jackson(
        [p.head[j] + a for j, a in zip(writers, lat, strict=True)],
        [p.tail[j] - a for j, a in zip(writers, lat, strict=True)],
    )


def adjust_paths(block: Block, paths: Paths | None = None, *, work: int = ADJUST_WORK) -> Paths:
    """Heads and tails raised by one-machine bounds on ancestors and descendants.

    A job starts no earlier than ``s[a] + dist(a, j)`` for each ancestor
    ``a`` (``dist`` the longest path), and its ancestors issue in distinct
    cycles no earlier than their own heads: the exact optimum of that
    one-machine problem (:func:`jackson`, releases ``head[a]``, deliveries
    ``dist(a, j)``) is a valid head of ``j``; likewise on the write port for
    the ancestors that write. Tails the same way over the job and its
    descendants (releases ``dist(j, a)`` from its start, deliveries their
    tails). Heads are raised in topological order and tails in reverse, so
    each uses the raised values of the jobs it depends on.

    This costs the sum of the ancestor and descendant set sizes; once that
    passes ``work`` the remaining jobs keep their plain values, which stay
    valid, so big blocks get the cheap bounds only.
    """
    p = paths if paths is not None else longest_paths(block)
    jobs = block.jobs
    n = len(jobs)
    succ: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    pred: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for u, v, d in block.edges:
        succ[u].append((v, d))
        pred[v].append((u, d))
    pos = [0] * n
    for i, j in enumerate(p.order):
        pos[j] = i
    lat = [job.latency for job in jobs]
    budget = work
    head = list(p.head)
    for v in p.order:
        if not pred[v]:
            continue
        anc = _reach(v, pred)
        budget -= len(anc)
        if budget < 0:
            break
        anc.sort(key=pos.__getitem__, reverse=True)
        dist = {v: 0}
        for a in anc:
            dist[a] = max(d + dist[w] for w, d in succ[a] if w in dist)
        raised = jackson([head[a] for a in anc], [dist[a] for a in anc])
        writers = [a for a in anc if jobs[a].writes]
        if writers:
            raised = max(
                raised,
                jackson([head[a] + lat[a] for a in writers], [dist[a] - lat[a] for a in writers]),
            )
        head[v] = max(head[v], raised)
    tail = list(p.tail)
    for u in reversed(p.order):
        if not succ[u] or budget < 0:
            continue
        desc = _reach(u, succ)
        budget -= len(desc)
        if budget < 0:
            break
        desc.sort(key=pos.__getitem__)
        dist = {u: 0}
        for a in desc:
            dist[a] = max(dist[w] + d for w, d in pred[a] if w in dist)
        group = [u, *desc]
        raised = jackson([dist[a] for a in group], [tail[a] for a in group])
        writers = [a for a in group if jobs[a].writes]
        if writers:
            raised = max(
                raised,
                jackson([dist[a] + lat[a] for a in writers], [tail[a] - lat[a] for a in writers]),
            )
        tail[u] = max(tail[u], raised)
    return Paths(order=p.order, head=tuple(head), tail=tuple(tail), complete=budget >= 0)


def _reach(start: int, adj: Sequence[Sequence[tuple[int, int]]]) -> list[int]:
    """Every job reachable from ``start`` along ``adj``, ``start`` excluded."""
    seen = {start}
    stack = [start]
    while stack:
        for w, _ in adj[stack.pop()]:
            if w not in seen:
                seen.add(w)
                stack.append(w)
    seen.discard(start)
    return list(seen)


def adjusted_bound(block: Block, adjusted: Paths) -> int:
    """The critical path and both head/tail bounds on adjusted heads and tails.

    Valid for the same reasons as :func:`critical_path`,
    :func:`head_tail_bound` and :func:`write_port_bound`, since every
    schedule still starts each job no earlier than its adjusted head and
    lasts its adjusted tail after it (:func:`adjust_paths`).
    """
    return max(
        critical_path(block, adjusted),
        head_tail_bound(block, adjusted),
        write_port_bound(block, adjusted),
    )


def class_sequence_bound(
    block: Block,
    paths: Paths | None = None,
    *,
    start: int = 0,
    state_limit: int = 500_000,
) -> int:
    """A bound from the order in which latency classes can use the two ports.

    Group the jobs by latency (the writers; the non-writers form one more
    group) and forget which job of a group is which. For a length ``T``, a
    schedule issues in every cycle ``t < T`` one group's job or nothing,
    such that the writers' cycles ``t + latency`` are distinct, a group has
    by cycle ``t`` issued no more jobs than have their (adjusted) head at
    ``t`` or before, and no fewer than have to start by ``t`` (``T - tail``).
    Every schedule of length ``T`` gives such a sequence, so when a dynamic
    program over ``(jobs issued per group, future write cycles taken)`` finds
    none, ``T + 1`` is a lower bound. It sees what the one-machine bounds
    miss: a port idles when the groups it could serve run out. States that
    have idled more issue cycles than ``T - n``, or left more write cycles
    free than ``T`` minus the writers, are dropped at once (every job issues
    in ``0 .. T - 1``, every writer lands in ``1 .. T``), which keeps big
    blocks inside the state limit.

    Tries ``T`` from ``max(start, lower_bound(block).value)`` upwards and
    returns the first ``T`` that it cannot rule out. It gives up, returning
    the ``T`` it was at, once it has visited ``state_limit`` states in all;
    the cost is exponential in the number of groups in the worst case, so
    this bound is not part of :func:`lower_bound`.
    """
    plain = paths if paths is not None else longest_paths(block)
    adjusted = adjust_paths(block, plain)
    target = max(start, lower_bound(block, plain, adjust=False).value)
    target = max(target, adjusted_bound(block, adjusted))
    if not block.jobs:
        return target
    groups: dict[int, list[int]] = {}
    for j, job in enumerate(block.jobs):
        groups.setdefault(job.latency if job.writes else 0, []).append(j)
    keys = sorted(groups)
    heads = [sorted(adjusted.head[j] for j in groups[k]) for k in keys]
    tails = [sorted(adjusted.tail[j] for j in groups[k]) for k in keys]
    budget = [state_limit]
    while True:
        found = _class_sequence_exists(keys, heads, tails, target, budget)
        if found is not False:
            return target
        target += 1


def _class_sequence_exists(
    keys: list[int],
    heads: list[list[int]],
    tails: list[list[int]],
    target: int,
    budget: list[int],
) -> bool | None:
    """Whether a class sequence of length ``target`` exists; ``None``: out of budget."""
    import bisect

    groups = len(keys)
    total = tuple(len(h) for h in heads)
    # Idle budgets: every job issues in 0 .. target - 1, so no more than
    # ``target - n`` issue cycles idle; every writer (latency >= 1, and its
    # tail at least its latency) lands in 1 .. target, so no more than
    # ``target - writers`` write cycles stay free.
    slack_issue = target - sum(total)
    writers = sum(c for k, c in zip(keys, total, strict=True) if k)
    slack_write = target - writers
    write_mask = [bool(k) for k in keys]
    # Latest starts, ascending: target - tail for the tails in descending order.
    latest = [[target - q for q in reversed(t)] for t in tails]
    if any(ls[0] < 0 for ls in latest):
        return False
    # State: jobs issued per group -> masks of write cycles taken, bit i being
    # cycle t + i when cycle t is about to be decided.
    states: dict[tuple[int, ...], list[int]] = {(0,) * groups: [0]}
    for t in range(target):
        released = [bisect.bisect_right(h, t) for h in heads]
        due = [bisect.bisect_right(ls, t) for ls in latest]
        successors: dict[tuple[int, ...], set[int]] = {}
        for count, masks in states.items():
            for g in range(-1, groups):
                if g >= 0:
                    if count[g] >= released[g]:
                        continue
                    nxt = (*count[:g], count[g] + 1, *count[g + 1 :])
                    bit = 1 << keys[g] if keys[g] else 0
                else:
                    nxt, bit = count, 0
                if any(nxt[k] < due[k] for k in range(groups)):
                    continue
                budget[0] -= len(masks)
                if budget[0] < 0:
                    return None
                out = successors.setdefault(nxt, set())
                for m in masks:
                    if not m & bit:
                        out.add((m | bit) >> 1)
        states = {}
        for count, found in successors.items():
            if not found:
                continue
            issued = sum(count)
            if t + 1 - issued > slack_issue:
                continue  # more idle issue cycles than the length allows
            # write cycles 1 .. t + 1 are final now: bit 0 of a mask is t + 1
            issued_writers = sum(c for c, w in zip(count, write_mask, strict=True) if w)
            found = {
                m for m in found if t + 1 - (issued_writers - (m >> 1).bit_count()) <= slack_write
            }
            if not found:
                continue
            # A mask whose taken cycles include another's is never better
            # (checked on small sets only: the check is quadratic).
            if len(found) > 400:
                states[count] = list(found)
                continue
            kept: list[int] = []
            for m in sorted(found, key=int.bit_count):
                if not any(k & m == k for k in kept):
                    kept.append(m)
            states[count] = kept
        if not states:
            return False
    return total in states


def lower_bound(block: Block, paths: Paths | None = None, *, adjust: bool = True) -> Bounds:
    """Every bound of the block (:class:`Bounds`); ``.value`` is the best.

    ``adjust=False`` skips :func:`adjusted_bound` (``adjusted`` is then 0),
    the only bound that costs more than ``O(n log n + e)``.
    """
    p = paths if paths is not None else longest_paths(block)
    return Bounds(
        critical_path=critical_path(block, p),
        issue=issue_bound(block),
        head_tail=head_tail_bound(block, p),
        write_port=write_port_bound(block, p),
        adjusted=adjusted_bound(block, adjust_paths(block, p)) if adjust else 0,
    )
