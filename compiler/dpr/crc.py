"""The configuration CRC of Xilinx 7-series bitstreams, fast enough for 4 MB streams.

The device folds every written word into a CRC-32C (reflected polynomial
0x82F63B78): 37 bits per word, the 32 data bits first (least significant
first), then the 5-bit register address. A write to the CRC register
compares and resets it; so does the RCRC command.

One step is linear over GF(2): ``step(c, a, w) = A(c) ^ B(w) ^ K[a]`` where
``A`` shifts 37 zero bits through the register. A run of ``n`` words from a
zero register therefore gives ``sum(A^(n-1-i) x_i)`` with ``x_i = B(w_i) ^
K[a_i]``, which numpy computes as a tree: pairs combine as ``A^b(left) ^
right``, every level applying one 32x32 bit matrix to a whole vector through
four 256-entry tables.

>>> hex(crc_step(0, 2, 0x12345678)) == hex(crc_words(2, [0x12345678]))
True
>>> import numpy as np
>>> ws = np.arange(1000, dtype=np.uint32)
>>> crc_words(2, ws.tolist()) == crc_of_writes([(2, ws)])
True
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from functools import cache

import numpy as np
import numpy.typing as npt

__all__ = [
    "POLYNOMIAL",
    "U32Array",
    "contributions",
    "crc_of_writes",
    "crc_step",
    "crc_words",
    "fold_segments",
]

#: CRC-32C (Castagnoli), reflected.
POLYNOMIAL = 0x82F63B78

U32Array = npt.NDArray[np.uint32]

_ADDRESS_BITS = 5
_DATA_BITS = 32


def crc_step(crc: int, address: int, word: int) -> int:
    """Fold one written word into ``crc`` bit by bit (the reference definition)."""
    value = ((address & 0x1F) << _DATA_BITS) | (word & 0xFFFFFFFF)
    for _ in range(_ADDRESS_BITS + _DATA_BITS):
        if (value ^ crc) & 1:
            crc = (crc >> 1) ^ POLYNOMIAL
        else:
            crc >>= 1
        value >>= 1
    return crc


def _apply_columns(columns: Sequence[int], vector: int) -> int:
    out = 0
    bit = 0
    while vector:
        if vector & 1:
            out ^= columns[bit]
        vector >>= 1
        bit += 1
    return out


def _byte_tables(columns: Sequence[int]) -> U32Array:
    """Four 256-entry tables: ``M(v) = t0[v&255] ^ t1[v>>8&255] ^ ...``."""
    tables = np.zeros((4, 256), dtype=np.uint32)
    for j in range(4):
        row = [0] * 256
        for b in range(1, 256):
            low = b & -b
            row[b] = row[b ^ low] ^ columns[8 * j + low.bit_length() - 1]
        tables[j] = row
    return tables


def _tables(columns: Sequence[int]) -> U32Array:
    """Two 65536-entry tables: ``M(v) = lo[v & 0xFFFF] ^ hi[v >> 16]``."""
    t = _byte_tables(columns)
    index = np.arange(65536, dtype=np.uint32)
    lo = t[0][index & 0xFF] ^ t[1][index >> 8]
    hi = t[2][index & 0xFF] ^ t[3][index >> 8]
    return np.stack([lo, hi])


@cache
def _shift_columns() -> tuple[int, ...]:
    """Columns of ``A``: 37 zero bits shifted through the register."""
    return tuple(crc_step(1 << j, 0, 0) for j in range(32))


@cache
def _data_tables() -> U32Array:
    """Tables of ``B``: a data word folded into a zero register (address 0)."""
    return _tables([crc_step(0, 0, 1 << j) for j in range(32)])


@cache
def _address_constants() -> U32Array:
    return np.array([crc_step(0, a, 0) for a in range(32)], dtype=np.uint32)


@cache
def _power_columns(level: int) -> tuple[int, ...]:
    """Columns of ``A^(2^level)``."""
    if level == 0:
        return _shift_columns()
    half = _power_columns(level - 1)
    return tuple(_apply_columns(half, c) for c in half)


@cache
def _power_tables(level: int) -> U32Array:
    return _tables(_power_columns(level))


@cache
def _scalar_tables() -> tuple[tuple[list[int], ...], tuple[list[int], ...], list[int]]:
    shift = tuple(t.tolist() for t in _byte_tables(_shift_columns()))
    data = tuple(t.tolist() for t in _byte_tables([crc_step(0, 0, 1 << j) for j in range(32)]))
    return shift, data, _address_constants().tolist()


# Which 16-bit half of a uint32 comes first in memory.
_LO, _HI = (0, 1) if sys.byteorder == "little" else (1, 0)


def _apply(tables: U32Array, v: U32Array) -> U32Array:
    """``M(v)`` for a contiguous vector."""
    halves = v.view(np.uint16)
    out: U32Array = np.take(tables[0], halves[..., _LO::2])
    out ^= np.take(tables[1], halves[..., _HI::2])
    return out


def _combine(tables: U32Array, rows: U32Array) -> U32Array:
    """One tree level: ``M(rows[:, 0::2]) ^ rows[:, 1::2]`` (rows contiguous)."""
    halves = rows.view(np.uint16)
    out: U32Array = np.take(tables[0], halves[:, _LO::4])
    out ^= np.take(tables[1], halves[:, _HI::4])
    out ^= rows[:, 1::2]
    return out


def crc_words(address: int, words: Iterable[int], crc: int = 0) -> int:
    """Fold ``words`` written to ``address`` into ``crc`` (table driven, scalar)."""
    (s0, s1, s2, s3), (d0, d1, d2, d3), k = _scalar_tables()
    ka = k[address & 0x1F]
    for w in words:
        crc = (
            s0[crc & 0xFF]
            ^ s1[(crc >> 8) & 0xFF]
            ^ s2[(crc >> 16) & 0xFF]
            ^ s3[crc >> 24]
            ^ d0[w & 0xFF]
            ^ d1[(w >> 8) & 0xFF]
            ^ d2[(w >> 16) & 0xFF]
            ^ d3[(w >> 24) & 0xFF]
            ^ ka
        )
    return crc


def contributions(words: U32Array, address: int | npt.NDArray[np.integer]) -> U32Array:
    """``x_i = B(w_i) ^ K[a_i]``: each word's part of the CRC (one address or one per word)."""
    w = np.asarray(words, dtype=np.uint32)
    x = _apply(_data_tables(), w)
    k = _address_constants()
    if isinstance(address, int):
        x ^= k[address & 0x1F]
    else:
        x ^= k[np.asarray(address) & 0x1F]
    return x


