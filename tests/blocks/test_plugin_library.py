"""A third-party block library, found through its entry point.

``examples/plugins/vtc-extra-blocks`` is installed (editable) by ``make
setup``; these tests check that vtc sees it exactly as it sees ``std``: in the
registry with its package and library names, compiled bit for bit equal to
the reference, and that a model using it is handled gracefully when the
library is missing (docs/plugins.md).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from modelkit import block_model, compile_and_check

from vtc.app.cli import main
from vtc.blocks.registry import GROUP, Registry, registry
from vtc.blocks.std import BLOCKS as STD_BLOCKS
from vtc.compiler.driver import check, compile_model
from vtc.compiler.errors import VtcError
from vtc.compiler.model import elaborate, load
from vtc.compiler.model.fileio import dumps

ROOT = Path(__file__).parents[2]
PLUGIN = ROOT / "examples" / "plugins" / "vtc-extra-blocks"
EXAMPLE = ROOT / "examples" / "models" / "rms_meter.json"
EXTRA = ("extra.rms", "extra.lowpass1", "extra.deadband")
NOT_INSTALLED = (
    "the example library is not installed: run `make setup` or "
    "`.venv/bin/pip install --no-deps -e examples/plugins/vtc-extra-blocks`"
)


@pytest.mark.parametrize("btype", EXTRA)
def test_the_installed_library_is_found_through_its_entry_point(btype: str) -> None:
    reg = registry()
    assert btype in reg, NOT_INSTALLED
    rb = reg[btype]
    assert (rb.package, rb.library) == ("vtc-extra-blocks", "extra")
    assert rb.block.type_name == btype
    assert not [p for p in reg.problems if p.library == "extra"]
    assert reg["std.gain"].library == "std"  # the standard library is still there


def test_the_pyproject_declares_the_entry_point() -> None:
    text = (PLUGIN / "pyproject.toml").read_text()
    assert f'[project.entry-points."{GROUP}"]\nextra = "vtc_extra_blocks:BLOCKS"' in text


def test_the_library_imports_only_the_block_api_from_vtc() -> None:
    for path in (PLUGIN / "vtc_extra_blocks").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            bad = [n for n in names if n.split(".")[0] == "vtc" and n != "vtc.blocks.api"]
            assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize(
    ("btype", "params", "width"),
    [
        ("extra.rms", {"alpha": 0.2}, 1),
        ("extra.rms", {"alpha": 0.05, "initial": [1.0, 0.0]}, 2),
        ("extra.lowpass1", {"fc": 100.0, "Ts": 0.001}, 1),
        ("extra.lowpass1", {"fc": 3.0, "Ts": 0.05, "initial": 0.5}, 3),
        ("extra.deadband", {"lower": -0.25, "upper": 0.5}, 1),
        ("extra.deadband", {}, 3),
    ],
)
def test_each_block_compiles_bit_for_bit(btype: str, params: dict[str, float], width: int) -> None:
    compile_and_check(block_model(btype, params, {"in": width}), 40, seed=7, lo=-2.0, hi=2.0)


def test_block_errors_name_the_block_and_the_parameter() -> None:
    with pytest.raises(VtcError) as info:
        model = block_model("extra.lowpass1", {"fc": 800.0, "Ts": 0.001}, {"in": 1})
        compile_model(model, file="test.json")
    assert info.value.format() == (
        "test.json: block b (extra.lowpass1): error: parameter 'fc': 800 Hz is above the "
        "Nyquist frequency 1/(2*Ts) = 500 Hz"
    )


def test_unknown_parameters_are_named_with_the_known_ones() -> None:
    with pytest.raises(VtcError) as info:
        compile_model(block_model("extra.rms", {"tau": 1.0}, {"in": 1}), file="test.json")
    assert info.value.format() == (
        "test.json: block b (extra.rms): error: parameter 'tau': extra.rms has no such "
        "parameter (its parameters: alpha, initial)"
    )


def test_vtc_blocks_verbose_shows_the_library(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["blocks", "--verbose"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "extra (vtc-extra-blocks)" in lines[0]
    at = next(i for i, line in enumerate(lines) if line.split()[:1] == ["extra.lowpass1"])
    assert lines[at + 1].strip() == "from vtc-extra-blocks (library 'extra'), category Discrete"
    assert lines[at + 2].strip() == "fc (float, required): cut-off frequency [Hz], > 0"
    assert not any(line.startswith("warning:") for line in lines)


def test_the_example_model_compiles_and_checks() -> None:
    comp = compile_model(str(EXAMPLE))
    assert comp.name == "rms_meter"
    assert check(comp, 200, seed=1).ok
    assert {i.type for i in comp.diagram.insts} >= {"extra.lowpass1", "extra.rms", "std.gain"}


def test_without_the_library_a_model_loads_saves_unchanged_and_fails_to_compile() -> None:
    text = EXAMPLE.read_text()
    model = load(EXAMPLE)  # loading never consults the registry
    assert dumps(model) == text
    std_only = Registry.from_classes(STD_BLOCKS, "std")
    with pytest.raises(VtcError) as info:
        elaborate(model, "rms_meter.json", std_only)
    lines = info.value.format().splitlines()
    assert lines == [
        "rms_meter.json: block lp (extra.lowpass1): error: unknown block type "
        "'extra.lowpass1' (no installed block library defines it; the block is kept as it "
        "is when the model is saved)",
        "rms_meter.json: block rms (extra.rms): error: unknown block type 'extra.rms' "
        "(no installed block library defines it; the block is kept as it is when the "
        "model is saved)",
        "2 errors",
    ]
    rms = model.block("rms")
    assert rms is not None and rms.params == {"alpha": 0.002}
    assert json.loads(dumps(model)) == json.loads(text)
