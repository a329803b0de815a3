"""Emitting the IR as ViSARD assembly (target.md section 5).

The text is sequential assembly that the back end schedules. Names:
``_.tN`` for values, ``_.kN`` for constants, ``_.iR`` for the iteration
counter of loop region R, ``PATH.xI`` for state cell I of the block at PATH
(``/`` written ``.``), and the model's port names. Each instruction's comment
names the block it comes from.

Values are emitted in node order (a topological order), a loop region at the
place of its last node. A state's next value is computed straight into the
state cell when every read of the old value comes before it; otherwise a
``mov`` at the end of the iteration copies it (ordered so that no state is
overwritten before it is read, a cycle of states going through a temporary).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from vtc.compiler.frontend.ir import Graph

__all__ = ["EmitOptions", "emit"]


@dataclass(frozen=True)
class EmitOptions:
    """What goes into the header of the generated file."""

    name: str
    target: str
    source: str = ""
    comments: bool = True


def _num(x: float) -> str:
    if x != x:
        return "nan"
    if x in (float("inf"), float("-inf")):
        return "inf" if x > 0 else "-inf"
    return repr(x)


class _Emitter:
    def __init__(self, graph: Graph, opts: EmitOptions) -> None:
        self.g = graph
        self.opts = opts
        self.lines: list[str] = []
        nodes = graph.nodes
        self.parent = {r.id: r.parent for r in graph.regions}
        self.children: dict[int, list[int]] = defaultdict(list)
        for r in graph.regions:
            if r.parent is not None:
                self.children[r.parent].append(r.id)
        self.members: dict[int, list[int]] = defaultdict(list)
        for i, n in enumerate(nodes):
            if n.op not in ("const", "read"):
                self.members[n.region].append(i)
        reads: dict[int, list[int]] = defaultdict(list)
        for i, n in enumerate(nodes):
            if n.op == "read":
                reads[n.region].append(i)
        # A loop is emitted at the place of its last node: its own operations and
        # state reads, the values it writes to its states, its inner loops.
        self.last: dict[int, int] = {}
        for r in reversed(graph.regions):
            last = max([-1, *self.members[r.id], *reads[r.id], *(v for _, v in r.writes)])
            for c in self.children[r.id]:
                last = max(last, self.last[c])
            self.last[r.id] = last
        self.name: list[str] = [""] * len(nodes)
        for i, n in enumerate(nodes):
            if n.op == "const":
                self.name[i] = f"_.k{i}"
            elif n.op == "read":
                self.name[i] = n.name
            elif n.op == "index":
                self.name[i] = f"_.i{n.region}"
            else:
                self.name[i] = f"_.t{i}"
        self.uses: Counter[int] = Counter(a for n in nodes for a in n.args)
        self.users: dict[int, list[int]] = defaultdict(list)
        for i, n in enumerate(nodes):
            for a in n.args:
                self.users[a].append(i)
        self.readers: dict[str, list[int]] = defaultdict(list)
        for i, n in enumerate(nodes):
            for a in n.args:
                if nodes[a].op == "read":
                    self.readers[nodes[a].name].append(i)
        # A state read of a loop that is used after the loop must be the value at
        # the start of the last iteration, but the cell then already holds the
        # next state: such reads are copied into a temporary first thing in the body.
        inside: dict[int, set[int]] = {}
        for r in reversed(graph.regions):
            inside[r.id] = {r.id}.union(*(inside[c] for c in self.children[r.id]))
        self.copies: dict[int, list[int]] = defaultdict(list)
        out_values = {v for _, v in graph.outputs}
        for rid, ids in reads.items():
            if rid == 0:
                continue
            for i in ids:
                users = self.users.get(i, ())
                if i in out_values or any(nodes[u].region not in inside[rid] for u in users):
                    self.copies[rid].append(i)
                    self.name[i] = f"_.t{i}"
        self.early_outputs = [
            (port, v)
            for port, v in graph.outputs
            if nodes[v].op in ("const", "input") or (nodes[v].op == "read" and nodes[v].region == 0)
        ]
        self.direct: set[int] = set()
        self.mov_writes: dict[int, list[tuple[str, int]]] = {}
        for r in graph.regions:
            self.plan_writes(r.id)

    def region_of_user(self, user: int, region: int) -> int:
        """The position in ``region`` at which ``user`` (maybe nested) is emitted."""
        r = self.g.nodes[user].region
        if r == region:
            return user
        parent = self.parent
        while parent[r] is not None and parent[r] != region:
            r = parent[r]  # type: ignore[assignment]
        if parent[r] == region:
            return self.last[r]
        return -1  # a reader outside this region (cannot happen for own states)

    def plan_writes(self, rid: int) -> None:
        nodes = self.g.nodes
        region = self.g.regions[rid]
        written_from_reads = {nodes[v].name for _, v in region.writes if nodes[v].op == "read"}
        movs: list[tuple[str, int]] = []
        claimed: set[int] = set()
        for cell, v in region.writes:
            n = nodes[v]
            if n.op == "read" and n.name == cell:
                continue  # the state keeps its value
            ok = (
                n.region == rid
                and n.op not in ("const", "read", "index")
                and v not in claimed
                and cell not in written_from_reads
                and all(self.region_of_user(u, rid) < v for u in self.readers.get(cell, ()))
            )
            if ok:
                claimed.add(v)
                self.direct.add(v)
                self.name[v] = cell
            else:
                movs.append((cell, v))
        self.mov_writes[rid] = movs

    def line(self, depth: int, text: str, origin: str) -> None:
        pad = "    " * (depth + 1)
        if self.opts.comments and origin:
            self.lines.append(f"{pad}{text:<32} ; {origin}")
        else:
            self.lines.append(f"{pad}{text}")

    def node(self, i: int, depth: int) -> None:
        n = self.g.nodes[i]
        d = self.name[i]
        if n.op == "index":
            return
        if n.op == "input":
            self.line(depth, f"in   {d}, {n.name}", n.origin)
            return
        if n.op == "cmov":
            els, then, cond = (self.name[a] for a in n.args)
            self.line(depth, f"mov  {d}, {els}", n.origin)
            self.line(depth, f"cmov {d}, {then}, {cond}", n.origin)
            return
        args = ", ".join(self.name[a] for a in n.args)
        self.line(depth, f"{n.op:<4} {d}, {args}", n.origin)

    def region(self, rid: int, depth: int) -> None:
        if rid == 0:
            for port, v in self.early_outputs:
                if self.g.nodes[v].op != "input":
                    self.line(depth, f"out  {port}, {self.name[v]}", self.g.nodes[v].origin)
        for i in self.copies.get(rid, ()):
            n = self.g.nodes[i]
            self.line(depth, f"mov  {self.name[i]}, {n.name}", n.origin)
        units: list[tuple[int, int, bool]] = [(i, i, False) for i in self.members[rid]]
        units += [(self.last[c], c, True) for c in self.children[rid]]
        units.sort(key=lambda u: (u[0], u[2]))  # a value before the loop that writes it
        for _, item, is_region in units:
            if is_region:
                self.loop(item, depth)
            else:
                self.node(item, depth)
        if rid == 0:
            for port, v in self.g.outputs:
                if (port, v) in self.early_outputs and self.g.nodes[v].op != "input":
                    continue
                self.line(depth, f"out  {port}, {self.name[v]}", self.g.nodes[v].origin)
        self.moves(rid, depth)

    def has_code(self, rid: int) -> bool:
        """Whether a loop region emits any instruction besides its counter."""
        return (
            (rid == 0 and bool(self.g.outputs))
            or any(self.g.nodes[i].op != "index" for i in self.members[rid])
            or bool(self.mov_writes[rid])
            or bool(self.copies.get(rid))
            or any(self.has_code(c) for c in self.children[rid])
        )

    def index_read_after(self, rid: int) -> bool:
        """Whether the counter of loop ``rid`` is read outside the loop."""
        inside = {rid}
        for r in self.g.regions:  # regions are numbered parents first
            if r.parent in inside:
                inside.add(r.id)
        return any(
            self.g.nodes[u].region not in inside
            for i in self.members[rid]
            if self.g.nodes[i].op == "index"
            for u in self.users.get(i, ())
        ) or any(
            self.g.nodes[v].op == "index" and self.g.nodes[v].region == rid
            for _, v in self.g.outputs
        )

    def loop(self, rid: int, depth: int) -> None:
        """A hardware loop with its iteration counter (the for-iterator's ``k``).

        The counter starts at 0 and is incremented at the end of the body;
        when it is also read after the loop it starts at -1 and is incremented
        first thing in the body instead, so that it then holds the last
        iteration's index, as the semantics say."""
        r = self.g.regions[rid]
        has_index = any(self.g.nodes[i].op == "index" for i in self.members[rid])
        if not self.has_code(rid):  # everything was hoisted out or removed
            if has_index:
                self.line(depth, f"mov  _.i{rid}, {float(r.count - 1)!r}", r.origin)
            return
        early = has_index and self.index_read_after(rid)
        if has_index:
            self.line(depth, f"mov  _.i{rid}, {'-1.0' if early else '0.0'}", r.origin)
        self.lines.append(
            f"{'    ' * (depth + 1)}loop {r.count}"
            + (f"{'':<24} ; {r.origin}" if self.opts.comments and r.origin else "")
        )
        if early:
            self.line(depth + 1, f"add  _.i{rid}, _.i{rid}, 1.0", r.origin)
        self.region(rid, depth + 1)
        if has_index and not early:
            self.line(depth + 1, f"add  _.i{rid}, _.i{rid}, 1.0", r.origin)
        self.lines.append(f"{'    ' * (depth + 1)}endloop")

    def moves(self, rid: int, depth: int) -> None:
        """Copy the remaining next states into their cells: a ``mov`` waits until
        no other pending ``mov`` still reads its cell; a cycle goes through a
        temporary."""
        nodes = self.g.nodes
        pending = {cell: (self.name[v], nodes[v].origin) for cell, v in self.mov_writes[rid]}
        readers: Counter[str] = Counter(src for src, _ in pending.values())
        free = [cell for cell in pending if readers[cell] == 0]
        temp = 0
        while pending:
            if not free:  # a cycle of states: save one through a temporary
                cell = next(iter(pending))
                tmp = f"_.s{rid}.{temp}"
                temp += 1
                self.line(depth, f"mov  {tmp}, {cell}", "")
                for c, (src, origin) in pending.items():
                    if src == cell:
                        pending[c] = (tmp, origin)
                readers[cell] = 0
                free.append(cell)
                continue
            cell = free.pop()
            src, origin = pending.pop(cell)
            self.line(depth, f"mov  {cell}, {src}", origin)
            if src in pending:
                readers[src] -= 1
                if readers[src] == 0:
                    free.append(src)

    def text(self) -> str:
        g, o = self.g, self.opts
        out = [f"; {o.name}: generated by vtc from {o.source or 'a model'}; do not edit"]
        out.append(f".target {o.target}")
        for name, num, fmt in g.inputs:
            out.append(f".input  {name} {num} {fmt}")
        for name, num, fmt in g.output_ports:
            out.append(f".output {name} {num} {fmt}")
        used = {a for n in g.nodes for a in n.args} | {v for _, v in g.outputs}
        for r in g.regions:
            used.update(v for _, v in r.writes)
        for i, n in enumerate(g.nodes):
            if n.op == "const" and i in used:
                out.append(
                    f".const  {self.name[i]} = {_num(n.value)}"
                    + (f"{'':<8} ; {n.origin}" if o.comments and n.origin else "")
                )
        for cell, value, origin in g.states:
            out.append(
                f".state  {cell} = {_num(value)}" + (f"{'':<8} ; {origin}" if o.comments else "")
            )
        step = g.regions[0]
        if step.count > 1 and self.has_code(0):
            self.lines.append(f"    loop {step.count}{'':<24} ; samples_per_run")
            self.region(0, 1)
            self.lines.append("    endloop")
        else:
            self.region(0, 0)
        self.lines.append("    halt")
        return "\n".join(out + self.lines) + "\n"


def emit(graph: Graph, opts: EmitOptions) -> str:
    """The assembly text of a lowered (and optimised) model."""
    return _Emitter(graph, opts).text()
