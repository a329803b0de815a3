"""The instruction table and the arithmetic semantics."""

from __future__ import annotations

import math

import pytest

from vtc.compiler.machine import semantics as sem
from vtc.compiler.machine.isa import EUS, ISA, Form, by_code, lookup, mnemonics


def test_table_has_the_38_mnemonics_of_target_md() -> None:
    expected = (
        "add sub mul sqr div rcp sqrt rsqrt neg abs min max cmplt cmple cmpeq cmpne cmov "
        "sin cos tan atan atan2 exp exp2 pow ln log2 floor ceil round trunc mov in out lds "
        "sts nop halt"
    ).split(" ")
    assert sorted(mnemonics()) == sorted(expected)
    assert len(ISA) == 38


def test_codes_are_unique_dense_and_fit_six_bits() -> None:
    assert [op.code for op in ISA] == list(range(len(ISA)))
    assert max(op.code for op in ISA) < 64
    assert by_code(0) is lookup("nop")


@pytest.mark.parametrize("op", ISA, ids=lambda op: op.mnemonic)
def test_every_computing_op_has_semantics_and_an_eu(op: object) -> None:
    from vtc.compiler.machine.isa import OpInfo

    assert isinstance(op, OpInfo)
    computes = op.form in (Form.DAB, Form.DA, Form.DAC)
    assert (op.fn is not None) == computes
    if op.mnemonic not in ("nop", "halt"):
        assert op.eu in EUS


def test_default_latencies_follow_target_md() -> None:
    lat = {op.mnemonic: op.default_latency for op in ISA}
    assert (lat["add"], lat["mul"], lat["div"], lat["sqrt"], lat["neg"]) == (6, 4, 14, 14, 1)
    assert (lat["min"], lat["cmplt"], lat["cmov"], lat["sin"], lat["atan2"]) == (2, 2, 1, 18, 18)
    assert (lat["exp"], lat["pow"], lat["ln"], lat["round"], lat["in"], lat["lds"]) == (
        14, 28, 16, 3, 2, 2,
    )  # fmt: skip


def test_lookup_is_case_insensitive_and_rejects_unknown() -> None:
    assert lookup("ADD") is lookup("add")
    assert lookup("ad") is None


@pytest.mark.parametrize(
    ("fn", "args", "expected"),
    [
        (sem.f_div, (1.0, 0.0), math.inf),
        (sem.f_div, (-1.0, 0.0), -math.inf),
        (sem.f_div, (1.0, -0.0), -math.inf),
        (sem.f_rcp, (-0.0,), -math.inf),
        (sem.f_sqrt, (-1.0,), math.nan),
        (sem.f_sqrt, (-0.0,), -0.0),
        (sem.f_rsqrt, (0.0,), math.inf),
        (sem.f_ln, (0.0,), -math.inf),
        (sem.f_ln, (-1.0,), math.nan),
        (sem.f_log2, (8.0,), 3.0),
        (sem.f_exp, (1000.0,), math.inf),
        (sem.f_exp2, (10.0,), 1024.0),
        (sem.f_pow, (0.0, -1.0), math.inf),
        (sem.f_pow, (-0.0, -3.0), -math.inf),
        (sem.f_pow, (-2.0, 0.5), math.nan),
        (sem.f_pow, (-10.0, 401.0), -math.inf),
        (sem.f_sin, (math.inf,), math.nan),
        (sem.f_min, (math.nan, 2.0), 2.0),
        (sem.f_max, (1.0, math.nan), 1.0),
        (sem.f_min, (0.0, -0.0), -0.0),
        (sem.f_max, (-0.0, 0.0), 0.0),
        (sem.f_round, (2.5,), 3.0),
        (sem.f_round, (-2.5,), -3.0),
        (sem.f_round, (0.49999999999999994,), 0.0),
        (sem.f_round, (-0.4,), -0.0),
        (sem.f_ceil, (-0.5,), -0.0),
        (sem.f_floor, (-0.5,), -1.0),
        (sem.f_trunc, (-1.7,), -1.0),
        (sem.f_floor, (1e300,), 1e300),
        (sem.f_cmpne, (math.nan, math.nan), 1.0),
        (sem.f_cmpeq, (math.nan, math.nan), 0.0),
        (sem.f_cmov, (5.0, 7.0, math.nan), 7.0),
        (sem.f_cmov, (5.0, 7.0, -0.0), 5.0),
    ],
)
def test_ieee_special_values(fn: object, args: tuple[float, ...], expected: float) -> None:
    got = fn(*args)  # type: ignore[operator]
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == expected
        assert math.copysign(1.0, got) == math.copysign(1.0, expected)


def test_single_precision_rounds_once_to_nearest_even() -> None:
    assert sem.to_f32(1.0 + 2.0**-24) == 1.0  # halfway: to even
    assert sem.to_f32(1.0 + 3 * 2.0**-24) == 1.0 + 2.0**-22
    assert sem.to_f32(3.5e38) == math.inf
    assert sem.as_precision(0.1, "double") == 0.1
