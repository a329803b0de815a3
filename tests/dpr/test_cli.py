"""``vtc bit ...`` end to end: outputs, files written, and exact error messages."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from vtc.app.cli import main
from vtc.compiler.dpr import parse_bitstream
from vtc.compiler.dpr.samples import sample_bitstream

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "bitstreams"
ARTY = [DATA / f"cc0_prjxray-db/arty-a7_{n}_design.bit.gz" for n in ("pmod", "swbut", "uart")]
PYNQ = DATA / "bsd3_pynq/pynq-z1_base_v2.4.bit.gz"
needs_arty = pytest.mark.skipif(
    not all(p.is_file() for p in ARTY),
    reason=f"real Arty bitstreams not found in {DATA} (they are not in the repository)",
)
KNOWN = "xc7a35t (0x0362D093), xc7a50t (0x0362C093), xc7z010 (0x03722093), xc7z020 (0x03727093)"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["bit", *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return status, out, err


def fails(capsys: pytest.CaptureFixture[str], message: str, *argv: str) -> None:
    status, out, err = run(capsys, *argv)
    assert status == 1
    assert err == message + "\n"
    assert out == ""


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


@pytest.fixture
def sample(tmp_path: Path) -> str:
    return write(tmp_path / "s.bit", sample_bitstream("xc7z020", frames=[(0, 3), (100, 2)]))


# -- errors: junk, truncated, wrong device ----------------------------------------------------


def test_junk_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    junk = write(tmp_path / "junk.bit", b"this is not a bitstream\n" * 10)
    fails(
        capsys,
        f"{junk}: error: not a Xilinx 7-series bitstream: no sync word (0xAA995566) found",
        "info",
        junk,
    )
    empty = write(tmp_path / "empty.bin", b"")
    fails(
        capsys,
        f"{empty}: error: not a Xilinx 7-series bitstream: no sync word (0xAA995566) found",
        "convert",
        empty,
        "-o",
        str(tmp_path / "x.bin"),
    )
    fails(
        capsys, f"{tmp_path / 'none.bit'}: error: no such file", "info", str(tmp_path / "none.bit")
    )


def test_truncated_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    raw = sample_bitstream("xc7z020", frames=[(0, 2)])
    cut = write(tmp_path / "cut.bit", raw[:-100])
    body = len(raw) - parse_bitstream(raw, "x").body_offset
    fails(
        capsys,
        f"{cut}: error: truncated bitstream: the header announces {body} body bytes, "
        f"{body - 100} follow",
        "info",
        cut,
    )
    raw_bin = sample_bitstream("xc7z020", frames=[(0, 2)], bit=False)
    cut_bin = write(tmp_path / "cut.bin", raw_bin[:300])
    fails(
        capsys,
        f"{cut_bin}: error: truncated bitstream: Type 2 write FDRI, 303 words at byte 104 needs "
        "303 data words, 48 remain",
        "info",
        cut_bin,
    )
    header_only = write(tmp_path / "head.bit", raw[:30])
    fails(
        capsys,
        f"{header_only}: error: truncated .bit header: field 'a' needs 20 bytes, 14 remain",
        "info",
        header_only,
    )


def test_wrong_device(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    unknown = write(
        tmp_path / "u.bin",
        sample_bitstream("xc7z020", frames=[(0, 1)], idcode=0x12345678, bit=False),
    )
    fails(
        capsys,
        f"{unknown}: error: unknown device: IDCODE 0x12345678 is not one of {KNOWN}",
        "info",
        unknown,
    )
    mismatch = write(
        tmp_path / "m.bit", sample_bitstream("xc7z010", frames=[(0, 1)], part="7z020clg400")
    )
    fails(
        capsys,
        f"{mismatch}: error: wrong device: the header names part '7z020clg400', but the "
        "IDCODE 0x03722093 is a xc7z010",
        "info",
        mismatch,
    )
    a = write(tmp_path / "a.bit", sample_bitstream("xc7z020", frames=[(0, 1)]))
    b = write(tmp_path / "b.bit", sample_bitstream("xc7z010", frames=[(0, 1)]))
    fails(
        capsys,
        f"{b}: error: wrong device: this bitstream is for xc7z010, but {a} is for xc7z020",
        "apply",
        a,
        b,
        "-o",
        str(tmp_path / "o.bit"),
    )
    fails(
        capsys,
        f"{b}: error: wrong device: this bitstream is for xc7z010, but {a} is for xc7z020",
        "diff",
        a,
        b,
    )


@pytest.mark.skipif(not PYNQ.is_file(), reason=f"real bitstream not found: {PYNQ}")
def test_truncated_real_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with gzip.open(PYNQ) as fh:
        raw = fh.read()
    body = write(tmp_path / "base.bin", raw[108 : 108 + 2_000_000])
    fails(
        capsys,
        f"{body}: error: truncated bitstream: Type 2 write FDRI, 1010808 words at byte 232 "
        "needs 1010808 data words, 499941 remain",
        "info",
        body,
    )


def test_crc_mismatch(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    raw = bytearray(sample_bitstream("xc7z020", frames=[(0, 2)], bit=False))
    raw[200] ^= 0x01  # a frame word
    bad = write(tmp_path / "bad.bin", bytes(raw))
    status, out, err = run(capsys, "info", bad)
    assert status == 1 and out == ""
    assert err.startswith(f"{bad}: error: CRC mismatch at byte {len(raw) - 84}: the file says 0x")
    status, out, err = run(capsys, "info", bad, "--ignore-crc")
    assert status == 0
    assert "  crc         mismatch (1 checks)\n" in out


def test_usage_errors(capsys: pytest.CaptureFixture[str], sample: str) -> None:
    fails(capsys, "estimate: error: give a bitstream file, or --frames N and --writes W",
          "estimate")  # fmt: skip
    fails(
        capsys,
        "estimate: error: give either a bitstream file or --frames and --writes, not both",
        "estimate",
        sample,
        "--frames",
        "3",
        "--writes",
        "1",
    )
    fails(
        capsys,
        "--writes: error: 3 writes cannot carry 2 frames (each burst has at least one)",
        "estimate",
        "--frames",
        "2",
        "--writes",
        "3",
    )
    fails(capsys, "table: error: give the bitstreams and -o IMAGE (or --read IMAGE)", "table")
    with pytest.raises(SystemExit) as exc:
        main(["bit", "estimate", "--frames", "x"])
    assert exc.value.code == 1


# -- info and convert -------------------------------------------------------------------------


def test_info_text_and_json(capsys: pytest.CaptureFixture[str], sample: str) -> None:
    status, out, _ = run(capsys, "info", sample)
    assert status == 0
    assert out.splitlines()[0] == f"{sample}: xc7z020 (partial bitstream)"
    assert "  frames      5 of 9996\n" in out
    assert "  commands    RCRC WCFG x2 DESYNC\n" in out
    assert "  crc         ok (1 checks)\n" in out
    status, out, _ = run(capsys, "info", sample, "--json", "--packets")
    info = json.loads(out)
    assert info["device"] == "xc7z020"
    assert info["idcode"] == "0x03727093"
    assert info["part"] == "7z020clg400"
    assert info["frames"] == 5
    header_bytes = parse_bitstream(Path(sample).read_bytes(), "s").body_offset
    assert info["body_bytes"] == Path(sample).stat().st_size - header_bytes
    assert info["crc"]["result"] == "ok"
    assert info["packets"]["writes"]["FAR"] == {"packets": 2, "words": 2}
    assert info["listing"][0]["text"] == "NOP"
    status, out, _ = run(capsys, "info", sample, "--packets")
    assert "Type 2 write FDRI, 404 words" in out


@pytest.mark.parametrize("fmt", ["bit", "bin", "bin-pcap", "bin-icap"])
def test_convert(capsys: pytest.CaptureFixture[str], sample: str, tmp_path: Path, fmt: str) -> None:
    out_file = tmp_path / f"o.{fmt}"
    assert run(capsys, "convert", sample, "-o", str(out_file), "--format", fmt)[0] == 0
    again = tmp_path / f"again.{fmt}"
    assert run(capsys, "convert", str(out_file), "-o", str(again))[0] == 0
    assert again.read_bytes() == out_file.read_bytes()  # same format: byte-identical
    back = tmp_path / "back.bit"
    assert run(capsys, "convert", str(out_file), "-o", str(back), "--format", "bit")[0] == 0
    if fmt == "bit":
        assert back.read_bytes() == Path(sample).read_bytes()
    converted = parse_bitstream(back.read_bytes(), "back.bit")
    assert np.array_equal(
        converted.memory.data, parse_bitstream(Path(sample).read_bytes(), "s").memory.data
    )


def test_convert_bin_to_bit_makes_a_header(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    src = write(tmp_path / "design.bin", sample_bitstream("xc7a35t", frames=[(7, 1)], bit=False))
    out = tmp_path / "design.bit"
    assert run(capsys, "convert", src, "-o", str(out), "--format", "bit")[0] == 0
    header = parse_bitstream(out.read_bytes(), "design.bit").header
    assert header is not None
    assert (header.design, header.part, header.date, header.time) == (
        "design;Generator=vtc",
        "7a35t",
        "1970/01/01",
        "00:00:00",
    )


# -- estimate, table, context -----------------------------------------------------------------


def test_estimate(capsys: pytest.CaptureFixture[str], sample: str) -> None:
    status, out, _ = run(capsys, "estimate", sample, "--json")
    est = json.loads(out)
    body = parse_bitstream(Path(sample).read_bytes(), "s").body_bytes
    assert est["bytes"] == body
    assert (est["frames"], est["bursts"]) == (5, 2)
    status, out, _ = run(capsys, "estimate", "--frames", "5", "--writes", "2", "--json")
    assert json.loads(out)["bytes"] == body
    status, out, _ = run(
        capsys, "estimate", "--frames", "5", "--writes", "2", "--speed", "100", "--json"
    )
    est = json.loads(out)
    assert est["seconds"] == pytest.approx(body / 100e6)
    assert est["cycles"] == body  # 1 byte per cycle at 100 MB/s and 100 MHz
    status, out, _ = run(capsys, "estimate", "--frames", "5", "--writes", "2", "--port", "pcap")
    assert status == 0
    assert out.splitlines()[1].startswith("  pcap (145 MB/s): ")


@pytest.mark.skipif(not PYNQ.is_file(), reason=f"real bitstream not found: {PYNQ}")
def test_estimate_full_xc7z020(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with gzip.open(PYNQ) as fh:
        path = write(tmp_path / "base.bit", fh.read())
    icap = json.loads(run(capsys, "estimate", path, "--json")[1])
    pcap = json.loads(run(capsys, "estimate", path, "--port", "pcap", "--json")[1])
    assert icap["bytes"] == 4_045_564
    assert round(icap["seconds"] * 1e3, 1) == 10.1
    assert round(pcap["seconds"] * 1e3, 1) == 27.9


def test_table(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    files = [
        write(tmp_path / f"p{n}.bit", sample_bitstream("xc7z020", frames=[(0, n)], seed=n))
        for n in (1, 3)
    ]
    image = tmp_path / "t.img"
    assert (
        run(capsys, "table", *files, "-o", str(image), "--align", "16", "--endian", "big")[0] == 0
    )
    status, out, _ = run(capsys, "table", "--read", str(image), "--json")
    listing = json.loads(out)
    assert listing["endian"] == "big"
    assert [(e["offset"], e["frames"]) for e in listing["entries"]] == [(16, 1), (1024, 3)]
    data = image.read_bytes()
    assert data[:4] == (16).to_bytes(4, "big")
    status, out, _ = run(capsys, "table", "--read", str(image))
    assert status == 0
    assert out.splitlines()[0] == f"{image}: 2 entries (big-endian)"


def test_readback_snapshot_restore(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    seq = tmp_path / "rb.bin"
    status, out, _ = run(capsys, "readback", "--region", "X0Y0", "-o", str(seq), "--json")
    rb = json.loads(out)
    assert rb["frames"] == 1140 and rb["words_returned"] == (1140 + 1) * 101
    assert parse_bitstream(seq.read_bytes(), "rb").summary()["packets"]["commands"][:2] == [
        "RCRC",
        "GCAPTURE",
    ]
    full = sample_bitstream("xc7z020", frames=[(0, 2564)], seed=3)
    src = write(tmp_path / "full.bit", full)
    snap = tmp_path / "s.snap"
    assert run(capsys, "snapshot", src, "--region", "Y2/C0:C2", "-o", str(snap))[0] == 0
    restore = tmp_path / "r.bin"
    status, out, _ = run(capsys, "restore", str(snap), "-o", str(restore), "--json")
    summary = json.loads(out)
    assert summary["frames"] == 42 + 30 + 36 and summary["bursts"] == 1
    restored = parse_bitstream(restore.read_bytes(), "r.bin")
    original = parse_bitstream(full, "full.bit")
    assert restored.memory.indices.tolist() == list(range(108))
    assert np.array_equal(restored.memory.data[:108], original.memory.data[:108])
    fails(
        capsys,
        f"{src}: error: the bitstream does not configure 2564 frames of region X0Y0:X1Y0",
        "snapshot",
        src,
        "--region",
        "X0Y0:X1Y0",
        "-o",
        str(snap),
    )
    status, out, _ = run(capsys, "context-time", "--frames", "10", "--json")
    assert status == 0
    assert json.loads(out)["save_seconds"] == pytest.approx(622e-6)


# -- combine, diff, apply on the real Arty files ----------------------------------------------


@needs_arty
def test_combine_diff_apply(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    paths = []
    for p in ARTY:
        with gzip.open(p) as fh:
            paths.append(write(tmp_path / p.name[: -len(".gz")], fh.read()))
    out_dir = tmp_path / "out"
    status, out, _ = run(capsys, "combine", *paths, "-o", str(out_dir), "--json")
    result = json.loads(out)
    assert result["differing_frames"] == 207
    assert [o["frames"] for o in result["outputs"]] == [207, 207, 207]
    assert sorted(result["baselines"]) == ["difference", "differential", "module"]
    assert result["baselines"]["difference"]["files"] == 6
    outputs = [Path(o["output"]) for o in result["outputs"]]
    assert [o.name for o in outputs] == [
        "arty-a7_pmod_design.partial.bit",
        "arty-a7_swbut_design.partial.bit",
        "arty-a7_uart_design.partial.bit",
    ]
    first = [o.read_bytes() for o in outputs]
    for o in result["outputs"]:
        est = json.loads(run(capsys, "estimate", o["output"], "--json")[1])
        assert est["bytes"] == o["bytes"]
    run(capsys, "combine", *paths, "-o", str(out_dir))
    assert [o.read_bytes() for o in outputs] == first  # deterministic
    status, out, _ = run(capsys, "diff", paths[0], paths[1], "--json")
    assert json.loads(out)["differing_frames"] == 181
    applied = tmp_path / "applied.bit"
    assert run(capsys, "apply", paths[1], str(outputs[2]), "-o", str(applied))[0] == 0
    status, out, _ = run(capsys, "diff", str(applied), paths[2])
    assert out.splitlines()[0].endswith(": 0 differing frames in 0 ranges")
    status, out, err = run(
        capsys, "combine", *paths, "-o", str(out_dir), "--region", "X0Y2", "--json"
    )
    region = json.loads(out)
    assert region["differing_frames_outside_region"] > 0
    assert "differing frames lie outside the region" in err
    status, out, _ = run(
        capsys, "combine", *paths, "-o", str(out_dir / "d"), "--strategy", "difference"
    )
    assert status == 0
    assert "difference" in out
    assert len(list((out_dir / "d").iterdir())) == 6
