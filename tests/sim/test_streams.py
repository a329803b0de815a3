"""CSV files of port streams (target.md section 4)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vtc.compiler.errors import VtcError
from vtc.compiler.machine.code import MachineProgram, MInstr, PortInfo
from vtc.compiler.machine.formats import parse_format
from vtc.compiler.machine.target import load_target
from vtc.compiler.sim.streams import format_csv, parse_csv, port_table, read_csv, write_csv

F32 = parse_format("f32")
F64 = parse_format("f64")
I16 = parse_format("i16")
Q44 = parse_format("q4.4")


def test_columns_of_different_lengths() -> None:
    text = format_csv([("x", F32, [0.1, 2.0, -3.5]), ("n", I16, [7.0]), ("e", F64, [])])
    assert text == "x,n,e\n0.1,7,\n2.0,,\n-3.5,,\n"
    back = parse_csv(text, "t.csv", {"x": F32, "n": I16, "e": F64})
    assert back == {"x": [F32.quantize(0.1), 2.0, -3.5], "n": [7.0], "e": []}


def test_values_are_quantized_to_the_port_format() -> None:
    text = "n,q\n40000,0.03125\n2.5,100\nnan,-1e9\n"
    assert parse_csv(text, "t.csv", {"n": I16, "q": Q44}) == {
        "n": [32767.0, 2.0, 0.0],
        "q": [0.0, 7.9375, -8.0],
    }


def test_special_values_and_bom_and_crlf() -> None:
    text = "\ufeffx , y\r\n inf , -inf\r\nNaN,1e3\r\n\r\n"
    out = parse_csv(text, "t.csv", {"x": F64, "y": F64})
    assert out["x"][0] == math.inf and math.isnan(out["x"][1])
    assert out["y"] == [-math.inf, 1000.0]


def test_empty_file_gives_no_streams() -> None:
    assert parse_csv("", "t.csv", {"x": F32}) == {}


def error(text: str, formats: dict[str, object] | None = None) -> str:
    with pytest.raises(VtcError) as exc:
        parse_csv(text, "in.csv", formats or {"x": F32, "y": F32})  # type: ignore[arg-type]
    return exc.value.format()


def test_unknown_column() -> None:
    assert error("x,z\n1,2\n") == (
        "in.csv:1:3: error: unknown column 'z' (the ports are: x, y)\n    x,z\n      ^"
    )


def test_repeated_column() -> None:
    assert error("x,y,x\n").startswith("in.csv:1:5: error: column 'x' appears twice")


def test_not_a_number() -> None:
    assert error("x,y\n1,2\n3, 4x\n") == (
        "in.csv:3:4: error: '4x' in column 'y' is not a number\n    3, 4x\n       ^~"
    )
    assert error("x\n1_000\n").startswith("in.csv:2:1: error: '1_000' in column 'x' is not a")


def test_value_after_the_end_of_a_column() -> None:
    assert error("x,y\n1,2\n,3\n4,5\n").startswith(
        "in.csv:4:1: error: column 'x' continues after its empty cell on line 3"
    )


def test_too_many_cells() -> None:
    assert error("x\n1,2\n").startswith(
        "in.csv:2:3: error: line has 2 cells, the header has 1 columns"
    )


def test_files(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    write_csv(path, [("y", F32, [1.5])])
    assert path.read_text() == "y\n1.5\n"
    assert read_csv(path, {"y": F32}) == {"y": [1.5]}
    with pytest.raises(VtcError, match="no such file"):
        read_csv(tmp_path / "missing.csv", {"y": F32})


def test_port_table_names_undeclared_ports() -> None:
    mp = MachineProgram(
        load_target("zynq7020-double"),
        (MInstr("in", 0, 4), MInstr("in", 1, 0), MInstr("out", 3, 0), MInstr("halt")),
        inputs=(PortInfo(0, "x", "i16"),),
    )
    table = port_table(mp)
    assert [(p.number, p.name, p.format.name) for p in table.inputs] == [
        (0, "x", "i16"),
        (4, "in4", "f64"),
    ]
    assert [(p.number, p.name, p.format.name) for p in table.outputs] == [(3, "out3", "f64")]
    assert table.input_named("x") is table.input_named(0)
    assert table.output_named(7) is None


FORMATS = ["f32", "f64", "i8", "i16", "u8", "u32", "q4.12", "q1.15", "q8.8"]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(FORMATS),
            st.lists(st.floats(allow_nan=False, width=64, min_value=-1e40, max_value=1e40)),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_csv_round_trip(columns: list[tuple[str, list[float]]]) -> None:
    cols = []
    for i, (name, values) in enumerate(columns):
        f = parse_format(name)
        cols.append((f"p{i}", f, [f.quantize(v) for v in values]))
    text = format_csv(cols)
    back = parse_csv(text, "t.csv", {n: f for n, f, _ in cols})
    assert back == {n: v for n, _, v in cols}
