"""Context save and restore of a region (EPOCH): readback, snapshot, restore.

**Readback sequence** (written to the configuration port; the port then
returns the frames)::

    dummy words, bus width, sync, NOP, CMD RCRC, NOP, NOP, IDCODE,
    CMD GCAPTURE, NOP                         capture the flip-flops into the frames
    per run of consecutive frames (never crossing a row end):
        CMD RCFG, FAR, Type 1 read FDRO (0 words), Type 2 read FDRO ((k+1) * 101 words), NOP, NOP
    CMD DESYNC, flush NOPs

Each read returns one dummy frame first, then the ``k`` frames.

**Snapshot file** (big-endian)::

    8 bytes  magic "VTCSNAP1"
    u32      IDCODE of the device
    u32      n, the number of frames
    n times: u32 frame address, 101 u32 frame words

**Restore sequence**: the frames written back as partial-bitstream bursts
(FAR, CMD WCFG, FDRI with a pad frame), then CMD GRESTORE (load the
captured state into the flip-flops), CRC check, DESYNC.

**Time**: EPOCH measured 62.2 us to save and 67.4 us to restore one frame
over PCAP on an XC7Z020; :func:`context_time` scales these.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from vtc.compiler.dpr.crc import U32Array
from vtc.compiler.dpr.device import Device, device_for_idcode, known_parts_text
from vtc.compiler.dpr.errors import BitstreamError
from vtc.compiler.dpr.registers import NOP, WORDS_PER_FRAME, Command, Opcode, Register
from vtc.compiler.dpr.writer import FLUSH_NOPS, build_partial, sync_words, write_packet

__all__ = [
    "RESTORE_US_PER_FRAME",
    "SAVE_US_PER_FRAME",
    "SNAPSHOT_MAGIC",
    "Read",
    "Snapshot",
    "build_snapshot",
    "context_time",
    "parse_snapshot",
    "readback_sequence",
    "restore_sequence",
    "snapshot_from_readback",
]

SNAPSHOT_MAGIC = b"VTCSNAP1"
SAVE_US_PER_FRAME = 62.2
RESTORE_US_PER_FRAME = 67.4
_RECORD = 4 + 4 * WORDS_PER_FRAME

IndexArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Read:
    """One FDRO read of a readback sequence."""

    far: int
    frames: int  # without the dummy frame

    @property
    def words(self) -> int:
        """Words the port returns: the dummy frame and the frames."""
        return (self.frames + 1) * WORDS_PER_FRAME

    def as_json(self) -> dict[str, Any]:
        return {"far": f"0x{self.far:08X}", "frames": self.frames, "words": self.words}


def _read_packet(words: int) -> list[int]:
    return [
        (1 << 29) | (Opcode.READ << 27) | (Register.FDRO << 13),  # Type 1 read FDRO, 0 words
        (2 << 29) | (Opcode.READ << 27) | words,
    ]


def readback_sequence(device: Device, idcode: int, indices: IndexArray) -> tuple[bytes, list[Read]]:
    """The readback command stream for the frames at ``indices`` and its reads."""
    words = [
        *sync_words(),
        NOP,
        *write_packet(Register.CMD, Command.RCRC),
        NOP,
        NOP,
        *write_packet(Register.IDCODE, idcode),
        *write_packet(Register.CMD, Command.GCAPTURE),
        NOP,
    ]
    reads: list[Read] = []
    for start, stop in device.runs(np.asarray(indices, dtype=np.int64)):
        read = Read(device.far_of(start), stop - start)
        reads.append(read)
        words += [
            *write_packet(Register.CMD, Command.RCFG),
            *write_packet(Register.FAR, read.far),
            *_read_packet(read.words),
            NOP,
            NOP,
        ]
    words += [*write_packet(Register.CMD, Command.DESYNC), *([NOP] * FLUSH_NOPS)]
    return np.array(words, dtype=">u4").tobytes(), reads


@dataclass(eq=False)
class Snapshot:
    """Frames read back from a device: addresses (ascending) and contents."""

    idcode: int
    device: Device
    indices: IndexArray
    frames: U32Array  # shape (n, 101)

    def to_bytes(self) -> bytes:
        return build_snapshot(self)


def build_snapshot(snapshot: Snapshot) -> bytes:
    """The snapshot file's bytes."""
    n = len(snapshot.indices)
    records = np.empty((n, 1 + WORDS_PER_FRAME), dtype=">u4")
    records[:, 0] = snapshot.device.addresses[snapshot.indices]
    records[:, 1:] = snapshot.frames
    return SNAPSHOT_MAGIC + struct.pack(">II", snapshot.idcode, n) + records.tobytes()


