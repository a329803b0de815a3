"""Idle cycles a block cannot avoid at its start and end: the window bound.

The one-machine bounds of :mod:`.bounds` and the class-sequence bound see
the ports, but forget which job depends on which near the ends of the
block. This module looks at those ends exactly. It solves small CP-SAT
problems, so it is part of the exact mode only (like :mod:`.exact`, it needs
OR-Tools and gives nothing without it).

Counting idle cycles
--------------------
Call a job *counted on the issue port* when ``tail >= 1`` (every valid job:
it issues in one of the cycles ``0 .. T - 1`` of a schedule of length
``T``), and *counted on the write port* when it writes and
``1 <= latency <= tail`` (its result lands in one of the cycles ``1 .. T``).
With ``n`` counted jobs, a schedule of length ``T`` leaves exactly ``T - n``
cycles of that range free of counted jobs, so for two disjoint windows of the
range,

    T >= n + free(first window) + free(last window).

The windows are the first ``a`` cycles and the last ``b`` cycles of the
range; they are disjoint when ``a + b <= T``, which holds once ``a + b`` is at
most a lower bound already proven. ``free`` is at least the window's width
minus the largest number of counted jobs that *any* schedule can place in
it, and that largest number is bounded from above by the solver.

The window problems
-------------------
For the first ``a`` cycles of the issue port, the jobs placed there must
form a set closed under predecessors (an edge ``u -> v`` with delay ``d >= 0``
puts ``u`` at ``s_v - d < a`` or earlier). Each job ``j`` in the set issues at
``s_j`` in ``[head_j, a - 1]``, the issue cycles are distinct, the writes
``s_j + latency_j`` of the writers are distinct, and the edges inside the set
hold. Every schedule of the block, restricted to the jobs it issues before
``a``, is such a placement; so the maximum over placements bounds the jobs
any schedule issues in the window. The end of the block is the same problem
backwards, on ``r = T - s >= tail`` (successors close the set), and the
write port the same again on the cycles ``s + latency`` (a predecessor
``u`` of a job writing by ``a`` writes by ``a`` too when
``latency_u <= latency_v + d``; only then is the set closed). Heads and tails
are the adjusted ones of :func:`.bounds.adjust_paths`, which every schedule
meets.

Each problem is a small time-indexed 0-1 program (one variable per job and
cycle of the window, at most one job per issue cycle and per write cycle,
precedence in the strong "started by" form). CP-SAT's proven bound on the
maximum is all the bound uses, so a problem that runs out of time still
gives a valid, weaker, bound (none at all when the solver stopped before
its first solution: its bound is then meaningless).
"""

from __future__ import annotations

import importlib.util
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from vtc.compiler.asm.bounds import Paths, adjust_paths, longest_paths, lower_bound
from vtc.compiler.asm.problem import Block

__all__ = [
    "DEFAULT_WIDTHS",
    "Port",
    "Side",
    "WindowBound",
    "counted_jobs",
    "window_bound",
    "window_capacity",
]

Port = Literal["issue", "write"]
Side = Literal["start", "end"]

#: Window widths :func:`window_bound` tries by default.
DEFAULT_WIDTHS = (4, 8, 12, 16, 20, 24, 28, 32, 40)


@dataclass(frozen=True)
class WindowBound:
    """The window bound of a block and what it was made of.

    Attributes
    ----------
    value:
        The bound: no schedule is shorter (0 when nothing was computed).
    free:
        ``(side, port, width) -> cycles`` of that window that every schedule
        leaves free of counted jobs (at least 0).
    """

    value: int
    free: dict[tuple[Side, Port, int], int]


def _available() -> bool:
    try:
        return importlib.util.find_spec("ortools.sat.python.cp_model") is not None
    except ModuleNotFoundError:
        return False


def counted_jobs(block: Block, port: Port) -> list[int]:
    """The jobs counted on ``port`` (module docstring): each lands in its range."""
    if port == "issue":
        return [j for j, job in enumerate(block.jobs) if job.tail >= 1]
    return [j for j, job in enumerate(block.jobs) if job.counted_write]


def window_capacity(
    block: Block,
    paths: Paths,
    side: Side,
    port: Port,
    width: int,
    *,
    time_limit: float = 1.0,
    workers: int = 1,
) -> int:
    """At most this many counted jobs use ``port`` in the window (module docstring).

    The window is cycles ``0 .. width - 1`` (issue) or ``1 .. width`` (write)
    for ``side="start"``, and the last ``width`` cycles of the same range for
    ``side="end"``. ``paths`` must hold valid heads and tails (those of
    :func:`.bounds.longest_paths` or :func:`.bounds.adjust_paths`). The value
    is CP-SAT's proven upper bound on the maximum, so a short
    ``time_limit`` only weakens it; without OR-Tools it is ``width``.
    """
    return _capacity(block, paths, side, port, width, time_limit, workers)[0]


