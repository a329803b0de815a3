"""Helpers shared by the command modules: reading user files with located errors."""

from __future__ import annotations

from pathlib import Path

from vtc.compiler.errors import VtcError


def read_text_file(path: str) -> str:
    """The text of a user's file, or a :class:`VtcError` naming it (missing, binary, ...)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except IsADirectoryError:
        raise VtcError("is a directory, not a file", where=path) from None
    except OSError as exc:
        raise VtcError(f"cannot read file: {exc.strerror or exc}", where=path) from None
    if b"\x00" in data:
        raise VtcError("is a binary file, not text", where=path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VtcError(f"is not UTF-8 text (bad byte at offset {exc.start})", where=path) from None