def parse_snapshot(data: bytes, where: str) -> Snapshot:
    """Read a snapshot file.

    Raises
    ------
    BitstreamError
        Bad magic, an unknown IDCODE, a wrong length, an address the device
        does not have, or a frame given twice.
    """
    if not data.startswith(SNAPSHOT_MAGIC):
        raise BitstreamError("not a vtc snapshot: it does not start with VTCSNAP1", where=where)
    if len(data) < 16:
        raise BitstreamError("truncated snapshot: the header needs 16 bytes", where=where)
    idcode, n = struct.unpack_from(">II", data, 8)
    if len(data) != 16 + n * _RECORD:
        raise BitstreamError(
            f"truncated snapshot: {n} frames need {16 + n * _RECORD} bytes, the file has "
            f"{len(data)}",
            where=where,
        )
    try:
        device = device_for_idcode(idcode)
    except KeyError:
        raise BitstreamError(
            f"unknown device: IDCODE 0x{idcode:08X} is not one of {known_parts_text()}",
            where=where,
        ) from None
    records = np.frombuffer(data, dtype=">u4", offset=16).reshape(n, 1 + WORDS_PER_FRAME)
    fars = records[:, 0].astype(np.uint32)
    positions = np.searchsorted(device.addresses, fars)
    positions = np.minimum(positions, device.frame_count - 1)
    bad = device.addresses[positions] != fars
    if bad.any():
        far = int(fars[np.flatnonzero(bad)[0]])
        raise BitstreamError(
            f"bad snapshot: 0x{far:08X} is not a frame address of {device.name}", where=where
        )
    indices = positions.astype(np.int64)
    order = np.argsort(indices, kind="stable")
    indices = indices[order]
    dupes = np.flatnonzero(np.diff(indices) == 0)
    if len(dupes):
        far = device.far_of(int(indices[dupes[0]]))
        raise BitstreamError(f"bad snapshot: frame 0x{far:08X} appears twice", where=where)
    frames = records[order, 1:].astype(np.uint32)
    return Snapshot(idcode, device, indices, frames)


def snapshot_from_readback(
    device: Device, idcode: int, indices: IndexArray, raw: bytes, where: str
) -> Snapshot:
    """A snapshot from the words a readback sequence returned (reads in order, big-endian).

    Each read's leading dummy frame is dropped.
    """
    _, reads = readback_sequence(device, idcode, indices)
    expected = 4 * sum(r.words for r in reads)
    if len(raw) != expected:
        raise BitstreamError(
            f"readback data has {len(raw)} bytes, the readback of this region returns {expected}",
            where=where,
        )
    words = np.frombuffer(raw, dtype=">u4").astype(np.uint32)
    parts: list[U32Array] = []
    at = 0
    for r in reads:
        block = words[at : at + r.words].reshape(r.frames + 1, WORDS_PER_FRAME)
        parts.append(block[1:])
        at += r.words
    sorted_indices = np.sort(np.asarray(indices, dtype=np.int64))
    return Snapshot(idcode, device, sorted_indices, np.concatenate(parts))


def restore_sequence(snapshot: Snapshot) -> tuple[bytes, int]:
    """The restore stream (frames, then GRESTORE) and its number of bursts."""
    device = snapshot.device
    runs = device.runs(snapshot.indices)
    position = {int(i): k for k, i in enumerate(snapshot.indices.tolist())}
    data = [
        (start, snapshot.frames[position[start] : position[start] + stop - start])
        for start, stop in runs
    ]
    return build_partial(device, snapshot.idcode, data, grestore=True), len(runs)


def context_time(
    frames: int,
    *,
    save_us: float = SAVE_US_PER_FRAME,
    restore_us: float = RESTORE_US_PER_FRAME,
) -> dict[str, Any]:
    """Save and restore time of ``frames`` frames (EPOCH's per-frame costs)."""
    if frames < 0:
        raise BitstreamError(f"frames must not be negative, not {frames}", where="--frames")
    save = frames * save_us * 1e-6
    restore = frames * restore_us * 1e-6
    return {
        "frames": frames,
        "save_us_per_frame": save_us,
        "restore_us_per_frame": restore_us,
        "save_seconds": save,
        "restore_seconds": restore,
        "total_seconds": save + restore,
        "save_cycles": round(save * 1e8),
        "restore_cycles": round(restore * 1e8),
    }
