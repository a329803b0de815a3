"""The blocks of the ``extra`` library.

Every block is element-wise: a vector input of width n gives an output of
width n, and a block with state keeps one state value per element. Each
block's ``doc`` states its exact order of IEEE operations; the reference
semantics (:meth:`output`/:meth:`update`, through the ``ctx``) and the lowering
(:meth:`lower_output`/:meth:`lower_update`, through the builder ``g``) perform
exactly those operations in that order, so compiled code equals vtc's
reference interpreter bit for bit. Parameters that become constants of the
program (``alpha``, ``lower``, ...) are rounded once to the target precision
by ``ctx.const`` / ``g.const``.

Only :mod:`vtc.blocks.api` is imported from vtc: it is the whole contract
between vtc and a block library.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from vtc.blocks.api import Block, BlockError, Builder, Param, ParamError, Params, RefContext, Vec

__all__ = ["MIN_ALPHA", "Deadband", "Lowpass1", "Rms", "lowpass_alpha"]

#: The smallest smoothing factor accepted: the smallest normal single-precision
#: number (2**-126), so that ``alpha`` never rounds to zero in either precision
#: and the filter always moves.
MIN_ALPHA = 2.0**-126


def _unit_interval(value: float) -> None:
    """Check of ``alpha``: in (0, 1] (raises ``ValueError``)."""
    if not 0.0 < value <= 1.0:
        raise ValueError(f"{value:g} is outside (0, 1]: alpha is the weight of the newest sample")


def _positive(value: float) -> None:
    """Check of a time or frequency: finite and > 0 (raises ``ValueError``)."""
    if not (math.isfinite(value) and value > 0.0):
        raise ValueError(f"{value:g} must be a finite number > 0")


def _finite(values: tuple[float, ...]) -> None:
    """Check of an initial-value vector: every entry finite (raises ``ValueError``)."""
    if not all(math.isfinite(v) for v in values):
        raise ValueError("every initial value must be a finite number")


def _not_negative(values: tuple[float, ...]) -> None:
    """Check of an initial mean square: every entry finite and >= 0."""
    _finite(values)
    if any(v < 0.0 for v in values):
        raise ValueError("an initial mean square cannot be negative")


def _initial(p: Params, width: int) -> tuple[float, ...]:
    """``p["initial"]`` for a signal of ``width``: one value (expanded) or ``width``.

    Raises
    ------
    BlockError
        ``initial`` has another number of values than the signal's width.
    """
    init: tuple[float, ...] = p["initial"]
    if len(init) == 1:
        return init * width
    if len(init) != width:
        raise BlockError(f"'initial' has {len(init)} values, the signal is of width {width}")
    return init


class _Smoother(Block):
    """Shared shape of the two exponential smoothers: one input, one output,
    one state value per element, the state's initial value from ``initial``."""

    def output_widths(self, p: Params, widths: Mapping[str, int]) -> dict[str, int]:
        width = widths.get("in", len(p["initial"]))
        _initial(p, width)
        return {"out": width}

    def state_size(self, p: Params, widths: Mapping[str, int]) -> int:
        return widths.get("in", 1)

    def initial_state(self, p: Params, widths: Mapping[str, int]) -> tuple[float, ...]:
        return _initial(p, widths.get("in", 1))


# --- extra.rms --------------------------------------------------------------------


