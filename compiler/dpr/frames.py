"""Frame memory, and the interpreter that follows a stream as the device would.

:func:`interpret` walks the packets with the configuration logic's state
(CMD, MASK, CTL1, FAR, IDCODE) and produces the frame memory, the frame
writes (*bursts*) and the CRC checks. The rules, each checked on the real
files (``docs/dpr.md`` lists them):

* A frame write starts at the first FDRI data after a WCFG command (or after
  a FAR write while the command is WCFG, unless CTL1 bit 21 is set: then FAR
  writes are progress markers, as in per-frame-CRC bitstreams). It ends at
  the next CMD write, the next write start, or the end of the stream.
* The burst's frame stream is its FDRI data plus any Type 0 words inside it
  (debug bitstreams pad rows with those). Frames are assigned from the start
  address in the device's order; after the last frame of a row the stream
  carries 2 pad frames; the burst's last frame is the pipeline pad frame and
  is never assigned. Frames past the device's last frame are dropped.
* The CRC folds every written word except LOUT writes (debug bitstreams'
  progress output) plus the Type 0 words inside a burst (as FDRI words); a
  CRC write compares and resets it, and so does the RCRC command.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from vtc.compiler.dpr.crc import U32Array, contributions, fold_segments
from vtc.compiler.dpr.device import Device, device_for_idcode, known_parts_text
from vtc.compiler.dpr.errors import BitstreamError
from vtc.compiler.dpr.packets import Packet
from vtc.compiler.dpr.registers import (
    WORDS_PER_FRAME,
    Command,
    PacketType,
    Register,
)

__all__ = [
    "Burst",
    "CrcCheck",
    "FrameMemory",
    "Interpretation",
    "interpret",
]

IndexArray = npt.NDArray[np.int64]
_CTL1_FAR_NO_RESTART = 1 << 21


@dataclass(eq=False)
class FrameMemory:
    """The configuration memory of one device: frames by linear index, and which are set."""

    device: Device
    data: npt.NDArray[np.uint32] = field(repr=False)
    configured: npt.NDArray[np.bool_] = field(repr=False)

    @classmethod
    def empty(cls, device: Device) -> FrameMemory:
        return cls(
            device,
            np.zeros((device.frame_count, WORDS_PER_FRAME), dtype=np.uint32),
            np.zeros(device.frame_count, dtype=bool),
        )

    def copy(self) -> FrameMemory:
        return FrameMemory(self.device, self.data.copy(), self.configured.copy())

    @property
    def count(self) -> int:
        """How many frames are configured."""
        return int(np.count_nonzero(self.configured))

    @property
    def indices(self) -> IndexArray:
        """Linear indices of the configured frames, ascending."""
        return np.flatnonzero(self.configured).astype(np.int64)

    def frame(self, far: int) -> U32Array:
        """The 101 words of the frame at ``far``."""
        index = self.device.index_of(far)
        if index is None:
            raise KeyError(far)
        row: U32Array = self.data[index]
        return row

    def write(self, indices: IndexArray, frames: npt.NDArray[np.uint32]) -> None:
        """Set frames (rows of ``frames``) at linear ``indices``."""
        self.data[indices] = frames
        self.configured[indices] = True


@dataclass(eq=False)
class Burst:
    """One frame write: where it starts, where its words are, where its frames went."""

    far: int
    #: ``(packet number, first payload word, word count)`` of each piece of the frame stream.
    pieces: list[tuple[int, int, int]]
    #: Device index of every frame of the stream (-1: pad or dropped).
    slots: IndexArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def words(self) -> int:
        return sum(p[2] for p in self.pieces)

    @property
    def frames(self) -> int:
        """Frames assigned (pads not counted)."""
        return int(np.count_nonzero(self.slots >= 0))


@dataclass(frozen=True)
class CrcCheck:
    """One CRC register write: where, what the file says, what the data gives."""

    offset: int
    expected: int
    computed: int

    @property
    def ok(self) -> bool:
        return self.expected == self.computed


@dataclass(eq=False)
class Interpretation:
    """What a stream does to the device."""

    idcode: int | None
    device: Device | None
    memory: FrameMemory | None
    bursts: list[Burst]
    crc_checks: list[CrcCheck]
    dropped_frames: int


class _Crc:
    """Collects the CRC contributions and the positions of resets and checks."""

    def __init__(self) -> None:
        self.pieces: list[tuple[int, U32Array]] = []
        self.length = 0
        self.segment_start = 0
        self.checks: list[tuple[int, int, int, int]] = []  # (start, end, value, offset)

    def add(self, address: int, words: U32Array) -> None:
        if len(words):
            self.pieces.append((address, words))
            self.length += len(words)

    def reset(self) -> None:
        self.segment_start = self.length

    def check(self, value: int, offset: int) -> None:
        self.checks.append((self.segment_start, self.length, value, offset))
        self.segment_start = self.length

    def results(self) -> list[CrcCheck]:
        if not self.checks:
            return []
        if self.pieces:
            x = np.concatenate([contributions(w, a) for a, w in self.pieces])
        else:
            x = np.zeros(0, dtype=np.uint32)
        folds = fold_segments(x, [(s, e) for s, e, _, _ in self.checks])
        return [
            CrcCheck(offset, value, computed)
            for (_, _, value, offset), computed in zip(self.checks, folds, strict=True)
        ]


def _unknown_device(idcode: int, where: str) -> BitstreamError:
    return BitstreamError(
        f"unknown device: IDCODE 0x{idcode:08X} is not one of {known_parts_text()}", where=where
    )


def interpret(packets: list[Packet], where: str, device: Device | None = None) -> Interpretation:
    """Follow the packets; see the module docstring for the rules.

    Raises
    ------
    BitstreamError
        Unknown IDCODE, frame data before the device is known, a write at an
        address the device does not have, or frame data that is not a whole
        number of frames.
    """
    crc = _Crc()
    bursts: list[Burst] = []
    memory = FrameMemory.empty(device) if device is not None else None
    idcode: int | None = None
    mask = 0
    ctl1 = 0
    far = 0
    command = -1
    start_pending = False
    current: Burst | None = None
    dropped = 0

    def finish() -> None:
        nonlocal current, dropped
        if current is None:
            return
        burst = current
        current = None
        if memory is None:  # pragma: no cover - guarded when the burst starts
            return
        dropped += _assign(burst, packets, memory, where)

    for number, p in enumerate(packets):
        if p.kind == PacketType.TYPE0:
            if current is not None:
                current.pieces.append((number, -1, 1))
                crc.add(Register.FDRI, np.array([p.header], dtype=np.uint32))
            continue
        if not p.is_write:
            continue
        reg = p.register
        data = p.data
        if reg == Register.CRC:
            for k, value in enumerate(data.tolist()):
                crc.check(value, p.offset + 4 + 4 * k)
            continue
        if reg == Register.CMD:
            for value in data.tolist():
                crc.add(reg, np.array([value], dtype=np.uint32))
                finish()
                command = value
                if value == Command.WCFG:
                    start_pending = True
                elif value == Command.RCRC:
                    crc.reset()
            continue
        if reg != Register.LOUT:
            crc.add(reg & 0x1F, data)
        if len(data) == 0:
            continue
        if reg == Register.MASK:
            mask = int(data[-1])
        elif reg == Register.CTL1:
            ctl1 = int(data[-1]) & mask
        elif reg == Register.IDCODE:
            idcode = int(data[-1])
            if device is None:
                try:
                    device = device_for_idcode(idcode)
                except KeyError:
                    raise _unknown_device(idcode, where) from None
                memory = FrameMemory.empty(device)
            elif idcode not in device.parts.values():
                raise BitstreamError(
                    f"wrong device: IDCODE 0x{idcode:08X} is not a {device.name} "
                    f"(expected {', '.join(f'0x{c:08X}' for c in device.parts.values())})",
                    where=where,
                )
        elif reg == Register.FAR:
            far = int(data[-1])
            if command == Command.WCFG and not ctl1 & _CTL1_FAR_NO_RESTART:
                finish()
                start_pending = True
        elif reg == Register.FDRI:
            if memory is None:
                raise BitstreamError(
                    "frame data before any IDCODE write: the device is unknown", where=where
                )
            if start_pending or current is None:
                finish()
                current = Burst(far, [])
                bursts.append(current)
                start_pending = False
            current.pieces.append((number, 0, len(data)))
    finish()
    return Interpretation(idcode, device, memory, bursts, crc.results(), dropped)


def burst_words(burst: Burst, packets: list[Packet]) -> U32Array:
    """The frame stream of a burst (FDRI payloads and Type 0 words, in order)."""
    parts: list[U32Array] = []
    for number, first, count in burst.pieces:
        p = packets[number]
        if first < 0:
            parts.append(np.array([p.header], dtype=np.uint32))
        else:
            parts.append(p.data[first : first + count])
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint32)


def _assign(burst: Burst, packets: list[Packet], memory: FrameMemory, where: str) -> int:
    """Write a finished burst into ``memory``; returns the frames dropped past the end."""
    device = memory.device
    words = burst_words(burst, packets)
    if len(words) % WORDS_PER_FRAME:
        raise BitstreamError(
            f"bad frame write at FAR 0x{burst.far:08X}: {len(words)} words is not a whole "
            f"number of {WORDS_PER_FRAME}-word frames",
            where=where,
        )
    n = len(words) // WORDS_PER_FRAME
    if n == 0:
        return 0
    start = device.index_of(burst.far)
    if start is None:
        raise BitstreamError(
            f"bad frame write: FAR 0x{burst.far:08X} is not a frame address of {device.name}",
            where=where,
        )
    stream = device.full_stream
    first = int(device.stream_position[start])
    slots = np.full(n, -1, dtype=np.int64)
    available = min(n, len(stream) - first)
    slots[:available] = stream[first : first + available]
    dropped = max(0, n - available - 1)  # past the end, not counting the pipeline pad
    slots[-1] = -1  # the pipeline pad frame
    burst.slots = slots
    frames = words.reshape(n, WORDS_PER_FRAME)
    valid = slots >= 0
    memory.write(slots[valid], frames[valid])
    return dropped
