"""The model file: load, validate, save canonically, migrate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mk import blk, doc

from vtc.compiler.errors import ModelError, VtcError, VtcErrors
from vtc.compiler.model import dumps, load, loads, save

ROOT = Path(__file__).parents[2]


def _simple() -> str:
    return doc(
        [blk("x", "inport", port=0), blk("g", "gain", k=0.5), blk("y", "outport", port=0)],
        [("x.out", "g.in"), ("g.out", "y.in")],
    )


def test_round_trip_is_byte_identical() -> None:
    text = dumps(loads(_simple()))
    assert dumps(loads(text)) == text
    assert text.endswith("\n") and '"format": "vtc-model"' in text


def test_every_example_model_round_trips() -> None:
    for path in sorted((ROOT / "examples").rglob("*.json")):
        data = json.loads(path.read_text())
        if data.get("format") != "vtc-model":
            continue
        text = dumps(load(path))
        assert dumps(loads(text)) == text, path


def test_save_is_canonical_sorted_and_keeps_unknown_keys(tmp_path: Path) -> None:
    data = json.loads(_simple())
    data["blocks"][1]["colour"] = "#ff0000"
    data["blocks"][1]["pos"] = [10, 20.5]
    data["connections"][0]["points"] = [[1, 2]]
    data["author_note"] = {"z": 1, "a": 2}
    data["blocks"].reverse()
    m = loads(json.dumps(data))
    path = tmp_path / "m.json"
    save(m, path)
    text = path.read_text()
    again = json.loads(text)
    assert [b["id"] for b in again["blocks"]] == ["g", "x", "y"]
    assert again["blocks"][0]["colour"] == "#ff0000"
    assert again["blocks"][0]["pos"] == [10, 20.5]
    wire = next(c for c in again["connections"] if c["from"] == ["x", "out"])
    assert wire["points"] == [[1, 2]]
    assert again["author_note"] == {"a": 2, "z": 1}
    assert list(again) == sorted(again)


def test_floats_are_written_shortest_round_trip() -> None:
    data = json.loads(_simple())
    data["blocks"][1]["params"]["k"] = 0.1
    text = dumps(loads(json.dumps(data)))
    assert '"k": 0.1' in text


def test_unknown_block_type_is_kept_on_save() -> None:
    data = json.loads(_simple())
    data["blocks"].append(
        {"id": "z", "type": "acme.flux", "params": {"q": [1, 2], "mode": "x"}, "pos": [1, 2]}
    )
    data["connections"].append({"from": ["g", "out"], "to": ["z", "in"]})
    m = loads(json.dumps(data))
    text = dumps(m)
    again = json.loads(text)
    z = next(b for b in again["blocks"] if b["id"] == "z")
    assert z == {
        "id": "z",
        "type": "acme.flux",
        "params": {"q": [1, 2], "mode": "x"},
        "pos": [1, 2],
    }
    assert {"from": ["g", "out"], "to": ["z", "in"]} in again["connections"]
    from vtc.compiler.driver import compile_model

    with pytest.raises(ModelError, match=r"block z \(acme.flux\): error: unknown block type"):
        compile_model(m, file="f.json")


def test_invalid_json_names_line_and_column() -> None:
    with pytest.raises(ModelError) as info:
        loads('{\n  "format": "vtc-model",\n  "version": 1,,\n}', "bad.json")
    assert info.value.headline().startswith("bad.json:3:16: error: invalid JSON")


def test_duplicate_key_and_nan_are_refused() -> None:
    with pytest.raises(ModelError, match="duplicate key 'version'"):
        loads('{"format": "vtc-model", "version": 1, "version": 1}', "d.json")
    with pytest.raises(ModelError, match='NaN is not JSON; write the string "nan"'):
        loads('{"format": "vtc-model", "version": 1, "x": NaN}', "d.json")


def test_newer_version_is_refused_clearly() -> None:
    with pytest.raises(ModelError) as info:
        loads('{"format": "vtc-model", "version": 7, "blocks": []}', "new.json")
    assert str(info.value) == (
        "new.json: error: the file is of model version 7, newer than this vtc reads "
        "(version 1); update vtc to open it"
    )


def test_not_a_model() -> None:
    with pytest.raises(ModelError, match="this is not a vtc model"):
        loads('{"format": "something", "version": 1}', "x.json")
    with pytest.raises(ModelError, match="holds one JSON object"):
        loads("[1, 2]", "x.json")


def test_version_0_migrates() -> None:
    old = {
        "format": "vtc-model",
        "version": 0,
        "name": "old",
        "blocks": [
            {"id": "x", "type": "std.inport", "parameters": {"port": 0}, "position": [1, 2]},
            {"id": "y", "type": "std.outport", "parameters": {"port": 0}},
        ],
        "links": [{"from": "x.out", "to": "y.in"}],
    }
    m = loads(json.dumps(old), "old.json")
    assert m.block("x") is not None and m.block("x").pos == (1, 2)  # type: ignore[union-attr]
    assert m.block("x").params == {"port": 0}  # type: ignore[union-attr]
    assert str(m.connections[0].src) == "x.out"
    assert json.loads(dumps(m))["version"] == 1


def test_structural_problems_are_all_collected_with_paths() -> None:
    data = {
        "format": "vtc-model",
        "version": 1,
        "samples_per_run": 0,
        "blocks": [
            {"id": "a", "type": "std.gain", "params": []},
            {"id": "a", "type": "std.gain"},
            {"id": "bad id", "type": "std.gain"},
            {"id": "s", "type": "std.subsystem", "blocks": [{"id": "q"}], "connections": []},
        ],
        "connections": [{"from": ["nope", "out"], "to": ["a", "in"]}],
    }
    with pytest.raises(VtcErrors) as info:
        loads(json.dumps(data), "p.json")
    lines = [e.headline() for e in info.value.errors]
    assert lines == [
        "p.json: error: 'samples_per_run' must be a whole number from 1 to 65535, not 0",
        "p.json: block a (std.gain): error: 'params' must be a JSON object",
        "p.json: block a (std.gain): error: the id 'a' is used twice in this diagram",
        "p.json: error: 'bad id': a block id must be an identifier (letters, digits, _)",
        "p.json: block s/q: error: the block has no 'type'",
        "p.json: error: connection 1: 'from' names a block 'nope' that does not exist",
    ]
    assert info.value.errors[4].path == "s/q"  # type: ignore[attr-defined]


def test_load_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(VtcError, match="no such file"):
        load(tmp_path / "missing.json")


def test_schema_ships_and_accepts_the_examples() -> None:
    from importlib.resources import files

    schema = json.loads((files("vtc.resources.schemas") / "model.schema.json").read_text())
    assert schema["properties"]["format"]["const"] == "vtc-model"
    assert "blocks" in schema["required"]
