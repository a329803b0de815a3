"""Layout and cell allocation: from a schedule to a :class:`MachineProgram`.

Layout puts every job at its address: a slot per issue cycle at the top level
(``nop`` in the gaps), a loop body's slots once however often it runs, and the
loop table of the set/reset module.

Allocation gives every value a data cell after scheduling. Each value lives
in an interval of absolute cycles, from the cycle its result becomes visible
to the last cycle it is read (a read in cycle ``c`` must still see it, a new
result may land in ``c + 1``). Values that must share a cell (web pairs of
:mod:`.dataflow`) are merged into one interval. Constants, pooled literals and
states occupy their cells for the whole run (a state keeps its home cell
between runs). Values made or read inside a top-level loop are held for the
whole of that loop. The intervals are coloured by the left-edge algorithm,
which uses exactly as many cells as the largest number of intervals alive in
one cycle: for straight-line code, the maximum number of live values.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from vtc.compiler.asm.dataflow import Dataflow, Node, Region
from vtc.compiler.asm.resolve import Op, Resolved
from vtc.compiler.asm.sched import INF, Schedule
from vtc.compiler.errors import ScheduleError
from vtc.compiler.machine.code import LoopSpec, MachineProgram, MInstr, PortInfo
from vtc.compiler.machine.isa import BY_NAME, ISA, Form

__all__ = ["Allocation", "layout"]


@dataclass(frozen=True)
class Allocation:
    """Result of cell allocation: cells used and the live-value bound beside them.

    ``loops`` maps each innermost loop region id to ``(local_cells,
    local_max_live)``: the cells given to values that live within one
    iteration, and the largest number of those alive in one cycle of the body
    (the bound those cells are compared with).
    """

    cells: int
    max_live: int
    loops: dict[int, tuple[int, int]] = field(default_factory=dict)


_NOP = MInstr("nop")


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


class _Times:
    """Absolute cycle of each op's first issue and the span of its top-level loop."""

    def __init__(self, df: Dataflow, sched: Schedule) -> None:
        self.first: dict[int, int] = {}
        self.top_span: dict[int, tuple[int, int]] = {}  # node id -> (start, end) of top loop
        for node in df.top.nodes:
            c = sched.top[node.id]
            if node.body is None:
                self.first[node.id] = c
            else:
                ls = sched.loops[node.body.id]
                span = (c, c + ls.info.tail)
                self.top_span[node.id] = span
                self._inner(node.body, c, span, sched)

    def _inner(self, region: Region, start: int, span: tuple[int, int], sched: Schedule) -> None:
        ls = sched.loops[region.id]
        for node in region.nodes:
            c = start + ls.pos[node.id]
            self.top_span[node.id] = span
            if node.body is None:
                self.first[node.id] = c
            else:
                self._inner(node.body, c, span, sched)


def _allocate(
    df: Dataflow, sched: Schedule, lat: dict[str, int]
) -> tuple[dict[int, int], Allocation]:
    """Cell of every value (by value id)."""
    times = _Times(df, sched)
    uf = _UnionFind(len(df.values))
    for a, b in df.pairs:
        uf.union(a.id, b.id)
    loop_stats = _share_loop_locals(df, sched, lat, uf)
    whole = -1
    start: dict[int, int] = {}
    end: dict[int, int] = {}

    def extend(root: int, s: int, e: int) -> None:
        start[root] = min(start.get(root, INF), s)
        end[root] = max(end.get(root, -INF), e)

    def read_time(r: Node) -> int:
        if r.id in times.top_span:
            return times.top_span[r.id][1]
        return times.first[r.id]

    order: list[int] = []
    for v in df.values:
        root = uf.find(v.id)
        if root not in start:
            order.append(root)
        if v.kind in ("const", "state"):
            extend(root, whole, INF)
            continue
        if v.kind == "phi":
            continue
        producer = v.producer
        assert producer is not None and producer.op is not None
        span = times.top_span.get(producer.id)
        if span is not None:
            lo, hi = span
        else:
            lo = hi = times.first[producer.id] + lat[producer.op.mnemonic]
        for r in v.readers:
            t = read_time(r)
            if t > hi:
                hi = t
        extend(root, lo, hi)
    for fin in df.final.values():
        extend(uf.find(fin.id), whole, INF)
    # left edge: intervals by start, a cell is free once its interval has ended
    groups = sorted((start[g], order_index, g) for order_index, g in enumerate(order))
    busy: list[tuple[int, int]] = []  # (end, cell)
    free: list[int] = []
    cell_of_group: dict[int, int] = {}
    next_cell = 0
    max_live = 0
    for s, _, g in groups:
        while busy and busy[0][0] < s:
            _, c = heapq.heappop(busy)
            heapq.heappush(free, c)
        if free:
            c = heapq.heappop(free)
        else:
            c = next_cell
            next_cell += 1
        cell_of_group[g] = c
        heapq.heappush(busy, (end[g], c))
        max_live = max(max_live, len(busy))
    cells = {v.id: cell_of_group[uf.find(v.id)] for v in df.values}
    return cells, Allocation(next_cell, max_live, loop_stats)


