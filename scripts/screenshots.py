"""Render the editor's screenshots for the docs (offscreen, no display needed).

    .venv/bin/python scripts/screenshots.py [OUTDIR]

For a small and a larger example it opens the model, compiles it, runs a
simulation, and saves the main window with one results tab in front
(``editor_NAME_TAB.png``, the pairs in :data:`SHOTS`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from vtc.app.editor.document import Document
from vtc.app.editor.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[1]
SHOTS = {
    "pid_motor": ("simulation", "report"),
    "foc_clarke_park": ("schedule",),
    "sobel": ("schedule",),
}


def wait(app: QApplication, done) -> None:  # type: ignore[no-untyped-def]
    import time

    end = time.monotonic() + 60
    while not done() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    for name, tabs in SHOTS.items():
        win = MainWindow(Document.open(str(ROOT / "examples" / "models" / f"{name}.json")))
        win.resize(1600, 1000)
        win.show()
        win.view.fit()
        app.processEvents()
        win.compile()
        wait(app, lambda w=win: w.compilation is not None)
        for tab, widget in (("report", win.report_view), ("schedule", win.schedule_view)):
            if tab not in tabs:
                continue
            win.results.setCurrentWidget(widget)
            app.processEvents()
            path = out / f"editor_{name}_{tab}.png"
            win.grab().save(str(path))
            print(f"wrote {path}")
        if "simulation" not in tabs:
            win.doc.undo_stack.setClean()
            win.close()
            continue
        from PySide6.QtCore import Qt

        win.resizeDocks([win.docks["Results"]], [560], Qt.Orientation.Vertical)
        win.results.setCurrentWidget(win.sim_panel)
        win.sim_panel.set_model(win.doc.model, win.doc.file or "")
        win.sim_panel.run()
        wait(app, lambda w=win: not w.sim_panel.is_running and w.sim_panel.result is not None)
        app.processEvents()
        path = out / f"editor_{name}_simulation.png"
        win.grab().save(str(path))
        print(f"wrote {path}")
        win.doc.undo_stack.setClean()
        win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
