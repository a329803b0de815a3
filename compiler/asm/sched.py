"""The optimising scheduler: regions innermost first, list scheduling, loop periods.

Each region (the top level, each loop body) is a set of jobs: instructions,
and inner loops already scheduled, which act as one job that occupies
``count * B`` consecutive issue slots and reserves their write pattern. The
precedence edges between jobs come from the values they share
(:mod:`.dataflow`): read after write (the read issues at or after the
result's visibility), the web rules (a cell's old value is read before the
new value lands there), and the order of ``in``/``out`` per port.

A loop body is scheduled for a period ``B`` (its length in cycles), trying
``B`` upwards from its lower bound ``max(ResMII, RecMII, span)``: every job
must issue inside ``[0, B)``, write-port reservations are taken modulo ``B``
(results may land after the back edge), and loop-carried values must be
visible before the next iteration reads them (a deadline). Each iteration's
instructions stay in that iteration's slots (no software pipelining yet).

The top level, when it holds no loop, is one straight-line block handed to
:mod:`.blocksched` (list scheduling with randomised restarts, an exact
solver for small blocks, lower bounds); with loops it is list scheduled here.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from vtc.compiler.asm.dataflow import Dataflow, Node, Region, Value
from vtc.compiler.asm.reserve import LinearTable, ModuloTable, WriteUse
from vtc.compiler.errors import ScheduleError
from vtc.compiler.machine.isa import ISA
from vtc.compiler.machine.target import Target

__all__ = ["LoopSchedule", "Schedule", "schedule"]

INF = 1 << 60
_NO_WRITE = WriteUse.single(None)


_EMPTY: Mapping[Any, int] = MappingProxyType({})


@dataclass(slots=True)
class JobInfo:
    """What the enclosing region needs to know about a job (relative offsets)."""

    length: int
    writes: WriteUse
    tail: int
    read_first: Mapping[int, int]  # value id -> first read
    vis_first: Mapping[int, int]  # value id -> first visibility
    vis_last: Mapping[int, int]  # value id -> last visibility
    port_first: Mapping[str, int]
    port_last: Mapping[str, int]


@dataclass
class LoopSchedule:
    """The schedule of one loop body.

    ``pos`` gives each direct job's issue time in iteration 0, relative to the
    loop's start. With ``stages == 1`` every job issues inside its iteration's
    ``period`` slots (``0 <= pos < period``) and the loop is one hardware loop
    of ``count`` iterations. With ``stages > 1`` the loop is software
    pipelined: iteration ``k`` issues job ``j`` at ``k * period + pos[j]``
    (stage ``pos[j] // period``), laid out as a prologue of ``stages - 1``
    blocks of ``period`` slots, a kernel hardware loop of
    ``count - stages + 1`` iterations and an epilogue of ``stages - 1`` blocks.
    """

    region: Region
    period: int
    count: int
    pos: dict[int, int]
    res_mii: int
    rec_mii: int
    addr_len: int
    info: JobInfo
    stages: int = 1

    @property
    def length(self) -> int:
        """Cycles from the loop's first issue slot to the slot after its last."""
        return (self.count + self.stages - 1) * self.period


@dataclass
class Schedule:
    """A whole program's schedule.

    ``top`` gives the issue cycle of each top-level job; ``loops`` the body
    schedule of every loop region (by region id); ``halt`` the cycle of
    ``halt``; ``cycles`` the run length (target.md rule 5); ``lower_bound`` a
    proven lower bound on it.
    """

    top: dict[int, int]
    loops: dict[int, LoopSchedule]
    halt: int
    cycles: int
    lower_bound: int
    method: str
    optimal: bool


def _rep(region: Region, node: Node) -> Node | None:
    """The job of ``region`` that contains ``node`` (``None`` if outside)."""
    n = node
    while n.region is not region:
        parent = n.region.node
        if parent is None:
            return None
        n = parent
    return n


def _inside(region: Region, inner: Region) -> bool:
    r: Region | None = inner
    while r is not None:
        if r is region:
            return True
        r = r.parent
    return False


class _Ctx:
    """Program-wide facts shared by the region schedulers."""

    def __init__(self, df: Dataflow, target: Target, pipeline: bool = True) -> None:
        self.df = df
        self.target = target
        self.pipeline = pipeline
        self.lat = {op.mnemonic: target.latency_of(op.mnemonic) for op in ISA}
        self.writes_port = {op.mnemonic: op.uses_write_port for op in ISA}
        self.single = {lat: WriteUse.single(lat) for lat in set(self.lat.values())}
        self.info: dict[int, JobInfo] = {}  # node id -> info
        self.loops: dict[int, LoopSchedule] = {}
        # web pairs grouped by the region they constrain
        self.pairs_by_region: dict[int, list[tuple[Value, Value, Node]]] = {}
        for prev, nxt in df.pairs:
            assert nxt.producer is not None
            region = _pair_region(prev, nxt)
            self.pairs_by_region.setdefault(region.id, []).append((prev, nxt, nxt.producer))

    def op_info(self, node: Node) -> JobInfo:
        op = node.op
        assert op is not None
        mnemonic = op.mnemonic
        lat = self.lat[mnemonic]
        writes = self.writes_port[mnemonic] and op.dest is not None
        vis = {v.id: lat for v in node.defs} if node.defs else _EMPTY
        ports: Mapping[str, int] = _EMPTY
        if op.port is not None:
            ports = {("in" if mnemonic == "in" else "out") + str(op.port): 0}
        return JobInfo(
            1,
            self.single[lat] if writes else _NO_WRITE,
            lat if (writes or mnemonic == "out") else 1,
            dict.fromkeys((v.id for v in node.uses), 0) if node.uses else _EMPTY,
            vis,
            vis,
            ports,
            ports,
        )


def _pair_region(prev: Value, nxt: Value) -> Region:
    """Innermost region holding ``nxt``'s producer, ``prev``'s producer and its readers."""
    assert nxt.producer is not None
    region = nxt.producer.region
    places = [r.region for r in prev.readers]
    if prev.producer is not None:
        places.append(prev.producer.region)
    if prev.loop is not None:
        places.append(prev.loop)
    for place in places:
        while not _inside(region, place):
            assert region.parent is not None
            region = region.parent
    return region


def _lca(a: Region, b: Region) -> Region:
    r = a
    while not _inside(r, b):
        assert r.parent is not None
        r = r.parent
    return r


@dataclass
class _Problem:
    """One region's jobs and constraints, ready for list scheduling."""

    jobs: list[Node]
    infos: list[JobInfo]
    preds: list[list[tuple[int, int]]]
    succs: list[list[tuple[int, int]]]
    carried: list[
        tuple[int, int, int]
    ]  # (def job, reader job, delta): pos[r] + B >= pos[d] + delta
    priority: list[int]


def _region_problem(ctx: _Ctx, region: Region) -> _Problem:
    jobs = list(region.nodes)
    index = {n.id: i for i, n in enumerate(jobs)}
    infos = [ctx.info[n.id] for n in jobs]
    edges: dict[tuple[int, int], int] = {}

    def add(u: int, v: int, d: int) -> None:
        if u == v:
            return
        d = max(d, infos[u].length)
        if edges.get((u, v), -INF) < d:
            edges[(u, v)] = d

    carried: list[tuple[int, int, int]] = []

    def rep(n: Node) -> int | None:
        r = _rep(region, n)
        return None if r is None else index[r.id]

    # read after write, for values made inside this region (any depth)
    for n in region.all_ops():
        for v in n.defs:
            p = rep(n)
            assert p is not None
            for reader in v.readers:
                q = rep(reader)
                if q is None or q == p:
                    continue
                add(p, q, infos[p].vis_last[v.id] - infos[q].read_first[v.id])
    # loop-carried values of this region's own loop: deadlines
    for phi in region.phis:
        assert phi.back is not None and phi.back.producer is not None
        d = rep(phi.back.producer)
        assert d is not None
        for reader in phi.readers:
            q = rep(reader)
            assert q is not None
            carried.append((d, q, infos[d].vis_last[phi.back.id] - infos[q].read_first[phi.id]))
    # a web rewritten in every iteration without a phi: the last value of
    # iteration k is read, and lands, before the first of iteration k+1 lands
    if region.stmt is not None:
        for web in ctx.df.webs:
            if any(v.kind == "phi" and v.loop is region for v in web):
                continue
            inside = [
                v for v in web if v.producer is not None and _inside(region, v.producer.region)
            ]
            if len(inside) < 2:
                continue
            first, last = inside[0], inside[-1]
            assert first.producer is not None and last.producer is not None
            fj, lj = rep(first.producer), rep(last.producer)
            assert fj is not None and lj is not None
            lands = infos[fj].vis_first[first.id]
            carried.append((lj, fj, infos[lj].vis_last[last.id] + 1 - lands))
            for reader in last.readers:
                rj = rep(reader)
                if rj is not None:
                    carried.append((rj, fj, infos[rj].length - lands))
    # web rules: the old value is read before the new one lands in the cell
    for prev, nxt, producer in ctx.pairs_by_region.get(region.id, []):
        dj = rep(producer)
        assert dj is not None
        reader_jobs = {rep(r) for r in prev.readers}
        for rj in reader_jobs:
            if rj is not None and rj != dj:
                add(rj, dj, 1)
        if prev.producer is not None and dj not in reader_jobs:
            pj = rep(prev.producer)
            if pj is not None and pj != dj:
                gap = infos[pj].vis_last[prev.id] + 1 - infos[dj].vis_first[nxt.id]
                add(pj, dj, max(1, gap))
    # port order
    for key, users in ctx.df.port_order.items():
        for user_a, user_b in itertools.pairwise(users):
            if _lca(user_a.region, user_b.region) is not region:
                continue
            aj, bj = rep(user_a), rep(user_b)
            assert aj is not None and bj is not None
            if aj != bj:
                add(aj, bj, infos[aj].port_last[key] + 1 - infos[bj].port_first[key])

    count = len(jobs)
    preds: list[list[tuple[int, int]]] = [[] for _ in range(count)]
    succs: list[list[tuple[int, int]]] = [[] for _ in range(count)]
    for (src_j, dst_j), delay in edges.items():
        preds[dst_j].append((src_j, delay))
        succs[src_j].append((dst_j, delay))
    # priority: longest path to the end of the region including the job's tail
    prio = [0] * count
    for job in reversed(_topo(count, succs)):
        best = infos[job].tail
        for nxt_j, delay in succs[job]:
            best = max(best, delay + prio[nxt_j])
        prio[job] = best
    return _Problem(jobs, infos, preds, succs, carried, prio)


def _topo(n: int, succs: Sequence[Sequence[tuple[int, int]]]) -> list[int]:
    indeg = [0] * n
    for u in range(n):
        for v, _ in succs[u]:
            indeg[v] += 1
    order = [u for u in range(n) if indeg[u] == 0]
    i = 0
    while i < len(order):
        u = order[i]
        i += 1
        for v, _ in succs[u]:
            indeg[v] -= 1
            if indeg[v] == 0:
                order.append(v)
    if len(order) != n:
        raise AssertionError("precedence graph has a cycle")
    return order


def _list_schedule(
    prob: _Problem,
    *,
    period: int | None,
    keep_order: bool,
    start_at: int = 0,
    table: LinearTable | None = None,
) -> list[int] | None:
    """Place every job; ``None`` if ``period`` is too short for this heuristic.

    With ``period``: jobs must fit in ``[0, period)`` (an inner loop must end
    before the last slot), reservations are modulo ``period`` and carried
    deadlines hold.
    """
    n = len(prob.jobs)
    if n == 0:
        return []
    infos = prob.infos
    tab: LinearTable | ModuloTable
    tab = ModuloTable(period) if period is not None else (table or LinearTable())
    pos = [-1] * n
    est = [start_at] * n
    missing = [len(p) for p in prob.preds]
    deadline = [INF] * n
    carried_by_reader: dict[int, list[tuple[int, int]]] = {}
    if period is not None:
        for d, r, delta in prob.carried:
            if d == r:
                if period < delta:
                    return None
                continue
            carried_by_reader.setdefault(r, []).append((d, delta))
    ready: list[tuple[int, int]] = []  # (-priority, job)
    waiting: list[tuple[int, int]] = []  # (est, job)
    next_in_order = 0
    for j in range(n):
        if missing[j] == 0:
            heapq.heappush(waiting, (est[j], j))
    t = start_at
    placed = 0
    while placed < n:
        while waiting and waiting[0][0] <= t:
            _, j = heapq.heappop(waiting)
            heapq.heappush(ready, (-prob.priority[j], j))
        chosen = -1
        if keep_order:
            j = next_in_order
            if pos[j] < 0 and missing[j] == 0 and est[j] <= t and _fits(infos[j], t, period, tab):
                chosen = j
                ready = [x for x in ready if x[1] != j]
                heapq.heapify(ready)
        else:
            urgent = [x for x in ready if deadline[x[1]] < INF]
            if urgent:
                urgent.sort(key=lambda x: (deadline[x[1]], x[0]))
                for x in urgent:
                    if _fits(infos[x[1]], t, period, tab):
                        chosen = x[1]
                        break
            if chosen < 0:
                skipped = []
                while ready:
                    x = heapq.heappop(ready)
                    if _fits(infos[x[1]], t, period, tab):
                        chosen = x[1]
                        break
                    skipped.append(x)
                for x in skipped:
                    heapq.heappush(ready, x)
            else:
                ready = [x for x in ready if x[1] != chosen]
                heapq.heapify(ready)
        if chosen < 0:
            t += 1
            if period is not None:
                if t >= period:
                    return None
                if any(deadline[x[1]] < t for x in ready):
                    return None
            elif not ready and not waiting:
                raise AssertionError("scheduler stalled")
            if not ready and waiting and waiting[0][0] > t:
                t = waiting[0][0]
            continue
        j = chosen
        info = infos[j]
        if period is not None and (t > deadline[j] or t + info.length > period):
            return None
        if period is not None and info.length > 1 and t + info.length > period - 1:
            return None
        pos[j] = t
        tab.place(t, info.writes)
        placed += 1
        next_in_order = j + 1
        for d, delta in carried_by_reader.get(j, []):
            deadline[d] = min(deadline[d], t + (period or 0) - delta)
        for v, d in prob.succs[j]:
            est[v] = max(est[v], t + d)
            missing[v] -= 1
            if missing[v] == 0:
                heapq.heappush(waiting, (est[v], v))
        t += info.length
        while waiting and waiting[0][0] <= t:
            _, w = heapq.heappop(waiting)
            heapq.heappush(ready, (-prob.priority[w], w))
    if period is not None:
        for d, r, delta in prob.carried:
            if pos[r] + period < pos[d] + delta:
                return None
    return pos


def _fits(info: JobInfo, t: int, period: int | None, tab: LinearTable | ModuloTable) -> bool:
    if period is not None and t + info.length > period:
        return False
    return tab.can_place(t, info.writes)


def _rec_mii(prob: _Problem) -> int:
    """Largest recurrence: reader -> ... -> producer path plus the carried delta."""
    best = 0
    n = len(prob.jobs)
    order = _topo(n, prob.succs)
    for d, r, delta in prob.carried:
        if d == r:
            best = max(best, delta)
            continue
        dist = [-INF] * n
        dist[r] = 0
        for u in order:
            if dist[u] == -INF:
                continue
            for v, w in prob.succs[u]:
                dist[v] = max(dist[v], dist[u] + w)
        if dist[d] > -INF:
            best = max(best, dist[d] + delta)
    return best


def _span_bound(prob: _Problem) -> int:
    n = len(prob.jobs)
    head = [0] * n
    best = 0
    for u in _topo(n, prob.succs):
        extra = 1 if prob.infos[u].length > 1 else 0
        best = max(best, head[u] + prob.infos[u].length + extra)
        for v, w in prob.succs[u]:
            head[v] = max(head[v], head[u] + w)
    return best


def _schedule_body(ctx: _Ctx, region: Region, keep_order: bool) -> LoopSchedule:
    prob = _region_problem(ctx, region)
    res_mii = sum(i.length for i in prob.infos)
    rec_mii = _rec_mii(prob)
    lo = max(1, res_mii, rec_mii, _span_bound(prob))
    # a period that surely works: a linear schedule, then stretch the period
    linear = _list_schedule(prob, period=None, keep_order=keep_order)
    assert linear is not None
    hi = max(
        [lo]
        + [
            p + i.length + (1 if i.length > 1 else 0)
            for p, i in zip(linear, prob.infos, strict=True)
        ]
        + [linear[d] + delta - linear[r] for d, r, delta in prob.carried]
    )
    pos: list[int] | None = None
    period = hi
    tries = list(range(lo, min(hi, lo + 24)))
    for b in tries:
        pos = _list_schedule(prob, period=b, keep_order=keep_order)
        if pos is not None:
            period = b
            break
    if pos is None:
        # the heuristic failed just above the bound: bisect up to the sure period
        lo_b = tries[-1] + 1 if tries else lo
        best: tuple[int, list[int]] | None = None
        while lo_b <= hi:
            mid = (lo_b + hi) // 2
            cand = _list_schedule(prob, period=mid, keep_order=keep_order)
            if cand is not None:
                best = (mid, cand)
                hi = mid - 1
            else:
                lo_b = mid + 1
        if best is None:
            period = max(hi, lo)
            while pos is None:
                pos = _list_schedule(prob, period=period, keep_order=keep_order)
                if pos is None:
                    period += 1
        else:
            period, pos = best
    assert pos is not None
    stmt = region.stmt
    assert stmt is not None
    count = stmt.count
    stages = 1
    if ctx.pipeline and not keep_order and all(j.body is None for j in prob.jobs):
        piped = _pipeline(ctx, region, prob, max(1, res_mii, rec_mii), period, count)
        if piped is not None:
            period, pos, stages = piped
    info = _loop_info(region, prob, pos, period, count, stages)
    addr_len = (2 * stages - 1) * period - sum(
        ctx.loops[j.body.id].length - ctx.loops[j.body.id].addr_len
        for j in prob.jobs
        if j.body is not None
    )
    return LoopSchedule(
        region,
        period,
        count,
        {job.id: p for job, p in zip(prob.jobs, pos, strict=True)},
        res_mii,
        rec_mii,
        addr_len,
        info,
        stages,
    )


def _pipeline(
    ctx: _Ctx, region: Region, prob: _Problem, mii: int, flat_period: int, count: int
) -> tuple[int, list[int], int] | None:
    """A software-pipelined schedule of an innermost loop, if it is faster.

    Tries initiation intervals from ``mii`` up to (not including) the plain
    period; returns ``(ii, times, stages)`` for the first that works and
    whose loop, prologue and epilogue included, takes fewer cycles than
    ``count`` plain iterations, else ``None``.
    """
    lifetimes = _lifetime_pairs(ctx, region, prob)
    rnd = random.Random(len(prob.jobs) * 7919 + mii)
    tries = max(4, min(48, 3000 // max(1, len(prob.jobs))))
    for ii in range(mii, flat_period):
        times = _modulo_try(prob, ii, lifetimes, prob.priority)
        for _ in range(tries):
            if times is not None:
                break
            # randomised restarts: perturbed priorities break the greedy's ties
            noisy = [p + rnd.uniform(0, ii) for p in prob.priority]
            times = _modulo_try(prob, ii, lifetimes, noisy)
        if times is None:
            continue
        stages = max(times) // ii + 1
        if stages == 1 or count < stages:
            return None if stages > 1 else (ii, times, 1)
        if (count + stages - 1) * ii < count * flat_period:
            return ii, times, stages
        return None
    return None


def _lifetime_pairs(ctx: _Ctx, region: Region, prob: _Problem) -> list[list[tuple[int, int]]]:
    """For each job, ``(reader job, latency)`` of every same-iteration read of its result.

    A result must be read before the next iteration's result of the same job
    lands in its cell: ``t[reader] <= t[job] + latency + ii - 1``.
    """
    index = {n.id: i for i, n in enumerate(prob.jobs)}
    out: list[list[tuple[int, int]]] = [[] for _ in prob.jobs]
    for i, job in enumerate(prob.jobs):
        assert job.op is not None
        lat = ctx.lat[job.op.mnemonic]
        for v in job.defs:
            for r in v.readers:
                if r.region is region and r.id in index and index[r.id] != i:
                    out[i].append((index[r.id], lat))
    return out


def _modulo_try(
    prob: _Problem,
    ii: int,
    lifetimes: list[list[tuple[int, int]]],
    priority: Sequence[float],
) -> list[int] | None:
    """:func:`_modulo_place` with iterative repair.

    When a job misses a deadline set by another job (a loop-carried value
    needed by the next iteration, or a result the next iteration
    overwrites), the job that set the deadline is made to start later by the
    miss and placement starts again, a bounded number of times.
    """
    min_start = [0] * len(prob.jobs)
    for _ in range(2 * len(prob.jobs) + 4):
        result = _modulo_place(prob, ii, lifetimes, priority, min_start)
        if isinstance(result, list):
            return result
        if result is None:
            return None
        job, amount = result
        if min_start[job] > 4 * ii * len(prob.jobs):
            return None
        min_start[job] += amount
    return None


def _modulo_place(
    prob: _Problem,
    ii: int,
    lifetimes: list[list[tuple[int, int]]],
    priority: Sequence[float],
    min_start: Sequence[int],
) -> list[int] | tuple[int, int] | None:
    """Operation-driven modulo scheduling for one initiation interval.

    Jobs are placed by priority as soon as their predecessors are placed, each
    at the earliest time (within ``ii`` tries) whose issue slot and write-port
    slot are free modulo ``ii`` and which meets its deadlines: loop-carried
    values visible before the next iteration reads them, results read before
    the next iteration overwrites them, and the uses of one port inside one
    ``ii`` window (so the port order holds across iterations).
    """
    n = len(prob.jobs)
    infos = prob.infos
    issue: set[int] = set()
    writes = ModuloTable(ii)
    times = [-1] * n
    est = list(min_start)
    deadline = [INF] * n
    setter = [-1] * n  # the job whose placement set the deadline
    missing = [len(p) for p in prob.preds]
    carried: dict[int, list[tuple[int, int]]] = {}
    for d, r, delta in prob.carried:
        if d == r:
            if ii < delta:
                return None
            continue
        carried.setdefault(r, []).append((d, delta))
    ports: dict[str, list[int]] = {}
    for j, info in enumerate(infos):
        for key in info.port_first:
            ports.setdefault(key, []).append(j)
    port_first: dict[str, int] = {}
    ready = [(-priority[j], j) for j in range(n) if missing[j] == 0]
    heapq.heapify(ready)
    while ready:
        _, j = heapq.heappop(ready)
        info = infos[j]
        lo = est[j]
        for key in info.port_first:
            if key in port_first:
                deadline[j] = min(deadline[j], port_first[key] + ii - 1)
        hi = min(lo + ii - 1, deadline[j])
        t = lo
        while t <= hi and (t % ii in issue or not writes.can_place(t, info.writes)):
            t += 1
        if t > hi:
            if setter[j] >= 0 and lo <= lo + ii - 1:
                return setter[j], max(1, min(t, lo + ii - 1) - deadline[j])
            return None
        times[j] = t
        issue.add(t % ii)
        writes.place(t, info.writes)
        for key in info.port_first:
            port_first.setdefault(key, t)
        for d, delta in carried.get(j, []):
            if t + ii - delta < deadline[d]:
                deadline[d], setter[d] = t + ii - delta, j
        for r, lat in lifetimes[j]:
            if t + lat + ii - 1 < deadline[r]:
                deadline[r], setter[r] = t + lat + ii - 1, j
        for v, d in prob.succs[j]:
            est[v] = max(est[v], t + d)
            missing[v] -= 1
            if missing[v] == 0:
                heapq.heappush(ready, (-priority[v], v))
    for d, r, delta in prob.carried:
        if times[r] + ii < times[d] + delta:
            return None
    return times


def _loop_info(
    region: Region, prob: _Problem, pos: list[int], b: int, count: int, stages: int = 1
) -> JobInfo:
    last = (count - 1) * b
    offsets: list[int] = []
    read_first: dict[int, int] = {}
    vis_first: dict[int, int] = {}
    vis_last: dict[int, int] = {}
    port_first: dict[str, int] = {}
    port_last: dict[str, int] = {}
    phi_entry = {phi.id: phi.entry.id for phi in region.phis if phi.entry is not None}
    length = (count + stages - 1) * b
    tail = length
    for job, p, info in zip(prob.jobs, pos, prob.infos, strict=True):
        offsets.extend(p + t for t in info.writes.all())
        tail = max(tail, last + p + info.tail)
        for vid, off in info.read_first.items():
            vid = phi_entry.get(vid, vid)
            read_first[vid] = min(read_first.get(vid, INF), p + off)
        for vid, off in info.vis_first.items():
            vis_first[vid] = min(vis_first.get(vid, INF), p + off)
        for vid, off in info.vis_last.items():
            vis_last[vid] = max(vis_last.get(vid, -INF), last + p + off)
        for key, off in info.port_first.items():
            port_first[key] = min(port_first.get(key, INF), p + off)
        for key, off in info.port_last.items():
            port_last[key] = max(port_last.get(key, -INF), last + p + off)
        del job
    return JobInfo(
        length=length,
        writes=WriteUse(b, count, tuple(sorted(offsets))),
        tail=tail,
        read_first=read_first,
        vis_first=vis_first,
        vis_last=vis_last,
        port_first=port_first,
        port_last=port_last,
    )


def _schedule_region_tree(ctx: _Ctx, region: Region, keep_order: bool) -> None:
    """Schedule every loop inside ``region`` (innermost first) and fill ctx.info."""
    for node in region.nodes:
        if node.body is not None:
            _schedule_region_tree(ctx, node.body, keep_order)
            ls = _schedule_body(ctx, node.body, keep_order)
            ctx.loops[node.body.id] = ls
            ctx.info[node.id] = ls.info
        else:
            ctx.info[node.id] = ctx.op_info(node)


def schedule(
    df: Dataflow,
    target: Target,
    *,
    keep_order: bool = False,
    effort: int = 1,
    pipeline: bool = False,
) -> Schedule:
    """Schedule a whole single-core program.

    Parameters
    ----------
    df:
        The program's dataflow.
    keep_order:
        Issue instructions in program order, only inserting the ``nop``s
        timing requires (the naive baseline, and hand-timed code).
    effort:
        0: one list schedule; 1 (default): randomised restarts scaled to the
        block size; 2: also an exact solver on small straight-line blocks.
    pipeline:
        Software-pipeline innermost loops where that is faster.

    Raises
    ------
    ScheduleError
        A loop nest too large to schedule.
    """
    ctx = _Ctx(df, target, pipeline)
    try:
        _schedule_region_tree(ctx, df.top, keep_order)
    except OverflowError as exc:
        raise ScheduleError(str(exc)) from None
    prob = _region_problem(ctx, df.top)
    has_loops = any(j.body is not None for j in prob.jobs)
    if not has_loops:
        from vtc.compiler.asm import blockadapter

        starts, halt, lb, method, optimal = blockadapter.schedule_straight(
            prob, keep_order=keep_order, effort=effort
        )
    else:
        placed = _list_schedule(prob, period=None, keep_order=keep_order)
        assert placed is not None
        starts = placed
        halt = max((p + i.length for p, i in zip(starts, prob.infos, strict=True)), default=0)
        lb = _top_bound(ctx, prob)
        method, optimal = "list", False
    cycles = max(
        [halt + 1] + [p + i.tail for p, i in zip(starts, prob.infos, strict=True)],
    )
    lb = min(lb, cycles)
    return Schedule(
        top={job.id: p for job, p in zip(prob.jobs, starts, strict=True)},
        loops=ctx.loops,
        halt=halt,
        cycles=cycles,
        lower_bound=lb,
        method=method,
        optimal=optimal or lb == cycles,
    )


def _top_bound(ctx: _Ctx, prob: _Problem) -> int:
    """A lower bound on cycles of a top level with loops.

    Each loop counts ``count * max(ResMII, RecMII)`` slots; the bound is the
    larger of the issue bound (all slots plus ``halt``) and the critical path.
    """
    n = len(prob.jobs)
    length = []
    for job, info in zip(prob.jobs, prob.infos, strict=True):
        if job.body is not None:
            ls = ctx.loops[job.body.id]
            length.append(ls.count * max(1, ls.res_mii, ls.rec_mii))
        else:
            length.append(info.length)
    issue = sum(length) + 1
    head = [0] * n
    crit = 0
    for u in _topo(n, prob.succs):
        info = prob.infos[u]
        crit = max(crit, head[u] + max(length[u] + 1, info.tail - info.length + length[u]))
        for v, w in prob.succs[u]:
            shrink = info.length - length[u]
            head[v] = max(head[v], head[u] + w - shrink)
    return max(issue, crit)
