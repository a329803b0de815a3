"""Dataflow: from named cells to values, with the cells some values must share.

The assembler may rename temporaries (target.md section 5), so it reasons
about *values*: each instruction that writes a cell makes a new value, and a
read refers to the value that reaches it in program order. Some values must
nevertheless share one physical cell; the pairs that must are recorded as
*web pairs* ``(prev, next)`` (``next`` overwrites ``prev``'s cell):

* a state's initial value and its final value (its home cell, kept between runs);
* a loop-carried name: the value entering the loop and the value the body
  leaves for the next iteration (the loop's *phi* stands for "whatever is in
  that cell at the start of an iteration");
* ``cmov``'s destination before and after (the hardware may keep the old value).

The program is a tree of :class:`Region` s (the top level and one per loop
body) holding :class:`Node` s (an instruction, or a whole inner loop). For
every region, :func:`region_edges` derives the precedence edges between its
nodes; they need the schedules of inner loops (offsets of reads and writes
inside them), so regions are scheduled innermost first.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

from vtc.compiler.asm.program import PortRef
from vtc.compiler.asm.resolve import LoopStmt, Op, Resolved
from vtc.compiler.errors import AsmError, SourceLocation, VtcErrors

__all__ = ["Dataflow", "Node", "Region", "Value", "build_dataflow"]


@dataclass(eq=False, slots=True)
class Value:
    """A value of cell ``name``.

    ``kind`` is ``"temp"`` (made by ``producer``), ``"state"`` (initial value
    of a state), ``"const"`` (a constant or pooled literal) or ``"phi"`` (the
    value of a loop-carried name at the start of an iteration of ``loop``).
    """

    id: int
    name: str
    kind: str
    producer: Node | None = None
    loop: Region | None = None  # for phis: the loop body region
    entry: Value | None = None  # for phis
    back: Value | None = None  # for phis
    readers: list[Node] = field(default_factory=list)  # innermost reading op nodes

    def __repr__(self) -> str:
        return f"<{self.kind} {self.name}#{self.id}>"


@dataclass(eq=False, slots=True)
class Node:
    """An instruction (``op``) or an inner loop (``body``) inside a region."""

    id: int
    region: Region
    op: Op | None = None
    body: Region | None = None
    uses: list[Value] = field(default_factory=list)  # op: values read (cmov: old d last)
    defs: list[Value] = field(default_factory=list)  # op: the value written

    @property
    def is_loop(self) -> bool:
        return self.body is not None

    def __repr__(self) -> str:
        if self.op is not None:
            return f"<op {self.op.mnemonic}@{self.op.index}>"
        return f"<loop {self.id}>"


@dataclass(eq=False, slots=True)
class Region:
    """The top level (``count`` 1, ``stmt`` None) or the body of a loop."""

    id: int
    parent: Region | None
    count: int = 1
    stmt: LoopStmt | None = None
    node: Node | None = None  # the node standing for this loop in the parent region
    nodes: list[Node] = field(default_factory=list)
    phis: list[Value] = field(default_factory=list)

    @property
    def depth(self) -> int:
        return 0 if self.parent is None else self.parent.depth + 1

    def all_ops(self) -> Iterator[Node]:
        """Every op node in this region and its inner loops, in program order."""
        for n in self.nodes:
            if n.body is not None:
                yield from n.body.all_ops()
            else:
                yield n


@dataclass
class Dataflow:
    """The dataflow of a resolved program.

    ``pairs`` lists web pairs ``(prev, next)`` (see the module docstring);
    ``webs`` lists the values that share one cell, in program order;
    ``port_order`` lists, per port key (``"in3"``, ``"out0"``), the op nodes
    using it in program order; ``final`` maps each state to its final value.
    """

    top: Region
    values: list[Value]
    pairs: list[tuple[Value, Value]]
    port_order: dict[str, list[Node]]
    consts: dict[str, Value]
    states: dict[str, Value]
    final: dict[str, Value]
    regions: list[Region]
    webs: list[list[Value]] = field(default_factory=list)


class _Builder:
    def __init__(self, resolved: Resolved) -> None:
        self.resolved = resolved
        self.values: list[Value] = []
        self.pairs: list[tuple[Value, Value]] = []
        self.port_order: dict[str, list[Node]] = {}
        self.regions: list[Region] = []
        self.errors: list[AsmError] = []
        self.nodes = 0
        self.consts: dict[str, Value] = {}
        self.states: dict[str, Value] = {}
        self.webs: list[list[Value]] = []

    def value(self, name: str, kind: str, producer: Node | None = None) -> Value:
        v = Value(len(self.values), name, kind, producer)
        self.values.append(v)
        return v

    def region(self, parent: Region | None, stmt: LoopStmt | None) -> Region:
        r = Region(len(self.regions), parent, stmt.count if stmt else 1, stmt)
        self.regions.append(r)
        return r

    def node(self, region: Region, **kw: object) -> Node:
        n = Node(self.nodes, region, **kw)  # type: ignore[arg-type]
        self.nodes += 1
        region.nodes.append(n)
        return n

    def read(self, env: _Env, name: str, loc: SourceLocation, node: Node) -> Value | None:
        v = env.lookup(name, self)
        if v is None:
            self.errors.append(
                AsmError(
                    f"'{name}' is read before anything writes it (only .state and .const "
                    "cells have a value at the start of a run)",
                    loc,
                )
            )
            return None
        v.readers.append(node)
        return v

    def body(self, stmts: tuple[Op | LoopStmt, ...], region: Region, env: _Env) -> None:
        for stmt in stmts:
            if isinstance(stmt, Op):
                self.op(stmt, region, env)
            else:
                self.loop(stmt, region, env)

    def op(self, op: Op, region: Region, env: _Env) -> None:
        node = self.node(region, op=op)
        # source operands follow the destination or port, in field order
        locs = [o.loc for o in op.instr.operands[1:] if not isinstance(o, PortRef)]
        for name, loc in zip(op.srcs, locs, strict=True):
            v = self.read(env, name, loc, node)
            if v is not None:
                node.uses.append(v)
        old = None
        if op.mnemonic == "cmov" and op.dest is not None:
            old = self.read(env, op.dest, op.instr.operands[0].loc, node)
            if old is not None:
                node.uses.append(old)
        if op.port is not None:
            key = ("in" if op.mnemonic == "in" else "out") + str(op.port)
            self.port_order.setdefault(key, []).append(node)
        if op.dest is not None:
            new = self.value(op.dest, "temp", node)
            node.defs.append(new)
            env.assign(op.dest, new)
            if old is not None:
                self.pairs.append((old, new))

    def loop(self, stmt: LoopStmt, region: Region, env: _Env) -> None:
        body = self.region(region, stmt)
        node = self.node(region, body=body)
        body.node = node
        written = set(_written(stmt.body))
        inner = _Env(env, written, body)
        self.body(stmt.body, body, inner)
        for phi in body.phis:
            back = inner.own[phi.name]
            phi.back = back
            assert phi.entry is not None
            self.pairs.append((phi.entry, back))
            self.pairs.append((phi, back))
        for name in written:
            if name in inner.own:
                env.assign(name, inner.own[name])

    def order_webs(self) -> None:
        """Pair every two values that end up in one cell and follow each other.

        The pairs recorded so far tie values into webs transitively (a state's
        home may also hold a ``cmov`` result and a loop's carried value), so a
        web can hold values that no recorded pair orders. Values are created in
        program order, so sorting a web's members by id gives the order in
        which they take the cell; each member must be read before the next one
        lands. A phi is not a write, so nothing is paired *into* a phi.
        """
        parent = list(range(len(self.values)))

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for a, b in self.pairs:
            ra, rb = find(a.id), find(b.id)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        webs: dict[int, list[Value]] = {}
        for a, b in self.pairs:
            for v in (a, b):
                webs.setdefault(find(v.id), [])
        for v in self.values:
            root = find(v.id)
            if root in webs:
                webs[root].append(v)
        known = {(a.id, b.id) for a, b in self.pairs}
        self.webs = [m for m in webs.values() if len(m) > 1]
        for members in webs.values():
            for prev, nxt in itertools.pairwise(members):
                if nxt.kind != "phi" and (prev.id, nxt.id) not in known:
                    self.pairs.append((prev, nxt))
                    known.add((prev.id, nxt.id))

    def build(self) -> Dataflow:
        r = self.resolved
        top = self.region(None, None)
        env = _Env(None, set(), top)
        for name in list(r.consts) + list(r.literals):
            v = self.value(name, "const")
            self.consts[name] = v
            env.own[name] = v
        for name in r.states:
            v = self.value(name, "state")
            self.states[name] = v
            env.own[name] = v
        self.body(r.body, top, env)
        final: dict[str, Value] = {}
        for name, init in self.states.items():
            fin = env.own[name]
            final[name] = fin
            if fin is not init:
                self.pairs.append((init, fin))
        VtcErrors.raise_if_any(self.errors)
        self.order_webs()
        return Dataflow(top, self.values, self.pairs, self.port_order, self.consts,
                        self.states, final, self.regions, self.webs)  # fmt: skip


class _Env:
    """Name -> reaching value, per region; loop-carried names get phis on first read."""

    def __init__(self, parent: _Env | None, carried: set[str], region: Region) -> None:
        self.parent = parent
        self.carried = carried
        self.region = region
        self.own: dict[str, Value] = {}

    def lookup(self, name: str, builder: _Builder) -> Value | None:
        if name in self.own:
            return self.own[name]
        if self.parent is None:
            return None
        outer = self.parent.lookup(name, builder)
        if name in self.carried and outer is not None:
            phi = builder.value(name, "phi")
            phi.loop = self.region
            phi.entry = outer
            self.region.phis.append(phi)
            self.own[name] = phi
            # the loop node reads the entry value in its first iteration
            assert self.region.node is not None
            outer.readers.append(self.region.node)
            return phi
        return outer

    def assign(self, name: str, value: Value) -> None:
        self.own[name] = value


def _written(stmts: tuple[Op | LoopStmt, ...]) -> Iterator[str]:
    for s in stmts:
        if isinstance(s, Op):
            if s.dest is not None:
                yield s.dest
        else:
            yield from _written(s.body)


def build_dataflow(resolved: Resolved) -> Dataflow:
    """Values, web pairs, webs and port order of a resolved program.

    Raises
    ------
    AsmError, VtcErrors
        A cell read before anything writes it (in the current run).
    """
    return _Builder(resolved).build()
