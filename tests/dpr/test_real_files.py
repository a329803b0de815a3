"""Checks on the real Xilinx bitstreams in ``<repo>/../shared/data/bitstreams/``.

The files are not part of the repository (see their README for licences);
every test here skips with the reason when they are absent.
"""

from __future__ import annotations

import gzip
import itertools
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from vtc.compiler.dpr import ByteOrder, parse_bitstream
from vtc.compiler.dpr.bitstream import Bitstream
from vtc.compiler.dpr.crc import crc_words
from vtc.compiler.dpr.registers import Command, Register

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "bitstreams"

FILES = {
    "pynq_base": ("bsd3_pynq/pynq-z1_base_v2.4.bit.gz", "xc7z020", 9996),
    "pynq_logictools": ("bsd3_pynq/pynq-z1_logictools_v2.4.bit.gz", "xc7z020", 9996),
    "arty_pmod": ("cc0_prjxray-db/arty-a7_pmod_design.bit.gz", "xc7a35t", 5408),
    "arty_swbut": ("cc0_prjxray-db/arty-a7_swbut_design.bit.gz", "xc7a35t", 5408),
    "arty_uart": ("cc0_prjxray-db/arty-a7_uart_design.bit.gz", "xc7a35t", 5408),
    "zybo": ("cc0_prjxray-db/zybo_swbut_design.bit.gz", "xc7z010", 5144),
    "cfg": ("isc_prjxray/configuration_test.bit.gz", "xc7a50t", 5408),
    "cfg_debug": ("isc_prjxray/configuration_test.debug.bit.gz", "xc7a50t", 5408),
    "cfg_perframecrc": ("isc_prjxray/configuration_test.perframecrc.bit.gz", "xc7a50t", 5408),
}

needs_data = pytest.mark.skipif(
    not all((DATA / f).is_file() for f, _, _ in FILES.values()),
    reason=f"real bitstreams not found in {DATA} (they are not in the repository)",
)
pytestmark = needs_data


@cache
def raw(key: str) -> bytes:
    with gzip.open(DATA / FILES[key][0]) as fh:
        return fh.read()


@cache
def parsed(key: str) -> Bitstream:
    return parse_bitstream(raw(key), Path(FILES[key][0]).name[: -len(".gz")])


@pytest.mark.parametrize("key", sorted(FILES))
def test_parses_and_writes_back_byte_identical(key: str) -> None:
    bs = parsed(key)
    _, device, frames = FILES[key]
    assert bs.part_name == device
    assert bs.memory.count == frames
    assert bs.state.dropped_frames == 0
    assert bs.to_bytes() == raw(key)
    assert bs.format == "bit"
    assert bs.body_bytes == len(raw(key)) - bs.body_offset
    assert bs.summary()["idcode"] == f"0x{bs.idcode:08X}"


@pytest.mark.parametrize("key", sorted(FILES))
def test_crc_reproduces_every_crc_word(key: str) -> None:
    bs = parsed(key)
    crc_words_in_file = sum(
        len(p.data) for p in bs.packets if p.is_write and p.register == Register.CRC
    )
    assert crc_words_in_file >= 2
    assert len(bs.state.crc_checks) == crc_words_in_file
    assert all(check.ok for check in bs.state.crc_checks)


def test_xc7z020_facts_from_the_spec() -> None:
    bs = parsed("pynq_base")
    assert bs.header is not None and bs.header.part == "7z020clg400"
    assert bs.idcode == 0x03727093
    assert bs.body_bytes == 4_045_564
    assert bs.body_offset == 108
    assert sum(b.words for b in bs.state.bursts) == 1_010_808 == (9996 + 12) * 101


