"""List scheduling of a straight-line block, with randomised restarts.

:func:`list_schedule` is one pass of cycle-by-cycle list scheduling:
in every cycle it issues the ready job of highest priority whose write-port
slot is free, and idles only when no job can issue. :func:`schedule_block`
is what the assembler calls: the lower bounds (:mod:`.bounds`), the
critical-path pass, three more passes (backward, and both directions over
the write port's cycles instead of the issue cycles), then simulated
annealing on the priorities, then ruin-and-recreate on the schedule itself
(:mod:`.improve`); it stops as soon as a schedule meets the lower bound, and
the exact solver (:mod:`.exact`) may polish the result.

The effort scales down with the block (:func:`auto_restarts`): at most
:data:`DEFAULT_RESTARTS` passes, and no more than about :data:`EFFORT` job
placements in all, so a 10,000-job block gets the first pass and one more;
likewise at most :data:`IMPROVE_MOVES` ruin-and-recreate moves, and about
:data:`IMPROVE_EFFORT` job placements in them (:func:`auto_moves`).

>>> from vtc.compiler.asm.problem import Block, BlockJob
>>> mul = BlockJob(latency=4, writes=True, tail=4)
>>> block = Block(jobs=(mul, mul, mul), edges=((0, 2, 4),))
>>> list_schedule(block)
[0, 1, 4]
>>> schedule_block(block).length
8
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Literal

from vtc.compiler.asm.bounds import (
    Bounds,
    Paths,
    adjust_paths,
    adjusted_bound,
    class_sequence_bound,
    longest_paths,
    lower_bound,
)
from vtc.compiler.asm.idlesearch import applicable, mirror_block, search_restarts, unmirror
from vtc.compiler.asm.improve import improve_schedule
from vtc.compiler.asm.problem import Block, schedule_length

__all__ = [
    "CLASS_SEQUENCE_STATES",
    "DEFAULT_RESTARTS",
    "EFFORT",
    "IMPROVE_EFFORT",
    "IMPROVE_MIN",
    "IMPROVE_MOVES",
    "WINDOW_SHARE",
    "BlockSchedule",
    "auto_moves",
    "auto_restarts",
    "list_schedule",
    "schedule_block",
]

#: Most passes :func:`schedule_block` makes after the first on a small block.
DEFAULT_RESTARTS = 64
#: Job placements :func:`schedule_block` spends after the first pass at most
#: by default (:func:`auto_restarts`).
EFFORT = 12_000
#: Most ruin-and-recreate moves (:func:`.improve.improve_schedule`) that
#: :func:`schedule_block` makes by default, and the job placements it spends
#: in them at most (:func:`auto_moves`).
IMPROVE_MOVES = 2_000
IMPROVE_EFFORT = 150_000
IMPROVE_MIN = 100
#: State limit of :func:`.bounds.class_sequence_bound` when
#: :func:`schedule_block` runs the exact solver (about a second at most).
CLASS_SEQUENCE_STATES = 200_000
#: Share of ``exact_seconds`` that :func:`schedule_block` gives the window
#: bound (:mod:`.windows`) before the exact solver gets its full time.
WINDOW_SHARE = 0.3

Method = Literal["list", "restarts", "improve", "dive", "beam", "exact"]


@dataclass(frozen=True)
class BlockSchedule:
    """A schedule of one block.

    Attributes
    ----------
    starts:
        Issue cycle of every job, in job order.
    length:
        ``max(start + tail)`` (:func:`.problem.schedule_length`).
    bounds:
        The lower bounds of the block.
    optimal:
        Whether ``length`` is known to be the optimum: it meets the lower
        bound, or the exact solver proved it.
    method:
        What found it: ``"list"`` (the first pass, or the keep-order pass),
        ``"restarts"`` (a later pass), ``"improve"`` (ruin and recreate,
        :mod:`.improve`), ``"dive"`` (the idle search's restarts,
        :func:`.idlesearch.search_restarts`), ``"beam"`` (the beam
        search, :mod:`.beam`) or ``"exact"`` (the exact solver).
    """

    starts: tuple[int, ...]
    length: int
    bounds: Bounds
    optimal: bool
    method: Method


def auto_restarts(jobs: int, effort: int = EFFORT) -> int:
    """Passes after the first that :func:`schedule_block` makes by default.

    ``min(DEFAULT_RESTARTS, effort // jobs)``: a caller scheduling many
    blocks can share one budget among them by passing its own ``effort``.

    >>> auto_restarts(30), auto_restarts(1000), auto_restarts(10_000)
    (64, 12, 1)
    """
    return min(DEFAULT_RESTARTS, effort // max(jobs, 1))


def auto_moves(jobs: int, effort: int = IMPROVE_EFFORT) -> int:
    """Ruin-and-recreate moves :func:`schedule_block` makes by default.

    ``min(IMPROVE_MOVES, effort // jobs)``: each move re-places part of the
    block but checks the whole of it, so it costs about as much as a pass.
    None below :data:`IMPROVE_MIN` moves (blocks of more than about 1,500
    jobs), where the few moves left would rarely shorten the block but
    would slow the assembler down.

    >>> auto_moves(30), auto_moves(120), auto_moves(10_000)
    (2000, 1250, 0)
    """
    moves = min(IMPROVE_MOVES, effort // max(jobs, 1))
    return moves if moves >= IMPROVE_MIN else 0


class _Graph:
    """A block prepared for the four list-scheduling passes.

    * ``forward``: cycle by cycle from cycle 0, one issue per cycle, the
      write port checked at ``start + latency`` (:func:`list_schedule`);
    * ``backward``: the same on the reversed block, from the end;
    * ``write_forward`` and ``write_backward``: the same two with the roles
      of the ports swapped: the pass walks the write cycles, places one
      result per cycle and checks that its issue cycle ``write - latency`` is
      free. A job that does not write takes a write cycle of its own there
      (as if it wrote one cycle after issue), which only restricts.

    Each pass is :func:`_greedy` on a transformed problem.
    """

    def __init__(self, block: Block, paths: Paths) -> None:
        n = len(block.jobs)
        jobs = block.jobs
        self.block = block
        self.n = n
        self.paths = paths
        self.succ: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        self.pred: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        for u, v, d in block.edges:
            self.succ[u].append((v, d))
            self.pred[v].append((u, d))
        self.npred = [len(p) for p in self.pred]
        self.nsucc = [len(s) for s in self.succ]
        self.tails = [job.tail for job in jobs]
        # Issue-driven passes: a writing job issued at t writes at t + latency
        # (forward) or, in the reversed block, at t - latency.
        self.fwd_off: list[int | None] = [job.latency if job.writes else None for job in jobs]
        self.bwd_off: list[int | None] = [-job.latency if job.writes else None for job in jobs]

    @cached_property
    def lat(self) -> list[int]:
        """Latency of each job in the write-driven passes (1 for non-writers)."""
        return [job.latency if job.writes else 1 for job in self.block.jobs]

    @cached_property
    def wsucc(self) -> list[list[tuple[int, int]]]:
        """Successors in write cycles: ``s_v >= s_u + d`` is ``w_v >= w_u + d + lat_v - lat_u``."""
        lat = self.lat
        return [[(v, d + lat[v] - lat[u]) for v, d in out] for u, out in enumerate(self.succ)]

    @cached_property
    def wpred(self) -> list[list[tuple[int, int]]]:
        """Predecessors in write cycles, with the delays of :attr:`wsucc`."""
        lat = self.lat
        return [[(u, d + lat[v] - lat[u]) for u, d in into] for v, into in enumerate(self.pred)]

    def forward(self, key: Sequence[float]) -> list[int]:
        """Forward list schedule, smallest ``key`` first among the ready jobs."""
        return _greedy([0] * self.n, self.succ, self.npred, self.fwd_off, key)

    def backward(self, key: Sequence[float]) -> list[int]:
        """List schedule of the reversed block, turned back into start cycles.

        In the reversed block, job ``j`` is issued at ``x[j] >= tail[j]``
        after its successors (``x[u] >= x[v] + d`` for an edge ``u -> v``),
        and writes at ``x[j] - latency``; with ``T = max(x)``, the starts
        ``T - x[j]`` are a valid forward schedule no longer than ``T``.
        """
        x = _greedy(self.tails, self.pred, self.nsucc, self.bwd_off, key)
        top = max(x, default=0)
        return [top - xj for xj in x]

    def write_forward(self, key: Sequence[float]) -> list[int]:
        """Forward over the write cycles: ``w >= lat``, issue cycles ``w - lat`` distinct."""
        w = _greedy(self.lat, self.wsucc, self.npred, [-a for a in self.lat], key)
        return [wj - a for wj, a in zip(w, self.lat, strict=True)]

    def write_backward(self, key: Sequence[float]) -> list[int]:
        """Backward over the write cycles, ``y = T - start - lat``.

        ``y >= tail - lat`` keeps every job within ``T``, the issue cycles
        ``y + lat`` are distinct, and the edges are reversed as in
        :meth:`backward`, with the delays of :meth:`write_forward`.
        """
        lat = self.lat
        release = [max(0, q - a) for q, a in zip(self.tails, lat, strict=True)]
        y = _greedy(release, self.wpred, self.nsucc, lat, key)
        top = max((yj + a for yj, a in zip(y, self.lat, strict=True)), default=0)
        return [top - yj - a for yj, a in zip(y, self.lat, strict=True)]

    def run(self, direction: str, key: Sequence[float]) -> list[int]:
        """The pass named ``direction`` (one of :data:`_DIRECTIONS`)."""
        if direction == "forward":
            return self.forward(key)
        if direction == "backward":
            return self.backward(key)
        if direction == "write_forward":
            return self.write_forward(key)
        return self.write_backward(key)


def _greedy(
    release: Sequence[int],
    succ: Sequence[Sequence[tuple[int, int]]],
    npred: Sequence[int],
    off: Sequence[int | None],
    key: Sequence[float],
) -> list[int]:
    """Cycle-by-cycle list scheduling (the engine of both directions).

    A job is ready in cycle ``t`` once all its predecessors are placed and
    ``t`` is at least its release and every ``start(pred) + delay``; among
    the ready jobs whose slot ``t + off`` is free (or that have no slot) the
    one with the smallest ``(key, index)`` issues. Ready jobs wait in one
    heap per slot offset, so a cycle costs one look at each offset.
    """
    n = len(release)
    est = list(release)
    left = list(npred)
    start = [0] * n
    used: set[int] = set()
    pending = [(est[j], j) for j in range(n) if left[j] == 0]
    heapq.heapify(pending)
    classes: dict[int | None, list[tuple[float, int]]] = {}
    waiting = 0
    placed = 0
    t = 0
    while placed < n:
        while pending and pending[0][0] <= t:
            j = heapq.heappop(pending)[1]
            o = off[j]
            heap = classes.get(o)
            if heap is None:
                heap = classes[o] = []
            heapq.heappush(heap, (key[j], j))
            waiting += 1
        if not waiting:
            t = pending[0][0]
            continue
        best: list[tuple[float, int]] | None = None
        best_o: int | None = None
        for o, heap in classes.items():
            if heap and (o is None or t + o not in used) and (best is None or heap[0] < best[0]):
                best = heap
                best_o = o
        if best is None:
            t += 1
            continue
        j = heapq.heappop(best)[1]
        waiting -= 1
        placed += 1
        start[j] = t
        if best_o is not None:
            used.add(t + best_o)
        for v, d in succ[j]:
            est[v] = max(est[v], t + d)
            left[v] -= 1
            if left[v] == 0:
                heapq.heappush(pending, (est[v], v))
        t += 1
    return start


def _keep_order(block: Block) -> list[int]:
    """Jobs in index order, each at the first cycle timing allows."""
    preds: list[list[tuple[int, int]]] = [[] for _ in block.jobs]
    for u, v, d in block.edges:
        if u >= v:
            raise ValueError(f"keep_order needs edges in index order, got {u}->{v}")
        preds[v].append((u, d))
    starts: list[int] = []
    used: set[int] = set()
    t = 0
    for j, job in enumerate(block.jobs):
        for u, d in preds[j]:
            t = max(t, starts[u] + d)
        if job.writes:
            while t + job.latency in used:
                t += 1
            used.add(t + job.latency)
        starts.append(t)
        t += 1
    return starts


def list_schedule(
    block: Block, *, priority: Sequence[float] | None = None, keep_order: bool = False
) -> list[int]:
    """One pass of list scheduling; the start cycle of every job.

    Parameters
    ----------
    priority:
        Higher first among the ready jobs; ties go to the lower index. The
        default is each job's tail (its longest path to the end of the block,
        :class:`.bounds.Paths`), the critical-path rule.
    keep_order:
        Place the jobs in index order instead, each at the first cycle after
        the previous one that timing allows: the naive baseline, which only
        inserts the ``nop`` s the timing rules require. Every edge must then
        go from a lower to a higher index.
    """
    if keep_order:
        return _keep_order(block)
    paths = longest_paths(block)
    graph = _Graph(block, paths)
    prio = paths.tail if priority is None else priority
    if len(prio) != len(block.jobs):
        raise ValueError(f"{len(prio)} priorities for {len(block.jobs)} jobs")
    return graph.forward([-float(p) for p in prio])


def _evaluate(block: Block, starts: Sequence[int], tails: Sequence[int]) -> tuple[int, int]:
    """``(length, number of jobs whose start + tail reaches it)``, smaller is better."""
    ends = [s + q for s, q in zip(starts, tails, strict=True)]
    length = max(max(ends, default=0), schedule_length(block, starts))
    return length, sum(1 for e in ends if e >= length)


def schedule_block(
    block: Block,
    *,
    restarts: int | None = None,
    seed: int = 0,
    exact_seconds: float = 0.0,
    keep_order: bool = False,
    adjust: bool = True,
    moves: int | None = None,
    dives: int = 0,
    beam: int = 0,
) -> BlockSchedule:
    """The best schedule found for a block (:class:`BlockSchedule`).

    Parameters
    ----------
    restarts:
        Passes after the critical-path one. ``None`` (the default) scales
        them to the block: :data:`DEFAULT_RESTARTS`, cut to
        ``EFFORT // jobs`` on big blocks. 0 for the critical-path pass only.
    seed:
        Seed of the random choices: the same block and seed always give the
        same schedule (unless the exact solver runs).
    exact_seconds:
        When positive, compute the class-sequence and occupancy bounds
        (:mod:`.occupancy`) too and, when OR-Tools is installed, the window
        bound (:mod:`.windows`, in ``WINDOW_SHARE`` of this time, with the
        occupancy bound over its windows) and give the exact solver
        (:mod:`.exact`) this much time to improve the schedule or prove it
        optimal.
    keep_order:
        The naive baseline instead (see :func:`list_schedule`).
    adjust:
        Strengthen heads, tails and the bound with :func:`adjust_paths` when
        the first pass does not meet the basic bound (costs time on very big
        blocks, where the assembler may turn it off).
    moves:
        Ruin-and-recreate moves (:func:`.improve.improve_schedule`) on the
        best schedule of the passes when it does not meet the bound.
        ``None`` (the default) scales them to the block (:func:`auto_moves`),
        0 turns them off.
    dives:
        Then, for each length from the bound up to one below the best
        schedule's, this many seeds of the idle search's randomised restarts
        in both directions of time (:func:`.idlesearch.search_restarts`,
        :data:`.idlesearch.RESTART_NODES` nodes each; no clock is read), the
        first schedule found kept. 0 (the default) skips them; they cost
        about a second per seed on a 100-job block.
    beam:
        Then a beam search of this width (:func:`.beam.beam_both_ways`,
        backwards in time first) for one cycle less than the best schedule,
        again after each success, down to the bound. 0 (the default) skips
        it; a width of 300 takes 2 to 15 seconds per length on a 100- to
        200-job block.
    """
    paths = longest_paths(block)
    bounds = lower_bound(block, paths, adjust=False)

    def result(starts: Sequence[int], method: Method, proven: bool = False) -> BlockSchedule:
        length = schedule_length(block, starts)
        return BlockSchedule(
            starts=tuple(starts),
            length=length,
            bounds=bounds,
            optimal=proven or length <= bounds.value,
            method=method,
        )

    if keep_order:
        return result(_keep_order(block), "list")
    graph = _Graph(block, paths)
    first = graph.forward([-float(q) for q in paths.tail])
    if schedule_length(block, first) <= bounds.value:
        return result(first, "list")
    if adjust:
        adjusted = adjust_paths(block, paths)
        bounds = replace(bounds, adjusted=adjusted_bound(block, adjusted))
        if adjusted.complete:
            # Priorities from adjusted heads and tails work better, unless only
            # part of a big block was adjusted.
            graph.paths = adjusted
    lb = bounds.value
    n = graph.n
    budget = restarts if restarts is not None else auto_restarts(n)
    best, method = _search(block, graph, lb, max(budget, 0), random.Random(seed), first)
    best_len = schedule_length(block, best)
    moves = moves if moves is not None else auto_moves(n)
    back = mirror_block(block) if best_len > lb else None
    if moves > 0 and best_len > lb:
        # half the moves forwards; the rest backwards in time where the
        # block allows it, which re-places the jobs as late as they can go
        forwards = moves // 2 if back is not None else moves
        better = improve_schedule(
            block, best, moves=forwards, seed=seed, lower=lb, paths=graph.paths
        )
        if better.length < best_len:
            best, best_len, method = list(better.starts), better.length, "improve"
    if moves > 0 and back is not None and best_len > lb:
        mirrored = improve_schedule(
            back, unmirror(block, best_len, best), moves=moves - moves // 2, seed=seed, lower=lb
        )
        if mirrored.length < best_len:
            best = list(unmirror(block, mirrored.length, mirrored.starts))
            best_len, method = mirrored.length, "improve"
    if (dives > 0 or beam > 0) and best_len > lb and applicable(block):
        from vtc.compiler.asm.beam import beam_both_ways
        from vtc.compiler.asm.exact import dominance_pairs, mirror_dominance_pairs

        pairs = dominance_pairs(block)
        mirror_pairs = mirror_dominance_pairs(block)
        for length in range(lb, best_len) if dives > 0 else ():
            found = search_restarts(
                block,
                length,
                rounds=dives,
                paths=graph.paths,
                pairs=pairs,
                mirror_pairs=mirror_pairs,
            )
            if found.feasible and found.starts is not None:
                best, best_len, method = list(found.starts), length, "dive"
                break
        while beam > 0 and best_len > lb:
            shorter = beam_both_ways(
                block,
                best_len - 1,
                width=beam,
                seed=seed,
                pairs=pairs,
                mirror_pairs=mirror_pairs,
            )
            if shorter is None:
                break
            best, best_len, method = list(shorter), schedule_length(block, shorter), "beam"
    if exact_seconds > 0 and best_len > lb:
        from vtc.compiler.asm.exact import solve_exact
        from vtc.compiler.asm.occupancy import occupancy_bound, profile_from_windows
        from vtc.compiler.asm.windows import window_bound

        bounds = replace(
            bounds,
            class_sequence=class_sequence_bound(
                block, paths, start=lb, state_limit=CLASS_SEQUENCE_STATES
            ),
        )
        bounds = replace(bounds, occupancy=occupancy_bound(block, lower=bounds.value))
        lb = bounds.value
        if best_len <= lb:
            return result(best, method)
        window = window_bound(block, lower=lb, time_limit=exact_seconds * WINDOW_SHARE)
        over_windows = occupancy_bound(block, profile=profile_from_windows(window.free), lower=lb)
        bounds = replace(bounds, window=max(window.value, over_windows))
        lb = bounds.value
        if best_len <= lb:
            return result(best, method)
        ex = solve_exact(block, time_limit=exact_seconds, hint=best, lower=lb)
        if ex is not None and ex.length < best_len:
            return result(ex.starts, "exact", ex.optimal)
        if ex is not None and ex.optimal:
            return result(best, method, True)
    return result(best, method)


#: The passes, in the order :func:`_search` first tries them.
#: Chains of simulated annealing: the best of the first passes.
_CHAINS = 2
#: Probability of a move that swaps the priorities of two jobs issued close
#: together (at most :data:`_NEAR` apart in the chain's current schedule).
_SWAP_NEAR = 0.2
_NEAR = 4
_DIRECTIONS = ("forward", "write_backward", "backward", "write_forward")


def _search(
    block: Block, graph: _Graph, lb: int, budget: int, rng: random.Random, first: list[int]
) -> tuple[list[int], Method]:
    """The critical-path pass, then ``budget`` more passes; stops at ``lb``.

    First the other passes with their critical-path priority (the forward
    ones by tail, the backward ones by head). Then simulated annealing on the
    priorities of the best :data:`_CHAINS` passes, in turn: a move swaps the
    priorities of two jobs issued close together, or of any two, shifts one
    at random or raises one; a move that makes the schedule longer (or
    leaves more jobs ending last) is accepted with a probability that falls
    as the budget runs out. ``graph.paths`` gives the priorities (adjusted
    heads and tails, :func:`.bounds.adjust_paths`, work better than plain).
    """
    paths = graph.paths
    tails = paths.tail
    n = graph.n
    by_tail = [-float(q) for q in tails]
    by_head = [-float(h) for h in paths.head]
    chains: list[tuple[str, list[float], tuple[int, int], list[int]]] = []
    best: list[int] = []
    best_eval = (0, 0)
    method: Method = "list"
    total = budget + 1
    used = 0
    for direction in _DIRECTIONS:
        if used >= total or (used and best_eval[0] <= lb):
            break
        key = by_head if direction.endswith("backward") else by_tail
        cand = first if not used else graph.run(direction, key)
        ev = _evaluate(block, cand, tails)
        if not used or ev < best_eval:
            best, best_eval, method = cand, ev, ("restarts" if used else "list")
        chains.append((direction, key, ev, sorted(range(n), key=cand.__getitem__)))
        used += 1
    chains.sort(key=lambda c: c[2])
    del chains[_CHAINS:]
    turn = 0
    while best_eval[0] > lb and used < total:
        direction, key, cur_eval, order = chains[turn % len(chains)]
        trial = list(key)
        move = rng.random()
        if move < _SWAP_NEAR:
            i = rng.randrange(n)
            a, b = order[i], order[min(n - 1, i + rng.randint(1, _NEAR))]
            trial[a], trial[b] = trial[b], trial[a]
        elif move < _SWAP_NEAR + 0.3:
            a, b = rng.randrange(n), rng.randrange(n)
            trial[a], trial[b] = trial[b], trial[a]
        elif move < 0.8:
            trial[rng.randrange(n)] += rng.gauss(0.0, 3.0)
        else:
            trial[rng.randrange(n)] -= rng.uniform(0.5, 4.0)
        cand = graph.run(direction, trial)
        used += 1
        ev = _evaluate(block, cand, tails)
        if ev < best_eval:
            best, best_eval, method = cand, ev, "restarts"
        delta = 20 * (ev[0] - cur_eval[0]) + (ev[1] - cur_eval[1])
        temp = max(0.05, 2.0 * (1.0 - used / total))
        if delta <= 0 or rng.random() < math.exp(-delta / temp):
            order = sorted(range(n), key=cand.__getitem__)
            chains[turn % len(chains)] = (direction, trial, ev, order)
        turn += 1
    return best, method