def _share_loop_locals(
    df: Dataflow, sched: Schedule, lat: dict[str, int], uf: _UnionFind
) -> dict[int, tuple[int, int]]:
    """Let values local to one iteration of an innermost loop share cells.

    A value made in an innermost loop body, read only there, tied to no
    other value by a web, and visible no later than the iteration's last issue
    is alive from ``p + lat`` to its last read, less than one period later.
    Taken modulo the period these lifetimes are arcs on a circle; values
    whose arcs are disjoint never hold their cell at the same time in any
    iteration, so they are merged (first fit by arc start) into
    one allocation group. Returns, per loop, the cells used and the largest
    number of arcs covering one cycle (the live-value bound).
    """
    webbed = {v.id for pair in df.pairs for v in pair}
    stats: dict[int, tuple[int, int]] = {}
    for region in df.regions:
        if region.stmt is None or any(n.body is not None for n in region.nodes):
            continue
        ls = sched.loops[region.id]
        period = ls.period
        arcs: list[tuple[int, int, int]] = []  # (start mod period, length, value id)
        last_issue = max(ls.pos[n.id] for n in region.nodes)
        for node in region.nodes:
            op = node.op
            assert op is not None
            for v in node.defs:
                if v.id in webbed or any(r.region is not region for r in v.readers):
                    continue
                vis = ls.pos[node.id] + lat[op.mnemonic]
                if vis > last_issue:
                    # lands after the iteration's last issue: in the last iteration
                    # that is after the loop, where the arcs say nothing (the loop may
                    # be entered again, with other timing): no sharing
                    continue
                last = max((ls.pos[r.id] for r in v.readers), default=vis)
                arcs.append((vis % period, last - vis + 1, v.id))
        if not arcs:
            continue
        arcs.sort()
        cells: list[tuple[int, list[tuple[int, int]]]] = []  # (first value id, its arcs)
        for start, length, vid in arcs:
            for owner, taken in cells:
                if not any(_arcs_meet(start, length, s2, l2, period) for s2, l2 in taken):
                    taken.append((start, length))
                    uf.union(owner, vid)
                    break
            else:
                cells.append((vid, [(start, length)]))
        cover = [0] * period
        for start, length, _ in arcs:
            for k in range(min(length, period)):
                cover[(start + k) % period] += 1
        stats[region.id] = (len(cells), max(cover))
    return stats


def _arcs_meet(s1: int, l1: int, s2: int, l2: int, period: int) -> bool:
    """Whether two arcs ``[s, s + l)`` on a circle of ``period`` cycles share a cycle."""
    if l1 >= period or l2 >= period:
        return True
    d = (s2 - s1) % period
    return d < l1 or (period - d) < l2