def test_fast_crc_equals_the_scalar_definition_on_a_real_stream() -> None:
    """The first CRC word of a file, recomputed word by word (slow path, 1/5 of a file)."""
    bs = parsed("cfg_perframecrc")
    # RCRC resets; every CRC write then checks the words since the previous check.
    crc = 0
    checks = iter(bs.state.crc_checks)
    for p in bs.packets[:400]:
        if not p.is_write:
            continue
        for value in p.data.tolist():
            if p.register == Register.CRC:
                check = next(checks)
                assert check.expected == value == crc
                crc = 0
            elif p.register != Register.LOUT:
                crc = crc_words(p.register, [value], crc)
                if p.register == Register.CMD and value == Command.RCRC:
                    crc = 0


def test_normal_debug_and_perframecrc_variants_give_identical_frame_memories() -> None:
    base = parsed("cfg").memory
    for key in ("cfg_debug", "cfg_perframecrc"):
        other = parsed(key).memory
        assert np.array_equal(base.configured, other.configured)
        assert np.array_equal(base.data, other.data)
    assert len(parsed("cfg_perframecrc").state.bursts) == 6  # one burst per row


def test_arty_harness_bitstreams_differ_in_207_frames() -> None:
    data = [parsed(k).memory.data for k in ("arty_pmod", "arty_swbut", "arty_uart")]
    differ = np.zeros(len(data[0]), dtype=bool)
    for d in data[1:]:
        differ |= (d != data[0]).any(axis=1)
    assert int(differ.sum()) == 207
    pairwise = [int((a != b).any(axis=1).sum()) for a, b in itertools.combinations(data, 2)]
    assert pairwise == [181, 149, 145]


def test_xc7z020_layout_agrees_with_the_pynq_bitstreams() -> None:
    """docs/dpr.md: the layout puts every row pad slot on an all-zero frame of both files."""
    for key in ("pynq_base", "pynq_logictools"):
        bs = parsed(key)
        stream = bs.frame_stream(0).reshape(-1, 101)
        slots = bs.device.full_stream
        assert len(stream) == len(slots) == 10_008
        assert not stream[slots < 0].any()
    # 5805 frames differ between the two designs.
    a, b = parsed("pynq_base").memory.data, parsed("pynq_logictools").memory.data
    assert int((a != b).any(axis=1).sum()) == 5805


def test_xc7z020_row_lengths_follow_from_the_pynq_bitstreams() -> None:
    """docs/dpr.md: derive the row lengths without the part file."""
    zero = np.ones(10_008, dtype=bool)
    for key in ("pynq_base", "pynq_logictools"):
        zero &= ~parsed(key).frame_stream(0).reshape(-1, 101).any(axis=1)
    fits = []
    for logic in range(1, 3332):
        bram = 3332 - logic  # 3 (logic + 2) + 3 (bram + 2) = 10,008
        pads, at = [], 0
        for n in (logic,) * 3 + (bram,) * 3:
            pads += [at + n, at + n + 1]
            at += n + 2
        if zero[pads].all():
            fits.append(logic)
    assert len(fits) == 18
    assert [n for n in fits if (3332 - n) % 128 == 0] == [2564]
    dev = parsed("pynq_base").device
    assert [r.frames for r in dev.rows] == [2564] * 3 + [768] * 3


@pytest.mark.parametrize(
    ("fmt", "order"), [("bin-pcap", ByteOrder.PCAP), ("bin-icap", ByteOrder.ICAP)]
)
def test_byte_orders_round_trip(fmt: str, order: ByteOrder) -> None:
    bs = parsed("zybo")
    body = bs.to_bytes("bin")
    assert body == raw("zybo")[bs.body_offset :]
    other = bs.to_bytes(fmt)
    if order is ByteOrder.PCAP:
        assert other[:8] == body[3::-1] + body[7:3:-1]
    else:
        assert other[0] == int(f"{body[0]:08b}"[::-1], 2)
    again = parse_bitstream(other, f"z.{fmt}")
    assert again.format == fmt
    assert again.to_bytes() == other
    assert again.to_bytes("bin") == body
    assert np.array_equal(again.memory.data, bs.memory.data)
