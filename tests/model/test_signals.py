"""Test signals of the simulation view (vtc.compiler.signals): values, errors, comparison."""

from __future__ import annotations

import doctest
import math
from pathlib import Path

import pytest

from vtc.compiler import signals
from vtc.compiler.errors import VtcError
from vtc.compiler.machine.formats import parse_format
from vtc.compiler.model.ports import ModelPort
from vtc.compiler.signals import (
    ConstantSignal,
    CsvSignal,
    Mismatch,
    NoiseSignal,
    SineSignal,
    StepSignal,
    describe,
    first_mismatch,
    generate,
    make_inputs,
    read_csv_columns,
    same_value,
)


def _port(column: str, fmt: str = "f32") -> ModelPort:
    return ModelPort(column, column, column, 0, 0, parse_format(fmt))


def test_doctests() -> None:
    result = doctest.testmod(signals)
    assert result.attempted > 0 and result.failed == 0


def test_constant_and_step() -> None:
    assert generate(ConstantSignal(2.5), 3) == [2.5, 2.5, 2.5]
    assert generate(StepSignal(at=2, initial=-1.0, final=3.0), 5) == [-1, -1, 3, 3, 3]
    assert generate(StepSignal(at=0, initial=-1.0, final=3.0), 2) == [3, 3]
    assert generate(StepSignal(at=10), 3) == [0.0, 0.0, 0.0]
    assert generate(ConstantSignal(1.0), 0) == []


def test_sine_in_cycles_per_step_and_in_hz() -> None:
    s = SineSignal(amplitude=2.0, frequency=0.1, phase=0.5, offset=1.0)
    values = generate(s, 20)
    assert values == [1.0 + 2.0 * math.sin(2 * math.pi * 0.1 * k + 0.5) for k in range(20)]
    # 50 Hz at 1 kHz is 0.05 cycles per step
    hz = generate(SineSignal(frequency=50.0, unit="Hz"), 40, sample_time=1e-3)
    per_step = generate(SineSignal(frequency=50.0 * 1e-3), 40)
    assert hz == pytest.approx(per_step, abs=1e-15)
    with pytest.raises(VtcError, match="needs the model's sample_time"):
        generate(SineSignal(frequency=50.0, unit="Hz"), 4)


def test_noise_is_uniform_and_reproducible() -> None:
    a = generate(NoiseSignal(lo=-0.5, hi=2.0, seed=7), 500)
    assert a == generate(NoiseSignal(lo=-0.5, hi=2.0, seed=7), 500)
    assert a != generate(NoiseSignal(lo=-0.5, hi=2.0, seed=8), 500)
    assert all(-0.5 <= v <= 2.0 for v in a)
    assert min(a) < 0.0 and max(a) > 1.5


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ConstantSignal(math.nan), "finite"),
        (lambda: StepSignal(at=-1), "at least 0"),
        (lambda: StepSignal(at=1.5), "whole number"),  # type: ignore[arg-type]
        (lambda: StepSignal(final=math.inf), "finite"),
        (lambda: SineSignal(frequency=-1.0), "must not be negative"),
        (lambda: SineSignal(unit="rpm"), "unknown frequency unit"),  # type: ignore[arg-type]
        (lambda: SineSignal(amplitude="x"), "must be a number"),  # type: ignore[arg-type]
        (lambda: NoiseSignal(lo=1.0, hi=0.0), "above its upper bound"),
        (lambda: NoiseSignal(seed=1.5), "whole number"),  # type: ignore[arg-type]
        (lambda: CsvSignal("", "x"), "choose a CSV file"),
        (lambda: CsvSignal("a.csv", ""), "choose a column"),
    ],
)
def test_bad_parameters_are_refused_when_built(make: object, message: str) -> None:
    with pytest.raises(VtcError, match=message):
        make()  # type: ignore[operator]


