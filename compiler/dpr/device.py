"""Device descriptions: the column layout that frame addresses follow.

A 7-series frame address (FAR) has five fields::

    [25:23] block type   0 CLB/IO/CLK (logic), 1 BRAM content, 2 CFG_CLB
    [22]    half         0 top, 1 bottom
    [21:17] row          counted outwards from the device's centre
    [16:7]  column       configuration column within the row
    [6:0]   minor        frame within the column

The device's layout says how many frames each column of each row has; the
configuration logic's address auto-increment walks minors, then columns,
then rows (top half first, then bottom), then block types. With the block
type in the top bits the numeric FAR grows along that order, so a frame's
*linear index* is its rank among the device's addresses.

The descriptions live in ``vtc/resources/devices/*.toml`` (written by
:mod:`vtc.compiler.dpr.partgen` from the prjxray part files; see
``docs/dpr.md``).

>>> dev = device_for_idcode(0x03727093)
>>> dev.part_for_idcode(0x03727093), dev.frame_count
('xc7z020', 9996)
>>> f"0x{dev.far_of(dev.index_of(0x00420100)):08X}"
'0x00420100'
>>> decode_far(0x00420100)
FrameAddress(block=0, half=1, row=1, column=2, minor=0)
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from vtc.compiler.dpr.errors import BitstreamError
from vtc.compiler.dpr.registers import BlockType, block_type_name

__all__ = [
    "Device",
    "FrameAddress",
    "Region",
    "Row",
    "decode_far",
    "device_for_idcode",
    "encode_far",
    "known_devices",
    "load_device",
    "parse_columns",
]

IndexArray = npt.NDArray[np.int64]


class FrameAddress(NamedTuple):
    """The fields of a frame address."""

    block: int
    half: int
    row: int
    column: int
    minor: int

    def __str__(self) -> str:
        half = "bottom" if self.half else "top"
        return (
            f"{block_type_name(self.block)} {half} row {self.row} "
            f"column {self.column} minor {self.minor}"
        )


def encode_far(block: int, half: int, row: int, column: int, minor: int) -> int:
    """The 32-bit frame address of the given fields."""
    return (block << 23) | (half << 22) | (row << 17) | (column << 7) | minor


def decode_far(far: int) -> FrameAddress:
    """The fields of a 32-bit frame address."""
    return FrameAddress(
        (far >> 23) & 0x7, (far >> 22) & 1, (far >> 17) & 0x1F, (far >> 7) & 0x3FF, far & 0x7F
    )


@dataclass(frozen=True)
class Row:
    """One row of one block type: its columns' frame counts and its first linear index."""

    block: int
    half: int
    row: int
    columns: tuple[int, ...]
    first: int

    @property
    def frames(self) -> int:
        return sum(self.columns)

    @property
    def label(self) -> str:
        half = "bottom" if self.half else "top"
        return f"{block_type_name(self.block)} {half} row {self.row}"


def parse_columns(text: str) -> tuple[int, ...]:
    """Expand the run-length column list of a device file.

    >>> parse_columns("42 30 36*3 28")
    (42, 30, 36, 36, 36, 28)
    """
    out: list[int] = []
    for item in text.split():
        m = re.fullmatch(r"(\d+)(?:\*(\d+))?", item)
        if m is None:
            raise ValueError(f"bad column entry {item!r}")
        out.extend([int(m.group(1))] * int(m.group(2) or 1))
    return tuple(out)


@dataclass(frozen=True)
class Region:
    """A set of frames given by the user (``--region``), as sorted linear indices."""

    text: str
    indices: IndexArray = field(compare=False)

    @property
    def frame_count(self) -> int:
        return len(self.indices)


