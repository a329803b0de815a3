"""What every arithmetic operation computes, in IEEE-754 binary64.

These functions are the meaning of the ViSARD EUs (target.md section 4). Each
takes and returns Python floats (binary64). A single-precision machine stores
the result into a binary32 cell, which rounds it once to nearest even; for
``add sub mul div sqrt sqr rcp`` that single rounding of the exact binary64
result is the correctly rounded binary32 result, and for the transcendental
EUs it is the definition (CPython's ``math`` function on the float64 operand,
rounded once to the target precision).

Python raises where IEEE-754 returns a special value (``1/0``, ``log(0)``,
``exp(1000)``); these functions return the IEEE value instead, so the
simulator and the reference interpreter never see an exception.

Both the simulator and the reference interpreter use this module; it imports
nothing from the assembler or the compiler.
"""

from __future__ import annotations

import math
from array import array

__all__ = [
    "as_precision",
    "f_add",
    "f_div",
    "f_pow",
    "to_f32",
]

_INF = math.inf
_NAN = math.nan


def to_f32(x: float) -> float:
    """Round a binary64 value to the nearest binary32 value (ties to even).

    Overflow gives an infinity, as IEEE-754 requires.

    >>> to_f32(0.1)
    0.10000000149011612
    >>> to_f32(1e300)
    inf
    """
    return array("f", (x,))[0]


def as_precision(x: float, precision: str) -> float:
    """``x`` rounded to ``"single"`` or ``"double"`` precision."""
    return to_f32(x) if precision == "single" else float(x)


# --- basic arithmetic ---------------------------------------------------------


def f_add(a: float, b: float) -> float:
    return a + b


def f_sub(a: float, b: float) -> float:
    return a - b


def f_mul(a: float, b: float) -> float:
    return a * b


def f_sqr(a: float) -> float:
    return a * a


def f_div(a: float, b: float) -> float:
    """IEEE division: ``x/0`` is a signed infinity, ``0/0`` and ``nan/0`` are NaN."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0.0:
            return _NAN
        return math.copysign(_INF, a) * math.copysign(1.0, b)


def f_rcp(a: float) -> float:
    return f_div(1.0, a)


def f_sqrt(a: float) -> float:
    if a != a or a < 0.0:
        return _NAN
    return math.sqrt(a)


def f_rsqrt(a: float) -> float:
    """``1/sqrt(a)`` in binary64 (``rsqrt(+0) = +inf``, ``rsqrt(-0) = -inf``)."""
    return f_div(1.0, f_sqrt(a))


def f_neg(a: float) -> float:
    return -a


def f_abs(a: float) -> float:
    return math.fabs(a)


def f_min(a: float, b: float) -> float:
    """IEEE minNum: a NaN operand is ignored; ``min(-0, +0)`` is ``-0``."""
    if a != a:
        return b
    if b != b:
        return a
    if a < b:
        return a
    if b < a:
        return b
    return a if math.copysign(1.0, a) < 0 else b


def f_max(a: float, b: float) -> float:
    """IEEE maxNum: a NaN operand is ignored; ``max(-0, +0)`` is ``+0``."""
    if a != a:
        return b
    if b != b:
        return a
    if a > b:
        return a
    if b > a:
        return b
    return a if math.copysign(1.0, a) > 0 else b


def f_cmplt(a: float, b: float) -> float:
    return 1.0 if a < b else 0.0


def f_cmple(a: float, b: float) -> float:
    return 1.0 if a <= b else 0.0


def f_cmpeq(a: float, b: float) -> float:
    return 1.0 if a == b else 0.0


def f_cmpne(a: float, b: float) -> float:
    return 1.0 if a != b else 0.0


def f_mov(a: float) -> float:
    return a


# --- transcendental EUs: CPython math on binary64, IEEE special values -------


def f_sin(a: float) -> float:
    return math.sin(a) if math.isfinite(a) else _NAN


def f_cos(a: float) -> float:
    return math.cos(a) if math.isfinite(a) else _NAN


def f_tan(a: float) -> float:
    return math.tan(a) if math.isfinite(a) else _NAN


def f_atan(a: float) -> float:
    return math.atan(a)


def f_atan2(a: float, b: float) -> float:
    return math.atan2(a, b)


def f_exp(a: float) -> float:
    try:
        return math.exp(a)
    except OverflowError:
        return _INF


def f_exp2(a: float) -> float:
    try:
        return math.exp2(a)
    except OverflowError:
        return _INF


def _odd_integer(y: float) -> bool:
    return math.isfinite(y) and y == math.floor(y) and math.fmod(y, 2.0) != 0.0


def f_pow(a: float, b: float) -> float:
    """IEEE ``pow`` (C99 Annex F), computed by ``math.pow`` where it is defined."""
    try:
        return math.pow(a, b)
    except OverflowError:
        return -_INF if (a < 0.0 and _odd_integer(b)) else _INF
    except ValueError:
        if a == 0.0 and b < 0.0:  # pole: pow(+-0, y<0)
            if _odd_integer(b):
                return math.copysign(_INF, a)
            return _INF
        return _NAN  # negative base, non-integer exponent


def _log(fn: object, a: float) -> float:
    if a != a or a < 0.0:
        return _NAN
    if a == 0.0:
        return -_INF
    return fn(a)  # type: ignore[operator, no-any-return]


def f_ln(a: float) -> float:
    return _log(math.log, a)


def f_log2(a: float) -> float:
    return _log(math.log2, a)


# --- rounding EU --------------------------------------------------------------


def _integral(fn: object, a: float) -> float:
    if not math.isfinite(a) or abs(a) >= 4503599627370496.0:  # 2**52: already integral
        return a
    return math.copysign(float(fn(a)), a)  # type: ignore[operator]


def f_floor(a: float) -> float:
    return _integral(math.floor, a)


def f_ceil(a: float) -> float:
    return _integral(math.ceil, a)


def f_trunc(a: float) -> float:
    return _integral(math.trunc, a)


def f_round(a: float) -> float:
    """Round half away from zero (``round(2.5) = 3``, ``round(-0.5) = -1``)."""
    if not math.isfinite(a) or abs(a) >= 4503599627370496.0:
        return a
    r = float(math.trunc(a))
    if abs(a - r) >= 0.5:
        r += math.copysign(1.0, a)
    return math.copysign(r, a)


def f_cmov(old: float, a: float, c: float) -> float:
    """``cmov d, a, c``: ``a`` if ``c != 0`` (NaN counts as true), else the old ``d``."""
    return a if c != 0.0 else old
