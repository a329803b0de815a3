"""Scheduling quality on the 20 EXPRESS data-flow graphs.

Each graph is scheduled as one straight-line block on the default target,
write port modelled (``benchmarks/dfg.py``), by

* keep-order: the jobs in file order, only the nops timing needs (baseline);
* list: one critical-path list-scheduling pass;
* restarts: :func:`schedule_block` with its default effort (what the
  assembler does);
* search: :func:`schedule_block` with ``--search-restarts`` passes,
  ``--search-moves`` ruin-and-recreate moves (:mod:`vtc.compiler.asm.improve`),
  ``--search-dives`` seeds of the idle search's restarts per length and a
  beam search of width ``--search-beam`` (:mod:`vtc.compiler.asm.beam`)
  (no CP-SAT, no clock: the same figures on every machine);
* sat: the SAT formulation of :mod:`vtc.compiler.asm.satsched` (CaDiCaL,
  with the dominance and symmetry orders of :func:`proof_pairs`),
  deciding the lengths from the best lower bound up to the first feasible
  one with ``--sat-conflicts`` conflicts per graph split evenly over them
  (no clock: the same figures on every machine with the same
  ``python-sat``);
* exact: the exact solver of :mod:`vtc.compiler.asm.exact` (its own SAT
  step, the idle search and CP-SAT) for ``--exact-seconds``, hinted with
  the best of the above and told the bound the SAT sweep proved.

The table gives the lengths, the lower bounds (:func:`lower_bound`, the
class-sequence bound, the occupancy bound of ``vtc.compiler.asm.occupancy``,
the window bound of ``vtc.compiler.asm.windows`` and CP-SAT's), and the gaps
of our best heuristic
schedule ("ours": list, restarts or search) to the best lower bound and to
the best known length (the best of all methods; proven optimal when it
meets a lower bound). The figures go to
``benchmarks/results/schedule_quality.json``.

Run from the repository root::

    .venv/bin/python benchmarks/schedule_quality.py [--quick] [--jobs 2] [--graphs fir1,collapse]

The window bound and the SAT sweep run only on graphs whose heuristic
schedule does not already meet the other bounds, the exact solver only
where the SAT sweep left the best length unproven.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from dfg import DFG_DIR, dfg_files, read_dot, to_block

from vtc.compiler.asm.blocksched import list_schedule, schedule_block
from vtc.compiler.asm.bounds import class_sequence_bound, lower_bound
from vtc.compiler.asm.exact import exact_available, proof_pairs, solve_exact
from vtc.compiler.asm.occupancy import occupancy_bound, profile_from_windows
from vtc.compiler.asm.problem import Block, check_schedule, schedule_length
from vtc.compiler.asm.satsched import sat_available, sat_sweep
from vtc.compiler.asm.windows import window_bound
from vtc.compiler.files import write_text_atomic
from vtc.compiler.machine.target import DEFAULT_TARGET, load_target

RESULTS = Path(__file__).resolve().parent / "results" / "schedule_quality.json"
#: Conflicts of the SAT sweep per graph in a full run, split evenly over the
#: lengths it decides (several minutes on a graph it cannot settle; the
#: hardest length it settles, jpeg_fdct's 139, takes about 110,000).
SAT_CONFLICTS = 2_000_000


@dataclass
class Row:
    """The figures of one graph."""

    name: str
    jobs: int
    lower_bound: int
    class_bound: int
    occupancy_bound: int
    window_bound: int | None
    best_bound: int
    keep_order: int
    list: int
    restarts: int
    restarts_ms: float
    search: int
    search_ms: float
    exact: int | None
    exact_proven: bool
    exact_bound: int | None
    best_known: int
    proven: bool
    ours: int
    bounds_s: float
    exact_s: float
    sat: int | None = None
    sat_bound: int | None = None
    sat_s: float = 0.0

    @property
    def gap_lb(self) -> float:
        return (self.ours - self.best_bound) / self.best_bound

    @property
    def gap_best(self) -> float:
        return (self.ours - self.best_known) / self.best_known

    @property
    def ours_proven(self) -> bool:
        """Our heuristic schedule meets a lower bound, so it is optimal."""
        return self.ours <= self.best_bound

    @property
    def default_proven(self) -> bool:
        """The same for the default effort alone."""
        return self.restarts <= self.best_bound


def _length(block: Block, starts: Any) -> int:
    problems = check_schedule(block, starts)
    if problems:
        raise AssertionError(f"invalid schedule: {problems[0]}")
    return schedule_length(block, starts)


def measure(
    path: Path,
    *,
    search_restarts: int,
    search_moves: int,
    search_dives: int,
    search_beam: int,
    exact_seconds: float,
    sat_conflicts: int,
    window_seconds: float,
    workers: int,
    states: int,
) -> Row:
    """Schedule one graph every way and collect the figures."""
    block = to_block(read_dot(path), load_target(DEFAULT_TARGET))
    tb = time.perf_counter()
    bounds = lower_bound(block)
    class_bound = class_sequence_bound(block, start=bounds.value, state_limit=states)
    occupancy = occupancy_bound(block, lower=bounds.value)
    keep = _length(block, list_schedule(block, keep_order=True))
    first = _length(block, list_schedule(block))
    t0 = time.perf_counter()
    default = schedule_block(block)
    t1 = time.perf_counter()
    search = schedule_block(
        block,
        restarts=search_restarts,
        moves=search_moves,
        dives=search_dives,
        beam=search_beam,
    )
    t2 = time.perf_counter()
    _length(block, default.starts)
    _length(block, search.starts)
    lb = max(bounds.value, class_bound, occupancy)
    ours_sched = min((default, search), key=lambda s: s.length)
    ours = min(first, ours_sched.length)
    window = None
    if ours > lb and window_seconds > 0 and exact_available():
        wb = window_bound(block, lower=lb, time_limit=window_seconds, workers=workers)
        window = max(
            wb.value, occupancy_bound(block, profile=profile_from_windows(wb.free), lower=lb)
        )
        lb = max(lb, window)
    bounds_s = time.perf_counter() - tb - (t2 - t0)
    sat = sat_bound = None
    best_starts = ours_sched.starts if ours_sched.length <= first else list_schedule(block)
    ts = time.perf_counter()
    if ours > lb and sat_conflicts > 0 and sat_available():
        swept = sat_sweep(
            block,
            lb,
            ours,
            pairs=proof_pairs(block),
            conflicts=max(sat_conflicts // (ours - lb), 1),
        )
        sat_bound = swept.bound
        if swept.starts is not None:
            sat = _length(block, swept.starts)
            best_starts = swept.starts
        lb = max(lb, swept.bound)
    sat_s = time.perf_counter() - ts
    exact = None
    te = time.perf_counter()
    if exact_seconds > 0 and exact_available() and min(ours, sat or ours) > lb:
        exact = solve_exact(
            block, time_limit=exact_seconds, hint=best_starts, workers=workers, lower=lb
        )
        if exact is not None:
            _length(block, exact.starts)
    exact_s = time.perf_counter() - te
    best = min(ours, sat or ours, exact.length if exact is not None else ours)
    best_bound = max(lb, exact.bound if exact is not None else lb)
    return Row(
        name=path.stem,
        jobs=len(block.jobs),
        lower_bound=bounds.value,
        class_bound=class_bound,
        occupancy_bound=occupancy,
        window_bound=window,
        best_bound=best_bound,
        keep_order=keep,
        list=first,
        restarts=default.length,
        restarts_ms=(t1 - t0) * 1000,
        search=search.length,
        search_ms=(t2 - t1) * 1000,
        exact=exact.length if exact is not None else None,
        exact_proven=bool(exact is not None and exact.optimal),
        exact_bound=exact.bound if exact is not None else None,
        best_known=best,
        proven=best <= best_bound,
        ours=ours,
        bounds_s=bounds_s,
        exact_s=exact_s,
        sat=sat,
        sat_bound=sat_bound,
        sat_s=sat_s,
    )


def _table(rows: list[Row]) -> str:
    head = (
        f"{'graph':<30} {'N':>4} {'LB':>4} {'DP':>4} {'occ':>4} {'win':>4} {'keep':>5} {'list':>5} "
        f"{'rest':>5} {'search':>6} {'sat':>7} {'exact':>7} {'best':>5} {'bound':>5} {'gapLB':>6} "
        f"{'gapBest':>7} {'secs':>5}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        if r.exact is None:
            exact = "-"
        else:
            exact = f"{r.exact}{'*' if r.exact_proven else ''}"
        best = f"{r.best_known}{'*' if r.proven else ''}"
        if r.sat_bound is None:
            sat = "-"
        else:
            sat = f"{r.sat if r.sat is not None else '?'}/{r.sat_bound}"
        win = "-" if r.window_bound is None else str(r.window_bound)
        lines.append(
            f"{r.name[:30]:<30} {r.jobs:>4} {r.lower_bound:>4} {r.class_bound:>4} "
            f"{r.occupancy_bound:>4} {win:>4} "
            f"{r.keep_order:>5} {r.list:>5} {r.restarts:>5} {r.search:>6} {sat:>7} {exact:>7} "
            f"{best:>5} "
            f"{r.best_bound:>5} {r.gap_lb:>6.1%} {r.gap_best:>7.1%} "
            f"{r.bounds_s + r.sat_s + r.exact_s:>5.1f}"
        )
    return "\n".join(lines)


def _summary(rows: list[Row]) -> dict[str, Any]:
    n = len(rows)
    return {
        "graphs": n,
        "ours_optimal_fraction": sum(r.ours_proven for r in rows) / n,
        "default_optimal_fraction": sum(r.default_proven for r in rows) / n,
        "best_known_proven_fraction": sum(r.proven for r in rows) / n,
        "worst_gap_to_best_known": max(r.gap_best for r in rows),
        "mean_gap_to_best_known": sum(r.gap_best for r in rows) / n,
        "worst_gap_default_to_best_known": max(
            (r.restarts - r.best_known) / r.best_known for r in rows
        ),
        "mean_gap_to_lower_bound": sum(r.gap_lb for r in rows) / n,
        "keep_order_over_best_known": sum(r.keep_order / r.best_known for r in rows) / n,
        "list_over_best_known": sum(r.list / r.best_known for r in rows) / n,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small search, 1 s of CP-SAT")
    parser.add_argument("--folder", type=Path, default=DFG_DIR, help="folder of .dot files")
    parser.add_argument("--search-restarts", type=int, default=None, help="passes of 'search'")
    parser.add_argument("--search-moves", type=int, default=None, help="moves of 'search'")
    parser.add_argument("--search-dives", type=int, default=None, help="dives of 'search'")
    parser.add_argument("--search-beam", type=int, default=None, help="beam width of 'search'")
    parser.add_argument("--exact-seconds", type=float, default=None, help="CP-SAT time per graph")
    parser.add_argument("--sat-conflicts", type=int, default=None, help="SAT conflicts per graph")
    parser.add_argument("--jobs", type=int, default=1, help="graphs measured at once (processes)")
    parser.add_argument(
        "--window-seconds", type=float, default=None, help="window-bound time per graph"
    )
    parser.add_argument(
        "--graphs", default="", help="only graphs whose name contains one of these (comma list)"
    )
    parser.add_argument("--workers", type=int, default=2, help="CP-SAT workers")
    parser.add_argument(
        "--states", type=int, default=None, help="state limit of the class-sequence bound"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="JSON results file (default: results/schedule_quality.json; none with --graphs)",
    )
    args = parser.parse_args(argv)
    search_restarts = args.search_restarts or (300 if args.quick else 3000)
    search_dives = args.search_dives if args.search_dives is not None else (2 if args.quick else 8)
    search_beam = args.search_beam if args.search_beam is not None else (100 if args.quick else 300)
    search_moves = (
        args.search_moves if args.search_moves is not None else (2000 if args.quick else 20_000)
    )
    exact_seconds = (
        args.exact_seconds if args.exact_seconds is not None else (1.0 if args.quick else 60.0)
    )
    sat_conflicts = (
        args.sat_conflicts
        if args.sat_conflicts is not None
        else (50_000 if args.quick else SAT_CONFLICTS)
    )
    window_seconds = (
        args.window_seconds if args.window_seconds is not None else (5.0 if args.quick else 20.0)
    )
    states = args.states or (200_000 if args.quick else 6_000_000)
    files = dfg_files(args.folder)
    wanted = [w for w in args.graphs.split(",") if w]
    if wanted:
        files = [f for f in files if any(w in f.stem for w in wanted)]
    if not files:
        print(f"skipped: no .dot files in {args.folder} (the shared DFG corpus is absent)")
        return 0
    if not exact_available():
        print("note: OR-Tools is not installed, the exact column stays empty")
    rows = []
    started = time.perf_counter()
    settings = {
        "search_restarts": search_restarts,
        "search_moves": search_moves,
        "search_dives": search_dives,
        "search_beam": search_beam,
        "exact_seconds": exact_seconds,
        "sat_conflicts": sat_conflicts,
        "window_seconds": window_seconds,
        "workers": args.workers,
        "states": states,
    }
    with ProcessPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
        # processes even for one job: every graph starts from a fresh interpreter state
        for row in pool.map(partial(measure, **settings), files):
            rows.append(row)
            print(f"  {row.name}: best {row.best_known}, ours {row.ours}", file=sys.stderr)
    print(_table(rows))
    summary = _summary(rows)
    print()
    print(
        f"best known proven optimal (meets a lower bound or the SAT/exact sweep proves it): "
        f"{summary['best_known_proven_fraction']:.0%} of graphs (goal >= 90 %)"
    )
    print(
        f"worst gap to best known: {summary['worst_gap_to_best_known']:.1%} (goal <= 2 %), "
        f"mean {summary['mean_gap_to_best_known']:.2%}; default effort worst "
        f"{summary['worst_gap_default_to_best_known']:.1%}"
    )
    print(
        f"ours (list/restarts/search, no solver) meets the best lower bound (is optimal): "
        f"{summary['ours_optimal_fraction']:.0%} of graphs; default effort alone: "
        f"{summary['default_optimal_fraction']:.0%}; "
        f"keep-order is {summary['keep_order_over_best_known']:.2f}x, "
        f"one list pass {summary['list_over_best_known']:.3f}x the best known on average"
    )
    elapsed = time.perf_counter() - started
    print(
        "LB = lower_bound(), DP = class_sequence_bound(), occ = occupancy_bound(), "
        "win = window_bound() with occupancy_bound() over its windows "
        f"({window_seconds:g} s, '-' when not needed), bound = the best of those and "
        "SAT's and the exact solver's; * = proven optimal;\n"
        f"rest = default effort, search = {search_restarts} passes, {search_moves} moves, "
        f"{search_dives} dives and a beam of {search_beam}, "
        f"sat = SAT sweep, {sat_conflicts} conflicts per graph (found/proven bound, ? = none); "
        f"exact = {exact_seconds:g} s of the exact solver (hinted with the best so far); "
        f"secs = bounds + sat + exact per graph; {elapsed:.0f} s in all"
    )
    output = args.output if args.output is not None else (None if wanted else RESULTS)
    if output is None:
        print("a subset of the graphs: results not written (give --output to keep them)")
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    # the settings under the names the results files have always used
    renamed = {"workers": "exact_workers", "states": "class_bound_states"}
    payload = {
        "target": DEFAULT_TARGET,
        **{renamed.get(key, key): value for key, value in settings.items()},
        "elapsed_seconds": elapsed,
        "graphs": [
            {**vars(r), "gap_lb": r.gap_lb, "gap_best": r.gap_best, "ours_proven": r.ours_proven}
            for r in rows
        ],
        "summary": summary,
    }
    write_text_atomic(output, json.dumps(payload, indent=2) + "\n")
    print(f"written {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
