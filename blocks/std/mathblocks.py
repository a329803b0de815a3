"""Math blocks: products, unary math, functions, min/max, clamps, comparisons,
switches and polynomials.

Every block here is element-wise on its inputs: inputs of the same width, or
of width 1 (a scalar, expanded to the common width), unless its
documentation says otherwise (a one-input product or min/max reduces the
elements of its vector to a scalar). The order of operations is part of each
block's meaning and is stated in its ``doc``; the reference semantics and the
lowering both follow it, so compiled code equals the reference bit for bit.

Special values follow the instructions used (target.md section 4): ``min``
and ``max`` are IEEE minNum/maxNum (a NaN operand is ignored), a comparison
with a NaN operand is false except ``!=``, ``sqrt`` and ``ln`` of a negative
number give NaN, ``1/0`` gives a signed infinity.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from vtc.blocks.api import (
    Block,
    Builder,
    Param,
    ParamError,
    Params,
    RefContext,
    Vec,
    common_width,
    expand,
    numbered,
)

__all__ = [
    "BLOCKS",
    "Abs",
    "Compare",
    "Math",
    "MinMax",
    "Polynomial",
    "Product",
    "Reciprocal",
    "Rounding",
    "Saturation",
    "Sqrt",
    "Square",
    "Switch",
    "Trig",
]

#: Largest number of inputs a block with a count parameter may have.
MAX_PORTS = 4096


def _lower_each(g: Builder, mnemonic: str, parts: list[list[Any]]) -> list[Any]:
    """``mnemonic`` applied element by element to lowered operands (scalars expand)."""
    width = max(len(v) for v in parts)
    columns = [expand(v, width) for v in parts]
    return [g.op(mnemonic, *args) for args in zip(*columns, strict=True)]


def _elements(v: Vec) -> list[Vec]:
    """The elements of a reference vector as arrays of width 1."""
    return [v[i : i + 1] for i in range(len(v))]


# --- product ------------------------------------------------------------------------


class Product(Block):
    """``std.product``: product and quotient of its inputs (see ``doc``)."""

    type_name = "std.product"
    category = "Math"
    label = "Π"
    doc = (
        "Product / quotient of its inputs, left to right.\n\n"
        "`ops` has one `*` or `/` per input (`in1`..`inN`): "
        "`ops = '*/*'` gives `(in1 / in2) * in3`, each operation rounded. A "
        "leading `/` divides 1 by the first input (`'/*'` gives `(1 / in1) * in2`). "
        "Inputs are element-wise; a scalar input is expanded. With one input the "
        "elements of its vector are combined into a scalar: `'*'` gives "
        "`((v1 * v2) * v3) ...`, `'/'` gives `((1 / v1) / v2) / v3 ...`."
    )
    params = (Param("ops", "str", "**", "one * or / per input, e.g. '**/'"),)

    def check(self, p: Params) -> None:
        ops = p["ops"]
        if not ops or any(c not in "*/" for c in ops):
            raise ParamError("ops", f"'{ops}' must be made of * and / only, at least one")
        if len(ops) > MAX_PORTS:
            raise ParamError("ops", f"at most {MAX_PORTS} inputs, not {len(ops)}")

    def inputs(self, p: Params) -> tuple[str, ...]:
        return numbered("in", len(p["ops"]))

    def output_widths(self, p: Params, widths: Mapping[str, int]) -> dict[str, int]:
        if len(p["ops"]) == 1:
            return {"out": 1}
        return {"out": common_width(widths)}

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        ops = p["ops"]
        if len(ops) == 1:
            terms = _elements(u["in1"])
            ops = ops * len(terms)
        else:
            terms = [u[name] for name in self.inputs(p)]
        acc = terms[0] if ops[0] == "*" else ctx.fn("div", ctx.const([1.0]), terms[0])
        for op, term in zip(ops[1:], terms[1:], strict=True):
            acc = ctx.fn("mul" if op == "*" else "div", acc, term)
        return {"out": acc}

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        ops = p["ops"]
        if len(ops) == 1:
            parts = [[v] for v in u["in1"]]
            ops = ops * len(parts)
            width = 1
        else:
            parts = [u[name] for name in self.inputs(p)]
            width = max(len(v) for v in parts)
            parts = [expand(v, width) for v in parts]
        out = []
        for i in range(width):
            acc = parts[0][i] if ops[0] == "*" else g.op("div", g.const(1.0), parts[0][i])
            for op, part in zip(ops[1:], parts[1:], strict=True):
                acc = g.op("mul" if op == "*" else "div", acc, part[i])
            out.append(acc)
        return {"out": out}


# --- unary math -----------------------------------------------------------------------


class Abs(Block):
    """``std.abs``: absolute value."""

    type_name = "std.abs"
    category = "Math"
    label = "|u|"
    doc = (
        "Absolute value, element-wise.\n\n"
        "One `abs`: it clears the sign bit, so `abs(-0) = +0`, and a NaN stays a NaN."
    )

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        return {"out": ctx.fn("abs", u["in"])}

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        return {"out": [g.op("abs", a) for a in u["in"]]}


class Sqrt(Block):
    """``std.sqrt``: square root."""

    type_name = "std.sqrt"
    category = "Math"
    label = "√u"
    doc = (
        "Square root, element-wise.\n\n"
        "One `sqrt`, correctly rounded: a negative input gives NaN, `sqrt(-0) = -0`, "
        "`sqrt(+inf) = +inf`."
    )

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        return {"out": ctx.fn("sqrt", u["in"])}

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        return {"out": [g.op("sqrt", a) for a in u["in"]]}


class Square(Block):
    """``std.square``: ``in * in``."""

    type_name = "std.square"
    category = "Math"
    label = "u²"
    doc = "Square, element-wise.\n\n`in * in`: one rounded multiplication."

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        v = u["in"]
        return {"out": ctx.fn("mul", v, v)}

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        return {"out": [g.op("mul", a, a) for a in u["in"]]}


class Reciprocal(Block):
    """``std.reciprocal``: ``1 / in``."""

    type_name = "std.reciprocal"
    category = "Math"
    label = "1/u"
    doc = (
        "Reciprocal, element-wise.\n\n"
        "`1 / in`: one rounded division (`1/+0 = +inf`, `1/-0 = -inf`, `1/inf = 0`)."
    )

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        return {"out": ctx.fn("div", ctx.const([1.0]), u["in"])}

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        one = g.const(1.0)
        return {"out": [g.op("div", one, a) for a in u["in"]]}


# --- functions named by a parameter: math, trig, rounding ------------------------------


class _Function(Block):
    """A block that applies the ISA operation named by its ``fn`` parameter.

    ``fn`` values are ISA mnemonics; those in ``binary`` take two inputs
    ``in1``, ``in2`` (element-wise, scalars expand), the others one, ``in``.
    """

    category = "Math"
    binary: ClassVar[frozenset[str]] = frozenset()

    def inputs(self, p: Params) -> tuple[str, ...]:
        return ("in1", "in2") if p["fn"] in self.binary else ("in",)

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        return {"out": ctx.fn(p["fn"], *(u[name] for name in self.inputs(p)))}

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        return {"out": _lower_each(g, p["fn"], [u[name] for name in self.inputs(p)])}


class Math(_Function):
    """``std.math``: exponentials, logarithms, power, reciprocal square root."""

    type_name = "std.math"
    label = "f(u)"
    binary = frozenset({"pow"})
    doc = (
        "Math function, element-wise: exp, exp2, ln, log2, pow, rsqrt.\n\n"
        "`exp` is e^in, `exp2` 2^in, `ln` and `log2` the natural and base-2 "
        "logarithms, `pow` in1^in2, `rsqrt` 1/sqrt(in). Ports `in`/`out`; "
        "`pow` has `in1` (base) and `in2` (exponent), a scalar "
        "expanded. Each is one instruction: CPython's `math` function on the "
        "binary64 operand, rounded once (so `rsqrt` is not `1/sqrt` rounded "
        "twice). Logarithms of negative numbers give NaN, of zero -inf; `pow` "
        "follows C99 (`pow(x, 0) = 1` even for NaN x, a negative base with a "
        "non-integer exponent gives NaN)."
    )
    params = (
        Param(
            "fn",
            "choice",
            "exp",
            "exp, exp2, ln, log2, pow (in1^in2) or rsqrt",
            choices=("exp", "exp2", "ln", "log2", "pow", "rsqrt"),
        ),
    )


class Trig(_Function):
    """``std.trig``: trigonometric functions in radians."""

    type_name = "std.trig"
    label = "sin"
    binary = frozenset({"atan2"})
    doc = (
        "Trigonometric function (radians), element-wise: sin, cos, tan, atan, atan2.\n\n"
        "Ports `in`/`out`; `atan2` has `in1` (y) and `in2` (x) and gives "
        "atan2(y, x) in [-pi, pi], a scalar expanded. Each is one instruction: "
        "CPython's `math` function on the binary64 operand, rounded once; "
        "`sin`/`cos`/`tan` of an infinity give NaN."
    )
    params = (
        Param(
            "fn",
            "choice",
            "sin",
            "sin, cos, tan, atan or atan2 (in1 = y, in2 = x)",
            choices=("sin", "cos", "tan", "atan", "atan2"),
        ),
    )


class Rounding(_Function):
    """``std.rounding``: floor, ceil, round, trunc."""

    type_name = "std.rounding"
    label = "⌊u⌋"
    doc = (
        "Rounding to an integer value, element-wise: floor, ceil, round, trunc.\n\n"
        "`round` rounds half away from zero (round(2.5) = 3, round(-2.5) = -3), "
        "`trunc` towards zero. One instruction; infinities and NaN are kept, and "
        "so is the sign (floor(-0.5) = -1, ceil(-0.5) = -0)."
    )
    params = (
        Param(
            "fn",
            "choice",
            "floor",
            "floor, ceil, round (half away from zero) or trunc",
            choices=("floor", "ceil", "round", "trunc"),
        ),
    )


# --- min / max, saturation -------------------------------------------------------------


class MinMax(Block):
    """``std.minmax``: minimum or maximum of its inputs."""

    type_name = "std.minmax"
    category = "Math"
    label = "min"
    doc = (
        "Minimum or maximum of its inputs `in1`..`inN`, left to right.\n\n"
        "Element-wise, a scalar input expanded: `min(min(in1, in2), in3) ...`. "
        "With one input the elements of its vector are reduced to a scalar: "
        "`min(min(v1, v2), v3) ...`. `min`/`max` are IEEE minNum/maxNum: a NaN "
        "operand is ignored (the result is NaN only when every operand is), "
        "`min(-0, +0) = -0`, `max(-0, +0) = +0`."
    )
    params = (
        Param("fn", "choice", "min", "min or max", choices=("min", "max")),
        Param(
            "inputs",
            "int",
            2,
            "number of inputs (1: reduce the elements of one vector)",
            minimum=1,
            maximum=MAX_PORTS,
        ),
    )

    def inputs(self, p: Params) -> tuple[str, ...]:
        return numbered("in", p["inputs"])

    def output_widths(self, p: Params, widths: Mapping[str, int]) -> dict[str, int]:
        if p["inputs"] == 1:
            return {"out": 1}
        return {"out": common_width(widths)}

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        if p["inputs"] == 1:
            terms = _elements(u["in1"])
        else:
            terms = [u[name] for name in self.inputs(p)]
        acc = terms[0]
        for term in terms[1:]:
            acc = ctx.fn(p["fn"], acc, term)
        return {"out": acc}

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        fn = p["fn"]
        if p["inputs"] == 1:
            values = u["in1"]
            acc = values[0]
            for v in values[1:]:
                acc = g.op(fn, acc, v)
            return {"out": [acc]}
        parts = [u[name] for name in self.inputs(p)]
        width = max(len(v) for v in parts)
        out = list(expand(parts[0], width))
        for part in parts[1:]:
            out = [g.op(fn, a, b) for a, b in zip(out, expand(part, width), strict=True)]
        return {"out": out}


class Saturation(Block):
    """``std.saturation``: clamp to ``[lower, upper]``."""

    type_name = "std.saturation"
    category = "Math"
    label = "sat"
    doc = (
        "Clamps its input to [lower, upper], element-wise: "
        "`max(min(in, upper), lower)`.\n\n"
        "`min`/`max` are IEEE minNum/maxNum, so a NaN input gives `upper` (the "
        "`min` ignores the NaN). Both limits are rounded to the target "
        "precision; `lower <= upper` is required (equal limits give a constant "
        "except for the sign of a zero: `lower = upper = 0` keeps `-0`). A limit "
        'may be `"inf"` / `"-inf"` (no limit on that side).'
    )
    params = (
        Param("lower", "float", -0.5, 'lower limit ("-inf": none)'),
        Param("upper", "float", 0.5, 'upper limit ("inf": none)'),
    )

    def check(self, p: Params) -> None:
        if p["lower"] > p["upper"]:
            raise ParamError("lower", f"{p['lower']:g} is greater than 'upper' ({p['upper']:g})")

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        clipped = ctx.fn("min", u["in"], ctx.const([p["upper"]]))
        return {"out": ctx.fn("max", clipped, ctx.const([p["lower"]]))}

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        lo, hi = g.const(p["lower"]), g.const(p["upper"])
        return {"out": [g.op("max", g.op("min", a, hi), lo) for a in u["in"]]}


# --- compare, switch ---------------------------------------------------------------------

#: Relational operator -> (instruction, whether the operands are swapped).
_COMPARE: dict[str, tuple[str, bool]] = {
    "<": ("cmplt", False),
    "<=": ("cmple", False),
    "==": ("cmpeq", False),
    "!=": ("cmpne", False),
    ">": ("cmplt", True),
    ">=": ("cmple", True),
}


class Compare(Block):
    """``std.compare``: relational operator giving 1.0 / 0.0."""

    type_name = "std.compare"
    category = "Logic"
    label = "≤"
    doc = (
        "`in1 op in2`: 1.0 if true, else 0.0, element-wise (a scalar expanded).\n\n"
        "`<`, `<=`, `==`, `!=` are `cmplt`, `cmple`, `cmpeq`, `cmpne` on "
        "(in1, in2); `>` and `>=` are `cmplt` and `cmple` on (in2, in1). A NaN "
        "operand makes every operator false except `!=`; `-0 == +0`."
    )
    params = (
        Param(
            "op",
            "choice",
            "<=",
            "relational operator: <, <=, ==, !=, > or >=",
            choices=tuple(_COMPARE),
        ),
    )

    def inputs(self, p: Params) -> tuple[str, ...]:
        return ("in1", "in2")

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        mnemonic, swapped = _COMPARE[p["op"]]
        a, b = (u["in2"], u["in1"]) if swapped else (u["in1"], u["in2"])
        return {"out": ctx.fn(mnemonic, a, b)}

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        mnemonic, swapped = _COMPARE[p["op"]]
        a, b = (u["in2"], u["in1"]) if swapped else (u["in1"], u["in2"])
        return {"out": _lower_each(g, mnemonic, [a, b])}


class Switch(Block):
    """``std.switch``: ``in1`` if ``criterion(ctrl)`` else ``in2``, without a jump."""

    type_name = "std.switch"
    category = "Logic"
    label = "switch"
    doc = (
        "Passes `in1` where `criterion(ctrl)` holds, else `in2` (no jump).\n\n"
        "Element-wise; any of the three inputs may be a scalar, expanded. "
        "`criterion` `>=` is `ctrl >= threshold`, computed as `cmple(threshold, "
        "ctrl)`; `>` is `cmplt(threshold, ctrl)`; `!=0` is `ctrl != 0` "
        "(`threshold` is ignored) and uses `ctrl` itself as the condition of the "
        "select. The select is one `cmov`, no jump: both inputs are computed. A "
        "NaN `ctrl` gives `in2` for `>=` and `>` (the comparison is false) and "
        "`in1` for `!=0` (NaN is not zero); `ctrl = -0` counts as zero."
    )
    params = (
        Param(
            "criterion",
            "choice",
            ">=",
            "pass in1 when ctrl >= threshold, ctrl > threshold or ctrl != 0",
            choices=(">=", ">", "!=0"),
        ),
        Param("threshold", "float", 0.0, "threshold of >= and > (ignored by !=0)"),
    )

    def inputs(self, p: Params) -> tuple[str, ...]:
        return ("in1", "ctrl", "in2")

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        ctrl = u["ctrl"]
        criterion = p["criterion"]
        if criterion == "!=0":
            cond = ctrl
        else:
            mnemonic = "cmple" if criterion == ">=" else "cmplt"
            cond = ctx.fn(mnemonic, ctx.const([p["threshold"]]), ctrl)
        return {"out": ctx.select(cond, u["in1"], u["in2"])}

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        criterion = p["criterion"]
        if criterion == "!=0":
            conds = list(u["ctrl"])
        else:
            mnemonic = "cmple" if criterion == ">=" else "cmplt"
            threshold = g.const(p["threshold"])
            conds = [g.op(mnemonic, threshold, c) for c in u["ctrl"]]
        # a scalar ctrl is compared once, then its condition is expanded
        width = max(len(u["in1"]), len(conds), len(u["in2"]))
        a, b = expand(u["in1"], width), expand(u["in2"], width)
        return {
            "out": [
                g.select(c, x1, x2) for c, x1, x2 in zip(expand(conds, width), a, b, strict=True)
            ]
        }


# --- polynomial ----------------------------------------------------------------------------


def _no_nan(values: tuple[float, ...]) -> None:
    if any(v != v for v in values):
        raise ValueError("NaN is not allowed here")


class Polynomial(Block):
    """``std.polynomial``: Horner evaluation of ``coeffs`` (highest power first)."""

    type_name = "std.polynomial"
    category = "Math"
    label = "P(u)"
    doc = (
        "Polynomial of its input by Horner's rule, element-wise.\n\n"
        "`coeffs = [c0, c1, ..., cn]` (highest power first, as numpy.polyval) "
        "gives `c0*u^n + c1*u^(n-1) + ... + cn`. Horner's rule, each operation "
        "rounded: `acc = c0`, then for each next coefficient `acc = acc*u + c`, "
        "i.e. `((c0*u + c1)*u + c2)*u ...`. Every "
        "coefficient is used as written (a leading zero still multiplies, so it "
        "gives NaN for an infinite input). One coefficient gives that constant, "
        "at the input's width."
    )
    params = (
        Param(
            "coeffs",
            "vector",
            (1.0, 0.0),
            "coefficients, highest power first (as numpy.polyval)",
            check=_no_nan,
        ),
    )

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        v = u["in"]
        coeffs = p["coeffs"]
        acc = ctx.const([coeffs[0]] * len(v))
        for c in coeffs[1:]:
            acc = ctx.fn("add", ctx.fn("mul", acc, v), ctx.const([c]))
        return {"out": acc}

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        coeffs = p["coeffs"]
        consts = [g.const(c) for c in coeffs]
        out = []
        for a in u["in"]:
            acc = consts[0]
            for c in consts[1:]:
                acc = g.op("add", g.op("mul", acc, a), c)
            out.append(acc)
        return {"out": out}


#: The block types of this module, for the ``std`` library's list.
BLOCKS: tuple[type[Block], ...] = (
    Product,
    Abs,
    Sqrt,
    Square,
    Reciprocal,
    Math,
    Trig,
    Rounding,
    MinMax,
    Saturation,
    Compare,
    Switch,
    Polynomial,
)
