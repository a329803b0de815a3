"""EPOCH context save/restore sequences and the controller's bitstream table."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from vtc.compiler.dpr import (
    BitstreamError,
    build_table,
    context_time,
    load_device,
    parse_bitstream,
    parse_snapshot,
    read_table,
    readback_sequence,
    restore_sequence,
    snapshot_from_readback,
)
from vtc.compiler.dpr.context import Snapshot, build_snapshot
from vtc.compiler.dpr.registers import Command, Opcode, Register
from vtc.compiler.dpr.samples import sample_bitstream, sample_frames
from vtc.compiler.dpr.writer import GRESTORE_BYTES, stream_bytes

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "bitstreams"
PYNQ = DATA / "bsd3_pynq/pynq-z1_base_v2.4.bit.gz"


def test_readback_sequence_reads_each_run_with_a_leading_dummy_frame() -> None:
    dev = load_device("xc7z020")
    region = dev.region("X0Y0")
    raw, reads = readback_sequence(dev, 0x03727093, region.indices)
    bs = parse_bitstream(raw, "rb.bin")
    assert bs.memory.count == 0  # reads only, nothing written
    commands = bs.summary()["packets"]["commands"]
    assert commands == ["RCRC", "GCAPTURE", *(["RCFG"] * len(reads)), "DESYNC"]
    fdro = [p for p in bs.packets if p.opcode == Opcode.READ and p.register == Register.FDRO]
    assert [p.count for p in fdro if p.count] == [r.words for r in reads]
    assert sum(r.frames for r in reads) == region.frame_count == 1140
    assert all(r.words == (r.frames + 1) * 101 for r in reads)
    # FAR of each read: the first frame of its run (Y0 is bottom row 1 on the XC7Z020).
    fars = [int(p.data[0]) for p in bs.packets if p.is_write and p.register == Register.FAR]
    assert fars == [r.far for r in reads] == [0x00420000]


def test_order_of_capture_commands() -> None:
    dev = load_device("xc7a35t")
    raw, _ = readback_sequence(dev, 0x0362D093, dev.region("Y0/C3:C4").indices)
    bs = parse_bitstream(raw, "rb.bin")
    names = [p.describe() for p in bs.packets if not p.is_nop]
    at = {name: i for i, name in enumerate(names)}
    assert (
        at["Type 1 write CMD, 1 word: GCAPTURE"]
        < at["Type 1 write CMD, 1 word: RCFG"]
        < at["Type 1 write FAR, 1 word: 0x00400180"]
        < at["Type 1 read FDRO, 0 words"]
    )


def test_snapshot_round_trip_and_restore_writes_exactly_the_frames() -> None:
    dev = load_device("xc7z010")
    indices = np.concatenate([np.arange(10, 40), np.arange(1920, 1940), np.arange(5000, 5010)])
    frames = np.concatenate([sample_frames(int(i), 1, seed=9) for i in indices])
    snap = Snapshot(0x03722093, dev, indices.astype(np.int64), frames)
    data = build_snapshot(snap)
    assert data[:8] == b"VTCSNAP1"
    assert struct.unpack_from(">II", data, 8) == (0x03722093, 60)
    again = parse_snapshot(data, "s.snap")
    assert np.array_equal(again.indices, snap.indices)
    assert np.array_equal(again.frames, frames)
    raw, bursts = restore_sequence(again)
    assert bursts == 4  # 10-39, 1920-1931 | 1932-1939 (row end), 5000-5009
    assert len(raw) == stream_bytes(60, 4) + GRESTORE_BYTES
    bs = parse_bitstream(raw, "r.bin")
    assert bs.memory.indices.tolist() == indices.tolist()
    assert np.array_equal(bs.memory.data[indices], frames)
    commands = bs.summary()["packets"]["commands"]
    assert commands[-2:] == [Command.GRESTORE.name, Command.DESYNC.name]
    assert bs.crc_ok


@pytest.mark.skipif(not PYNQ.is_file(), reason=f"real bitstream not found: {PYNQ}")
def test_restore_from_a_real_bitstreams_frames() -> None:
    with gzip.open(PYNQ) as fh:
        full = parse_bitstream(fh.read(), "base.bit")
    region = full.device.region("X1Y1")
    snap = Snapshot(full.idcode or 0, full.device, region.indices, full.memory.data[region.indices])
    raw, _ = restore_sequence(parse_snapshot(build_snapshot(snap), "s.snap"))
    restored = parse_bitstream(raw, "restore.bin")
    assert np.array_equal(restored.memory.indices, region.indices)
    assert np.array_equal(restored.memory.data[region.indices], full.memory.data[region.indices])


def test_snapshot_from_readback_drops_the_dummy_frames() -> None:
    dev = load_device("xc7z020")
    indices = dev.region("Y1/C5:C6").indices
    _, reads = readback_sequence(dev, 0x03727093, indices)
    frames = sample_frames(0, len(indices), seed=4)
    returned = []
    at = 0
    for r in reads:
        returned.append(np.full((1, 101), 0xDEADBEEF, dtype=np.uint32))  # the dummy frame
        returned.append(frames[at : at + r.frames])
        at += r.frames
    raw = np.concatenate(returned).astype(">u4").tobytes()
    snap = snapshot_from_readback(dev, 0x03727093, indices, raw, "rb.dat")
    assert np.array_equal(snap.frames, frames)
    with pytest.raises(BitstreamError, match="readback data has 4 bytes"):
        snapshot_from_readback(dev, 0x03727093, indices, b"\0" * 4, "rb.dat")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"junk", "s.snap: error: not a vtc snapshot: it does not start with VTCSNAP1"),
        (
            b"VTCSNAP1" + struct.pack(">II", 0x03727093, 2) + b"\0" * 408,
            "s.snap: error: truncated snapshot: 2 frames need 832 bytes, the file has 424",
        ),
        (
            b"VTCSNAP1" + struct.pack(">II", 0x12345678, 0),
            "s.snap: error: unknown device: IDCODE 0x12345678 is not one of xc7a35t "
            "(0x0362D093), xc7a50t (0x0362C093), xc7z010 (0x03722093), xc7z020 (0x03727093)",
        ),
        (
            b"VTCSNAP1"
            + struct.pack(">II", 0x03727093, 1)
            + struct.pack(">I", 0x0000002A)
            + b"\0" * 404,
            "s.snap: error: bad snapshot: 0x0000002A is not a frame address of xc7z020",
        ),
        (
            b"VTCSNAP1" + struct.pack(">II", 0x03727093, 2) + (b"\0" * 408) * 2,
            "s.snap: error: bad snapshot: frame 0x00000000 appears twice",
        ),
    ],
)
def test_bad_snapshots(data: bytes, message: str) -> None:
    with pytest.raises(BitstreamError) as err:
        parse_snapshot(data, "s.snap")
    assert err.value.format() == message


def test_context_time_defaults_are_epochs_measurements() -> None:
    t = context_time(100)
    assert t["save_seconds"] == pytest.approx(6.22e-3)
    assert t["restore_seconds"] == pytest.approx(6.74e-3)
    assert t["save_cycles"] == 622_000 and t["restore_cycles"] == 674_000
    assert context_time(10, save_us=1.0, restore_us=2.0)["total_seconds"] == pytest.approx(3e-5)


# -- table -------------------------------------------------------------------------------------


@pytest.mark.parametrize("endian", ["little", "big"])
@pytest.mark.parametrize("align", [1, 8, 4096])
def test_table_layout_and_reader(endian: str, align: int) -> None:
    streams = [sample_bitstream("xc7z020", frames=[(0, n)], seed=n, bit=False) for n in (1, 2, 5)]
    image = build_table(streams, endian=endian, align=align)
    fmt = "<II" if endian == "little" else ">II"
    entries = [struct.unpack_from(fmt, image, 8 * i) for i in range(3)]
    assert entries[0][0] == -(-24 // align) * align
    for (offset, size), stream in zip(entries, streams, strict=True):
        assert offset % align == 0
        assert image[offset : offset + size] == stream
    assert len(image) == entries[-1][0] + entries[-1][1]
    read = read_table(image, "t.img", endian)
    assert [(e.offset, e.size) for e in read] == entries
    assert [(e.offset, e.size) for e in read_table(image, "t.img")] == entries  # detected
    for e, stream in zip(read, streams, strict=True):
        assert parse_bitstream(image[e.offset : e.offset + e.size], "x").to_bytes() == stream


def test_table_errors() -> None:
    with pytest.raises(BitstreamError) as err:
        read_table(b"\xff" * 64, "t.img")
    assert err.value.format() == (
        "t.img: error: not a bitstream table: no consistent little-endian or big-endian "
        "entries (each needs an offset past the entries and a size inside the file)"
    )
    with pytest.raises(BitstreamError, match="at least 1"):
        build_table([b"x"], align=0)
    with pytest.raises(BitstreamError, match="at least one bitstream"):
        build_table([])
