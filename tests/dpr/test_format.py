"""The layout side: tables, CRC, .bit header, packets, devices (no real files needed)."""

from __future__ import annotations

import doctest
import importlib
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vtc.compiler.dpr import BitstreamError, ByteOrder, known_devices, load_device, parse_bitstream
from vtc.compiler.dpr.bitfile import PREAMBLE, BitHeader, from_canonical, parse_header
from vtc.compiler.dpr.crc import contributions, crc_of_writes, crc_step, crc_words, fold_segments
from vtc.compiler.dpr.device import decode_far, encode_far
from vtc.compiler.dpr.packets import parse_stream
from vtc.compiler.dpr.partgen import SHIPPED, compress_columns, render_device
from vtc.compiler.dpr.registers import Command, Register, describe_header
from vtc.compiler.dpr.samples import sample_bitstream

PARTS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "bitstreams" / "parts"
DEVICES = Path(__file__).resolve().parents[2] / "resources" / "devices"

MODULES = [
    "registers", "crc", "bitfile", "packets", "device", "bitstream", "writer",
    "estimate", "table", "samples", "partgen",
]  # fmt: skip


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(f"vtc.compiler.dpr.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


# -- tables ----------------------------------------------------------------------------------


def test_register_and_command_values_from_the_spec() -> None:
    assert {r.name: r.value for r in Register if r.value <= 0x18 and r.name != "RBCRC_SW"} == {
        "CRC": 0, "FAR": 1, "FDRI": 2, "FDRO": 3, "CMD": 4, "CTL0": 5, "MASK": 6, "STAT": 7,
        "LOUT": 8, "COR0": 9, "MFWR": 10, "CBC": 11, "IDCODE": 12, "AXSS": 13, "COR1": 14,
        "WBSTAR": 0x10, "TIMER": 0x11, "BOOTSTS": 0x16, "CTL1": 0x18,
    }  # fmt: skip
    spec = {"NULL": 0, "WCFG": 1, "MFW": 2, "LFRM": 3, "RCFG": 4, "START": 5, "RCRC": 7,
            "GRESTORE": 0x0A, "SHUTDOWN": 0x0B, "GCAPTURE": 0x0C, "DESYNC": 0x0D}  # fmt: skip
    assert all(Command[name].value == value for name, value in spec.items())
    assert describe_header(0x50000010, Register.FDRI) == "Type 2 write FDRI, 16 words"
    assert describe_header(0x28006000) == "Type 1 read FDRO, 0 words"
    assert describe_header(0xE0000000) == "invalid header 0xE0000000 (type 7)"


# -- CRC ---------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 31), st.integers(0, 2**32 - 1)), max_size=60))
def test_fast_crc_equals_bitwise_definition(writes: list[tuple[int, int]]) -> None:
    ref = 0
    for address, word in writes:
        ref = crc_step(ref, address, word)
    arrays = [(a, np.array([w], dtype=np.uint32)) for a, w in writes]
    assert crc_of_writes(arrays) == ref
    table = 0
    for address, word in writes:
        table = crc_words(address, [word], table)
    assert table == ref


def test_fold_segments_of_many_lengths() -> None:
    rng = random.Random(5)
    words = np.array([rng.getrandbits(32) for _ in range(5000)], dtype=np.uint32)
    x = contributions(words, 2)
    bounds = [(0, 0), (0, 1), (1, 3), (3, 100), (100, 101), (101, 4097), (4097, 5000)]
    bounds += [(i, i + 7) for i in range(0, 4000, 50)]  # many short runs (vector path)
    expected = [crc_words(2, words[a:b].tolist()) for a, b in bounds]
    assert fold_segments(x, bounds) == expected


# -- .bit header and byte orders ---------------------------------------------------------------


def test_bit_header_round_trip() -> None:
    header = BitHeader.make("top;UserID=0XFFFFFFFF", "7z020clg400", "2019/01/23", "15:27:38")
    data = header.to_bytes(1234)
    assert data.startswith(PREAMBLE)
    assert data[13:16] == b"a\x00\x16"
    parsed, at, length = parse_header(data, "x.bit")
    assert (parsed, at, length) == (header, len(data), 1234)
    assert parsed.part == "7z020clg400" and parsed.time == "15:27:38"


@pytest.mark.parametrize(
    ("cut", "message"),
    [
        (14, "x.bit: error: truncated .bit header: field 'a' needs 2 length bytes, 0 remain"),
        (20, "x.bit: error: truncated .bit header: field 'a' needs 5 bytes, 4 remain"),
        (40, "x.bit: error: truncated .bit header: field 'c' needs 11 bytes, 7 remain"),
        (56, "x.bit: error: truncated .bit header: it ends before the 'e' field"),
        (58, "x.bit: error: truncated .bit header: field 'e' needs 4 length bytes, 1 remain"),
    ],
)
def test_truncated_header_messages(cut: int, message: str) -> None:
    data = BitHeader.make("abcd", "7z020", "2019/01/23", "15:27:38").to_bytes(8)
    with pytest.raises(BitstreamError) as err:
        parse_header(data[:cut], "x.bit")
    assert err.value.format() == message


@given(st.binary(max_size=64).map(lambda b: b[: len(b) // 4 * 4]))
def test_byte_order_conversions_are_involutions(data: bytes) -> None:
    for order in ByteOrder:
        assert from_canonical(from_canonical(data, order), order) == data


# -- packets -----------------------------------------------------------------------------------


def test_stream_round_trip_keeps_type0_words_and_trailer() -> None:
    words = [0xFFFFFFFF, 0xAA995566, 0x20000000, 0x00000000, 0x30008001, 0x0000000D, 0x20000000]
    data = np.array(words, dtype=">u4").tobytes() + b"\x01\x02"
    s = parse_stream(data, "x.bin")
    assert [p.kind for p in s.packets] == [1, 0, 1, 1]
    assert s.trailer == b"\x01\x02"
    assert s.to_bytes() == data


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (
            [0x12345678],
            "x.bin: error: not a Xilinx 7-series bitstream: no sync word (0xAA995566) found",
        ),
        (
            [0xAA995566, 0xE0000000],
            "x.bin: error: bad packet at byte 4: invalid header 0xE0000000 (type 7)",
        ),
        (
            [0xAA995566, 0x50000002, 1, 2],
            "x.bin: error: bad packet at byte 4: a Type 2 packet needs a Type 1 before it",
        ),
        (
            [0xAA995566, 0x30004000, 0x50000010, 1, 2],
            "x.bin: error: truncated bitstream: Type 2 write FDRI, 16 words at byte 8 needs 16 "
            "data words, 2 remain",
        ),
    ],
)
def test_bad_streams(words: list[int], message: str) -> None:
    with pytest.raises(BitstreamError) as err:
        parse_stream(np.array(words, dtype=">u4").tobytes(), "x.bin")
    assert err.value.format() == message


def test_stray_bytes_before_desync_are_truncation() -> None:
    data = np.array([0xAA995566, 0x20000000], dtype=">u4").tobytes() + b"\x30\x00"
    with pytest.raises(BitstreamError) as err:
        parse_stream(data, "x.bin")
    assert err.value.format() == (
        "x.bin: error: truncated bitstream: 2 stray bytes after the last whole word"
    )


# -- devices -----------------------------------------------------------------------------------


def test_shipped_devices() -> None:
    counts = {d.name: d.frame_count for d in known_devices()}
    assert counts == {"xc7a35t": 5408, "xc7z010": 5144, "xc7z020": 9996}
    z020 = load_device("xc7z020")
    assert z020.parts == {"xc7z020": 0x03727093}
    assert [(r.block, r.half, r.row, r.frames) for r in z020.rows] == [
        (0, 0, 0, 2564), (0, 1, 0, 2564), (0, 1, 1, 2564),
        (1, 0, 0, 768), (1, 1, 0, 768), (1, 1, 1, 768),
    ]  # fmt: skip
    assert load_device("xc7a50t") is load_device("xc7a35t")
    assert np.all(np.diff(z020.addresses.astype(np.int64)) > 0)
    with pytest.raises(BitstreamError) as err:
        load_device("xc7k325t")
    assert err.value.format().startswith("--device: error: unknown device 'xc7k325t' (known: ")


def test_frame_addresses() -> None:
    assert encode_far(1, 1, 2, 3, 4) == 0x00C40184
    assert decode_far(0x00C40184) == (1, 1, 2, 3, 4)
    dev = load_device("xc7z010")
    assert dev.far_of(0) == 0 and dev.index_of(0) == 0
    assert dev.far_of(42) == 0x80  # column 0 has 42 frames
    assert dev.index_of(0x2A) is None
    last_logic = dev.rows[1].first + dev.rows[1].frames - 1
    assert dev.far_of(last_logic + 1) == 0x00800000  # BRAM content, top row 0
    slots = dev.full_stream
    assert len(slots) == dev.frame_count + 2 * len(dev.rows)
    assert slots[1932].tolist() == slots[1933].tolist() == -1


def test_regions() -> None:
    dev = load_device("xc7z020")
    assert dev.clock_region_rows() == {0: (1, 1), 1: (1, 0), 2: (0, 0)}
    whole = dev.region("X0Y0:X1Y2")
    assert whole.frame_count == 3 * 2564
    left, right = dev.region("X0Y1"), dev.region("X1Y1")
    assert left.frame_count + right.frame_count == 2564
    assert dev.region("x1y1:x0y1").frame_count == 2564
    assert dev.region("Y2/C0:C1").frame_count == 72
    assert dev.region("all").frame_count == 9996
    for text, message in [
        ("X2Y0", "--region: error: region 'X2Y0': xc7z020 has clock-region columns X0 and X1 only"),
        ("X0Y3", "--region: error: region 'X0Y3': xc7z020 has clock-region rows Y0 to Y2"),
        (
            "nowhere",
            "--region: error: bad region 'nowhere': expected clock regions like "
            "X0Y1:X1Y1, columns like Y1/C10:C20, or all",
        ),
        ("Y0/C200", "--region: error: region 'Y0/C200' holds no frames of xc7z020"),
    ]:
        with pytest.raises(BitstreamError) as err:
            dev.region(text)
        assert err.value.format() == message


def test_device_files_are_generated_from_the_part_files() -> None:
    if not all((PARTS / d.part_file).is_file() for d in SHIPPED):
        pytest.skip(f"prjxray part files not found in {PARTS}")
    for d in SHIPPED:
        text = (PARTS / d.part_file).read_text("utf-8")
        expected = render_device(d.name, d.description, d.parts, d.source, text)
        assert (DEVICES / f"{d.name}.toml").read_text("utf-8") == expected, (
            f"{d.name}.toml is stale: run python -m vtc.compiler.dpr.partgen PARTS --all "
            "resources/devices"
        )
    assert compress_columns([1, 1, 2]) == "1*2 2"


def test_wrong_device_and_unknown_idcode() -> None:
    with pytest.raises(BitstreamError) as err:
        parse_bitstream(sample_bitstream("xc7z020", frames=[(0, 1)], idcode=0x0362D093), "w.bit")
    assert err.value.format() == (
        "w.bit: error: wrong device: the header names part '7z020clg400', but the IDCODE "
        "0x0362D093 is a xc7a35t"
    )


_SAMPLE = sample_bitstream("xc7z020", frames=[(0, 3), (2563, 1), (2564, 2)])


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, len(_SAMPLE)),
    st.lists(st.tuples(st.integers(0, len(_SAMPLE) - 1), st.integers(0, 255)), max_size=4),
)
def test_damaged_files_raise_bitstream_errors_only(cut: int, flips: list[tuple[int, int]]) -> None:
    """Junk, truncated and corrupted input: a BitstreamError or a valid parse, nothing else."""
    data = bytearray(_SAMPLE)
    for at, value in flips:
        data[at] = value
    try:
        parse_bitstream(bytes(data[:cut]), "d.bit")
    except BitstreamError as err:
        assert err.format().startswith("d.bit: error: ")
