"""Exact scheduling of a straight-line block with CP-SAT (optional).

The model is the problem of :mod:`.problem` as it stands: an integer start
per job, ``AllDifferent`` on the starts (single issue), ``AllDifferent`` on
``start + latency`` of the writing jobs (the write port), one inequality per
edge, and a makespan at least ``start + tail`` of every job, minimised. The
list schedule is the solver's hint and its upper bound, the bounds of
:mod:`.bounds` its lower bound, and every start is confined to
``[head, upper - tail]`` with the adjusted heads and tails
(:func:`.bounds.adjust_paths`).

Before minimising, :func:`solve_exact` asks for each length from the lower
bound up whether a schedule that short exists (the decision sweep): with
the length fixed every start has a tight window. Each length goes first to
the SAT formulation of :mod:`.satsched` and CaDiCaL (:data:`SAT_SHARE` of
its time, when ``python-sat`` is installed), which decides most lengths of
the EXPRESS graphs that nothing else here settles, then to the idle search
of :mod:`.idlesearch` (:data:`SEARCH_SHARE` of the time left, forwards and
backwards in time with randomised restarts,
:func:`.idlesearch.search_restarts`),
then to two CP-SAT decision models in turn (:func:`_decide`). The SAT step
and the first CP-SAT model order the jobs of each pair :func:`proof_pairs`
finds: the dominance pairs of :func:`dominance_pairs` and the symmetry
orders of :func:`.symmetry.symmetry_pairs` (which removes schedules that
differ only by swapping such jobs, or by mapping the block onto itself,
without losing every optimal one). That first CP-SAT model is built to
prove: it searches chronologically (earliest start
first) next to CP-SAT's default search and, when the windows are small
enough, also sees the schedule cycle by cycle with the idle cycles of both
ports counted (:func:`_add_slots`); these settle lengths that the plain
model leaves open for minutes. The second is the plain model with CP-SAT's
default search, which finds schedules the first one often misses. The
minimisation after the sweep uses the plain model too.

OR-Tools and ``python-sat`` are an optional extra (``pip install vtc[exact]``):
they are imported only when :func:`solve_exact` runs, which returns ``None``
without OR-Tools and skips the SAT step without ``python-sat``;
:func:`exact_available` and :func:`.satsched.sat_available` say which case
holds.
"""

from __future__ import annotations

import importlib.util
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from vtc.compiler.asm.bounds import Paths, adjust_paths, adjusted_bound, longest_paths, lower_bound
from vtc.compiler.asm.idlesearch import applicable, mirror_block, search_restarts
from vtc.compiler.asm.problem import Block, check_schedule, schedule_length
from vtc.compiler.asm.satsched import sat_available, sat_decide
from vtc.compiler.asm.symmetry import symmetry_pairs

__all__ = [
    "PROVE_SHARE",
    "SAT_SHARE",
    "SEARCH_SHARE",
    "SLOT_LIMIT",
    "ExactResult",
    "dominance_pairs",
    "exact_available",
    "mirror_dominance_pairs",
    "proof_pairs",
    "respect_pairs",
    "solve_exact",
]


@dataclass(frozen=True)
class ExactResult:
    """What the exact solver found.

    Attributes
    ----------
    starts:
        The best schedule found (the hint when the solver found nothing better).
    length:
        Its length.
    optimal:
        Whether the length is proven optimal.
    bound:
        The best lower bound known: the solver's, or the one of
        :mod:`.bounds` if that is larger. Equal to ``length`` when optimal.
    """

    starts: tuple[int, ...]
    length: int
    optimal: bool
    bound: int


#: Decision models whose jobs have at most this many issue cycles in their
#: windows in all also get the cycle-by-cycle variables of :func:`_add_slots`.
SLOT_LIMIT = 40_000
#: Share of each length's time in the decision sweep that goes to the SAT
#: solver (:mod:`.satsched`, when ``python-sat`` is installed) first.
SAT_SHARE = 0.6
#: Share of what is left of each length's time in the decision sweep that
#: goes to the idle search (:mod:`.idlesearch`) before CP-SAT gets the rest.
SEARCH_SHARE = 0.6
#: Share of each CP-SAT decision (:func:`_decide`) that goes to the model
#: built to prove before the plain model gets the rest.
PROVE_SHARE = 0.3


