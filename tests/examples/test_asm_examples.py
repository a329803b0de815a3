"""Every assembly example, simulated cycle-accurately, equals NumPy bit for bit.

Each NumPy reference performs the same binary32 operations in the same order
as the example's source (NumPy's float32 arithmetic is IEEE round-to-nearest),
written independently of the toolchain.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vtc.compiler.asm.driver import assemble_file
from vtc.compiler.sim.simulator import Simulator

EXAMPLES = Path(__file__).parents[2] / "examples" / "asm"
f32 = np.float32


def simulate(name: str, runs: int, inputs: dict[str, list[float]]) -> dict[str, np.ndarray]:
    asm = assemble_file(EXAMPLES / f"{name}.s")
    result = Simulator(asm.machine).run(runs, inputs)
    assert result.cycles == [asm.report["cycles"]] * runs
    return {k: np.array(v, dtype=np.float32) for k, v in result.outputs.items()}


def same_bits(a: np.ndarray, b: np.ndarray) -> None:
    assert a.shape == b.shape
    np.testing.assert_array_equal(a.view(np.uint32), np.asarray(b, np.float32).view(np.uint32))


def test_biquad() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, 40).astype(np.float32)
    b0, b1, b2 = f32(0.29289322), f32(0.58578644), f32(0.29289322)
    a1, a2 = f32(0.0), f32(0.17157288)
    x1 = x2 = y1 = y2 = f32(0.0)
    ys = []
    for u in x:
        acc = ((u * b0 + x1 * b1) + x2 * b2 - y1 * a1) - y2 * a2
        x2, x1, y2, y1 = x1, u, y1, acc
        ys.append(acc)
    out = simulate("biquad", len(x), {"x": [float(v) for v in x]})
    same_bits(out["y"], np.array(ys, np.float32))


def test_streaming_smoother() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(0, 1, 64 * 3).astype(np.float32)
    alpha, beta = f32(0.125), f32(0.875)
    s = f32(0.0)
    ys = []
    for u in x:
        s = u * alpha + s * beta
        ys.append(s)
    out = simulate("smooth", 3, {"x": [float(v) for v in x]})
    same_bits(out["y"], np.array(ys, np.float32))


def test_newton_square_root() -> None:
    a = np.random.default_rng(3).uniform(0.01, 100, 25).astype(np.float32)
    x = (a + f32(1.0)) * f32(0.5)  # vectorised over the runs
    for _ in range(8):
        x = (x + a / x) * f32(0.5)
    out = simulate("newton", len(a), {"a": [float(v) for v in a]})
    same_bits(out["r"], x)
    assert np.allclose(out["r"], np.sqrt(a), rtol=1e-6)


def test_polynomial_three_outputs() -> None:
    v = np.random.default_rng(4).uniform(-3, 3, 30).astype(np.float32)
    h = ((v * f32(3.0) + f32(-2.0)) * v + f32(0.5)) * v + f32(1.0)
    g = (v * f32(9.0) + f32(-4.0)) * v + f32(0.5)
    c = np.minimum(np.maximum(h, f32(0.0)), f32(10.0))
    out = simulate("poly", len(v), {"x": [float(t) for t in v]})
    same_bits(out["p"], h)
    same_bits(out["dp"], g)
    same_bits(out["pc"], c)


@pytest.mark.parametrize("seed", [5, 6])
def test_sobel_magnitude(seed: int) -> None:
    img = np.random.default_rng(seed).integers(0, 256, (3, 16)).astype(np.float32)
    top, mid, bot = img
    two = f32(2.0)
    left, centre, right = slice(0, 14), slice(1, 15), slice(2, 16)
    gx = (top[right] + bot[right] + mid[right] * two) - (top[left] + bot[left] + mid[left] * two)
    gy = (bot[left] + bot[right] + bot[centre] * two) - (top[left] + top[right] + top[centre] * two)
    mag = np.sqrt(gx * gx + gy * gy)
    out = simulate("sobel", 1, {"top": list(map(float, top)), "mid": list(map(float, mid)),
                                "bot": list(map(float, bot))})  # fmt: skip
    same_bits(out["mag"], mag)
