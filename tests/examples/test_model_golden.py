"""Golden files for every example model: the generated assembly (``NAME.s``)
and the compile report at -O1 (refresh with ``pytest --update-golden``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vtc.compiler.driver import compile_model

ROOT = Path(__file__).parents[2]
MODELS = sorted((ROOT / "examples" / "models").glob("*.json"))


@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_model_compiles_to_golden_source_and_report(path: Path, golden: object) -> None:
    comp = compile_model(path, file=path.name)
    golden.check(f"models/{path.stem}.s", comp.asm_text)  # type: ignore[attr-defined]
    golden.check(  # type: ignore[attr-defined]
        f"models/{path.stem}.report.json",
        json.dumps(comp.report, indent=2, sort_keys=True) + "\n",
    )
