"""``vtc compile MODEL.json``: the main job, a model to an assembled program."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vtc.app.commands.modelargs import add_compile_options, compile_options


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "compile",
        help="compile a model to a ViSARD program",
        description=(
            "Compile MODEL.json: check it, lower it to target operations, optimise, write "
            "NAME.s (the generated assembly, comments naming each instruction's block) and "
            "assemble it into NAME.lst, the image set, NAME.map.json and NAME.report.json. "
            "Prints a summary: cycles per step, time at the target clock, cells, EUs."
        ),
    )
    p.add_argument("model", metavar="MODEL.json", help="model file")
    p.add_argument("-o", "--output", metavar="DIR", default=".", help="output folder (default: .)")
    add_compile_options(p)
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vtc.compiler.driver import compile_model, write_outputs

    comp = compile_model(args.model, compile_options(args))
    paths = write_outputs(comp, Path(args.output))
    if not args.quiet:
        print(comp.summary())
        print(f"wrote {len(paths)} files to {args.output}", file=sys.stderr)
    return 0