def test_csv_column(tmp_path: Path) -> None:
    f = tmp_path / "in.csv"
    f.write_text('\ufefftime, x ,"y"\n0,1.5,-2\n1,2.5,inf\n2,3.5,\n')
    assert read_csv_columns(str(f)) == {
        "time": [0, 1, 2],
        "x": [1.5, 2.5, 3.5],
        "y": [-2, math.inf],
    }
    assert generate(CsvSignal(str(f), "x"), 2) == [1.5, 2.5]
    with pytest.raises(VtcError, match=r"has 2 values; 3 steps need 3") as short:
        generate(CsvSignal(str(f), "y"), 3)
    assert short.value.where == str(f)
    with pytest.raises(VtcError, match=r"no column 'z' \(its columns: time, x, y\)"):
        generate(CsvSignal(str(f), "z"), 1)
    with pytest.raises(VtcError, match="no such file"):
        generate(CsvSignal(str(tmp_path / "missing.csv"), "x"), 1)
    bad = tmp_path / "bad.csv"
    bad.write_text("x\n1\nabc\n")
    with pytest.raises(VtcError, match="'abc' in column 'x' is not a number") as exc:
        generate(CsvSignal(str(bad), "x"), 2)
    assert exc.value.location is not None and exc.value.location.line == 3


def test_make_inputs_rounds_to_the_port_and_names_the_input(tmp_path: Path) -> None:
    ports = [_port("a"), _port("b", "i8"), _port("c", "f64")]
    f = tmp_path / "in.csv"
    f.write_text("c\n0.1\n0.2\n")
    got = make_inputs(
        ports,
        {
            "a": ConstantSignal(0.1),
            "b": StepSignal(at=1, initial=0.4, final=300.0),
            "c": CsvSignal(str(f), "c"),
        },
        2,
    )
    assert got["a"] == [parse_format("f32").quantize(0.1)] * 2
    assert got["a"][0] != 0.1
    assert got["b"] == [0.0, 127.0]
    assert got["c"] == [0.1, 0.2]
    with pytest.raises(VtcError, match="input 'b' has no signal"):
        make_inputs(ports, {"a": ConstantSignal()}, 2)
    with pytest.raises(VtcError, match="input 'c': column 'c' has 2 values") as exc:
        make_inputs(
            ports, {"a": ConstantSignal(), "b": ConstantSignal(), "c": CsvSignal(str(f), "c")}, 3
        )
    assert exc.value.where == str(f)
    with pytest.raises(VtcError, match="input 'a': a sine in Hz"):
        make_inputs(ports[:1], {"a": SineSignal(unit="Hz")}, 3)


def test_describe() -> None:
    assert describe(ConstantSignal(2.0)) == "constant 2"
    assert describe(StepSignal(5, 0.0, 1.0)) == "step 0 → 1 at 5"
    assert describe(SineSignal(1.0, 50.0, "Hz")) == "sine 1 · sin(2π·50 Hz)"
    assert (
        describe(SineSignal(2.0, 0.01, phase=0.5, offset=1.0))
        == "sine 2 · sin(2π·0.01 /step + 0.5) + 1"
    )
    assert describe(NoiseSignal(-1.0, 1.0, 3)) == "noise -1 .. 1, seed 3"
    assert describe(CsvSignal("/data/run/in.csv", "x")) == "CSV in.csv: x"


def test_comparison_is_bit_for_bit() -> None:
    assert same_value(math.nan, -math.nan)
    assert not same_value(0.0, -0.0)
    assert not same_value(math.nan, 1.0)
    assert same_value(-0.0, -0.0) and same_value(math.inf, math.inf)
    cols = ["a", "b"]
    ok = {"a": [1.0, 2.0], "b": [math.nan, 0.0]}
    assert first_mismatch(cols, ok, {"a": [1.0, 2.0], "b": [math.nan, 0.0]}) is None
    m = first_mismatch(cols, ok, {"a": [1.0, 2.0], "b": [math.nan, -0.0]})
    assert m == Mismatch(1, "b", 0.0, -0.0)
    assert "first mismatch at step 1, output 'b'" in str(m)
    # the first step wins over the first column
    m = first_mismatch(cols, {"a": [1.0, 5.0], "b": [9.0, 0.0]}, {"a": [1.0, 2.0], "b": [8.0, 0.0]})
    assert m is not None and (m.step, m.column) == (0, "b")
    short = first_mismatch(["a"], {"a": [1.0]}, {"a": [1.0, 2.0]})
    assert short is not None and short.step == 1 and math.isnan(short.compiled)
