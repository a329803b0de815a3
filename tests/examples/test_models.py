"""The example models in examples/models/: they load, save canonically, compile,
run bit for bit like the reference interpreter, and compute what they claim.

Every model is compiled at -O1 and -O2 and checked for 100 steps against the
reference interpreter (seed 0, inputs uniform in the model's range). The
semantic tests compare a model's compiled outputs with an independent
SciPy/NumPy formulation of the same filter or transform.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import scipy.signal  # type: ignore[import-untyped]

from vtc.compiler.driver import Compilation, CompileOptions, check, compile_model
from vtc.compiler.model import dumps, load
from vtc.compiler.model.model import Model

MODELS = Path(__file__).parents[2] / "examples" / "models"
FILES = sorted(MODELS.glob("*.json"))

#: Input range of ``vtc check`` for the models whose inputs must stay in a domain.
RANGES: dict[str, tuple[float, float]] = {
    "newton_sqrt": (0.5, 2.0),
    "sensor_linearisation": (0.0, 20.644),
}


@cache
def _model(name: str) -> Model:
    return load(MODELS / f"{name}.json")


@cache
def _compiled(name: str, level: int) -> Compilation:
    return compile_model(_model(name), CompileOptions(opt_level=level), file=f"{name}.json")


def run(name: str, inputs: Mapping[str, Sequence[float]], steps: int) -> dict[str, np.ndarray]:
    """Compiled (-O1) outputs for given inputs, asserted equal to the reference."""
    res = check(_compiled(name, 1), steps, inputs=inputs)
    assert res.ok, f"{name}: compiled != reference at {res.mismatch}"
    return {k: np.array(v) for k, v in res.compiled.items()}


def test_there_are_examples() -> None:
    assert len(FILES) >= 10


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_round_trip_is_canonical(path: Path) -> None:
    model = load(path)
    assert dumps(model) == path.read_text(encoding="utf-8")
    assert model.name == path.stem
    assert model.description


@pytest.mark.parametrize("level", [1, 2])
@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_compiled_equals_reference(path: Path, level: int) -> None:
    comp = _compiled(path.stem, level)
    assert comp.cycles_per_sample > 0
    assert comp.report["cycles_per_sample"] > 0
    lo, hi = RANGES.get(path.stem, (-1.0, 1.0))
    res = check(comp, 100, seed=0, lo=lo, hi=hi)
    assert res.ok, f"-O{level}: first mismatch (step, port, compiled, reference) {res.mismatch}"
    if "deadline_slack_us" in comp.report:
        assert comp.report["deadline_slack_us"] > 0


# --- semantics -------------------------------------------------------------------------


def test_butterworth_matches_sosfilt_in_double() -> None:
    assert _compiled("butterworth_lp", 1).target.precision == "double"
    x = np.random.default_rng(1).uniform(-1, 1, 200)
    y = run("butterworth_lp", {"x": list(x)}, 200)["y"]
    sos = scipy.signal.butter(4, 0.1, output="sos")
    np.testing.assert_allclose(y, scipy.signal.sosfilt(sos, x), rtol=0, atol=1e-13)
    # and it is a low-pass: the DC gain is 1
    y_dc = run("butterworth_lp", {"x": [1.0] * 200}, 200)["y"]
    assert abs(y_dc[-1] - 1.0) < 1e-3


def test_fir_matches_lfilter() -> None:
    x = np.random.default_rng(2).uniform(-1, 1, 60)
    y = run("fir_filter", {"x": list(x)}, 60)["y"]
    taps = scipy.signal.firwin(15, 0.2)
    np.testing.assert_allclose(y, scipy.signal.lfilter(taps, 1.0, x), rtol=0, atol=1e-6)


def test_notch_matches_lfilter() -> None:
    x = np.random.default_rng(3).uniform(-1, 1, 100)
    y = run("notch_50hz", {"x": list(x)}, 100)["y"]
    b, a = scipy.signal.iirnotch(50, 30, fs=1000)
    np.testing.assert_allclose(y, scipy.signal.lfilter(b, a, x), rtol=0, atol=1e-5)


def test_state_space_matches_zoh_discretisation() -> None:
    m, k, c, ts = 0.5, 200.0, 2.0, 1e-3
    a = np.array([[0.0, 1.0], [-k / m, -c / m]])
    b = np.array([[0.0], [1.0 / m]])
    ad, bd, *_ = scipy.signal.cont2discrete((a, b, np.eye(2), np.zeros((2, 1))), ts)
    u = np.random.default_rng(4).uniform(-1, 1, 100)
    y = run("state_space", {"force": list(u)}, 100)["position"]
    x = np.zeros(2)
    expect = []
    for v in u:
        expect.append(x[0])
        x = ad @ x + bd[:, 0] * v
    np.testing.assert_allclose(y, expect, rtol=0, atol=1e-7)
    # a constant force of 1 N settles towards 1/k = 5 mm
    y_step = run("state_space", {"force": [1.0] * 200}, 200)["position"]
    assert 0.0 < y_step.max() < 2.0 / k


def test_kalman_matches_float64_filter() -> None:
    rng = np.random.default_rng(5)
    z = 0.7 + rng.normal(0.0, 0.1, 100)
    out = run("kalman_1d", {"z": list(z)}, 100)
    q, r, x, p = 1e-5, 0.01, 0.0, 1.0
    est, gains = [], []
    for zk in z:
        pm = p + q
        g = pm / (pm + r)
        x = x + g * (zk - x)
        p = (1.0 - g) * pm
        est.append(x)
        gains.append(g)
    np.testing.assert_allclose(out["estimate"], est, rtol=0, atol=1e-5)
    np.testing.assert_allclose(out["K"], gains, rtol=1e-5, atol=0)
    assert abs(out["estimate"][-1] - 0.7) < 0.05


def test_pid_motor_tracks_a_step() -> None:
    out = run("pid_motor", {"setpoint": [1.0] * 300}, 300)
    assert abs(out["speed"][-1] - 1.0) < 0.01
    assert np.all(np.abs(out["voltage"]) <= 12.0)
    assert out["voltage"][0] == 12.0  # saturated at the start
    # the DC gain K/(b R + K^2) needs about 10 V for 1 rad/s
    assert abs(out["voltage"][-1] - 10.01) < 0.1


def test_thermocouple_polynomial_and_limits() -> None:
    emf = [-1.0, 0.0, 4.096, 10.0, 20.644, 25.0]
    temp = run("sensor_linearisation", {"emf_mV": emf}, len(emf))["temp_C"]
    coeffs = _model("sensor_linearisation").blocks
    poly = next(b for b in coeffs if b.id == "nist_k").params["coeffs"]
    expect = np.clip(np.polyval(poly, emf), 0.0, 500.0)
    np.testing.assert_allclose(temp, expect, rtol=1e-5, atol=1e-3)
    # NIST type K table: 4.096 mV at 100 degC, 20.644 mV at 500 degC
    assert abs(temp[2] - 100.0) < 0.05
    assert abs(temp[4] - 500.0) < 0.05
    assert temp[0] == 0.0 and temp[5] == 500.0


def test_sobel_matches_numpy() -> None:
    rng = np.random.default_rng(6)
    win = rng.uniform(0, 1, (64, 9))
    inputs = {f"window[{i}]": list(win[:, i]) for i in range(9)}
    edge = run("sobel", inputs, 64)["edge"]
    kx = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], float).ravel()
    ky = kx.reshape(3, 3).T.ravel()
    expect = np.hypot(win @ kx, win @ ky)
    np.testing.assert_allclose(edge, expect, rtol=1e-5, atol=1e-6)


def test_phase_detector_matches_numpy() -> None:
    rng = np.random.default_rng(7)
    i, q = rng.uniform(-1, 1, 50), rng.uniform(-1, 1, 50)
    out = run("phase_detector", {"I": list(i), "Q": list(q)}, 50)
    np.testing.assert_allclose(out["phase"], np.arctan2(q, i), rtol=0, atol=1e-6)
    np.testing.assert_allclose(out["magnitude"], np.hypot(i, q), rtol=1e-6, atol=0)


def test_clarke_park_matches_numpy() -> None:
    rng = np.random.default_rng(8)
    n = 50
    phase = rng.uniform(-math.pi, math.pi, n)
    amp = rng.uniform(0.2, 1.0, n)
    ia = amp * np.cos(phase)
    ib = amp * np.cos(phase - 2 * math.pi / 3)
    ic = amp * np.cos(phase + 2 * math.pi / 3)
    theta = rng.uniform(-math.pi, math.pi, n)
    out = run(
        "foc_clarke_park",
        {"ia": list(ia), "ib": list(ib), "ic": list(ic), "theta": list(theta)},
        n,
    )
    alpha = (2 * ia - ib - ic) / 3
    beta = (ib - ic) / math.sqrt(3)
    d = alpha * np.cos(theta) + beta * np.sin(theta)
    q = -alpha * np.sin(theta) + beta * np.cos(theta)
    for col, want in (("i_alpha", alpha), ("i_beta", beta), ("i_d", d), ("i_q", q)):
        np.testing.assert_allclose(out[col], want, rtol=0, atol=1e-5, err_msg=col)
    # balanced currents: the space vector has the phase current amplitude
    np.testing.assert_allclose(np.hypot(out["i_d"], out["i_q"]), amp, atol=1e-5)


def test_newton_sqrt_converges() -> None:
    a = np.linspace(0.5, 2.0, 31)
    root = run("newton_sqrt", {"a": list(a)}, len(a))["sqrt_a"]
    np.testing.assert_allclose(root, np.sqrt(a), rtol=2e-7, atol=0)


def test_axis_position_stops_at_the_end_stops() -> None:
    v = [1.0] * 400 + [-0.2] * 100  # 1 m/s is limited to 0.5 m/s
    out = run("axis_position", {"v_cmd": v}, len(v))
    pos, stop = out["position"], out["end_stop"]
    assert pos[0] == pytest.approx(0.15)
    assert pos[100] == pytest.approx(0.15 + 100 * 0.5e-3, abs=1e-5)
    assert pos.max() == pytest.approx(0.3)
    assert stop[:200].max() == 0.0 and stop[350:400].min() == 1.0
    assert pos[-1] == pytest.approx(0.3 - 99 * 0.2e-3, abs=1e-5)
    assert stop[-1] == 0.0
