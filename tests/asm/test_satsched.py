"""The SAT formulation of "a schedule of length T exists" (compiler/asm/satsched.py)."""

from __future__ import annotations

import random

import pytest
from blockcases import blocks, brute_force_optimum, express_block
from hypothesis import given, settings

from vtc.compiler.asm import satsched
from vtc.compiler.asm.exact import dominance_pairs, exact_available, solve_exact
from vtc.compiler.asm.problem import Block, BlockJob, check_schedule, schedule_length
from vtc.compiler.asm.satsched import encode_length, sat_available, sat_decide, sat_sweep

pytestmark = pytest.mark.skipif(not sat_available(), reason="python-sat is not installed")


def _dataflow(seed: int, size: int = 10) -> Block:
    """A seeded random block of the data-flow kind (every job writes, tail = latency)."""
    rng = random.Random(seed)
    n = rng.randint(2, size)
    lats = [rng.choice([1, 4, 6]) for _ in range(n)]
    jobs = tuple(BlockJob(latency=a, writes=True, tail=a) for a in lats)
    edges = tuple(
        sorted({(u, v, lats[u]) for u in range(n) for v in range(u + 1, n) if rng.random() < 0.3})
    )
    return Block(jobs=jobs, edges=edges)


def _decides_the_optimum(block: Block, *, pairs: bool) -> None:
    optimum = brute_force_optimum(block)
    order = dominance_pairs(block) if pairs else []
    found = sat_decide(block, optimum, pairs=order)
    assert found.feasible is True and found.starts is not None
    assert check_schedule(block, found.starts) == []
    assert schedule_length(block, found.starts) <= optimum
    assert sat_decide(block, optimum - 1, pairs=order).feasible is False


@pytest.mark.parametrize("seed", range(60))
def test_decides_the_brute_force_optimum_of_dataflow_blocks(seed: int) -> None:
    _decides_the_optimum(_dataflow(seed), pairs=seed % 2 == 0)


@settings(max_examples=150, deadline=None)
@given(blocks(max_jobs=7))
def test_decides_the_brute_force_optimum_of_any_block(block: Block) -> None:
    # writers and non-writers, tails of 1, latencies up to 30, delays below latency
    _decides_the_optimum(block, pairs=True)


@settings(max_examples=60, deadline=None)
@given(blocks(max_jobs=6, negative_delays=True))
def test_negative_delays_agree_with_cp_sat(block: Block) -> None:
    if not exact_available():
        pytest.skip("OR-Tools is not installed")
    solved = solve_exact(block, time_limit=30.0, workers=1)
    assert solved is not None and solved.optimal
    found = sat_decide(block, solved.length)
    assert found.feasible is True and found.starts is not None
    assert check_schedule(block, found.starts) == []
    assert sat_decide(block, solved.length - 1).feasible is False


def test_counters_are_there_for_tight_budgets_only() -> None:
    block = _dataflow(3)
    optimum = brute_force_optimum(block)
    assert encode_length(block, optimum).counters
    assert not encode_length(block, optimum + satsched.COUNTER_LIMIT + 1).counters


def test_counters_settle_a_pigeonhole_at_once() -> None:
    # Twelve independent 6-cycle jobs need 11 + 6 = 17 cycles: at 16 their
    # windows (cycles 0 .. 10) hold 11 issue cycles for 12 jobs, a pigeonhole
    # that resolution alone needs exponentially many steps for; with the
    # counters (5 issue cycles idle, 4 allowed) the solver sees it at once.
    six = BlockJob(latency=6, writes=True, tail=6)
    block = Block(jobs=(six,) * 12, edges=())
    refuted = sat_decide(block, 16)
    assert refuted.feasible is False and refuted.conflicts <= 1
    assert sat_decide(block, 17).feasible is True


def test_class_counts_settle_a_pigeonhole_without_the_idle_counters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The pigeonhole above, with the prefix counters of idle and free cycles
    # off: the per-class counts alone see that the class of the twelve jobs
    # has 11 issue cycles by cycle 11 and 12 jobs that must issue by then.
    six = BlockJob(latency=6, writes=True, tail=6)
    block = Block(jobs=(six,) * 12, edges=())
    monkeypatch.setattr(satsched, "COUNTER_LIMIT", -1)
    assert sat_decide(block, 16).conflicts <= 1
    monkeypatch.setattr(satsched, "CLASS_COUNT_WORK", -1)
    assert sat_decide(block, 16, conflicts=2000).feasible is None


def test_empty_window_and_empty_block() -> None:
    chain = Block(jobs=(BlockJob(latency=4, writes=True, tail=4),) * 2, edges=((0, 1, 4),))
    assert sat_decide(chain, 7).feasible is False
    assert sat_decide(chain, 8).feasible is True
    assert sat_decide(Block(jobs=(), edges=()), 0).feasible is True


