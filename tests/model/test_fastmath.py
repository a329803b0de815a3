"""--fast-math: inexact rewrites are applied only when asked, listed in the
report, and the results stay within the stated bound of the reference."""

from __future__ import annotations

import pytest
from mk import blk, doc

from vtc.compiler.driver import CompileOptions, check, compile_model
from vtc.compiler.model import loads


def _factorable() -> str:
    return doc(
        [
            blk("a", "inport", port=0),
            blk("b", "inport", port=1),
            blk("c", "inport", port=2),
            blk("p1", "product", ops="**"),
            blk("p2", "product", ops="**"),
            blk("s", "sum", signs="++"),
            blk("y", "outport"),
        ],
        [
            ("a.out", "p1.in1"),
            ("b.out", "p1.in2"),
            ("a.out", "p2.in1"),
            ("c.out", "p2.in2"),
            ("p1.out", "s.in1"),
            ("p2.out", "s.in2"),
            ("s.out", "y.in"),
        ],
    )


def test_subgraph_is_factored_only_under_fast_math() -> None:
    model = loads(_factorable())
    exact = compile_model(model, file="f.json")
    fast = compile_model(model, CompileOptions(fast_math=True), file="f.json")
    assert exact.asm_text.count("mul ") == 2 and exact.report["optimisation"]["inexact"] == []
    assert fast.asm_text.count("mul ") == 1 and fast.asm_text.count("add ") == 1
    assert fast.report["optimisation"]["inexact"] == [
        "fast-math: subgraph simplified (3 -> 2 operations)"
    ]
    assert check(fast, 100, seed=1, tolerance=1e-3).ok
    assert check(exact, 100, seed=1).ok


def test_rsqrt_and_reassociation() -> None:
    text = doc(
        [
            blk("x", "inport", port=0),
            blk("r", "sqrt"),
            blk("q", "reciprocal"),
            blk("u", "inport", port=1, width=8),
            blk("s", "sum", signs="+"),
            blk("y", "outport", port=0),
            blk("z", "outport", port=1),
        ],
        [
            ("x.out", "r.in"),
            ("r.out", "q.in"),
            ("q.out", "y.in"),
            ("u.out", "s.in1"),
            ("s.out", "z.in"),
        ],
    )
    model = loads(text)
    fast = compile_model(model, CompileOptions(fast_math=True), file="f.json")
    exact = compile_model(model, file="f.json")
    inexact = fast.report["optimisation"]["inexact"]
    assert "fast-math: 1/sqrt(x) -> rsqrt" in inexact
    assert "fast-math: add chains made balanced" in inexact
    assert "rsqrt" in fast.asm_text and "rsqrt" not in exact.asm_text
    assert fast.cycles_per_sample < exact.cycles_per_sample
    assert check(fast, 60, seed=2, lo=0.1, hi=4.0, tolerance=1e-3).ok


@pytest.mark.parametrize("level", [1, 2])
def test_default_is_exact(level: int) -> None:
    comp = compile_model(loads(_factorable()), CompileOptions(opt_level=level), file="f.json")
    assert not comp.report["optimisation"]["inexact"]
    assert check(comp, 50, seed=3).ok
