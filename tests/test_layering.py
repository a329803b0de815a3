"""Architecture rules: the core never imports the GUI, the oracles never the compiler."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[1]


def _imports(folder: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def test_core_never_imports_qt_or_the_app() -> None:
    for folder in ("compiler", "blocks", "resources"):
        for path, names in _imports(ROOT / folder).items():
            bad = {n for n in names if n.startswith(("PySide6", "vtc.app", "pyqtgraph"))}
            assert not bad, f"{path} imports {sorted(bad)}"


def test_simulator_never_imports_the_assembler() -> None:
    for path, names in _imports(ROOT / "compiler" / "sim").items():
        bad = {n for n in names if n.startswith("vtc.compiler.asm")}
        assert not bad, f"{path} imports {sorted(bad)}"


def test_reference_interpreter_never_imports_the_compiler() -> None:
    banned = (
        "vtc.compiler.asm",
        "vtc.compiler.frontend",
        "vtc.compiler.driver",
        "vtc.compiler.sim",
    )
    for path, names in _imports(ROOT / "compiler" / "reference").items():
        bad = {n for n in names if n.startswith(banned)}
        assert not bad, f"{path} imports {sorted(bad)}"


def test_block_libraries_only_use_the_block_api() -> None:
    for path, names in _imports(ROOT / "blocks").items():
        bad = {n for n in names if n.startswith("vtc.compiler")}
        assert not bad, f"{path} imports {sorted(bad)}"


def test_model_package_is_independent_of_the_compiler() -> None:
    banned = (
        "vtc.compiler.asm",
        "vtc.compiler.frontend",
        "vtc.compiler.driver",
        "vtc.compiler.reference",
        "vtc.compiler.sim",
    )
    for path, names in _imports(ROOT / "compiler" / "model").items():
        bad = {n for n in names if n.startswith(banned)}
        assert not bad, f"{path} imports {sorted(bad)}"
