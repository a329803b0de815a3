"""Exact scheduling of a straight-line block with CP-SAT (optional).

The model is the problem of :mod:`.problem` as it stands: an integer start
per job, ``AllDifferent`` on the starts (single issue), ``AllDifferent`` on
``start + latency`` of the writing jobs (the write port), one inequality per
edge, and a makespan at least ``start + tail`` of every job, minimised. The
list schedule is the solver's hint and its upper bound, the bounds of
:mod:`.bounds` its lower bound, and every start is confined to
``[head, upper - tail]`` with the adjusted heads and tails
(:func:`.bounds.adjust_paths`).

OR-Tools is an optional extra (``pip install vtc[exact]``): it is imported
only when :func:`solve_exact` runs, which returns ``None`` without it;
:func:`exact_available` says which case holds.
"""

from __future__ import annotations

import importlib.util
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from vtc.compiler.asm.bounds import Paths, adjust_paths, adjusted_bound, longest_paths, lower_bound
from vtc.compiler.asm.problem import Block, check_schedule, schedule_length

__all__ = ["ExactResult", "exact_available", "solve_exact"]


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


def exact_available() -> bool:
    """Whether OR-Tools (CP-SAT) can be imported."""
    try:
        return importlib.util.find_spec("ortools.sat.python.cp_model") is not None
    except ModuleNotFoundError:
        return False


def _decision_sweep(
    block: Block, paths: Paths, lb: int, upper: int, time_limit: float, workers: int
) -> tuple[tuple[int, ...] | None, int, bool] | None:
    """Ask CP-SAT, for each length ``T`` from ``lb`` up, whether a schedule of length ``T`` exists.

    Returns ``(schedule or None, proven lower bound, proven optimal)``: lengths
    proven infeasible raise the bound; the first feasible length gives a
    schedule, optimal when every shorter length was proven infeasible. Each
    length gets an equal share of the time left; one that ends unknown stops
    the proof but not the search for a shorter schedule.
    """
    from ortools.sat.python import cp_model

    lengths = list(range(lb, upper))
    if not lengths:
        return None
    deadline = time.monotonic() + time_limit
    proven_lb = lb
    chain = True
    for i, t in enumerate(lengths):
        # an equal share of what is left: time a quick proof saves goes on
        share = max((deadline - time.monotonic()) / (len(lengths) - i), 0.05)
        model = cp_model.CpModel()
        starts = [
            model.new_int_var(paths.head[j], t - paths.tail[j], f"s{j}")
            for j in range(len(block.jobs))
        ]
        if any(paths.head[j] > t - paths.tail[j] for j in range(len(block.jobs))):
            if chain:
                proven_lb = t + 1
            continue
        model.add_all_different(starts)
        writes = [s + job.latency for s, job in zip(starts, block.jobs, strict=True) if job.writes]
        if len(writes) > 1:
            model.add_all_different(writes)
        for u, v, d in block.edges:
            model.add(starts[v] >= starts[u] + d)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = share
        solver.parameters.num_workers = max(workers, 1)
        solver.parameters.random_seed = 0
        status = solver.solve(model)
        if status == cp_model.INFEASIBLE:
            if chain:
                proven_lb = t + 1
            continue
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            found = tuple(int(solver.value(x)) for x in starts)
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

    # Half the time for the decision sweep: with the length fixed, every
    # start has a tight window and all-different propagates far better than
    # in the minimisation, which often proves infeasibility in seconds.
    swept = _decision_sweep(block, paths, lb, upper, time_limit * 0.75, workers)
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