def fold_segments(x: U32Array, bounds: Sequence[tuple[int, int]]) -> list[int]:
    """The CRC (from a zero register) of each run ``x[start:end]`` of contributions.

    Runs of similar length are folded together: each is right-aligned in a
    row of a power-of-two width (leading zero contributions change nothing)
    and the rows are reduced level by level.
    """
    results = [0] * len(bounds)
    buckets: dict[int, list[int]] = {}
    for i, (start, end) in enumerate(bounds):
        n = end - start
        if n > 0:
            buckets.setdefault(max(n - 1, 0).bit_length(), []).append(i)
    for level, members in buckets.items():
        width = 1 << level
        starts = np.array([bounds[i][0] for i in members], dtype=np.int64)
        lengths = np.array([bounds[i][1] - bounds[i][0] for i in members], dtype=np.int64)
        rows = np.zeros((len(members), width), dtype=np.uint32)
        if len(members) <= 64:
            for k, i in enumerate(members):
                start, end = bounds[i]
                rows[k, width - (end - start) :] = x[start:end]
        else:
            total = int(lengths.sum())
            seg = np.repeat(np.arange(len(members)), lengths)
            first = np.cumsum(lengths) - lengths
            within = np.arange(total) - np.repeat(first, lengths)
            src = np.repeat(starts, lengths) + within
            col = np.repeat(width - lengths, lengths) + within
            rows[seg, col] = x[src]
        step = 0
        while rows.shape[1] > 1:
            rows = _combine(_power_tables(step), rows)
            step += 1
        for i, value in zip(members, rows[:, 0].tolist(), strict=True):
            results[i] = int(value)
    return results


def crc_of_writes(writes: Sequence[tuple[int, U32Array]]) -> int:
    """The CRC, from a zero register, of the writes ``(address, words)`` in order."""
    parts = [contributions(words, address) for address, words in writes if len(words)]
    if not parts:
        return 0
    x = np.concatenate(parts)
    return fold_segments(x, [(0, len(x))])[0]
