"""Vector blocks (vtc.blocks.std.vectors): compiled code equals the reference
bit for bit at every level, the reference means what the documentation says,
and bad parameters and widths give clear errors."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest
from modelkit import block_model, compile_and_check, reference_outputs

from vtc.blocks.std import BLOCKS as STD
from vtc.blocks.std.vectors import BLOCKS, Demux, Mux, Selector
from vtc.compiler.driver import CompileOptions, compile_model
from vtc.compiler.errors import VtcError
from vtc.compiler.model import loads

INF, NAN = math.inf, math.nan
EDGES = (0.0, -0.0, 1.0, -1.0, 0.5, 3.0, -7.25, 1e-30, 1e30, -1e30, INF, -INF, NAN)


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
    outputs: Sequence[str] = ("out",),
) -> None:
    """Random inputs, then edge values, at -O0/-O1/-O2."""
    model = block_model(btype, params, inputs, outputs)
    compile_and_check(model, 30, seed=3, lo=-4.0, hi=4.0)
    compile_and_check(model, 40, inputs=columns(inputs, 40))


def vec(values: Sequence[float], port: str = "u_in") -> dict[str, list[float]]:
    """One step's input columns of a vector port."""
    return {f"{port}[{k}]": [v] for k, v in enumerate(values)}


def out(got: Mapping[str, list[float]], port: str, width: int) -> list[float]:
    """One step's output vector of ``y_<port>``."""
    if width == 1:
        return [got[f"y_{port}"][0]]
    return [got[f"y_{port}[{k}]"][0] for k in range(width)]


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


def test_registered_in_std() -> None:
    for cls in BLOCKS:
        assert cls in STD
        assert cls.doc and cls.label


# --- std.dot ----------------------------------------------------------------------------


@pytest.mark.parametrize("width", [1, 2, 5])
def test_dot_compiles_exactly(width: int) -> None:
    check_all("std.dot", {}, {"in1": width, "in2": width})


def test_dot_meaning() -> None:
    given = vec([1, 2, 3], "u_in1") | vec([4, -5, 6], "u_in2")
    model = block_model("std.dot", {}, {"in1": 3, "in2": 3})
    assert reference_outputs(model, 1, given)["y_out"] == [12.0]
    # left to right, each operation rounded: (1e30*1e30 + -1e30*1e30) + 1 overflows first
    given = vec([1e30, -1e30, 1], "u_in1") | vec([1e30, 1e30, 1], "u_in2")
    assert math.isnan(reference_outputs(model, 1, given)["y_out"][0])
    # (1 + 1e8) - 1e8 in single precision: the 1 is lost
    given = vec([1, 1e8, -1e8], "u_in1") | vec([1, 1, 1], "u_in2")
    assert reference_outputs(model, 1, given)["y_out"] == [0.0]


def test_dot_matches_numpy_in_double() -> None:
    rng = np.random.default_rng(11)
    a, b = rng.uniform(-1.0, 1.0, 6), rng.uniform(-1.0, 1.0, 6)
    model = block_model("std.dot", {}, {"in1": 6, "in2": 6}, target="zynq7020-double")
    got = reference_outputs(model, 1, vec(list(a), "u_in1") | vec(list(b), "u_in2"))["y_out"]
    assert got[0] == pytest.approx(float(np.dot(a, b)), rel=1e-14)
    acc = float(a[0] * b[0])
    for x, y in zip(a[1:], b[1:], strict=True):
        acc = acc + float(x * y)
    assert got == [acc]


def test_dot_width_mismatch() -> None:
    text = error_of("std.dot", {}, {"in1": 3, "in2": 2})
    assert (
        "test.json: block b (std.dot): error: the inputs must have the same width "
        "(in1 is 3, in2 is 2)" in text
    )
    text = error_of("std.dot", {}, {"in1": 1, "in2": 4})
    assert "the inputs must have the same width (in1 is 1, in2 is 4)" in text