def exact_available() -> bool:
    """Whether OR-Tools (CP-SAT) can be imported."""
    try:
        return importlib.util.find_spec("ortools.sat.python.cp_model") is not None
    except ModuleNotFoundError:
        return False


def dominance_pairs(block: Block) -> list[tuple[int, int]]:
    """Pairs ``(u, v)`` such that some optimal schedule has ``s[u] < s[v]`` for all of them.

    ``u`` *dominates* ``v`` when both have the same latency, write flag and
    tail, every edge into ``u`` also enters ``v`` (from the same job) with at
    least the same delay, and every edge out of ``v`` also leaves ``u`` (to
    the same job) with at least the same delay. A pair is listed when ``u``
    dominates ``v`` and either ``v`` does not dominate ``u`` or (the two are
    interchangeable) ``u < v``. The block must be acyclic.

    Why every optimal schedule can be made to meet all pairs at once: the
    listed relation is acyclic (dominance is a preorder, ties go by index),
    so it has a linear extension ``L``. In a schedule with ``s[v] < s[u]``
    for a listed ``(u, v)``, swap the two start cycles: the issue cycles are
    the same set, so are the write cycles (equal latencies) and the ends
    ``s + tail``; ``u`` moves earlier, to where ``v`` already met every edge
    into it (``u``'s are among them, no longer); ``v`` moves later, where
    ``u`` already met every edge out of it; an edge between the two, if any,
    only gains slack. The schedule stays valid and no longer, and the number
    of pairs issued against ``L`` drops, so repeating ends in a schedule that
    meets every listed pair.

    Costs ``O(n^2)`` pairs of same-kind jobs at most, each ``O(degree)``.
    """
    n = len(block.jobs)
    into: list[dict[int, int]] = [{} for _ in range(n)]
    out: list[dict[int, int]] = [{} for _ in range(n)]
    for (u, v), d in block.largest_delays().items():
        into[v][u] = d
        out[u][v] = d

    def dominates(a: int, b: int) -> bool:
        # edges into a also enter b, no shorter; edges out of b also leave a, no shorter
        return all(p in into[b] and into[b][p] >= d for p, d in into[a].items()) and all(
            w in out[a] and out[a][w] >= d for w, d in out[b].items()
        )

    kinds: dict[tuple[int, bool, int], list[int]] = {}
    for j, job in enumerate(block.jobs):
        kinds.setdefault((job.latency, job.writes, job.tail), []).append(j)
    pairs: list[tuple[int, int]] = []
    for members in kinds.values():
        for u in members:
            for v in members:
                if u != v and dominates(u, v) and (u < v or not dominates(v, u)):
                    pairs.append((u, v))
    return pairs


def proof_pairs(block: Block) -> list[tuple[int, int]]:
    """:func:`dominance_pairs` and the symmetry pairs of :func:`.symmetry.symmetry_pairs`, sorted.

    Orders ``start[u] < start[v]`` that some schedule of every feasible
    length meets, all at once (:mod:`.symmetry` says why the two lists may
    be combined), for the decisions that impose them: the SAT formula and
    CP-SAT's proving model. Not for the idle search, which also imposes the
    mirror pairs. The block must be acyclic.
    """
    return sorted(set(dominance_pairs(block)) | set(symmetry_pairs(block)))


def mirror_dominance_pairs(block: Block) -> list[tuple[int, int]]:
    """:func:`dominance_pairs` of the block backwards in time (:func:`.idlesearch.mirror_block`).

    What :func:`.idlesearch.search_restarts` takes as ``mirror_pairs``; empty
    when the block has no mirror.
    """
    back = mirror_block(block)
    return dominance_pairs(back) if back is not None else []


def respect_pairs(starts: Sequence[int], pairs: Sequence[tuple[int, int]]) -> list[int]:
    """``starts`` with the start cycles of violated pairs swapped until none is.

    The swaps of :func:`dominance_pairs`'s proof: for pairs from that
    function and a valid schedule, the result is a valid schedule of the
    same length with ``s[u] < s[v]`` for every pair. Ends after at most
    ``n * (n - 1) / 2`` swaps (each removes an inversion).
    """
    out = list(starts)
    changed = True
    while changed:
        changed = False
        for u, v in pairs:
            if out[u] > out[v]:
                out[u], out[v] = out[v], out[u]
                changed = True
    return out


