"""Writing configuration streams: partial bitstreams and restore sequences.

Every stream vtc generates has the same three parts, and their sizes are the
constants of the reconfiguration-time formula ``T = (H + W + F + E) / S``::

    H  HEADER_BYTES   dummy words, bus width detection, sync, RCRC, IDCODE
    W  BURST_BYTES    per burst: FAR, CMD WCFG, NOP, FDRI Type 1 + Type 2 headers
       PAD_BYTES      per burst: the pipeline pad frame that ends it
    F  FRAME_BYTES    per frame (404)
    E  END_BYTES      CRC check, DESYNC, flush NOPs
       GRESTORE_BYTES only in restore sequences (CMD GRESTORE before the end)

so ``len(stream) == stream_bytes(frames, bursts)`` for everything
:func:`build_partial` writes. Bursts never cross a row end (a new burst is
cheaper than the row's 2 pad frames: W + PAD < 2 * PAD).

>>> HEADER_BYTES, BURST_BYTES, PAD_BYTES, FRAME_BYTES, END_BYTES
(80, 28, 404, 404, 88)
>>> stream_bytes(10, 2)
5072
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from vtc.compiler.dpr.bitfile import BitHeader
from vtc.compiler.dpr.crc import U32Array, crc_of_writes
from vtc.compiler.dpr.device import Device
from vtc.compiler.dpr.registers import (
    BUS_WIDTH_DETECT,
    DUMMY_WORD,
    NOP,
    SYNC_WORD,
    WORDS_PER_FRAME,
    Command,
    Opcode,
    Register,
)

__all__ = [
    "BURST_BYTES",
    "END_BYTES",
    "FRAME_BYTES",
    "GRESTORE_BYTES",
    "HEADER_BYTES",
    "PAD_BYTES",
    "build_partial",
    "partial_header",
    "split_runs",
    "stream_bytes",
    "sync_words",
    "write_packet",
]

#: NOPs after DESYNC, flushing the configuration pipeline.
FLUSH_NOPS = 16


def write_packet(register: int, *values: int) -> list[int]:
    """A Type 1 write of ``values`` to ``register``."""
    return [(1 << 29) | (Opcode.WRITE << 27) | (register << 13) | len(values), *values]


def sync_words() -> list[int]:
    """Dummy words, bus width detection, more dummies, and the sync word."""
    return [DUMMY_WORD] * 8 + list(BUS_WIDTH_DETECT) + [DUMMY_WORD] * 2 + [SYNC_WORD]


def _header_words(idcode: int) -> list[int]:
    return [
        *sync_words(),
        NOP,
        *write_packet(Register.CMD, Command.RCRC),
        NOP,
        NOP,
        *write_packet(Register.IDCODE, idcode),
    ]


def _burst_header_words(far: int, words: int) -> list[int]:
    return [
        *write_packet(Register.FAR, far),
        *write_packet(Register.CMD, Command.WCFG),
        NOP,
        (1 << 29) | (Opcode.WRITE << 27) | (Register.FDRI << 13),  # Type 1 FDRI, 0 words
        (2 << 29) | (Opcode.WRITE << 27) | words,  # Type 2 with the frame words
    ]


def _grestore_words() -> list[int]:
    return [*write_packet(Register.CMD, Command.GRESTORE), NOP]


def _end_words(crc: int) -> list[int]:
    return [
        *write_packet(Register.CRC, crc),
        NOP,
        NOP,
        *write_packet(Register.CMD, Command.DESYNC),
        *([NOP] * FLUSH_NOPS),
    ]


HEADER_BYTES = 4 * len(_header_words(0))
BURST_BYTES = 4 * len(_burst_header_words(0, 0))
FRAME_BYTES = 4 * WORDS_PER_FRAME
PAD_BYTES = FRAME_BYTES
END_BYTES = 4 * len(_end_words(0))
GRESTORE_BYTES = 4 * len(_grestore_words())


def stream_bytes(frames: int, bursts: int, *, grestore: bool = False) -> int:
    """Bytes of a generated stream with ``frames`` frames in ``bursts`` bursts."""
    extra = GRESTORE_BYTES if grestore else 0
    return (
        HEADER_BYTES + bursts * (BURST_BYTES + PAD_BYTES) + frames * FRAME_BYTES + extra + END_BYTES
    )


def split_runs(device: Device, indices: npt.NDArray[np.int64]) -> list[tuple[int, int]]:
    """Sorted frame indices as bursts ``(start, stop)``: consecutive, never crossing a row end."""
    return device.runs(indices)


def build_partial(
    device: Device,
    idcode: int,
    runs: Sequence[tuple[int, npt.NDArray[np.uint32]]],
    *,
    grestore: bool = False,
) -> bytes:
    """The stream writing each run ``(start index, frames (k, 101))`` as one burst.

    Runs must not cross a row end (use :func:`split_runs`). With ``grestore``
    the stream ends with CMD GRESTORE (a context restore).
    """
    pad = np.zeros(WORDS_PER_FRAME, dtype=np.uint32)
    parts: list[U32Array] = [np.array(_header_words(idcode), dtype=np.uint32)]
    crc_writes: list[tuple[int, U32Array]] = [
        (Register.IDCODE, np.array([idcode], dtype=np.uint32))
    ]
    for start, frames in runs:
        k = len(frames)
        if k == 0:
            continue
        if device.row_end(start) < start + k:
            raise ValueError(f"run at index {start} of {k} frames crosses a row end")
        far = device.far_of(start)
        data = np.concatenate([np.asarray(frames, dtype=np.uint32).reshape(-1), pad])
        parts.append(np.array(_burst_header_words(far, len(data)), dtype=np.uint32))
        parts.append(data)
        crc_writes += [
            (Register.FAR, np.array([far], dtype=np.uint32)),
            (Register.CMD, np.array([Command.WCFG], dtype=np.uint32)),
            (Register.FDRI, data),
        ]
    if grestore:
        parts.append(np.array(_grestore_words(), dtype=np.uint32))
        crc_writes.append((Register.CMD, np.array([Command.GRESTORE], dtype=np.uint32)))
    parts.append(np.array(_end_words(crc_of_writes(crc_writes)), dtype=np.uint32))
    return np.concatenate(parts).astype(">u4").tobytes()


def partial_header(source: BitHeader | None, design: str, part: str) -> BitHeader:
    """The ``.bit`` header of a generated partial: the source's, marked ``PARTIAL=TRUE``.

    Date and time come from the source so outputs are deterministic.
    """
    if source is None:
        return BitHeader.make(f"{design};PARTIAL=TRUE", part, "1970/01/01", "00:00:00")
    name = source.design or design
    if "PARTIAL=TRUE" not in name:
        name = f"{name};PARTIAL=TRUE"
    return source.with_field("a", name)
