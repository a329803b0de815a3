"""Is there a schedule of length ``T``? The question as a SAT formula, for CaDiCaL.

The model of :mod:`.problem` with the length fixed, in propositional logic
(:func:`encode_length`):

* **Start cycles in the order encoding.** Job ``j`` may issue in its window
  ``head[j] .. T - tail[j]`` (adjusted heads and tails,
  :func:`.bounds.adjust_paths`). A variable ``y(j, t)`` means
  ``start[j] <= t``, with ``y(j, t) -> y(j, t + 1)``, and ``x(j, t)`` (the
  job issues in cycle ``t``) is ``y(j, t) and not y(j, t - 1)``. An edge
  ``u -> v`` with delay ``d`` becomes the binary clauses
  ``y(v, t) -> y(u, t - d)``, and so does each pair of
  :func:`.exact.dominance_pairs` (``start[u] < start[v]``, which some
  schedule of every feasible length meets).
* **The two ports.** Each issue cycle ``0 .. T - 1`` holds exactly one job
  or is idle, each write cycle ``1 .. T`` exactly one result or is free,
  each later write cycle at most one result (ladder encodings of
  exactly-one).
* **Classes.** Jobs of one latency class (the writers of one latency; the
  non-writers form one more class) are alike to the ports: a class
  variable ``c(t, k)`` says that some job of class ``k`` issues in cycle
  ``t``, and the two ports are stated once more over the classes (each
  issue cycle holds exactly one class or is idle, each write cycle ``w``
  exactly one of the ``c(w - k, k)`` or is free). This restates the model,
  but a conflict the solver learns in terms of classes holds for every job
  of the class at once, where one in terms of jobs holds for those jobs
  only. With the classes, smooth_color at 201 is refuted in a few hundred
  conflicts instead of 0.9 million, and invert_matrix at 336 with one
  instead of 1.93 million (:data:`CLASSES` turns them off).
* **Counting, which resolution cannot do by itself.** Unary counters over
  the idle issue cycles and the free write cycles of every prefix:
  ``D(t, m)`` says that at least ``m`` of the issue cycles ``0 .. t - 1`` are
  idle, ``F(t, m)`` that at least ``m`` of the write cycles ``1 .. t`` are
  free. A schedule of length ``T`` idles exactly ``T - n`` issue cycles and
  leaves at most ``T - n_w`` write cycles free (``n_w`` the counted writers
  of :attr:`.problem.BlockJob.counted_write`), and since every result lands
  at least one cycle after its issue, ``F(t) >= D(t)`` for every ``t``
  (:mod:`.idlesearch` spends the same budgets). Near the lower bound these
  budgets are a handful of cycles, so the counters are small, and they let
  the solver see at once that a branch has spent them.
* **Per-class counts.** For each class and cycle ``t``, the cycles
  before ``t`` that issued the class are as many as the jobs of the class
  that start before ``t`` (a unary counter over the class variables, one
  per cycle over the jobs whose windows hold ``t - 1``). This ties the
  pattern of classes to the jobs' windows and precedences, a pigeonhole
  per class that the solver cannot see job by job
  (:data:`CLASS_COUNT_WORK` bounds the counters' size).
* **Results in flight.** ``X(t)``, the results issued before ``t`` that
  land after it, is at most ``F(t) - D(t)`` (equal when every job is a
  counted writer), counted per cycle with a small unary counter (over the
  classes that issued in the last ``latency - 1`` cycles, since one job
  issues per cycle; over the jobs without the classes); with
  equality, the sum of ``X(t)`` over all cycles is ``sum(latency - 1)``
  (each job is in flight at ``latency - 1`` boundaries), one cardinality
  constraint (a totalizer). That sum is what the occupancy bound of
  :mod:`.occupancy` reasons with; given to the solver, it refutes some
  lengths with no conflict at all and proves lengths nothing else here
  settles (smooth_color at 201).

The counting constraints are left out when a writer has latency 0 or the
budgets exceed :data:`COUNTER_LIMIT`; they only restate the model, so the
answer is the same either way.

CaDiCaL (through the ``python-sat`` package, an optional extra like
OR-Tools) then decides the formula. On the EXPRESS data-flow graphs it finds
schedules at lengths where the idle search, the beam and CP-SAT found none
(matmul at its lower bound of 113, where the best before was 115;
jpeg_fdct in 139 and jpeg_idct in 127, where it was 140 and 129), refutes
the short lengths the idle search refutes in a fraction of a second, and
refutes lengths nothing else here did: idctcol at 118, jpeg_fdct at 138 and
jpeg_idct at 126 in one to three minutes, smooth_color at 201 and
invert_matrix at 336 in seconds, which proves all 20 graphs' best
schedules optimal. Learned clauses make a proof of infeasibility far shorter than the
idle search's tree: a conflict found in one branch is never searched for
again in another.

:func:`sat_decide` answers ``True`` with a schedule that
:func:`.problem.check_schedule` has accepted, ``False`` when no schedule of
length ``T`` exists, or ``None`` when it ran out of time or conflicts.
Conflict budgets make a run repeatable on any machine; the time limit is
checked between slices of :data:`SLICE_CONFLICTS` conflicts.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from vtc.compiler.asm.bounds import Paths, adjust_paths
from vtc.compiler.asm.problem import Block, check_schedule

__all__ = [
    "COUNTER_LIMIT",
    "SLICE_CONFLICTS",
    "SOLVER",
    "Formula",
    "SatResult",
    "SweepResult",
    "encode_length",
    "sat_available",
    "sat_decide",
    "sat_sweep",
]

#: The SAT solver of ``python-sat`` that decides the formula.
SOLVER = "cadical195"
#: Conflicts per call of the solver; the time limit is checked between calls.
SLICE_CONFLICTS = 20_000
#: The prefix counters are added only when both budgets (idle issue cycles,
#: free write cycles) are at most this many cycles.
COUNTER_LIMIT = 32
#: Whether the formula has the class variables (:func:`encode_length`); they
#: only restate the model, so this changes how fast, not what, it decides.
CLASSES = True
#: The per-class counts of :func:`_add_class_counts` are added when the sum,
#: over the classes and cycles, of the squared number of jobs whose window
#: holds the cycle is at most this (their counters grow with that square).
CLASS_COUNT_WORK = 500_000


@dataclass(frozen=True)
class Formula:
    """The formula "a schedule of ``length`` exists" in CNF.

    Attributes
    ----------
    clauses:
        The clauses, as lists of non-zero DIMACS literals (possibly empty:
        an empty clause makes the formula unsatisfiable).
    issue:
        For each job, ``(cycle, variable)`` pairs: the variable is true when
        the job issues in that cycle.
    variables:
        The largest variable number used.
    counters:
        Whether the prefix counters are part of it.
    """

    clauses: tuple[tuple[int, ...], ...]
    issue: tuple[tuple[tuple[int, int], ...], ...]
    variables: int
    counters: bool


@dataclass(frozen=True)
class SatResult:
    """What :func:`sat_decide` found.

    Attributes
    ----------
    feasible:
        ``True`` (``starts`` holds a valid schedule of the length asked),
        ``False`` (proven: no schedule that short) or ``None`` (undecided).
    starts:
        The schedule, when ``feasible`` is ``True``.
    conflicts:
        Conflicts the solver went through.
    seconds:
        Wall time, encoding included.
    """

    feasible: bool | None
    starts: tuple[int, ...] | None
    conflicts: int
    seconds: float


def sat_available() -> bool:
    """Whether ``python-sat`` (and with it CaDiCaL) can be imported."""
    try:
        return importlib.util.find_spec("pysat.solvers") is not None
    except ModuleNotFoundError:
        return False


class _Cnf:
    """Clauses under construction; literals ``True``/``False`` are constants."""

    def __init__(self) -> None:
        self.top = 0
        self.clauses: list[tuple[int, ...]] = []

    def new(self) -> int:
        self.top += 1
        return self.top

    def add(self, *lits: int | bool) -> None:
        out: list[int] = []
        for lit in lits:
            if lit is True:
                return
            if lit is False:
                continue
            out.append(lit)
        self.clauses.append(tuple(out))

    def count_step(self, had_m: int | bool, had_fewer: int | bool, lit: int | bool) -> int:
        """A new variable for "at least ``m`` so far" in a unary counter.

        It is true iff ``had_m`` (at least ``m`` before this literal) or
        ``had_fewer`` (at least ``m - 1`` before) and ``lit``.
        """
        var = self.new()
        self.add(_neg(had_m), var)
        self.add(_neg(had_fewer), _neg(lit), var)
        self.add(-var, had_m, had_fewer)
        self.add(-var, had_m, lit)
        return var

    def exactly_one(self, lits: Sequence[int], *, at_least: bool = True) -> None:
        """Ladder encoding: ``a[i]`` means one of ``lits[0 .. i]`` is true."""
        if at_least:
            self.add(*lits)
        if len(lits) <= 1:
            return
        prev = lits[0]
        for lit in lits[1:-1]:
            cur = self.new()
            self.add(-prev, cur)
            self.add(-lit, cur)
            self.add(-prev, -lit)
            prev = cur
        self.add(-prev, -lits[-1])


def _neg(lit: int | bool) -> int | bool:
    if lit is True or lit is False:
        return not lit
    return -lit


def encode_length(
    block: Block,
    length: int,
    *,
    paths: Paths | None = None,
    pairs: Sequence[tuple[int, int]] = (),
) -> Formula:
    """The CNF formula that is satisfiable iff ``block`` has a schedule of ``length`` or less.

    ``paths`` are valid heads and tails (by default :func:`.bounds.adjust_paths`);
    ``pairs`` are orders ``(u, v)`` meaning ``start[u] < start[v]`` that some
    schedule of every feasible length meets (:func:`.exact.proof_pairs`).
    A schedule shorter than ``length`` satisfies it too (every job's window
    still holds its start), so "or less" comes for free. The module
    docstring describes the clauses.
    """
    if paths is None:
        paths = adjust_paths(block)
    n = len(block.jobs)
    cnf = _Cnf()
    lo = [paths.head[j] for j in range(n)]
    hi = [length - paths.tail[j] for j in range(n)]
    issue_of: list[tuple[tuple[int, int], ...]] = []
    if length < 0 or any(lo[j] > hi[j] for j in range(n)):
        cnf.add()  # some job has nowhere to go
        return Formula(tuple(cnf.clauses), tuple(() for _ in range(n)), cnf.top, False)
    ys: list[list[int]] = []
    for j in range(n):
        ys.append([cnf.new() for _ in range(lo[j], hi[j])])

    def y(j: int, t: int) -> int | bool:
        if t < lo[j]:
            return False
        if t >= hi[j]:
            return True
        return ys[j][t - lo[j]]

    issue: dict[int, list[int]] = {}
    write: dict[int, list[int]] = {}
    for j, job in enumerate(block.jobs):
        for t in range(lo[j], hi[j] - 1):
            cnf.add(-ys[j][t - lo[j]], ys[j][t - lo[j] + 1])
        cells = []
        for t in range(lo[j], hi[j] + 1):
            x = cnf.new()
            now, before = y(j, t), y(j, t - 1)
            cnf.add(-x, now)
            cnf.add(-x, _neg(before))
            cnf.add(_neg(now), before, x)
            cells.append((t, x))
            issue.setdefault(t, []).append(x)
            if job.writes:
                write.setdefault(t + job.latency, []).append(x)
        issue_of.append(tuple(cells))
    for u, v, d in block.edges:
        for t in range(lo[v], hi[v] + 1):
            cnf.add(_neg(y(v, t)), y(u, t - d))
    for u, v in pairs:
        for t in range(lo[v], hi[v] + 1):
            cnf.add(_neg(y(v, t)), y(u, t - 1))

    idle = [cnf.new() for _ in range(length)]
    for c in range(length):
        cnf.exactly_one([*issue.get(c, []), idle[c]])
    free = [0] + [cnf.new() for _ in range(length)]
    for w, lits in sorted(write.items()):
        if 1 <= w <= length:
            cnf.exactly_one([*lits, free[w]])
        else:
            cnf.exactly_one(lits, at_least=False)
    for w in range(1, length + 1):
        if w not in write:
            cnf.add(free[w])
    class_at: dict[tuple[int, int | None], int] = {}
    if CLASSES:
        class_at = _add_classes(cnf, block, issue_of, idle, free, length)
        _add_class_counts(cnf, block, y, lo, hi, class_at, length)

    idle_budget = length - n
    free_budget = length - sum(1 for job in block.jobs if job.counted_write)
    counters = (
        all(job.latency >= 1 for job in block.jobs if job.writes)
        and 0 <= idle_budget <= COUNTER_LIMIT
        and 0 <= free_budget <= COUNTER_LIMIT
    )
    if counters:
        d_of, f_of = _add_counters(cnf, idle, free, length, idle_budget, free_budget)
        _add_in_flight(cnf, block, y, d_of, f_of, length, class_at)
    return Formula(tuple(cnf.clauses), tuple(issue_of), cnf.top, counters)


def _add_classes(
    cnf: _Cnf,
    block: Block,
    issue_of: Sequence[Sequence[tuple[int, int]]],
    idle: Sequence[int],
    free: Sequence[int],
    length: int,
) -> dict[tuple[int, int | None], int]:
    """Class variables: some job of a latency class issues in a cycle, and the ports in their terms.

    ``c(t, k)`` is true iff a job of class ``k`` (the writers of latency
    ``k``; all non-writers form one more class) issues in cycle ``t``. Each
    issue cycle holds exactly one class or is idle, and each write cycle
    ``w`` exactly one of the classes ``c(w - k, k)`` or is free. Both follow
    from the jobs' clauses; stated over the classes, the conflicts the
    solver learns about the ports hold for every job of a class at once.
    Returns the variables by ``(t, k)`` (``k`` None for the non-writers).
    """
    members: dict[tuple[int, int | None], list[int]] = {}
    for j, cells in enumerate(issue_of):
        job = block.jobs[j]
        kind = job.latency if job.writes else None
        for t, x in cells:
            members.setdefault((t, kind), []).append(x)
    by_cycle: dict[int, list[int]] = {}
    landing: dict[int, list[int]] = {}
    class_at: dict[tuple[int, int | None], int] = {}
    for (t, kind), xs in sorted(members.items(), key=lambda item: (item[0][0], str(item[0][1]))):
        c = class_at[(t, kind)] = cnf.new()
        for x in xs:
            cnf.add(-x, c)
        cnf.add(-c, *xs)
        by_cycle.setdefault(t, []).append(c)
        if kind is not None:
            landing.setdefault(t + kind, []).append(c)
    for t, cs in sorted(by_cycle.items()):
        cnf.exactly_one([*cs, idle[t]])  # every issue cycle is inside the block
    for w, cs in sorted(landing.items()):
        if 1 <= w <= length:
            cnf.exactly_one([*cs, free[w]])
        else:
            cnf.exactly_one(cs, at_least=False)
    return class_at


def _add_class_counts(
    cnf: _Cnf,
    block: Block,
    y: Callable[[int, int], int | bool],
    lo: Sequence[int],
    hi: Sequence[int],
    class_at: dict[tuple[int, int | None], int],
    length: int,
) -> None:
    """Per class and cycle: the class's issue cycles so far equal its jobs issued so far.

    One job issues per cycle, so the cycles ``t' < t`` with ``c(t', k)`` are
    as many as the jobs of class ``k`` with ``start < t``. The left side is
    a unary counter over the class variables, the right one a counter per
    cycle over the jobs whose window holds ``t - 1`` (the others are known
    to be issued or not); equal counts tie the pattern of classes to the
    jobs' windows and precedences, which the solver otherwise counts one
    job at a time: it refutes idctcol at 118 and jpeg_fdct at 138, which
    were still open after 40 and 15 minutes without. Nothing is added when that work
    exceeds :data:`CLASS_COUNT_WORK`.
    """
    kinds: dict[int | None, list[int]] = {}
    for j, job in enumerate(block.jobs):
        kinds.setdefault(job.latency if job.writes else None, []).append(j)
    work = sum(
        sum(1 for j in jobs if lo[j] <= t < hi[j]) ** 2
        for jobs in kinds.values()
        for t in range(length)
    )
    if work > CLASS_COUNT_WORK:
        return
    for kind, jobs in kinds.items():
        # prefix[m]: at least m issue cycles of the class in 0 .. t - 1
        prefix: list[int | bool] = [True, *([False] * len(jobs))]
        for t in range(1, length + 1):
            prefix = _count_on(cnf, prefix, class_at.get((t - 1, kind), False))
            forced = sum(1 for j in jobs if hi[j] <= t - 1)
            unsure = [y(j, t - 1) for j in jobs if lo[j] <= t - 1 < hi[j]]
            # the count is within forced .. forced + len(unsure): fix the
            # counter outside that band, so that it stays that narrow
            prefix = list(prefix)
            for m in range(1, len(prefix)):
                if m <= forced or m > forced + len(unsure):
                    value = m <= forced
                    if prefix[m] is not value:
                        cnf.add(prefix[m] if value else _neg(prefix[m]))
                        prefix[m] = value
            # issued[m]: at least m of the unsure jobs issued in 0 .. t - 1
            issued: list[int | bool] = [True, *([False] * len(unsure))]
            for lit in unsure:
                issued = _count_on(cnf, issued, lit)
            for k in range(1, len(unsure) + 1):
                have = prefix[forced + k]
                cnf.add(_neg(have), issued[k])
                cnf.add(_neg(issued[k]), have)


def _count_on(cnf: _Cnf, counts: list[int | bool], lit: int | bool) -> list[int | bool]:
    """A unary counter one literal further.

    ``out[m]`` iff ``counts[m]``, or ``counts[m - 1]`` and ``lit``.
    """
    if lit is False:
        return counts
    out: list[int | bool] = [True]
    for m in range(1, len(counts)):
        if counts[m] is True:
            out.append(True)
        elif counts[m - 1] is False:
            out.append(counts[m])
        elif lit is True:
            out.append(counts[m - 1])
        else:
            out.append(cnf.count_step(counts[m], counts[m - 1], lit))
    return out


def _add_counters(
    cnf: _Cnf, idle: Sequence[int], free: Sequence[int], length: int, k_idle: int, k_free: int
) -> tuple[list[list[int | bool]], list[list[int | bool]]]:
    """The unary prefix counters ``D`` and ``F`` of the module docstring and their rules."""
    top = max(k_idle, k_free) + 1
    d_prev: list[int | bool] = [True, *([False] * top)]
    f_prev: list[int | bool] = [True, *([False] * top)]
    d_of = [d_prev]
    f_of = [f_prev]
    for t in range(1, length + 1):
        d_cur: list[int | bool] = [True]
        f_cur: list[int | bool] = [True]
        for m in range(1, top + 1):
            for prev, cur, step in ((d_prev, d_cur, idle[t - 1]), (f_prev, f_cur, free[t])):
                cur.append(cnf.count_step(prev[m], prev[m - 1], step))
            cnf.add(_neg(d_cur[m]), f_cur[m])  # F(t) >= D(t)
        d_prev, f_prev = d_cur, f_cur
        d_of.append(d_cur)
        f_of.append(f_cur)
    cnf.add(d_prev[k_idle])
    cnf.add(_neg(d_prev[k_idle + 1]))
    cnf.add(_neg(f_prev[k_free + 1]))
    return d_of, f_of


def _add_in_flight(
    cnf: _Cnf,
    block: Block,
    y: Callable[[int, int], int | bool],
    d_of: Sequence[Sequence[int | bool]],
    f_of: Sequence[Sequence[int | bool]],
    length: int,
    class_at: dict[tuple[int, int | None], int],
) -> None:
    """Count the results in flight at each cycle boundary and tie them to ``D`` and ``F``.

    A writer is in flight at ``t`` (``1 <= t < length``) when it issued in
    ``0 .. t - 1`` and lands after ``t``: ``y(j, t - 1)`` and not
    ``y(j, t - latency)``. Every result that lands in ``1 .. t`` issued in
    ``0 .. t - 1``, so ``F(t) >= D(t) + X(t)`` with ``X(t)`` the writers in
    flight, and when every job is a counted writer the two sides are equal.
    A unary counter of ``X(t)`` states that per cycle, over the class
    variables ``class_at`` (a class of latency ``k`` that issued in
    ``t - k + 1 .. t - 1``; at most one per cycle) or, without them, over
    one in-flight variable per job; with equality, the
    sum of ``X(t)`` over the cycles is also fixed: each job is in flight at
    ``latency - 1`` boundaries (:func:`_add_profile_sum`).
    """
    exact = all(job.counted_write for job in block.jobs)
    kinds = sorted({job.latency for job in block.jobs if job.writes and job.latency >= 2})
    top = len(d_of[0]) - 1
    profile: list[int | bool] = []
    for t in range(1, length):
        lits: list[int | bool] = []
        if class_at:
            # one issue per cycle: the classes in flight are the ones that
            # issued in the last latency - 1 cycles
            lits.extend(
                class_at[(u, k)]
                for k in kinds
                for u in range(max(t - k + 1, 0), t)
                if (u, k) in class_at
            )
        for j, job in enumerate(block.jobs if not class_at else ()):
            if not job.writes or job.latency < 2:
                continue
            issued, landed = y(j, t - 1), y(j, t - job.latency)
            if issued is False or landed is True:
                continue
            if issued is True and landed is False:
                lits.append(True)
                continue
            var = cnf.new()
            cnf.add(-var, issued)
            cnf.add(-var, _neg(landed))
            cnf.add(_neg(issued), landed, var)
            lits.append(var)
        # sequential counter: at_least[m] <-> at least m of the literals so far
        at_least: list[int | bool] = [True, *([False] * (top + 1))]
        for lit in lits:
            at_least = _count_on(cnf, at_least, lit)
        d, f = d_of[t], f_of[t]
        for m in range(1, top + 2):
            for r in range(top + 1):
                # at least m in flight and r idle -> at least m + r free
                cnf.add(_neg(at_least[m]), _neg(d[r]), f[m + r] if m + r <= top else False)
                if exact and m + r <= top:
                    # at least m + r free, at most r idle -> at least m in flight
                    cnf.add(_neg(f[m + r]), d[r + 1], at_least[m])
        profile.extend(at_least[1 : top + 1])
    if exact:
        _add_profile_sum(cnf, profile, sum(job.latency - 1 for job in block.jobs))


def _add_profile_sum(cnf: _Cnf, profile: Sequence[int | bool], total: int) -> None:
    """Exactly ``total`` of the ``profile`` literals are true (a totalizer encoding).

    The literals are ``X(t) >= m`` for every boundary ``t`` and ``m``, so
    their count is the sum of ``X(t)``. The idle issue cycles and free write
    cycles pay for it: without it the solver cannot see that a ramp of
    results in flight at the start has to drain somewhere (it settles some
    EXPRESS lengths with no conflict at all, where it needed thousands).
    Of the encodings of ``python-sat`` tried, the k-totalizer has about
    40 % fewer clauses and refuted smooth_color at 201 in fewer conflicts,
    but left invert_matrix at 336 open where the totalizer refutes it (in
    1.93 million conflicts); sorting networks were slower.
    """
    from pysat.card import CardEnc, EncType

    fixed = sum(1 for lit in profile if lit is True)
    lits = [lit for lit in profile if lit is not True and lit is not False]
    if total - fixed < 0 or total - fixed > len(lits):
        cnf.add()
        return
    if not lits:
        return
    enc = CardEnc.equals(lits=lits, bound=total - fixed, top_id=cnf.top, encoding=EncType.totalizer)
    cnf.top = max(cnf.top, enc.nv)
    cnf.clauses.extend(tuple(clause) for clause in enc.clauses)


def sat_decide(
    block: Block,
    length: int,
    *,
    paths: Paths | None = None,
    pairs: Sequence[tuple[int, int]] = (),
    time_limit: float | None = None,
    conflicts: int | None = None,
) -> SatResult:
    """Decide with CaDiCaL whether ``block`` has a schedule of ``length`` or less.

    Stops after ``time_limit`` seconds (checked between slices of
    :data:`SLICE_CONFLICTS` conflicts, so it may run over by one slice) or
    after about ``conflicts`` conflicts (CaDiCaL checks its limit now and
    then), whichever comes first; with neither it runs to the end.
    ``paths`` and ``pairs`` as in :func:`encode_length`. Raises
    :class:`RuntimeError` when ``python-sat`` is missing (ask
    :func:`sat_available` first) or when the solver's schedule fails
    :func:`.problem.check_schedule`.
    """
    if not sat_available():
        raise RuntimeError("python-sat is not installed (pip install vtc[exact])")
    from pysat.solvers import Solver

    begun = time.monotonic()
    formula = encode_length(block, length, paths=paths, pairs=pairs)
    if any(not c for c in formula.clauses):
        return SatResult(False, None, 0, time.monotonic() - begun)
    solver: Any = Solver(name=SOLVER, bootstrap_with=[list(c) for c in formula.clauses])
    try:
        verdict: bool | None = None
        spent = 0
        while True:
            budget = (
                SLICE_CONFLICTS if conflicts is None else min(SLICE_CONFLICTS, conflicts - spent)
            )
            if budget <= 0:
                break
            solver.conf_budget(budget)
            verdict = solver.solve_limited()
            spent = int(solver.accum_stats().get("conflicts", 0))
            if verdict is not None:
                break
            if time_limit is not None and time.monotonic() - begun >= time_limit:
                break
        if not verdict:
            return SatResult(verdict, None, spent, time.monotonic() - begun)
        model = solver.get_model()
    finally:
        solver.delete()
    true = {lit for lit in model if lit > 0}
    starts = []
    for cells in formula.issue:
        chosen = [t for t, x in cells if x in true]
        starts.append(chosen[0] if chosen else -1)
    problems = check_schedule(block, starts)
    if problems:
        raise RuntimeError(f"the SAT solver's schedule is not valid: {problems[0]}")
    return SatResult(True, tuple(starts), spent, time.monotonic() - begun)


@dataclass(frozen=True)
class SweepResult:
    """What :func:`sat_sweep` found.

    Attributes
    ----------
    starts:
        The shortest schedule found, or ``None`` when no length below
        ``upper`` turned out feasible.
    bound:
        The lower bound proven: ``lower`` plus the lengths from ``lower`` up
        refuted one after the other. Equal to the length of ``starts`` when
        that schedule is proven optimal.
    verdicts:
        ``(length, verdict)`` for each length tried, in order (verdicts as
        :attr:`SatResult.feasible`).
    conflicts:
        Conflicts in all.
    seconds:
        Wall time in all.
    """

    starts: tuple[int, ...] | None
    bound: int
    verdicts: tuple[tuple[int, bool | None], ...]
    conflicts: int
    seconds: float


def sat_sweep(
    block: Block,
    lower: int,
    upper: int,
    *,
    paths: Paths | None = None,
    pairs: Sequence[tuple[int, int]] = (),
    conflicts: int | None = None,
    time_limit: float | None = None,
) -> SweepResult:
    """Decide the lengths ``lower, lower + 1, ..., upper - 1`` in turn, up to the first feasible.

    ``lower`` must be a valid lower bound and ``upper`` the length of a
    schedule the caller has. Each length gets at most ``conflicts``
    conflicts and the time left of ``time_limit`` split evenly over the
    lengths left. A length left undecided ends the proof (the bound stays
    below it) but not the sweep, which goes on looking for a schedule
    shorter than ``upper``. ``paths`` and ``pairs`` as in
    :func:`encode_length`.
    """
    if paths is None:
        paths = adjust_paths(block)
    begun = time.monotonic()
    bound = lower
    chain = True
    verdicts: list[tuple[int, bool | None]] = []
    spent = 0
    for i, length in enumerate(range(lower, upper)):
        share = None
        if time_limit is not None:
            left = time_limit - (time.monotonic() - begun)
            if left <= 0:
                break
            share = left / (upper - lower - i)
        result = sat_decide(
            block, length, paths=paths, pairs=pairs, time_limit=share, conflicts=conflicts
        )
        spent += result.conflicts
        verdicts.append((length, result.feasible))
        if result.feasible is False:
            if chain:
                bound = length + 1
            continue
        if result.feasible:
            return SweepResult(
                result.starts, bound, tuple(verdicts), spent, time.monotonic() - begun
            )
        chain = False
    return SweepResult(None, bound, tuple(verdicts), spent, time.monotonic() - begun)
