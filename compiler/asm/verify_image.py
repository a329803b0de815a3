"""The machine-only check: a machine program that is its own meaning.

Code written with ``.scheduled`` (what ``vtc disasm`` emits) and a decoded
image have no separate sequential meaning to compare with: the machine code
is the meaning. What can still be wrong is checked here, for
:func:`vtc.compiler.asm.verify.verify_machine`: operands in range, the
shared-memory flags ``lds``/``sts`` need, the EUs of the core, the data image
and the symbol table, no write to a read-only cell and, over the unrolled
run (loop counts reduced to a window as in :mod:`.verify`), the write port
(target.md section 2 rule 3) and reads of local cells that hold nothing: a
cell holds a value from the start of the run if the data image initialises
it, else from the cycle the first result written to it becomes visible.
Shared cells are taken to hold a value (another core, or the shared image,
may have put one there).

Internal to :mod:`.verify`; shares nothing with the scheduler.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from typing import TYPE_CHECKING

from vtc.compiler.asm.verify_model import SHAPES, CellKey, field_of, iteration_text
from vtc.compiler.asm.verify_timing import Timing
from vtc.compiler.errors import SourceLocation
from vtc.compiler.machine.isa import Form

if TYPE_CHECKING:
    from vtc.compiler.asm.verify import _Verifier


def check_program_size(v: _Verifier) -> bool:
    """A program with slots that fits program memory; ``False`` if it has no slots."""
    target = v.target
    if not v.slots:
        v.fail("the machine program has no slots", fatal=True)
        return False
    if len(v.slots) > target.program_depth:
        v.fail(
            f"the machine program needs {len(v.slots)} slots but target '{target.name}' has "
            f"{target.program_depth} words of program memory"
        )
    return True


def check_image_slots(v: _Verifier) -> None:
    """Known mnemonics and a program that fits program memory."""
    if not check_program_size(v):
        return
    v.ops = []
    for addr, ins in enumerate(v.slots):
        info = ins.info if ins.mnemonic in SHAPES else None
        v.ops.append(info)
        if info is None:
            v.fail(f"slot {addr} holds unknown mnemonic '{ins.mnemonic}'", fatal=True)


def check_image_operands(v: _Verifier) -> None:
    """Cells, shared cells and ports in range; at most one shared source; the core's EUs."""
    target = v.target
    core_eus = target.cores[v.core].eus if v.core < len(target.cores) else ()
    for addr, ins in enumerate(v.slots):
        info = v.ops[addr]
        assert info is not None
        loc = v.loc_of(addr)
        if core_eus and info.eu is not None and info.eu not in core_eus:
            v.fail(
                f"{v.slot(addr)} needs EU '{info.eu}', which core {v.core} of target "
                f"'{target.name}' does not have",
                loc,
            )
        shared_reads = 0
        for fname, _, role in SHAPES[ins.mnemonic].fields:
            value, flag = field_of(ins, fname)
            if role in ("in", "out"):
                kind = "input" if role == "in" else "output"
                limit = target.input_ports if role == "in" else target.output_ports
                if flag:
                    v.fail(f"{v.slot(addr)}: field {fname} is a port number, not a cell", loc)
                elif not 0 <= value < limit:
                    v.fail(
                        f"{v.slot(addr)} uses {kind} port {value}; target '{target.name}' has "
                        f"{limit} {kind} ports",
                        loc,
                    )
                continue
            if role != "dest" and flag:
                shared_reads += 1
            if not flag and (info.form, fname) in ((Form.LDS, "a"), (Form.STS, "d")):
                what = "reads" if fname == "a" else "writes"
                v.fail(
                    f"{v.slot(addr)}: '{ins.mnemonic}' {what} shared memory, but field {fname} "
                    "addresses a local cell",
                    loc,
                )
            elif flag and not 0 <= value < target.shared.depth:
                v.fail(
                    f"{v.slot(addr)} addresses shared cell {value}, beyond the "
                    f"{target.shared.depth} cells of shared memory",
                    loc,
                )
            elif not flag and not 0 <= value < target.data_depth:
                v.fail(
                    f"{v.slot(addr)}: field {fname} addresses cell {value}, beyond the "
                    f"{target.data_depth} data cells of target '{target.name}'",
                    loc,
                )
        if shared_reads > 1:
            v.fail(
                f"{v.slot(addr)} reads {shared_reads} shared cells; at most one source may be "
                "in shared memory",
                loc,
            )


