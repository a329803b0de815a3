"""The editor's main window: palette, canvas, inspector, diagnostics, results."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPointF, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from vtc.app.editor.canvas import DiagramScene, DiagramView
from vtc.app.editor.document import Document, recovery_for
from vtc.app.editor.panels import Diagnostics, Inspector, Palette
from vtc.app.editor.worker import Job
from vtc.blocks.registry import registry
from vtc.compiler.driver import Compilation, CompileOptions, compile_model
from vtc.compiler.errors import VtcError
from vtc.compiler.model import load

AUTOSAVE_MS = 30_000
MAX_RECENT = 8


class Breadcrumb(QWidget):
    """``model > sub > inner``: click a part to go up to that level."""

    def __init__(self, doc: Document) -> None:
        super().__init__()
        self.doc = doc
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(6, 2, 6, 2)
        doc.whereChanged.connect(lambda _w: self.refresh())
        doc.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        while self.row.count():
            item = self.row.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.setParent(None)
                widget.deleteLater()
        parts = [("", self.doc.model.name or "model")]
        acc = ""
        for part in [p for p in self.doc.where.split("/") if p]:
            acc = f"{acc}/{part}" if acc else part
            parts.append((acc, part))
        for i, (path, label) in enumerate(parts):
            if i:
                self.row.addWidget(QLabel("›"))
            if i == len(parts) - 1:  # where we are: plain bold text
                here = QLabel(f"<b>{label}</b>")
                here.setToolTip("the diagram shown")
                self.row.addWidget(here)
                continue
            button = QPushButton(label)
            button.setFlat(True)
            button.setToolTip(f"go up to {label}")
            button.clicked.connect(lambda _c=False, p=path: self.doc.set_where(p))
            self.row.addWidget(button)
        self.row.addStretch(1)


class MainWindow(QMainWindow):
    """One document in a window with every panel of the editor."""

    def __init__(self, doc: Document | None = None) -> None:
        super().__init__()
        self.doc = doc or Document()
        self.doc.setParent(self)
        self.settings = QSettings("vtc", "editor")
        self.compilation: Compilation | None = None
        self.job: Job | None = None
        self.clipboard: Any = None
        self._build()
        self._actions()
        self._wire_document()
        self.resize(1400, 860)
        self.refresh_title()
        self.check_model()
        self.sim_panel.set_model(self.doc.model, self.doc.file or "untitled.json")
        self.schedule_view.instructionSelected.connect(self.show_instruction)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()

    # -- layout ---------------------------------------------------------------------------

    def _build(self) -> None:
        self.scene = DiagramScene(self.doc)
        self.view = DiagramView(self.scene)
        self.breadcrumb = Breadcrumb(self.doc)
        centre = QWidget()
        col = QVBoxLayout(centre)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(0)
        col.addWidget(self.breadcrumb)
        col.addWidget(self.view)
        self.setCentralWidget(centre)

        self.block_palette = Palette()
        self.inspector = Inspector(self.doc)
        self.diagnostics = Diagnostics()
        from vtc.app.editor.schedule_view import AsmView, ReportView, ScheduleView
        from vtc.app.editor.sim_panel import SimulationPanel

        self.report_view = ReportView()
        self.schedule_view = ScheduleView()
        self.asm_view = AsmView()
        self.listing_view = AsmView()
        self.sim_panel = SimulationPanel()
        self.results = QTabWidget()
        self.results.addTab(self.report_view, "Report")
        self.results.addTab(self.schedule_view, "Schedule")
        self.results.addTab(self.asm_view, "Assembly")
        self.results.addTab(self.listing_view, "Listing")
        self.results.addTab(self.sim_panel, "Simulation")

        self.docks: dict[str, QDockWidget] = {}
        for name, widget, area in (
            ("Blocks", self.block_palette, Qt.DockWidgetArea.LeftDockWidgetArea),
            ("Properties", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea),
            ("Problems", self.diagnostics, Qt.DockWidgetArea.RightDockWidgetArea),
            ("Results", self.results, Qt.DockWidgetArea.BottomDockWidgetArea),
        ):
            dock = QDockWidget(name, self)
            dock.setObjectName(name)
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
            self.docks[name] = dock
        self.resizeDocks([self.docks["Blocks"]], [230], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["Properties"]], [300], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["Results"]], [300], Qt.Orientation.Vertical)

        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.setRange(0, 0)
        self.progress.hide()
        self.statusBar().addPermanentWidget(self.progress)

    def _action(self, text: str, slot: Any, shortcut: Any = None, tip: str = "") -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        act.setStatusTip(tip or text.replace("&", ""))
        act.triggered.connect(slot)
        self.addAction(act)
        return act

    def _actions(self) -> None:
        K = QKeySequence.StandardKey
        a = self._action
        self.act_new = a("&New", self.new_model, K.New)
        self.act_open = a("&Open…", self.open_dialog, K.Open)
        self.act_save = a("&Save", self.save, K.Save)
        self.act_save_as = a("Save &As…", self.save_as, K.SaveAs)
        self.act_quit = a("&Quit", self.close, K.Quit)
        undo = self.doc.undo_stack.createUndoAction(self, "&Undo")
        redo = self.doc.undo_stack.createRedoAction(self, "&Redo")
        assert undo is not None and redo is not None
        self.act_undo, self.act_redo = undo, redo
        self.act_undo.setShortcut(K.Undo)
        self.act_redo.setShortcut(K.Redo)
        self.act_copy = a("&Copy", self.copy, K.Copy)
        self.act_cut = a("Cu&t", self.cut, K.Cut)
        self.act_paste = a("&Paste", self.paste, K.Paste)
        self.act_duplicate = a("&Duplicate", self.duplicate, "Ctrl+D")
        self.act_delete = a("De&lete", self.delete_selection, K.Delete)
        self.act_select_all = a("Select &All", self.select_all, K.SelectAll)
        self.act_group = a("Create &Subsystem", self.create_subsystem, "Ctrl+G")
        self.act_insert = a("&Insert Block…", lambda: self.quick_insert(None), "Ctrl+I")
        self.act_fit = a("&Fit to View", self.view.fit, "Ctrl+0")
        self.act_zoom_in = a("Zoom &In", lambda: self.view.zoom(1.25), K.ZoomIn)
        self.act_zoom_out = a("Zoom &Out", lambda: self.view.zoom(0.8), K.ZoomOut)
        self.act_up = a("&Up a Level", self.up, "Alt+Up")
        self.act_compile = a("&Compile", self.compile, "Ctrl+B", "Compile the model (Ctrl+B)")
        self.act_cancel = a("C&ancel", self.cancel, "Esc")
        self.act_cancel.setEnabled(False)
        self.act_simulate = a("&Simulate", self.simulate, "Ctrl+R")

        menus = self.menuBar()
        m = menus.addMenu("&File")
        for act in (self.act_new, self.act_open):
            m.addAction(act)
        recent = m.addMenu("Open &Recent")
        assert recent is not None
        self.recent_menu = recent
        for act in (self.act_save, self.act_save_as):
            m.addAction(act)
        m.addSeparator()
        m.addAction(self.act_quit)
        m = menus.addMenu("&Edit")
        for entry in (
            self.act_undo,
            self.act_redo,
            None,
            self.act_cut,
            self.act_copy,
            self.act_paste,
            self.act_duplicate,
            self.act_delete,
            self.act_select_all,
            None,
            self.act_insert,
            self.act_group,
        ):
            m.addSeparator() if entry is None else m.addAction(entry)
        m = menus.addMenu("&View")
        for act in (self.act_fit, self.act_zoom_in, self.act_zoom_out, self.act_up):
            m.addAction(act)
        m.addSeparator()
        for dock in self.docks.values():
            m.addAction(dock.toggleViewAction())
        m = menus.addMenu("&Build")
        for act in (self.act_compile, self.act_cancel, self.act_simulate):
            m.addAction(act)

        bar = QToolBar("Main")
        bar.setObjectName("toolbar")
        for entry in (
            self.act_new,
            self.act_open,
            self.act_save,
            None,
            self.act_undo,
            self.act_redo,
            None,
            self.act_fit,
            self.act_up,
            None,
            self.act_compile,
            self.act_simulate,
        ):
            bar.addSeparator() if entry is None else bar.addAction(entry)
        self.addToolBar(bar)
        self.refresh_recent()

    def _wire_document(self) -> None:
        d = self.doc
        d.changed.connect(self.on_changed)
        d.error.connect(lambda msg: self.statusBar().showMessage(msg, 8000))
        d.undo_stack.cleanChanged.connect(lambda _c: self.refresh_title())
        d.whereChanged.connect(self.on_where)
        self.scene.selectionChanged.connect(self.on_selection)
        self.scene.enterRequested.connect(d.set_where)
        self.scene.emptyDoubleClicked.connect(self.quick_insert)
        self.block_palette.chosen.connect(self.add_from_palette)
        self.diagnostics.blockChosen.connect(self.go_to_block)

    # -- state ---------------------------------------------------------------------------------

    def refresh_title(self) -> None:
        # RuntimeError: the window is being destroyed (its undo stack is gone)
        with contextlib.suppress(RuntimeError):
            self.setWindowTitle(f"{self.doc.title} — vtc")

    def on_where(self, _where: str) -> None:
        self.view.fit()
        self.inspector.show_block(None)

    def on_changed(self) -> None:
        self.refresh_title()
        self.on_selection()
        self.check_model()
        self.sim_panel.set_model(self.doc.model, self.doc.file or "untitled.json")

    def on_selection(self) -> None:
        try:
            ids = self.scene.selected_ids()
        except RuntimeError:  # the scene is being torn down
            return
        self.inspector.show_block(ids[0] if len(ids) == 1 else None)

    def check_model(self) -> None:
        from vtc.compiler.diagnostics import diagnostics

        problems = diagnostics(self.doc.model, self.doc.file or "untitled.json")
        self.diagnostics.show_problems(problems)
        self.scene.show_errors({p.path: p.message for p in problems if p.path})
        n = len(problems)
        self.statusBar().showMessage(
            "model OK" if not n else f"{n} problem{'s' if n != 1 else ''}", 4000
        )

    def go_to_block(self, path: str) -> None:
        """Show the diagram that holds ``path``, select its block and centre on it."""
        parent, _, bid = path.rpartition("/")
        self.doc.set_where(parent)
        self.view.centre_on_block(bid)

    # -- editing ---------------------------------------------------------------------------------

    def add_from_palette(self, type_name: str) -> str | None:
        centre = self.view.mapToScene(self.view.viewport().rect().center())
        return self.scene.add_block(type_name, centre)

    def ask_block_type(self) -> str | None:
        """Ask for a block type name (an editable list of every type)."""
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Insert block")
        dialog.setLabelText("Block type (a part of the name is enough):")
        dialog.setComboBoxItems(sorted(registry()))
        dialog.setComboBoxEditable(True)
        return dialog.textValue().strip() if dialog.exec() else None

    def quick_insert(self, pos: QPointF | None) -> str | None:
        """Ask for a block type by name and add it at ``pos`` (the view's centre).

        A part of a name is enough when it picks one type (``pid``,
        ``biquad``); the exact last part wins (``gain`` -> ``std.gain``).
        """
        name = self.ask_block_type()
        if not name:
            return None
        names = sorted(registry())
        if name not in names:
            exact = [n for n in names if n.split(".")[-1] == name.lower()]
            matches = exact or [n for n in names if name.lower() in n.lower()]
            if len(matches) != 1:
                why = "no" if not matches else f"{len(matches)} block types match"
                self.statusBar().showMessage(
                    f"{why} block type '{name}'"
                    if not matches
                    else f"'{name}': {why}: " + ", ".join(matches[:6]),
                    6000,
                )
                return None
            name = matches[0]
        at = pos if pos is not None else self.view.mapToScene(self.view.viewport().rect().center())
        return self.scene.add_block(name, at)

    def delete_selection(self) -> None:
        from vtc.compiler.model import edit

        ids = self.scene.selected_ids()
        where = self.doc.where
        wires = [w for w in self.scene.selectedItems() if w in self.scene.wires]
        if ids:
            self.doc.apply(
                f"Delete {len(ids)} block(s)", lambda m: edit.remove_blocks(m, where, ids)
            )
        elif wires:
            dst = wires[0].dst.ref()
            self.doc.apply("Delete wire", lambda m: edit.disconnect(m, where, dst))

    def select_all(self) -> None:
        for item in self.scene.blocks.values():
            item.setSelected(True)

    def copy(self) -> None:
        """Copy the selected blocks and their internal wires (also to the system
        clipboard, as model text, so another window can paste them)."""
        from vtc.compiler.model import edit

        ids = self.scene.selected_ids()
        if ids:
            self.clipboard = edit.copy_blocks(self.doc.model, self.doc.where, ids)
            QApplication.clipboard().setText(self.clipboard.to_text())

    def cut(self) -> None:
        self.copy()
        self.delete_selection()

    def paste(self) -> list[str]:
        from vtc.compiler.model import edit

        frag = self.clipboard
        text = QApplication.clipboard().text()
        if text and (frag is None or text != frag.to_text()):
            with contextlib.suppress(VtcError):  # not a copied diagram: keep our own
                frag = edit.Fragment.from_text(text)
        if frag is None:
            return []
        where = self.doc.where
        made: list[list[str]] = []

        def do(m: Any) -> Any:
            new, ids = edit.paste(m, where, frag)
            made.append(list(ids))
            return new

        if self.doc.apply("Paste", do):
            self.scene.clearSelection()
            for bid in made[0]:
                if bid in self.scene.blocks:
                    self.scene.blocks[bid].setSelected(True)
            return made[0]
        return []

    def duplicate(self) -> list[str]:
        self.copy()
        return self.paste()

    def create_subsystem(self) -> str | None:
        from vtc.compiler.model import edit

        ids = self.scene.selected_ids()
        if not ids:
            self.statusBar().showMessage("select the blocks to group first", 5000)
            return None
        where = self.doc.where
        made: list[str] = []

        def do(m: Any) -> Any:
            new, sid = edit.create_subsystem(m, where, ids)
            made.append(sid)
            return new

        return made[0] if self.doc.apply("Create subsystem", do) else None

    def up(self) -> None:
        self.doc.set_where(self.doc.where.rpartition("/")[0])

    # -- files ------------------------------------------------------------------------------------

    def maybe_keep_changes(self) -> bool:
        """Ask about unsaved changes; False when the user cancels."""
        if not self.doc.dirty:
            return True
        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            f"Save the changes to {self.doc.title.rstrip(' *')}?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Cancel:
            return False
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return True

    def new_model(self) -> None:
        if self.maybe_keep_changes():
            from vtc.compiler.model import Model

            self.doc.reset(Model(name="untitled"), None)
            self.refresh_title()

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open model", "", "Models (*.json)")
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> bool:
        """Open a model file (offering a newer autosave); errors go to a message box."""
        if not self.maybe_keep_changes():
            return False
        try:
            model = load(path)
        except VtcError as exc:
            QMessageBox.critical(self, "Cannot open the model", exc.format())
            return False
        self.doc.reset(model, path)
        auto = recovery_for(path)
        if auto is not None and self.ask_recover(auto):
            try:
                recovered = load(auto)
            except VtcError as exc:
                self.statusBar().showMessage(f"cannot recover {auto}: {exc}", 8000)
            else:
                self.doc.apply("Recover autosave", lambda _m: recovered)
        self.refresh_title()
        self.view.fit()
        self.add_recent(path)
        return True

    def ask_recover(self, auto: str) -> bool:
        answer = QMessageBox.question(
            self,
            "Recover unsaved changes?",
            f"vtc found unsaved changes from an earlier session ({Path(auto).name}). Recover them?",
        )
        return answer == QMessageBox.StandardButton.Yes

    def save(self) -> bool:
        if self.doc.file is None:
            return self.save_as()
        try:
            self.doc.save()
        except VtcError as exc:
            QMessageBox.critical(self, "Cannot save", exc.format())
            return False
        self.statusBar().showMessage(f"saved {self.doc.file}", 4000)
        self.refresh_title()
        return True

    def save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save model as", self.doc.file or "", "Models (*.json)"
        )
        if not path:
            return False
        try:
            self.doc.save(path)
        except VtcError as exc:
            QMessageBox.critical(self, "Cannot save", exc.format())
            return False
        self.add_recent(path)
        self.refresh_title()
        return True

    def autosave(self) -> None:
        try:
            written = self.doc.autosave()
        except (OSError, VtcError) as exc:
            self.statusBar().showMessage(f"autosave failed: {exc}", 8000)
            return
        if written:
            self.statusBar().showMessage(f"autosaved to {written}", 3000)

    def recent(self) -> list[str]:
        value: Any = self.settings.value("recent", [])
        items = [value] if isinstance(value, str) else list(value or [])
        return [p for p in items if isinstance(p, str)]

    def add_recent(self, path: str) -> None:
        path = os.path.abspath(path)
        items = [path] + [p for p in self.recent() if p != path]
        self.settings.setValue("recent", items[:MAX_RECENT])
        self.refresh_recent()

    def refresh_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.recent():
            act = self.recent_menu.addAction(path)
            act.triggered.connect(lambda _c=False, p=path: self.open_path(p))
        self.recent_menu.setEnabled(bool(self.recent()))

    def closeEvent(self, event: Any) -> None:
        if self.maybe_keep_changes():
            if self.job is not None:
                self.job.cancel()
            self.sim_panel.shutdown(3000)
            event.accept()
        else:
            event.ignore()

    # -- build ----------------------------------------------------------------------------------

    def compile(self) -> Job:
        """Compile in the thread pool; the results panels fill when it is done."""
        if self.job is not None:
            self.job.cancel()
        model, file = self.doc.model, self.doc.file or "untitled.json"
        job = Job(lambda: compile_model(model, CompileOptions(), file=file))
        job.signals.finished.connect(lambda comp, j=job: self.compiled(j, comp))
        job.signals.failed.connect(lambda msg, j=job: self.compile_failed(j, msg))
        self.job = job
        import gc

        gc.collect()  # free old Qt objects here, not in the worker (shiboken crash)
        self.progress.show()
        self.act_cancel.setEnabled(True)
        self.statusBar().showMessage("compiling…")
        job.start()
        return job

    def _done(self, job: Job) -> bool:
        if job is not self.job:
            return False
        self.job = None
        self.progress.hide()
        self.act_cancel.setEnabled(False)
        return True

    def compiled(self, job: Job, comp: Compilation) -> None:
        if not self._done(job):
            return
        self.compilation = comp
        self.report_view.set_compilation(comp)
        self.schedule_view.set_compilation(comp)
        self.asm_view.show_text(comp.asm_text)
        self.listing_view.show_text(comp.assembly.listing())
        r = comp.report
        self.statusBar().showMessage(
            f"compiled: {r['cycles_per_sample']:g} cycles per step, "
            f"{r['time_per_sample_us']:g} us at {comp.target.clock_mhz:g} MHz",
            10000,
        )
        self.docks["Results"].show()
        self.results.setCurrentWidget(self.report_view)

    def compile_failed(self, job: Job, message: str) -> None:
        if not self._done(job):
            return
        self.compilation = None
        self.report_view.set_compilation(None)
        self.schedule_view.set_compilation(None)
        self.asm_view.show_text(message)
        self.results.setCurrentWidget(self.asm_view)
        self.statusBar().showMessage("compile failed: " + message.splitlines()[0], 10000)

    def show_instruction(self, address: int) -> None:
        """A bar of the schedule was clicked: show its line in the listing and the source."""
        self.listing_view.select_address(address)
        line = self.schedule_view.source_line(address)
        if line is not None:
            self.asm_view.select_line(line)
        self.statusBar().showMessage(self.schedule_view.tooltip(address).splitlines()[0], 8000)

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.job = None
            self.progress.hide()
            self.act_cancel.setEnabled(False)
            self.statusBar().showMessage("cancelled", 4000)

    def simulate(self) -> None:
        self.docks["Results"].show()
        self.results.setCurrentWidget(self.sim_panel)
        self.sim_panel.run()


def run_app(path: str | None, screenshot: str | None = None) -> int:
    """Start the editor (``vtc gui``); with ``screenshot``, render and exit."""
    if screenshot is not None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication([])
    doc = Document()
    if path is not None:
        doc = Document.open(path)  # a VtcError goes to the command line as usual
    win = MainWindow(doc)
    if screenshot is not None:
        win.resize(1600, 1000)
        win.show()
        win.view.fit()
        app.processEvents()
        if not win.grab().save(screenshot):
            raise VtcError(f"cannot write the screenshot to {screenshot}")
        win.doc.undo_stack.setClean()
        win.close()
        return 0
    win.show()
    win.view.fit()
    return int(app.exec())
