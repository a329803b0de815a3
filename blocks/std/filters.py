"""Discrete-time blocks with state: delays, integrators, filters, state space, PID.

Every block here works in the target precision and its order of operations is
part of its meaning: the reference semantics (NumPy, element-wise across the
vector) and the lowering (one scalar operation at a time) perform the same IEEE
operations in the same order, so compiled code equals the reference bit for
bit.

Conventions shared by the blocks of this module:

* **Folded constants.** A constant made of several parameters (``gain*Ts``,
  ``gain/Ts``, a coefficient divided by ``a0``) is computed once in binary64
  by Python, then rounded once to the target precision. The formulas below
  give that computation in parentheses.
* **Skipped zeros.** A product by a coefficient that is exactly 0 (in binary64,
  after normalisation) is left out of its sum, as :class:`~vtc.blocks.std.basic.Gain`
  does; a sum with no term is +0. This is what gives a transfer function whose
  numerator starts with 0 no direct feedthrough. (It differs from multiplying
  by 0 only for infinite or NaN signals and the sign of zero.)
* **Sums** add their terms left to right in the order written.
* **Limits** ``lower``/``upper`` (``null``: none) clamp as ``max(min(v,
  upper), lower)`` with the IEEE ``min``/``max`` EUs, as ``std.saturation``
  does (a NaN becomes the upper limit, or the lower one when there is no
  upper).
* **Vectors.** Except :class:`StateSpace`, every block works element-wise on a
  vector input with scalar parameters; each element has its own state.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from vtc.blocks.api import (
    Block,
    BlockError,
    Builder,
    Param,
    ParamError,
    Params,
    RefContext,
    Vec,
)
from vtc.blocks.std.discrete import _initial

__all__ = [
    "BLOCKS",
    "Biquad",
    "Delay",
    "DiscreteDerivative",
    "DiscreteIntegrator",
    "Fir",
    "Pid",
    "Sos",
    "StateSpace",
    "TransferFcn",
]


# --- parameter checks ------------------------------------------------------------


def _positive(value: float) -> None:
    if not (math.isfinite(value) and value > 0.0):
        raise ValueError(f"must be a positive finite number, got {value:g}")


def _finite(value: float) -> None:
    if not math.isfinite(value):
        raise ValueError(f"must be finite, got {value:g}")


def _finite_vector(values: tuple[float, ...]) -> None:
    for i, v in enumerate(values):
        if not math.isfinite(v):
            raise ValueError(f"entry {i} is {v:g}; coefficients must be finite")


def _finite_matrix(rows: tuple[tuple[float, ...], ...]) -> None:
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if not math.isfinite(v):
                raise ValueError(f"entry [{i}][{j}] is {v:g}; entries must be finite")


def _check_limits(p: Params) -> None:
    lo, hi = p["lower"], p["upper"]
    if lo is not None and hi is not None and not lo <= hi:
        raise ParamError("lower", f"the lower limit {lo:g} is above the upper limit {hi:g}")


def _limit_params() -> tuple[Param, Param]:
    return (
        Param("lower", "optfloat", None, "lower output limit (null: none)"),
        Param("upper", "optfloat", None, "upper output limit (null: none)"),
    )


def _max_num(a: float, b: float) -> float:
    """IEEE maxNum on Python floats (the ``max`` EU before rounding)."""
    if a != a:
        return b
    if b != b or a > b:
        return a
    if b > a:
        return b
    return a if math.copysign(1.0, a) > 0 else b


def _min_num(a: float, b: float) -> float:
    """IEEE minNum on Python floats (the ``min`` EU before rounding)."""
    if a != a:
        return b
    if b != b or a < b:
        return a
    if b < a:
        return b
    return a if math.copysign(1.0, a) < 0 else b


def _clip_float(v: float, lower: float | None, upper: float | None) -> float:
    """``max(min(v, upper), lower)`` as the EUs compute it (used on initial values).

    Rounding to the target precision is monotonic, so clipping in binary64
    and then rounding equals rounding and then clipping with rounded limits.
    """
    if upper is not None:
        v = _min_num(v, upper)
    if lower is not None:
        v = _max_num(v, lower)
    return v


# --- small helpers of the two implementations ------------------------------------


def _ref_sat(ctx: RefContext, v: Vec, lower: float | None, upper: float | None) -> Vec:
    if upper is not None:
        v = ctx.fn("min", v, ctx.const([upper]))
    if lower is not None:
        v = ctx.fn("max", v, ctx.const([lower]))
    return v


def _low_sat(g: Builder, v: Any, lower: float | None, upper: float | None) -> Any:
    if upper is not None:
        v = g.op("min", v, g.const(upper))
    if lower is not None:
        v = g.op("max", v, g.const(lower))
    return v


def _ref_sum(ctx: RefContext, terms: Sequence[tuple[str, Vec]]) -> Vec:
    """``terms`` (sign ``+``/``-``, value) added left to right; +0 when empty."""
    acc: Vec | None = None
    for sign, t in terms:
        if acc is None:
            acc = t if sign == "+" else ctx.fn("neg", t)
        else:
            acc = ctx.fn("add" if sign == "+" else "sub", acc, t)
    return ctx.const([0.0]) if acc is None else acc


def _low_sum(g: Builder, terms: Sequence[tuple[str, Any]]) -> Any:
    acc: Any = None
    for sign, t in terms:
        if acc is None:
            acc = t if sign == "+" else g.op("neg", t)
        else:
            acc = g.op("add" if sign == "+" else "sub", acc, t)
    return g.const(0.0) if acc is None else acc


def _input_width(widths: Mapping[str, int], guess: int = 1) -> int:
    return widths.get("in", guess)


# --- delay -------------------------------------------------------------------------


class Delay(Block):
    type_name = "std.delay"
    category = "Discrete"
    label = "z⁻ⁿ"
    doc = (
        "z^-n: the output is the input of n steps before (`initial` for the "
        "first n steps).\n\n"
        "n >= 1. No direct feedthrough, so it may close a feedback loop. "
        "`initial` is a number or one value per vector element; every slot of "
        "the delay line starts with it. The state is the delay line, n x width "
        "values, oldest first. No arithmetic: y[k] = u[k-n]."
    )
    params = (
        Param("n", "int", 1, "delay in steps (>= 1)", minimum=1, maximum=65535),
        Param("initial", "vector", 0.0, "output of the first n steps (number or vector)"),
    )

    def feedthrough(self, p: Params) -> bool:
        return False

    def output_widths(self, p: Params, widths: Mapping[str, int]) -> dict[str, int]:
        width = _input_width(widths, len(p["initial"]))
        _initial(p, width)
        return {"out": width}

    def state_size(self, p: Params, widths: Mapping[str, int]) -> int:
        return int(p["n"]) * _input_width(widths)

    def initial_state(self, p: Params, widths: Mapping[str, int]) -> tuple[float, ...]:
        return _initial(p, _input_width(widths)) * int(p["n"])

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        width = len(x) // int(p["n"])
        return {"out": x[:width]}

    def update(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> Vec:
        width = len(x) // int(p["n"])
        return np.concatenate((x[width:], u["in"]))

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        width = len(x) // int(p["n"])
        return {"out": list(x[:width])}

    def lower_update(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> list[Any]:
        width = len(x) // int(p["n"])
        return [*x[width:], *u["in"]]


# --- discrete integrator -------------------------------------------------------------

_METHODS = ("forward_euler", "backward_euler", "trapezoidal")


class DiscreteIntegrator(Block):
    type_name = "std.discrete_integrator"
    category = "Discrete"
    label = "K·Ts/(z-1)"
    doc = (
        "Discrete-time integrator (accumulator), as Simulink's Discrete-Time "
        "Integrator with the initial condition applied to the state.\n\n"
        "One state x per element, x[0] = sat(initial). With the constants "
        "K = (gain*Ts) and H = (gain*Ts/2) folded in binary64 and rounded once "
        "to the target precision, and sat(v) = max(min(v, upper), lower) (only "
        "the limits given):\n\n"
        "* `forward_euler` (default, no direct feedthrough, may close a loop): "
        "y[k] = x[k]; x[k+1] = sat(x[k] + K*u[k]).\n"
        "* `backward_euler`: y[k] = sat(x[k] + K*u[k]); x[k+1] = y[k] "
        "(so y[k] = y[k-1] + K*u[k] with y[-1] = initial).\n"
        "* `trapezoidal`: h = H*u[k]; y[k] = sat(x[k] + h); x[k+1] = y[k] + h "
        "(so y[k] = y[k-1] + H*(u[k-1] + u[k]) with y[-1] = initial, u[-1] = 0).\n\n"
        "Each `+` is one add of the state and the product (state first)."
    )
    params = (
        Param("gain", "float", 1.0, "gain K", check=_finite),
        Param("Ts", "float", 1.0, "sample time in seconds (> 0)", check=_positive),
        Param("method", "choice", "forward_euler", "integration method", choices=_METHODS),
        Param("initial", "vector", 0.0, "initial state (number or vector)"),
        *_limit_params(),
    )

    def check(self, p: Params) -> None:
        _check_limits(p)

    def feedthrough(self, p: Params) -> bool:
        return bool(p["method"] != "forward_euler")

    def _k(self, p: Params) -> float:
        k = p["gain"] * p["Ts"]
        return float(k / 2.0 if p["method"] == "trapezoidal" else k)

    def output_widths(self, p: Params, widths: Mapping[str, int]) -> dict[str, int]:
        width = _input_width(widths, len(p["initial"]))
        _initial(p, width)
        return {"out": width}

    def state_size(self, p: Params, widths: Mapping[str, int]) -> int:
        return _input_width(widths)

    def initial_state(self, p: Params, widths: Mapping[str, int]) -> tuple[float, ...]:
        init = _initial(p, _input_width(widths))
        return tuple(_clip_float(v, p["lower"], p["upper"]) for v in init)

    def _ref_y(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> Vec:
        prod = ctx.fn("mul", ctx.const([self._k(p)]), u["in"])
        return _ref_sat(ctx, ctx.fn("add", x, prod), p["lower"], p["upper"])

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        if p["method"] == "forward_euler":
            return {"out": x}
        return {"out": self._ref_y(p, ctx, u, x)}

    def update(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> Vec:
        y = self._ref_y(p, ctx, u, x)
        if p["method"] == "trapezoidal":
            return ctx.fn("add", y, ctx.fn("mul", ctx.const([self._k(p)]), u["in"]))
        return y

    def _low_y(self, p: Params, g: Builder, ui: Any, xi: Any) -> Any:
        prod = g.op("mul", g.const(self._k(p)), ui)
        return _low_sat(g, g.op("add", xi, prod), p["lower"], p["upper"])

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        if p["method"] == "forward_euler":
            return {"out": list(x)}
        return {"out": [self._low_y(p, g, ui, xi) for ui, xi in zip(u["in"], x, strict=True)]}

    def lower_update(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> list[Any]:
        out = []
        for ui, xi in zip(u["in"], x, strict=True):
            y = self._low_y(p, g, ui, xi)
            if p["method"] == "trapezoidal":
                y = g.op("add", y, g.op("mul", g.const(self._k(p)), ui))
            out.append(y)
        return out


# --- discrete derivative -------------------------------------------------------------


class DiscreteDerivative(Block):
    type_name = "std.discrete_derivative"
    category = "Discrete"
    label = "K(z-1)/(Ts·z)"
    doc = (
        "Discrete derivative: y[k] = gain*(u[k] - u[k-1])/Ts.\n\n"
        "Computed as y = G*(u[k] - x) with G = (gain/Ts) folded in binary64 and "
        "rounded once to the target precision: one subtraction, then one "
        "multiplication. The state x is the previous input, x = `initial` "
        "(u[-1], default 0) at the first step. Direct feedthrough."
    )
    params = (
        Param("gain", "float", 1.0, "gain K", check=_finite),
        Param("Ts", "float", 1.0, "sample time in seconds (> 0)", check=_positive),
        Param("initial", "vector", 0.0, "the input before the first step, u[-1]"),
    )

    def output_widths(self, p: Params, widths: Mapping[str, int]) -> dict[str, int]:
        width = _input_width(widths, len(p["initial"]))
        _initial(p, width)
        return {"out": width}

    def state_size(self, p: Params, widths: Mapping[str, int]) -> int:
        return _input_width(widths)

    def initial_state(self, p: Params, widths: Mapping[str, int]) -> tuple[float, ...]:
        return _initial(p, _input_width(widths))

    def _g(self, p: Params) -> float:
        return float(p["gain"] / p["Ts"])

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        diff = ctx.fn("sub", u["in"], x)
        return {"out": ctx.fn("mul", ctx.const([self._g(p)]), diff)}

    def update(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> Vec:
        return u["in"]

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        return {
            "out": [
                g.op("mul", g.const(self._g(p)), g.op("sub", ui, xi))
                for ui, xi in zip(u["in"], x, strict=True)
            ]
        }

    def lower_update(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> list[Any]:
        return list(u["in"])


# --- FIR ---------------------------------------------------------------------------------


def _fir_taps(p: Params) -> tuple[float, ...]:
    """The coefficients without trailing zeros (at least one)."""
    c = list(p["coeffs"])
    while len(c) > 1 and c[-1] == 0.0:
        c.pop()
    return tuple(c)


class Fir(Block):
    type_name = "std.fir"
    category = "Discrete"
    label = "FIR"
    doc = (
        "FIR filter: y[k] = c0*u[k] + c1*u[k-1] + ... + cM*u[k-M].\n\n"
        "The products ci*u[k-i] are added left to right, i ascending; a "
        "coefficient exactly 0 is skipped (all zero: +0). Trailing zero "
        "coefficients are dropped; the state is the last M inputs (M x width "
        "values, newest first), starting at 0. Direct feedthrough only when "
        "c0 != 0, so an FIR starting with 0 may close a feedback loop."
    )
    params = (
        Param("coeffs", "vector", 1.0, "c0, c1, ... (coefficient of u[k-i])", check=_finite_vector),
    )

    def feedthrough(self, p: Params) -> bool:
        return bool(p["coeffs"][0] != 0.0)

    def output_widths(self, p: Params, widths: Mapping[str, int]) -> dict[str, int]:
        return {"out": _input_width(widths)}

    def state_size(self, p: Params, widths: Mapping[str, int]) -> int:
        return (len(_fir_taps(p)) - 1) * _input_width(widths)

    def initial_state(self, p: Params, widths: Mapping[str, int]) -> tuple[float, ...]:
        return (0.0,) * self.state_size(p, widths)

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        taps = _fir_taps(p)
        width = len(u["in"]) if "in" in u else len(x) // max(len(taps) - 1, 1)
        terms = []
        for i, c in enumerate(taps):
            if c == 0.0:
                continue
            sig = u["in"] if i == 0 else x[(i - 1) * width : i * width]
            terms.append(("+", ctx.fn("mul", ctx.const([c]), sig)))
        return {"out": _ref_sum(ctx, terms)}

    def update(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> Vec:
        width = len(u["in"])
        return np.concatenate((u["in"], x[: len(x) - width]))

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        taps = _fir_taps(p)
        width = len(u["in"]) if "in" in u else (len(x) // (len(taps) - 1) if x else 1)
        out = []
        for e in range(width):
            terms = []
            for i, c in enumerate(taps):
                if c == 0.0:
                    continue
                sig = u["in"][e] if i == 0 else x[(i - 1) * width + e]
                terms.append(("+", g.op("mul", g.const(c), sig)))
            out.append(_low_sum(g, terms))
        return {"out": out}

    def lower_update(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> list[Any]:
        width = len(u["in"])
        return [*u["in"], *x[: len(x) - width]]


# --- direct form II transposed sections ---------------------------------------------------


@dataclass(frozen=True)
class _Section:
    """One normalised IIR section: ``b``, ``a`` of the same length n + 1 (a[0] = 1)."""

    b: tuple[float, ...]
    a: tuple[float, ...]

    @property
    def order(self) -> int:
        return len(self.b) - 1


def _section(param: str, b: Sequence[float], a: Sequence[float], where: str) -> _Section:
    """Normalise by ``a[0]`` (binary64), pad to one length, drop trailing zero pairs."""
    a0 = a[0]
    if a0 == 0.0:
        raise ParamError(param, f"{where} must not be 0 (the filter is normalised by it)")
    n = max(len(b), len(a))
    bn = [v / a0 for v in b] + [0.0] * (n - len(b))
    an = [v / a0 for v in a] + [0.0] * (n - len(a))
    if not all(math.isfinite(v) for v in (*bn, *an)):
        raise ParamError(param, f"dividing by {where} = {a0:g} gives a coefficient out of range")
    while n > 1 and bn[n - 1] == 0.0 and an[n - 1] == 0.0:
        n -= 1
    return _Section(tuple(bn[:n]), tuple(an[:n]))


_DF2T_DOC = (
    "Each section is in direct form II transposed, as scipy.signal.lfilter "
    "computes it, with coefficients divided by a0 (binary64, then rounded once to "
    "the target precision), padded with zeros to one length n+1, trailing pairs "
    "(b_i, a_i) that are both 0 dropped. With input v, state z0..z(n-1) (0 at "
    "the start):\n\n"
    "    y = z0 + b0*v\n"
    "    z(i-1) <- (z(i) + b(i)*v) - a(i)*y    for i = 1..n (no z(n))\n\n"
    "evaluated left to right; a product by a coefficient exactly 0 is left out "
    "(a leading `- a*y` becomes a negation; no term at all gives +0), so with "
    "b0 = 0 the output is y = z0 and does not depend on the input of the step; "
    "a section of order 0 is y = b0*v. The state of a vector element is the z "
    "of its sections in order; the elements follow one another."
)


def _sections_feedthrough(sections: Sequence[_Section]) -> bool:
    return all(s.b[0] != 0.0 for s in sections)


def _ref_section_y(ctx: RefContext, s: _Section, v: Vec | None, z: list[Vec]) -> Vec:
    b0 = s.b[0]
    if b0 == 0.0:
        return z[0] if s.order else ctx.const([0.0])
    assert v is not None
    prod = ctx.fn("mul", ctx.const([b0]), v)
    return ctx.fn("add", z[0], prod) if s.order else prod


def _ref_section_next(ctx: RefContext, s: _Section, v: Vec, y: Vec, z: list[Vec]) -> list[Vec]:
    nxt = []
    for i in range(1, s.order + 1):
        terms: list[tuple[str, Vec]] = []
        if i < s.order:
            terms.append(("+", z[i]))
        if s.b[i] != 0.0:
            terms.append(("+", ctx.fn("mul", ctx.const([s.b[i]]), v)))
        if s.a[i] != 0.0:
            terms.append(("-", ctx.fn("mul", ctx.const([s.a[i]]), y)))
        nxt.append(_ref_sum(ctx, terms))
    return nxt


def _low_section_y(g: Builder, s: _Section, v: Any, z: list[Any]) -> Any:
    b0 = s.b[0]
    if b0 == 0.0:
        return z[0] if s.order else g.const(0.0)
    prod = g.op("mul", g.const(b0), v)
    return g.op("add", z[0], prod) if s.order else prod


def _low_section_next(g: Builder, s: _Section, v: Any, y: Any, z: list[Any]) -> list[Any]:
    nxt = []
    for i in range(1, s.order + 1):
        terms: list[tuple[str, Any]] = []
        if i < s.order:
            terms.append(("+", z[i]))
        if s.b[i] != 0.0:
            terms.append(("+", g.op("mul", g.const(s.b[i]), v)))
        if s.a[i] != 0.0:
            terms.append(("-", g.op("mul", g.const(s.a[i]), y)))
        nxt.append(_low_sum(g, terms))
    return nxt


class _Cascade(Block):
    """A cascade of DF2T sections (biquad, SOS, transfer function), element-wise.

    The state of element e is the states of its sections in order, and the
    elements follow one another: element e, section s, index i is at
    ``e*S + offset(s) + i`` with ``S`` the sum of the section orders.
    """

    def sections(self, p: Params) -> tuple[_Section, ...]:
        raise NotImplementedError

    def check(self, p: Params) -> None:
        self.sections(p)

    def feedthrough(self, p: Params) -> bool:
        return _sections_feedthrough(self.sections(p))

    def output_widths(self, p: Params, widths: Mapping[str, int]) -> dict[str, int]:
        return {"out": _input_width(widths)}

    def _per_element(self, p: Params) -> int:
        return sum(s.order for s in self.sections(p))

    def state_size(self, p: Params, widths: Mapping[str, int]) -> int:
        return self._per_element(p) * _input_width(widths)

    def initial_state(self, p: Params, widths: Mapping[str, int]) -> tuple[float, ...]:
        return (0.0,) * self.state_size(p, widths)

    def _first(self, sections: Sequence[_Section], has_input: bool) -> int:
        """The section the output computation starts at (the last with b0 = 0
        when the input is not available)."""
        if has_input:
            return 0
        return max(k for k, s in enumerate(sections) if s.b[0] == 0.0)

    # reference: every value is a vector across the elements
    def _ref_states(self, sections: Sequence[_Section], x: Vec) -> list[list[Vec]]:
        per = sum(s.order for s in sections)
        out = []
        off = 0
        for s in sections:
            out.append([x[off + i :: per] for i in range(s.order)])
            off += s.order
        return out

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        sections = self.sections(p)
        zs = self._ref_states(sections, x)
        first = self._first(sections, "in" in u)
        v: Vec | None = u.get("in")
        for k in range(first, len(sections)):
            v = _ref_section_y(ctx, sections[k], v, zs[k])
        assert v is not None
        return {"out": v}

    def update(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> Vec:
        sections = self.sections(p)
        zs = self._ref_states(sections, x)
        width = len(u["in"])
        per = sum(s.order for s in sections)
        new = np.empty((width, per), dtype=ctx.dtype)
        v = u["in"]
        off = 0
        for s, z in zip(sections, zs, strict=True):
            y = _ref_section_y(ctx, s, v, z)
            for i, col in enumerate(_ref_section_next(ctx, s, v, y, z)):
                new[:, off + i] = col
            off += s.order
            v = y
        return new.reshape(-1)

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        sections = self.sections(p)
        per = sum(s.order for s in sections)
        first = self._first(sections, "in" in u)
        width = len(u["in"]) if "in" in u else (len(x) // per if per else 1)
        out = []
        for e in range(width):
            v: Any = u["in"][e] if "in" in u else None
            off = e * per + sum(s.order for s in sections[:first])
            for s in sections[first:]:
                v = _low_section_y(g, s, v, x[off : off + s.order])
                off += s.order
            out.append(v)
        return {"out": out}

    def lower_update(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> list[Any]:
        sections = self.sections(p)
        per = sum(s.order for s in sections)
        new: list[Any] = []
        for e, v in enumerate(u["in"]):
            off = e * per
            for s in sections:
                z = x[off : off + s.order]
                y = _low_section_y(g, s, v, z)
                new.extend(_low_section_next(g, s, v, y, z))
                off += s.order
                v = y
        return new


class Biquad(_Cascade):
    type_name = "std.biquad"
    category = "Discrete"
    label = "biquad"
    doc = (
        "One second-order IIR section: (b0 + b1 z^-1 + b2 z^-2) / (a0 + a1 z^-1 + a2 z^-2).\n\n"
        "`b` and `a` have exactly 3 coefficients, a0 != 0. " + _DF2T_DOC
    )
    params = (
        Param("b", "vector", [1.0, 0.0, 0.0], "numerator b0, b1, b2", check=_finite_vector),
        Param("a", "vector", [1.0, 0.0, 0.0], "denominator a0, a1, a2", check=_finite_vector),
    )

    def sections(self, p: Params) -> tuple[_Section, ...]:
        for name in ("b", "a"):
            if len(p[name]) != 3:
                raise ParamError(name, f"needs exactly 3 coefficients, got {len(p[name])}")
        return (_section("a", p["b"], p["a"], "a[0]"),)


class Sos(_Cascade):
    type_name = "std.sos"
    category = "Discrete"
    label = "SOS"
    doc = (
        "Cascade of second-order sections, as scipy.signal.sosfilt.\n\n"
        "`sos` is an n x 6 matrix, one section per row in SciPy's layout "
        "[b0, b1, b2, a0, a1, a2] (a0 != 0, each row normalised by its a0); the "
        "output of row r is the input of row r+1. Direct feedthrough unless some "
        "row has b0 = 0. (sosfilt adds z(i) last instead of first: the two agree "
        "within rounding.) " + _DF2T_DOC
    )
    params = (
        Param(
            "sos",
            "matrix",
            [[1.0, 0.0, 0.0, 1.0, 0.0, 0.0]],
            "n x 6: rows [b0, b1, b2, a0, a1, a2]",
            check=_finite_matrix,
        ),
    )

    def sections(self, p: Params) -> tuple[_Section, ...]:
        rows = p["sos"]
        if len(rows[0]) != 6:
            raise ParamError(
                "sos",
                f"rows have {len(rows[0])} entries; each row must be [b0, b1, b2, a0, a1, a2]",
            )
        return tuple(
            _section("sos", row[:3], row[3:], f"a0 of row {r}") for r, row in enumerate(rows)
        )


class TransferFcn(_Cascade):
    type_name = "std.transfer_fcn"
    category = "Discrete"
    label = "num/den"
    doc = (
        "Discrete transfer function in powers of z^-1, as scipy.signal.lfilter(num, den).\n\n"
        "(num[0] + num[1] z^-1 + ...) / (den[0] + den[1] z^-1 + ...), den[0] != 0. "
        "Direct feedthrough only when num[0]/den[0] != 0: a transfer function "
        "whose numerator starts with 0 may close a feedback loop. " + _DF2T_DOC
    )
    params = (
        Param(
            "num", "vector", 1.0, "numerator, coefficients of z^0, z^-1, ...", check=_finite_vector
        ),
        Param(
            "den",
            "vector",
            1.0,
            "denominator, coefficients of z^0, z^-1, ...",
            check=_finite_vector,
        ),
    )

    def sections(self, p: Params) -> tuple[_Section, ...]:
        return (_section("den", p["num"], p["den"], "den[0]"),)


# --- state space ------------------------------------------------------------------------

_Matrix = tuple[tuple[float, ...], ...]


@dataclass(frozen=True)
class _Ss:
    a: _Matrix
    b: _Matrix
    c: _Matrix
    d: _Matrix
    x0: tuple[float, ...]

    @property
    def n(self) -> int:
        return len(self.a)

    @property
    def m(self) -> int:
        return len(self.b[0])

    @property
    def p(self) -> int:
        return len(self.c)


def _shape(m: _Matrix) -> str:
    return f"{len(m)}x{len(m[0])}"


class StateSpace(Block):
    type_name = "std.state_space"
    category = "Discrete"
    label = "x' = Ax+Bu"
    doc = (
        "Discrete state space: x[k+1] = A x[k] + B u[k], y[k] = C x[k] + D u[k].\n\n"
        "A is n x n, B n x m, C p x n, D p x m (a number: every entry of a p x m "
        "matrix; default 0); a matrix is a list of rows, and a flat list is a "
        "column. The input is one vector of width m, the output of width p; x0 "
        "(a number, or n values) is the initial state. Row i of y is "
        "C[i][0]*x[0] + ... + C[i][n-1]*x[n-1] + D[i][0]*u[0] + ... and row i of "
        "the next state A[i][0]*x[0] + ... + B[i][0]*u[0] + ...: products "
        "coefficient*value added left to right, skipping coefficients exactly 0 "
        "(no term: +0). Direct feedthrough only when D has an entry that is not 0."
    )
    params = (
        Param("A", "matrix", doc="n x n state matrix (list of rows)", check=_finite_matrix),
        Param("B", "matrix", doc="n x m input matrix", check=_finite_matrix),
        Param("C", "matrix", doc="p x n output matrix", check=_finite_matrix),
        Param("D", "array", 0.0, "p x m feedthrough matrix, or a number for every entry"),
        Param("x0", "vector", 0.0, "initial state (a number, or n values)"),
    )

    def _ss(self, p: Params) -> _Ss:
        a, b, c = p["A"], p["B"], p["C"]
        n = len(a)
        if len(a[0]) != n:
            raise ParamError("A", f"must be square, got {_shape(a)}")
        if len(b) != n:
            raise ParamError("B", f"has {len(b)} rows, A is {n}x{n}: B needs {n} (one per state)")
        if len(c[0]) != n:
            raise ParamError(
                "C", f"has {len(c[0])} columns, A is {n}x{n}: C needs {n} (one per state)"
            )
        rows, cols = len(c), len(b[0])
        raw = p["D"]
        if isinstance(raw, float):
            d: _Matrix = ((raw,) * cols,) * rows
        elif isinstance(raw[0], tuple):
            d = raw
        else:
            d = tuple((v,) for v in raw)
        if len(d) != rows or len(d[0]) != cols:
            raise ParamError("D", f"is {_shape(d)}, needs {rows}x{cols} (C's rows x B's columns)")
        try:
            _finite_matrix(d)
        except ValueError as exc:
            raise ParamError("D", str(exc)) from None
        x0 = p["x0"]
        if len(x0) == 1:
            x0 = x0 * n
        elif len(x0) != n:
            raise ParamError("x0", f"has {len(x0)} values, A has {n} states")
        return _Ss(a, b, c, d, tuple(x0))

    def check(self, p: Params) -> None:
        self._ss(p)

    def feedthrough(self, p: Params) -> bool:
        return any(v != 0.0 for row in self._ss(p).d for v in row)

    def output_widths(self, p: Params, widths: Mapping[str, int]) -> dict[str, int]:
        ss = self._ss(p)
        if "in" in widths and widths["in"] != ss.m:
            raise BlockError(
                f"B has {ss.m} column{'s' if ss.m != 1 else ''}, so the input must have "
                f"width {ss.m}, not {widths['in']}"
            )
        return {"out": ss.p}

    def state_size(self, p: Params, widths: Mapping[str, int]) -> int:
        return self._ss(p).n

    def initial_state(self, p: Params, widths: Mapping[str, int]) -> tuple[float, ...]:
        return self._ss(p).x0

    @staticmethod
    def _ref_rows(ctx: RefContext, parts: Sequence[tuple[_Matrix, Vec | None]], rows: int) -> Vec:
        out = []
        for i in range(rows):
            terms: list[tuple[str, Vec]] = []
            for mat, vec in parts:
                for j, coef in enumerate(mat[i]):
                    if coef != 0.0:
                        assert vec is not None
                        terms.append(("+", ctx.fn("mul", ctx.const([coef]), vec[j : j + 1])))
            out.append(_ref_sum(ctx, terms))
        return np.concatenate(out) if out else ctx.const([])

    @staticmethod
    def _low_rows(
        g: Builder, parts: Sequence[tuple[_Matrix, list[Any] | None]], rows: int
    ) -> list[Any]:
        out = []
        for i in range(rows):
            terms: list[tuple[str, Any]] = []
            for mat, vec in parts:
                for j, coef in enumerate(mat[i]):
                    if coef != 0.0:
                        assert vec is not None
                        terms.append(("+", g.op("mul", g.const(coef), vec[j])))
            out.append(_low_sum(g, terms))
        return out

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        ss = self._ss(p)
        return {"out": self._ref_rows(ctx, ((ss.c, x), (ss.d, u.get("in"))), ss.p)}

    def update(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> Vec:
        ss = self._ss(p)
        return self._ref_rows(ctx, ((ss.a, x), (ss.b, u["in"])), ss.n)

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        ss = self._ss(p)
        return {"out": self._low_rows(g, ((ss.c, x), (ss.d, u.get("in"))), ss.p)}

    def lower_update(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> list[Any]:
        ss = self._ss(p)
        return self._low_rows(g, ((ss.a, x), (ss.b, u["in"])), ss.n)


# --- PID ---------------------------------------------------------------------------------


class Pid(Block):
    type_name = "std.pid"
    category = "Discrete"
    label = "PID(z)"
    doc = (
        "Discrete PID controller, parallel form, as Simulink's Discrete PID "
        "Controller with forward-Euler integrator and forward-Euler filtered "
        "derivative.\n\n"
        "Per element, with input e (the error), integrator state I and filter "
        "state F (both 0 at the start), and the constant KiTs = (Ki*Ts) folded "
        "in binary64 and rounded once:\n\n"
        "    P = Kp*e\n"
        "    D = N*(Kd*e - F)\n"
        "    v = P + I + D          (left to right)\n"
        "    y = max(min(v, upper), lower)   (only the limits given)\n"
        "    w = KiTs*e\n"
        "    I <- I + w   (clamping: I is kept when (v > upper and w > 0) or "
        "(v < lower and w < 0))\n"
        "    F <- F + Ts*D\n\n"
        "A gain that is exactly 0 removes its term (and its state): Kp = 0 drops "
        "P, Ki = 0 drops I (the state stays out), Kd = 0 drops D and F; no term "
        "at all gives v = +0. With Kp = Kd = 0 the block has no direct "
        "feedthrough. Clamping anti-windup is Simulink's rule: integration stops "
        "while the unsaturated output v is beyond a limit and the integrator "
        "input w drives it further; the stop flag is computed as "
        "cmplt(upper, v)*cmplt(0, w) + cmplt(v, lower)*cmplt(w, 0) (the terms of "
        "the limits given) and selects I (flag != 0) or I + w. Without limits "
        "clamping has no effect. The forward-Euler filter is stable for "
        "0 < N*Ts < 2."
    )
    params = (
        Param("Kp", "float", 1.0, "proportional gain", check=_finite),
        Param("Ki", "float", 1.0, "integral gain", check=_finite),
        Param("Kd", "float", 0.0, "derivative gain", check=_finite),
        Param("Ts", "float", 1.0, "sample time in seconds (> 0)", check=_positive),
        Param("N", "float", 100.0, "derivative filter coefficient (> 0)", check=_positive),
        *_limit_params(),
        Param(
            "anti_windup",
            "choice",
            "none",
            "integrator anti-windup",
            choices=("none", "clamping"),
        ),
    )

    def check(self, p: Params) -> None:
        _check_limits(p)

    def feedthrough(self, p: Params) -> bool:
        return bool(p["Kp"] != 0.0 or p["Kd"] != 0.0)

    def _slots(self, p: Params) -> int:
        return int(p["Ki"] != 0.0) + int(p["Kd"] != 0.0)

    def _clamps(self, p: Params) -> bool:
        return bool(p["anti_windup"] == "clamping") and (
            p["lower"] is not None or p["upper"] is not None
        )

    def output_widths(self, p: Params, widths: Mapping[str, int]) -> dict[str, int]:
        return {"out": _input_width(widths)}

    def state_size(self, p: Params, widths: Mapping[str, int]) -> int:
        return self._slots(p) * _input_width(widths)

    def initial_state(self, p: Params, widths: Mapping[str, int]) -> tuple[float, ...]:
        return (0.0,) * self.state_size(p, widths)

    # reference -----------------------------------------------------------------

    def _ref_split(self, p: Params, x: Vec) -> tuple[Vec | None, Vec | None]:
        slots = self._slots(p)
        width = len(x) // slots if slots else 0
        i_state = x[:width] if p["Ki"] != 0.0 else None
        f_state = x[len(x) - width :] if p["Kd"] != 0.0 else None
        return i_state, f_state

    def _ref_v(
        self, p: Params, ctx: RefContext, e: Vec | None, i_state: Vec | None, f: Vec | None
    ) -> tuple[Vec, Vec | None]:
        terms: list[tuple[str, Vec]] = []
        if p["Kp"] != 0.0:
            assert e is not None
            terms.append(("+", ctx.fn("mul", ctx.const([p["Kp"]]), e)))
        if i_state is not None:
            terms.append(("+", i_state))
        d = None
        if f is not None:
            assert e is not None
            inner = ctx.fn("sub", ctx.fn("mul", ctx.const([p["Kd"]]), e), f)
            d = ctx.fn("mul", ctx.const([p["N"]]), inner)
            terms.append(("+", d))
        return _ref_sum(ctx, terms), d

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        i_state, f = self._ref_split(p, x)
        v, _ = self._ref_v(p, ctx, u.get("in"), i_state, f)
        return {"out": _ref_sat(ctx, v, p["lower"], p["upper"])}

    def update(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> Vec:
        e = u["in"]
        i_state, f = self._ref_split(p, x)
        v, d = self._ref_v(p, ctx, e, i_state, f)
        parts = []
        if i_state is not None:
            w = ctx.fn("mul", ctx.const([p["Ki"] * p["Ts"]]), e)
            nxt = ctx.fn("add", i_state, w)
            if self._clamps(p):
                zero = ctx.const([0.0])
                flags = []
                if p["upper"] is not None:
                    over = ctx.fn("cmplt", ctx.const([p["upper"]]), v)
                    flags.append(("+", ctx.fn("mul", over, ctx.fn("cmplt", zero, w))))
                if p["lower"] is not None:
                    under = ctx.fn("cmplt", v, ctx.const([p["lower"]]))
                    flags.append(("+", ctx.fn("mul", under, ctx.fn("cmplt", w, zero))))
                nxt = ctx.select(_ref_sum(ctx, flags), i_state, nxt)
            parts.append(nxt)
        if f is not None:
            assert d is not None
            parts.append(ctx.fn("add", f, ctx.fn("mul", ctx.const([p["Ts"]]), d)))
        return np.concatenate(parts) if parts else ctx.const([])

    # lowering ----------------------------------------------------------------------

    def _low_v(self, p: Params, g: Builder, e: Any, i_state: Any, f: Any) -> tuple[Any, Any]:
        terms: list[tuple[str, Any]] = []
        if p["Kp"] != 0.0:
            terms.append(("+", g.op("mul", g.const(p["Kp"]), e)))
        if i_state is not None:
            terms.append(("+", i_state))
        d = None
        if f is not None:
            inner = g.op("sub", g.op("mul", g.const(p["Kd"]), e), f)
            d = g.op("mul", g.const(p["N"]), inner)
            terms.append(("+", d))
        return _low_sum(g, terms), d

    def _low_split(self, p: Params, x: list[Any], width: int) -> tuple[list[Any], list[Any]]:
        none: list[Any] = [None] * width
        i_states = x[:width] if p["Ki"] != 0.0 else none
        f_states = x[len(x) - width :] if p["Kd"] != 0.0 else none
        return i_states, f_states

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        slots = self._slots(p)
        width = len(u["in"]) if "in" in u else (len(x) // slots if slots else 1)
        es: list[Any] = u["in"] if "in" in u else [None] * width
        i_states, f_states = self._low_split(p, x, width)
        out = []
        for e, i_state, f in zip(es, i_states, f_states, strict=True):
            v, _ = self._low_v(p, g, e, i_state, f)
            out.append(_low_sat(g, v, p["lower"], p["upper"]))
        return {"out": out}

    def lower_update(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> list[Any]:
        width = len(u["in"])
        i_states, f_states = self._low_split(p, x, width)
        new_i, new_f = [], []
        for e, i_state, f in zip(u["in"], i_states, f_states, strict=True):
            v, d = self._low_v(p, g, e, i_state, f)
            if i_state is not None:
                w = g.op("mul", g.const(p["Ki"] * p["Ts"]), e)
                nxt = g.op("add", i_state, w)
                if self._clamps(p):
                    zero = g.const(0.0)
                    flags = []
                    if p["upper"] is not None:
                        over = g.op("cmplt", g.const(p["upper"]), v)
                        flags.append(("+", g.op("mul", over, g.op("cmplt", zero, w))))
                    if p["lower"] is not None:
                        under = g.op("cmplt", v, g.const(p["lower"]))
                        flags.append(("+", g.op("mul", under, g.op("cmplt", w, zero))))
                    nxt = g.select(_low_sum(g, flags), i_state, nxt)
                new_i.append(nxt)
            if f is not None:
                new_f.append(g.op("add", f, g.op("mul", g.const(p["Ts"]), d)))
        return [*new_i, *new_f]


#: The block types of this module (registered by :mod:`vtc.blocks.std`).
BLOCKS: tuple[type[Block], ...] = (
    Delay,
    DiscreteIntegrator,
    DiscreteDerivative,
    Fir,
    Biquad,
    Sos,
    TransferFcn,
    StateSpace,
    Pid,
)
