"""Sympy simplification of small arithmetic subgraphs (``--fast-math`` only).

A *tree* is a maximal group of ``add sub mul div neg sqr rcp`` operations of
one region whose inner results have no other use. Each tree of at least
three operations is written as an expression (leaves renamed ``v0, v1, ...``
in order of first appearance, so that equal shapes share one cache entry),
simplified by the expression language's sympy search
(:func:`vtc.blocks.std.exprlang.simplify`, cached by structure), and
replaced when the simplified form needs fewer operations. Not exact: sympy
reorders and factors, so the report lists every replacement.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

from vtc.blocks.std import exprlang as el
from vtc.compiler.frontend.ir import Graph, Node
from vtc.compiler.frontend.passes import dce
from vtc.compiler.machine.semantics import as_precision

__all__ = ["simplify_subgraphs"]

_ARITH = frozenset({"add", "sub", "mul", "div", "neg", "sqr", "rcp"})
_BIN = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
#: Trees larger than this many operations are left alone (sympy time grows fast).
MAX_TREE = 40


class _Emit:
    """Appends lowered operations to the new node list (an exprlang ``Ops``)."""

    def __init__(self, new: list[Node], region: int, origin: str, precision: str) -> None:
        self.new = new
        self.region = region
        self.origin = origin
        self.precision = precision

    def const(self, value: float) -> int:
        self.new.append(
            Node("const", (), 0, as_precision(float(value), self.precision), "", self.origin)
        )
        return len(self.new) - 1

    def op(self, mnemonic: str, *args: int) -> int:
        self.new.append(Node(mnemonic, tuple(args), self.region, 0.0, "", self.origin))
        return len(self.new) - 1

    def select(self, cond: int, a: int, b: int) -> int:
        self.new.append(Node("cmov", (b, a, cond), self.region, 0.0, "", self.origin))
        return len(self.new) - 1


def simplify_subgraphs(graph: Graph, precision: str, stats: Counter[str]) -> Graph:
    """Replace arithmetic trees by cheaper sympy-simplified equivalents."""
    nodes = graph.nodes
    uses = Counter(a for n in nodes for a in n.args)
    for a in graph.roots():
        uses[a] += 2

    users: dict[int, list[int]] = {}
    for j, n in enumerate(nodes):
        for a in n.args:
            users.setdefault(a, []).append(j)

    def absorbed(i: int) -> bool:
        """Whether ``i`` is an inner node of its single user's tree."""
        us = users.get(i, [])
        return (
            uses[i] == 1
            and len(us) == 1
            and nodes[us[0]].op in _ARITH
            and nodes[us[0]].region == nodes[i].region
        )

    def inner(i: int, region: int) -> bool:
        n = nodes[i]
        return n.op in _ARITH and n.region == region and uses[i] == 1

    new: list[Node] = []
    remap: list[int] = []
    for i, node in enumerate(nodes):
        args = tuple(remap[a] for a in node.args)
        copy = replace(node, args=args) if args != node.args else node
        result = None
        if node.op in _ARITH and not absorbed(i):
            result = _try_tree(i, nodes, inner, remap, new, precision, stats)
        if result is None:
            new.append(copy)
            remap.append(len(new) - 1)
        else:
            remap.append(result)
    regions = tuple(
        replace(r, writes=tuple((c, remap[n]) for c, n in r.writes)) for r in graph.regions
    )
    outputs = tuple((p, remap[n]) for p, n in graph.outputs)
    return dce(replace(graph, nodes=tuple(new), regions=regions, outputs=outputs), Counter())


def _try_tree(
    root: int,
    nodes: tuple[Node, ...],
    inner: Any,
    remap: list[int],
    new: list[Node],
    precision: str,
    stats: Counter[str],
) -> int | None:
    region = nodes[root].region
    leaves: dict[int, str] = {}
    count = 0

    def build(i: int, top: bool) -> el.Expr:
        nonlocal count
        n = nodes[i]
        if n.op == "const":
            return el.Num(n.value)
        if not top and not inner(i, region):
            if i not in leaves:
                leaves[i] = f"v{len(leaves)}"
            return el.Name(leaves[i])
        count += 1
        if count > MAX_TREE:
            raise OverflowError
        if n.op in _BIN:
            return el.BinOp(_BIN[n.op], build(n.args[0], False), build(n.args[1], False))
        if n.op == "neg":
            return el.Neg(build(n.args[0], False))
        if n.op == "sqr":
            return el.BinOp("^", build(n.args[0], False), el.Num(2.0))
        return el.BinOp("/", el.Num(1.0), build(n.args[0], False))  # rcp

    try:
        tree = build(root, True)
    except OverflowError:
        return None
    if count < 3:
        return None
    found = el.simplify(tree)
    if found is None:
        return None
    env = {name: remap[i] for i, name in leaves.items()}
    emit = _Emit(new, region, nodes[root].origin, precision)
    try:
        value = el.lower_sympy(found.expr, env, emit)
    except el.Unsupported:
        return None
    stats[f"fast-math: subgraph simplified ({found.before} -> {found.after} operations)"] += 1
    return int(value)
