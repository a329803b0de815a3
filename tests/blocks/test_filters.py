"""Tests of the discrete-time blocks of vtc.blocks.std.filters.

Every block is compiled at -O0/-O1/-O2 and checked bit for bit against the
reference interpreter; the reference is compared with SciPy (or an
independent float64 loop) on the double-precision target within a tight
tolerance.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from modelkit import block_model, compile_and_check, reference_outputs
from scipy import signal  # type: ignore[import-untyped]

from vtc.blocks.std.filters import (
    Biquad,
    Delay,
    DiscreteIntegrator,
    Fir,
    Pid,
    Sos,
    StateSpace,
    TransferFcn,
)
from vtc.compiler.driver import CompileOptions, compile_model
from vtc.compiler.errors import VtcError
from vtc.compiler.model import loads

DOUBLE = "zynq7020-double"
RNG = np.random.default_rng(1234)


def _close(got: Any, want: Any) -> None:
    want = np.asarray(want, dtype=np.float64)
    scale = max(1.0, float(np.max(np.abs(want))) if want.size else 1.0)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12, atol=1e-12 * scale)


def _run(
    btype: str,
    params: Mapping[str, Any],
    u: np.ndarray,
    *,
    target: str = DOUBLE,
) -> np.ndarray:
    """The reference's output of one block for input rows ``u`` (steps x width)."""
    u = np.asarray(u, dtype=np.float64)
    if u.ndim == 1:
        u = u[:, None]
    width = u.shape[1]
    model = block_model(btype, params, inputs={"in": width}, target=target)
    cols = (
        {"u_in": list(u[:, 0])}
        if width == 1
        else {f"u_in[{k}]": list(u[:, k]) for k in range(width)}
    )
    out = reference_outputs(model, len(u), cols)
    names = sorted(out, key=lambda c: int(c.split("[")[1][:-1]) if "[" in c else 0)
    return np.array([out[c] for c in names], dtype=np.float64).T


# --- bit for bit: compiled == reference at every level ----------------------------------

CASES: list[tuple[str, dict[str, Any], int]] = [
    ("std.delay", {"n": 1}, 1),
    ("std.delay", {"n": 3, "initial": [1.0, -2.0]}, 2),
    ("std.discrete_integrator", {"gain": 0.7, "Ts": 0.1, "initial": 0.25}, 1),
    ("std.discrete_integrator", {"lower": -0.2, "upper": 0.3, "Ts": 0.5, "initial": 2}, 2),
    ("std.discrete_integrator", {"method": "backward_euler", "gain": 3, "upper": 0.4}, 1),
    ("std.discrete_integrator", {"method": "trapezoidal", "Ts": 0.3, "lower": -0.5}, 3),
    ("std.discrete_derivative", {"gain": 1.5, "Ts": 0.01, "initial": [0.5, -0.5]}, 2),
    ("std.fir", {"coeffs": [0.25, 0.0, -0.5, 0.125, 0.0, 0.0]}, 2),
    ("std.fir", {"coeffs": [0.0, 0.3, 0.7]}, 1),
    ("std.fir", {"coeffs": [0.0]}, 1),
    ("std.biquad", {"b": [0.29, 0.59, 0.29], "a": [1.0, 0.0, 0.17]}, 1),
    ("std.biquad", {"b": [1.0, -1.9, 1.0], "a": [2.0, -1.2, 0.5]}, 3),
    ("std.sos", {"sos": [[1, 2, 1, 1, -0.5, 0.2], [0.5, 0, -0.5, 2, 0.1, 0.3]]}, 2),
    ("std.sos", {"sos": [[0.3, 0.1, 0, 1, -0.4, 0], [0, 1, 0.2, 1, 0.1, 0.05]]}, 1),
    ("std.transfer_fcn", {"num": [0, 0.5, 0.25], "den": [2, -0.5, 0.1, 0.05]}, 1),
    ("std.transfer_fcn", {"num": [1.0, 0.5], "den": [1.0]}, 2),
    (
        "std.state_space",
        {"A": [[0.5, 0.1], [0, 0.9]], "B": [[1, 0], [0, 1]], "C": [[1, 1]], "D": [[0, 0.5]]},
        2,
    ),
    ("std.state_space", {"A": [[0.9]], "B": [[0.1]], "C": [[2.0], [0.0]], "x0": 1.5}, 1),
    ("std.pid", {"Kp": 2, "Ki": 1, "Kd": 0.1, "Ts": 0.01, "N": 50}, 1),
    (
        "std.pid",
        {
            "Kp": 3,
            "Ki": 40,
            "Kd": 0.05,
            "Ts": 0.01,
            "N": 20,
            "lower": -1,
            "upper": 1,
            "anti_windup": "clamping",
        },
        2,
    ),
    ("std.pid", {"Kp": 0, "Ki": 5, "Kd": 0, "upper": 0.5, "anti_windup": "clamping"}, 1),
]


