"""A built wheel contains every module and every resource, under vtc/."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
MAPPING = {"app": "vtc/app", "compiler": "vtc/compiler", "blocks": "vtc/blocks",
           "resources": "vtc/resources"}  # fmt: skip
SHIPPED = (".py", ".toml", ".json", ".lark", ".typed")


@pytest.mark.slow
def test_wheel_contains_every_module_and_resource(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("vtc-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = set()
    for folder, prefix in MAPPING.items():
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in SHIPPED and "__pycache__" not in path.parts:
                expected.add(f"{prefix}/{path.relative_to(ROOT / folder).as_posix()}")
    missing = sorted(expected - names)
    assert not missing, f"missing from the wheel: {missing}"
    assert not any(n.startswith(("app/", "compiler/", "tests/")) for n in names)
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "vtc = vtc.app.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()
