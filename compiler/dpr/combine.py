"""torCombitgen: partial bitstreams from full ones, the baselines, diff and apply.

* **differential** (torCombitgen): the frames that differ in any input form
  the differential frame bitmap; each input gets one partial holding its
  own contents of exactly those frames, so loading it onto any of the inputs
  turns that device into this input.
* **module**: all frames of a region (by default the columns holding any
  differing frame), one partial per input.
* **difference**: one partial per ordered pair ``(a, b)``, the frames where
  ``a`` and ``b`` differ with ``b``'s contents: ``n(n-1)`` files.

Consecutive frames of one row go in one FAR + FDRI burst; bursts stop at row
ends (see :mod:`vtc.compiler.dpr.writer`). Sizes of every strategy come from
:func:`~vtc.compiler.dpr.writer.stream_bytes`, which is exact for the files
written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from vtc.compiler.dpr.bitstream import Bitstream, parse_bitstream
from vtc.compiler.dpr.device import Device, Region
from vtc.compiler.dpr.errors import BitstreamError
from vtc.compiler.dpr.frames import interpret
from vtc.compiler.dpr.packets import ConfigStream, Packet
from vtc.compiler.dpr.registers import WORDS_PER_FRAME, Register
from vtc.compiler.dpr.writer import build_partial, partial_header, stream_bytes

__all__ = [
    "STRATEGIES",
    "CombineResult",
    "Partial",
    "apply_partial",
    "combine",
    "diff",
    "differential_bitmap",
    "frame_ranges",
    "same_device",
]

IndexArray = npt.NDArray[np.int64]

STRATEGIES = ("differential", "module", "difference")


def same_device(bitstreams: Sequence[Bitstream]) -> Device:
    """The device all bitstreams configure; an error naming the odd one out."""
    first = bitstreams[0]
    device = first.device
    for other in bitstreams[1:]:
        if other.device is not device:
            raise BitstreamError(
                f"wrong device: this bitstream is for {other.part_name}, "
                f"but {first.name} is for {first.part_name}",
                where=other.name,
            )
    return device


def _require_full(bitstream: Bitstream) -> None:
    memory = bitstream.memory
    if memory.count != memory.device.frame_count:
        raise BitstreamError(
            f"not a full bitstream: it configures {memory.count} of the "
            f"{memory.device.frame_count} frames of {bitstream.part_name}",
            where=bitstream.name,
        )


def differential_bitmap(bitstreams: Sequence[Bitstream]) -> npt.NDArray[np.bool_]:
    """Frames (by linear index) whose contents differ in any of the full bitstreams."""
    same_device(bitstreams)
    for b in bitstreams:
        _require_full(b)
    base = bitstreams[0].memory.data
    differ = np.zeros(len(base), dtype=bool)
    for other in bitstreams[1:]:
        differ |= (other.memory.data != base).any(axis=1)
    return differ


def frame_ranges(device: Device, indices: IndexArray) -> list[dict[str, Any]]:
    """Runs of consecutive frames within a row, as ``{start, end, frames, row}``."""
    out = []
    for start, stop in device.runs(indices):
        out.append(
            {
                "start": f"0x{device.far_of(start):08X}",
                "end": f"0x{device.far_of(stop - 1):08X}",
                "frames": stop - start,
                "row": device.rows[int(device.row_of[start])].label,
            }
        )
    return out


def diff(a: Bitstream, b: Bitstream) -> dict[str, Any]:
    """Frames configured by both with different contents, and frames only one configures."""
    device = same_device([a, b])
    both = a.memory.configured & b.memory.configured
    differ = both & (a.memory.data != b.memory.data).any(axis=1)
    indices = np.flatnonzero(differ).astype(np.int64)
    return {
        "a": a.name,
        "b": b.name,
        "device": a.part_name,
        "differing_frames": len(indices),
        "only_in_a": int(np.count_nonzero(a.memory.configured & ~b.memory.configured)),
        "only_in_b": int(np.count_nonzero(b.memory.configured & ~a.memory.configured)),
        "ranges": frame_ranges(device, indices),
    }


@dataclass(eq=False)
class Partial:
    """One generated partial bitstream (not yet written)."""

    source: str
    target: str
    output: Path
    indices: IndexArray = field(repr=False)
    bursts: int
    data: bytes = field(repr=False)
    body_bytes: int

    def as_json(self) -> dict[str, Any]:
        return {
            "input": self.target,
            "from": self.source,
            "output": str(self.output),
            "frames": len(self.indices),
            "bursts": self.bursts,
            "bytes": self.body_bytes,
        }


@dataclass(eq=False)
class CombineResult:
    """Everything ``vtc bit combine`` reports."""

    strategy: str
    region: str | None
    device: str
    differing_frames: int
    outside_region: int
    partials: list[Partial]
    baselines: dict[str, dict[str, int]]

    def as_json(self) -> dict[str, Any]:
        outputs = []
        for p in self.partials:
            entry = p.as_json()
            if self.strategy != "difference":
                entry.pop("from")
            outputs.append(entry)
        return {
            "strategy": self.strategy,
            "region": self.region,
            "device": self.device,
            "differing_frames": self.differing_frames,
            "differing_frames_outside_region": self.outside_region,
            "outputs": outputs,
            "baselines": self.baselines,
        }


def _stem(b: Bitstream) -> str:
    """``design.bit`` -> ``design``; ``pynq-z1_base_v2.4.bit`` -> ``pynq-z1_base_v2.4``."""
    return Path(b.name).stem


def _module_indices(device: Device, differ: npt.NDArray[np.bool_]) -> IndexArray:
    """All frames of every column (of any row and block type) holding a differing frame."""
    columns = device.column_of
    chosen = np.isin(columns, np.unique(columns[differ]))
    return np.flatnonzero(chosen).astype(np.int64)


def _make_partial(
    source: Bitstream, target: Bitstream, indices: IndexArray, output: Path
) -> Partial:
    device = target.device
    runs = device.runs(indices)
    data = target.memory.data
    body = build_partial(
        device,
        target.idcode if target.idcode is not None else next(iter(device.parts.values())),
        [(start, data[start:stop]) for start, stop in runs],
    )
    header = partial_header(target.header, _stem(target), target.part_name[2:])
    return Partial(
        source.name,
        target.name,
        output,
        indices,
        len(runs),
        header.to_bytes(len(body)) + body,
        len(body),
    )


def _summary(sizes: Sequence[int]) -> dict[str, int]:
    return {"files": len(sizes), "bytes": sum(sizes), "max_bytes": max(sizes, default=0)}


def combine(
    bitstreams: Sequence[Bitstream],
    out_dir: str | Path,
    *,
    strategy: str = "differential",
    region: Region | None = None,
) -> CombineResult:
    """Generate the partials of ``strategy`` (not written: see :attr:`Partial.data`).

    Raises
    ------
    BitstreamError
        Fewer than two inputs, inputs for different devices, an input that
        is not a full bitstream, or two inputs with the same file stem.
    """
    if strategy not in STRATEGIES:
        raise BitstreamError(f"unknown strategy {strategy!r}", where="--strategy")
    if len(bitstreams) < 2:
        raise BitstreamError("combine needs at least two full bitstreams", where="combine")
    stems = [_stem(b) for b in bitstreams]
    for i, s in enumerate(stems):
        if s in stems[:i]:
            raise BitstreamError(
                f"two inputs share the name '{s}': their outputs would collide",
                where=bitstreams[i].name,
            )
    device = same_device(bitstreams)
    differ = differential_bitmap(bitstreams)
    in_region = np.ones(device.frame_count, dtype=bool)
    if region is not None:
        in_region[:] = False
        in_region[region.indices] = True
    outside = int(np.count_nonzero(differ & ~in_region))
    out = Path(out_dir)

    diff_idx = np.flatnonzero(differ & in_region).astype(np.int64)
    module_idx = region.indices if region is not None else _module_indices(device, differ)
    n = len(bitstreams)
    data = [b.memory.data for b in bitstreams]
    pair_idx: dict[tuple[int, int], IndexArray] = {}
    for i in range(n):
        for j in range(i + 1, n):
            d = (data[i] != data[j]).any(axis=1) & in_region
            pair_idx[(i, j)] = pair_idx[(j, i)] = np.flatnonzero(d).astype(np.int64)

    def size(indices: IndexArray) -> int:
        return stream_bytes(len(indices), len(device.runs(indices)))

    baselines = {
        "differential": _summary([size(diff_idx)] * n),
        "module": _summary([size(module_idx)] * n),
        "difference": _summary(
            [size(pair_idx[(i, j)]) for i in range(n) for j in range(n) if i != j]
        ),
    }
    partials: list[Partial] = []
    if strategy == "difference":
        for i in range(n):
            for j in range(n):
                if i != j:
                    name = f"{stems[i]}_to_{stems[j]}.partial.bit"
                    partials.append(
                        _make_partial(bitstreams[i], bitstreams[j], pair_idx[(i, j)], out / name)
                    )
    else:
        chosen = diff_idx if strategy == "differential" else module_idx
        for b, stem in zip(bitstreams, stems, strict=True):
            partials.append(_make_partial(b, b, chosen, out / f"{stem}.partial.bit"))
    return CombineResult(
        strategy,
        region.text if region is not None else None,
        bitstreams[0].part_name,
        int(np.count_nonzero(differ)),
        outside,
        partials,
        baselines,
    )


def apply_partial(full: Bitstream, partial: Bitstream) -> bytes:
    """``full`` with the frames ``partial`` writes, as a new file (a simulated reconfiguration).

    ``full``'s packets stay as they are; only the frame words change, and
    every CRC word is recomputed.

    Raises
    ------
    BitstreamError
        Different devices, or frames the partial writes that ``full`` does
        not configure.
    """
    same_device([full, partial])
    patch = partial.memory
    missing = int(np.count_nonzero(patch.configured & ~full.memory.configured))
    if missing:
        raise BitstreamError(
            f"the partial writes {missing} frames that this bitstream does not configure",
            where=full.name,
        )
    memory = full.memory.copy()
    memory.data[patch.configured] = patch.data[patch.configured]
    packets = list(full.packets)
    replaced: dict[int, npt.NDArray[np.uint32]] = {}
    for number_of_burst, burst in enumerate(full.state.bursts):
        words = full.frame_stream(number_of_burst).copy()
        frames = words.reshape(-1, WORDS_PER_FRAME)
        valid = burst.slots >= 0
        frames[valid] = memory.data[burst.slots[valid]]
        at = 0
        for number, first, count in burst.pieces:
            if first < 0:  # a Type 0 word: pads only, never changed
                at += count
                continue
            current = replaced.get(number, packets[number].data.copy())
            current[first : first + count] = words[at : at + count]
            replaced[number] = current
            at += count
    for number, new in replaced.items():
        p = packets[number]
        packets[number] = Packet(p.offset, p.header, p.register, new)
    state = interpret(packets, full.name, full.device)
    crc_at = {c.offset: c.computed for c in state.crc_checks}
    for number, p in enumerate(packets):
        if p.is_write and p.register == Register.CRC:
            values = p.data.copy()
            for k in range(len(values)):
                values[k] = crc_at.get(p.offset + 4 + 4 * k, int(values[k]))
            packets[number] = Packet(p.offset, p.header, p.register, values)
    stream = ConfigStream(full.stream.prefix, packets, full.stream.trailer)
    result = Bitstream(full.name, full.header, full.byte_order, stream, state)
    data = result.to_bytes()
    check = parse_bitstream(data, full.name, device=full.device)
    if not np.array_equal(check.memory.data, memory.data):  # pragma: no cover - a bug
        raise AssertionError("apply: the written bitstream does not hold the patched frames")
    return data