@pytest.mark.parametrize(("btype", "params", "width"), CASES)
def test_compiled_equals_reference(btype: str, params: dict[str, Any], width: int) -> None:
    compile_and_check(block_model(btype, params, inputs={"in": width}), 30, lo=-2, hi=2)


@pytest.mark.parametrize(
    ("btype", "params"),
    [
        ("std.biquad", {"b": [0.29, 0.59, 0.29], "a": [1.0, 0.0, 0.17]}),
        (
            "std.pid",
            {
                "Kp": 3,
                "Ki": 40,
                "Kd": 0.05,
                "Ts": 0.01,
                "lower": -1,
                "upper": 1,
                "anti_windup": "clamping",
            },
        ),
        ("std.state_space", {"A": [[0.5, 0.1], [0.2, 0.9]], "B": [[1], [0.5]], "C": [[1, 1]]}),
    ],
)
def test_compiled_equals_reference_double(btype: str, params: dict[str, Any]) -> None:
    width = 1
    compile_and_check(block_model(btype, params, inputs={"in": width}, target=DOUBLE), 30)


SPECIAL = [0.5, float("nan"), 1.0, float("inf"), -0.0, float("-inf"), 0.0, 1e300, -1e300, 2.0]


@pytest.mark.parametrize(
    ("btype", "params"),
    [
        ("std.discrete_integrator", {"method": "trapezoidal", "lower": -1.0, "upper": 1.0}),
        ("std.discrete_integrator", {"lower": -1.0, "upper": 1.0, "initial": "nan"}),
        ("std.discrete_derivative", {"Ts": 0.1}),
        ("std.fir", {"coeffs": [0.0, 0.5, 0.0, 0.25]}),
        ("std.transfer_fcn", {"num": [0.0, 0.5], "den": [1.0, 0.0, -0.25]}),
        ("std.state_space", {"A": [[0.5, 0], [1, 0]], "B": [[1], [0]], "C": [[0, 1]]}),
        ("std.pid", {"Kd": 0.5, "Ts": 0.1, "N": 5.0, "lower": -1.0, "anti_windup": "clamping"}),
    ],
)
def test_special_values_compile_bit_for_bit(btype: str, params: dict[str, Any]) -> None:
    """NaN, infinities, signed zeros and overflow behave the same compiled and in the reference."""
    model = block_model(btype, params, inputs={"in": 1})
    compile_and_check(model, len(SPECIAL), inputs={"u_in": SPECIAL}, levels=(0, 1))


def test_streaming_keeps_filter_state_across_iterations() -> None:
    model = block_model(
        "std.sos", {"sos": [[1, 2, 1, 1, -0.5, 0.2]]}, inputs={"in": 1}, samples_per_run=4
    )
    compile_and_check(model, 24, levels=(0, 1))


# --- SciPy and independent float64 loops (double-precision target) -------------------------


def test_delay_shifts_by_n() -> None:
    u = RNG.uniform(-1, 1, (20, 2))
    got = _run("std.delay", {"n": 3, "initial": [7.0, 8.0]}, u)
    want = np.vstack([[[7.0, 8.0]] * 3, u[:-3]])
    assert np.array_equal(got, want)


@pytest.mark.parametrize(
    ("b", "a"),
    [
        ([0.29, 0.59, 0.29], [1.0, 0.0, 0.17]),
        ([1.0, -1.9, 1.0], [2.0, -1.2, 0.5]),
        ([0.0, 0.4, 0.0], [1.0, -0.3, 0.0]),
    ],
)
def test_biquad_matches_lfilter(b: list[float], a: list[float]) -> None:
    u = RNG.uniform(-1, 1, (60, 3))
    got = _run("std.biquad", {"b": b, "a": a}, u)
    _close(got, signal.lfilter(b, a, u, axis=0))


