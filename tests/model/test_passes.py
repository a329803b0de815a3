"""The optimiser's passes: each rewrite happens, and the exact ones change no
bit of any result for special inputs (signed zeros, infinities, NaN,
subnormals), checked by evaluating the IR before and after."""

from __future__ import annotations

import math
import struct
from collections import Counter

import pytest

from vtc.compiler.frontend.ir import Graph, Region
from vtc.compiler.frontend.lower import GraphBuilder
from vtc.compiler.frontend.passes import cheaper, cse, dce, fold, hoist, optimise
from vtc.compiler.machine.isa import BY_NAME
from vtc.compiler.machine.semantics import as_precision

SPECIAL = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    3.0,
    -7.25,
    math.inf,
    -math.inf,
    math.nan,
    1e-45,
    -1e-45,
    3.4e38,
    1e-30,
    2.0**-126,
]


def _graph(build, precision: str = "single") -> Graph:  # type: ignore[no-untyped-def]
    g = GraphBuilder(precision)
    from vtc.compiler.frontend.ir import Node

    x = g.add(Node("input", (), 0, 0.0, "x"))
    y = g.add(Node("input", (), 0, 0.0, "y"))
    out = build(g, x, y)
    return Graph(tuple(g.nodes), (Region(0, None, 1),), (("o", out),))


def _run(graph: Graph, x: float, y: float, precision: str = "single") -> float:
    vals: list[float] = []
    for n in graph.nodes:
        if n.op == "input":
            vals.append(as_precision(x if n.name == "x" else y, precision))
        elif n.op == "const":
            vals.append(n.value)
        elif n.op == "cmov":
            els, then, cond = (vals[a] for a in n.args)
            vals.append(then if cond != 0.0 else els)
        else:
            fn = BY_NAME[n.op].fn
            assert fn is not None
            vals.append(as_precision(fn(*(vals[a] for a in n.args)), precision))
    return vals[graph.outputs[0][1]]


def _bits(v: float) -> int:
    return -1 if v != v else struct.unpack("<Q", struct.pack("<d", v))[0]


CASES = {
    "x*x -> sqr": (lambda g, x, y: g.op("mul", x, x), "sqr"),
    "1/x -> rcp": (lambda g, x, y: g.op("div", g.const(1.0), x), "rcp"),
    "x/2^k -> x*2^-k": (lambda g, x, y: g.op("div", x, g.const(8.0)), "mul"),
    "x*1 -> x": (lambda g, x, y: g.op("add", g.op("mul", x, g.const(1.0)), y), "add"),
    "x*-1 -> neg": (lambda g, x, y: g.op("mul", g.const(-1.0), x), "neg"),
    "x-0 -> x": (lambda g, x, y: g.op("mul", g.op("sub", x, g.const(0.0)), y), "mul"),
    "x+-0 -> x": (lambda g, x, y: g.op("mul", g.op("add", x, g.const(-0.0)), y), "mul"),
    "x/1 -> x": (lambda g, x, y: g.op("mul", g.op("div", x, g.const(1.0)), y), "mul"),
    "neg neg x -> x": (lambda g, x, y: g.op("mul", g.op("neg", g.op("neg", x)), y), "mul"),
    "abs neg x -> abs x": (lambda g, x, y: g.op("abs", g.op("neg", x)), "abs"),
    "sqr abs x -> sqr x": (lambda g, x, y: g.op("sqr", g.op("abs", x)), "sqr"),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_exact_rewrite_fires_and_keeps_every_bit(rule: str) -> None:
    build, last_op = CASES[rule]
    before = _graph(build)
    stats: Counter[str] = Counter()
    after = dce(cheaper(before, "single", stats), stats)
    assert stats[rule] >= 1, stats
    assert after.nodes[after.outputs[0][1]].op == last_op
    for x in SPECIAL:
        for y in SPECIAL[:6]:
            assert _bits(_run(before, x, y)) == _bits(_run(after, x, y)), (rule, x, y)


def test_inexact_candidates_are_left_alone() -> None:
    # x+0 is not x for x = -0; x*0 is not 0 for inf/NaN; 0-x is not neg x for x = 0
    for build in (
        lambda g, x, y: g.op("add", x, g.const(0.0)),
        lambda g, x, y: g.op("mul", x, g.const(0.0)),
        lambda g, x, y: g.op("sub", g.const(0.0), x),
        lambda g, x, y: g.op("div", x, g.const(3.0)),
    ):
        graph = _graph(build)
        assert optimise(graph, "single").operations() == graph.operations()


def test_division_by_a_huge_power_of_two_keeps_the_division() -> None:
    # 1/2^128 is not a binary32 number: x/2^128 must stay a division
    graph = _graph(lambda g, x, y: g.op("div", x, g.const(2.0**127)))
    stats: Counter[str] = Counter()
    out = cheaper(graph, "single", stats)
    assert out.nodes[out.outputs[0][1]].op == "mul"  # 2^-127 is subnormal but exact
    graph = _graph(lambda g, x, y: g.op("div", x, g.const(2.0**127)), "double")
    assert cheaper(graph, "double", Counter()).nodes[-1].op == "mul"


def test_folding_uses_the_target_precision() -> None:
    graph = _graph(lambda g, x, y: g.op("add", g.op("mul", g.const(0.1), g.const(3.0)), x))
    stats: Counter[str] = Counter()
    folded = dce(fold(graph, "single", stats), stats)
    consts = [n.value for n in folded.nodes if n.op == "const"]
    assert consts == [as_precision(as_precision(0.1, "single") * 3.0, "single")]
    assert stats["folded"] == 1


def test_cse_sorts_commutative_operands_only() -> None:
    def build(g, x, y):  # type: ignore[no-untyped-def]
        a = g.op("add", x, y)
        b = g.op("add", y, x)
        c = g.op("sub", x, y)
        d = g.op("sub", y, x)
        return g.op("mul", g.op("mul", a, b), g.op("mul", c, d))

    stats: Counter[str] = Counter()
    out = dce(cse(_graph(build), stats), stats)
    assert stats["common subexpressions"] == 1
    assert sum(1 for n in out.nodes if n.op == "sub") == 2


def test_hoisting_moves_invariants_out_of_loops() -> None:
    from vtc.compiler.frontend.ir import Node

    g = GraphBuilder("single")
    x = g.add(Node("input", (), 0, 0.0, "x"))
    r = g.add(Node("read", (), 1, 0.0, "s"))
    inv = g.add(Node("mul", (x, x), 1))
    acc = g.add(Node("add", (r, inv), 1))
    graph = Graph(
        tuple(g.nodes), (Region(0, None, 1), Region(1, 0, 5, (("s", acc),))), (("o", acc),)
    )
    stats: Counter[str] = Counter()
    out = hoist(graph, stats)
    assert stats["hoisted out of loops"] == 1
    assert out.nodes[inv].region == 0 and out.nodes[acc].region == 1
