"""Port formats: how a port's numbers look outside the core (target.md section 4).

A port carries ``f32``, ``f64``, ``i8``/``i16``/``i32``, ``u8``/``u16``/``u32``
or ``qM.N`` (signed two's complement, M integer bits including the sign, N
fraction bits). Inside the core every value is a float of the target
precision. Converting to an integer or fixed-point format rounds to nearest
even and saturates; NaN becomes 0.

A CSV file holds the numbers as seen outside: integers for ``iN``/``uN``, real
values for ``qM.N`` and floats.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from vtc.compiler.machine.semantics import to_f32

__all__ = ["PortFormat", "parse_format"]

_Q = re.compile(r"q(\d+)\.(\d+)\Z")
_INT = re.compile(r"([iu])(8|16|32)\Z")


@dataclass(frozen=True)
class PortFormat:
    """A port number format.

    Attributes
    ----------
    name:
        Canonical spelling (``"f32"``, ``"i16"``, ``"q4.12"``, ...).
    kind:
        ``"float"``, ``"int"`` or ``"fixed"``.
    bits:
        Total width in bits.
    frac:
        Fraction bits (``qM.N``: N; integers: 0).
    signed:
        Two's complement (``iN``, ``qM.N``) or unsigned (``uN``).
    """

    name: str
    kind: str
    bits: int
    frac: int = 0
    signed: bool = True

    @property
    def lo(self) -> float:
        """Smallest representable value (integer and fixed-point formats)."""
        if self.kind == "float":
            return -math.inf
        raw = -(1 << (self.bits - 1)) if self.signed else 0
        return raw / (1 << self.frac)

    @property
    def hi(self) -> float:
        """Largest representable value (integer and fixed-point formats)."""
        if self.kind == "float":
            return math.inf
        raw = (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1
        return raw / (1 << self.frac)

    def quantize(self, x: float) -> float:
        """The value of ``x`` as this format holds it, as a binary64 float.

        Floats round to the format's precision; integer and fixed-point formats
        round to nearest even on their grid and saturate, NaN becomes 0.

        >>> PortFormat("i8", "int", 8).quantize(300.7)
        127.0
        >>> parse_format("q4.4").quantize(0.03125)  # halfway between 0 and 1/16: even
        0.0
        """
        if self.kind == "float":
            return to_f32(x) if self.bits == 32 else float(x)
        if x != x:
            return 0.0
        scaled = x * (1 << self.frac)
        raw = round(scaled) if math.isfinite(scaled) else (math.inf if scaled > 0 else -math.inf)
        value = raw / (1 << self.frac) if math.isfinite(raw) else raw
        return float(min(max(value, self.lo), self.hi))

    def to_text(self, x: float) -> str:
        """The CSV text of a value already in this format (shortest round trip).

        >>> PortFormat("i16", "int", 16).to_text(-3.0)
        '-3'
        >>> PortFormat("f32", "float", 32).to_text(to_f32(0.1))
        '0.1'
        """
        if self.kind == "int":
            return str(int(x))
        if self.kind == "float" and self.bits == 32:
            return _shortest_f32(x)
        return _shortest_f64(x)


def _shortest_f64(x: float) -> str:
    if x != x:
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(float(x))


def _shortest_f32(x: float) -> str:
    """Shortest decimal that reads back (as binary32) to the same binary32 value."""
    if x != x or math.isinf(x):
        return _shortest_f64(x)
    for digits in range(1, 10):
        text = f"{x:.{digits}g}"
        if to_f32(float(text)) == x:
            return _tidy(text)
    return repr(x)


def _tidy(text: str) -> str:
    if "e" in text or "." in text or "n" in text:
        return text
    return text + ".0"


def parse_format(text: str) -> PortFormat:
    """Parse a port format name.

    Raises
    ------
    ValueError
        Not a format; the message lists the valid ones.

    >>> parse_format("q1.15").bits
    16
    """
    t = text.strip().lower()
    if t in ("f32", "single"):
        return PortFormat("f32", "float", 32)
    if t in ("f64", "double"):
        return PortFormat("f64", "float", 64)
    m = _INT.match(t)
    if m:
        return PortFormat(t, "int", int(m.group(2)), 0, m.group(1) == "i")
    m = _Q.match(t)
    if m:
        ints, frac = int(m.group(1)), int(m.group(2))
        if ints >= 1 and ints + frac <= 64:
            return PortFormat(t, "fixed", ints + frac, frac, True)
    raise ValueError(
        f"unknown port format '{text}' (use f32, f64, i8, i16, i32, u8, u16, u32 or qM.N)"
    )
