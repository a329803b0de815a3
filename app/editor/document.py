"""The document: one open model, its file, its undo stack.

Every edit is one :class:`ModelCommand` on the ``QUndoStack``: it holds the
model before and after (models are immutable, so a snapshot is cheap: the
unchanged parts are shared) and the new model is computed by one pure
function of :mod:`vtc.compiler.model.edit`. Undo and redo swap snapshots and
emit :attr:`Document.changed`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from vtc.compiler.errors import VtcError
from vtc.compiler.model import Model, dumps, load, save


class ModelCommand(QUndoCommand):
    """One edit: the model before and after."""

    def __init__(self, doc: Document, text: str, before: Model, after: Model) -> None:
        super().__init__(text)
        self.doc = doc
        self.before = before
        self.after = after

    def redo(self) -> None:
        self.doc._set_model(self.after)

    def undo(self) -> None:
        self.doc._set_model(self.before)


class Document(QObject):
    """An open model.

    Signals
    -------
    changed:
        The model was replaced (an edit, undo or redo, open).
    whereChanged(str):
        The diagram shown changed (entering or leaving a subsystem).
    fileChanged(str):
        The document's file changed (open, save as).
    error(str):
        An edit was refused; the message says why.
    """

    changed = Signal()
    whereChanged = Signal(str)
    fileChanged = Signal(str)
    error = Signal(str)

    def __init__(self, model: Model | None = None, file: str | None = None) -> None:
        super().__init__()
        self.model = model if model is not None else Model(name="untitled")
        self.file = file
        self.where = ""
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(500)

    # -- model -------------------------------------------------------------------------

    def _set_model(self, model: Model) -> None:
        self.model = model
        if self.where and model.block(self.where) is None:
            self.set_where("")
        self.changed.emit()

    def apply(self, text: str, edit: Callable[[Model], Model]) -> bool:
        """Run one edit as an undoable command; a refused edit emits :attr:`error`.

        Returns whether the edit was made.
        """
        try:
            after = edit(self.model)
        except VtcError as exc:
            self.error.emit(exc.message)
            return False
        if after == self.model and after.extra == self.model.extra:
            return False
        self.undo_stack.push(ModelCommand(self, text, self.model, after))
        return True

    def set_where(self, where: str) -> None:
        """Show the diagram at ``where`` ("" is the top level)."""
        if where != self.where:
            self.where = where
            self.whereChanged.emit(where)

    # -- files --------------------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def title(self) -> str:
        name = Path(self.file).name if self.file else f"{self.model.name or 'untitled'}.json"
        return name + (" *" if self.dirty else "")

    def reset(self, model: Model, file: str | None) -> None:
        """Show another model (New, Open): the undo history starts afresh."""
        self.undo_stack.clear()
        self.model = model
        self.file = file
        self.where = ""
        self.whereChanged.emit("")
        self.fileChanged.emit(file or "")
        self.changed.emit()

    @classmethod
    def open(cls, path: str) -> Document:
        """Load a model file (raises :class:`VtcError` with the file's problems)."""
        return cls(load(path), path)

    def save(self, path: str | None = None) -> None:
        """Write the model atomically (to ``path``, which becomes the file)."""
        target = path or self.file
        if target is None:
            raise VtcError("the model has no file yet: use Save As")
        save(self.model, target)
        self.undo_stack.setClean()
        if target != self.file:
            self.file = target
            self.fileChanged.emit(target)
        _remove(autosave_path(target))

    def autosave(self) -> str | None:
        """Write the unsaved model beside its file (``.NAME.json.autosave``); the
        path written, or ``None`` when there was nothing to save."""
        if not self.dirty:
            return None
        path = autosave_path(self.file)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        from vtc.compiler.files import write_text_atomic

        write_text_atomic(path, dumps(self.model))
        return path


def autosave_path(file: str | None) -> str:
    """Where the autosave of ``file`` goes (untitled models: the user's vtc folder)."""
    if file:
        p = Path(file)
        return str(p.with_name(f".{p.name}.autosave"))
    base = Path(os.environ.get("VTC_HOME", Path.home() / ".vtc"))
    return str(base / "autosave" / "untitled.json.autosave")


def recovery_for(file: str | None) -> str | None:
    """An autosave newer than ``file`` (left by a crash), if there is one."""
    auto = autosave_path(file)
    if not os.path.exists(auto):
        return None
    if file and os.path.exists(file) and os.path.getmtime(file) > os.path.getmtime(auto):
        return None
    return auto


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)