def test_sos_matches_sosfilt() -> None:
    sos = signal.butter(6, 0.2, output="sos")
    u = RNG.uniform(-1, 1, (80, 2))
    got = _run("std.sos", {"sos": sos.tolist()}, u)
    _close(got, signal.sosfilt(sos, u, axis=0))


def test_sos_rows_are_normalised_by_their_a0() -> None:
    rows = [[1.0, 2.0, 1.0, 4.0, -2.0, 0.8], [0.5, 0.0, -0.5, 0.5, 0.05, 0.15]]
    norm = [list(np.array(r) / r[3]) for r in rows]
    u = RNG.uniform(-1, 1, 50)
    got = _run("std.sos", {"sos": rows}, u)
    _close(got[:, 0], signal.sosfilt(np.array(norm), u))


@pytest.mark.parametrize(
    ("num", "den"),
    [
        ([0.2, 0.3, 0.1], [1.0, -0.4, 0.2]),
        ([0.0, 0.5, 0.25], [2.0, -0.5, 0.1, 0.05]),
        ([3.0], [1.0, -0.5]),
        ([0.1, 0.2, 0.3, 0.4], [1.0]),
        (*signal.butter(4, 0.3),),
    ],
)
def test_transfer_fcn_matches_lfilter(num: Any, den: Any) -> None:
    u = RNG.uniform(-1, 1, 70)
    got = _run("std.transfer_fcn", {"num": list(num), "den": list(den)}, u)
    _close(got[:, 0], signal.lfilter(num, den, u))


_COEF = st.floats(-1.0, 1.0, allow_nan=False, allow_subnormal=False)


@settings(max_examples=25, deadline=None)
@given(
    num=st.lists(_COEF, min_size=1, max_size=5),
    poles=st.lists(st.floats(-0.9, 0.9), min_size=0, max_size=4),
    den0=st.sampled_from([1.0, 0.5, -3.0]),
    seed=st.integers(0, 2**16),
)
def test_random_transfer_fcn_matches_lfilter(
    num: list[float], poles: list[float], den0: float, seed: int
) -> None:
    den = list(np.poly(poles) * den0) if poles else [den0]
    u = np.random.default_rng(seed).uniform(-1, 1, 30)
    got = _run("std.transfer_fcn", {"num": num, "den": den}, u)
    _close(got[:, 0], signal.lfilter(num, den, u))


def test_fir_matches_lfilter() -> None:
    c = [0.25, 0.0, -0.5, 0.125, 0.3]
    u = RNG.uniform(-1, 1, (40, 2))
    got = _run("std.fir", {"coeffs": c}, u)
    _close(got, signal.lfilter(c, [1.0], u, axis=0))


def test_state_space_matches_dlsim() -> None:
    a = [[0.5, 0.1, 0.0], [-0.2, 0.8, 0.3], [0.0, 0.1, 0.6]]
    b = [[1.0, 0.0], [0.0, 0.5], [0.3, 0.2]]
    c = [[1.0, 0.0, 1.0], [0.0, -1.0, 0.5]]
    d = [[0.0, 0.1], [0.2, 0.0]]
    x0 = [0.5, -0.25, 1.0]
    u = RNG.uniform(-1, 1, (40, 2))
    got = _run("std.state_space", {"A": a, "B": b, "C": c, "D": d, "x0": x0}, u)
    _, want, _ = signal.dlsim((np.array(a), np.array(b), np.array(c), np.array(d), 1.0), u, x0=x0)
    _close(got, want)


@pytest.mark.parametrize("method", ["forward_euler", "backward_euler", "trapezoidal"])
def test_integrator_matches_its_transfer_function(method: str) -> None:
    gain, ts, init = 1.5, 0.1, 0.25
    k = gain * ts
    num = {"forward_euler": [0.0, k], "backward_euler": [k], "trapezoidal": [k / 2, k / 2]}
    u = RNG.uniform(-1, 1, 50)
    got = _run(
        "std.discrete_integrator",
        {"gain": gain, "Ts": ts, "method": method, "initial": init},
        u,
    )
    # the initial state adds a constant: y[-1] = init (forward: y[0] = init)
    _close(got[:, 0], signal.lfilter(num[method], [1.0, -1.0], u) + init)