# --- std.mux ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "inputs"),
    [
        (2, {"in1": 1, "in2": 1}),
        (3, {"in1": 2, "in2": 1, "in3": 3}),
        ([2, 3], {"in1": 2, "in2": 3}),
        (1, {"in1": 4}),
    ],
)
def test_mux_compiles_exactly(width: Any, inputs: dict[str, int]) -> None:
    check_all("std.mux", {"width": width}, inputs)


def test_mux_meaning() -> None:
    model = block_model("std.mux", {"width": 3}, {"in1": 2, "in2": 1, "in3": 2})
    given = vec([1, 2], "u_in1") | {"u_in2": [3.0]} | vec([4, -0.0], "u_in3")
    got = out(reference_outputs(model, 1, given), "out", 5)
    assert got == [1, 2, 3, 4, 0] and math.copysign(1, got[4]) == -1
    assert Mux().inputs({"width": 3.0}) == ("in1", "in2", "in3")
    assert Mux().inputs({"width": (2.0, 1.0)}) == ("in1", "in2")
    assert Mux().output_widths({"width": 2.0}, {"in1": 4, "in2": 1}) == {"out": 5}


def test_mux_default_has_two_inputs() -> None:
    model = block_model("std.mux", {}, {"in1": 1, "in2": 2})
    compile_and_check(model, 5)


def test_mux_errors() -> None:
    text = error_of("std.mux", {"width": [2, 2]}, {"in1": 2, "in2": 3})
    assert "(std.mux): error: input 'in2' has width 3, 'width' says 2" in text
    text = error_of("std.mux", {"width": 0}, {"in1": 1})
    assert (
        "parameter 'width': a number of ports must be a whole number from 1 to 4096, not 0" in text
    )
    text = error_of("std.mux", {"width": 1.5}, {"in1": 1})
    assert (
        "parameter 'width': a number of ports must be a whole number from 1 to 4096, not 1.5"
        in (text)
    )
    text = error_of("std.mux", {"width": [1, -2]}, {"in1": 1, "in2": 1})
    assert "parameter 'width': every width must be a whole number from 1 to 4096, not -2" in text
    text = error_of("std.mux", {"width": [[1, 2]]}, {"in1": 1})
    assert "parameter 'width': expected a number of ports or a list of widths, not a matrix" in text
    text = error_of("std.mux", {"width": "inf"}, {"in1": 1})
    assert "parameter 'width': a number of ports must be a whole number" in text
    text = error_of("std.mux", {"width": []}, {"in1": 1})
    assert "parameter 'width': expected at least one number" in text


# --- std.demux ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "in_width", "outs"),
    [
        (2, 4, 2),
        (3, 3, 3),
        (1, 3, 1),
        ([1, 3, 2], 6, 3),
    ],
)
def test_demux_compiles_exactly(width: Any, in_width: int, outs: int) -> None:
    names = tuple(f"out{k}" for k in range(1, outs + 1))
    check_all("std.demux", {"width": width}, {"in": in_width}, names)


def test_demux_meaning() -> None:
    model = block_model("std.demux", {"width": 2}, {"in": 4}, ("out1", "out2"))
    got = reference_outputs(model, 1, vec([1, 2, 3, 4]))
    assert (out(got, "out1", 2), out(got, "out2", 2)) == ([1, 2], [3, 4])
    model = block_model("std.demux", {"width": [1, 3]}, {"in": 4}, ("out1", "out2"))
    got = reference_outputs(model, 1, vec([1, 2, 3, 4]))
    assert (out(got, "out1", 1), out(got, "out2", 3)) == ([1], [2, 3, 4])
    assert Demux().outputs({"width": 3.0}) == ("out1", "out2", "out3")
    assert Demux().output_widths({"width": 3.0}, {"in": 6}) == {"out1": 2, "out2": 2, "out3": 2}


