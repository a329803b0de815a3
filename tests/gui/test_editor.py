"""The editor driven as a user drives it: through its document and command API
and through mouse events sent to the canvas's viewport."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from vtc.app.editor.canvas import BlockItem
from vtc.app.editor.document import Document, autosave_path, recovery_for
from vtc.app.editor.main_window import MainWindow
from vtc.compiler.model import PortRef, load

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples" / "models"


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VTC_HOME", str(tmp_path / "home"))
    # closing a window with unsaved changes asks (a modal box): answer "discard"
    monkeypatch.setattr(MainWindow, "maybe_keep_changes", lambda self: True)
    from PySide6.QtCore import QSettings

    QSettings.setPath(
        QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "settings")
    )


def _window(qtbot, path: Path | None = None) -> MainWindow:  # type: ignore[no-untyped-def]
    doc = Document.open(str(path)) if path else Document()
    win = MainWindow(doc)
    qtbot.addWidget(win)
    win.show()
    win.view.fit()
    return win


def _click_port(win: MainWindow, bid: str, port: str, is_input: bool, release: bool) -> None:
    item = win.scene.blocks[bid].port(port, is_input)
    assert item is not None
    pos = win.view.mapFromScene(item.scenePos())
    if release:
        QTest.mouseRelease(win.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    else:
        QTest.mousePress(win.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def test_opens_an_example_and_draws_every_block_and_wire(qtbot) -> None:  # type: ignore
    win = _window(qtbot, EXAMPLES / "pid_motor.json")
    model = load(EXAMPLES / "pid_motor.json")
    assert set(win.scene.blocks) == {b.id for b in model.blocks}
    assert len(win.scene.wires) == len(model.connections)
    assert win.windowTitle() == "pid_motor.json — vtc"


def test_palette_search_add_undo_redo(qtbot) -> None:  # type: ignore[no-untyped-def]
    win = _window(qtbot)
    win.block_palette.search.setText("biquad")
    assert (
        win.block_palette.visible_types() == ["std.biquad", "std.sos"]
        or "std.biquad" in win.block_palette.visible_types()
    )
    bid = win.add_from_palette("std.gain")
    assert bid is not None and win.doc.model.block(bid) is not None
    assert win.windowTitle().endswith("* — vtc")
    win.act_undo.trigger()
    assert win.doc.model.block(bid) is None
    win.act_redo.trigger()
    assert win.doc.model.block(bid) is not None


def test_wire_by_dragging_between_ports(qtbot) -> None:  # type: ignore[no-untyped-def]
    win = _window(qtbot)
    a = win.scene.add_block("std.inport", QPointF(0, 0))
    b = win.scene.add_block("std.gain", QPointF(250, 0))
    assert a and b
    win.view.fit()
    _click_port(win, a, "out", False, release=False)
    _click_port(win, b, "in", True, release=True)
    conns = win.doc.model.connections
    assert [(c.src, c.dst) for c in conns] == [(PortRef(a, "out"), PortRef(b, "in"))]
    assert len(win.scene.wires) == 1
    # a second wire into the same input is refused with a message
    c = win.scene.add_block("std.constant", QPointF(0, 150))
    assert c
    messages: list[str] = []
    win.doc.error.connect(messages.append)
    win.view.fit()
    _click_port(win, c, "out", False, release=False)
    _click_port(win, b, "in", True, release=True)
    assert len(win.doc.model.connections) == 1
    assert messages and "already driven" in messages[0]


def test_moving_a_block_is_one_undoable_edit(qtbot) -> None:  # type: ignore[no-untyped-def]
    win = _window(qtbot)
    bid = win.scene.add_block("std.gain", QPointF(10, 10))
    assert bid
    item = win.scene.blocks[bid]
    centre = win.view.mapFromScene(item.scenePos() + QPointF(45, 20))
    QTest.mousePress(win.view.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    item.setPos(QPointF(200, 120))
    QTest.mouseRelease(win.view.viewport(), Qt.MouseButton.LeftButton, pos=centre + QPoint(5, 5))
    assert win.doc.model.block(bid).pos == (200.0, 120.0)  # type: ignore[union-attr]
    win.act_undo.trigger()
    assert win.doc.model.block(bid).pos == (10.0, 10.0)  # type: ignore[union-attr]


def test_inspector_validates_as_you_type(qtbot) -> None:  # type: ignore[no-untyped-def]
    win = _window(qtbot)
    bid = win.scene.add_block("std.sum", QPointF(0, 0))
    assert bid
    win.scene.blocks[bid].setSelected(True)
    field = win.inspector.fields["signs"]
    field.setText('"+*"')
    field.textEdited.emit('"+*"')
    assert "must be made of + and -" in win.inspector.message.text()
    assert "d62728" in field.styleSheet()
    field.setText('"+-+"')
    field.textEdited.emit('"+-+"')
    field.editingFinished.emit()
    assert win.inspector.message.text() == ""
    assert win.doc.model.block(bid).params == {"signs": "+-+"}  # type: ignore[union-attr]
    assert len(win.scene.blocks[bid].ports) == 4  # three inputs now


def test_diagnostics_list_problems_and_select_the_block(qtbot) -> None:  # type: ignore
    win = _window(qtbot)
    bid = win.scene.add_block("std.gain", QPointF(0, 0))
    assert bid
    texts = [win.diagnostics.item(i).text() for i in range(win.diagnostics.count())]
    assert any(f"{bid}: input 'in' is not connected" in t for t in texts)
    assert win.scene.blocks[bid].error is not None
    win.diagnostics.itemClicked.emit(win.diagnostics.item(0))
    assert win.scene.selected_ids() == [bid]


def test_compile_in_the_background_fills_the_results(qtbot) -> None:  # type: ignore
    win = _window(qtbot, EXAMPLES / "pid_motor.json")
    win.compile()
    qtbot.waitUntil(lambda: win.compilation is not None, timeout=30000)
    assert "cmov" in win.asm_view.toPlainText() or "add" in win.asm_view.toPlainText()
    assert "compiled:" in win.statusBar().currentMessage()


def test_compile_error_is_shown_not_raised(qtbot) -> None:  # type: ignore[no-untyped-def]
    win = _window(qtbot)
    win.scene.add_block("std.gain", QPointF(0, 0))
    win.compile()
    qtbot.waitUntil(lambda: "not connected" in win.asm_view.toPlainText(), timeout=30000)
    assert "input 'in' is not connected" in win.asm_view.toPlainText()
    assert win.compilation is None


def test_subsystems_enter_leave_and_group(qtbot) -> None:  # type: ignore[no-untyped-def]
    win = _window(qtbot, EXAMPLES / "foc_clarke_park.json")
    subs = [b.id for b in win.doc.model.blocks if b.type == "std.subsystem"]
    win.scene.enterRequested.emit(subs[0])
    assert win.doc.where == subs[0]
    inner = win.doc.model.block(subs[0])
    assert inner is not None and set(win.scene.blocks) == {b.id for b in inner.blocks or ()}
    win.up()
    assert win.doc.where == ""
    # group two wired blocks of pid_motor into a subsystem
    win2 = _window(qtbot, EXAMPLES / "kalman_1d.json")
    ids = sorted(
        b.id for b in win2.doc.model.blocks if b.type not in ("std.inport", "std.outport")
    )[:2]
    for bid in ids:
        win2.scene.blocks[bid].setSelected(True)
    sid = win2.create_subsystem()
    assert sid is not None and win2.doc.model.block(sid) is not None
    assert all(win2.doc.model.block(i) is None for i in ids)


def test_copy_paste_duplicate_keep_internal_wires(qtbot) -> None:  # type: ignore
    win = _window(qtbot, EXAMPLES / "pid_motor.json")
    before = len(win.doc.model.blocks)
    for item in win.scene.blocks.values():
        item.setSelected(True)
    new = win.duplicate()
    assert len(new) == before and len(win.doc.model.blocks) == 2 * before
    assert len(win.doc.model.connections) == 2 * len(load(EXAMPLES / "pid_motor.json").connections)
    win.delete_selection()
    assert len(win.doc.model.blocks) == before


def test_save_dirty_title_autosave_and_recovery(qtbot, tmp_path: Path) -> None:  # type: ignore
    path = tmp_path / "m.json"
    shutil.copy(EXAMPLES / "kalman_1d.json", path)
    win = _window(qtbot, path)
    win.add_from_palette("std.scope")
    assert win.doc.dirty and win.windowTitle().startswith("m.json *")
    auto = win.doc.autosave()
    assert auto == autosave_path(str(path)) and Path(auto).exists()
    assert recovery_for(str(path)) == auto
    win.monkey_recover = True
    win.ask_recover = lambda _a: True  # type: ignore[method-assign]
    win.doc.undo_stack.setClean()  # pretend the crash: reopen without saving
    assert win.open_path(str(path))
    assert any(b.type == "std.scope" for b in win.doc.model.blocks)
    assert win.doc.dirty
    assert win.save()
    assert not Path(auto).exists() and not win.doc.dirty
    assert any(b["type"] == "std.scope" for b in json.loads(path.read_text())["blocks"])
    assert str(path.resolve()) in win.recent()


def test_unknown_block_is_a_placeholder_that_survives_a_save(qtbot, tmp_path: Path) -> None:  # type: ignore
    data = json.loads((EXAMPLES / "kalman_1d.json").read_text())
    data["blocks"].append({"id": "zz", "type": "acme.flux", "params": {"q": 1}, "pos": [5, 5]})
    path = tmp_path / "u.json"
    path.write_text(json.dumps(data))
    win = _window(qtbot, path)
    item = win.scene.blocks["zz"]
    assert isinstance(item, BlockItem) and not item.known and item.error is not None
    win.add_from_palette("std.scope")
    win.save()
    saved = json.loads(path.read_text())
    assert {"id": "zz", "type": "acme.flux", "params": {"q": 1}, "pos": [5, 5]} in saved["blocks"]


def test_gui_screenshot_command(tmp_path: Path) -> None:
    from vtc.app.cli import main

    png = tmp_path / "shot.png"
    assert main(["gui", str(EXAMPLES / "pid_motor.json"), "--screenshot", str(png)]) == 0
    assert png.stat().st_size > 10_000


def test_drop_from_the_palette_adds_the_block_there(qtbot) -> None:  # type: ignore
    from PySide6.QtCore import QMimeData
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent

    from vtc.app.editor.canvas import BLOCK_MIME

    win = _window(qtbot)
    mime = QMimeData()
    mime.setData(BLOCK_MIME, b"std.pid")
    pos = QPointF(120, 80)
    args = (
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication_send(win.view.viewport(), QDragEnterEvent(pos.toPoint(), *args))
    QApplication_send(win.view.viewport(), QDragMoveEvent(pos.toPoint(), *args))
    QApplication_send(win.view.viewport(), QDropEvent(pos, *args))
    blocks = win.doc.model.blocks
    assert [b.type for b in blocks] == ["std.pid"]
    scene_pos = win.view.mapToScene(pos.toPoint())
    assert blocks[0].pos == (round(scene_pos.x(), 1), round(scene_pos.y(), 1))


def QApplication_send(target, event) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QApplication

    QApplication.sendEvent(target, event)


def test_clicking_the_schedule_shows_the_listing_line(qtbot) -> None:  # type: ignore
    win = _window(qtbot, EXAMPLES / "pid_motor.json")
    win.compile()
    qtbot.waitUntil(lambda: win.compilation is not None, timeout=30000)
    win.schedule_view.instructionSelected.emit(3)
    assert (
        win.listing_view.textCursor().hasSelection()
        or win.listing_view.textCursor().blockNumber() > 0
    )


def test_quick_insert_by_part_of_a_name(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore
    win = _window(qtbot)
    monkeypatch.setattr(win, "ask_block_type", lambda: "biquad")
    bid = win.quick_insert(QPointF(30, 40))
    assert bid is not None and win.doc.model.block(bid).type == "std.biquad"  # type: ignore
    monkeypatch.setattr(win, "ask_block_type", lambda: "gain")
    bid = win.quick_insert(None)
    assert bid is not None and win.doc.model.block(bid).type == "std.gain"  # type: ignore
    monkeypatch.setattr(win, "ask_block_type", lambda: "nothing-like-this")
    assert win.quick_insert(None) is None
    assert "no block type 'nothing-like-this'" in win.statusBar().currentMessage()


def test_copy_in_one_window_paste_in_another(qtbot) -> None:  # type: ignore[no-untyped-def]
    a = _window(qtbot, EXAMPLES / "kalman_1d.json")
    for item in a.scene.blocks.values():
        item.setSelected(True)
    a.copy()
    b = _window(qtbot)
    b.clipboard = None
    made = b.paste()
    assert len(made) == len(load(EXAMPLES / "kalman_1d.json").blocks)
    assert len(b.doc.model.connections) == len(load(EXAMPLES / "kalman_1d.json").connections)


def test_breadcrumb_shows_the_path_once(qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QLabel, QPushButton

    win = _window(qtbot, EXAMPLES / "foc_clarke_park.json")
    win.doc.set_where("park")
    crumb = win.breadcrumb
    row = crumb.row
    items = [row.itemAt(i) for i in range(row.count())]
    visible = [it.widget() for it in items if it is not None and it.widget() is not None]
    visible = [w for w in visible if isinstance(w, QLabel | QPushButton)]
    texts = [w.text() for w in visible]
    assert texts == ["foc_clarke_park", "›", "<b>park</b>"]
    # the parts of the previous path are gone, not just out of the layout
    assert len(crumb.findChildren(QLabel)) == 2
    buttons = [w for w in visible if isinstance(w, QPushButton)]
    buttons[0].click()
    assert win.doc.where == ""


def test_rubber_band_selects_the_blocks_inside(qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    win = _window(qtbot, EXAMPLES / "pid_motor.json")
    view = win.view
    inside = ["setpoint", "error"]
    rect = (
        win.scene.blocks[inside[0]]
        .sceneBoundingRect()
        .united(win.scene.blocks[inside[1]].sceneBoundingRect())
        .adjusted(-8, -8, 8, 8)
    )
    start = view.mapFromScene(rect.topLeft())
    end = view.mapFromScene(rect.bottomRight())

    def send(kind: QEvent.Type, pos: QPoint, buttons: Qt.MouseButton) -> None:
        p = QPointF(pos)
        event = QMouseEvent(
            kind,
            p,
            view.viewport().mapToGlobal(p),
            Qt.MouseButton.LeftButton,
            buttons,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(view.viewport(), event)

    send(QEvent.Type.MouseButtonPress, start, Qt.MouseButton.LeftButton)
    send(QEvent.Type.MouseMove, (start + end) / 2, Qt.MouseButton.LeftButton)
    send(QEvent.Type.MouseMove, end, Qt.MouseButton.LeftButton)
    send(QEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton)
    assert win.scene.selected_ids() == sorted(inside)
    assert not win.doc.dirty  # selecting is no edit