@dataclass(frozen=True, eq=False)
class Device:
    """One configuration layout (one or more parts share it) with address arithmetic."""

    name: str
    description: str
    parts: dict[str, int]
    rows: tuple[Row, ...]
    x_split_column: int
    #: FAR of every frame, by linear index (ascending).
    addresses: npt.NDArray[np.uint32] = field(repr=False)
    #: Row number (index into ``rows``) of every frame.
    row_of: IndexArray = field(repr=False)

    @classmethod
    def from_toml(cls, text: str, source: str = "<device>") -> Device:
        """Build a device from the text of a device file."""
        try:
            doc = tomllib.loads(text)
            rows: list[Row] = []
            first = 0
            for entry in doc["row"]:
                block = BlockType[entry["block"]].value
                half = {"top": 0, "bottom": 1}[entry["half"]]
                columns = parse_columns(entry["columns"])
                rows.append(Row(block, half, int(entry["row"]), columns, first))
                first += sum(columns)
            parts = {str(k): int(v) for k, v in doc["parts"].items()}
            name = str(doc["name"])
            description = str(doc.get("description", name))
            x_split = int(doc["x_split_column"])
        except (KeyError, ValueError, TypeError, tomllib.TOMLDecodeError) as exc:
            raise BitstreamError(f"invalid device description: {exc}", where=source) from None
        order = [(r.block, r.half, r.row) for r in rows]
        if order != sorted(order) or len(set(order)) != len(order):
            raise BitstreamError("rows are not in frame address order", where=source)
        addresses: list[int] = []
        row_of: list[int] = []
        for number, r in enumerate(rows):
            for column, count in enumerate(r.columns):
                addresses.extend(
                    encode_far(r.block, r.half, r.row, column, m) for m in range(count)
                )
                row_of.extend([number] * count)
        return cls(
            name,
            description,
            parts,
            tuple(rows),
            x_split,
            np.array(addresses, dtype=np.uint32),
            np.array(row_of, dtype=np.int64),
        )

    # -- identity -------------------------------------------------------------------------------

    def part_for_idcode(self, idcode: int) -> str:
        """The part name (e.g. ``xc7z020``) of an IDCODE this layout serves."""
        for part, code in self.parts.items():
            if code == idcode:
                return part
        raise KeyError(idcode)

    # -- addresses ------------------------------------------------------------------------------

    @property
    def frame_count(self) -> int:
        return len(self.addresses)

    def index_of(self, far: int) -> int | None:
        """The linear index of a frame address, or ``None`` if the device has no such frame."""
        i = int(np.searchsorted(self.addresses, far))
        if i < len(self.addresses) and int(self.addresses[i]) == far:
            return i
        return None

    def far_of(self, index: int) -> int:
        """The frame address of a linear index."""
        return int(self.addresses[index])

    def row_end(self, index: int) -> int:
        """The linear index one past the last frame of the index's row."""
        r = self.rows[int(self.row_of[index])]
        return r.first + r.frames

    @property
    def full_stream(self) -> IndexArray:
        """Slots of a full frame stream: each row's frames then 2 pad slots (-1)."""
        return _full_stream(self)

    @property
    def column_of(self) -> IndexArray:
        """A device-wide column number for every frame (columns of all rows counted in order)."""
        return _column_of(self)

    @property
    def stream_position(self) -> IndexArray:
        """The slot of every linear index in :attr:`full_stream`."""
        return _stream_position(self)

    def runs(self, indices: IndexArray) -> list[tuple[int, int]]:
        """Sorted indices as runs ``(start, stop)`` of consecutive frames within one row."""
        idx = np.asarray(indices, dtype=np.int64)
        if len(idx) == 0:
            return []
        breaks = (np.diff(idx) != 1) | (np.diff(self.row_of[idx]) != 0)
        cut = np.flatnonzero(breaks) + 1
        starts = np.concatenate(([0], cut))
        stops = np.concatenate((cut, [len(idx)]))
        return [(int(idx[a]), int(idx[b - 1]) + 1) for a, b in zip(starts, stops, strict=True)]

    def column_key(self, index: int) -> tuple[int, int]:
        """``(row number, column)`` of a linear index."""
        return int(self.row_of[index]), (self.far_of(index) >> 7) & 0x3FF

    def column_indices(self, row_number: int, column: int) -> range:
        """Linear indices of all frames of one column."""
        r = self.rows[row_number]
        start = r.first + sum(r.columns[:column])
        return range(start, start + r.columns[column])

    # -- clock regions --------------------------------------------------------------------------

    def clock_region_rows(self) -> dict[int, tuple[int, int]]:
        """Clock-region Y -> (half, row) of the logic rows (Y0 at the bottom)."""
        logic = [r for r in self.rows if r.block == BlockType.CLB_IO_CLK]
        bottom = sorted(r.row for r in logic if r.half == 1)
        top = sorted(r.row for r in logic if r.half == 0)
        ys: dict[int, tuple[int, int]] = {}
        for r in bottom:
            ys[len(bottom) - 1 - r] = (1, r)
        for r in top:
            ys[len(bottom) + r] = (0, r)
        return ys

    def region(self, text: str) -> Region:
        """Parse a region: ``X0Y1:X1Y1`` (clock regions), ``Y1/C10:C20`` or ``all``.

        Clock regions and ``Y.../C...`` select logic (CLB_IO_CLK) frames;
        ``all`` selects every frame of the device.
        """
        spec = text.strip().upper()
        if spec == "ALL":
            return Region(text, np.arange(self.frame_count, dtype=np.int64))
        ys = self.clock_region_rows()
        m = re.fullmatch(r"X(\d+)Y(\d+)(?::X(\d+)Y(\d+))?", spec)
        c = re.fullmatch(r"Y(\d+)(?::Y(\d+))?/C(\d+)(?::C(\d+))?", spec)
        if m is not None:
            x0, y0 = int(m.group(1)), int(m.group(2))
            x1 = int(m.group(3)) if m.group(3) else x0
            y1 = int(m.group(4)) if m.group(4) else y0
            xs = range(min(x0, x1), max(x0, x1) + 1)
            if xs.stop > 2:
                raise BitstreamError(
                    f"region {text!r}: {self.name} has clock-region columns X0 and X1 only",
                    where="--region",
                )
            col_ranges = [
                (0, self.x_split_column) if x == 0 else (self.x_split_column, 1 << 10) for x in xs
            ]
        elif c is not None:
            y0 = int(c.group(1))
            y1 = int(c.group(2)) if c.group(2) else y0
            first = int(c.group(3))
            last = int(c.group(4)) if c.group(4) else first
            col_ranges = [(min(first, last), max(first, last) + 1)]
        else:
            raise BitstreamError(
                f"bad region {text!r}: expected clock regions like X0Y1:X1Y1, "
                "columns like Y1/C10:C20, or all",
                where="--region",
            )
        chosen: list[int] = []
        for y in range(min(y0, y1), max(y0, y1) + 1):
            if y not in ys:
                raise BitstreamError(
                    f"region {text!r}: {self.name} has clock-region rows Y0 to Y{len(ys) - 1}",
                    where="--region",
                )
            half, row = ys[y]
            number = next(
                i
                for i, r in enumerate(self.rows)
                if (r.block, r.half, r.row) == (BlockType.CLB_IO_CLK, half, row)
            )
            r = self.rows[number]
            for lo, hi in col_ranges:
                for col in range(lo, min(hi, len(r.columns))):
                    chosen.extend(self.column_indices(number, col))
        if not chosen:
            raise BitstreamError(
                f"region {text!r} holds no frames of {self.name}", where="--region"
            )
        return Region(text, np.array(sorted(set(chosen)), dtype=np.int64))


