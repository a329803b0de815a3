"""``vtc blocks``: list the installed block libraries and their blocks."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "blocks",
        help="list the block libraries and their blocks",
        description=(
            "List every block type of every installed block library (entry-point group "
            "vtc.blocks), by category. --verbose adds the package each comes from, its "
            "ports and parameters."
        ),
    )
    p.add_argument("-v", "--verbose", action="store_true", help="packages, ports, parameters")
    p.add_argument("type", nargs="?", help="show one block type in full")
    p.set_defaults(func=run)


def _describe(rb, verbose: bool) -> list[str]:
    blk = rb.block
    summary = blk.doc.strip().splitlines()[0] if blk.doc.strip() else ""
    lines = [f"  {blk.type_name:<28} {summary}"]
    if verbose:
        lines.append(f"      from {rb.package} (library '{rb.library}'), category {blk.category}")
        for prm in blk.params:
            default = "required" if repr(prm.default) == "REQUIRED" else f"default {prm.default!r}"
            lines.append(f"      {prm.name} ({prm.kind}, {default}): {prm.doc}")
    return lines


def run(args: argparse.Namespace) -> int:
    from vtc.blocks.registry import registry
    from vtc.compiler.errors import VtcError

    reg = registry()
    if args.type:
        rb = reg.get(args.type)
        if rb is None:
            raise VtcError(f"no installed library defines the block type '{args.type}'")
        print(f"{rb.type_name}  ({rb.package}, library '{rb.library}', {rb.block.category})")
        print()
        print(rb.block.doc.strip())
        print()
        for line in _describe(rb, True)[2:]:
            print(line.strip())
        return 0
    by_cat: dict[str, list[Any]] = {}
    for rb in reg.values():
        by_cat.setdefault(rb.block.category, []).append(rb)
    libs = sorted({(rb.library, rb.package) for rb in reg.values()})
    print(
        f"{len(reg)} block types from {len(libs)} "
        f"librar{'y' if len(libs) == 1 else 'ies'}: "
        + ", ".join(f"{lib} ({pkg})" for lib, pkg in libs)
    )
    for cat in sorted(by_cat):
        print(f"{cat}:")
        for rb in sorted(by_cat[cat], key=lambda r: r.type_name):
            for line in _describe(rb, args.verbose):
                print(line)
    for problem in reg.problems:
        print(f"warning: library '{problem.library}': {problem.message}")
    return 0
