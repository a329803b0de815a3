"""The ``vtc`` command line: one subcommand per module in :mod:`vtc.app.commands`.

Each command module provides ``register(subparsers)``, which adds its parser
and sets ``func`` to a function ``run(args) -> int``. :func:`main` turns every
:class:`~vtc.compiler.errors.VtcError` into a located message on stderr and
exit status 1; an unexpected exception is a bug and is reported as one.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from vtc.compiler.errors import VtcError

#: Command modules under vtc.app.commands, in the order ``vtc --help`` lists them.
COMMAND_MODULES = ("compile", "check", "sim", "asm", "disasm", "blocks", "gui", "bit")


class _Parser(argparse.ArgumentParser):
    """argparse that exits with status 1 (not 2) on a usage error, like every other error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="vtc",
        description=(
            "vtc, the ViSARD toolchain: compile models, assemble, simulate and inspect "
            "ViSARD programs."
        ),
    )
    from vtc.app import __version__

    parser.add_argument("--version", action="version", version=f"vtc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"vtc.app.commands.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except VtcError as exc:
        print(exc.format(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("vtc: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