def test_conflict_budget_leaves_it_undecided(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without the counters the pigeonhole of the test above takes the solver
    # many conflicts, so a budget of 5 ends undecided; with them it decides.
    six = BlockJob(latency=6, writes=True, tail=6)
    block = Block(jobs=(six,) * 12, edges=())
    monkeypatch.setattr(satsched, "COUNTER_LIMIT", -1)
    monkeypatch.setattr(satsched, "CLASSES", False)  # their counts settle it too
    assert not encode_length(block, 16).counters
    stopped = sat_decide(block, 16, conflicts=5)
    assert stopped.feasible is None and stopped.starts is None
    assert 1 <= stopped.conflicts < 50  # CaDiCaL checks its limit now and then
    full = sat_decide(block, 16)
    assert full.feasible is False and full.conflicts > stopped.conflicts


def test_missing_solver_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(satsched, "sat_available", lambda: False)
    with pytest.raises(RuntimeError, match="python-sat is not installed"):
        sat_decide(_dataflow(1), 10)


@pytest.mark.parametrize("seed", range(20))
def test_sweep_finds_and_proves_the_optimum(seed: int) -> None:
    block = _dataflow(seed)
    optimum = brute_force_optimum(block)
    lower = max(optimum - 3, 0)
    swept = sat_sweep(block, lower, optimum + 2, pairs=dominance_pairs(block))
    assert swept.starts is not None and check_schedule(block, swept.starts) == []
    assert schedule_length(block, swept.starts) == optimum == swept.bound
    assert [v for _, v in swept.verdicts] == [False] * (optimum - lower) + [True]


def test_sweep_with_nothing_to_decide_and_with_an_undecided_length(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    six = BlockJob(latency=6, writes=True, tail=6)
    block = Block(jobs=(six,) * 12, edges=())
    empty = sat_sweep(block, 17, 17)
    assert (empty.starts, empty.bound, empty.verdicts) == (None, 17, ())
    monkeypatch.setattr(satsched, "COUNTER_LIMIT", -1)
    monkeypatch.setattr(satsched, "CLASSES", False)
    # 16 stays undecided in 5 conflicts, so the proof stops at 16 but 17 is found
    swept = sat_sweep(block, 16, 18, conflicts=5)
    assert swept.bound == 16
    assert swept.verdicts == ((16, None), (17, True))
    assert swept.starts is not None and schedule_length(block, swept.starts) == 17


def test_profile_sum_refutes_express_lengths_without_search(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # feedback_points needs 57 cycles; with the sum of the results in flight
    # the solver refutes 56 without a conflict (the k-totalizer needed 67),
    # without the sum it needs thousands (12,081 when this was written).
    # The class variables settle it at once too, so they are off here.
    block = express_block("feedback_points_dfg__7.dot")
    pairs = dominance_pairs(block)
    monkeypatch.setattr(satsched, "CLASSES", False)
    with_sum = sat_decide(block, 56, pairs=pairs)
    assert with_sum.feasible is False and with_sum.conflicts < 100
    monkeypatch.setattr(satsched, "_add_profile_sum", lambda *args: None)
    without = sat_decide(block, 56, pairs=pairs)
    assert without.feasible is False and without.conflicts > 1000
    assert sat_decide(block, 57, pairs=pairs).feasible is True


def test_class_variables_refute_smooth_color_at_201(monkeypatch: pytest.MonkeyPatch) -> None:
    # smooth_color needs 202 cycles. In terms of jobs alone the solver
    # refuted 201 in 0.9 million conflicts; with the class variables it
    # takes a few hundred (315 when this was written).
    block = express_block("smooth_color_z_triangle_dfg__31.dot")
    pairs = dominance_pairs(block)
    with_classes = sat_decide(block, 201, pairs=pairs)
    assert with_classes.feasible is False and with_classes.conflicts < 5000
    monkeypatch.setattr(satsched, "CLASSES", False)
    without = sat_decide(block, 201, pairs=pairs, conflicts=5000)
    assert without.feasible is None


def test_class_counts_refute_jpeg_idct_at_126(monkeypatch: pytest.MonkeyPatch) -> None:
    # jpeg_idct needs 127 cycles. With the per-class issue counts and the
    # proof pairs the solver refutes 126 in a few thousand conflicts (4,135
    # when this was written); without the counts it was still open after
    # 5 minutes, and 20,000 conflicts leave it undecided.
    from vtc.compiler.asm.exact import proof_pairs

    block = express_block("jpeg_idct_ifast_dfg__5.dot")
    pairs = proof_pairs(block)
    refuted = sat_decide(block, 126, pairs=pairs, conflicts=50_000)
    assert refuted.feasible is False and refuted.conflicts < 20_000
    monkeypatch.setattr(satsched, "CLASS_COUNT_WORK", -1)
    assert sat_decide(block, 126, pairs=pairs, conflicts=20_000).feasible is None
