"""torCombitgen, its baselines, diff, apply and the estimator's exactness."""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from vtc.compiler.dpr import (
    BitstreamError,
    apply_partial,
    combine,
    diff,
    estimate_frames,
    load_device,
    parse_bitstream,
)
from vtc.compiler.dpr.bitstream import Bitstream
from vtc.compiler.dpr.registers import WORDS_PER_FRAME
from vtc.compiler.dpr.samples import sample_bitstream, sample_frames
from vtc.compiler.dpr.writer import (
    BURST_BYTES,
    END_BYTES,
    HEADER_BYTES,
    PAD_BYTES,
    build_partial,
    stream_bytes,
)

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "bitstreams"
ARTY = [DATA / f"cc0_prjxray-db/arty-a7_{n}_design.bit.gz" for n in ("pmod", "swbut", "uart")]
needs_arty = pytest.mark.skipif(
    not all(p.is_file() for p in ARTY),
    reason=f"real Arty bitstreams not found in {DATA} (they are not in the repository)",
)


@cache
def arty() -> tuple[Bitstream, ...]:
    out = []
    for p in ARTY:
        with gzip.open(p) as fh:
            out.append(parse_bitstream(fh.read(), p.name[: -len(".gz")]))
    return tuple(out)


def full_sample(seed: int, changed: dict[int, int] | None = None) -> Bitstream:
    """A synthetic *full* xc7z010 bitstream: all frames, some (index: seed) changed."""
    dev = load_device("xc7z010")
    frames = sample_frames(0, dev.frame_count, seed=0)
    for index, s in (changed or {}).items():
        frames[index] = sample_frames(index, 1, seed=s)[0]
    runs = [(start, frames[start:stop]) for start, stop in dev.runs(np.arange(dev.frame_count))]
    raw = build_partial(dev, 0x03722093, runs)
    return parse_bitstream(raw, f"full{seed}.bin")


# -- writer and estimator ---------------------------------------------------------------------


def test_generated_stream_size_is_the_formula() -> None:
    dev = load_device("xc7z020")
    for runs in ([(5, 1)], [(0, 3), (10, 7)], [(2564 - 2, 2), (2564, 4)]):
        raw = sample_bitstream(dev, frames=runs, bit=False)
        frames = sum(n for _, n in runs)
        assert len(raw) == stream_bytes(frames, len(runs))
        assert (
            len(raw)
            == HEADER_BYTES + len(runs) * (BURST_BYTES + PAD_BYTES) + (frames * 404) + END_BYTES
        )
        bs = parse_bitstream(raw, "p.bin")
        assert bs.memory.count == frames
        assert estimate_frames(frames, len(runs)).bytes == bs.body_bytes


def test_burst_may_not_cross_a_row_end() -> None:
    dev = load_device("xc7z020")
    with pytest.raises(ValueError, match="crosses a row end"):
        build_partial(dev, 0x03727093, [(2563, sample_frames(2563, 2))])
    assert dev.runs(np.array([2562, 2563, 2564, 2565])) == [(2562, 2564), (2564, 2566)]


def test_pad_frame_is_never_assigned() -> None:
    raw = sample_bitstream("xc7z020", frames=[(100, 2)], bit=False)
    bs = parse_bitstream(raw, "p.bin")
    assert bs.memory.indices.tolist() == [100, 101]
    assert bs.state.bursts[0].slots.tolist() == [100, 101, -1]


# -- synthetic combine ------------------------------------------------------------------------


def test_combine_synthetic_differential_and_apply(tmp_path: Path) -> None:
    a = full_sample(0)
    b = full_sample(1, {10: 5, 11: 6, 1931: 7, 1932: 8, 4000: 9})
    c = full_sample(2, {11: 3, 200: 4})
    result = combine([a, b, c], tmp_path)
    assert result.differing_frames == 6
    # 10-11 is one run; 1931 is the last frame of top row 0, 1932 the first of bottom row 0.
    assert [p.bursts for p in result.partials] == [5, 5, 5]
    for p in result.partials:
        assert len(p.data) - (len(p.data) - p.body_bytes) == stream_bytes(6, 5)
    for target, partial in zip([a, b, c], result.partials, strict=True):
        pbs = parse_bitstream(partial.data, str(partial.output))
        for base in (a, b, c):
            out = parse_bitstream(apply_partial(base, pbs), "applied.bin")
            assert np.array_equal(out.memory.data, target.memory.data)


def test_combine_needs_two_full_bitstreams_of_one_device(tmp_path: Path) -> None:
    a = full_sample(0)
    with pytest.raises(BitstreamError, match="at least two"):
        combine([a], tmp_path)
    part = parse_bitstream(sample_bitstream("xc7z010", frames=[(0, 4)]), "p.bit")
    with pytest.raises(BitstreamError) as err:
        combine([a, part], tmp_path)
    assert err.value.format() == (
        "p.bit: error: not a full bitstream: it configures 4 of the 5144 frames of xc7z010"
    )
    other = parse_bitstream(sample_bitstream("xc7z020", frames=[(0, 4)]), "q.bit")
    with pytest.raises(BitstreamError) as err:
        combine([a, other], tmp_path)
    assert err.value.format() == (
        "q.bit: error: wrong device: this bitstream is for xc7z020, but full0.bin is for xc7z010"
    )
    with pytest.raises(BitstreamError, match="share the name 'full0'"):
        combine([a, full_sample(0)], tmp_path)


