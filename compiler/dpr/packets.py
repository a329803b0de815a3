"""Configuration packets: the stream after the sync word, word for word.

A stream is the bytes before the sync word (dummy words, bus width
detection), the sync word, the packets, and whatever follows the DESYNC
command that is not a packet. Packets keep their header word as found and
their payload as a view of the stream's words, so writing a parsed stream
back gives the same bytes.

Headers (big-endian 32-bit words)::

    Type 1: [31:29]=001 [28:27] opcode [26:13] register [10:0] word count
    Type 2: [31:29]=010 [28:27] opcode [26:0] word count  (register of the Type 1 before)
    Type 0: [31:29]=000 a filler word without payload (debug bitstreams pad rows with them)

Only writes carry a payload in the stream; a read's count is what the port
sends back.

>>> s = parse_stream(bytes.fromhex("ffffffff aa995566 30008001 0000000d 20000000"), "x.bin")
>>> [p.describe() for p in s.packets]
['Type 1 write CMD, 1 word: DESYNC', 'NOP']
>>> s.to_bytes().hex()
'ffffffffaa995566300080010000000d20000000'
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from vtc.compiler.dpr.crc import U32Array
from vtc.compiler.dpr.errors import BitstreamError
from vtc.compiler.dpr.registers import (
    SYNC_WORD,
    Command,
    Opcode,
    PacketType,
    Register,
    command_name,
    describe_header,
    register_name,
)

__all__ = [
    "ConfigStream",
    "Packet",
    "packet_summary",
    "parse_stream",
    "type1",
    "type2",
]

_SYNC_BYTES = SYNC_WORD.to_bytes(4, "big")
_EMPTY: U32Array = np.zeros(0, dtype=np.uint32)


def type1(opcode: int, register: int, count: int) -> int:
    """A Type 1 header word."""
    return (1 << 29) | (opcode << 27) | ((register & 0x3FFF) << 13) | (count & 0x7FF)


def type2(opcode: int, count: int) -> int:
    """A Type 2 header word."""
    return (2 << 29) | (opcode << 27) | (count & 0x7FFFFFF)


@dataclass(frozen=True, slots=True, eq=False)
class Packet:
    """One packet (or Type 0 word): header as found, register addressed, payload."""

    #: Byte offset of the header from the start of the stream (the body).
    offset: int
    header: int
    #: The register addressed (a Type 2 packet inherits it); -1 for Type 0 words.
    register: int
    data: U32Array

    @property
    def kind(self) -> int:
        return self.header >> 29

    @property
    def opcode(self) -> int:
        return (self.header >> 27) & 3 if self.kind else 0

    @property
    def count(self) -> int:
        """The header's word count (for a read: words the port returns)."""
        if self.kind == PacketType.TYPE1:
            return self.header & 0x7FF
        if self.kind == PacketType.TYPE2:
            return self.header & 0x7FFFFFF
        return 0

    @property
    def is_write(self) -> bool:
        return self.kind in (PacketType.TYPE1, PacketType.TYPE2) and self.opcode == Opcode.WRITE

    @property
    def is_nop(self) -> bool:
        return self.kind == PacketType.TYPE1 and self.opcode == Opcode.NOP

    def describe(self) -> str:
        """One line: the header's meaning and, for short writes, the values."""
        text = describe_header(self.header, self.register)
        if not self.is_write or len(self.data) == 0 or len(self.data) > 2:
            return text
        if self.register == Register.CMD:
            return f"{text}: " + ", ".join(command_name(int(v)) for v in self.data)
        return f"{text}: " + ", ".join(f"0x{int(v):08X}" for v in self.data)


@dataclass(eq=False)
class ConfigStream:
    """A configuration stream: prefix, sync word, packets, trailer."""

    prefix: bytes
    packets: list[Packet]
    trailer: bytes = b""

    def to_bytes(self) -> bytes:
        """The stream's bytes (big-endian words)."""
        pieces: list[U32Array] = []
        headers: list[int] = []
        for p in self.packets:
            headers.append(p.header)
            if len(p.data):
                pieces.append(np.array(headers, dtype=np.uint32))
                pieces.append(p.data)
                headers = []
        if headers:
            pieces.append(np.array(headers, dtype=np.uint32))
        words = np.concatenate(pieces) if pieces else _EMPTY
        return self.prefix + _SYNC_BYTES + words.astype(">u4").tobytes() + self.trailer

    def writes(self) -> Iterator[Packet]:
        """The write packets, in order."""
        return (p for p in self.packets if p.is_write)