def _configure(solver: Any, workers: int) -> None:
    """Chronological search next to CP-SAT's default one (module docstring)."""
    from ortools.sat.python import cp_model

    solver.parameters.random_seed = 0
    if workers >= 2:
        solver.parameters.num_workers = workers
        solver.parameters.subsolvers.extend(["fixed", "default_lp"])
    else:
        solver.parameters.num_workers = 1
        solver.parameters.search_branching = cp_model.FIXED_SEARCH


def _add_slots(model: Any, block: Block, paths: Paths, starts: Sequence[Any], length: int) -> None:
    """Add the cycle-by-cycle view of a schedule of ``length`` to a decision model.

    One 0-1 variable per job and issue cycle of its window (channelled to
    its start), and per cycle an idle variable for each port: issue cycle
    ``c`` in ``0 .. length - 1`` holds exactly one job or is idle, write
    cycle ``w`` in ``1 .. length`` holds exactly one result of a writer
    with latency ``>= 1`` or is free. All of that only restates the model.
    What it adds is, for every ``t``, that the write cycles ``1 .. t`` are
    free at least as often as the issue cycles ``0 .. t - 1`` are idle: those
    results all come from jobs issued in ``0 .. t - 1`` (latency ``>= 1``),
    no more than issued there. Counted over the whole block, both ports
    then have the same few free cycles to spend, which the solver reasons
    about far better with these variables (it settles lengths the plain
    model leaves open for minutes).
    """
    issue: dict[int, list[Any]] = {}
    write: dict[int, list[Any]] = {}
    for j, job in enumerate(block.jobs):
        lo, hi = paths.head[j], length - paths.tail[j]
        cells = []
        for c in range(lo, hi + 1):
            var = model.new_bool_var(f"x{j}_{c}")
            cells.append(var)
            issue.setdefault(c, []).append(var)
            if job.writes and job.latency >= 1:
                write.setdefault(c + job.latency, []).append(var)
        model.add_exactly_one(cells)
        model.add(starts[j] == sum(c * var for c, var in enumerate(cells, lo)))
    idle_issue = []
    for c in range(length):
        idle = model.new_bool_var(f"idle{c}")
        model.add_exactly_one([*issue.get(c, []), idle])
        idle_issue.append(idle)
    free_write = []
    for w in range(1, length + 1):
        free = model.new_bool_var(f"free{w}")
        model.add_exactly_one([*write.get(w, []), free])
        free_write.append(free)
    for t in range(1, length + 1):
        model.add(sum(free_write[:t]) >= sum(idle_issue[:t]))


def _decision_model(
    block: Block,
    paths: Paths,
    pairs: Sequence[tuple[int, int]],
    length: int,
    *,
    prove: bool,
) -> tuple[Any, list[Any]]:
    """The CP-SAT model "is there a schedule of ``length``?" and its start variables.

    ``prove=True`` adds ``pairs`` (as ``s[u] < s[v]``), :func:`_add_slots`
    (when small enough) and a chronological decision strategy; ``prove=False``
    is the plain model, left to CP-SAT's default search.
    """
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    starts = [
        model.new_int_var(paths.head[j], length - paths.tail[j], f"s{j}")
        for j in range(len(block.jobs))
    ]
    model.add_all_different(starts)
    writes = [s + job.latency for s, job in zip(starts, block.jobs, strict=True) if job.writes]
    if len(writes) > 1:
        model.add_all_different(writes)
    for u, v, d in block.edges:
        model.add(starts[v] >= starts[u] + d)
    if prove:
        for u, v in pairs:
            model.add(starts[u] < starts[v])
        slots = sum(length - paths.tail[j] - paths.head[j] + 1 for j in range(len(block.jobs)))
        if slots <= SLOT_LIMIT:
            _add_slots(model, block, paths, starts, length)
        model.add_decision_strategy(starts, cp_model.CHOOSE_LOWEST_MIN, cp_model.SELECT_MIN_VALUE)
    return model, starts


