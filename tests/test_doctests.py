"""The examples in the docstrings of the Qt-free packages run and print what they say.

Every module of ``vtc.compiler`` and ``vtc.blocks`` (the packages that must
not import Qt) is imported by its installed name and checked with
:mod:`doctest`, so a docstring example that goes stale fails the suite.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import vtc.blocks
import vtc.compiler


def _modules() -> list[str]:
    names: list[str] = []
    for package in (vtc.compiler, vtc.blocks):
        names.append(package.__name__)
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            names.append(info.name)
    return sorted(names)


MODULES = _modules()


def test_the_packages_have_docstring_examples() -> None:
    # Guards the walk itself: an empty list would make the test below vacuous.
    counted = 0
    for name in MODULES:
        finder = doctest.DocTestFinder()
        counted += sum(len(t.examples) for t in finder.find(importlib.import_module(name)))
    assert counted >= 50


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, verbose=False, report=False, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
