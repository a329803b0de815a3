"""A whole bitstream file: container, stream, and what the stream does.

>>> import numpy as np
>>> from vtc.compiler.dpr.writer import build_partial
>>> from vtc.compiler.dpr.device import load_device
>>> dev = load_device("xc7z020")
>>> frames = np.arange(2 * 101, dtype=np.uint32).reshape(2, 101)
>>> raw = build_partial(dev, 0x03727093, [(0, frames)])
>>> bs = parse_bitstream(raw, "p.bin")
>>> bs.part_name, bs.memory.count, bs.crc_ok
('xc7z020', 2, True)
>>> bs.to_bytes() == raw
True
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vtc.compiler.dpr.bitfile import (
    PREAMBLE,
    BitHeader,
    ByteOrder,
    detect_byte_order,
    from_canonical,
    parse_header,
    to_canonical,
)
from vtc.compiler.dpr.crc import U32Array
from vtc.compiler.dpr.device import Device
from vtc.compiler.dpr.errors import BitstreamError
from vtc.compiler.dpr.frames import FrameMemory, Interpretation, burst_words, interpret
from vtc.compiler.dpr.packets import ConfigStream, Packet, packet_summary, parse_stream
from vtc.compiler.dpr.registers import WORDS_PER_FRAME, Register
from vtc.compiler.files import read_bytes

__all__ = [
    "FORMATS",
    "Bitstream",
    "parse_bitstream",
    "read_bitstream",
]

#: Output formats of :meth:`Bitstream.to_bytes`.
FORMATS = ("bit", "bin", "bin-pcap", "bin-icap")

_ORDER_OF_FORMAT = {"bin": ByteOrder.BIN, "bin-pcap": ByteOrder.PCAP, "bin-icap": ByteOrder.ICAP}
_FORMAT_OF_ORDER = {v: k for k, v in _ORDER_OF_FORMAT.items()}


@dataclass(eq=False)
class Bitstream:
    """A parsed bitstream: ``.bit`` header (or none), stream, and its effect."""

    name: str
    header: BitHeader | None
    byte_order: ByteOrder
    stream: ConfigStream
    state: Interpretation

    # -- identity -------------------------------------------------------------------------------

    @property
    def device(self) -> Device:
        if self.state.device is None:
            raise BitstreamError("no IDCODE write: the device is unknown", where=self.name)
        return self.state.device

    @property
    def idcode(self) -> int | None:
        return self.state.idcode

    @property
    def part_name(self) -> str:
        """The part named by the IDCODE (``xc7z020``), or the device's name without one."""
        if self.idcode is not None:
            return self.device.part_for_idcode(self.idcode)
        return self.device.name

    @property
    def memory(self) -> FrameMemory:
        if self.state.memory is None:
            raise BitstreamError("the bitstream configures no device", where=self.name)
        return self.state.memory

    @property
    def format(self) -> str:
        """The file's own format: ``bit``, ``bin``, ``bin-pcap`` or ``bin-icap``."""
        return "bit" if self.header is not None else _FORMAT_OF_ORDER[self.byte_order]

    @property
    def packets(self) -> list[Packet]:
        return self.stream.packets

    # -- CRC ------------------------------------------------------------------------------------

    @property
    def crc_ok(self) -> bool:
        return all(c.ok for c in self.state.crc_checks)

    def require_crc(self) -> None:
        """Raise for the first CRC word the data does not reproduce."""
        for check in self.state.crc_checks:
            if not check.ok:
                raise BitstreamError(
                    f"CRC mismatch at byte {self.body_offset + check.offset}: the file says "
                    f"0x{check.expected:08X}, the data gives 0x{check.computed:08X}",
                    where=self.name,
                )

    # -- bytes ----------------------------------------------------------------------------------

    @property
    def body_offset(self) -> int:
        """Where the body starts in the file (the header's length)."""
        if self.header is None:
            return 0
        return len(self.header.to_bytes(0))

    def body(self, order: ByteOrder | None = None) -> bytes:
        """The configuration stream in ``order`` (default: the file's own)."""
        canonical = self.stream.to_bytes()
        return from_canonical(canonical, self.byte_order if order is None else order)

    @property
    def body_bytes(self) -> int:
        """Bytes sent to the configuration port (the stream without the ``.bit`` header)."""
        return (
            len(self.stream.prefix)
            + 4
            + 4 * sum(1 + len(p.data) for p in self.packets)
            + len(self.stream.trailer)
        )

    def to_bytes(self, fmt: str | None = None) -> bytes:
        """The file in a format of :data:`FORMATS` (default: its own format)."""
        fmt = self.format if fmt is None else fmt
        if fmt == "bit":
            body = self.body(ByteOrder.BIN) if self.header is None else self.body()
            return self.bit_header().to_bytes(len(body)) + body
        return self.body(_ORDER_OF_FORMAT[fmt])

    def bit_header(self) -> BitHeader:
        """The file's header, or a made-up one for a ``.bin`` (see ``docs/dpr.md``)."""
        if self.header is not None:
            return self.header
        stem = Path(self.name).stem or "design"
        part = self.part_name[2:] if self.part_name.startswith("xc") else self.part_name
        return BitHeader.make(f"{stem};Generator=vtc", part, "1970/01/01", "00:00:00")

    # -- frames ---------------------------------------------------------------------------------

    def frame_stream(self, burst_number: int) -> U32Array:
        """The frame stream (FDRI words) of one burst."""
        return burst_words(self.state.bursts[burst_number], self.packets)

    def summary(self) -> dict[str, Any]:
        """What ``vtc bit info --json`` prints."""
        checks = self.state.crc_checks
        header = self.header
        return {
            "file": self.name,
            "format": self.format,
            "design": header.design if header else None,
            "part": header.part if header else None,
            "date": header.date if header else None,
            "time": header.time if header else None,
            "device": self.part_name if self.state.device is not None else None,
            "idcode": f"0x{self.idcode:08X}" if self.idcode is not None else None,
            "frames": self.state.memory.count if self.state.memory is not None else 0,
            "body_bytes": self.body_bytes,
            "bursts": len(self.state.bursts),
            "frame_words": sum(b.words for b in self.state.bursts),
            "dropped_frames": self.state.dropped_frames,
            "packets": packet_summary(self.packets),
            "crc": {
                "checks": len(checks),
                "ok": self.crc_ok,
                "result": ("ok" if self.crc_ok else "mismatch") if checks else "no CRC words",
                "mismatches": [
                    {
                        "byte": self.body_offset + c.offset,
                        "file": f"0x{c.expected:08X}",
                        "computed": f"0x{c.computed:08X}",
                    }
                    for c in checks
                    if not c.ok
                ],
            },
        }


