"""Where the free cycles of both ports can lie: the occupancy bound.

The bounds of :mod:`.bounds` and :mod:`.windows` count how many cycles of
each port a schedule must leave free; this module also asks *where*. A
schedule of length ``T`` leaves the same kind of budget on both ports, and
one identity ties the positions of those free cycles together: the results
of the jobs land, on the whole, their latencies after the jobs issue. A
block whose start forces free write cycles early and whose end forces idle
issue cycles late can meet it only with enough free cycles in all, which
can exceed the counts alone.

Counting
--------
Every job has ``tail >= 1``, so in a schedule of length ``T`` it issues in
one of the cycles ``0 .. T - 1``; a job is a *counted writer* when it writes
and ``1 <= latency <= tail`` (:attr:`.problem.BlockJob.counted_write`), so its result
lands in one of the cycles ``1 .. T``. With ``n`` jobs and ``m`` counted
writers, exactly ``k_i = T - n`` issue cycles are idle and ``k_w = T - m``
write cycles hold no counted result (*free*). Write

* ``A(t)``: idle issue cycles among ``0 .. t - 1``;
* ``B(t)``: free write cycles among ``1 .. t``;
* ``X(t)``: counted writers issued before ``t`` whose result lands after ``t``;
* ``N(t)``: the other jobs (not counted writers) issued before ``t``.

Counting the jobs issued before ``t`` two ways gives, for every
``0 <= t <= T``, the *occupancy identity*

    ``B(t) - A(t) = X(t) + N(t)``

(``t - A(t)`` jobs issued before ``t``; the counted writers among them
either landed by ``t``, which are ``t - B(t)`` results since every result
lands at least one cycle after its issue, or are still in flight). Summed
over ``t = 0 .. T``, a counted writer is in flight in ``latency - 1`` of
those cycles and any other job ``j`` counts in ``N(t)`` for the
``T - s_j`` cycles after its issue, so

    ``sum_t (B(t) - A(t)) = sum_W (latency - 1) + sum_{not W} (T - s_j)``,

which lies between ``sum_W (latency - 1) + sum_{not W} tail_j`` and
``sum_W (latency - 1) + sum_{not W} (T - head_j)`` (equal ends when every job
is a counted writer, as in the data-flow graphs). The left-hand side is
large when free write cycles come early and idle issue cycles late, so it
measures where the two budgets can be spent.

The feasibility test
--------------------
:func:`occupancy_feasible` asks whether *some* 0-1 sequences of idle issue
cycles and free write cycles of length ``T`` meet all of

1. ``A(T) = k_i`` and ``B(T) = k_w``;
2. ``B(t) - A(t) >= 0`` (the identity, ``X`` and ``N`` being counts), and
   ``B(t) - A(t) <= cap(t)``, the most jobs that can be in flight or issued
   before ``t`` (:func:`inflight_caps`);
3. the idle and free cycles every schedule has in the first ``a`` and the
   last ``b`` cycles of each port: from heads and tails alone
   (:func:`count_profile`), and from the window problems of
   :mod:`.windows` when given (:func:`profile_from_windows`);
4. the summed identity above.

Every schedule of length ``T`` yields such sequences, so when none exist no
schedule has length ``T``. A dynamic program over ``t`` with state
``(A(t), B(t))`` and the set of partial sums as a bit set decides this
exactly, in ``O(T * k_i * k_w)`` big-integer steps. :func:`occupancy_bound`
tries ``T`` upwards from a known lower bound and returns the first one the
test cannot rule out. A shorter schedule is not a problem for ``T``: the
test is about schedules of length exactly ``T``, and the bound tries every
length from a bound that is already proven, so the first length it accepts
is no more than the optimum.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vtc.compiler.asm.bounds import Paths, adjust_paths, adjusted_bound, longest_paths, lower_bound
from vtc.compiler.asm.problem import Block

if TYPE_CHECKING:
    from vtc.compiler.asm.windows import Port, Side

__all__ = [
    "FUTURE_STATES",
    "FutureSums",
    "Profile",
    "count_profile",
    "future_sums",
    "inflight_caps",
    "merge_profiles",
    "occupancy_bound",
    "occupancy_feasible",
    "profile_from_windows",
]


@dataclass(frozen=True)
class Profile:
    """Free cycles every schedule has near the two ends of the block.

    Each tuple is indexed by a width ``w`` (entry 0 is 0); widths beyond the
    end of a tuple give no information. For every schedule of any length
    ``T >= w``:

    Attributes
    ----------
    idle_start:
        idle issue cycles among ``0 .. w - 1`` are at least ``idle_start[w]``;
    free_start:
        write cycles among ``1 .. w`` free of counted results, at least ``free_start[w]``;
    idle_end:
        idle issue cycles among ``T - w .. T - 1``, at least ``idle_end[w]``;
    free_end:
        free write cycles among ``T - w + 1 .. T``, at least ``free_end[w]``.
    """

    idle_start: tuple[int, ...] = (0,)
    free_start: tuple[int, ...] = (0,)
    idle_end: tuple[int, ...] = (0,)
    free_end: tuple[int, ...] = (0,)


def count_profile(block: Block, paths: Paths, width: int) -> Profile:
    """The :class:`Profile` that heads and tails alone give, for widths up to ``width``.

    In the first ``w`` issue cycles only jobs with ``head <= w - 1`` can
    issue, so at least ``w`` minus their number idle; in write cycles
    ``1 .. w`` only counted writers with ``head + latency <= w`` can land.
    At the end, a job issues no later than ``T - tail`` and lands no later
    than ``T - tail + latency``, so only jobs with ``tail <= w`` issue in the
    last ``w`` cycles and only counted writers with ``tail - latency < w``
    land in the last ``w`` write cycles. ``paths`` must hold valid heads and
    tails (:func:`.bounds.longest_paths` or :func:`.bounds.adjust_paths`).
    """
    jobs = block.jobs
    counted = [job.counted_write for job in block.jobs]
    idle_start = [0]
    free_start = [0]
    idle_end = [0]
    free_end = [0]
    for w in range(1, width + 1):
        idle_start.append(max(0, w - sum(1 for h in paths.head if h <= w - 1)))
        free_start.append(
            max(
                0,
                w
                - sum(
                    1
                    for j, job in enumerate(jobs)
                    if counted[j] and paths.head[j] + job.latency <= w
                ),
            )
        )
        idle_end.append(max(0, w - sum(1 for q in paths.tail if q <= w)))
        free_end.append(
            max(
                0,
                w
                - sum(
                    1
                    for j, job in enumerate(jobs)
                    if counted[j] and paths.tail[j] - job.latency < w
                ),
            )
        )
    return Profile(tuple(idle_start), tuple(free_start), tuple(idle_end), tuple(free_end))


def profile_from_windows(free: Mapping[tuple[Side, Port, int], int]) -> Profile:
    """The :class:`Profile` of a :class:`.windows.WindowBound`'s ``free`` map.

    ``free[side, port, w]`` are cycles of that window every schedule leaves
    free of counted jobs (:mod:`.windows`), the same facts as a profile's.
    Widths between the ones computed inherit the value of the next narrower
    one: one more cycle holds at most one more job, so a wider window has
    at least as many free cycles as a narrower one.
    """
    table: dict[tuple[str, str], dict[int, int]] = {}
    for (side, port, w), value in free.items():
        table.setdefault((side, port), {})[w] = value

    def series(side: str, port: str) -> tuple[int, ...]:
        known = table.get((side, port), {})
        if not known:
            return (0,)
        out = [0]
        for w in range(1, max(known) + 1):
            out.append(max(out[-1], known.get(w, 0)))
        return tuple(out)

    return Profile(
        idle_start=series("start", "issue"),
        free_start=series("start", "write"),
        idle_end=series("end", "issue"),
        free_end=series("end", "write"),
    )


def merge_profiles(*profiles: Profile) -> Profile:
    """The strongest facts of several valid profiles, width by width."""

    def pick(rows: Sequence[tuple[int, ...]]) -> tuple[int, ...]:
        size = max(len(r) for r in rows)
        return tuple(max((r[w] for r in rows if w < len(r)), default=0) for w in range(size))

    return Profile(
        idle_start=pick([p.idle_start for p in profiles]),
        free_start=pick([p.free_start for p in profiles]),
        idle_end=pick([p.idle_end for p in profiles]),
        free_end=pick([p.free_end for p in profiles]),
    )


def inflight_caps(block: Block, paths: Paths, length: int) -> list[int]:
    """For ``t = 0 .. length``, the most that ``X(t) + N(t)`` can be (module docstring).

    ``X(t)`` counts counted writers ``j`` with ``s_j < t < s_j + latency_j``;
    such a job issues in a cycle ``c`` with ``max(head_j, t - latency_j + 1) <=
    c <= min(t - 1, length - tail_j)`` and lands in ``c + latency_j``. The
    jobs issue in distinct cycles and land in distinct cycles, so ``X(t)``
    is at most the number of issue cycles ``c`` some such job can use, at
    most the number of landing cycles some such job can use, and at most the
    number of such jobs. ``N(t)`` is at most the number of other jobs with
    ``head <= t - 1``.
    """
    jobs = block.jobs
    counted = [job.counted_write for job in block.jobs]
    caps: list[int] = []
    for t in range(length + 1):
        issue: set[int] = set()
        land: set[int] = set()
        movable = 0
        others = 0
        for j, job in enumerate(jobs):
            if not counted[j]:
                if paths.head[j] <= t - 1:
                    others += 1
                continue
            lo = max(paths.head[j], t - job.latency + 1)
            hi = min(t - 1, length - paths.tail[j])
            if lo > hi:
                continue
            movable += 1
            issue.update(range(lo, hi + 1))
            land.update(range(lo + job.latency, hi + job.latency + 1))
        caps.append(min(len(issue), len(land), movable) + others)
    return caps


def _at(series: tuple[int, ...], w: int) -> int:
    return series[w] if 0 <= w < len(series) else 0


def _ranges(
    block: Block, paths: Paths, length: int, profile: Profile | None
) -> tuple[list[int], list[int], list[int], list[int]] | None:
    """Least and most ``A(t)`` and ``B(t)`` for ``t = 0 .. length`` (``None``: no room).

    From the budgets ``k_i = length - n`` and ``k_w = length - m``, the
    heads-and-tails profile (:func:`count_profile`) merged with ``profile``,
    and one idle (free) cycle at most per cycle. ``None`` when a budget is
    negative, a job's window is empty, or some range is empty.
    """
    n = len(block.jobs)
    k_i = length - n
    k_w = length - sum(job.counted_write for job in block.jobs)
    if k_i < 0 or k_w < 0:
        return None
    if any(paths.head[j] > length - paths.tail[j] for j in range(n)):
        return None
    prof = count_profile(block, paths, length)
    if profile is not None:
        prof = merge_profiles(prof, profile)
    a_lo = [0] * (length + 1)
    a_hi = [min(t, k_i) for t in range(length + 1)]
    b_lo = [0] * (length + 1)
    b_hi = [min(t, k_w) for t in range(length + 1)]
    for t in range(length + 1):
        a_lo[t] = max(a_lo[t], _at(prof.idle_start, t))
        b_lo[t] = max(b_lo[t], _at(prof.free_start, t))
        # last w = length - t cycles of each port
        a_hi[t] = min(a_hi[t], k_i - _at(prof.idle_end, length - t))
        b_hi[t] = min(b_hi[t], k_w - _at(prof.free_end, length - t))
        # each cycle adds at most one idle (free) cycle
        a_lo[t] = max(a_lo[t], k_i - (length - t))
        b_lo[t] = max(b_lo[t], k_w - (length - t))
        if a_lo[t] > a_hi[t] or b_lo[t] > b_hi[t]:
            return None
    return a_lo, a_hi, b_lo, b_hi


def occupancy_feasible(
    block: Block,
    paths: Paths,
    length: int,
    profile: Profile | None = None,
) -> bool:
    """Whether idle and free sequences of ``length`` meet every fact (module docstring).

    ``False`` proves that no schedule of ``block`` has exactly this length;
    ``True`` proves nothing. ``paths`` must hold valid heads and tails and
    ``profile`` valid facts (:func:`count_profile`, :func:`profile_from_windows`);
    the heads-and-tails profile is always added. Needs every tail ``>= 1``
    (raises :class:`ValueError` otherwise).
    """
    jobs = block.jobs
    if any(job.tail < 1 for job in jobs):
        raise ValueError("the occupancy bound needs every tail >= 1")
    n = len(jobs)
    counted = [job.counted_write for job in block.jobs]
    ranges = _ranges(block, paths, length, profile)
    if ranges is None:
        return False
    a_lo, a_hi, b_lo, b_hi = ranges
    caps = inflight_caps(block, paths, length)
    fixed = sum(job.latency - 1 for j, job in enumerate(jobs) if counted[j])
    lo = fixed + sum(paths.tail[j] for j in range(n) if not counted[j])
    hi = fixed + sum(length - paths.head[j] for j in range(n) if not counted[j])
    keep = (1 << (hi + 1)) - 1
    k_i = length - n
    k_w = length - sum(counted)
    # state (A(t), B(t)) -> bit set of the partial sums of B - A over 0 .. t
    states: dict[tuple[int, int], int] = {(0, 0): 1}
    if a_lo[0] > 0 or b_lo[0] > 0:
        return False
    for t in range(length):
        nxt: dict[tuple[int, int], int] = {}
        for (a, b), sums in states.items():
            for da in (0, 1):
                na = a + da
                if not a_lo[t + 1] <= na <= a_hi[t + 1]:
                    continue
                for db in (0, 1):
                    nb = b + db
                    if not b_lo[t + 1] <= nb <= b_hi[t + 1]:
                        continue
                    gap = nb - na
                    if gap < 0 or gap > caps[t + 1]:
                        continue
                    moved = (sums << gap) & keep
                    if moved:
                        nxt[na, nb] = nxt.get((na, nb), 0) | moved
        states = nxt
        if not states:
            return False
    final = states.get((k_i, k_w), 0)
    return final >> lo != 0


#: Most states (cycles times idle times free counts) :func:`future_sums` builds.
FUTURE_STATES = 200_000

#: Per cycle ``t``, the bit sets of reachable future sums keyed by ``(A(t), B(t))``.
FutureSums = tuple[dict[tuple[int, int], int], ...]


def future_sums(
    block: Block,
    paths: Paths,
    length: int,
    profile: Profile | None = None,
    *,
    state_limit: int = FUTURE_STATES,
) -> FutureSums | None:
    """What the rest of a schedule of ``length`` can still hold, cycle by cycle.

    For blocks in which every job is a counted writer (``N(t) = 0``, so
    ``X(t) = B(t) - A(t)``): entry ``t`` maps each pair ``(A(t), B(t))`` that
    the facts of :func:`occupancy_feasible` allow at ``t`` to the bit set of
    the sums ``S(t) = sum_{t' = t .. length} (B(t') - A(t'))`` that some
    continuation meeting every fact up to ``length`` reaches (bit ``S`` set).
    A pair missing from entry ``t`` has no continuation.

    A partial schedule that has decided the cycles ``0 .. t - 1`` knows
    ``A(t)``, ``B(t)`` and its own ``S(t)``: each job in flight at ``t``
    (issued before ``t``, landing at ``c > t``) adds ``c - t`` to it, each job
    not yet issued its ``latency - 1``. When that bit is not set in
    ``entry[t][A(t), B(t)]`` no schedule of ``length`` (or less) completes
    it: :func:`.idlesearch.search_length` prunes such branches. A schedule
    shorter than ``length`` meets the same facts counted over ``length``
    cycles (its last cycles are idle and free).

    ``None`` when some job is not a counted writer or the table would hold
    more than ``state_limit`` states. When :func:`occupancy_feasible` rules
    ``length`` out, the root state ``(0, 0)`` of entry 0 lacks the bit of
    the whole sum ``sum(latency - 1)``, or the entries are empty.
    """
    jobs = block.jobs
    if not jobs or not all(job.counted_write for job in jobs):
        return None
    k = length - len(jobs)
    if k >= 0 and (length + 1) * (k + 1) * (k + 1) > state_limit:
        return None
    empty: FutureSums = tuple({} for _ in range(max(length, 0) + 1))
    ranges = _ranges(block, paths, length, profile)
    if ranges is None:
        return empty
    a_lo, a_hi, b_lo, b_hi = ranges
    caps = inflight_caps(block, paths, length)
    table: list[dict[tuple[int, int], int]] = [{} for _ in range(length + 1)]

    def allowed(t: int, a: int, b: int) -> bool:
        return a_lo[t] <= a <= a_hi[t] and b_lo[t] <= b <= b_hi[t] and 0 <= b - a <= caps[t]

    if allowed(length, k, k):
        table[length][k, k] = 1  # S(length) = B - A = 0
    for t in range(length - 1, -1, -1):
        later = table[t + 1]
        if not later:
            return empty
        here = table[t]
        for a in range(a_lo[t], a_hi[t] + 1):
            for b in range(max(b_lo[t], a), b_hi[t] + 1):
                if not allowed(t, a, b):
                    continue
                reach = (
                    later.get((a, b), 0)
                    | later.get((a + 1, b), 0)
                    | later.get((a, b + 1), 0)
                    | later.get((a + 1, b + 1), 0)
                )
                if reach:
                    here[a, b] = reach << (b - a)
    return tuple(table)


def occupancy_bound(
    block: Block,
    paths: Paths | None = None,
    *,
    profile: Profile | None = None,
    lower: int = 0,
    limit: int = 64,
) -> int:
    """The first length from ``max(lower, bounds)`` that :func:`occupancy_feasible` accepts.

    Parameters
    ----------
    paths:
        Valid heads and tails; by default :func:`.bounds.adjust_paths`.
    profile:
        Extra valid facts about the ends, e.g. :func:`profile_from_windows`
        of :func:`.windows.window_bound`.
    lower:
        A lower bound already proven; the one of :func:`.bounds.lower_bound`
        and :func:`.bounds.adjusted_bound` is used when larger.
    limit:
        Lengths tried at most; the bound stops there (still valid: every
        length below was ruled out).

    Valid because every length below the one returned was either below a
    proven bound or ruled out by :func:`occupancy_feasible`, and an optimal
    schedule has one of these lengths exactly. 0 for an empty block.
    """
    if not block.jobs:
        return 0
    plain = longest_paths(block)
    p = paths if paths is not None else adjust_paths(block, plain)
    start = max(lower, lower_bound(block, plain, adjust=False).value, adjusted_bound(block, p))
    for length in range(start, start + limit):
        if occupancy_feasible(block, p, length, profile):
            return length
    return start + limit
