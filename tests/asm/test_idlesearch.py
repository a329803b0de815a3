"""The idle-budget search (:mod:`vtc.compiler.asm.idlesearch`) against brute force."""

from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vtc.compiler.asm.exact import dominance_pairs
from vtc.compiler.asm.idlesearch import (
    MAX_LENGTH,
    applicable,
    jackson_blocked,
    search_length,
)
from vtc.compiler.asm.problem import Block, BlockJob, check_schedule, schedule_length


def _load(name: str) -> ModuleType:
    """A sibling test module by path (shared strategy and brute force)."""
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_vtc_tests_asm_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


_cases = _load("test_bounds")
blocks = _cases.blocks
brute_force_optimum = _cases.brute_force_optimum

ADD = BlockJob(latency=6, writes=True, tail=6)
MOV = BlockJob(latency=1, writes=True, tail=1)


def test_write_port_collision_needs_a_cycle() -> None:
    block = Block(jobs=(ADD, MOV, ADD), edges=((0, 1, 6),))
    assert search_length(block, 7).feasible is False
    found = search_length(block, 8)
    assert found.feasible is True
    assert found.starts is not None
    assert check_schedule(block, found.starts) == []
    assert schedule_length(block, found.starts) <= 8


def test_empty_block_and_short_lengths() -> None:
    assert search_length(Block(jobs=(), edges=()), 0).feasible is True
    assert search_length(Block(jobs=(MOV, MOV), edges=()), 1).feasible is False


def test_limits_give_no_answer() -> None:
    block = Block(jobs=(ADD,) * 6, edges=())
    assert search_length(block, 11, node_limit=0).feasible is None
    assert search_length(block, MAX_LENGTH + 1).feasible is None


def test_negative_delays_are_refused() -> None:
    block = Block(jobs=(MOV, MOV), edges=((0, 1, -1),))
    assert not applicable(block)
    with pytest.raises(ValueError, match="delays"):
        search_length(block, 5)


def _jackson_blocked_naive(release: list[int], delivery: list[int], blocked: int) -> int:
    horizon = max(release) + len(release) + blocked.bit_length() + 1
    free = [c for c in range(horizon) if not blocked >> c & 1]
    best = None
    for cycles in itertools.permutations(free, len(release)):
        if all(c >= r for c, r in zip(cycles, release, strict=True)):
            value = max(c + q for c, q in zip(cycles, delivery, strict=True))
            best = value if best is None else min(best, value)
    assert best is not None
    return best


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(-3, 6)), min_size=1, max_size=4),
    st.integers(0, 2**9 - 1),
)
def test_jackson_blocked_is_the_optimum(jobs: list[tuple[int, int]], blocked: int) -> None:
    release = [r for r, _ in jobs]
    delivery = [q for _, q in jobs]
    assert jackson_blocked(release, delivery, blocked) == _jackson_blocked_naive(
        release, delivery, blocked
    )


@settings(max_examples=150, deadline=None)
@given(blocks(max_jobs=7), st.booleans())
def test_search_decides_the_brute_force_optimum(block: Block, with_pairs: bool) -> None:
    optimum = brute_force_optimum(block)
    pairs = dominance_pairs(block) if with_pairs else []
    found = search_length(block, optimum, pairs=pairs, node_limit=10**6)
    assert found.feasible is True
    assert found.starts is not None
    assert check_schedule(block, found.starts) == []
    assert schedule_length(block, found.starts) <= optimum
    if optimum > 0:
        assert search_length(block, optimum - 1, pairs=pairs, node_limit=10**6).feasible is False
