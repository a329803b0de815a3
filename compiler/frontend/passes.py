"""Optimisation passes on the IR: small, pure functions ``Graph -> Graph``.

Exact passes (every ``-O1`` and ``-O2`` compile) change no result for any
IEEE input, signed zeros, infinities and NaN included, so the compiled
program equals the reference bit for bit:

* :func:`fold` - constant folding in the target precision;
* :func:`cheaper` - cheaper equivalents: ``x*x -> sqr x``, ``1/x -> rcp x``,
  ``x/2^k -> x*2^-k``, ``x*1 -> x``, ``x*-1 -> neg x``, ``x-0 -> x``,
  ``x+-0 -> x``, ``x/1 -> x``, ``neg neg x -> x``, ``abs neg x -> abs x``,
  ``abs abs x -> abs x``, ``sqr neg x -> sqr x``, ``sqr abs x -> sqr x``,
  a ``cmov`` whose condition is a constant or whose two values are one;
* :func:`cse` - common subexpressions (commutative operands sorted);
* :func:`hoist` - loop-invariant operations move out of hardware loops;
* :func:`dce` - operations nothing observable uses (every ``in`` stays:
  the number of values a port consumes is observable).

Inexact passes (``--fast-math`` only), each counted in the report:

* :func:`reassociate` - chains of additions or multiplications become
  balanced trees (shorter dependence chains);
* :func:`rsqrt` - ``1/sqrt(x)`` -> ``rsqrt x``;
* :func:`vtc.compiler.frontend.fastmath.simplify_subgraphs` - sympy
  simplification of small arithmetic subgraphs.

:func:`optimise` runs them to a fixed point and counts what each did.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import replace

from vtc.compiler.frontend.ir import Graph, Node
from vtc.compiler.machine import semantics as sem
from vtc.compiler.machine.isa import BY_NAME

__all__ = ["cheaper", "cse", "dce", "fold", "hoist", "optimise", "reassociate", "rsqrt"]

#: Operations whose two operands may be swapped without changing any result.
COMMUTATIVE = frozenset({"add", "mul", "min", "max", "cmpeq", "cmpne"})

_Rewrite = Callable[[Node, list[Node], Counter[str]], "int | Node"]


def _rebuild(graph: Graph, rewrite: _Rewrite, stats: Counter[str]) -> Graph:
    """Apply ``rewrite`` to every node in order (arguments already rewritten).

    ``rewrite`` returns an index into the new node list (the node is replaced
    by that value) or a node to append.
    """
    new: list[Node] = []
    remap: list[int] = []
    for node in graph.nodes:
        if node.args:
            node = replace(node, args=tuple(remap[a] for a in node.args))
        result = rewrite(node, new, stats)
        if isinstance(result, Node):
            new.append(result)
            remap.append(len(new) - 1)
        else:
            remap.append(result)
    return _remapped(graph, new, remap)


def _remapped(graph: Graph, nodes: list[Node], remap: list[int]) -> Graph:
    regions = tuple(
        replace(r, writes=tuple((cell, remap[n]) for cell, n in r.writes)) for r in graph.regions
    )
    outputs = tuple((port, remap[n]) for port, n in graph.outputs)
    return replace(graph, nodes=tuple(nodes), regions=regions, outputs=outputs)


def _const(value: float, origin: str) -> Node:
    return Node("const", (), 0, value, "", origin)


# --- exact passes ------------------------------------------------------------------


def fold(graph: Graph, precision: str, stats: Counter[str]) -> Graph:
    """Operations on constants become constants (computed in the target precision)."""

    def rewrite(node: Node, new: list[Node], st: Counter[str]) -> int | Node:
        if node.op == "cmov":
            cond = new[node.args[2]]
            if cond.op == "const":
                st["folded"] += 1
                return node.args[1] if cond.value != 0.0 else node.args[0]
            return node
        if node.op in ("const", "input", "read", "index") or not node.args:
            return node
        args = [new[a] for a in node.args]
        if all(a.op == "const" for a in args):
            fn = BY_NAME[node.op].fn
            assert fn is not None
            value = sem.as_precision(fn(*(a.value for a in args)), precision)
            st["folded"] += 1
            return _const(value, node.origin)
        return node

    return _rebuild(graph, rewrite, stats)


def _power_of_two(x: float) -> bool:
    if x == 0.0 or not math.isfinite(x):
        return False
    m, _ = math.frexp(abs(x))
    return m == 0.5


def cheaper(graph: Graph, precision: str, stats: Counter[str]) -> Graph:
    """Replace operations by cheaper ones that give the same bits for every input."""

    def is_const(new: list[Node], i: int, value: float) -> bool:
        n = new[i]
        return (
            n.op == "const"
            and n.value == value
            and math.copysign(1.0, n.value) == math.copysign(1.0, value)
        )

    def rewrite(node: Node, new: list[Node], st: Counter[str]) -> int | Node:
        op, args = node.op, node.args
        if op == "mul":
            a, b = args
            if a == b:
                st["x*x -> sqr"] += 1
                return replace(node, op="sqr", args=(a,))
            for x, k in ((a, b), (b, a)):
                if is_const(new, k, 1.0):
                    st["x*1 -> x"] += 1
                    return x
                if is_const(new, k, -1.0):
                    st["x*-1 -> neg"] += 1
                    return replace(node, op="neg", args=(x,))
        elif op == "div":
            a, b = args
            if is_const(new, a, 1.0):
                st["1/x -> rcp"] += 1
                return replace(node, op="rcp", args=(b,))
            if is_const(new, b, 1.0):
                st["x/1 -> x"] += 1
                return a
            kb = new[b]
            if kb.op == "const" and _power_of_two(kb.value):
                inv = 1.0 / kb.value
                if sem.as_precision(inv, precision) == inv and inv != 0.0 and math.isfinite(inv):
                    st["x/2^k -> x*2^-k"] += 1
                    new.append(_const(inv, node.origin))
                    return replace(node, op="mul", args=(a, len(new) - 1))
        elif op == "sub":
            if is_const(new, args[1], 0.0):
                st["x-0 -> x"] += 1
                return args[0]
        elif op == "add":
            for x, k in ((args[0], args[1]), (args[1], args[0])):
                if is_const(new, k, -0.0):
                    st["x+-0 -> x"] += 1
                    return x
        elif op in ("neg", "abs", "sqr"):
            inner = new[args[0]]
            if op == "neg" and inner.op == "neg":
                st["neg neg x -> x"] += 1
                return inner.args[0]
            if op in ("abs", "sqr") and inner.op in ("neg", "abs"):
                if op == "abs" and inner.op == "abs":
                    st["abs abs x -> abs x"] += 1
                    return args[0]
                st[f"{op} {inner.op} x -> {op} x"] += 1
                return replace(node, args=(inner.args[0],))
        elif op == "cmov" and args[0] == args[1]:
            st["cmov of one value"] += 1
            return args[0]
        return node

    return _rebuild(graph, rewrite, stats)


def cse(graph: Graph, stats: Counter[str]) -> Graph:
    """Merge equal operations on equal operands in the same region."""
    seen: dict[tuple[object, ...], int] = {}

    def rewrite(node: Node, new: list[Node], st: Counter[str]) -> int | Node:
        if node.op == "input":
            return node
        args = node.args
        if node.op in COMMUTATIVE and args[0] > args[1]:
            args = (args[1], args[0])
        value = repr(node.value) if node.op == "const" else ""
        region = 0 if node.op == "const" else node.region
        key = (node.op, args, value, node.name, region)
        found = seen.get(key)
        if found is not None:
            if node.op != "const":
                st["common subexpressions"] += 1
            return found
        seen[key] = len(new)
        return replace(node, args=args) if args != node.args else node

    return _rebuild(graph, rewrite, stats)


def hoist(graph: Graph, stats: Counter[str]) -> Graph:
    """Move operations whose operands all come from outside a loop out of it."""
    parent = {r.id: r.parent for r in graph.regions}

    def rewrite(node: Node, new: list[Node], st: Counter[str]) -> int | Node:
        if node.op in ("const", "input", "read", "index") or node.region == 0:
            return node
        region = node.region
        while region != 0:
            up = parent[region]
            assert up is not None
            # the operands must all be defined in `up` or further out
            if all(_visible(new[a].region, up, parent) or new[a].op == "const" for a in node.args):
                region = up
            else:
                break
        if region != node.region:
            st["hoisted out of loops"] += 1
            return replace(node, region=region)
        return node

    return _rebuild(graph, rewrite, stats)


def _visible(defined: int, region: int, parent: dict[int, int | None]) -> bool:
    """Whether a value defined in region ``defined`` may be used in ``region``:
    ``defined`` is ``region`` or encloses it."""
    r: int | None = region
    while r is not None:
        if r == defined:
            return True
        r = parent[r]
    return False


def dce(graph: Graph, stats: Counter[str]) -> Graph:
    """Drop operations that nothing observable uses (keeping every ``in``)."""
    live = [False] * len(graph.nodes)
    stack = graph.roots() + [i for i, n in enumerate(graph.nodes) if n.op == "input"]
    while stack:
        i = stack.pop()
        if live[i]:
            continue
        live[i] = True
        stack.extend(graph.nodes[i].args)
    new: list[Node] = []
    remap = [-1] * len(graph.nodes)
    for i, node in enumerate(graph.nodes):
        if not live[i]:
            if node.op not in ("const", "read", "index"):
                stats["dead operations"] += 1
            continue
        if node.args:
            node = replace(node, args=tuple(remap[a] for a in node.args))
        new.append(node)
        remap[i] = len(new) - 1
    return _remapped(graph, new, remap)


# --- inexact passes (--fast-math) -----------------------------------------------------


def rsqrt(graph: Graph, stats: Counter[str]) -> Graph:
    """``rcp(sqrt x)`` -> ``rsqrt x`` (not exact: one rounding instead of two)."""

    def rewrite(node: Node, new: list[Node], st: Counter[str]) -> int | Node:
        if node.op == "rcp" and new[node.args[0]].op == "sqrt":
            st["fast-math: 1/sqrt(x) -> rsqrt"] += 1
            return replace(node, op="rsqrt", args=new[node.args[0]].args)
        return node

    return _rebuild(graph, rewrite, stats)


def reassociate(graph: Graph, stats: Counter[str]) -> Graph:
    """Chains of ``add`` (or ``mul``) whose inner results have no other use become
    balanced trees: the dependence chain shrinks from n-1 to about log2(n)."""
    nodes = graph.nodes
    uses = Counter(a for n in nodes for a in n.args)
    for a in graph.roots():
        uses[a] += 2  # observable: never absorbed into a user's chain

    def absorbed(i: int, op: str, region: int) -> bool:
        n = nodes[i]
        return n.op == op and n.region == region and uses[i] == 1

    def leaves(i: int, op: str, region: int) -> list[int]:
        out: list[int] = []
        stack = [i]
        while stack:
            j = stack.pop()
            n = nodes[j]
            for a in reversed(n.args):
                if absorbed(a, op, region):
                    stack.append(a)
                else:
                    out.append(a)
        return out

    new: list[Node] = []
    remap: list[int] = []
    for i, node in enumerate(nodes):
        terms = leaves(i, node.op, node.region) if node.op in ("add", "mul") else []
        if len(terms) < 4:
            args = tuple(remap[a] for a in node.args)
            new.append(replace(node, args=args) if args != node.args else node)
            remap.append(len(new) - 1)
            continue
        stats[f"fast-math: {node.op} chains made balanced"] += 1
        level = [remap[t] for t in terms]
        while len(level) > 1:
            nxt = []
            for k in range(0, len(level) - 1, 2):
                new.append(
                    Node(node.op, (level[k], level[k + 1]), node.region, 0.0, "", node.origin)
                )
                nxt.append(len(new) - 1)
            if len(level) % 2:
                nxt.append(level[-1])
            level = nxt
        remap.append(level[0])
    return dce(_remapped(graph, new, remap), Counter())


# --- the pipeline ------------------------------------------------------------------------


def optimise(graph: Graph, precision: str, *, fast_math: bool = False) -> Graph:
    """Run the exact passes (and the inexact ones under ``fast_math``) to a fixed point.

    The returned graph's ``stats`` counts what every rewrite did.
    """
    stats: Counter[str] = Counter(graph.stats)
    before = graph.operations()
    for _ in range(8):
        size = (len(graph.nodes), sum(stats.values()))
        graph = fold(graph, precision, stats)
        graph = cheaper(graph, precision, stats)
        if fast_math:
            graph = rsqrt(graph, stats)
        graph = cse(graph, stats)
        graph = hoist(graph, stats)
        graph = dce(graph, stats)
        if (len(graph.nodes), sum(stats.values())) == size:
            break
    if fast_math:
        from vtc.compiler.frontend.fastmath import simplify_subgraphs

        graph = simplify_subgraphs(graph, precision, stats)
        graph = fold(graph, precision, stats)
        graph = cse(graph, stats)
        graph = reassociate(graph, stats)
        graph = cse(graph, stats)
    stats["operations before"] = before
    stats["operations after"] = graph.operations()
    return replace(graph, stats=dict(stats))
