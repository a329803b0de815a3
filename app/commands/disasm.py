"""``vtc disasm IMAGE [-o FILE]``: turn an image set back into assembly text."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "disasm",
        help="disassemble an image set",
        description=(
            "Read an image set (NAME.image.json or one of its .mem files) and print the "
            "program as assembly text: target, ports, constants and states, the code with "
            "physical cells, loops as loop/endloop. The code is already scheduled: assemble "
            "it again with --keep-order."
        ),
    )
    p.add_argument("image", metavar="IMAGE", help="NAME.image.json or NAME.prog.mem (...)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the text here (default: stdout)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vtc.compiler.files import write_text_atomic
    from vtc.compiler.machine.disasm import disassemble
    from vtc.compiler.machine.image import read_image

    text = disassemble(read_image(args.image))
    if args.output is None:
        sys.stdout.write(text)
    else:
        write_text_atomic(args.output, text)
    return 0