def test_demux_errors() -> None:
    text = error_of("std.demux", {"width": 2}, {"in": 5}, ("out1", "out2"))
    assert (
        "(std.demux): error: the input's width 5 does not split into 2 equal parts "
        "(give 'width' as a list of output widths for unequal parts)" in text
    )
    text = error_of("std.demux", {"width": 3}, {"in": 1}, ("out1", "out2", "out3"))
    assert "the input's width 1 does not split into 3 equal parts" in text
    text = error_of("std.demux", {"width": [2, 2]}, {"in": 5}, ("out1", "out2"))
    assert "(std.demux): error: the output widths add up to 4, the input's width is 5" in text
    text = error_of("std.demux", {"width": 5000}, {"in": 1}, ("out1",))
    assert "parameter 'width': a number of ports must be a whole number from 1 to 4096" in text


def test_mux_demux_round_trip() -> None:
    """A mux into a demux gives back the mux's inputs (a two-block model)."""
    doc = {
        "format": "vtc-model",
        "version": 1,
        "name": "t",
        "target": "zynq7020-single",
        "blocks": [
            {"id": "a", "type": "std.inport", "params": {"port": 0, "width": 2}},
            {"id": "b", "type": "std.inport", "params": {"port": 1, "width": 3}},
            {"id": "m", "type": "std.mux", "params": {"width": [2, 3]}},
            {"id": "d", "type": "std.demux", "params": {"width": [3, 2]}},
            {"id": "y1", "type": "std.outport", "params": {"port": 0}},
            {"id": "y2", "type": "std.outport", "params": {"port": 1}},
        ],
        "connections": [
            {"from": ["a", "out"], "to": ["m", "in1"]},
            {"from": ["b", "out"], "to": ["m", "in2"]},
            {"from": ["m", "out"], "to": ["d", "in"]},
            {"from": ["d", "out1"], "to": ["y1", "in"]},
            {"from": ["d", "out2"], "to": ["y2", "in"]},
        ],
    }
    model = loads(json.dumps(doc), "test.json")
    compile_and_check(model, 10)
    given = vec([1, 2], "a") | vec([3, 4, 5], "b")
    got = reference_outputs(model, 1, given)
    assert [got[f"y1[{k}]"][0] for k in range(3)] == [1, 2, 3]
    assert [got[f"y2[{k}]"][0] for k in range(2)] == [4, 5]


# --- std.selector --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("indices", "in_width"),
    [([1], 1), ([3, 1], 3), ([2, 2, 4, 1], 4), (2, 5)],
)
def test_selector_compiles_exactly(indices: Any, in_width: int) -> None:
    check_all("std.selector", {"indices": indices}, {"in": in_width})


def test_selector_meaning() -> None:
    model = block_model("std.selector", {"indices": [3, 1, 3]}, {"in": 3})
    got = reference_outputs(model, 1, vec([10, 20, 30]))
    assert out(got, "out", 3) == [30, 10, 30]
    model = block_model("std.selector", {"indices": 2}, {"in": 2})
    assert out(reference_outputs(model, 1, vec([10, 20])), "out", 1) == [20]
    assert Selector().output_widths({"indices": (4.0, 1.0)}, {"in": 4}) == {"out": 2}


def test_selector_errors() -> None:
    text = error_of("std.selector", {"indices": [1, 4]}, {"in": 3})
    assert (
        "test.json: block b (std.selector): error: parameter 'indices': index 4 is outside "
        "the input (width 3, 1-based)" in text
    )
    text = error_of("std.selector", {"indices": [0]}, {"in": 3})
    assert "parameter 'indices': 0 is not an index (whole numbers from 1, as in Simulink)" in text
    text = error_of("std.selector", {"indices": [1.5]}, {"in": 3})
    assert "parameter 'indices': 1.5 is not an index" in text
    text = error_of("std.selector", {"indices": ["nan"]}, {"in": 3})
    assert "parameter 'indices': nan is not an index" in text
    text = error_of("std.selector", {"indices": []}, {"in": 3})
    assert "parameter 'indices': expected at least one number" in text