def _decide(
    block: Block,
    paths: Paths,
    pairs: Sequence[tuple[int, int]],
    length: int,
    seconds: float,
    workers: int,
) -> tuple[bool | None, tuple[int, ...] | None]:
    """Ask CP-SAT whether a schedule of ``length`` exists: ``(verdict, schedule)``.

    Two models in turn (:func:`_decision_model`): the one built to prove,
    with the chronological search of :func:`_configure`, for
    :data:`PROVE_SHARE` of ``seconds``, then the plain one with CP-SAT's
    default search, which finds schedules the first one misses, for the
    rest. The verdict is ``None`` when neither decided.
    """
    from ortools.sat.python import cp_model

    deadline = time.monotonic() + seconds
    for prove in (True, False):
        left = deadline - time.monotonic()
        if left <= 0.01:
            break
        model, starts = _decision_model(block, paths, pairs, length, prove=prove)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = left * PROVE_SHARE if prove else left
        if prove:
            _configure(solver, workers)
        else:
            solver.parameters.num_workers = max(workers, 1)
            solver.parameters.random_seed = 0
        status = solver.solve(model)
        if status == cp_model.INFEASIBLE:
            return False, None
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            found = tuple(int(solver.value(x)) for x in starts)
            problems = check_schedule(block, found)
            if problems:
                raise RuntimeError(f"CP-SAT returned an invalid schedule: {problems[0]}")
            return True, found
    return None, None


def _decision_sweep(
    block: Block,
    paths: Paths,
    pairs: Sequence[tuple[int, int]],
    proof: Sequence[tuple[int, int]],
    lb: int,
    upper: int,
    time_limit: float,
    workers: int,
) -> tuple[tuple[int, ...] | None, int, bool] | None:
    """Decide, for each length ``T`` from ``lb`` up, whether a schedule of length ``T`` exists.

    Returns ``(schedule or None, proven lower bound, proven optimal)``: lengths
    proven infeasible raise the bound; the first feasible length gives a
    schedule, optimal when every shorter length was proven infeasible. Each
    length gets an equal share of the time left: :data:`SAT_SHARE` of it for
    :func:`.satsched.sat_decide` (when ``python-sat`` is installed), then
    :data:`SEARCH_SHARE` of the rest for :func:`.idlesearch.search_restarts`
    (when the block suits it), the rest for CP-SAT. A length that ends
    unknown stops the proof but not the search for a shorter schedule.
    ``pairs`` are :func:`dominance_pairs`, imposed as ``s[u] < s[v]`` by the
    idle search; ``proof`` are :func:`proof_pairs`, imposed by the SAT
    formula and CP-SAT.
    """

    lengths = list(range(lb, upper))
    if not lengths:
        return None
    deadline = time.monotonic() + time_limit
    proven_lb = lb
    chain = True
    searchable = SEARCH_SHARE > 0 and applicable(block)
    mirror_pairs = mirror_dominance_pairs(block) if searchable else []

    def by_sat(t: int, seconds: float) -> tuple[bool | None, tuple[int, ...] | None]:
        found = sat_decide(block, t, paths=paths, pairs=proof, time_limit=seconds)
        return found.feasible, found.starts

    def by_search(t: int, seconds: float) -> tuple[bool | None, tuple[int, ...] | None]:
        found = search_restarts(
            block, t, paths=paths, pairs=pairs, mirror_pairs=mirror_pairs, time_limit=seconds
        )
        return found.feasible, found.starts

    # the deciders before CP-SAT, each with its share of what is left of a length's time
    first: list[tuple[float, Callable[[int, float], tuple[bool | None, tuple[int, ...] | None]]]]
    first = []
    if SAT_SHARE > 0 and sat_available():
        first.append((SAT_SHARE, by_sat))
    if searchable:
        first.append((SEARCH_SHARE, by_search))
    for i, t in enumerate(lengths):
        if time.monotonic() >= deadline:
            break  # the lengths left stay undecided
        # an equal share of what is left: time a quick proof saves goes on
        share = max((deadline - time.monotonic()) / (len(lengths) - i), 0.05)
        verdict: bool | None = None
        for fraction, decide in first:
            begun = time.monotonic()
            verdict, found = decide(t, share * fraction)
            if verdict is True and found is not None:
                return found, proven_lb, chain and proven_lb >= t
            if verdict is False:
                break
            share = max(share - (time.monotonic() - begun), 0.05)
        if verdict is False:
            if chain:
                proven_lb = t + 1
            continue
        if any(paths.head[j] > t - paths.tail[j] for j in range(len(block.jobs))):
            if chain:
                proven_lb = t + 1
            continue
        verdict, found = _decide(block, paths, proof, t, share, workers)
        if verdict is False:
            if chain:
                proven_lb = t + 1
            continue
        if verdict and found is not None:
            return found, proven_lb, chain and proven_lb >= t
        chain = False
    return None, proven_lb, False


