"""Side panels of the editor: block palette, property inspector, diagnostics."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from vtc.app.editor.canvas import BLOCK_MIME
from vtc.app.editor.document import Document
from vtc.blocks.api import REQUIRED, BlockError
from vtc.blocks.registry import registry
from vtc.compiler.errors import ModelError


class Palette(QWidget):
    """Every block type of every installed library, by category, with a search box.

    Double-clicking a block (or pressing Enter) emits :attr:`chosen`; dragging
    one onto the canvas drops it there.
    """

    chosen = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search blocks…")
        self.search.setClearButtonEnabled(True)
        self.tree = _DragTree()
        self.tree.setHeaderHidden(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.items: dict[str, QTreeWidgetItem] = {}
        cats: dict[str, QTreeWidgetItem] = {}
        reg = registry()
        for name in sorted(reg, key=lambda n: (reg[n].block.category, n)):
            rb = reg[name]
            cat = cats.get(rb.block.category)
            if cat is None:
                cat = QTreeWidgetItem(self.tree, [rb.block.category])
                cat.setFlags(Qt.ItemFlag.ItemIsEnabled)
                cats[rb.block.category] = cat
            label = name if rb.library == "std" else f"{name}  [{rb.package}]"
            item = QTreeWidgetItem(cat, [label])
            item.setData(0, Qt.ItemDataRole.UserRole, name)
            doc = rb.block.doc.strip()
            item.setToolTip(0, f"{name} ({rb.package})\n\n{doc}")
            self.items[name] = item
        self.tree.expandAll()
        self.search.textChanged.connect(self.filter)
        self.tree.itemDoubleClicked.connect(self._chosen)
        self.tree.itemActivated.connect(self._chosen)

    def filter(self, text: str) -> None:
        """Show only the blocks whose name or documentation contains ``text``."""
        needle = text.strip().lower()
        for i in range(self.tree.topLevelItemCount()):
            cat = self.tree.topLevelItem(i)
            if cat is None:
                continue
            shown = 0
            for j in range(cat.childCount()):
                item = cat.child(j)
                if item is None:
                    continue
                name = item.data(0, Qt.ItemDataRole.UserRole)
                doc = registry()[name].block.doc.lower()
                hit = not needle or needle in name.lower() or needle in doc
                item.setHidden(not hit)
                shown += hit
            cat.setHidden(shown == 0)

    def visible_types(self) -> list[str]:
        """The block types the search leaves visible."""
        out = []
        for name, item in self.items.items():
            parent = item.parent()
            if not item.isHidden() and not (parent is not None and parent.isHidden()):
                out.append(name)
        return out

    def _chosen(self, item: QTreeWidgetItem, _col: int = 0) -> None:
        name = item.data(0, Qt.ItemDataRole.UserRole)
        if name:
            self.chosen.emit(name)


class _DragTree(QTreeWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setDragEnabled(True)

    def startDrag(self, actions: Any) -> None:
        item = self.currentItem()
        name = item.data(0, Qt.ItemDataRole.UserRole) if item else None
        if not name:
            return
        mime = QMimeData()
        mime.setData(BLOCK_MIME, name.encode())
        drag = QDrag(self)
        drag.setMimeData(mime)
        drag.exec(Qt.DropAction.CopyAction)


class Inspector(QWidget):
    """The parameters of the selected block, validated as you type.

    Each parameter is edited as JSON text (``0.5``, ``[1, 2]``, ``"+-"``); a
    value that does not parse or that the block refuses turns the field red
    and shows why; a valid change is one undoable edit.
    """

    def __init__(self, doc: Document) -> None:
        super().__init__()
        self.doc = doc
        self.title = QLabel("No block selected")
        self.title.setWordWrap(True)
        self.form = QFormLayout()
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c62828")
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(self.form)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.block_id: str | None = None
        self.fields: dict[str, QLineEdit] = {}

    def show_block(self, bid: str | None) -> None:
        """Show the parameters of block ``bid`` of the current diagram (or nothing)."""
        self.block_id = bid
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = {}
        self.message.setText("")
        spec = None
        if bid:
            spec = self.doc.model.block(f"{self.doc.where}/{bid}" if self.doc.where else bid)
        if spec is None:
            self.title.setText("No block selected")
            return
        rb = registry().get(spec.type)
        summary = rb.block.doc.strip().splitlines()[0] if rb and rb.block.doc else ""
        self.title.setText(f"<b>{spec.id}</b> — {spec.type}<br><small>{summary}</small>")
        names = [p.name for p in rb.block.params] if rb else sorted(spec.params)
        for name in names:
            edit = QLineEdit()
            if name in spec.params:
                edit.setText(json.dumps(spec.params[name]))
            elif rb is not None:
                prm = next(p for p in rb.block.params if p.name == name)
                if prm.default is not REQUIRED:
                    default = prm.default
                    edit.setPlaceholderText(
                        json.dumps(list(default) if isinstance(default, tuple) else default)
                    )
                edit.setToolTip(prm.doc)
            edit.textEdited.connect(lambda _t, n=name: self._edited(n))
            edit.editingFinished.connect(lambda n=name: self._commit(n))
            self.form.addRow(name, edit)
            self.fields[name] = edit
        if rb is None:
            self.message.setText(
                f"{spec.type}: no installed library defines this block type; "
                "its parameters are kept as they are"
            )
        else:
            self._validate()

    def _params(self) -> dict[str, Any] | str:
        out: dict[str, Any] = {}
        for name, edit in self.fields.items():
            text = edit.text().strip()
            if not text:
                continue
            try:
                out[name] = json.loads(text)
            except json.JSONDecodeError:
                try:
                    out[name] = float(text)
                except ValueError:
                    return f"parameter '{name}': {text!r} is not a number, a list or a \"string\""
        return out

    def _validate(self) -> str | None:
        spec = self._spec()
        if spec is None:
            return None
        params = self._params()
        problem: str | None = params if isinstance(params, str) else None
        rb = registry().get(spec.type)
        if problem is None and rb is not None:
            try:
                rb.block.validate(params)  # type: ignore[arg-type]
            except BlockError as exc:
                problem = str(exc)
        for name, edit in self.fields.items():
            bad = problem is not None and f"'{name}'" in problem
            edit.setStyleSheet("QLineEdit { border: 2px solid #d62728; }" if bad else "")
        self.message.setText(problem or "")
        return problem

    def _spec(self) -> Any:
        if self.block_id is None:
            return None
        path = f"{self.doc.where}/{self.block_id}" if self.doc.where else self.block_id
        return self.doc.model.block(path)

    def _edited(self, name: str) -> None:
        self._validate()

    def _commit(self, name: str) -> None:
        spec = self._spec()
        params = self._params()
        if spec is None or isinstance(params, str) or params == dict(spec.params):
            return
        from vtc.compiler.model import edit

        bid, where = spec.id, self.doc.where
        self.doc.apply(f"Set {name} of {bid}", lambda m: edit.set_params(m, where, bid, params))


class Diagnostics(QListWidget):
    """Every problem of the model; activating one emits :attr:`blockChosen` with its path."""

    blockChosen = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.itemActivated.connect(self._chosen)
        self.itemClicked.connect(self._chosen)

    def show_problems(self, problems: list[ModelError]) -> None:
        self.clear()
        if not problems:
            item = QListWidgetItem("No problems")
            item.setForeground(Qt.GlobalColor.darkGreen)
            self.addItem(item)
            return
        for p in problems:
            where = f"{p.path}: " if p.path else ""
            item = QListWidgetItem(f"{where}{p.message}")
            item.setData(Qt.ItemDataRole.UserRole, p.path or "")
            item.setToolTip(p.format())
            item.setForeground(Qt.GlobalColor.red)
            self.addItem(item)

    def _chosen(self, item: QListWidgetItem) -> None:
        path = item.data(Qt.ItemDataRole.UserRole)
        if path:
            self.blockChosen.emit(path)