@pytest.mark.parametrize("method", ["forward_euler", "backward_euler", "trapezoidal"])
def test_integrator_limits_match_a_float64_loop(method: str) -> None:
    gain, ts, lo, hi = 2.0, 0.25, -0.4, 0.6
    u = RNG.uniform(-1, 1.2, 80)
    got = _run(
        "std.discrete_integrator",
        {"gain": gain, "Ts": ts, "method": method, "initial": 5.0, "lower": lo, "upper": hi},
        u,
    )

    def sat(v: float) -> float:
        return min(max(v, lo), hi)

    x, want = sat(5.0), []
    for uk in u:
        if method == "forward_euler":
            want.append(x)
            x = sat(x + gain * ts * uk)
        elif method == "backward_euler":
            x = sat(x + gain * ts * uk)
            want.append(x)
        else:
            y = sat(x + gain * ts / 2 * uk)
            want.append(y)
            x = y + gain * ts / 2 * uk
    _close(got[:, 0], want)
    assert min(want) == lo and max(want) == hi  # both limits were reached


def test_derivative_matches_lfilter() -> None:
    gain, ts = 0.5, 0.01
    u = RNG.uniform(-1, 1, (30, 2))
    got = _run("std.discrete_derivative", {"gain": gain, "Ts": ts, "initial": [0.2, 0.0]}, u)
    want = signal.lfilter([gain / ts, -gain / ts], [1.0], u, axis=0)
    want[0, 0] -= gain / ts * 0.2
    _close(got, want)


def _pid_loop(e: Any, p: Mapping[str, Any]) -> list[float]:
    """Simulink's parallel discrete PID, forward Euler, written independently."""
    kp, ki, kd, ts, n = p["Kp"], p["Ki"], p["Kd"], p["Ts"], p["N"]
    lo = p.get("lower", -math.inf)
    hi = p.get("upper", math.inf)
    clamping = p.get("anti_windup") == "clamping"
    integ = filt = 0.0
    out = []
    for ek in e:
        d = n * (kd * ek - filt)
        v = kp * ek + integ + d
        out.append(min(max(v, lo), hi))
        i_in = ki * ek
        if clamping and ((v > hi and i_in > 0) or (v < lo and i_in < 0)):
            i_in = 0.0
        integ += ts * i_in
        filt += ts * d
    return out


@pytest.mark.parametrize(
    "params",
    [
        {"Kp": 2.0, "Ki": 1.0, "Kd": 0.1, "Ts": 0.01, "N": 50.0},
        {"Kp": 1.0, "Ki": 30.0, "Kd": 0.02, "Ts": 0.01, "N": 40.0, "lower": -0.5, "upper": 0.8},
        {
            "Kp": 1.0,
            "Ki": 30.0,
            "Kd": 0.02,
            "Ts": 0.01,
            "N": 40.0,
            "lower": -0.5,
            "upper": 0.8,
            "anti_windup": "clamping",
        },
    ],
)
def test_pid_matches_a_float64_loop(params: dict[str, Any]) -> None:
    e = np.concatenate([np.full(40, 1.0), np.full(40, -1.0), RNG.uniform(-1, 1, 40)])
    got = _run("std.pid", params, e)
    _close(got[:, 0], _pid_loop(e, params))


def test_pid_clamping_stops_the_integrator_from_winding_up() -> None:
    base = {"Kp": 0.0, "Ki": 10.0, "Kd": 0.0, "Ts": 0.1, "upper": 1.0, "lower": -1.0}
    e = np.array([1.0] * 30 + [-1.0] * 5)
    plain = _run("std.pid", base, e)[:, 0]
    clamped = _run("std.pid", {**base, "anti_windup": "clamping"}, e)[:, 0]
    # KiTs*e = +-1 per step. Without anti-windup I winds up to 30 and the output
    # stays saturated long after the sign change.
    assert list(plain[30:]) == [1.0] * 5
    # With clamping I stops at 2 (the step that first overshoots still
    # integrates: v = 1 is not beyond the limit), then at -2 on the other side.
    assert list(clamped[:4]) == [0.0, 1.0, 1.0, 1.0]
    assert list(clamped[30:]) == [1.0, 1.0, 0.0, -1.0, -1.0]


def test_pid_vector_is_element_wise() -> None:
    params = {"Kp": 1.5, "Ki": 2.0, "Kd": 0.1, "Ts": 0.05, "N": 10.0}
    e = RNG.uniform(-1, 1, (25, 3))
    got = _run("std.pid", params, e)
    for k in range(3):
        _close(got[:, k], _pid_loop(e[:, k], params))


