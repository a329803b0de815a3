"""``vtc check MODEL.json``: compiled program against the reference, bit for bit."""

from __future__ import annotations

import argparse
import sys

from vtc.app.commands.modelargs import add_compile_options, compile_options

#: Relative bound (absolute below 1) that ``--fast-math`` results are held to.
FAST_MATH_BOUND = {"single": 1e-3, "double": 1e-9}


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "check",
        help="compile, simulate, and compare with the reference interpreter",
        description=(
            "Compile MODEL.json, run it on the cycle-accurate simulator and on the reference "
            "interpreter with the same seeded random inputs (uniform in --range), and compare "
            "every output bit for bit (any NaN equals any NaN). Under --fast-math outputs "
            "must agree within a relative bound (1e-3 single, 1e-9 double; absolute below 1). "
            "Exit status 1 on a mismatch, naming the first differing step and port."
        ),
    )
    p.add_argument("model", metavar="MODEL.json", help="model file")
    p.add_argument("--steps", type=int, default=100, metavar="N", help="model steps (default 100)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument(
        "--range",
        nargs=2,
        type=float,
        default=(-1.0, 1.0),
        metavar=("LO", "HI"),
        help="input values are drawn uniformly from [LO, HI] (default -1 1)",
    )
    p.add_argument("--inputs", metavar="CSV", help="use these inputs instead of random ones")
    add_compile_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vtc.compiler.driver import check, compile_model
    from vtc.compiler.sim.streams import read_csv

    if args.steps < 1:
        raise SystemExit("vtc check: error: --steps must be at least 1")
    comp = compile_model(args.model, compile_options(args))
    inputs = None
    if args.inputs is not None:
        inputs = read_csv(args.inputs, {p.column: p.format for p in comp.inputs})
    tol = FAST_MATH_BOUND[comp.target.precision] if args.fast_math else None
    lo, hi = args.range
    res = check(comp, args.steps, seed=args.seed, lo=lo, hi=hi, inputs=inputs, tolerance=tol)
    how = f"within {tol:g}" if tol else "bit for bit"
    if res.mismatch is not None:
        step, port, got, want = res.mismatch
        print(
            f"{args.model}: error: mismatch at step {step} on output '{port}': compiled "
            f"{got!r}, reference {want!r}",
            file=sys.stderr,
        )
        return 1
    outs = len(comp.outputs)
    print(
        f"{comp.name}: ok: {res.steps} steps, {outs} output{'s' if outs != 1 else ''} agree "
        f"{how} (seed {args.seed}, -O{args.opt_level}); {comp.report['cycles_per_sample']:g} "
        f"cycles per step"
    )
    return 0
