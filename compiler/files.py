"""Reading users' files with located errors, and writing files atomically.

Every file the toolchain writes goes through :func:`write_text_atomic` or
:func:`write_bytes_atomic`: the data lands in a temporary file beside the
target and is renamed over it, so a crash never leaves a half-written file
and never destroys the previous version.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from vtc.compiler.errors import VtcError

__all__ = ["read_bytes", "read_text", "write_bytes_atomic", "write_text_atomic"]


def read_bytes(path: str | Path) -> bytes:
    """The bytes of a user's file.

    Raises
    ------
    VtcError
        Naming the file: missing, a directory, unreadable.
    """
    p = Path(path)
    try:
        return p.read_bytes()
    except IsADirectoryError:
        raise VtcError("is a directory, not a file", where=str(path)) from None
    except FileNotFoundError:
        raise VtcError("no such file", where=str(path)) from None
    except OSError as exc:
        raise VtcError(f"cannot read file: {exc.strerror or exc}", where=str(path)) from None


def read_text(path: str | Path) -> str:
    """The UTF-8 text of a user's file.

    Raises
    ------
    VtcError
        Naming the file: missing, unreadable, binary (contains NUL bytes) or
        not UTF-8.
    """
    data = read_bytes(path)
    if b"\x00" in data:
        raise VtcError("is a binary file, not text", where=str(path))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VtcError(
            f"is not UTF-8 text (bad byte at offset {exc.start})", where=str(path)
        ) from None


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file, fsync, rename).

    Raises
    ------
    VtcError
        Naming the file when it cannot be written.
    """
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            # mkstemp makes the file private (0600): give it the mode a plain
            # open() would, or keep the mode of the file it replaces
            os.chmod(tmp, p.stat().st_mode & 0o7777 if p.exists() else 0o666 & ~_umask())
            os.replace(tmp, p)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise VtcError(f"cannot write file: {exc.strerror or exc}", where=str(path)) from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write UTF-8 ``text`` (newlines as given) to ``path`` atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))