def _capacity(
    block: Block,
    paths: Paths,
    side: Side,
    port: Port,
    width: int,
    time_limit: float,
    workers: int,
) -> tuple[int, bool]:
    """:func:`window_capacity` and whether the solver proved it exact."""
    if width <= 0:
        return 0, True
    if not _available():
        return width, False
    from ortools.sat.python import cp_model

    jobs = block.jobs
    lat = [job.latency for job in jobs]
    counted = counted_jobs(block, port)
    # Cycle range of each job inside the window: the issue cycle s for the
    # start, r = T - s for the end (so that the length T drops out).
    window: dict[int, tuple[int, int]] = {}
    for j in counted:
        if side == "start":
            lo = paths.head[j]
            hi = width - 1 if port == "issue" else width - lat[j]
        else:
            lo = paths.tail[j]
            hi = width if port == "issue" else width - 1 + lat[j]
        if lo <= hi:
            window[j] = (lo, hi)
    if not window:
        return 0, True
    model = cp_model.CpModel()
    x: dict[tuple[int, int], Any] = {}
    present: dict[int, Any] = {}
    issue: dict[int, list[Any]] = {}
    write: dict[int, list[Any]] = {}
    for j, (lo, hi) in window.items():
        here = []
        for t in range(lo, hi + 1):
            var = model.new_bool_var(f"x{j}_{t}")
            x[j, t] = var
            here.append(var)
            issue.setdefault(t, []).append(var)
            if jobs[j].writes:
                # distinct write cycles: s + latency, or r - latency at the end
                write.setdefault(t + lat[j] if side == "start" else t - lat[j], []).append(var)
        present[j] = model.new_bool_var(f"p{j}")
        model.add(sum(here) == present[j])
    for group in (*issue.values(), *write.values()):
        if len(group) > 1:
            model.add_at_most_one(group)
    counted_set = set(counted)
    for u, v, d in block.edges:
        if u not in window or v not in window:
            # A counted job outside ``window`` never lands in the window, so
            # neither does a job the window set would have to close over it.
            closed = u in counted_set and v in counted_set and _closed(port, lat, u, v, d)
            if closed and side == "start" and v in window:
                model.add(present[v] == 0)
            if closed and side == "end" and u in window:
                model.add(present[u] == 0)
            continue
        # Both in ``window``. Start: v issued by t needs u issued by t - d;
        # end (r = T - s): u at r <= t needs v at r <= t - d. When the set is
        # closed along the edge this also puts the other job in the window;
        # otherwise it binds only when the other job is in the window.
        first, second = (v, u) if side == "start" else (u, v)
        lo_f, hi_f = window[first]
        lo_s, hi_s = window[second]
        slack = 0 if _closed(port, lat, u, v, d) else 1 - present[second]
        for t in range(lo_f, hi_f + 1):
            model.add(
                sum(x[first, k] for k in range(lo_f, t + 1))
                <= sum(x[second, k] for k in range(lo_s, min(hi_s, t - d) + 1)) + slack
            )
    model.maximize(sum(present.values()))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(time_limit, 0.01)
    solver.parameters.num_workers = max(workers, 1)
    solver.parameters.random_seed = 0
    status = solver.solve(model)
    cap = min(width, len(window))
    if status == cp_model.OPTIMAL:
        return min(cap, round(solver.objective_value)), True
    if status == cp_model.FEASIBLE:
        # With a solution in hand the solver's bound is proven; without one
        # (UNKNOWN) it means nothing, so the window then gives no bound.
        bound = solver.best_objective_bound
        if math.isfinite(bound) and bound >= solver.objective_value:
            return min(cap, math.floor(bound + 1e-6)), False
    return cap, False


def _closed(port: Port, lat: Sequence[int], u: int, v: int, d: int) -> bool:
    """Whether the window set is closed along the edge ``u -> v`` (module docstring).

    On the issue port when ``d >= 0``; on the write port when
    ``latency_u <= latency_v + d``, so that ``u`` writes no later than
    ``v``'s issue cycle minus ``d`` plus its own latency, inside the window.
    """
    if port == "issue":
        return d >= 0
    return lat[u] <= lat[v] + d


def window_bound(
    block: Block,
    paths: Paths | None = None,
    *,
    lower: int = 0,
    widths: Sequence[int] = DEFAULT_WIDTHS,
    time_limit: float = 5.0,
    workers: int = 1,
) -> WindowBound:
    """The window bound of ``block`` (module docstring).

    Parameters
    ----------
    paths:
        Valid heads and tails; by default :func:`.bounds.adjust_paths`.
    lower:
        A lower bound already proven (``lower_bound(block).value`` is used
        when larger). Two windows are combined only when their widths add up
        to at most this, which keeps them disjoint in every schedule.
    widths:
        The window widths to try on each side of each port, smallest first;
        a side stops at the first width its problem was not solved exactly
        within its time (wider ones are harder still).
    time_limit:
        Seconds for all window problems together: a quarter for each side of
        each port.

    A window of width ``w`` keeps at least the free cycles proven for any
    narrower one (a schedule places at most one more job in one more cycle),
    so every width inherits the best value below it. Returns
    ``WindowBound(0, {})`` without OR-Tools or jobs.
    """
    if not block.jobs or not _available():
        return WindowBound(0, {})
    plain = longest_paths(block)
    p = paths if paths is not None else adjust_paths(block, plain)
    floor = max(lower, lower_bound(block, plain, adjust=False).value)
    usable = sorted({w for w in widths if 0 < w <= floor})
    free: dict[tuple[Side, Port, int], int] = {}
    series: list[tuple[Side, Port]] = [
        ("start", "write"),
        ("end", "issue"),
        ("start", "issue"),
        ("end", "write"),
    ]
    deadline = time.monotonic()
    for side, port in series:
        deadline += time_limit / len(series)
        best = 0
        exact = True
        for w in usable:
            left = deadline - time.monotonic()
            if exact and left > 0:
                cap, exact = _capacity(block, p, side, port, w, left, workers)
                best = max(best, w - cap)
            free[side, port, w] = best
    value = 0
    sizes = [0, *usable]
    for port in ("issue", "write"):
        n = len(counted_jobs(block, port))
        for a in sizes:
            for b in sizes:
                if a + b <= floor:
                    value = max(
                        value,
                        n + free.get(("start", port, a), 0) + free.get(("end", port, b), 0),
                    )
    return WindowBound(value, free)
