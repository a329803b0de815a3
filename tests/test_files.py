"""Reading users' files and writing files atomically."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vtc.compiler.errors import VtcError
from vtc.compiler.files import read_text, write_text_atomic


def test_atomic_write_gives_the_usual_mode_and_keeps_an_existing_one(tmp_path: Path) -> None:
    # regression: mkstemp's private 0600 mode leaked into every written file
    new = tmp_path / "new.txt"
    write_text_atomic(new, "a")
    mask = os.umask(0)
    os.umask(mask)
    assert new.stat().st_mode & 0o777 == 0o666 & ~mask
    old = tmp_path / "old.txt"
    old.write_text("x")
    old.chmod(0o640)
    write_text_atomic(old, "y")
    assert old.read_text() == "y" and old.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.txt", "old.txt"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"a\x00b", "is a binary file, not text"),
        (b"\xff\xfe", "is not UTF-8 text (bad byte at offset 0)"),
    ],
)
def test_bad_text_files_are_named(tmp_path: Path, content: bytes, message: str) -> None:
    f = tmp_path / "f.s"
    f.write_bytes(content)
    with pytest.raises(VtcError) as info:
        read_text(f)
    assert info.value.format() == f"{f}: error: {message}"


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(VtcError, match="no such file"):
        read_text(tmp_path / "none.s")
    with pytest.raises(VtcError, match="is a directory, not a file"):
        read_text(tmp_path)