# --- feedthrough and feedback loops ---------------------------------------------------------


def test_feedthrough_follows_the_parameters() -> None:
    def ft(cls: Any, params: dict[str, Any]) -> bool:
        block = cls()
        return bool(block.feedthrough(block.validate(params)))

    assert not ft(TransferFcn, {"num": [0.0, 1.0], "den": [1.0, -0.5]})
    assert ft(TransferFcn, {"num": [1.0, 1.0], "den": [1.0, -0.5]})
    assert not ft(Fir, {"coeffs": [0.0, 1.0]})
    assert not ft(Biquad, {"b": [0.0, 1.0, 0.0], "a": [1.0, 0.2, 0.0]})
    assert not ft(Sos, {"sos": [[1, 0, 0, 1, 0, 0], [0, 1, 0, 1, 0.5, 0]]})
    assert ft(Sos, {"sos": [[1, 0, 0, 1, 0, 0], [2, 1, 0, 1, 0.5, 0]]})
    assert not ft(StateSpace, {"A": [[1]], "B": [[1]], "C": [[1]]})
    assert ft(StateSpace, {"A": [[1]], "B": [[1]], "C": [[1]], "D": [[0.5]]})
    assert not ft(DiscreteIntegrator, {})
    assert ft(DiscreteIntegrator, {"method": "trapezoidal"})
    assert not ft(Pid, {"Kp": 0.0, "Ki": 1.0})
    assert ft(Pid, {"Kp": 0.0, "Ki": 1.0, "Kd": 0.1})
    assert not ft(Delay, {"n": 2})


def _loop_model(btype: str, params: dict[str, Any], target: str = DOUBLE) -> str:
    """r -> sum(+-) -> block -> back into the sum; y is the block's output."""
    return json.dumps(
        {
            "format": "vtc-model",
            "version": 1,
            "name": "loop",
            "target": target,
            "blocks": [
                {"id": "r", "type": "std.inport", "params": {"port": 0}},
                {"id": "s", "type": "std.sum", "params": {"signs": "+-"}},
                {"id": "f", "type": btype, "params": params},
                {"id": "y", "type": "std.outport", "params": {"port": 0}},
            ],
            "connections": [
                {"from": ["r", "out"], "to": ["s", "in1"]},
                {"from": ["f", "out"], "to": ["s", "in2"]},
                {"from": ["s", "out"], "to": ["f", "in"]},
                {"from": ["f", "out"], "to": ["y", "in"]},
            ],
        }
    )


def test_feedback_loop_through_a_transfer_fcn_with_num0_zero() -> None:
    model = loads(_loop_model("std.transfer_fcn", {"num": [0.0, 0.5], "den": [1.0, -0.3]}), "t")
    compile_and_check(model, 40)
    r = list(RNG.uniform(-1, 1, 40))
    got = reference_outputs(model, 40, {"r": r})["y"]
    y, e_prev, want = 0.0, 0.0, []
    for rk in r:
        y = 0.5 * e_prev + 0.3 * y
        want.append(y)
        e_prev = rk - y
    _close(got, want)


@pytest.mark.parametrize(
    ("btype", "params"),
    [
        ("std.delay", {"n": 2}),
        ("std.discrete_integrator", {"gain": 0.5, "upper": 0.8}),
        ("std.fir", {"coeffs": [0.0, 0.5, 0.25]}),
        ("std.biquad", {"b": [0.0, 0.4, 0.1], "a": [1.0, -0.2, 0.1]}),
        ("std.sos", {"sos": [[0.5, 0.1, 0, 1, 0.2, 0], [0, 0.3, 0, 1, -0.1, 0]]}),
        ("std.state_space", {"A": [[0.5]], "B": [[1.0]], "C": [[0.4]]}),
        ("std.pid", {"Kp": 0.0, "Ki": 0.5, "Ts": 0.5, "upper": 2.0, "anti_windup": "clamping"}),
    ],
)
def test_other_blocks_without_feedthrough_close_loops(btype: str, params: dict[str, Any]) -> None:
    compile_and_check(loads(_loop_model(btype, params, "zynq7020-single"), "t"), 25, levels=(1,))


