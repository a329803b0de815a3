"""The installed Qt binding does not leak references to None.

PySide6 6.12.0 on CPython 3.11 drops one reference to ``None`` on each call of
many void methods (``QPainter.setPen`` ...), so an editor session aborted
with ``Fatal Python error: none_dealloc`` after some hundreds of repaints;
pyproject pins ``PySide6-Essentials<6.12``. This guards the pin.
"""

from __future__ import annotations

import sys

from PySide6.QtGui import QColor, QImage, QPainter, QPen


def test_void_methods_keep_the_reference_count_of_none(qapp) -> None:  # type: ignore
    img = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(img)
    pen = QPen(QColor("red"))
    before = sys.getrefcount(None)
    for _ in range(2000):
        painter.setPen(pen)
    painter.end()
    assert abs(sys.getrefcount(None) - before) < 100
