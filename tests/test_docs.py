"""Generated documentation is current."""

from __future__ import annotations

from pathlib import Path

from vtc.compiler.machine.isadoc import render

ROOT = Path(__file__).parents[1]


def test_isa_doc_is_generated_from_the_table() -> None:
    committed = (ROOT / "docs" / "isa.md").read_text()
    assert committed == render(), (
        "docs/isa.md is stale: run `python -m vtc.compiler.machine.isadoc --write docs/isa.md`"
    )
