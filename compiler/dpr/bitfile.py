"""The ``.bit`` container and the byte orders of a configuration stream.

A ``.bit`` file is a fixed 13-byte preamble, then fields ``a`` (design), ``b``
(part), ``c`` (date), ``d`` (time), each a key byte, a big-endian u16 length
and NUL-terminated text, then ``e``: key byte, u32 length of the body, and
the body: the raw configuration stream (the ``.bin``).

The body comes in three byte orders (:class:`ByteOrder`): the canonical
big-endian words (``.bit`` and ``.bin``), 32-bit byte-swapped (Zynq PCAP and
the Linux FPGA manager) and bit-reversed within each byte (the ICAP
primitive). Each conversion is its own inverse.

>>> to_canonical(b"\\x66\\x55\\x99\\xaa", ByteOrder.PCAP)
b'\\xaa\\x99Uf'
>>> from_canonical(b"\\xaa\\x99\\x55\\x66", ByteOrder.ICAP).hex()
'5599aa66'
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace
from enum import Enum

import numpy as np

from vtc.compiler.dpr.errors import BitstreamError

__all__ = [
    "PREAMBLE",
    "BitHeader",
    "ByteOrder",
    "detect_byte_order",
    "from_canonical",
    "parse_header",
    "to_canonical",
]

#: The fixed start of every ``.bit`` file.
PREAMBLE = bytes.fromhex("00090ff00ff00ff00ff0000001")

#: The sync word in each byte order.
_SYNC = {
    "bin": bytes.fromhex("aa995566"),
    "pcap": bytes.fromhex("665599aa"),
    "icap": bytes.fromhex("5599aa66"),
}

_REVERSED = np.array([int(f"{b:08b}"[::-1], 2) for b in range(256)], dtype=np.uint8)


class ByteOrder(Enum):
    """How the configuration stream's bytes are laid out in a file."""

    BIN = "bin"  # big-endian 32-bit words, as in .bit files
    PCAP = "pcap"  # each 32-bit word byte-swapped (Zynq PCAP, Linux FPGA manager)
    ICAP = "icap"  # the bits of each byte reversed (ICAP primitive)


def to_canonical(data: bytes, order: ByteOrder) -> bytes:
    """Big-endian stream bytes from bytes in ``order``."""
    if order is ByteOrder.BIN:
        return data
    if order is ByteOrder.PCAP:
        if len(data) % 4:
            raise ValueError("a byte-swapped stream must be a whole number of words")
        return np.frombuffer(data, dtype="<u4").astype(">u4").tobytes()
    return _REVERSED[np.frombuffer(data, dtype=np.uint8)].tobytes()


def from_canonical(data: bytes, order: ByteOrder) -> bytes:
    """Bytes in ``order`` from big-endian stream bytes (each conversion is an involution)."""
    return to_canonical(data, order)


def detect_byte_order(data: bytes) -> tuple[ByteOrder, int] | None:
    """The byte order whose sync word comes first in ``data``, and its offset.

    The sync word sits near the start of every stream, so the first 4 KiB
    are searched before the whole file.
    """
    found = []
    for window in (data[:4096], data):
        for order in ByteOrder:
            at = window.find(_SYNC[order.value])
            if at >= 0:
                found.append((at, order))
        if found:
            break
    if not found:
        return None
    at, order = min(found, key=lambda f: f[0])
    return order, at


@dataclass(frozen=True)
class BitHeader:
    """The fields of a ``.bit`` header, kept exactly as found (text with its NUL).

    ``fields`` holds ``(key, raw value)`` pairs in file order, without ``e``.
    """

    fields: tuple[tuple[str, bytes], ...]

    def get(self, key: str) -> str | None:
        """The text of a field (without the NUL), or ``None``."""
        for k, raw in self.fields:
            if k == key:
                return raw.rstrip(b"\x00").decode("latin-1")
        return None

    @property
    def design(self) -> str | None:
        return self.get("a")

    @property
    def part(self) -> str | None:
        return self.get("b")

    @property
    def date(self) -> str | None:
        return self.get("c")

    @property
    def time(self) -> str | None:
        return self.get("d")

    def with_field(self, key: str, text: str) -> BitHeader:
        """A copy with one field set (added at the end if missing)."""
        raw = text.encode("latin-1") + b"\x00"
        if any(k == key for k, _ in self.fields):
            return replace(self, fields=tuple((k, raw if k == key else v) for k, v in self.fields))
        return replace(self, fields=(*self.fields, (key, raw)))

    def to_bytes(self, body_length: int) -> bytes:
        """Preamble, fields and the ``e`` key with the body length."""
        out = bytearray(PREAMBLE)
        for key, raw in self.fields:
            out += key.encode("latin-1") + struct.pack(">H", len(raw)) + raw
        out += b"e" + struct.pack(">I", body_length)
        return bytes(out)

    @classmethod
    def make(cls, design: str, part: str, date: str, time: str) -> BitHeader:
        """A header with the four usual fields."""
        return cls(
            tuple(
                (k, v.encode("latin-1") + b"\x00")
                for k, v in (("a", design), ("b", part), ("c", date), ("d", time))
            )
        )


def parse_header(data: bytes, where: str) -> tuple[BitHeader, int, int]:
    """``(header, body offset, announced body length)`` of a ``.bit`` file.

    Raises
    ------
    BitstreamError
        For a truncated header or a field other than ``a``-``e``.
    """
    pos = len(PREAMBLE)
    fields: list[tuple[str, bytes]] = []
    while True:
        if pos >= len(data):
            raise BitstreamError("truncated .bit header: it ends before the 'e' field", where=where)
        key = chr(data[pos])
        if key == "e":
            if pos + 5 > len(data):
                raise BitstreamError(
                    "truncated .bit header: field 'e' needs 4 length bytes, "
                    f"{len(data) - pos - 1} remain",
                    where=where,
                )
            (length,) = struct.unpack_from(">I", data, pos + 1)
            return BitHeader(tuple(fields)), pos + 5, length
        if key not in "abcd":
            raise BitstreamError(
                f"bad .bit header: unexpected field key 0x{data[pos]:02X} at byte {pos}",
                where=where,
            )
        if pos + 3 > len(data):
            raise BitstreamError(
                f"truncated .bit header: field '{key}' needs 2 length bytes, "
                f"{len(data) - pos - 1} remain",
                where=where,
            )
        (length,) = struct.unpack_from(">H", data, pos + 1)
        start = pos + 3
        if start + length > len(data):
            raise BitstreamError(
                f"truncated .bit header: field '{key}' needs {length} bytes, "
                f"{len(data) - start} remain",
                where=where,
            )
        fields.append((key, bytes(data[start : start + length])))
        pos = start + length
