"""``vtc gui [MODEL.json] [--screenshot PNG]``: the graphical editor."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "gui",
        help="open the graphical model editor",
        description=(
            "Open the block-diagram editor, with MODEL.json if given. With --screenshot the "
            "model is opened, the main window is rendered offscreen to PNG and the editor "
            "exits (for docs and checks; no display needed)."
        ),
    )
    p.add_argument("model", nargs="?", metavar="MODEL.json", help="model to open")
    p.add_argument("--screenshot", metavar="PNG", help="render the window to PNG and exit")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        from vtc.app.editor.main_window import run_app
    except ImportError as exc:  # PySide6 missing: say how to get it
        from vtc.compiler.errors import VtcError

        raise VtcError(
            f"the editor needs PySide6 and pyqtgraph ({exc}); install them with "
            "pip install 'vtc[gui]'"
        ) from None
    return run_app(args.model, args.screenshot)
