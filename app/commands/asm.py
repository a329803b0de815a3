"""``vtc asm PROG.s -o DIR``: assemble a program and write its artefacts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "asm",
        help="assemble a ViSARD program",
        description=(
            "Assemble PROG.s: schedule it for the target, verify the schedule, and write "
            "NAME.lst, the image set (NAME.prog/data/loops.mem and .coe, NAME.image.json), "
            "NAME.map.json and NAME.report.json."
        ),
    )
    p.add_argument("program", metavar="PROG.s", help="assembly source file")
    p.add_argument("-o", "--output", metavar="DIR", default=".", help="output folder (default: .)")
    p.add_argument("--target", metavar="T", help="target name or TOML file (wins over .target)")
    p.add_argument(
        "--keep-order",
        action="store_true",
        help="keep program order, only inserting the nops timing requires",
    )
    p.add_argument(
        "--effort",
        type=int,
        choices=(0, 1, 2),
        default=1,
        help="scheduler effort: 0 one list schedule, 1 restarts (default), 2 also exact solver",
    )
    from vtc.compiler.asm.driver import PIPELINE_DEFAULT

    p.add_argument(
        "--pipeline",
        action=argparse.BooleanOptionalAction,
        default=PIPELINE_DEFAULT,
        help="software-pipeline innermost loops where that is faster "
        f"(default: {'on' if PIPELINE_DEFAULT else 'off'})",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vtc.compiler.asm.driver import assemble_file, write_artefacts

    asm = assemble_file(
        args.program,
        target=args.target,
        keep_order=args.keep_order,
        effort=args.effort,
        pipeline=args.pipeline,
    )
    paths = write_artefacts(asm, Path(args.output))
    if not args.quiet:
        r = asm.report
        print(
            f"{asm.name}: {r['cycles']} cycles per run ({r['time_us']:g} us at "
            f"{r['clock_mhz']:g} MHz), lower bound {r['lower_bound']} "
            f"(gap {r['gap'] * 100:.1f} %), {r['slots']} slots, {r['cells']} cells, "
            f"EUs: {', '.join(r['eus']) or 'none'}"
        )
        for lp in r["loops"]:
            if "ii" not in lp:
                continue
            piped = ""
            if "stages" in lp:
                piped = (
                    f", software-pipelined in {lp['stages']} stages "
                    f"(kernel runs {lp['kernel_count']} times)"
                )
            print(
                f"  loop at {lp['start']:04x}-{lp['end']:04x}: {lp['count']} iterations, "
                f"ii {lp['ii']} (ResMII {lp['res_mii']}, RecMII {lp['rec_mii']}){piped}"
            )
        print(f"wrote {len(paths)} files to {args.output}", file=sys.stderr)
    return 0
