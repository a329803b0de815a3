"""The reconfiguration controller's bitstream table image.

Layout (all offsets from the start of the image)::

    0        entry 0: u32 offset, u32 size     (N entries of 8 bytes)
    8        entry 1
    ...
    8N       padding to the alignment (zero bytes)
    off[0]   stream 0: the raw configuration stream (the .bin bytes)
    ...      padding, stream 1, ...

Sizes count only the stream (not the padding). The byte order of the
entries is explicit (little-endian by default: the Zynq's ARM and AXI
masters are little-endian); the streams are copied as they are.

There is no count field: a reader takes entries while they lie before the
lowest stream offset seen and stops at an all-zero entry (padding).

>>> img = build_table([b"\\xaa" * 8, b"\\xbb" * 4], align=16)
>>> img[:16].hex()
'10000000080000002000000004000000'
>>> [(e.offset, e.size) for e in read_table(img, "t.img")]
[(16, 8), (32, 4)]
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from vtc.compiler.dpr.errors import BitstreamError

__all__ = ["ENTRY_BYTES", "TableEntry", "build_table", "read_table", "table_endianness"]

ENTRY_BYTES = 8
_FORMAT = {"little": "<II", "big": ">II"}


@dataclass(frozen=True)
class TableEntry:
    """One entry: where the stream starts and how long it is."""

    index: int
    offset: int
    size: int


def _align(value: int, align: int) -> int:
    return -(-value // align) * align


def build_table(streams: Sequence[bytes], *, endian: str = "little", align: int = 1) -> bytes:
    """The image: entries, then each stream at an offset aligned to ``align`` bytes."""
    if endian not in _FORMAT:
        raise BitstreamError(f"endianness must be little or big, not {endian!r}", where="--endian")
    if align < 1:
        raise BitstreamError(f"alignment must be at least 1, not {align}", where="--align")
    if not streams:
        raise BitstreamError("a table needs at least one bitstream", where="table")
    entries: list[tuple[int, int]] = []
    at = _align(ENTRY_BYTES * len(streams), align)
    for s in streams:
        if not s:
            raise BitstreamError("an empty stream cannot go in a table", where="table")
        entries.append((at, len(s)))
        at = _align(at + len(s), align)
    if at > 0xFFFFFFFF:
        raise BitstreamError("the image would exceed 4 GiB (u32 offsets)", where="table")
    out = bytearray(at)
    for i, (offset, size) in enumerate(entries):
        struct.pack_into(_FORMAT[endian], out, ENTRY_BYTES * i, offset, size)
        out[offset : offset + size] = streams[i]
    return bytes(out[: entries[-1][0] + entries[-1][1]])


def _entries(data: bytes, endian: str) -> list[TableEntry] | None:
    out: list[TableEntry] = []
    lowest = len(data)
    i = 0
    while ENTRY_BYTES * (i + 1) <= min(lowest, len(data)):
        offset, size = struct.unpack_from(_FORMAT[endian], data, ENTRY_BYTES * i)
        if offset == 0 and size == 0:
            break
        if size == 0 or offset < ENTRY_BYTES * (i + 1) or offset + size > len(data):
            return None
        out.append(TableEntry(i, offset, size))
        lowest = min(lowest, offset)
        i += 1
    if not out or ENTRY_BYTES * len(out) > lowest:
        return None
    return out


def read_table(data: bytes, where: str, endian: str | None = None) -> list[TableEntry]:
    """The entries of an image (``endian`` ``None``: try little, then big).

    Raises
    ------
    BitstreamError
        When no byte order gives a consistent table.
    """
    orders = [endian] if endian else ["little", "big"]
    for order in orders:
        if order not in _FORMAT:
            raise BitstreamError(
                f"endianness must be little or big, not {order!r}", where="--endian"
            )
        entries = _entries(data, order)
        if entries is not None:
            return entries
    tried = " or ".join(f"{o}-endian" for o in orders)
    raise BitstreamError(
        f"not a bitstream table: no consistent {tried} entries "
        "(each needs an offset past the entries and a size inside the file)",
        where=where,
    )


def table_endianness(data: bytes) -> str:
    """The byte order :func:`read_table` picks for ``data`` (``little`` when both fit)."""
    return "little" if _entries(data, "little") is not None else "big"
