"""Shared pytest configuration: golden files and the shared test data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import Phase, settings

# CI (CI=true) runs a fixed set of examples so that a run is reproducible;
# developers' runs draw new examples each time and keep hunting for bugs.
settings.register_profile("ci", derandomize=True, database=None, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

# `pytest --hypothesis-profile=explore`: more examples, no shrinking (to hunt
# for bugs fast; shrink a failure afterwards with the default profile).
settings.register_profile(
    "explore", phases=[Phase.explicit, Phase.generate], max_examples=400, deadline=None
)

ROOT = Path(__file__).parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite golden files under tests/golden/ instead of comparing",
    )


class Golden:
    """Compare text with a golden file, or rewrite it under --update-golden."""

    def __init__(self, update: bool) -> None:
        self.update = update
        self.dir = ROOT / "tests" / "golden"

    def check(self, name: str, text: str) -> None:
        path = self.dir / name
        if self.update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            return
        assert path.exists(), f"golden file {name} missing: run pytest --update-golden"
        expected = path.read_text()
        assert text == expected, f"{name} differs from its golden file (pytest --update-golden)"


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    return Golden(bool(request.config.getoption("--update-golden")))


@pytest.fixture
def shared_data() -> Path:
    """The shared test data folder; skips the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared test data not found at {SHARED_DATA}")
    return SHARED_DATA