# -- the Arty harness: 207 differing frames ---------------------------------------------------


@needs_arty
def test_arty_differential_partials_reproduce_every_target(tmp_path: Path) -> None:
    inputs = arty()
    result = combine(inputs, tmp_path)
    assert result.differing_frames == 207
    assert all(len(p.indices) == 207 for p in result.partials)
    for target, partial in zip(inputs, result.partials, strict=True):
        pbs = parse_bitstream(partial.data, str(partial.output))
        assert pbs.memory.count == 207
        assert partial.body_bytes == pbs.body_bytes == stream_bytes(207, partial.bursts)
        assert estimate_frames(207, partial.bursts).bytes == pbs.body_bytes
        for base in inputs:
            applied = apply_partial(base, pbs)
            out = parse_bitstream(applied, "applied.bit")
            assert np.array_equal(out.memory.data, target.memory.data)
            # Only frame words and CRC words change: the body is the target's, byte for byte.
            assert applied[out.body_offset :] == target.to_bytes()[target.body_offset :]


@needs_arty
def test_arty_outputs_are_deterministic(tmp_path: Path) -> None:
    first = combine(arty(), tmp_path)
    again = combine(list(arty()), tmp_path / "x")
    assert [p.data for p in first.partials] == [p.data for p in again.partials]
    header = parse_bitstream(first.partials[0].data, "p.bit").header
    source = arty()[0].header
    assert header is not None and source is not None
    assert (header.date, header.time) == (source.date, source.time)
    assert header.design == f"{source.design};PARTIAL=TRUE"


@needs_arty
def test_arty_difference_and_module_baselines(tmp_path: Path) -> None:
    inputs = arty()
    result = combine(inputs, tmp_path, strategy="difference")
    assert len(result.partials) == 6

    def short(name: str) -> str:
        return name.split("_")[1]  # arty-a7_pmod_design.bit -> pmod

    counts = {(short(p.source), short(p.target)): len(p.indices) for p in result.partials}
    assert counts[("pmod", "swbut")] == counts[("swbut", "pmod")] == 181
    assert counts[("pmod", "uart")] == counts[("uart", "pmod")] == 149
    assert counts[("swbut", "uart")] == counts[("uart", "swbut")] == 145
    assert sorted(p.output.name for p in result.partials)[0] == (
        "arty-a7_pmod_design_to_arty-a7_swbut_design.partial.bit"
    )
    for p in result.partials:
        pbs = parse_bitstream(p.data, p.output.name)
        source = next(b for b in inputs if b.name == p.source)
        target = next(b for b in inputs if b.name == p.target)
        out = parse_bitstream(apply_partial(source, pbs), "o.bit")
        assert np.array_equal(out.memory.data, target.memory.data)
    assert result.baselines["difference"]["bytes"] == sum(p.body_bytes for p in result.partials)
    module = combine(inputs, tmp_path, strategy="module")
    dev = inputs[0].device
    differing = {dev.column_key(int(i)) for i in result.partials[0].indices}
    columns = {dev.column_key(int(i)) for i in module.partials[0].indices}
    assert columns >= {dev.column_key(int(i)) for p in result.partials for i in p.indices}
    assert differing <= columns
    sizes = module.baselines
    assert sizes["module"]["bytes"] == sum(p.body_bytes for p in module.partials)
    assert sizes["differential"]["bytes"] < sizes["difference"]["bytes"] < sizes["module"]["bytes"]
    assert module.as_json()["baselines"] == result.as_json()["baselines"]


@needs_arty
def test_arty_region_restricts_and_reports_outside_frames(tmp_path: Path) -> None:
    inputs = arty()
    region = inputs[0].device.region("X0Y2")
    result = combine(inputs, tmp_path, region=region)
    inside = set(region.indices.tolist())
    assert all(int(i) in inside for i in result.partials[0].indices)
    assert result.outside_region == 207 - len(result.partials[0].indices)
    module = combine(inputs, tmp_path, strategy="module", region=region)
    assert len(module.partials[0].indices) == region.frame_count


@needs_arty
def test_arty_diff_ranges() -> None:
    a, b, _ = arty()
    d = diff(a, b)
    assert d["differing_frames"] == 181
    assert sum(r["frames"] for r in d["ranges"]) == 181
    assert d["only_in_a"] == d["only_in_b"] == 0
    first = d["ranges"][0]
    assert first["start"].startswith("0x") and first["row"].startswith("CLB_IO_CLK")


def test_apply_rejects_frames_the_full_bitstream_lacks() -> None:
    base = parse_bitstream(sample_bitstream("xc7z010", frames=[(0, 4)]), "base.bit")
    patch = parse_bitstream(sample_bitstream("xc7z010", frames=[(2, 4)], seed=3), "patch.bit")
    with pytest.raises(BitstreamError) as err:
        apply_partial(base, patch)
    assert err.value.format() == (
        "base.bit: error: the partial writes 2 frames that this bitstream does not configure"
    )
    inner = parse_bitstream(sample_bitstream("xc7z010", frames=[(1, 2)], seed=3), "in.bit")
    out = parse_bitstream(apply_partial(base, inner), "o.bit")
    assert np.array_equal(out.memory.data[1:3], inner.memory.data[1:3])
    assert np.array_equal(out.memory.data[[0, 3]], base.memory.data[[0, 3]])
    assert out.memory.data.shape[1] == WORDS_PER_FRAME
