"""Bitstream and reconfiguration tools for Xilinx 7-series devices (Qt-free).

The public facade; the modules behind it:

* :mod:`~vtc.compiler.dpr.registers` - packet, register and command tables
* :mod:`~vtc.compiler.dpr.bitfile` - the ``.bit`` container and byte orders
* :mod:`~vtc.compiler.dpr.packets` - configuration packets, word for word
* :mod:`~vtc.compiler.dpr.crc` - the configuration CRC (numpy)
* :mod:`~vtc.compiler.dpr.device` - device layouts and frame addresses
* :mod:`~vtc.compiler.dpr.frames` - frame memory and the stream interpreter
* :mod:`~vtc.compiler.dpr.bitstream` - whole files: read, inspect, write
* :mod:`~vtc.compiler.dpr.writer` - generated streams and their size constants
* :mod:`~vtc.compiler.dpr.combine` - torCombitgen, baselines, diff, apply
* :mod:`~vtc.compiler.dpr.estimate` - reconfiguration time
* :mod:`~vtc.compiler.dpr.table` - the controller's bitstream table image
* :mod:`~vtc.compiler.dpr.context` - EPOCH context save/restore sequences
"""

from vtc.compiler.dpr.bitfile import BitHeader, ByteOrder
from vtc.compiler.dpr.bitstream import FORMATS, Bitstream, parse_bitstream, read_bitstream
from vtc.compiler.dpr.combine import (
    STRATEGIES,
    CombineResult,
    apply_partial,
    combine,
    diff,
    differential_bitmap,
)
from vtc.compiler.dpr.context import (
    Snapshot,
    context_time,
    parse_snapshot,
    readback_sequence,
    restore_sequence,
    snapshot_from_readback,
)
from vtc.compiler.dpr.device import Device, Region, device_for_idcode, known_devices, load_device
from vtc.compiler.dpr.errors import BitstreamError
from vtc.compiler.dpr.estimate import PORTS, Estimate, estimate_bytes, estimate_frames
from vtc.compiler.dpr.frames import FrameMemory
from vtc.compiler.dpr.table import build_table, read_table
from vtc.compiler.dpr.writer import build_partial, stream_bytes

__all__ = [
    "FORMATS",
    "PORTS",
    "STRATEGIES",
    "BitHeader",
    "Bitstream",
    "BitstreamError",
    "ByteOrder",
    "CombineResult",
    "Device",
    "Estimate",
    "FrameMemory",
    "Region",
    "Snapshot",
    "apply_partial",
    "build_partial",
    "build_table",
    "combine",
    "context_time",
    "device_for_idcode",
    "diff",
    "differential_bitmap",
    "estimate_bytes",
    "estimate_frames",
    "known_devices",
    "load_device",
    "parse_bitstream",
    "parse_snapshot",
    "read_bitstream",
    "read_table",
    "readback_sequence",
    "restore_sequence",
    "snapshot_from_readback",
    "stream_bytes",
]
