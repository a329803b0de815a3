"""Is there a schedule of length ``T``? A beam search over the cycles.

The idle search (:mod:`.idlesearch`) decides cycle after cycle which job
issues, depth first: its early choices are the ones it revisits last, so a
restart that went wrong in the first cycles stays wrong. The beam search
here decides the same cycles breadth first: for every cycle it keeps up to
``width`` partial schedules, expands the most promising of them by every job
that can issue (or by an idle cycle), and keeps a random sample of the
children, one per set of issued jobs and budgets spent (the first made,
from the most promising parent: partial schedules that issued the same
jobs differ only in when, and keeping one of them leaves room for more
different ones; this makes the search incomplete even at any width, and
finds far more on the EXPRESS graphs than keeping every timing apart). Each partial
schedule must pass the idle search's checks:

* the deadlines ``start <= T - tail`` and the idle budgets of both ports;
* the occupancy table (:func:`.occupancy.future_sums`) and the look ahead of
  :data:`.idlesearch.LOOKAHEAD` cycles (blocks of counted writers only);
* Jackson's rule on the jobs left, on the issue slot and on the write port;
* the orders of :func:`.exact.dominance_pairs` when given.

"Most promising" is the smaller sum of the two Jackson bounds, with a
little noise. The search is not complete: it answers with a schedule or
with the cycle at which every partial schedule had died. It is
deterministic for a given seed. On the EXPRESS graphs a width of a few
hundred finds in seconds schedules that minutes of restarts miss (a
smooth_color_z_triangle schedule of 202 cycles, bound 201, best of the
other searches 205), run backwards in time (:func:`.idlesearch.mirror_block`)
as often as forwards.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from vtc.compiler.asm.bounds import Paths, adjust_paths
from vtc.compiler.asm.idlesearch import NodeChecks, applicable, mirror_block, unmirror
from vtc.compiler.asm.occupancy import FutureSums
from vtc.compiler.asm.problem import Block, check_schedule

__all__ = ["BEAM_WIDTH", "BeamResult", "beam_both_ways", "beam_search"]

#: Partial schedules :func:`beam_search` keeps per cycle by default.
BEAM_WIDTH = 300


@dataclass(frozen=True)
class BeamResult:
    """What a beam search found.

    Attributes
    ----------
    starts:
        A schedule no longer than the length asked for, or ``None``.
    reached:
        The cycle the beam got to: the length when it found a schedule, else
        the first cycle at which no partial schedule was left.
    """

    starts: tuple[int, ...] | None
    reached: int


@dataclass(frozen=True)
class _Partial:
    issued: int
    starts: tuple[int, ...]
    taken: int  # write cycles of every writer placed
    mine: int  # write cycles of the counted writers placed
    spent_i: int
    spent_w: int


def beam_search(
    block: Block,
    length: int,
    *,
    width: int = BEAM_WIDTH,
    seed: int = 0,
    paths: Paths | None = None,
    pairs: Sequence[tuple[int, int]] = (),
    future: FutureSums | None = None,
) -> BeamResult:
    """Look for a schedule of ``block`` no longer than ``length`` (module docstring).

    Parameters
    ----------
    width:
        Partial schedules kept per cycle (at least 1); twice as many
        children are made from the most promising ones.
    seed:
        Seed of the noise and of the sample kept.
    paths:
        Valid heads and tails; by default :func:`.bounds.adjust_paths`.
    pairs:
        ``(u, v)``: issue ``u`` before ``v``; they must keep some schedule of
        every feasible length (those of :func:`.exact.dominance_pairs` do).
    future:
        :func:`.occupancy.future_sums` of the block, ``paths`` and
        ``length``; by default built here (when the block has one).

    Raises :class:`ValueError` when the block is not
    :func:`.idlesearch.applicable`. A schedule returned has passed
    :func:`.problem.check_schedule`.
    """
    if not applicable(block):
        raise ValueError("the beam search needs edge delays >= 0 and tails >= 1")
    jobs = block.jobs
    n = len(jobs)
    if n == 0:
        return BeamResult((), 0) if length >= 0 else BeamResult(None, 0)
    p = paths if paths is not None else adjust_paths(block)
    checks = NodeChecks(block, p, length, future)
    if checks.idle_issue < 0 or checks.idle_write < 0:
        return BeamResult(None, 0)
    lat, writes, counted, due = checks.lat, checks.writes, checks.counted, checks.due
    succ = checks.succ
    pred = block.predecessors()
    before = [0] * n
    for u, v in pairs:
        before[v] |= 1 << u
    rng = random.Random(seed)
    everything = (1 << n) - 1
    beam = [_Partial(0, (-1,) * n, 0, 0, 0, 0)]
    keep = max(width, 1)
    for t in range(length + 1):
        scored: list[tuple[float, int, _Partial, list[int]]] = []
        for number, part in enumerate(beam):
            if part.issued == everything:
                starts = part.starts
                problems = check_schedule(block, starts)
                if problems:
                    raise RuntimeError(f"the beam search built an invalid schedule: {problems[0]}")
                return BeamResult(starts, length)
            est = list(p.head)
            for j in range(n):
                if part.issued >> j & 1:
                    for v, d in succ[j]:
                        est[v] = max(est[v], part.starts[j] + d)
            found = checks.bounds(
                t, part.issued, part.starts, est, part.taken, part.mine, part.spent_i, part.spent_w
            )
            if found is not None:
                scored.append((sum(found) + rng.random() * 2.0, number, part, est))
        scored.sort(key=lambda row: (row[0], row[1]))
        children: dict[tuple[int, int, int], _Partial] = {}
        for _, _, part, est in scored:
            if len(children) >= 2 * keep:
                break
            for j in range(n):
                if (
                    part.issued >> j & 1
                    or est[j] > t
                    or due[j] < t
                    or before[j] & ~part.issued
                    or any(not part.issued >> u & 1 for u, _ in pred[j])
                    or (writes[j] and part.taken >> (t + lat[j]) & 1)
                ):
                    continue
                taken = part.taken | 1 << (t + lat[j]) if writes[j] else part.taken
                mine = part.mine | 1 << (t + lat[j]) if counted[j] else part.mine
                free = t + 1 <= length and not mine >> (t + 1) & 1
                if part.spent_w + free > checks.idle_write:
                    continue
                key = (part.issued | 1 << j, part.spent_i, part.spent_w + free)
                if key not in children:
                    placed = list(part.starts)
                    placed[j] = t
                    children[key] = _Partial(
                        key[0], tuple(placed), taken, mine, part.spent_i, key[2]
                    )
            if part.spent_i < checks.idle_issue:
                free = t + 1 <= length and not part.mine >> (t + 1) & 1
                key = (part.issued, part.spent_i + 1, part.spent_w + free)
                if part.spent_w + free <= checks.idle_write and key not in children:
                    children[key] = _Partial(
                        part.issued, part.starts, part.taken, part.mine, key[1], key[2]
                    )
        beam = list(children.values())
        if len(beam) > keep:
            beam = rng.sample(beam, keep)
        if not beam:
            return BeamResult(None, t)
    return BeamResult(None, length)


def beam_both_ways(
    block: Block,
    length: int,
    *,
    width: int = BEAM_WIDTH,
    seed: int = 0,
    pairs: Sequence[tuple[int, int]] = (),
    mirror_pairs: Sequence[tuple[int, int]] = (),
) -> tuple[int, ...] | None:
    """:func:`beam_search` backwards in time (when the block has a mirror), then forwards.

    Returns the first schedule found, as a schedule of ``block``, or
    ``None``. ``pairs`` and ``mirror_pairs`` are the dominance pairs of the
    block and of its mirror (:func:`.exact.mirror_dominance_pairs`).
    """
    back = mirror_block(block)
    if back is not None and block.jobs:
        found = beam_search(back, length, width=width, seed=seed, pairs=mirror_pairs)
        if found.starts is not None:
            starts = unmirror(block, length, found.starts)
            problems = check_schedule(block, starts)
            if problems:
                raise RuntimeError(f"the backward beam built an invalid schedule: {problems[0]}")
            return starts
    found = beam_search(block, length, width=width, seed=seed, pairs=pairs)
    return found.starts
