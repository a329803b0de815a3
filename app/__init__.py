"""vtc's user interfaces: the command line (and later the Qt editor).

This is the only part of vtc that may import PySide6; the core
(:mod:`vtc.compiler`) never imports from here.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("vtc")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"
