"""Opening a large model in the editor: load, build the main window, draw the canvas.

Generated models (``benchmarks/models.py``) of 1,000 and 5,000 blocks are
opened offscreen: read and check the file, create the main window (every
panel, the diagnostics run), build the scene, fit it in the view and paint
the window once. The baseline in the same run is the core alone: loading and
elaborating the file. Goal (issue 4): a 1,000-block model opens in under 2 s.
Figures go to ``benchmarks/results/editor_open.json``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from models import lanes  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from vtc.app.editor.document import Document  # noqa: E402
from vtc.app.editor.main_window import MainWindow  # noqa: E402
from vtc.compiler.model import elaborate, load  # noqa: E402


def main() -> int:
    app = QApplication.instance() or QApplication([])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (1000, 5000):
            path = Path(tmp) / f"m{n}.json"
            path.write_text(lanes(n, target="bench-large"))
            t0 = time.perf_counter()
            elaborate(load(path), str(path))
            core = time.perf_counter() - t0
            t0 = time.perf_counter()
            win = MainWindow(Document.open(str(path)))
            win.resize(1600, 1000)
            win.show()
            win.view.fit()
            win.grab()
            app.processEvents()
            total = time.perf_counter() - t0
            blocks = len(win.scene.blocks)
            win.doc.undo_stack.setClean()
            win.close()
            win.deleteLater()
            app.processEvents()
            rows.append(
                {
                    "blocks": blocks,
                    "open_seconds": round(total, 3),
                    "core_load_seconds": round(core, 3),
                }
            )
            print(
                f"{blocks:>6} blocks: open in the editor {total:.2f} s "
                f"(core load+check alone {core:.2f} s)"
            )
    ok = rows[0]["open_seconds"] < 2.0
    print(f"goal: 1,000 blocks open in < 2 s: {'met' if ok else 'NOT met'}")
    out = HERE / "results" / "editor_open.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"rows": rows, "goal_seconds_1000": 2.0}, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
