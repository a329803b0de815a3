"""The independent verifier: re-checks a schedule against the timing rules and the source.

:func:`verify` takes the source :class:`~vtc.compiler.asm.program.Program`
and the :class:`~vtc.compiler.machine.code.MachineProgram` the assembler made
of it and checks, sharing no code with the scheduler or the allocator:

1. **Structure.** Every source instruction sits in exactly one slot (its
   ``origin``) with the same mnemonic and matching operands (ports, shared
   cells); slot operands are in range; the loop table obeys target.md
   section 3 (counts 1..65535, non-empty bodies, proper nesting, depth, no
   inner loop ending with its enclosing loop, ``halt`` last and outside every
   loop); each machine loop corresponds to one source loop, holds exactly its
   instructions and repeats as often.
   A software-pipelined loop (:attr:`MachineProgram.pipelines
   <vtc.compiler.machine.code.MachineProgram.pipelines>`, see
   :mod:`.verify_pipeline`) of ``N`` iterations and ``S >= 2`` stages is a
   kernel loop-table entry without inner loops that repeats ``N - S + 1``
   times, with a prologue and an epilogue of ``S - 1`` kernel-length blocks
   directly in the kernel's enclosing loop (or at the top level). Its
   instructions sit exactly once in the kernel; the prologue and epilogue
   hold nothing but copies of them, whose stages make each iteration the
   kernel does not run run by exactly one copy.
2. **Timing and meaning**, by unrolling (target.md section 3): both programs
   are executed symbolically, the source in program order and the machine
   cycle by cycle under the rules of target.md section 2 (a read sees the
   newest write visible at or before its cycle). Every machine read must see
   the value the source instruction reads, no two local writes may become
   visible in the same cycle, no read-only cell is written, every state's
   home cell holds the state's final value at the end of the run, and the
   ``in``/``out`` instances of each port come in source order. A slot of
   stage ``s`` in block ``b`` of a pipelined loop runs source iteration
   ``b - s`` (blocks numbered over prologue, kernel iterations and epilogue).
   Iterations only interact within ``ceil(max_latency / B)`` of each other,
   so a loop of ``N`` iterations is checked with
   ``min(N, 2 * ceil(max_latency / B) + 3)`` of them (``B`` its body length
   in cycles, inner loops reduced first), a pipelined one with
   ``min(N, S + 2 * ceil(max_latency / II) + 3)`` source iterations (its
   kernel ``S - 1`` fewer); the reported :attr:`VerifyReport.cycles` uses the
   real counts (a pipelined loop takes ``(N + S - 1) * II`` cycles).
3. **Data.** Constant, literal and state cells hold their initial values bit
   for bit at the target precision.

A value is a *token*: the instance ``(Instr.index, iteration vector)`` of the
instruction that computed it, ``("state", name)`` for a state's value at the
start of the run, ``("value", bits)`` for a read-only value (a constant or a
pooled literal: both are the same value when their bits agree) and
``("shared", name)`` for a shared cell's value at the start of the run.

Modelling choices, as the simulator makes them: ``cmov`` reads its
destination at issue like any operand and always writes its result back (so
another value may pass through its destination while it is in flight); a
read in the cycle a write becomes visible sees the new value. Shared memory
is checked from the point of view of one core only: each ``@name`` keeps one
address, reads see this core's own earlier writes, writes become visible by
rule 2 and at most ``writes_per_cycle`` land in one cycle; what other cores
do to a shared cell, and the shared read ports, are not checked here. When a
core lists its EUs (``[[cores]] eus``) every slot must use one of them.

Every problem is a :class:`~vtc.compiler.errors.VerifyError` naming slots,
cycles, cells and source lines; several are raised together as a
:class:`~vtc.compiler.errors.VtcErrors`. Structural problems stop the check
before the timing part, whose messages would only repeat them.

:func:`verify_machine` checks a machine program that is its own meaning
(``.scheduled`` code, a decoded image): everything above that needs no
source (:mod:`.verify_image`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vtc.compiler.asm.program import (
    Cell,
    Instr,
    Literal,
    Loop,
    PortRef,
    Program,
    Shared,
    Stmt,
    walk_instrs,
)
from vtc.compiler.asm.verify_image import (
    MachineRun,
    check_data,
    check_image_operands,
    check_image_slots,
    check_program_size,
)
from vtc.compiler.asm.verify_model import (
    MAX_LOOP_COUNT,
    SHAPES,
    CellKey,
    MLoop,
    Pipe,
    SrcLoop,
    Token,
    field_of,
    iteration_text,
    line_of,
    operand_text,
    value_bits,
)
from vtc.compiler.asm.verify_pipeline import check_pipes, find_pipes, link_pipes
from vtc.compiler.asm.verify_timing import Timing
from vtc.compiler.errors import SourceLocation, VerifyError, VtcErrors
from vtc.compiler.machine.code import MachineProgram
from vtc.compiler.machine.isa import Form, OpInfo, lookup
from vtc.compiler.machine.semantics import as_precision
from vtc.compiler.machine.target import Target

__all__ = ["VerifyReport", "verify", "verify_machine"]


@dataclass(frozen=True)
class VerifyReport:
    """What :func:`verify` found about a correct schedule.

    Attributes
    ----------
    cycles:
        Cycles per run (target.md section 2 rule 5), every iteration of the
        real loop counts included.
    instructions_checked:
        Instruction instances issued in the checked window (nops included):
        the unrolled program with every loop count ``N`` reduced to
        ``min(N, 2 * ceil(max_latency / B) + 3)`` (the kernel of a pipelined
        loop: ``min(N, 2 * ceil(max_latency / II) + 4)``).
    slots:
        Program-memory slots of the machine program.
    windows:
        For each loop-table entry, in table order, the iterations checked.
    """

    cycles: int
    instructions_checked: int
    slots: int
    windows: tuple[int, ...] = ()


def verify(program: Program, machine: MachineProgram, *, core: int = 0) -> VerifyReport:
    """Check that ``machine`` is a correct schedule of ``program``'s core ``core``.

    Raises
    ------
    VerifyError, VtcErrors
        Every problem found (see the module docstring).
    """
    return _Verifier(program, machine, core).run()


def verify_machine(machine: MachineProgram, program: Program | None = None) -> VerifyReport:
    """Check a machine program that is its own meaning (``.scheduled`` code, an image).

    There is no source to compare with, so this checks what holds for any
    machine program (see :mod:`.verify_image`): program memory, the loop
    table (target.md section 3), operand ranges, EUs, the data image and
    symbol table, no write to a constant's cell, and over the unrolled run
    the write port and reads of local cells that hold no value. The report's
    ``cycles`` follows rule 5 with the real loop counts.

    ``program``, the ``.scheduled`` source the slots come from (their
    ``origin`` is its ``Instr.index``), only adds ``file:line`` to messages.

    Raises
    ------
    VerifyError, VtcErrors
        Every problem found, naming slot addresses (and source lines).
    """
    empty = Program(file="<machine>", cores=())
    return _Verifier(program or empty, machine, 0).run_machine()


# --- the verifier -------------------------------------------------------------


class _Verifier:
    def __init__(self, program: Program, machine: MachineProgram, core: int) -> None:
        self.program = program
        self.machine = machine
        self.target: Target = machine.target
        self.core = core
        self.slots = machine.slots
        self.errors: list[VerifyError] = []
        self.fatal = False
        self.notes: tuple[str, ...] = ()
        # source
        self.instrs: dict[int, Instr] = {}
        self.infos: dict[int, OpInfo] = {}
        self.src_loops: list[SrcLoop] = []
        self.body: tuple[Stmt, ...] = ()
        self.in_ports = {d.name: d.number for d in program.inputs}
        self.out_ports = {d.name: d.number for d in program.outputs}
        self.consts = {d.name: d for d in program.consts}
        self.states = {d.name: d for d in program.states}
        self.ro_desc: dict[Token, str] = {}
        # machine
        self.ops: list[OpInfo | None] = []  # per slot
        self.place: dict[int, int] = {}  # origin -> slot address
        self.mloops: list[MLoop] = []
        self.top_loops: list[MLoop] = []
        self.chain: list[tuple[MLoop, ...]] = [() for _ in machine.slots]
        self.shared_addr: dict[str, int] = {}
        self.shared_name: dict[int, str] = {}
        self.init: dict[CellKey, Token] = {}
        self.ro_cells: dict[int, str] = {}  # cell -> description of its read-only value
        self.state_home: dict[str, int] = {}
        # software-pipelined loops (verify_pipeline)
        self.pipes: list[Pipe] = []
        self.pipe_at: list[Pipe | None] = [None] * len(machine.slots)

    # -- reporting ----------------------------------------------------------------

    def fail(self, message: str, loc: SourceLocation | None = None, *, fatal: bool = False) -> None:
        self.errors.append(VerifyError(message, loc, notes=self.notes))
        self.fatal = self.fatal or fatal

    def src(self, index: int) -> str:
        ins = self.instrs[index]
        return f"{line_of(ins.loc)} ({ins.mnemonic})"

    def slot_text(self, addr: int) -> str:
        ins = self.slots[addr]
        if lookup(ins.mnemonic) is None:
            return ins.mnemonic
        return " ".join(ins.text().split())

    def slot(self, addr: int) -> str:
        ins = self.slots[addr]
        text = self.slot_text(addr)
        if ins.origin is not None and ins.origin in self.instrs:
            return f"slot {addr} ({text}; {line_of(self.instrs[ins.origin].loc)})"
        return f"slot {addr} ({text})"

    def loc_of(self, addr: int) -> SourceLocation | None:
        origin = self.slots[addr].origin
        if origin is not None and origin in self.instrs:
            return self.instrs[origin].loc
        return None

    def loop_loc(self, m: MLoop) -> SourceLocation | None:
        """Where a machine loop's first slot comes from, if it lies in the program."""
        start = m.spec.start
        return self.loc_of(start) if 0 <= start < len(self.slots) else None

    def describe(self, token: Token) -> str:
        kind, what = token
        if isinstance(kind, int):
            assert isinstance(what, tuple)
            return f"the result of {self.src(kind)}{iteration_text(what)}"
        if kind == "state":
            return f"the initial value of state '{what}'"
        if kind == "value":
            return self.ro_desc.get(token, "a read-only value")
        if kind == "shared":
            return f"the value of @{what} at the start of the run"
        if kind == "data":
            assert isinstance(what, int)
            return f"the unnamed initial value of r{what}"
        return "no value"

    # -- the whole check ------------------------------------------------------------

    def run(self) -> VerifyReport:
        self.check_source()
        if not self.fatal:
            find_pipes(self)  # without the pipelines, their copies cannot be told apart
        if not self.fatal:
            self.check_slots()
            self.check_loops()
            link_pipes(self)
            self.check_halt()
            if not self.fatal:
                self.match_loops()
                check_pipes(self)
                self.check_operands()
        self.check_symbols()
        if self.fatal:
            VtcErrors.raise_if_any(self.errors)
        timing = Timing(self)
        windows = timing.windows()
        checked = timing.check(windows)
        cycles = timing.cycles({m.number: m.spec.count for m in self.mloops})
        VtcErrors.raise_if_any(self.errors)
        return VerifyReport(
            cycles=cycles,
            instructions_checked=checked,
            slots=len(self.slots),
            windows=tuple(windows[m.number] for m in self.mloops),
        )

    def run_machine(self) -> VerifyReport:
        """:func:`verify_machine`: the checks that need no source."""
        cores = [c for c in self.program.cores if c.index == self.core]
        if cores:
            self.instrs = {ins.index: ins for ins in walk_instrs(cores[0].body)}
        check_image_slots(self)
        if not self.fatal:
            self.check_loops()
            self.check_halt()
            check_image_operands(self)
            check_data(self)
        if self.fatal:
            VtcErrors.raise_if_any(self.errors)
        timing = Timing(self)
        windows = timing.windows()
        checked = MachineRun(self, timing).run(windows)
        cycles = timing.cycles({m.number: m.spec.count for m in self.mloops})
        VtcErrors.raise_if_any(self.errors)
        return VerifyReport(
            cycles=cycles,
            instructions_checked=checked,
            slots=len(self.slots),
            windows=tuple(windows[m.number] for m in self.mloops),
        )

    # -- 1. structure ---------------------------------------------------------------

    def check_source(self) -> None:
        cores = [c for c in self.program.cores if c.index == self.core]
        if not cores:
            self.fail(f"the source has no code for core {self.core}", fatal=True)
            return
        self.body = cores[0].body
        for name, decl in self.consts.items():
            token: Token = ("value", value_bits(as_precision(decl.value, self.target.precision)))
            self.ro_desc.setdefault(token, f"constant '{name}'")
        self.collect(self.body, ())
        for index, ins in self.instrs.items():
            info = lookup(ins.mnemonic)
            if info is None:
                self.fail(
                    f"{line_of(ins.loc)}: unknown mnemonic '{ins.mnemonic}'", ins.loc, fatal=True
                )
                continue
            self.infos[index] = info
            self.check_source_operands(ins, info)

    def collect(self, body: Sequence[Stmt], chain: tuple[SrcLoop, ...]) -> None:
        for stmt in body:
            if isinstance(stmt, Instr):
                if stmt.index in self.instrs:
                    other = self.instrs[stmt.index]
                    self.fail(
                        f"source instructions {line_of(other.loc)} and {line_of(stmt.loc)} "
                        f"share the index {stmt.index}",
                        stmt.loc,
                        fatal=True,
                    )
                    continue
                self.instrs[stmt.index] = stmt
                for loop in chain:
                    loop.origins.add(stmt.index)
                if stmt.mnemonic == "halt" and chain:
                    self.fail(
                        f"{line_of(stmt.loc)}: halt inside {chain[-1].describe()}",
                        stmt.loc,
                        fatal=True,
                    )
            elif isinstance(stmt, Loop):
                sl = SrcLoop(stmt, len(self.src_loops), len(chain) + 1)
                self.src_loops.append(sl)
                self.collect(stmt.body, (*chain, sl))

    def check_source_operands(self, ins: Instr, info: OpInfo) -> None:
        fields = SHAPES[ins.mnemonic].fields
        if len(ins.operands) != len(fields):
            self.fail(
                f"{line_of(ins.loc)}: '{ins.mnemonic}' has {len(ins.operands)} operands, "
                f"its form needs {len(fields)}",
                ins.loc,
                fatal=True,
            )
            return
        for _, pos, role in fields:
            op = ins.operands[pos]
            if role in ("in", "out"):
                ok = isinstance(op, PortRef)
            elif role == "src":
                ok = isinstance(op, Shared if info.form is Form.LDS else (Cell, Literal, Shared))
            else:
                ok = isinstance(op, Shared if info.form is Form.STS else (Cell, Shared))
            if not ok:
                self.fail(
                    f"{line_of(ins.loc)}: operand {pos + 1} of '{ins.mnemonic}' cannot be "
                    f"'{operand_text(op)}'",
                    ins.loc,
                    fatal=True,
                )
            elif role in ("in", "out"):
                assert isinstance(op, PortRef)
                names = self.in_ports if role == "in" else self.out_ports
                if op.name is not None and op.name not in names:
                    kind = "input" if role == "in" else "output"
                    self.fail(
                        f"{line_of(ins.loc)}: unknown {kind} port '{op.name}'", ins.loc, fatal=True
                    )

    def port_number(self, ref: PortRef, role: str) -> int:
        if ref.name is not None:
            return (self.in_ports if role == "in" else self.out_ports)[ref.name]
        return ref.number if ref.number is not None else 0

    def check_slots(self) -> None:
        if not check_program_size(self):
            return
        source_halt = any(i.mnemonic == "halt" for i in self.instrs.values())
        known = {ins.mnemonic: lookup(ins.mnemonic) for ins in self.slots}
        self.ops = [known[ins.mnemonic] for ins in self.slots]
        pipe_at = self.pipe_at
        staged: list[int] = []  # slots with a stage outside any pipelined loop
        for addr, ins in enumerate(self.slots):
            info = self.ops[addr]
            if info is None or info.mnemonic != ins.mnemonic:
                self.fail(f"slot {addr} holds unknown mnemonic '{ins.mnemonic}'", fatal=True)
                continue
            origin = ins.origin
            pipe = pipe_at[addr]
            if ins.stage and pipe is None:
                staged.append(addr)
            if origin is None:
                if ins.mnemonic != "nop" and not (ins.mnemonic == "halt" and not source_halt):
                    self.fail(
                        f"{self.slot(addr)} has no origin; only inserted nops may lack one",
                        fatal=True,
                    )
                continue
            if origin not in self.instrs:
                self.fail(
                    f"{self.slot(addr)} names origin {origin}, which is no instruction of "
                    f"core {self.core}",
                    fatal=True,
                )
                continue
            src = self.instrs[origin]
            # a prologue or epilogue copy of a kernel slot: verify_pipeline checks those
            if pipe is None or origin not in pipe.kernel_origins or pipe.part(addr) is None:
                if origin in self.place:
                    self.fail(
                        f"{self.src(origin)} appears in slots {self.place[origin]} and {addr}; "
                        "each source instruction belongs in exactly one slot",
                        src.loc,
                        fatal=True,
                    )
                    continue
                self.place[origin] = addr
            if src.mnemonic != ins.mnemonic:
                self.fail(
                    f"{self.slot(addr)} holds '{ins.mnemonic}' but its origin "
                    f"{line_of(src.loc)} is '{src.mnemonic}'",
                    src.loc,
                    fatal=True,
                )
        if staged:
            first = self.slot(staged[0])
            if len(staged) == 1:
                what = f"{first} has stage {self.slots[staged[0]].stage} but lies"
            else:
                what = f"{first} and {len(staged) - 1} other slot(s) have a stage but lie"
            self.fail(
                f"{what} in no software-pipelined loop",
                self.loc_of(staged[0]),
                fatal=True,
            )
        for index in sorted(self.instrs):
            if index not in self.place:
                self.fail(
                    f"{self.src(index)} has no slot in the machine program",
                    self.instrs[index].loc,
                    fatal=True,
                )

    def check_loops(self) -> None:
        n = len(self.slots)
        specs = self.machine.loops
        order = sorted(range(len(specs)), key=lambda i: (specs[i].start, -specs[i].end, i))
        if order != list(range(len(specs))):
            self.fail("the loop table is not sorted by start address with enclosing loops first")
        valid: list[MLoop] = []
        for i, spec in enumerate(specs):
            m = MLoop(i, spec)
            self.mloops.append(m)
            if not 1 <= spec.count <= MAX_LOOP_COUNT:
                self.fail(
                    f"{m.describe()} repeats {spec.count} times; a count must be from 1 to "
                    f"{MAX_LOOP_COUNT}",
                    self.loop_loc(m),
                    fatal=True,
                )
            elif spec.end < spec.start:
                self.fail(f"{m.describe()} has an empty body", self.loop_loc(m), fatal=True)
            elif spec.start < 0 or spec.end >= n:
                self.fail(
                    f"{m.describe()} lies outside the {n} slots of the program",
                    self.loop_loc(m),
                    fatal=True,
                )
            else:
                valid.append(m)
        valid.sort(key=lambda m: (m.spec.start, -m.spec.end, m.number))
        stack: list[MLoop] = []
        for m in valid:
            while stack and stack[-1].spec.end < m.spec.start:
                stack.pop()
            if stack:
                outer = stack[-1]
                if m.spec.end > outer.spec.end:
                    self.fail(
                        f"{outer.describe()} and {m.describe()} overlap without nesting",
                        self.loop_loc(m),
                        fatal=True,
                    )
                    continue
                if m.spec.end == outer.spec.end:
                    self.fail(
                        f"{m.describe()} ends on slot {m.spec.end} like its enclosing "
                        f"{outer.describe()}; an inner loop may not end where its enclosing "
                        "loop ends",
                        self.loop_loc(m),
                        fatal=True,
                    )
                    continue
                outer.children.append(m)
            else:
                self.top_loops.append(m)
            stack.append(m)
            m.depth = len(stack)
            if m.depth > self.target.loop_depth:
                self.fail(
                    f"{m.describe()} nests {m.depth} deep; target '{self.target.name}' allows "
                    f"{self.target.loop_depth}",
                    self.loop_loc(m),
                )
            for addr in range(m.spec.start, m.spec.end + 1):
                self.chain[addr] = (*self.chain[addr], m)
        if len(valid) < len(specs):
            self.fatal = True

    def check_halt(self) -> None:
        last = len(self.slots) - 1
        for addr, ins in enumerate(self.slots):
            if ins.mnemonic != "halt":
                continue
            if addr != last:
                self.fail(f"{self.slot(addr)} is a halt but not the last slot", self.loc_of(addr))
            if self.chain[addr]:
                self.fail(
                    f"{self.slot(addr)} is a halt inside {self.chain[addr][-1].describe()}",
                    self.loc_of(addr),
                    fatal=True,
                )
        if self.slots and self.slots[last].mnemonic != "halt":
            self.fail(f"the last {self.slot(last)} is not a halt", self.loc_of(last))

    def match_loops(self) -> None:
        """Pair machine loops with source loops: same instructions, same depth, same count."""
        for m in self.mloops:
            if m.depth == 0:
                continue
            for addr in range(m.spec.start, m.spec.end + 1):
                origin = self.slots[addr].origin
                if origin is not None:
                    m.origins.add(origin)
        by_key = {(frozenset(m.origins), m.depth): m for m in self.mloops if m.depth}
        unmatched: list[SrcLoop] = []
        for s in self.src_loops:
            key = (frozenset(s.origins), s.depth)
            if key in by_key:
                by_key.pop(key).src = s
            else:
                unmatched.append(s)
        for s in unmatched:
            cands = [m for m in self.mloops if m.depth == s.depth and m.src is None]
            best = max(cands, key=lambda m: len(m.origins & s.origins), default=None)
            if best is None or not best.origins & s.origins:
                self.fail(f"{s.describe()} has no machine loop", s.loop.loc, fatal=True)
                continue
            best.src = s
            for o in sorted(s.origins - best.origins):
                self.fail(
                    f"{self.src(o)} lies in {s.describe()} but its slot {self.place[o]} is "
                    f"outside {best.describe()}",
                    self.instrs[o].loc,
                    fatal=True,
                )
            for o in sorted(best.origins - s.origins):
                self.fail(
                    f"{self.slot(self.place[o])} is inside {best.describe()} but its source "
                    f"instruction is not in {s.describe()}",
                    self.instrs[o].loc,
                    fatal=True,
                )
        for m in self.mloops:
            if m.depth == 0:
                continue
            if m.src is None:
                self.fail(f"{m.describe()} corresponds to no source loop", fatal=True)
            elif m.pipe is not None:
                self.check_kernel_count(m, m.pipe, m.src)
            elif m.spec.count != m.src.loop.count:
                self.fail(
                    f"{m.describe()} repeats {m.spec.count} times but {m.src.describe()} "
                    f"repeats {m.src.loop.count} times",
                    m.src.loop.loc,
                    fatal=True,
                )

    def check_kernel_count(self, m: MLoop, pipe: Pipe, src: SrcLoop) -> None:
        """A kernel runs ``n - stages + 1`` times for a source loop of ``n`` iterations."""
        n, stages = src.loop.count, pipe.stages
        if n < stages:
            self.fail(
                f"{src.describe()} repeats {n} times, too few to be pipelined in {stages} "
                f"stages as {m.describe()}",
                src.loop.loc,
                fatal=True,
            )
        elif m.spec.count != n - stages + 1:
            self.fail(
                f"{m.describe()} repeats {m.spec.count} times but {src.describe()} repeats {n} "
                f"times: the kernel of its {stages}-stage pipeline must repeat "
                f"{n - stages + 1} times",
                src.loop.loc,
                fatal=True,
            )

    def check_operands(self) -> None:
        target = self.target
        core_eus = target.cores[self.core].eus if self.core < len(target.cores) else ()
        for addr, ins in enumerate(self.slots):
            info = self.ops[addr]
            assert info is not None
            if core_eus and info.eu is not None and info.eu not in core_eus:
                self.fail(
                    f"{self.slot(addr)} needs EU '{info.eu}', which core {self.core} of target "
                    f"'{target.name}' does not have",
                    self.loc_of(addr),
                )
            if ins.origin is None:
                continue
            src = self.instrs[ins.origin]
            shared_reads = 0
            for fname, pos, role in SHAPES[ins.mnemonic].fields:
                value, flag = field_of(ins, fname)
                op = src.operands[pos]
                if role in ("in", "out"):
                    assert isinstance(op, PortRef)
                    self.check_port(addr, value, self.port_number(op, role), role, src)
                    continue
                shared = isinstance(op, Shared)
                if role != "dest" and shared:
                    shared_reads += 1
                if flag != shared:
                    where = "shared memory" if flag else "a local cell"
                    self.fail(
                        f"{self.slot(addr)}: field {fname} addresses {where} but the source "
                        f"operand is '{operand_text(op)}'",
                        src.loc,
                        fatal=True,
                    )
                elif isinstance(op, Shared):
                    self.check_shared(addr, op, value)
                elif value >= target.data_depth or value < 0:
                    self.fail(
                        f"{self.slot(addr)}: field {fname} addresses cell {value}, beyond the "
                        f"{target.data_depth} data cells of target '{target.name}'",
                        src.loc,
                    )
            if shared_reads > 1:
                self.fail(
                    f"{self.slot(addr)} reads {shared_reads} shared cells; at most one source "
                    "may be in shared memory",
                    src.loc,
                )

    def check_port(self, addr: int, value: int, port: int, role: str, src: Instr) -> None:
        kind = "input" if role == "in" else "output"
        limit = self.target.input_ports if role == "in" else self.target.output_ports
        if value != port:
            self.fail(
                f"{self.slot(addr)} uses {kind} port {value} but its source uses port {port}",
                src.loc,
                fatal=True,
            )
        elif not 0 <= value < limit:
            self.fail(
                f"{self.slot(addr)} uses {kind} port {value}; target '{self.target.name}' has "
                f"{limit} {kind} ports",
                src.loc,
            )

    def check_shared(self, addr: int, op: Shared, value: int) -> None:
        if not 0 <= value < self.target.shared.depth:
            self.fail(
                f"{self.slot(addr)} addresses shared cell {value}, beyond the "
                f"{self.target.shared.depth} cells of shared memory",
                op.loc,
            )
        known = self.shared_addr.setdefault(op.name, value)
        if known != value:
            self.fail(
                f"{self.slot(addr)} places shared cell '@{op.name}' at @{value}, but "
                f"slot {self.place_of_shared(op.name)} places it at @{known}",
                op.loc,
                fatal=True,
            )
            return
        other = self.shared_name.setdefault(value, op.name)
        if other != op.name:
            self.fail(
                f"{self.slot(addr)} places shared cell '@{op.name}' at @{value}, which already "
                f"holds '@{other}'",
                op.loc,
                fatal=True,
            )

    def place_of_shared(self, name: str) -> int:
        for addr, ins in enumerate(self.slots):
            if ins.origin is not None and ins.origin in self.instrs:
                ops = self.instrs[ins.origin].operands
                if any(isinstance(o, Shared) and o.name == name for o in ops):
                    return addr
        return -1  # pragma: no cover - only called once the name has a place

    # -- 3. symbols and data ----------------------------------------------------------

    def value_token(self, value: float) -> Token:
        return ("value", value_bits(as_precision(value, self.target.precision)))

    def check_symbols(self) -> None:
        target = self.target
        prec = target.precision
        data: dict[int, float] = {}
        for addr, value in self.machine.data:
            if not 0 <= addr < target.data_depth:
                self.fail(
                    f"the data image initialises cell {addr}, beyond the "
                    f"{target.data_depth} data cells of target '{target.name}'"
                )
            elif addr in data:
                self.fail(f"the data image initialises r{addr} twice")
            else:
                data[addr] = value
        for addr in data:
            self.init[addr] = ("data", addr)
        seen: dict[tuple[str, str], int] = {}
        owner: dict[int, tuple[str, Token]] = {}
        for kind, name, addr in self.machine.symbols:
            label = {"const": f"constant '{name}'", "state": f"state '{name}'"}.get(
                kind, f"literal {name.removeprefix('=')}"
            )
            if kind not in ("const", "state", "literal"):
                self.fail(f"symbol '{name}' has unknown kind '{kind}'")
                continue
            if (kind, name) in seen:
                self.fail(
                    f"{label} appears twice in the symbol table (r{seen[kind, name]} and r{addr})"
                )
                continue
            seen[kind, name] = addr
            if not 0 <= addr < target.data_depth:
                self.fail(
                    f"{label} is at cell {addr}, beyond the {target.data_depth} data "
                    f"cells of target '{target.name}'"
                )
                continue
            loc: SourceLocation | None = None
            if kind == "const":
                if name not in self.consts:
                    self.fail(f"constant '{name}' of the symbol table is not declared")
                    continue
                loc = self.consts[name].loc
                value = self.consts[name].value
                token = self.value_token(value)
            elif kind == "literal":
                try:
                    value = float(name.removeprefix("="))
                except ValueError:
                    self.fail(f"literal symbol '{name}' is not a number")
                    continue
                token = self.value_token(value)
                self.ro_desc.setdefault(token, f"literal {name.removeprefix('=')}")
            else:
                if name not in self.states:
                    self.fail(f"state '{name}' of the symbol table is not declared")
                    continue
                loc = self.states[name].loc
                value = self.states[name].value
                token = ("state", name)
                self.state_home[name] = addr
            if addr in owner and (owner[addr][1] != token or kind == "state"):
                self.fail(f"r{addr} holds both {owner[addr][0]} and {label}", loc)
                continue
            owner[addr] = (label, token)
            self.init[addr] = token
            if kind != "state":
                self.ro_cells[addr] = label
            want = as_precision(value, prec)
            if addr not in data:
                self.fail(f"{label} has no initial value: r{addr} is not in the data image", loc)
            elif value_bits(as_precision(data[addr], prec)) != value_bits(want):
                what = "start with" if kind == "state" else "hold"
                self.fail(f"{label} must {what} {want!r} but r{addr} holds {data[addr]!r}", loc)
        for addr, name in self.shared_name.items():
            self.init[-1 - addr] = ("shared", name)
        self.check_symbol_uses()
        if not self.fatal:
            self.check_read_only_writes()

    def check_symbol_uses(self) -> None:
        """Every constant, literal and state the code uses has a cell."""
        ro_values = {tok for tok in self.init.values() if tok[0] == "value"}
        reported: set[str] = set()
        for index in sorted(self.instrs):
            ins = self.instrs[index]
            for op in ins.operands:
                if isinstance(op, Literal):
                    token = self.value_token(op.value)
                    self.ro_desc.setdefault(token, f"literal {op.text}")
                    if token not in ro_values and op.text not in reported:
                        reported.add(op.text)
                        self.fail(
                            f"literal {op.text} ({line_of(ins.loc)}) has no read-only cell "
                            "in the symbol table",
                            op.loc,
                        )
                elif isinstance(op, Cell) and op.name not in reported:
                    if op.name in self.consts:
                        token = self.value_token(self.consts[op.name].value)
                        if token not in ro_values:
                            reported.add(op.name)
                            self.fail(
                                f"constant '{op.name}' ({line_of(ins.loc)}) has no cell in "
                                "the symbol table",
                                op.loc,
                            )
                    elif op.name in self.states and op.name not in self.state_home:
                        reported.add(op.name)
                        self.fail(
                            f"state '{op.name}' ({line_of(ins.loc)}) has no home cell in "
                            "the symbol table",
                            op.loc,
                        )

    def check_read_only_writes(self) -> None:
        for addr, ins in enumerate(self.slots):
            info = self.ops[addr]
            assert info is not None
            if info.uses_write_port and not ins.d_shared and ins.d in self.ro_cells:
                self.fail(
                    f"{self.slot(addr)} writes r{ins.d}, the read-only cell of "
                    f"{self.ro_cells[ins.d]}",
                    self.loc_of(addr),
                )
