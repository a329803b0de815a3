"""Math blocks (vtc.blocks.std.mathblocks): compiled code equals the reference
bit for bit at every level, the reference means what the documentation says,
and bad parameters and widths give clear errors."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest
from modelkit import block_model, compile_and_check, reference_outputs

from vtc.blocks.std import BLOCKS as STD
from vtc.blocks.std.mathblocks import BLOCKS, Math, MinMax, Product, Switch, Trig
from vtc.compiler.driver import CompileOptions, compile_model
from vtc.compiler.errors import VtcError

INF, NAN = math.inf, math.nan

#: Inputs that exercise special cases: signed zeros, halves, large and tiny
#: magnitudes, infinities, NaN.
EDGES = (
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -0.5,
    2.5,
    -2.5,
    3.0,
    -7.25,
    1e-3,
    1e-30,
    -1e30,
    1e30,
    INF,
    -INF,
    NAN,
)


def columns(
    inputs: Mapping[str, int], steps: int, values: Sequence[float] = EDGES, seed: int = 1
) -> dict[str, list[float]]:
    """Input streams for a block_model (one column per element), drawn from ``values``."""
    rng = random.Random(seed)
    cols: dict[str, list[float]] = {}
    for port, width in inputs.items():
        names = [f"u_{port}"] if width == 1 else [f"u_{port}[{k}]" for k in range(width)]
        for name in names:
            cols[name] = [rng.choice(values) for _ in range(steps)]
    return cols


def check_all(
    btype: str,
    params: Mapping[str, Any],
    inputs: Mapping[str, int],
    *,
    lo: float = -4.0,
    hi: float = 4.0,
    target: str = "zynq7020-single",
) -> None:
    """Random inputs in [lo, hi], then edge values, at -O0/-O1/-O2."""
    model = block_model(btype, params, inputs, target=target)
    compile_and_check(model, 30, seed=3, lo=lo, hi=hi)
    compile_and_check(model, 60, inputs=columns(inputs, 60))


def ref(
    btype: str,
    params: Mapping[str, Any],
    given: Mapping[str, Sequence[float]],
    *,
    outputs: Sequence[str] = ("out",),
    target: str = "zynq7020-single",
) -> dict[str, list[float]]:
    """Reference outputs of a block on scalar (or vector: ``port[k]``) input streams."""
    widths: dict[str, int] = {}
    for column in given:
        port = column.split("[")[0]
        widths[port] = widths.get(port, 0) + 1
    model = block_model(
        btype, params, {p[2:]: w for p, w in widths.items()}, outputs, target=target
    )
    steps = len(next(iter(given.values())))
    return reference_outputs(model, steps, given)


def same(a: Sequence[float], b: Sequence[float]) -> bool:
    """Equal element by element, NaN equal to NaN, the sign of zero significant."""
    return len(a) == len(b) and all(
        (x != x and y != y) or (x == y and math.copysign(1, x) == math.copysign(1, y))
        for x, y in zip(a, b, strict=True)
    )


def f32(x: float) -> float:
    return float(np.float32(x))


def error_of(
    btype: str,
    params: Mapping[str, Any],
    inputs: Mapping[str, int],
    outputs: Sequence[str] = ("out",),
) -> str:
    with pytest.raises(VtcError) as info:
        model = block_model(btype, params, inputs, outputs)
        compile_model(model, CompileOptions(), file="test.json")
    return str(info.value)


# --- registration ---------------------------------------------------------------------


def test_registered_in_std() -> None:
    for cls in BLOCKS:
        assert cls in STD
        assert cls.type_name.startswith("std.")
        assert cls.doc and cls.label
    assert len({cls.type_name for cls in STD}) == len(STD)


# --- std.product ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ops", "inputs"),
    [
        ("**", {"in1": 1, "in2": 1}),
        ("*/", {"in1": 3, "in2": 1}),
        ("/*", {"in1": 1, "in2": 3}),
        ("/*/", {"in1": 2, "in2": 2, "in3": 1}),
        ("*", {"in1": 4}),
        ("/", {"in1": 3}),
        ("*", {"in1": 1}),
        ("/", {"in1": 1}),
    ],
)
def test_product_compiles_exactly(ops: str, inputs: dict[str, int]) -> None:
    check_all("std.product", {"ops": ops}, inputs)


def test_product_meaning() -> None:
    got = ref(
        "std.product", {"ops": "*/*"}, {"u_in1": [6, 1, 0], "u_in2": [3, 0, 0], "u_in3": [5, 2, 1]}
    )
    assert same(got["y_out"], [10.0, INF, NAN])
    got = ref("std.product", {"ops": "/*"}, {"u_in1": [4, -0.0], "u_in2": [3, 1]})
    assert same(got["y_out"], [0.75, -INF])
    # left to right, each rounded: (1e30 * 1e30) overflows in single before the division
    got = ref("std.product", {"ops": "**/"}, {"u_in1": [1e30], "u_in2": [1e30], "u_in3": [1e30]})
    assert got["y_out"] == [INF]


def test_product_one_input_combines_elements() -> None:
    given: dict[str, list[float]] = {"u_in1[0]": [2, 3], "u_in1[1]": [4, -1], "u_in1[2]": [0.5, 2]}
    assert ref("std.product", {"ops": "*"}, given)["y_out"] == [4.0, -6.0]
    assert ref("std.product", {"ops": "/"}, given)["y_out"] == [0.25, f32(1 / 3 / -1 / 2)]


def test_product_scalar_expansion() -> None:
    given: dict[str, list[float]] = {
        "u_in1[0]": [1],
        "u_in1[1]": [2],
        "u_in1[2]": [3],
        "u_in2": [0.5],
    }
    got = ref("std.product", {"ops": "*/"}, given)
    assert [got[f"y_out[{k}]"][0] for k in range(3)] == [2.0, 4.0, 6.0]
    assert Product().output_widths({"ops": "**"}, {"in1": 1, "in2": 4}) == {"out": 4}
    assert Product().output_widths({"ops": "*"}, {"in1": 5}) == {"out": 1}


@pytest.mark.parametrize(
    ("ops", "message"),
    [
        ("", "parameter 'ops': '' must be made of * and / only, at least one"),
        ("*+", "parameter 'ops': '*+' must be made of * and / only, at least one"),
        ("x", "parameter 'ops': 'x' must be made of * and / only, at least one"),
        (3, "parameter 'ops': expected a string, got 3"),
    ],
)
def test_product_bad_ops(ops: object, message: str) -> None:
    text = error_of("std.product", {"ops": ops}, {"in1": 1})
    assert f"test.json: block b (std.product): error: {message}" in text


def test_product_width_mismatch() -> None:
    text = error_of("std.product", {"ops": "**"}, {"in1": 3, "in2": 2})
    assert "block b (std.product): error: input widths do not match (in1 is 3, in2 is 2)" in text


# --- unary math -----------------------------------------------------------------------


@pytest.mark.parametrize("btype", ["std.abs", "std.sqrt", "std.square", "std.reciprocal"])
@pytest.mark.parametrize("width", [1, 3])
def test_unary_compiles_exactly(btype: str, width: int) -> None:
    check_all(btype, {}, {"in": width})


def test_unary_meaning() -> None:
    xs = [4.0, -4.0, -0.0, 0.0, 2.0, INF, NAN]
    given = {"u_in": xs}
    assert same(ref("std.abs", {}, given)["y_out"], [4, 4, 0, 0, 2, INF, NAN])
    assert same(ref("std.sqrt", {}, given)["y_out"], [2, NAN, -0.0, 0, f32(math.sqrt(2)), INF, NAN])
    assert same(ref("std.square", {}, given)["y_out"], [16, 16, 0, 0, 4, INF, NAN])
    assert same(ref("std.reciprocal", {}, given)["y_out"], [0.25, -0.25, -INF, INF, 0.5, 0, NAN])


def test_unary_rejects_params() -> None:
    text = error_of("std.abs", {"k": 1}, {"in": 1})
    assert "parameter 'k': std.abs has no such parameter" in text


# --- std.math, std.trig, std.rounding -----------------------------------------------------


@pytest.mark.parametrize("fn", ["exp", "exp2", "ln", "log2", "rsqrt"])
@pytest.mark.parametrize("width", [1, 2])
def test_math_compiles_exactly(fn: str, width: int) -> None:
    check_all("std.math", {"fn": fn}, {"in": width})


@pytest.mark.parametrize("widths", [(1, 1), (3, 1), (1, 3), (2, 2)])
def test_math_pow_compiles_exactly(widths: tuple[int, int]) -> None:
    check_all("std.math", {"fn": "pow"}, {"in1": widths[0], "in2": widths[1]})


def test_math_ports() -> None:
    assert Math().inputs({"fn": "pow"}) == ("in1", "in2")
    assert Math().inputs({"fn": "exp"}) == ("in",)
    assert Trig().inputs({"fn": "atan2"}) == ("in1", "in2")
    assert Trig().inputs({"fn": "tan"}) == ("in",)


@pytest.mark.parametrize("target", ["zynq7020-single", "zynq7020-double"])
def test_math_meaning(target: str) -> None:
    cast = f32 if target.endswith("single") else float
    xs = [1.0, -1.0, 0.0, 0.5, 8.0]

    def run(fn: str) -> list[float]:
        return ref("std.math", {"fn": fn}, {"u_in": xs}, target=target)["y_out"]

    assert same(run("exp"), [cast(math.exp(x)) for x in xs])
    assert same(run("exp2"), [cast(2.0**x) for x in xs])
    assert same(run("ln"), [0.0, NAN, -INF, cast(math.log(0.5)), cast(math.log(8))])
    assert same(run("log2"), [0.0, NAN, -INF, -1.0, 3.0])
    # rsqrt is rounded once: 1/sqrt(x) in binary64, then to the target
    assert same(run("rsqrt"), [1.0, NAN, INF, cast(1 / math.sqrt(0.5)), cast(1 / math.sqrt(8))])
    got = ref(
        "std.math",
        {"fn": "pow"},
        {"u_in1": [2.0, -8.0, -8.0, NAN], "u_in2": [10.0, 1 / 3, 3.0, 0.0]},
        target=target,
    )
    assert same(got["y_out"], [1024.0, NAN, -512.0, 1.0])


@pytest.mark.parametrize("fn", ["sin", "cos", "tan", "atan"])
def test_trig_compiles_exactly(fn: str) -> None:
    check_all("std.trig", {"fn": fn}, {"in": 2}, lo=-10.0, hi=10.0)


@pytest.mark.parametrize("widths", [(1, 1), (3, 1), (2, 2)])
def test_trig_atan2_compiles_exactly(widths: tuple[int, int]) -> None:
    check_all("std.trig", {"fn": "atan2"}, {"in1": widths[0], "in2": widths[1]})


def test_trig_meaning() -> None:
    xs = [0.0, 1.0, -2.0, INF]
    for fn in ("sin", "cos", "tan"):
        got = ref("std.trig", {"fn": fn}, {"u_in": xs})["y_out"]
        assert same(got, [*(f32(getattr(math, fn)(x)) for x in xs[:3]), NAN])
    got = ref("std.trig", {"fn": "atan"}, {"u_in": xs})["y_out"]
    assert same(got, [f32(math.atan(x)) for x in xs])
    # in1 is y, in2 is x
    ys, xs2 = [1.0, 1.0, -1.0, 0.0, -0.0], [-1.0, 0.0, -1.0, -1.0, -1.0]
    got = ref("std.trig", {"fn": "atan2"}, {"u_in1": ys, "u_in2": xs2})["y_out"]
    assert same(got, [f32(math.atan2(y, x)) for y, x in zip(ys, xs2, strict=True)])
    assert got[0] == f32(3 * math.pi / 4) and got[4] == f32(-math.pi)


@pytest.mark.parametrize("fn", ["floor", "ceil", "round", "trunc"])
def test_rounding_compiles_exactly(fn: str) -> None:
    check_all("std.rounding", {"fn": fn}, {"in": 3})


def test_rounding_meaning() -> None:
    xs = [2.5, -2.5, -0.5, 0.5, 1.7, -1.7, -0.0, 1e30, INF, NAN]
    expected = {
        "floor": [2, -3, -1, 0, 1, -2, -0.0, 1e30, INF, NAN],
        "ceil": [3, -2, -0.0, 1, 2, -1, -0.0, 1e30, INF, NAN],
        "round": [3, -3, -1, 1, 2, -2, -0.0, 1e30, INF, NAN],
        "trunc": [2, -2, -0.0, 0, 1, -1, -0.0, 1e30, INF, NAN],
    }
    for fn, want in expected.items():
        got = ref("std.rounding", {"fn": fn}, {"u_in": xs})["y_out"]
        assert same(got, [f32(w) for w in want]), fn


@pytest.mark.parametrize(
    ("btype", "fn", "choices"),
    [
        ("std.math", "sin", "'exp', 'exp2', 'ln', 'log2', 'pow', 'rsqrt'"),
        ("std.trig", "exp", "'sin', 'cos', 'tan', 'atan', 'atan2'"),
        ("std.rounding", "fix", "'floor', 'ceil', 'round', 'trunc'"),
    ],
)
def test_function_bad_fn(btype: str, fn: str, choices: str) -> None:
    text = error_of(btype, {"fn": fn}, {"in": 1})
    assert f"({btype}): error: parameter 'fn': expected one of {choices}, got '{fn}'" in text


def test_pow_width_mismatch() -> None:
    text = error_of("std.math", {"fn": "pow"}, {"in1": 2, "in2": 3})
    assert "input widths do not match (in1 is 2, in2 is 3)" in text


# --- std.minmax ------------------------------------------------------------------------


@pytest.mark.parametrize("fn", ["min", "max"])
@pytest.mark.parametrize(
    ("n", "inputs"),
    [
        (2, {"in1": 1, "in2": 1}),
        (2, {"in1": 3, "in2": 1}),
        (3, {"in1": 2, "in2": 2, "in3": 2}),
        (1, {"in1": 5}),
        (1, {"in1": 1}),
    ],
)
def test_minmax_compiles_exactly(fn: str, n: int, inputs: dict[str, int]) -> None:
    check_all("std.minmax", {"fn": fn, "inputs": n}, inputs)


def test_minmax_meaning() -> None:
    given: dict[str, list[float]] = {
        "u_in1": [1, NAN, NAN, -0.0, 0.0],
        "u_in2": [2, 3, NAN, 0.0, -0.0],
        "u_in3": [0.5, NAN, NAN, 1, 1],
    }
    got = ref("std.minmax", {"fn": "min", "inputs": 3}, given)["y_out"]
    assert same(got, [0.5, 3, NAN, -0.0, -0.0])
    got = ref("std.minmax", {"fn": "max", "inputs": 3}, given)["y_out"]
    assert same(got, [2, 3, NAN, 1, 1])
    two = {k: v for k, v in given.items() if k != "u_in3"}
    assert same(ref("std.minmax", {"fn": "max", "inputs": 2}, two)["y_out"], [2, 3, NAN, 0, 0])


def test_minmax_one_input_reduces() -> None:
    given: dict[str, list[float]] = {
        "u_in1[0]": [3, NAN],
        "u_in1[1]": [-1, 2],
        "u_in1[2]": [7, NAN],
    }
    assert same(ref("std.minmax", {"fn": "min", "inputs": 1}, given)["y_out"], [-1, 2])
    assert same(ref("std.minmax", {"fn": "max", "inputs": 1}, given)["y_out"], [7, 2])
    assert MinMax().output_widths({"fn": "min", "inputs": 1}, {"in1": 3}) == {"out": 1}
    assert MinMax().inputs({"fn": "max", "inputs": 4}) == ("in1", "in2", "in3", "in4")


def test_minmax_bad_params() -> None:
    text = error_of("std.minmax", {"inputs": 0}, {"in1": 1})
    assert "parameter 'inputs': 0 is outside [1, 4096]" in text
    text = error_of("std.minmax", {"inputs": 1.5}, {"in1": 1})
    assert "parameter 'inputs': expected a whole number, got 1.5" in text
    text = error_of("std.minmax", {"fn": "median"}, {"in1": 1, "in2": 1})
    assert "parameter 'fn': expected one of 'min', 'max', got 'median'" in text
    text = error_of("std.minmax", {}, {"in1": 2, "in2": 4})
    assert "input widths do not match (in1 is 2, in2 is 4)" in text


# --- std.saturation --------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"lower": -1.5, "upper": 2.0},
        {"lower": 0.0, "upper": 0.0},
        {"lower": 1.0, "upper": "inf"},
        {"lower": "-inf", "upper": -1.0},
        {"lower": 0.1, "upper": 0.3},
    ],
)
def test_saturation_compiles_exactly(params: dict[str, Any]) -> None:
    check_all("std.saturation", params, {"in": 2})


def test_saturation_meaning() -> None:
    xs = [-3.0, -1.0, 0.25, 1.0, 3.0, INF, -INF, NAN, -0.0]
    got = ref("std.saturation", {"lower": -1.0, "upper": 2.0}, {"u_in": xs})["y_out"]
    assert same(got, [-1.0, -1.0, 0.25, 1.0, 2.0, 2.0, -1.0, 2.0, -0.0])
    # a NaN input gives upper (minNum ignores it), even an infinite one
    got = ref("std.saturation", {"lower": 0.0, "upper": "inf"}, {"u_in": xs})["y_out"]
    assert same(got, [0.0, 0.0, 0.25, 1.0, 3.0, INF, 0.0, INF, 0.0])  # max(-0, +0) = +0
    # the limits are rounded to the target precision
    got = ref("std.saturation", {"lower": 0.1, "upper": 0.3}, {"u_in": [-5.0, 5.0]})["y_out"]
    assert got == [f32(0.1), f32(0.3)]


def test_saturation_bad_limits() -> None:
    text = error_of("std.saturation", {"lower": 2, "upper": 1}, {"in": 1})
    assert "(std.saturation): error: parameter 'lower': 2 is greater than 'upper' (1)" in text
    text = error_of("std.saturation", {"upper": "nan"}, {"in": 1})
    assert "parameter 'upper': NaN is not allowed here" in text
    text = error_of("std.saturation", {"lower": [1, 2]}, {"in": 1})
    assert "parameter 'lower': expected a number, got list" in text


# --- std.compare -----------------------------------------------------------------------

_OPS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


@pytest.mark.parametrize("op", list(_OPS))
def test_compare_compiles_exactly(op: str) -> None:
    check_all("std.compare", {"op": op}, {"in1": 3, "in2": 1}, lo=-1.0, hi=1.0)
    model = block_model("std.compare", {"op": op}, {"in1": 1, "in2": 1})
    # small integers: equal operands are frequent
    compile_and_check(
        model, 40, inputs=columns({"in1": 1, "in2": 1}, 40, (-1.0, 0.0, -0.0, 1.0, NAN))
    )


@pytest.mark.parametrize("op", list(_OPS))
def test_compare_meaning(op: str) -> None:
    values = [-1.0, 0.0, -0.0, 1.0, INF, NAN]
    pairs = [(a, b) for a in values for b in values]
    given = {"u_in1": [a for a, _ in pairs], "u_in2": [b for _, b in pairs]}
    got = ref("std.compare", {"op": op}, given)["y_out"]
    assert got == [1.0 if _OPS[op](a, b) else 0.0 for a, b in pairs]


def test_compare_bad_op() -> None:
    text = error_of("std.compare", {"op": "=>"}, {"in1": 1, "in2": 1})
    assert "parameter 'op': expected one of '<', '<=', '==', '!=', '>', '>=', got '=>'" in text
    text = error_of("std.compare", {}, {"in1": 2, "in2": 3})
    assert "input widths do not match (in1 is 2, in2 is 3)" in text


# --- std.switch -------------------------------------------------------------------------


@pytest.mark.parametrize("criterion", [">=", ">", "!=0"])
@pytest.mark.parametrize(
    "inputs",
    [
        {"in1": 1, "ctrl": 1, "in2": 1},
        {"in1": 3, "ctrl": 1, "in2": 3},
        {"in1": 2, "ctrl": 2, "in2": 1},
        {"in1": 1, "ctrl": 3, "in2": 1},
    ],
)
def test_switch_compiles_exactly(criterion: str, inputs: dict[str, int]) -> None:
    params = {"criterion": criterion, "threshold": 0.5}
    check_all("std.switch", params, inputs)
    model = block_model("std.switch", params, inputs)
    values = (-1.0, 0.0, -0.0, 0.5, 1.0, NAN, INF)
    compile_and_check(model, 40, inputs=columns(inputs, 40, values, seed=7))


def test_switch_meaning() -> None:
    ctrl = [1.0, 0.5, 0.0, -0.0, -1.0, NAN, INF]
    given = {"u_in1": [10.0] * 7, "u_ctrl": ctrl, "u_in2": [20.0] * 7}
    got = ref("std.switch", {"criterion": ">=", "threshold": 0.5}, given)["y_out"]
    assert got == [10, 10, 20, 20, 20, 20, 10]
    got = ref("std.switch", {"criterion": ">", "threshold": 0.5}, given)["y_out"]
    assert got == [10, 20, 20, 20, 20, 20, 10]
    # !=0 ignores the threshold; NaN is not zero, -0 is
    got = ref("std.switch", {"criterion": "!=0", "threshold": 0.5}, given)["y_out"]
    assert got == [10, 10, 20, 20, 10, 10, 10]
    # default: ctrl >= 0
    got = ref("std.switch", {}, given)["y_out"]
    assert got == [10, 10, 10, 10, 20, 20, 10]


def test_switch_vector_ctrl_and_ports() -> None:
    given = {
        "u_in1[0]": [1.0],
        "u_in1[1]": [2.0],
        "u_ctrl[0]": [1.0],
        "u_ctrl[1]": [-1.0],
        "u_in2": [9.0],
    }
    got = ref("std.switch", {}, given)
    assert (got["y_out[0]"], got["y_out[1]"]) == ([1.0], [9.0])
    assert Switch().inputs({"criterion": ">=", "threshold": 0.0}) == ("in1", "ctrl", "in2")


def test_switch_bad_params() -> None:
    inputs = {"in1": 1, "ctrl": 1, "in2": 1}
    text = error_of("std.switch", {"criterion": "<"}, inputs)
    assert "parameter 'criterion': expected one of '>=', '>', '!=0', got '<'" in text
    text = error_of("std.switch", {"threshold": "nan"}, inputs)
    assert "parameter 'threshold': NaN is not allowed here" in text
    text = error_of("std.switch", {}, {"in1": 2, "ctrl": 3, "in2": 1})
    assert "input widths do not match (in1 is 2, ctrl is 3, in2 is 1)" in text


# --- std.polynomial -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "coeffs",
    [[2.0], [1.0, 0.0], [0.5, -1.0, 2.0], [1.0, -3.0, 3.0, -1.0], [0.0, 1.0, 0.0, 2.5, -1.0]],
)
@pytest.mark.parametrize("width", [1, 3])
def test_polynomial_compiles_exactly(coeffs: list[float], width: int) -> None:
    check_all("std.polynomial", {"coeffs": coeffs}, {"in": width})


def test_polynomial_small_integers_exact() -> None:
    xs = [0.0, 1.0, 2.0, 3.0, -1.0]
    got = ref("std.polynomial", {"coeffs": [1, -3, 2]}, {"u_in": xs})["y_out"]
    assert got == [2.0, 0.0, 0.0, 2.0, 6.0]
    assert got == list(np.polyval([1.0, -3.0, 2.0], xs))


def test_polynomial_matches_numpy_polyval() -> None:
    rng = np.random.default_rng(5)
    coeffs = list(rng.uniform(-2.0, 2.0, 6))
    xs = list(rng.uniform(-1.5, 1.5, 50))
    got = ref("std.polynomial", {"coeffs": coeffs}, {"u_in": xs}, target="zynq7020-double")
    np.testing.assert_allclose(got["y_out"], np.polyval(coeffs, xs), rtol=1e-12, atol=1e-12)
    # Horner's rule step by step is exact in binary64
    horner = []
    for x in xs:
        acc = coeffs[0]
        for c in coeffs[1:]:
            acc = acc * x + c
        horner.append(acc)
    assert got["y_out"] == horner


def test_polynomial_constant_and_leading_zero() -> None:
    given = {"u_in[0]": [5.0, INF], "u_in[1]": [-1.0, NAN]}
    got = ref("std.polynomial", {"coeffs": [2.5]}, given)
    assert (got["y_out[0]"], got["y_out[1]"]) == ([2.5, 2.5], [2.5, 2.5])
    ys = ref("std.polynomial", {"coeffs": [0.0, 1.0, 0.0]}, {"u_in": [3.0, INF]})["y_out"]
    assert same(ys, [3.0, NAN])  # the leading zero is evaluated: 0*inf = NaN


def test_polynomial_bad_coeffs() -> None:
    text = error_of("std.polynomial", {"coeffs": []}, {"in": 1})
    assert "(std.polynomial): error: parameter 'coeffs': expected at least one number" in text
    text = error_of("std.polynomial", {"coeffs": [1, "x"]}, {"in": 1})
    assert "parameter 'coeffs': expected a number, got 'x'" in text
    text = error_of("std.polynomial", {"coeffs": [1, "nan"]}, {"in": 1})
    assert "parameter 'coeffs': NaN is not allowed here" in text
