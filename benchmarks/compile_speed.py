"""Compile time of generated models of 1,000, 10,000 and 100,000 blocks.

Each model (``benchmarks/models.py``: cascades of small IIR filter sections)
is compiled end to end on the ``bench-large`` target: parse and check the
file, elaborate, lower, optimise, emit the assembly, assemble (schedule,
allocate, verify, encode). The figures are the seconds of each stage (best
of ``--repeat``), blocks per second, and the growth factor per tenfold size
(x10 per tenfold size is linear growth).

A program of 100,000 blocks needs more than the 65,536 instruction slots a
target may have (target.md section 7), so at that size the assembler reports
the overflow and only the front end is timed.

Goal (issue 3): 10,000 blocks end to end in at most 10 s, growth close to
linear. Figures go to ``benchmarks/results/compile_speed.json``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from models import lanes  # noqa: E402

from vtc.compiler.asm.driver import no_gc  # noqa: E402
from vtc.compiler.driver import CompileOptions, compile_model  # noqa: E402
from vtc.compiler.errors import VtcError  # noqa: E402
from vtc.compiler.frontend.emit import EmitOptions, emit  # noqa: E402
from vtc.compiler.frontend.lower import LowerOptions, lower  # noqa: E402
from vtc.compiler.frontend.passes import optimise  # noqa: E402
from vtc.compiler.model import elaborate, loads  # noqa: E402


def front_end(text: str) -> dict[str, float]:
    with no_gc():  # as compile_model runs it
        return _front_end(text)


def _front_end(text: str) -> dict[str, float]:
    t0 = time.perf_counter()
    model = loads(text, "gen.json")
    diagram = elaborate(model, "gen.json")
    t1 = time.perf_counter()
    graph = lower(diagram, precision="single", options=LowerOptions(unroll_limit=16))
    graph = optimise(graph, "single")
    t2 = time.perf_counter()
    emit(graph, EmitOptions(name="gen", target="bench-large"))
    t3 = time.perf_counter()
    return {"load": t1 - t0, "lower+optimise": t2 - t1, "emit": t3 - t2}


def measure(n: int, repeat: int) -> dict[str, object]:
    text = lanes(n)
    blocks = json.loads(text)["blocks"]
    best: dict[str, float] | None = None
    fits = True
    instructions = cycles = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        try:
            comp = compile_model(loads(text, "gen.json"), CompileOptions(), file="gen.json")
        except VtcError as exc:
            fits = False
            note = exc.message
            stages = front_end(text)
        else:
            note = ""
            stages = dict(comp.seconds)
            instructions, cycles = comp.report["instructions"], comp.report["cycles"]
        stages["total"] = time.perf_counter() - t0 if fits else sum(stages.values())
        if best is None or stages["total"] < best["total"]:
            best = stages
    assert best is not None
    return {
        "blocks": len(blocks),
        "end_to_end": fits,
        "note": note,
        "seconds": {k: round(v, 4) for k, v in best.items()},
        "blocks_per_second": round(len(blocks) / best["total"]),
        "instructions": instructions,
        "cycles": cycles,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=str(HERE / "results" / "compile_speed.json"))
    args = ap.parse_args()
    rows = []
    for n in args.sizes:
        row = measure(n, args.repeat if n <= 10000 else 1)
        rows.append(row)
        s = row["seconds"]
        what = "end to end" if row["end_to_end"] else "front end only"
        print(
            f"{row['blocks']:>7} blocks: {s['total']:7.2f} s {what} "  # type: ignore[index]
            f"({row['blocks_per_second']} blocks/s; "
            + ", ".join(f"{k} {v:.2f}" for k, v in s.items() if k != "total")  # type: ignore[attr-defined]
            + ")"
            + (f"\n          {row['note']}" if row["note"] else "")
        )
    for a, b in itertools.pairwise(rows):
        if a["end_to_end"] == b["end_to_end"]:
            f = b["seconds"]["total"] / a["seconds"]["total"]  # type: ignore[index]
            print(f"  {a['blocks']} -> {b['blocks']} blocks: time x{f:.1f} (linear: x10)")
    ten = next((r for r in rows if r["blocks"] >= 10000 and r["end_to_end"]), None)
    goal = {"goal_seconds_10k": 10.0}
    if ten is not None:
        goal["seconds_10k"] = ten["seconds"]["total"]  # type: ignore[index]
        print(
            f"goal: 10,000 blocks in <= 10 s: {ten['seconds']['total']:.2f} s "  # type: ignore[index]
            f"{'met' if ten['seconds']['total'] <= 10 else 'NOT met'}"
        )  # type: ignore[index]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"rows": rows, **goal}, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
