"""Instruction and cycle counts at -O0, -O1 and -O2 (and -O2 --fast-math) on
every example model.

-O0 is the naive baseline measured in the same run: the lowering as it comes,
in program order with only the ``nop``s timing requires. Figures go to
``benchmarks/results/opt_levels.json``; the table printed gives, per model,
operations after the optimiser, instruction slots, cycles per step, and the
speed-up of -O2 over -O0.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from vtc.compiler.driver import CompileOptions, compile_model
from vtc.compiler.model import load

HERE = Path(__file__).parent
ROOT = HERE.parent

LEVELS = {
    "-O0": CompileOptions(opt_level=0),
    "-O1": CompileOptions(opt_level=1),
    "-O2": CompileOptions(opt_level=2),
    "-O2 fast": CompileOptions(opt_level=2, fast_math=True),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(HERE / "results" / "opt_levels.json"))
    args = ap.parse_args()
    rows = []
    paths = sorted((ROOT / "examples" / "models").glob("*.json"))
    print(f"{'model':<22}" + "".join(f"{k:>22}" for k in LEVELS) + "   O0/O2")
    for path in paths:
        model = load(path)
        row: dict[str, object] = {"model": path.stem}
        cells = []
        for key, opts in LEVELS.items():
            comp = compile_model(model, opts, file=str(path))
            r = comp.report
            row[key] = {
                "operations": r["optimisation"]["operations_after"],
                "instructions": r["instructions"],
                "cycles_per_sample": r["cycles_per_sample"],
                "cells": r["cells"],
            }
            cells.append(
                f"{r['optimisation']['operations_after']:>5} op {r['instructions']:>5} in "
                f"{r['cycles_per_sample']:>6g} cy"
            )
        o0 = row["-O0"]["cycles_per_sample"]  # type: ignore[index]
        o2 = row["-O2"]["cycles_per_sample"]  # type: ignore[index]
        row["speedup_O2_over_O0"] = round(o0 / o2, 3)
        rows.append(row)
        print(f"{path.stem:<22}" + "".join(f"{c:>22}" for c in cells) + f"   x{o0 / o2:.2f}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
