"""Tests of the extra library, as its author would write them.

Needs the package installed (``pip install -e .``) so that vtc finds it
through its entry point; uses only vtc's public driver. Every block is
checked three ways: the compiled program equals vtc's reference interpreter
bit for bit (``check``, as ``vtc check`` does), the reference equals an
independent NumPy transcription of the documented formula, and each invalid
parameter gives a clear error naming the block.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Mapping, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import vtc_extra_blocks
from vtc_extra_blocks import MIN_ALPHA, lowpass_alpha

from vtc.compiler.driver import CompileOptions, check, compile_model, reference_run
from vtc.compiler.errors import VtcError
from vtc.compiler.model import Model, loads

TARGETS: dict[str, type[np.floating[Any]]] = {
    "zynq7020-single": np.float32,
    "zynq7020-double": np.float64,
}


def one_block(
    btype: str, params: Mapping[str, Any], width: int = 1, target: str = "zynq7020-single"
) -> Model:
    """A model ``u -> b -> y`` around one block (input column ``u``, output ``y``)."""
    doc = {
        "format": "vtc-model",
        "version": 1,
        "name": "t",
        "target": target,
        "blocks": [
            {"id": "u", "type": "std.inport", "params": {"port": 0, "width": width}},
            {"id": "b", "type": btype, "params": dict(params)},
            {"id": "y", "type": "std.outport", "params": {"port": 0}},
        ],
        "connections": [
            {"from": ["u", "out"], "to": ["b", "in"]},
            {"from": ["b", "out"], "to": ["y", "in"]},
        ],
    }
    return loads(json.dumps(doc), "test.json")


def run_reference(model: Model, xs: Sequence[float]) -> list[float]:
    return list(reference_run(model, len(xs), {"u": list(xs)}, file="test.json").outputs["y"])


def same_bits(got: Sequence[float], want: Sequence[float]) -> bool:
    """Equal as numbers of the target precision, signed zeros apart, NaN == NaN."""
    return all(
        (math.isnan(a) and math.isnan(b))
        or (a == b and math.copysign(1.0, a) == math.copysign(1.0, b))
        for a, b in zip(got, want, strict=True)
    )


# --- registration -------------------------------------------------------------------


def test_the_entry_point_gives_every_block() -> None:
    (ep,) = [ep for ep in entry_points(group="vtc.blocks") if ep.name == "extra"]
    assert ep.value == "vtc_extra_blocks:BLOCKS"
    assert ep.load() is vtc_extra_blocks.BLOCKS
    names = [cls.type_name for cls in vtc_extra_blocks.BLOCKS]
    assert names == ["extra.rms", "extra.lowpass1", "extra.deadband"]
    for cls in vtc_extra_blocks.BLOCKS:
        assert cls.doc.strip().splitlines()[0] and cls.label and cls.category


def test_only_the_block_api_is_imported_from_vtc() -> None:
    package = Path(vtc_extra_blocks.__file__).parent
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            bad = [n for n in names if n.split(".")[0] == "vtc" and n != "vtc.blocks.api"]
            assert not bad, f"{path.name} imports {bad}"


# --- compiled == reference ------------------------------------------------------------

CASES = [
    ("extra.rms", {"alpha": 0.1}, 1),
    ("extra.rms", {"alpha": 1.0}, 1),
    ("extra.rms", {"alpha": 0.25, "initial": [0.5, 1.0, 2.0]}, 3),
    ("extra.lowpass1", {"fc": 50.0, "Ts": 0.001}, 1),
    ("extra.lowpass1", {"fc": 5.0, "Ts": 0.01, "initial": [1.0, -2.0]}, 2),
    ("extra.deadband", {}, 1),
    ("extra.deadband", {"lower": -0.1, "upper": 0.3}, 3),
    ("extra.deadband", {"lower": "-inf", "upper": 0.2}, 2),
]


@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize(("btype", "params", "width"), CASES)
def test_compiled_code_equals_the_reference(
    btype: str, params: dict[str, Any], width: int, target: str
) -> None:
    model = one_block(btype, params, width, target)
    for level in (0, 1, 2):
        comp = compile_model(model, CompileOptions(opt_level=level), file="test.json")
        res = check(comp, 50, seed=level + 1, lo=-2.0, hi=2.0)
        assert res.ok, f"-O{level}: {res.mismatch}\n{comp.asm_text}"


@pytest.mark.parametrize(
    ("btype", "params"),
    [("extra.rms", {}), ("extra.lowpass1", {"fc": 1.0, "Ts": 0.1}), ("extra.deadband", {})],
)
def test_special_values_compile_like_the_reference(btype: str, params: dict[str, Any]) -> None:
    xs = [0.0, -0.0, math.inf, 1.0, math.nan, -math.inf, 0.5, -0.5, 2.0]
    model = one_block(btype, params)
    comp = compile_model(model, CompileOptions(opt_level=1), file="test.json")
    assert check(comp, len(xs), inputs={"u": xs}).ok


# --- the documented meaning -----------------------------------------------------------


def smooth(
    xs: Sequence[float], alpha: float, state: float, dtype: Any, square: bool
) -> tuple[list[float], float]:
    """The documented recurrence, transcribed with NumPy scalars of ``dtype``."""
    a, m, out = dtype(alpha), dtype(state), []
    with np.errstate(all="ignore"):
        for x in xs:
            v = dtype(x)
            s = v * v if square else v
            m = m + a * (s - m)
            out.append(float(np.sqrt(m) if square else m))
    return out, float(m)


@pytest.mark.parametrize("target", list(TARGETS))
def test_rms_follows_its_formula(target: str) -> None:
    dtype = TARGETS[target]
    xs = list(np.random.default_rng(3).uniform(-4.0, 4.0, 64))
    got = run_reference(one_block("extra.rms", {"alpha": 0.05, "initial": 0.3}, 1, target), xs)
    want, _ = smooth(xs, 0.05, 0.3, dtype, square=True)
    assert same_bits(got, want)


def test_rms_with_alpha_one_is_the_magnitude_and_of_a_sine_its_rms() -> None:
    # exact here: every x^2 - m[k-1] below is a number of the target precision
    xs = [-0.0, 1.5, -2.25, 0.0, 0.5]
    got = run_reference(one_block("extra.rms", {"alpha": 1.0}), xs)
    assert same_bits(got, [0.0, 1.5, 2.25, 0.0, 0.5])
    sine = [3.0 * math.sin(2 * math.pi * k / 50) for k in range(4000)]
    ys = run_reference(one_block("extra.rms", {"alpha": 0.002}), sine)
    assert ys[-1] == pytest.approx(3.0 / math.sqrt(2.0), rel=0.02)
    assert all(y >= 0.0 for y in ys)


def test_the_state_stays_poisoned_after_a_non_finite_input() -> None:
    ys = run_reference(one_block("extra.rms", {"alpha": 0.5}), [1.0, math.inf, 1.0, 1.0])
    assert ys[0] == float(np.sqrt(np.float32(0.5))) and ys[1] == math.inf
    assert math.isnan(ys[2]) and math.isnan(ys[3])
    lp = one_block("extra.lowpass1", {"fc": 1.0, "Ts": 0.1})
    ys = run_reference(lp, [1.0, math.inf, 1.0, math.nan, 1.0])
    assert ys[0] == float(np.float32(lowpass_alpha(1.0, 0.1))) and ys[1] == math.inf
    assert all(math.isnan(y) for y in ys[2:])


@pytest.mark.parametrize("target", list(TARGETS))
def test_lowpass1_follows_its_formula(target: str) -> None:
    dtype = TARGETS[target]
    xs = list(np.random.default_rng(4).uniform(-1.0, 1.0, 64))
    params = {"fc": 20.0, "Ts": 0.002, "initial": -0.25}
    got = run_reference(one_block("extra.lowpass1", params, 1, target), xs)
    want, _ = smooth(xs, lowpass_alpha(20.0, 0.002), -0.25, dtype, square=False)
    assert same_bits(got, want)


def test_lowpass1_alpha_dc_gain_and_cut_off() -> None:
    assert lowpass_alpha(50.0, 0.001) == -math.expm1(-2 * math.pi * 0.05)
    assert lowpass_alpha(50.0, 0.001) == pytest.approx(1.0 - math.exp(-2 * math.pi * 0.05))
    # the time constant 1/(2*pi*fc) is 100 samples: after it a step has risen to 1 - 1/e
    fc = 1.0 / (2 * math.pi * 100 * 0.001)
    step = run_reference(one_block("extra.lowpass1", {"fc": fc, "Ts": 0.001}), [1.0] * 2000)
    assert step[99] == pytest.approx(1.0 - math.exp(-1.0), rel=1e-4)
    # it settles where alpha*(1 - y) rounds away against y: within 2^-25/alpha of 1
    alpha = lowpass_alpha(fc, 0.001)
    assert step[-1] == step[-2] and 1.0 - 2.0**-25 / alpha <= step[-1] <= 1.0


@pytest.mark.parametrize("target", list(TARGETS))
def test_deadband_follows_its_formula(target: str) -> None:
    dtype = TARGETS[target]
    lower, upper = -0.3, 0.7
    xs = [-1.0, -0.3, -0.2, 0.0, 0.7, 0.75, 2.0, math.inf, -math.inf, math.nan]
    got = run_reference(
        one_block("extra.deadband", {"lower": lower, "upper": upper}, 1, target), xs
    )
    lo, hi = dtype(lower), dtype(upper)

    def band(x: float) -> float:
        v = dtype(x)
        with np.errstate(all="ignore"):
            if not v <= hi:  # NaN too
                return float(v - hi)
            return float(v - lo) if v < lo else 0.0

    want = [band(x) for x in xs]
    assert same_bits(got, want)
    assert math.isnan(got[-1]) and got[1] == 0.0 and got[4] == 0.0
    assert math.copysign(1.0, got[3]) == 1.0


# --- parameter errors -----------------------------------------------------------------

ERRORS = [
    ("extra.rms", {"alpha": 0}, 1, "parameter 'alpha': 0 is outside \\(0, 1\\]"),
    ("extra.rms", {"alpha": 1.5}, 1, "parameter 'alpha': 1.5 is outside \\(0, 1\\]"),
    ("extra.rms", {"initial": -1}, 1, "parameter 'initial': an initial mean square cannot"),
    ("extra.rms", {"initial": [1, 2]}, 3, "'initial' has 2 values, the signal is of width 3"),
    ("extra.rms", {"tau": 1}, 1, "parameter 'tau': extra.rms has no such parameter"),
    ("extra.lowpass1", {"Ts": 0.001}, 1, "parameter 'fc': is required"),
    ("extra.lowpass1", {"fc": 1, "Ts": 0}, 1, "parameter 'Ts': 0 must be a finite number > 0"),
    ("extra.lowpass1", {"fc": -1, "Ts": 1}, 1, "parameter 'fc': -1 must be a finite number"),
    ("extra.lowpass1", {"fc": 600, "Ts": 0.001}, 1, "above the Nyquist frequency .* = 500 Hz"),
    ("extra.lowpass1", {"fc": 1e-40, "Ts": 1e-3}, 1, "fc\\*Ts = 1e-43 is too small"),
    ("extra.lowpass1", {"fc": 1, "Ts": 1, "initial": "nan"}, 1, "must be a finite number"),
    ("extra.deadband", {"lower": 1, "upper": 0}, 1, "parameter 'upper': 0 is below lower \\(1\\)"),
    ("extra.deadband", {"lower": "x"}, 1, "parameter 'lower': expected a number, got 'x'"),
]


@pytest.mark.parametrize(("btype", "params", "width", "message"), ERRORS)
def test_bad_parameters_are_reported_with_the_block(
    btype: str, params: dict[str, Any], width: int, message: str
) -> None:
    with pytest.raises(VtcError) as info:
        compile_model(one_block(btype, params, width), file="test.json")
    text = info.value.format()
    assert text.startswith(f"test.json: block b ({btype}): error: "), text
    assert len(text.splitlines()) == 1
    assert re.search(message, text), text


def test_the_smallest_alpha_is_accepted() -> None:
    ts = 1.0
    fc = MIN_ALPHA / (2 * math.pi) * 1.000001
    assert lowpass_alpha(fc, ts) >= MIN_ALPHA
    (y,) = run_reference(one_block("extra.lowpass1", {"fc": fc, "Ts": ts}), [1.0])
    assert 0.0 < y <= 2 * MIN_ALPHA
