"""Lowering: an elaborated model to the IR (:mod:`.ir`).

The block graph is a networkx ``DiGraph`` with an edge for every wire into a
block with direct feedthrough; a cycle in it is an algebraic loop, reported
with every block on it. Blocks are lowered in a topological order of that
graph: first every output (:meth:`Block.lower_output`; a block without
feedthrough sees only its state), then every next state
(:meth:`Block.lower_update`). A for-iterator becomes a loop region, or is
unrolled (its body lowered ``n`` times with the state threaded through)
when ``unroll`` allows it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx

from vtc.blocks.api import BlockError
from vtc.compiler.errors import ModelError
from vtc.compiler.frontend.ir import Graph, Node, Region
from vtc.compiler.machine.isa import BY_NAME, Form
from vtc.compiler.machine.semantics import as_precision
from vtc.compiler.model.elaborate import Diagram, Inst
from vtc.compiler.model.ports import model_ports

__all__ = ["GraphBuilder", "LowerOptions", "block_graph", "lower"]


@dataclass(frozen=True)
class LowerOptions:
    """Choices of the lowering.

    Attributes
    ----------
    unroll_limit:
        Unroll a for-iterator when ``n`` times its body's operations is at most
        this (0: never unroll).
    fast_math:
        Let blocks lower to inexact equivalents (expression simplification).
    """

    unroll_limit: int = 0
    fast_math: bool = False


class GraphBuilder:
    """Collects nodes; implements :class:`vtc.blocks.api.Builder` for lowerings."""

    def __init__(self, precision: str, fast_math: bool = False) -> None:
        self.precision = precision
        self.fast_math = fast_math
        self.nodes: list[Node] = []
        self.region = 0
        self.origin = ""
        self._consts: dict[str, int] = {}
        self.notes: Counter[str] = Counter()

    def note(self, rewrite: str) -> None:
        self.notes[rewrite if rewrite.startswith("fast-math") else f"fast-math: {rewrite}"] += 1

    def add(self, node: Node) -> int:
        self.nodes.append(node)
        return len(self.nodes) - 1

    def const(self, value: float) -> int:
        v = as_precision(float(value), self.precision)
        key = repr(v)
        found = self._consts.get(key)
        if found is None:
            found = self.add(Node("const", (), 0, v, "", self.origin))
            self._consts[key] = found
        return found

    def op(self, mnemonic: str, *args: Any) -> int:
        info = BY_NAME.get(mnemonic)
        if info is None or info.form not in (Form.DAB, Form.DA) or info.fn is None:
            raise BlockError(f"internal error: '{mnemonic}' is not a value operation")
        if len(args) != info.form.arity - 1:
            raise BlockError(
                f"internal error: '{mnemonic}' takes {info.form.arity - 1} operands, "
                f"not {len(args)}"
            )
        for a in args:
            if not isinstance(a, int) or not 0 <= a < len(self.nodes):
                raise BlockError(f"internal error: '{mnemonic}' got a value that is not one")
        return self.add(Node(mnemonic, tuple(args), self.region, 0.0, "", self.origin))

    def select(self, cond: Any, a: Any, b: Any) -> int:
        return self.add(Node("cmov", (b, a, cond), self.region, 0.0, "", self.origin))


def block_graph(diagram: Diagram) -> nx.DiGraph:
    """The feedthrough dependency graph of one flat diagram (nodes: block paths)."""
    g: nx.DiGraph = nx.DiGraph()
    for inst in diagram.insts:
        g.add_node(inst.path)
    for inst in diagram.insts:
        if inst.feedthrough:
            for src in inst.sources.values():
                g.add_edge(src.path, inst.path)
    return g


def _mangle(path: str) -> str:
    return path.replace("/", ".")


class _Lowerer:
    def __init__(self, g: GraphBuilder, file: str, options: LowerOptions) -> None:
        self.g = g
        self.file = file
        self.options = options
        self.regions: list[Region] = []
        self.writes: dict[int, list[tuple[str, int]]] = {}
        self.states: list[tuple[str, float, str]] = []
        self._state_cells: dict[str, list[str]] = {}

    def fail(self, inst: Inst, message: str) -> ModelError:
        return ModelError(message, file=self.file, path=inst.path, block_type=inst.type)

    def new_region(self, parent: int | None, count: int, origin: str) -> int:
        rid = len(self.regions)
        self.regions.append(Region(rid, parent, count, (), origin))
        self.writes[rid] = []
        return rid

    def order(self, diagram: Diagram) -> list[Inst]:
        graph = block_graph(diagram)
        try:
            paths = list(nx.topological_sort(graph))
        except nx.NetworkXUnfeasible:
            cycle = nx.find_cycle(graph)
            blocks = [edge[0] for edge in cycle]
            first = diagram.inst(blocks[0])
            raise ModelError(
                "algebraic loop: every block on it has direct feedthrough: "
                + " -> ".join([*blocks, blocks[0]]),
                file=self.file,
                path=first.path,
                block_type=first.type,
                notes=[
                    "break the loop with a block without direct feedthrough "
                    "(std.unit_delay, or a filter whose output does not depend on "
                    "its input of the same step)"
                ],
            ) from None
        return [diagram.inst(p) for p in paths]

    def cells(self, inst: Inst) -> list[str]:
        found = self._state_cells.get(inst.path)
        if found is None:
            init = inst.block.initial_state(inst.params, inst.in_widths)
            if len(init) != inst.state_size:
                raise self.fail(
                    inst, f"internal error: {len(init)} initial values for {inst.state_size} states"
                )
            found = [f"{_mangle(inst.path)}.x{i}" for i in range(inst.state_size)]
            for cell, value in zip(found, init, strict=True):
                self.states.append((cell, as_precision(value, self.g.precision), inst.path))
            self._state_cells[inst.path] = found
        return found

    def diagram(
        self,
        diagram: Diagram,
        given: Mapping[str, list[int]],
        state: dict[str, list[int]],
    ) -> dict[str, list[int]]:
        """Lower one step/iteration; ``state`` (block path -> values) is read and
        replaced by the next state. Returns outport path -> values."""
        g = self.g
        env: dict[tuple[str, str], list[int]] = {}
        order = self.order(diagram)
        for inst in order:
            g.origin = inst.path
            if inst.type == "std.inport":
                env[(inst.path, "out")] = list(given[inst.path])
                continue
            if inst.type == "std.outport":
                continue
            u = (
                {p: env[(s.path, s.port)] for p, s in inst.sources.items()}
                if inst.feedthrough
                else {}
            )
            if inst.body is not None:
                outs = self.loop(inst, u, state)
            else:
                x = self.read_state(inst, state)
                try:
                    outs = inst.block.lower_output(inst.params, g, u, x)
                except BlockError as exc:
                    raise self.fail(inst, str(exc)) from None
            for port in inst.outputs:
                values = list(outs[port])
                width = inst.out_widths[port]
                if len(values) == 1 and width > 1:
                    values *= width
                if len(values) != width:
                    raise self.fail(
                        inst,
                        f"internal error: output '{port}' has {len(values)} "
                        f"values for width {width}",
                    )
                env[(inst.path, port)] = values
        for inst in order:
            if inst.state_size and inst.body is None:
                g.origin = inst.path
                u = {p: env[(s.path, s.port)] for p, s in inst.sources.items()}
                x = self.read_state(inst, state)
                try:
                    nxt = list(inst.block.lower_update(inst.params, g, u, x))
                except BlockError as exc:
                    raise self.fail(inst, str(exc)) from None
                if len(nxt) != inst.state_size:
                    raise self.fail(
                        inst, f"internal error: {len(nxt)} next states for {inst.state_size}"
                    )
                state[inst.path] = nxt
        return {
            path: env[
                (diagram.inst(path).sources["in"].path, diagram.inst(path).sources["in"].port)
            ]
            for path in diagram.outports
        }

    def read_state(self, inst: Inst, state: dict[str, list[int]]) -> list[int]:
        if not inst.state_size:
            return []
        if inst.path not in state:
            state[inst.path] = [
                self.g.add(Node("read", (), self.g.region, 0.0, cell, inst.path))
                for cell in self.cells(inst)
            ]
        return state[inst.path]

    def loop(
        self, inst: Inst, u: Mapping[str, list[int]], state: dict[str, list[int]]
    ) -> dict[str, list[int]]:
        body = inst.body
        assert body is not None
        g = self.g
        given = {path: u[port] for port, path in zip(inst.inputs, body.inports, strict=True)}
        limit = self.options.unroll_limit
        if limit and body.count * max(_size(body), 1) <= limit:
            last: dict[str, list[int]] = {}
            for k in range(body.count):
                if body.index is not None:
                    g.origin = inst.path
                    given[body.index] = [g.const(float(k))]
                last = self.diagram(body, given, state)
            return {p: last[path] for p, path in zip(inst.outputs, body.outports, strict=True)}
        outer = g.region
        rid = self.new_region(outer, body.count, inst.path)
        g.region = rid
        if body.index is not None:
            given[body.index] = [g.add(Node("index", (), rid, 0.0, "", inst.path))]
        inner: dict[str, list[int]] = {}
        outs = self.diagram(body, given, inner)
        for path, values in inner.items():
            cells = self._state_cells[path]
            self.writes[rid].extend(zip(cells, values, strict=True))
        g.region = outer
        return {p: outs[path] for p, path in zip(inst.outputs, body.outports, strict=True)}


def _size(diagram: Diagram) -> int:
    total = 0
    for inst in diagram.insts:
        if inst.body is not None:
            total += inst.body.count * _size(inst.body)
        elif inst.type not in ("std.inport", "std.outport", "std.scope"):
            total += max(1, sum(inst.out_widths.values()))
    return total


def lower(
    diagram: Diagram,
    *,
    precision: str,
    samples_per_run: int = 1,
    file: str = "<model>",
    options: LowerOptions | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> Graph:
    """Lower an elaborated model to the IR.

    Raises
    ------
    ModelError
        An algebraic loop (naming every block on it), a block that cannot be
        lowered.
    """
    opts = options or LowerOptions()
    g = GraphBuilder(precision, opts.fast_math)
    lw = _Lowerer(g, file, opts)
    step = lw.new_region(None, samples_per_run, "")
    ins, outs = model_ports(diagram, precision)
    given: dict[str, list[int]] = {}
    for p in ins:
        g.origin = p.path
        node = g.add(Node("input", (), step, 0.0, p.asm_name, p.path))
        given.setdefault(p.path, []).append(node)
    state: dict[str, list[int]] = {}
    results = lw.diagram(diagram, given, state)
    for path, values in state.items():
        lw.writes[step].extend(zip(lw._state_cells[path], values, strict=True))
    outputs = tuple((p.asm_name, results[p.path][p.element]) for p in outs)
    regions = tuple(
        Region(r.id, r.parent, r.count, tuple(lw.writes[r.id]), r.origin) for r in lw.regions
    )
    return Graph(
        nodes=tuple(g.nodes),
        regions=regions,
        outputs=outputs,
        inputs=tuple((p.asm_name, p.number, p.format.name) for p in ins),
        output_ports=tuple((p.asm_name, p.number, p.format.name) for p in outs),
        states=tuple(lw.states),
        stats=dict(g.notes),
    )
