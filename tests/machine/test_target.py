"""Targets: the named ones, validation, and located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from vtc.compiler.errors import TargetError, VtcErrors
from vtc.compiler.machine.target import load_target, named_targets, target_from_dict


def test_named_targets_load() -> None:
    assert named_targets() == ("bench-large", "zynq7020-double", "zynq7020-single")
    single = load_target()
    assert single.name == "zynq7020-single"
    assert (single.precision, single.clock_mhz, single.data_depth) == ("single", 100.0, 1024)
    assert (single.program_depth, single.loop_depth) == (4096, 4)
    double = load_target("zynq7020-double")
    assert double.precision == "double"
    assert double.latency_of("add") > single.latency_of("add")
    large = load_target("bench-large")
    assert large.data_depth == 65536 and large.program_depth == 65536


def test_latency_overrides_per_eu_and_per_opcode() -> None:
    t = target_from_dict({"name": "t", "latency": {"exp": 20}, "opcode_latency": {"mul": 3}})
    assert t.latency_of("exp") == 20
    assert t.latency_of("pow") == 28  # the ISA's per-opcode default is kept
    assert t.latency_of("mul") == 3
    assert t.latency_of("sqr") == 4
    assert t.max_latency == 28


def test_round_trip_through_dict() -> None:
    t = load_target("zynq7020-double")
    assert target_from_dict(t.to_dict(), "x") == t


def test_unknown_target_names_the_known_ones() -> None:
    with pytest.raises(TargetError) as info:
        load_target("zynq7030")
    assert info.value.format() == (
        "error: unknown target 'zynq7030' (known targets: bench-large, zynq7020-double, "
        "zynq7020-single)"
    )


def test_every_bad_key_is_reported_with_file_and_key(tmp_path: Path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text('name = "bad"\nprecision = "half"\ndata_depth = 0\n[latency]\nmul = 0\nfpu = 3\n')
    with pytest.raises(VtcErrors) as info:
        load_target(str(f))
    lines = info.value.format().splitlines()
    assert lines == [
        f"{f}: key 'precision': error: must be 'single' or 'double', got 'half'",
        f"{f}: key 'latency.mul': error: must be an integer from 1 to 255, got 0",
        f"{f}: key 'latency.fpu': error: unknown EU (known: addsub, atan, cmp, div, exp, io, "
        "log, minmax, move, mul, round, sign, sincos, sqrt)",
        f"{f}: key 'data_depth': error: must be an integer from 16 to 65536, got 0",
        "4 errors",
    ]


def test_toml_syntax_error_is_located(tmp_path: Path) -> None:
    f = tmp_path / "broken.toml"
    f.write_text('name = "x"\ndata_depth = = 3\n')
    with pytest.raises(TargetError) as info:
        load_target(str(f))
    text = info.value.format()
    assert text.startswith(f"{f}:2:")
    assert "not valid TOML" in text
    assert "data_depth = = 3" in text


def test_missing_target_file(tmp_path: Path) -> None:
    with pytest.raises(TargetError) as info:
        load_target(str(tmp_path / "none.toml"))
    assert info.value.format().endswith("none.toml: error: cannot read target file: "
                                        "No such file or directory")  # fmt: skip
