"""Long work off the GUI thread: one job at a time through the driver.

A :class:`Job` runs a function in the thread pool and reports back with Qt
signals (delivered in the GUI thread). Cancelling cannot stop Python code
half way; it marks the job so that its result is dropped and says so.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from vtc.compiler.errors import VtcError


class _Signals(QObject):
    finished = Signal(object)
    failed = Signal(str)


class Job(QRunnable):
    """``fn()`` in the global thread pool; :attr:`signals` reports the outcome.

    A :class:`VtcError` becomes its formatted message; any other exception is
    a bug and is reported with its traceback (never swallowed).
    """

    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.fn = fn
        self.signals = _Signals()
        self.cancelled = False
        self.setAutoDelete(False)

    def run(self) -> None:
        try:
            result = self.fn()
        except VtcError as exc:
            if not self.cancelled:
                self.signals.failed.emit(exc.format())
            return
        except Exception:  # a bug: show it to the user rather than lose it
            if not self.cancelled:
                self.signals.failed.emit(
                    "internal error (please report):\n" + traceback.format_exc()
                )
            return
        if not self.cancelled:
            self.signals.finished.emit(result)

    def start(self) -> None:
        QThreadPool.globalInstance().start(self)

    def cancel(self) -> None:
        self.cancelled = True