def layout(
    resolved: Resolved, df: Dataflow, sched: Schedule
) -> tuple[MachineProgram, Allocation, dict[int, tuple[int, int]]]:
    """Build the machine program of a scheduled program.

    Returns
    -------
    machine, allocation, loop_addresses
        The program; the cells it uses with the live-value bound; and for each
        loop region id, its (start, end) addresses.

    Raises
    ------
    ScheduleError
        The program needs more data cells or program slots than the target has.
    """
    target = resolved.target
    lat = {op.mnemonic: target.latency_of(op.mnemonic) for op in ISA}
    cells, alloc = _allocate(df, sched, lat)
    if alloc.cells > target.data_depth:
        raise ScheduleError(
            f"the program needs {alloc.cells} data cells, target '{target.name}' has "
            f"data_depth {target.data_depth}",
            where=resolved.program.file,
        )
    slots: list[MInstr] = []
    loops: list[LoopSpec] = []
    pipelines: list[tuple[int, int]] = []
    loop_addr: dict[int, tuple[int, int]] = {}

    def emit(node: Node, stage: int = 0) -> None:
        op = node.op
        assert op is not None
        dest = cells[node.defs[0].id] if node.defs else 0
        slots.append(machine_instr(op, dest, [cells[v.id] for v in node.uses], stage))

    def nops(k: int) -> None:
        if k > 0:
            slots.extend([_NOP] * k)

    def pipelined(region: Region) -> None:
        """Prologue, kernel loop and epilogue of a software-pipelined loop."""
        ls = sched.loops[region.id]
        ii, n, stages = ls.period, ls.count, ls.stages
        at_slot: dict[int, tuple[Node, int]] = {}
        for node in region.nodes:
            t = ls.pos[node.id]
            at_slot[t % ii] = (node, t // ii)

        def block(b: int) -> None:
            for q in range(ii):
                entry = at_slot.get(q)
                if entry is not None and 0 <= b - entry[1] < n:
                    emit(entry[0], entry[1])
                else:
                    nops(1)

        for b in range(stages - 1):
            block(b)
        start = len(slots)
        block(stages - 1)
        end = len(slots) - 1
        loops.append(LoopSpec(start, end, n - stages + 1))
        loop_addr[region.id] = (start, end)
        pipelines.append((start, stages))
        for b in range(n, n + stages - 1):
            block(b)

    def body(region: Region) -> None:
        ls = sched.loops[region.id]
        if ls.stages > 1:
            pipelined(region)
            return
        start = len(slots)
        nops(ls.period - jobs(region.nodes, ls.pos))
        end = len(slots) - 1
        loops.append(LoopSpec(start, end, ls.count))
        loop_addr[region.id] = (start, end)

    def jobs(nodes: list[Node], when: dict[int, int]) -> int:
        """Emit jobs in issue order, nops in the gaps; returns the cycle after the last."""
        t = 0
        for node in sorted(nodes, key=lambda n: when[n.id]):
            c = when[node.id]
            nops(c - t)
            if node.body is None:
                emit(node)
                t = c + 1
            else:
                body(node.body)
                t = c + sched.loops[node.body.id].length
        return t

    nops(sched.halt - jobs(df.top.nodes, sched.top))
    slots.append(MInstr("halt", origin=resolved.halt_index))
    if len(slots) > target.program_depth:
        raise ScheduleError(
            f"the program needs {len(slots)} program slots, target '{target.name}' has "
            f"program_depth {target.program_depth}",
            where=resolved.program.file,
        )
    data: dict[int, float] = {}
    symbols: list[tuple[str, str, int]] = []
    for name, value in resolved.consts.items():
        data[cells[df.consts[name].id]] = value
        symbols.append(("const", name, cells[df.consts[name].id]))
    for name, value in resolved.literals.items():
        data[cells[df.consts[name].id]] = value
        symbols.append(("literal", name[1:], cells[df.consts[name].id]))
    for name, value in resolved.states.items():
        data[cells[df.states[name].id]] = value
        symbols.append(("state", name, cells[df.states[name].id]))
    used_in = {n.op.port for n in df.top.all_ops() if n.op and n.op.mnemonic == "in"}
    used_out = {n.op.port for n in df.top.all_ops() if n.op and n.op.mnemonic == "out"}
    default = target.default_format
    inputs = _ports(resolved.inputs, used_in, "in", default)
    outputs = _ports(resolved.outputs, used_out, "out", default)
    machine = MachineProgram(
        target=target,
        slots=tuple(slots),
        loops=tuple(sorted(loops, key=lambda lp: (lp.start, -lp.end))),
        data=tuple(sorted(data.items())),
        inputs=inputs,
        outputs=outputs,
        symbols=tuple(symbols),
        pipelines=tuple(sorted(pipelines)),
    )
    return machine, alloc, loop_addr


def machine_instr(op: Op, dest: int, srcs: list[int], stage: int = 0) -> MInstr:
    """The slot of ``op`` with its destination cell and source cells (field order).

    ``cmov``'s old destination value, if listed in ``srcs`` after ``a`` and
    ``c``, is read from ``dest`` itself and needs no field.
    """
    form = BY_NAME[op.mnemonic].form
    o = op.index
    if form is Form.NONE:
        return MInstr(op.mnemonic, origin=o, stage=stage)
    if form is Form.IN:
        return MInstr("in", d=dest, a=op.port or 0, origin=o, stage=stage)
    if form is Form.OUT:
        return MInstr("out", d=op.port or 0, a=srcs[0], origin=o, stage=stage)
    if form is Form.DA:
        return MInstr(op.mnemonic, d=dest, a=srcs[0], origin=o, stage=stage)
    return MInstr(op.mnemonic, d=dest, a=srcs[0], b=srcs[1], origin=o, stage=stage)


def _ports(
    declared: tuple[PortInfo, ...], used: set[int | None], prefix: str, default: str
) -> tuple[PortInfo, ...]:
    ports = {p.number: p for p in declared}
    for number in used:
        if number is not None and number not in ports:
            ports[number] = PortInfo(number, f"{prefix}{number}", default)
    return tuple(ports[k] for k in sorted(ports))
