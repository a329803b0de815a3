"""Bitstreams archived with gzip are read as they are."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from vtc.app.cli import main


def test_gzip_bitstream_reads_like_the_plain_one(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gz = shared_data / "bitstreams" / "cc0_prjxray-db" / "arty-a7_pmod_design.bit.gz"
    plain = tmp_path / "pmod.bit"
    with gzip.open(gz) as src, plain.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    assert main(["bit", "info", str(gz), "--json"]) == 0
    from_gz = capsys.readouterr().out
    assert main(["bit", "info", str(plain), "--json"]) == 0
    assert capsys.readouterr().out.replace(str(plain), "F") == from_gz.replace(str(gz), "F")


def test_damaged_gzip_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.bit.gz"
    bad.write_bytes(b"\x1f\x8b" + b"junk")
    assert main(["bit", "info", str(bad)]) == 1
    assert capsys.readouterr().err == (
        f"{bad}: error: gzip data is damaged: Compressed file ended before the "
        "end-of-stream marker was reached\n"
    )