def solve_exact(
    block: Block,
    *,
    time_limit: float,
    hint: Sequence[int] | None = None,
    workers: int = 2,
    lower: int = 0,
) -> ExactResult | None:
    """Minimise the length of ``block`` with CP-SAT within ``time_limit`` seconds.

    ``hint`` is a valid schedule to start from (by default, the list
    schedule); its length bounds the search from above. ``lower`` is a lower
    bound the caller knows beyond those of :func:`.bounds.lower_bound` (say,
    :func:`.bounds.class_sequence_bound`); it must be valid, since the solver
    takes it as given. Returns ``None`` when OR-Tools is not installed.
    Raises :class:`ValueError` when ``hint`` is not a valid schedule of
    ``block``.
    """
    if not exact_available():
        return None
    from ortools.sat.python import cp_model

    from vtc.compiler.asm.blocksched import list_schedule

    start_hint = list(hint) if hint is not None else list_schedule(block)
    problems = check_schedule(block, start_hint)
    if problems:
        raise ValueError(f"the hint is not a valid schedule: {problems[0]}")
    plain = longest_paths(block)
    paths = adjust_paths(block, plain)
    lb = max(lower_bound(block, plain, adjust=False).value, adjusted_bound(block, paths), lower)
    upper = schedule_length(block, start_hint)
    if upper <= lb:
        return ExactResult(starts=tuple(start_hint), length=upper, optimal=True, bound=upper)
    pairs = dominance_pairs(block)
    proof = proof_pairs(block)

    # Three quarters of the time for the decision sweep: with the length fixed, every
    # start has a tight window and all-different propagates far better than
    # in the minimisation, which often proves infeasibility in seconds.
    swept = _decision_sweep(block, paths, pairs, proof, lb, upper, time_limit * 0.75, workers)
    if swept is not None:
        shorter, lb, proven = swept
        if shorter is not None:
            start_hint, upper = list(shorter), schedule_length(block, shorter)
        if proven or upper <= lb:
            return ExactResult(starts=tuple(start_hint), length=upper, optimal=True, bound=upper)
        time_limit *= 0.25

    model = cp_model.CpModel()
    jobs = block.jobs
    starts = [
        model.new_int_var(paths.head[j], upper - paths.tail[j], f"s{j}") for j in range(len(jobs))
    ]
    makespan = model.new_int_var(lb, upper, "length")
    model.add_all_different(starts)
    writes = [s + job.latency for s, job in zip(starts, jobs, strict=True) if job.writes]
    if len(writes) > 1:
        model.add_all_different(writes)
    for u, v, d in block.edges:
        model.add(starts[v] >= starts[u] + d)
    for s, job in zip(starts, jobs, strict=True):
        model.add(makespan >= s + job.tail)
    model.minimize(makespan)
    # The plain model: it finds shorter schedules more often without the
    # dominance pairs (measured on the EXPRESS graphs).
    for s, h in zip(starts, start_hint, strict=True):
        model.add_hint(s, h)
    model.add_hint(makespan, upper)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(time_limit, 0.001)
    solver.parameters.num_workers = max(workers, 1)
    solver.parameters.random_seed = 0
    status = solver.solve(model)
    if status in (cp_model.INFEASIBLE, cp_model.MODEL_INVALID):
        # The hint is a valid schedule inside every domain (the adjusted heads
        # and tails of .bounds), so one of those is wrong: say so rather than
        # return nonsense.
        raise RuntimeError(f"CP-SAT: {solver.status_name(status)} model for a feasible block")
    if status == cp_model.UNKNOWN:
        bound = lb
    else:
        bound = max(lb, math.ceil(solver.best_objective_bound - 1e-6))
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        found = [int(solver.value(s)) for s in starts]
        length = schedule_length(block, found)
        if length <= upper:
            optimal = status == cp_model.OPTIMAL or length <= bound
            return ExactResult(
                starts=tuple(found),
                length=length,
                optimal=optimal,
                bound=length if optimal else min(bound, length),
            )
    return ExactResult(
        starts=tuple(start_hint), length=upper, optimal=upper <= bound, bound=min(bound, upper)
    )