def check_data(v: _Verifier) -> None:
    """The data image and the symbol table agree; read-only cells are never written."""
    target = v.target
    data: set[int] = set()
    for addr, _ in v.machine.data:
        if not 0 <= addr < target.data_depth:
            v.fail(
                f"the data image initialises cell {addr}, beyond the {target.data_depth} data "
                f"cells of target '{target.name}'"
            )
        elif addr in data:
            v.fail(f"the data image initialises r{addr} twice")
        else:
            data.add(addr)
            v.init[addr] = ("data", addr)
    seen: dict[tuple[str, str], int] = {}
    owner: dict[int, tuple[str, str]] = {}  # cell -> (label, kind)
    for kind, name, addr in v.machine.symbols:
        label = {"const": f"constant '{name}'", "state": f"state '{name}'"}.get(
            kind, f"literal {name.removeprefix('=')}"
        )
        if kind not in ("const", "state", "literal"):
            v.fail(f"symbol '{name}' has unknown kind '{kind}'")
            continue
        if (kind, name) in seen:
            v.fail(f"{label} appears twice in the symbol table (r{seen[kind, name]} and r{addr})")
            continue
        seen[kind, name] = addr
        if not 0 <= addr < target.data_depth:
            v.fail(
                f"{label} is at cell {addr}, beyond the {target.data_depth} data cells of "
                f"target '{target.name}'"
            )
            continue
        if addr in owner and "state" in (kind, owner[addr][1]):
            v.fail(f"r{addr} holds both {owner[addr][0]} and {label}")
            continue
        owner[addr] = (label, kind)
        if addr not in data:
            v.fail(f"{label} has no initial value: r{addr} is not in the data image")
        if kind != "state":
            v.ro_cells[addr] = label
    if all(op is not None for op in v.ops):
        v.check_read_only_writes()


class MachineRun:
    """The unrolled run of the machine alone: the write port and reads of empty cells."""

    def __init__(self, v: _Verifier, timing: Timing) -> None:
        self.v = v
        self.timing = timing

    def run(self, windows: dict[int, int]) -> int:
        """Check the run with the given loop counts; returns the instances issued."""
        v = self.v
        timing = self.timing
        infos = timing.slot_info
        issues = timing.instances(windows)
        full: set[CellKey] = set(v.init)
        heap: list[tuple[int, int, int, CellKey]] = []  # (visible, issue, addr, cell)
        port: dict[int, tuple[int, int, tuple[int, ...]]] = {}  # vis -> addr, issue, iv
        shared_port: dict[int, list[int]] = defaultdict(list)
        collisions: set[tuple[int, int]] = set()
        reported: set[tuple[int, CellKey]] = set()
        pop, push = heapq.heappop, heapq.heappush
        for cycle, (addr, iv) in enumerate(issues):
            while heap and heap[0][0] <= cycle:
                full.add(pop(heap)[3])
            info = infos[addr]
            for key, _ in info.reads:
                if key >= 0 and key not in full and (addr, key) not in reported:
                    reported.add((addr, key))
                    self.empty_read(addr, key, cycle, iv, heap)
            dest = info.write
            if dest is None:
                continue
            vis = cycle + info.lat
            push(heap, (vis, cycle, addr, dest))
            if not info.local_write:
                shared_port[vis].append(addr)
                continue
            other = port.get(vis)
            if other is None:
                port[vis] = (addr, cycle, iv)
            elif (other[0], addr) not in collisions:
                collisions.add((other[0], addr))
                timing.port_conflict(vis, other, addr, cycle, iv)
        timing.check_shared_port(shared_port)
        return len(issues)

    def empty_read(
        self,
        addr: int,
        key: CellKey,
        cycle: int,
        iv: tuple[int, ...],
        heap: list[tuple[int, int, int, CellKey]],
    ) -> None:
        v = self.v
        msg = (
            f"{v.slot(addr)} reads r{key} in cycle {cycle}{iteration_text(iv)}, which holds no "
            f"value: r{key} is not initialised and no result written to it is visible by then"
        )
        pending = [(vis, w_addr) for vis, _, w_addr, w_key in heap if w_key == key]
        if pending:
            vis, w_addr = min(pending)
            msg += f" (slot {w_addr} makes one visible only in cycle {vis})"
        loc: SourceLocation | None = v.loc_of(addr)
        v.fail(msg, loc)
