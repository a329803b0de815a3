"""The timing part of the verifier: both programs executed symbolically, unrolled.

The source runs in program order; the machine runs cycle by cycle under the
rules of target.md section 2 (a read in cycle ``c`` sees the newest write
visible at or before ``c``; a write issued in ``c`` is visible from
``c + latency``). Loop counts are reduced to a window that still holds every
interaction between iterations (see :mod:`.verify`).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vtc.compiler.asm.program import Cell, Instr, Literal, Loop, Operand, PortRef, Shared, Stmt
from vtc.compiler.asm.verify_model import (
    NO_VALUE,
    SHAPES,
    CellKey,
    MLoop,
    Token,
    cell_name,
    field_of,
    instance_of,
    iteration_text,
    line_of,
)
from vtc.compiler.asm.verify_pipeline import source_iterations
from vtc.compiler.machine.isa import Form

if TYPE_CHECKING:
    from vtc.compiler.asm.verify import _Verifier


@dataclass(frozen=True)
class SlotInfo:
    """What the timing run needs to know about one slot."""

    origin: int | None
    lat: int
    tail: int  # cycles it adds to the run from its issue (rule 5)
    reads: tuple[tuple[CellKey, int], ...]  # (cell, index into the source reads)
    write: CellKey | None
    local_write: bool
    port_in: int | None
    port_out: int | None


@dataclass(frozen=True)
class BadRead:
    """The first wrong read of one slot operand."""

    addr: int
    cycle: int
    iv: tuple[int, ...]
    key: CellKey
    got: Token
    exp: Token


@dataclass(frozen=True)
class WriteInfo:
    """One machine write instance: who, when, where."""

    addr: int
    issue: int
    visible: int
    key: CellKey
    iv: tuple[int, ...]


class Timing:
    """Rules 2 and 3 of target.md section 2 and the meaning, over the unrolled programs."""

    def __init__(self, v: _Verifier) -> None:
        self.v = v
        self.slot_info: list[SlotInfo] = []
        self.prepare_slots()

    def prepare_slots(self) -> None:
        latency: dict[str, int] = {}
        for ins in self.v.slots:
            shape = SHAPES[ins.mnemonic]
            lat = latency.get(ins.mnemonic)
            if lat is None:
                lat = latency[ins.mnemonic] = self.v.target.latency_of(ins.mnemonic)
            reads: list[tuple[CellKey, int]] = []
            for j, (fname, _) in enumerate(shape.reads):
                value, flag = field_of(ins, fname)
                reads.append((-1 - value if flag else value, j))
            write: CellKey | None = None
            if shape.writes:
                write = -1 - ins.d if ins.d_shared else ins.d
            self.slot_info.append(
                SlotInfo(
                    origin=ins.origin,
                    lat=lat,
                    tail=1 if shape.form is Form.NONE else max(1, lat),
                    reads=tuple(reads),
                    write=write,
                    local_write=write is not None and write >= 0,
                    port_in=ins.a if shape.port == "in" else None,
                    port_out=ins.d if shape.port == "out" else None,
                )
            )

    def body_lengths(self, counts: dict[int, int]) -> dict[int, int]:
        lengths: dict[int, int] = {}
        for m in sorted(self.v.mloops, key=lambda m: -m.depth):
            if m.depth == 0:
                continue
            inner = sum((counts[c.number] - 1) * lengths[c.number] for c in m.children)
            lengths[m.number] = m.spec.end - m.spec.start + 1 + inner
        return lengths

    def windows(self) -> dict[int, int]:
        """The checked iteration count of every machine loop, inner loops first.

        A plain loop keeps ``min(N, 2 * span + 3)`` iterations, ``span`` being
        ``ceil(max_latency / B)``; the kernel of a loop pipelined in ``S``
        stages keeps ``min(N - S + 1, 2 * span + 4)``: its source loop then
        runs ``min(N, S + 2 * span + 3)`` iterations.
        """
        max_lat = max(s.lat for s in self.slot_info)
        reduced: dict[int, int] = {}
        lengths: dict[int, int] = {}
        for m in sorted(self.v.mloops, key=lambda m: -m.depth):
            inner = sum((reduced[c.number] - 1) * lengths[c.number] for c in m.children)
            lengths[m.number] = m.spec.end - m.spec.start + 1 + inner
            span = -(-max_lat // lengths[m.number])
            keep = 2 * span + (4 if m.pipe is not None else 3)
            reduced[m.number] = min(m.spec.count, keep)
        cut = [m for m in self.v.mloops if reduced[m.number] < m.spec.count]
        if cut:
            parts = ", ".join(
                f"loop {m.number} runs {reduced[m.number]} of its {m.spec.count} iterations"
                + self.source_window(m, reduced[m.number])
                for m in cut
            )
            self.v.notes = (
                f"cycles and iterations are counted in the checked window, where {parts}",
            )
        return reduced

    @staticmethod
    def source_window(m: MLoop, kept: int) -> str:
        if m.pipe is None or m.src is None:
            return ""
        extra = m.pipe.stages - 1
        return (
            f" (the kernel of source loop {line_of(m.src.loop.loc)}, which runs {kept + extra} "
            f"of its {m.src.loop.count})"
        )

    def cycles(self, counts: dict[int, int]) -> int:
        """Rule 5 for the given loop counts, without unrolling."""
        lengths = self.body_lengths(counts)
        extra_after = [0] * len(self.v.slots)
        for m in self.v.mloops:
            extra_after[m.spec.end] += (counts[m.number] - 1) * lengths[m.number]
        best = 0
        t = 0
        for addr, info in enumerate(self.slot_info):
            last = t + sum((counts[m.number] - 1) * lengths[m.number] for m in self.v.chain[addr])
            best = max(best, last + info.tail)
            t += 1 + extra_after[addr]
        return best

    def instances(self, windows: dict[int, int]) -> list[tuple[int, tuple[int, ...]]]:
        """Slot address and iteration vector of every issue, in issue order.

        The iteration vector is that of the source instance the slot runs:
        in a pipelined loop, the source iteration its block and stage give.
        """
        out: list[tuple[int, tuple[int, ...]]] = []
        fixed = source_iterations(self.v, windows)
        slots = self.v.slots

        def straight(lo: int, hi: int, iv: tuple[int, ...]) -> None:
            if not fixed:
                out.extend((a, iv) for a in range(lo, hi))
                return
            for a in range(lo, hi):
                k = fixed.get(a)
                out.append((a, iv if k is None else (*iv, k)))

        def walk(lo: int, hi: int, loops: list[MLoop], iv: tuple[int, ...]) -> None:
            addr = lo
            for m in loops:
                straight(addr, m.spec.start, iv)
                body = range(m.spec.start, m.spec.end + 1)
                if m.pipe is not None:
                    # kernel iteration k is block S - 1 + k; a slot of stage s runs k + S - 1 - s
                    lag = [(a, m.pipe.stages - 1 - slots[a].stage) for a in body]
                    for k in range(windows[m.number]):
                        out.extend((a, (*iv, k + d)) for a, d in lag)
                else:
                    for k in range(windows[m.number]):
                        walk(m.spec.start, m.spec.end, m.children, (*iv, k))
                addr = m.spec.end + 1
            straight(addr, hi + 1, iv)

        walk(0, len(slots) - 1, self.v.top_loops, ())
        return out

    def check(self, windows: dict[int, int]) -> int:
        src_counts = {
            id(m.src.loop): windows[m.number] + (m.pipe.stages - 1 if m.pipe else 0)
            for m in self.v.mloops
            if m.src is not None
        }
        source = SourceRun(self.v, src_counts)
        source.run(self.v.body, ())
        issues = self.instances(windows)
        self.simulate(issues, source)
        return len(issues)

    def simulate(self, issues: list[tuple[int, tuple[int, ...]]], source: SourceRun) -> None:
        v = self.v
        infos = self.slot_info
        expected = source.expected
        mem: dict[CellKey, Token] = dict(v.init)
        # pending writes: (visible, issue, addr, iv, cell); issue cycles are unique
        heap: list[tuple[int, int, int, tuple[int, ...], CellKey]] = []
        written: dict[Token, WriteInfo] = {}
        port: dict[int, tuple[int, int, tuple[int, ...]]] = {}  # vis -> addr, issue, iv
        shared_port: dict[int, list[int]] = defaultdict(list)
        ins_seq: dict[int, list[tuple[Token, int]]] = defaultdict(list)
        outs_seq: dict[int, list[tuple[Token, int]]] = defaultdict(list)
        bad_reads: dict[tuple[int, CellKey], BadRead] = {}  # the first per slot and cell
        collisions: set[tuple[int, int]] = set()

        pop = heapq.heappop
        for cycle, (addr, iv) in enumerate(issues):
            while heap and heap[0][0] <= cycle:
                _, _, w_addr, w_iv, w_key = pop(heap)
                mem[w_key] = (infos[w_addr].origin, w_iv)
            info = infos[addr]
            origin = info.origin
            if origin is None:
                continue
            if info.reads:
                want = expected[origin, iv]
                for key, j in info.reads:
                    got = mem.get(key, NO_VALUE)
                    exp = want[j]
                    if got != exp and exp[0] != "undefined" and (addr, key) not in bad_reads:
                        bad_reads[addr, key] = BadRead(addr, cycle, iv, key, got, exp)
            dest = info.write
            if dest is not None:
                vis = cycle + info.lat
                heapq.heappush(heap, (vis, cycle, addr, iv, dest))
                written[origin, iv] = WriteInfo(addr, cycle, vis, dest, iv)
                if info.local_write:
                    other = port.get(vis)
                    if other is None:
                        port[vis] = (addr, cycle, iv)
                    elif (other[0], addr) not in collisions:
                        collisions.add((other[0], addr))
                        self.port_conflict(vis, other, addr, cycle, iv)
                else:
                    shared_port[vis].append(addr)
            if info.port_in is not None:
                ins_seq[info.port_in].append(((origin, iv), addr))
            elif info.port_out is not None:
                outs_seq[info.port_out].append(((origin, iv), addr))
        while heap:
            _, _, w_addr, w_iv, w_key = pop(heap)
            mem[w_key] = (infos[w_addr].origin, w_iv)

        self.check_shared_port(shared_port)
        for _, bad in sorted(bad_reads.items()):
            self.report_read(bad, written)
        self.check_ports("input", source.ins, ins_seq)
        self.check_ports("output", source.outs, outs_seq)
        self.check_final(mem, source, written)

    def port_conflict(
        self,
        vis: int,
        other: tuple[int, int, tuple[int, ...]],
        addr: int,
        cycle: int,
        iv: tuple[int, ...],
    ) -> None:
        """Rule 3: ``other`` (address, issue, iteration) and this write land in cycle ``vis``."""
        v = self.v
        v.fail(
            f"write-port conflict in cycle {vis}: {v.slot(other[0])} issued in cycle "
            f"{other[1]}{iteration_text(other[2])} and {v.slot(addr)} issued in cycle "
            f"{cycle}{iteration_text(iv)} both write back then",
            v.loc_of(addr),
        )

    def check_shared_port(self, shared_port: dict[int, list[int]]) -> None:
        """At most ``writes_per_cycle`` shared writes land in one cycle."""
        limit = self.v.target.shared.writes_per_cycle
        for vis, addrs in sorted(shared_port.items()):
            if len(addrs) > limit:
                names = ", ".join(str(a) for a in addrs)
                self.v.fail(
                    f"slots {names} all write shared memory in cycle {vis}; it takes {limit} "
                    "write(s) per cycle",
                    self.v.loc_of(addrs[-1]),
                )

    def report_read(self, bad: BadRead, written: dict[Token, WriteInfo]) -> None:
        v = self.v
        cell = cell_name(bad.key)
        head = f"{v.slot(bad.addr)} reads {cell} in cycle {bad.cycle}{iteration_text(bad.iv)}"
        want = v.describe(bad.exp)
        if bad.got == NO_VALUE:
            msg = f"{head} before any value is in it, but the source reads {want}"
        else:
            msg = f"{head} and gets {v.describe(bad.got)}, but the source reads {want}"
        w = written.get(bad.exp)
        g = written.get(bad.got)
        if w is not None:
            if w.key != bad.key:
                msg += f", which slot {w.addr} writes to {cell_name(w.key)}"
            elif w.visible > bad.cycle:
                msg += f", which slot {w.addr} makes visible only in cycle {w.visible}"
            elif g is not None:
                msg += (
                    f", which slot {w.addr} made visible in cycle {w.visible} but slot "
                    f"{g.addr} overwrote in cycle {g.visible}"
                )
        elif g is not None:
            msg += f"; slot {g.addr} overwrote {cell} in cycle {g.visible}"
        v.fail(msg, v.loc_of(bad.addr))

    def check_ports(
        self,
        kind: str,
        source: dict[int, list[Token]],
        machine: dict[int, list[tuple[Token, int]]],
    ) -> None:
        for p in sorted(set(source) | set(machine)):
            want, got = source.get(p, []), machine.get(p, [])
            for k, (w, (g, addr)) in enumerate(zip(want, got, strict=False)):
                if w != g:
                    _, g_iv = instance_of(g)
                    w_index, w_iv = instance_of(w)
                    self.v.fail(
                        f"{kind} port {p}: {kind} {k} of the run comes from {self.v.slot(addr)}"
                        f"{iteration_text(g_iv)}, but in the source it comes from "
                        f"{self.v.src(w_index)}{iteration_text(w_iv)}",
                        self.v.loc_of(addr),
                    )
                    break

    def check_final(
        self, mem: dict[CellKey, Token], source: SourceRun, written: dict[Token, WriteInfo]
    ) -> None:
        for name, home in sorted(self.v.state_home.items(), key=lambda x: x[1]):
            exp = source.env.get(name, ("state", name))
            got = mem.get(home, NO_VALUE)
            if got != exp:
                msg = (
                    f"at the end of the run the home cell r{home} of state '{name}' holds "
                    f"{self.v.describe(got)}, but the source leaves {self.v.describe(exp)} there"
                )
                w = written.get(exp)
                if w is not None:
                    msg += f" (slot {w.addr} writes that value to {cell_name(w.key)})"
                self.v.fail(msg, self.v.states[name].loc)
        for name, exp in sorted(source.shared_env.items()):
            addr = self.v.shared_addr.get(name)
            if addr is None:
                continue
            got = mem.get(-1 - addr, NO_VALUE)
            if got != exp:
                self.v.fail(
                    f"at the end of the run shared cell '@{name}' (@{addr}) holds "
                    f"{self.v.describe(got)}, but the source leaves {self.v.describe(exp)} there"
                )


class SourceRun:
    """Sequential symbolic execution of the source with reduced loop counts."""

    def __init__(self, v: _Verifier, counts: dict[int, int]) -> None:
        self.v = v
        self.counts = counts
        self.env: dict[str, Token] = {}
        for name, decl in v.consts.items():
            self.env[name] = v.value_token(decl.value)
        for name in v.states:
            self.env[name] = ("state", name)
        self.shared_env: dict[str, Token] = {}
        self.expected: dict[tuple[int, tuple[int, ...]], tuple[Token, ...]] = {}
        self.ins: dict[int, list[Token]] = defaultdict(list)
        self.outs: dict[int, list[Token]] = defaultdict(list)
        self.reported: set[int] = set()

    def run(self, body: Iterable[Stmt], iv: tuple[int, ...]) -> None:
        for stmt in body:
            if isinstance(stmt, Instr):
                self.step(stmt, iv)
            elif isinstance(stmt, Loop):
                for k in range(self.counts[id(stmt)]):
                    self.run(stmt.body, (*iv, k))

    def read(self, ins: Instr, op: Operand) -> Token:
        if isinstance(op, Literal):
            return self.v.value_token(op.value)
        if isinstance(op, Shared):
            return self.shared_env.get(op.name, ("shared", op.name))
        assert isinstance(op, Cell)
        token = self.env.get(op.name)
        if token is None:
            if ins.index not in self.reported:
                self.reported.add(ins.index)
                self.v.fail(
                    f"{self.v.src(ins.index)} reads temporary '{op.name}' before "
                    "anything writes it in the run",
                    op.loc,
                )
            return ("undefined", op.name)
        return token

    def step(self, ins: Instr, iv: tuple[int, ...]) -> None:
        shape = SHAPES[ins.mnemonic]
        token: Token = (ins.index, iv)
        ops = ins.operands
        if shape.reads:
            self.expected[ins.index, iv] = tuple(self.read(ins, ops[pos]) for _, pos in shape.reads)
        if shape.port == "in":
            ref = ops[1]
            assert isinstance(ref, PortRef)
            self.ins[self.v.port_number(ref, "in")].append(token)
        elif shape.port == "out":
            ref = ops[0]
            assert isinstance(ref, PortRef)
            self.outs[self.v.port_number(ref, "out")].append(token)
        if shape.writes:
            dest = ops[0]
            if isinstance(dest, Shared):
                self.shared_env[dest.name] = token
            else:
                assert isinstance(dest, Cell)
                if dest.name in self.v.consts and ins.index not in self.reported:
                    self.reported.add(ins.index)
                    self.v.fail(f"{self.v.src(ins.index)} writes constant '{dest.name}'", dest.loc)
                self.env[dest.name] = token