def test_loop_through_a_transfer_fcn_with_feedthrough_is_algebraic() -> None:
    model = loads(_loop_model("std.transfer_fcn", {"num": [0.1, 0.5], "den": [1.0, -0.3]}), "t")
    with pytest.raises(VtcError, match="algebraic loop"):
        compile_model(model, CompileOptions(), file="test.json")


# --- parameter errors ------------------------------------------------------------------------

ERRORS: list[tuple[str, dict[str, Any], int, str]] = [
    ("std.delay", {"n": 0}, 1, r"parameter 'n': 0 is outside \[1, 65535\]"),
    ("std.delay", {"n": 2, "initial": [1, 2, 3]}, 2, "'initial' has 3 values, the signal is"),
    ("std.discrete_integrator", {"Ts": 0}, 1, "parameter 'Ts': must be a positive finite"),
    ("std.discrete_integrator", {"method": "euler"}, 1, "parameter 'method': expected one of"),
    (
        "std.discrete_integrator",
        {"lower": 1, "upper": 0},
        1,
        "parameter 'lower': the lower limit 1 is above the upper limit 0",
    ),
    ("std.discrete_derivative", {"Ts": -1}, 1, "parameter 'Ts': must be a positive finite"),
    ("std.fir", {"coeffs": [1, "inf"]}, 1, "parameter 'coeffs': entry 1 is inf"),
    ("std.biquad", {"b": [1, 2]}, 1, "parameter 'b': needs exactly 3 coefficients, got 2"),
    ("std.biquad", {"a": [0, 1, 0]}, 1, r"parameter 'a': a\[0\] must not be 0"),
    ("std.sos", {"sos": [[1, 0, 0, 1, 0]]}, 1, "parameter 'sos': rows have 5 entries"),
    (
        "std.sos",
        {"sos": [[1, 0, 0, 1, 0, 0], [1, 0, 0, 0, 1, 0]]},
        1,
        "parameter 'sos': a0 of row 1 must not be 0",
    ),
    ("std.transfer_fcn", {"den": [0, 1]}, 1, r"parameter 'den': den\[0\] must not be 0"),
    (
        "std.transfer_fcn",
        {"num": [1e300], "den": [1e-300]},
        1,
        r"parameter 'den': dividing by den\[0\] = 1e-300 gives a coefficient out of range",
    ),
    ("std.state_space", {"B": [[1]], "C": [[1]]}, 1, "parameter 'A': is required"),
    (
        "std.state_space",
        {"A": [[1, 0]], "B": [[1]], "C": [[1]]},
        1,
        "parameter 'A': must be square, got 1x2",
    ),
    (
        "std.state_space",
        {"A": [[1, 0], [0, 1]], "B": [[1]], "C": [[1, 1]]},
        1,
        "parameter 'B': has 1 rows, A is 2x2: B needs 2",
    ),
    (
        "std.state_space",
        {"A": [[1, 0], [0, 1]], "B": [[1], [1]], "C": [1, 1]},
        1,
        "parameter 'C': has 1 columns, A is 2x2: C needs 2",
    ),
    (
        "std.state_space",
        {"A": [[1]], "B": [[1]], "C": [[1]], "D": [[1, 2]]},
        1,
        r"parameter 'D': is 1x2, needs 1x1 \(C's rows x B's columns\)",
    ),
    (
        "std.state_space",
        {"A": [[1]], "B": [[1]], "C": [[1]], "x0": [1, 2]},
        1,
        "parameter 'x0': has 2 values, A has 1 states",
    ),
    (
        "std.state_space",
        {"A": [[1]], "B": [[1, 2]], "C": [[1]]},
        3,
        "B has 2 columns, so the input must have width 2, not 3",
    ),
    ("std.pid", {"N": 0}, 1, "parameter 'N': must be a positive finite number, got 0"),
    ("std.pid", {"anti_windup": "back"}, 1, "parameter 'anti_windup': expected one of"),
    ("std.pid", {"lower": 2, "upper": 1}, 1, "parameter 'lower': the lower limit 2 is above"),
]


@pytest.mark.parametrize(("btype", "params", "width", "message"), ERRORS)
def test_parameter_errors(btype: str, params: dict[str, Any], width: int, message: str) -> None:
    with pytest.raises(VtcError, match=rf"test\.json: block b \({btype}\): error: {message}"):
        compile_model(block_model(btype, params, inputs={"in": width}), file="test.json")