class Rms(_Smoother):
    """RMS detector: the square root of an exponentially weighted mean square."""

    type_name = "extra.rms"
    category = "Discrete"
    label = "RMS"
    doc = (
        "RMS detector: y = sqrt(m), m the exponentially weighted mean of the square of "
        "the input.\n\n"
        "m[k] = m[k-1] + alpha*(x[k]^2 - m[k-1]) with m[-1] = `initial`; the output of "
        "step k is sqrt(m[k]), so the block has direct feedthrough. Operations, per "
        "element, in this order: s = x*x; e = s - m; t = alpha*e; m' = m + t; "
        "y = sqrt(m'); the next state is m'. `alpha` in (0, 1] (rounded to the target "
        "precision) is the weight of the newest sample; for a time constant tau at "
        "sample time Ts use alpha = 1 - exp(-Ts/tau); alpha = 1 gives |x| up to the "
        "rounding of x^2 - m[k-1]. With `initial` >= 0, m is never negative. An input "
        "whose square is infinite makes m infinite, and the next step makes it NaN; a NaN "
        "input makes it NaN; as in any recursive filter, a NaN state stays NaN for good."
    )
    params = (
        Param(
            "alpha", "float", 0.01, "weight of the newest sample, in (0, 1]", check=_unit_interval
        ),
        Param(
            "initial",
            "vector",
            0.0,
            "mean square before the first step (>= 0; number or vector)",
            check=_not_negative,
        ),
    )

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        return {"out": ctx.fn("sqrt", self._next(p, ctx, u, x))}

    def update(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> Vec:
        return self._next(p, ctx, u, x)

    def _next(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], m: Vec) -> Vec:
        v = u["in"]
        s = ctx.fn("mul", v, v)
        e = ctx.fn("sub", s, m)
        t = ctx.fn("mul", ctx.const([p["alpha"]]), e)
        return ctx.fn("add", m, t)

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        return {"out": [g.op("sqrt", m) for m in self._lower_next(p, g, u, x)]}

    def lower_update(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> list[Any]:
        return self._lower_next(p, g, u, x)

    def _lower_next(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> list[Any]:
        alpha = g.const(p["alpha"])
        out = []
        for v, m in zip(u["in"], x, strict=True):
            s = g.op("mul", v, v)
            e = g.op("sub", s, m)
            t = g.op("mul", alpha, e)
            out.append(g.op("add", m, t))
        return out


# --- extra.lowpass1 ---------------------------------------------------------------


def lowpass_alpha(fc: float, ts: float) -> float:
    """The smoothing factor of :class:`Lowpass1`: ``1 - exp(-2*pi*fc*Ts)``.

    Computed in Python binary64 as ``-expm1(-2*pi*fc*Ts)`` (the same number,
    without the cancellation of ``1 - exp(...)`` for small ``fc*Ts``); the
    block then rounds it once to the target precision. This is the pole-matched
    (impulse-invariant) discretisation of ``1/(1 + s/(2*pi*fc))``: the discrete
    pole is ``exp(-2*pi*fc*Ts)``, the DC gain exactly 1.

    >>> round(lowpass_alpha(50.0, 0.001), 6)
    0.269597
    """
    return -math.expm1(-2.0 * math.pi * fc * ts)


class Lowpass1(_Smoother):
    """First-order low-pass filter given by its cut-off frequency."""

    type_name = "extra.lowpass1"
    category = "Discrete"
    label = "LP1"
    doc = (
        "First-order low-pass filter with cut-off frequency `fc` [Hz] at sample time "
        "`Ts` [s].\n\n"
        "y[k] = y[k-1] + alpha*(x[k] - y[k-1]) with y[-1] = `initial`, so the block has "
        "direct feedthrough. alpha = 1 - exp(-2*pi*fc*Ts) is computed in Python binary64 "
        "(as -expm1(-2*pi*fc*Ts)) and rounded once to the target precision (pole-matched "
        "discretisation, DC gain 1). Operations, per element, in this order: d = x - y; "
        "t = alpha*d; y' = y + t; the output and the next state are y'. `fc` must not "
        "exceed the Nyquist frequency 1/(2*Ts), and fc*Ts must be large enough that "
        "alpha is at least 2^-126 (it never rounds to zero). As any recursive filter in "
        "floating point, y settles near a constant input x, not always on it: it stops "
        "moving once alpha*(x - y) rounds away when added to y (in single precision, "
        "within about 2^-24*|x|/alpha of x). An infinite input makes y infinite, and the "
        "next step makes it NaN; a NaN state stays NaN for good."
    )
    params = (
        Param("fc", "float", doc="cut-off frequency [Hz], > 0", check=_positive),
        Param("Ts", "float", doc="sample time [s], > 0", check=_positive),
        Param(
            "initial",
            "vector",
            0.0,
            "output before the first step, y[-1] (number or vector)",
            check=_finite,
        ),
    )

    def check(self, p: Params) -> None:
        fc, ts = p["fc"], p["Ts"]
        if fc * ts > 0.5:
            raise ParamError(
                "fc",
                f"{fc:g} Hz is above the Nyquist frequency 1/(2*Ts) = {0.5 / ts:g} Hz",
            )
        if lowpass_alpha(fc, ts) < MIN_ALPHA:
            raise ParamError(
                "fc",
                f"fc*Ts = {fc * ts:g} is too small: the smoothing factor "
                "1 - exp(-2*pi*fc*Ts) would round to zero and the filter would never move",
            )

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        return {"out": self._next(p, ctx, u, x)}

    def update(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> Vec:
        return self._next(p, ctx, u, x)

    def _next(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], y: Vec) -> Vec:
        d = ctx.fn("sub", u["in"], y)
        t = ctx.fn("mul", ctx.const([lowpass_alpha(p["fc"], p["Ts"])]), d)
        return ctx.fn("add", y, t)

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        return {"out": self._lower_next(p, g, u, x)}

    def lower_update(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> list[Any]:
        return self._lower_next(p, g, u, x)

    def _lower_next(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> list[Any]:
        alpha = g.const(lowpass_alpha(p["fc"], p["Ts"]))
        out = []
        for v, y in zip(u["in"], x, strict=True):
            d = g.op("sub", v, y)
            t = g.op("mul", alpha, d)
            out.append(g.op("add", y, t))
        return out


# --- extra.deadband ---------------------------------------------------------------


class Deadband(Block):
    """Dead band (Simulink's Dead Zone): zero inside [lower, upper]."""

    type_name = "extra.deadband"
    category = "Nonlinear"
    label = "DB"
    doc = (
        "Dead band: 0 inside [`lower`, `upper`], else the distance beyond the band.\n\n"
        "y = x - upper if x > upper; y = x - lower if x < lower; y = +0 if "
        "lower <= x <= upper (both ends inside the band). Operations, per element, in "
        "this order: a = x - upper; b = x - lower; hi = cmple(x, upper); "
        "lo = cmple(lower, x); inner = lo ? +0 : b; y = hi ? inner : a (two cmov, no "
        "jump). A NaN input gives NaN (it fails `x <= upper`). The bounds are rounded to "
        'the target precision; they may be infinite (`"-inf"`, `"inf"`) for a '
        "one-sided band."
    )
    params = (
        Param("lower", "float", -0.5, "lower end of the band"),
        Param("upper", "float", 0.5, "upper end of the band, >= lower"),
    )

    def check(self, p: Params) -> None:
        if p["lower"] > p["upper"]:
            raise ParamError(
                "upper", f"{p['upper']:g} is below lower ({p['lower']:g}); the band is empty"
            )

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        v = u["in"]
        upper, lower = ctx.const([p["upper"]]), ctx.const([p["lower"]])
        a = ctx.fn("sub", v, upper)
        b = ctx.fn("sub", v, lower)
        hi = ctx.fn("cmple", v, upper)
        lo = ctx.fn("cmple", lower, v)
        inner = ctx.select(lo, ctx.const([0.0]), b)
        return {"out": ctx.select(hi, inner, a)}

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        upper, lower, zero = g.const(p["upper"]), g.const(p["lower"]), g.const(0.0)
        out = []
        for v in u["in"]:
            a = g.op("sub", v, upper)
            b = g.op("sub", v, lower)
            hi = g.op("cmple", v, upper)
            lo = g.op("cmple", lower, v)
            inner = g.select(lo, zero, b)
            out.append(g.select(hi, inner, a))
        return {"out": out}
