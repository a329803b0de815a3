"""Reconfiguration time: ``T = (H + W*bursts + F*frames + pads + E) / S``.

The constants come from :mod:`vtc.compiler.dpr.writer`, so the estimate for
``n`` frames in ``w`` bursts is exactly the size of the stream vtc writes for
them; for a bitstream file the bytes are its body (what goes to the port).

Port speeds (MB = 10^6 bytes per second): ICAP 400 (32 bits at 100 MHz),
PCAP 145 (nominal), PCAP 128 (measured).

>>> e = estimate_frames(10, 2, port="icap")
>>> e.bytes, round(e.seconds * 1e6, 2), e.cycles
(5072, 12.68, 1268)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from vtc.compiler.dpr.errors import BitstreamError
from vtc.compiler.dpr.writer import (
    BURST_BYTES,
    END_BYTES,
    FRAME_BYTES,
    HEADER_BYTES,
    PAD_BYTES,
    stream_bytes,
)

__all__ = ["CLOCK_HZ", "PORTS", "Estimate", "estimate_bytes", "estimate_frames", "port_speed"]

#: Port speeds in MB/s (10^6 bytes per second).
PORTS = {"icap": 400.0, "pcap": 145.0, "pcap-measured": 128.0}
#: The clock the cycle counts refer to (ViSARD and its PRC run at 100 MHz).
CLOCK_HZ = 100_000_000


@dataclass(frozen=True)
class Estimate:
    """Bytes to the configuration port, and the time they take."""

    bytes: int
    speed_mbps: float
    port: str
    frames: int | None = None
    bursts: int | None = None

    @property
    def seconds(self) -> float:
        return self.bytes / (self.speed_mbps * 1e6)

    @property
    def cycles(self) -> int:
        """Clock cycles at 100 MHz, rounded up."""
        return math.ceil(self.bytes * CLOCK_HZ / (self.speed_mbps * 1e6) - 1e-9)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "bytes": self.bytes,
            "port": self.port,
            "speed_mbps": self.speed_mbps,
            "seconds": self.seconds,
            "cycles": self.cycles,
            "clock_hz": CLOCK_HZ,
        }
        if self.frames is not None and self.bursts is not None:
            out["frames"] = self.frames
            out["bursts"] = self.bursts
            out["terms"] = {
                "H": HEADER_BYTES,
                "W": self.bursts * BURST_BYTES,
                "pads": self.bursts * PAD_BYTES,
                "F": self.frames * FRAME_BYTES,
                "E": END_BYTES,
            }
        return out


def port_speed(port: str | None, speed: float | None) -> tuple[str, float]:
    """``(port label, MB/s)`` from ``--port`` or ``--speed`` (default ICAP)."""
    if speed is not None:
        if speed <= 0:
            raise BitstreamError(f"speed must be positive, not {speed:g}", where="--speed")
        return f"{speed:g} MB/s", float(speed)
    name = port or "icap"
    if name not in PORTS:
        raise BitstreamError(f"unknown port {name!r} (known: {', '.join(PORTS)})", where="--port")
    return name, PORTS[name]


def estimate_frames(
    frames: int, bursts: int, *, port: str | None = None, speed: float | None = None
) -> Estimate:
    """The stream vtc writes for ``frames`` frames in ``bursts`` bursts."""
    if frames < 0 or bursts < 0:
        raise BitstreamError("frames and writes must not be negative", where="--frames")
    if frames and not bursts:
        raise BitstreamError("frames need at least one write (burst)", where="--writes")
    if bursts > frames:
        raise BitstreamError(
            f"{bursts} writes cannot carry {frames} frames (each burst has at least one)",
            where="--writes",
        )
    label, mbps = port_speed(port, speed)
    return Estimate(stream_bytes(frames, bursts), mbps, label, frames, bursts)


def estimate_bytes(
    body_bytes: int,
    *,
    frames: int | None = None,
    bursts: int | None = None,
    port: str | None = None,
    speed: float | None = None,
) -> Estimate:
    """A stream of ``body_bytes`` bytes (e.g. a bitstream file's body)."""
    label, mbps = port_speed(port, speed)
    return Estimate(body_bytes, mbps, label, frames, bursts)
