"""Options shared by the model commands (compile, sim on a model, check)."""

from __future__ import annotations

import argparse

from vtc.compiler.driver import CompileOptions


def add_compile_options(p: argparse.ArgumentParser, *, target: bool = True) -> None:
    """``-O0|-O1|-O2``, ``--fast-math``, ``--target``, ``--allow-overrun``."""
    p.add_argument(
        "-O",
        dest="opt_level",
        type=int,
        choices=(0, 1, 2),
        default=1,
        metavar="LEVEL",
        help="optimisation: -O0 none (program order), -O1 exact (default), -O2 also "
        "unrolls more and tries harder to schedule",
    )
    p.add_argument(
        "--fast-math",
        action="store_true",
        help="also apply inexact rewrites (reassociation, rsqrt, expression simplification)",
    )
    if target:
        p.add_argument(
            "--target", metavar="T", help="target name or TOML file (wins over the model's)"
        )
    p.add_argument(
        "--allow-overrun",
        action="store_true",
        help="compile even when a step takes longer than the model's sample_time",
    )


def compile_options(args: argparse.Namespace) -> CompileOptions:
    return CompileOptions(
        opt_level=args.opt_level,
        fast_math=args.fast_math,
        target=args.target,
        allow_overrun=args.allow_overrun,
    )


def is_model(path: str) -> bool:
    """Whether a command-line file is a model (``*.json`` but not an image set)."""
    return path.endswith(".json") and not path.endswith(
        (".image.json", ".map.json", ".report.json")
    )