@cache
def _full_stream(device: Device) -> IndexArray:
    parts: list[IndexArray] = []
    for r in device.rows:
        parts.append(np.arange(r.first, r.first + r.frames, dtype=np.int64))
        parts.append(np.array([-1, -1], dtype=np.int64))
    return np.concatenate(parts)


@cache
def _column_of(device: Device) -> IndexArray:
    counts = [n for r in device.rows for n in r.columns]
    return np.repeat(np.arange(len(counts), dtype=np.int64), counts)


@cache
def _stream_position(device: Device) -> IndexArray:
    stream = _full_stream(device)
    pos = np.empty(device.frame_count, dtype=np.int64)
    slots = np.flatnonzero(stream >= 0)
    pos[stream[slots]] = slots
    return pos


@cache
def known_devices() -> tuple[Device, ...]:
    """Every device description shipped in ``vtc.resources.devices``, by name."""
    folder = resources.files("vtc.resources.devices")
    out = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            out.append(Device.from_toml(entry.read_text("utf-8"), f"devices/{entry.name}"))
    return tuple(out)


def load_device(name: str) -> Device:
    """The device serving a part name (``xc7z020``) or layout name."""
    key = name.lower()
    for dev in known_devices():
        if key == dev.name or key in dev.parts:
            return dev
    raise BitstreamError(f"unknown device {name!r} (known: {_known_list()})", where="--device")


def device_for_idcode(idcode: int) -> Device:
    """The device serving an IDCODE; :class:`KeyError` when none does."""
    for dev in known_devices():
        if idcode in dev.parts.values():
            return dev
    raise KeyError(idcode)


def _known_list() -> str:
    pairs = sorted((part, code) for dev in known_devices() for part, code in dev.parts.items())
    return ", ".join(f"{part} (0x{code:08X})" for part, code in pairs)


def known_parts_text() -> str:
    """``xc7a35t (0x0362D093), ...`` for messages."""
    return _known_list()