def _error(where: str, message: str) -> BitstreamError:
    return BitstreamError(message, where=where)


def parse_stream(
    data: bytes, where: str, sync_at: int | None = None, *, file_offset: int = 0
) -> ConfigStream:
    """Split canonical (big-endian) stream bytes into prefix, packets and trailer.

    ``sync_at`` is the byte offset of the sync word when already known;
    ``file_offset`` where the stream starts in its file (for messages only).

    Raises
    ------
    BitstreamError
        No sync word, an invalid header before DESYNC, a Type 2 packet without
        a Type 1 before it, or a packet running past the end (truncated).
    """
    at = data.find(_SYNC_BYTES) if sync_at is None else sync_at
    if at < 0:
        raise _error(where, "not a Xilinx 7-series bitstream: no sync word (0xAA995566) found")
    base = at + 4
    n = (len(data) - base) // 4
    words: U32Array = np.frombuffer(data, dtype=">u4", count=n, offset=base).astype(np.uint32)
    packets: list[Packet] = []
    last_register: int | None = None
    desynced = False
    i = 0
    trailer_from: int | None = None
    while i < n:
        header = int(words[i])
        kind = header >> 29
        offset = base + 4 * i
        file_at = file_offset + offset
        if kind == PacketType.TYPE0:
            packets.append(Packet(offset, header, -1, _EMPTY))
            i += 1
            continue
        if kind == PacketType.TYPE1:
            register = (header >> 13) & 0x3FFF
            count = header & 0x7FF
            last_register = register
        elif kind == PacketType.TYPE2:
            if last_register is None:
                if desynced:
                    trailer_from = offset
                    break
                raise _error(
                    where, f"bad packet at byte {file_at}: a Type 2 packet needs a Type 1 before it"
                )
            register = last_register
            count = header & 0x7FFFFFF
        else:
            if desynced:
                trailer_from = offset
                break
            raise _error(
                where, f"bad packet at byte {file_at}: invalid header 0x{header:08X} (type {kind})"
            )
        if ((header >> 27) & 3) != Opcode.WRITE:
            # Reads (and NOPs) carry no payload towards the device: the count is what the
            # port returns.
            packets.append(Packet(offset, header, register, _EMPTY))
            i += 1
            continue
        if i + 1 + count > n:
            if desynced:
                trailer_from = offset
                break
            raise _error(
                where,
                f"truncated bitstream: {describe_header(header, register)} at byte {file_at} "
                f"needs {count} data words, {n - i - 1} remain",
            )
        payload = words[i + 1 : i + 1 + count] if count else _EMPTY
        packet = Packet(offset, header, register, payload)
        packets.append(packet)
        if (
            packet.is_write
            and register == Register.CMD
            and any(int(v) == Command.DESYNC for v in payload)
        ):
            desynced = True
        i += 1 + count
    if trailer_from is None:
        trailer_from = base + 4 * i
        if trailer_from != len(data) and not desynced:
            raise _error(
                where,
                f"truncated bitstream: {len(data) - trailer_from} stray bytes after the last "
                "whole word",
            )
    return ConfigStream(bytes(data[:at]), packets, bytes(data[trailer_from:]))


def packet_summary(packets: Sequence[Packet]) -> dict[str, object]:
    """Counts for ``vtc bit info``: packets by kind, writes by register, commands in order."""
    kinds = {"type0": 0, "type1": 0, "type2": 0}
    nops = 0
    reads: dict[str, int] = {}
    writes: dict[str, dict[str, int]] = {}
    commands: list[str] = []
    for p in packets:
        kinds[f"type{p.kind}"] += 1
        if p.is_nop:
            nops += 1
        elif p.opcode == Opcode.READ:
            name = register_name(p.register)
            reads[name] = reads.get(name, 0) + p.count
        elif p.is_write:
            entry = writes.setdefault(register_name(p.register), {"packets": 0, "words": 0})
            entry["packets"] += 1
            entry["words"] += len(p.data)
            if p.register == Register.CMD:
                commands.extend(command_name(int(v)) for v in p.data)
    return {
        "total": len(packets),
        **kinds,
        "nop": nops,
        "writes": dict(sorted(writes.items())),
        "reads": dict(sorted(reads.items())),
        "commands": commands,
    }