def _header_matches(part: str | None, device_part: str) -> bool:
    if not part:
        return True
    short = device_part[2:] if device_part.startswith("xc") else device_part
    return part.lower().startswith(short.lower())


def parse_bitstream(
    data: bytes, name: str, *, device: Device | None = None, check_crc: bool = True
) -> Bitstream:
    """Parse the bytes of a ``.bit`` or ``.bin`` (any byte order).

    Raises
    ------
    BitstreamError
        Naming ``name``: junk, truncated, an unknown or mismatched device, a
        CRC word the data does not reproduce (unless ``check_crc`` is false).
    """
    header: BitHeader | None = None
    body = data
    at = 0
    if data.startswith(PREAMBLE):
        header, at, length = parse_header(data, name)
        body = data[at:]
        if len(body) != length:
            problem = "truncated bitstream" if len(body) < length else "bad .bit file"
            raise BitstreamError(
                f"{problem}: the header announces {length} body bytes, {len(body)} follow",
                where=name,
            )
    found = detect_byte_order(body)
    if found is None:
        raise BitstreamError(
            "not a Xilinx 7-series bitstream: no sync word (0xAA995566) found", where=name
        )
    order, sync_at = found
    if order is ByteOrder.PCAP and len(body) % 4:
        raise BitstreamError(
            f"truncated bitstream: a byte-swapped stream of {len(body)} bytes is not a whole "
            "number of words",
            where=name,
        )
    canonical = to_canonical(body, order)
    stream = parse_stream(canonical, name, sync_at, file_offset=at)
    state = interpret(stream.packets, name, device)
    result = Bitstream(name, header, order, stream, state)
    if (
        header is not None
        and state.device is not None
        and result.idcode is not None
        and not _header_matches(header.part, result.part_name)
    ):
        raise BitstreamError(
            f"wrong device: the header names part '{header.part}', but the IDCODE "
            f"0x{result.idcode:08X} is a {result.part_name}",
            where=name,
        )
    if check_crc:
        result.require_crc()
    return result


def read_bitstream(
    path: str | Path, *, device: Device | None = None, check_crc: bool = True
) -> Bitstream:
    """Read and parse a bitstream file (see :func:`parse_bitstream`)."""
    data = read_bytes(path)
    if data[:2] == b"\x1f\x8b":  # gzip, as bitstreams are often archived
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise BitstreamError(f"gzip data is damaged: {exc}", where=str(path)) from None
    return parse_bitstream(data, str(path), device=device, check_crc=check_crc)


def frames_of(bitstream: Bitstream, indices: np.ndarray) -> U32Array:
    """The words of frames at linear ``indices`` (shape ``(n, 101)``)."""
    out: U32Array = bitstream.memory.data[indices].reshape(-1, WORDS_PER_FRAME)
    return out


def register_writes(bitstream: Bitstream, register: Register) -> list[int]:
    """Every value written to ``register``, in order."""
    out: list[int] = []
    for p in bitstream.stream.writes():
        if p.register == register:
            out.extend(int(v) for v in p.data)
    return out
