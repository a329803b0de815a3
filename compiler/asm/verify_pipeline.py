"""The structure of software-pipelined loops, for the verifier.

A source loop of ``n`` iterations pipelined in ``S`` stages with initiation
interval ``II`` is laid out as a prologue of ``(S - 1) * II`` slots, a kernel
hardware loop of ``II`` slots repeated ``n - S + 1`` times and an epilogue of
``(S - 1) * II`` slots (:attr:`~vtc.compiler.machine.code.MachineProgram.pipelines`
names the kernels). The blocks of ``II`` slots are numbered over the whole
loop (prologue ``0 .. S - 2``, kernel iteration ``m`` is block ``S - 1 + m``,
epilogue ``n .. n + S - 2``), and a slot of stage ``s`` in block ``b`` runs
source iteration ``b - s``. A source instruction of the loop therefore has
exactly one slot in the kernel, and copies in the prologue and epilogue that
together run, once each, the iterations the kernel does not.

Internal to :mod:`.verify`; shares nothing with the scheduler or the layout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vtc.compiler.asm.verify_model import MLoop, Pipe

if TYPE_CHECKING:
    from vtc.compiler.asm.verify import _Verifier

PARTS = ("prologue", "epilogue")


def find_pipes(v: _Verifier) -> None:
    """Read ``machine.pipelines`` before the slots are checked.

    Sets ``v.pipes`` (the usable ones, by address) and ``v.pipe_at`` (the
    pipelined loop each slot of a prologue, kernel or epilogue belongs to).
    Problems are fatal: without the layout, copies cannot be told from
    misplaced instructions.
    """
    specs = v.machine.loops
    n = len(v.slots)
    starts: dict[int, list[int]] = {}
    for i, spec in enumerate(specs):
        starts.setdefault(spec.start, []).append(i)
    found: dict[int, Pipe] = {}
    named: set[int] = set()
    for kstart, stages in v.machine.pipelines:
        what = f"the pipelined loop whose kernel starts at slot {kstart}"
        if kstart in named:
            v.fail(f"slot {kstart} is named twice as the kernel of a pipelined loop", fatal=True)
            continue
        named.add(kstart)
        if stages < 2:
            v.fail(
                f"{what} has {stages} stage(s); a software-pipelined loop has at least 2",
                fatal=True,
            )
            continue
        numbers = starts.get(kstart)
        if not numbers:
            v.fail(f"{what} has no kernel: no loop-table entry starts at slot {kstart}", fatal=True)
            continue
        number = numbers[-1]  # the innermost entry that starts there
        spec = specs[number]
        if not 0 <= spec.start <= spec.end < n:
            continue  # the loop-table check reports it
        pipe = Pipe(number, spec, stages)
        size = (stages - 1) * pipe.ii
        if pipe.pro_start < 0:
            v.fail(
                f"{pipe.describe()} needs a prologue of {size} slots before slot {kstart}, but "
                f"only {kstart} slots precede it",
                fatal=True,
            )
        elif pipe.epi_end >= n:
            v.fail(
                f"{pipe.describe()} needs an epilogue of {size} slots after slot {spec.end}, but "
                f"only {n - 1 - spec.end} slot(s) follow it",
                fatal=True,
            )
        else:
            found[kstart] = pipe
    pipes: list[Pipe] = []
    for pipe in sorted(found.values(), key=lambda p: p.pro_start):
        if pipes and pipe.pro_start <= pipes[-1].epi_end:
            prev = pipes[-1]
            v.fail(
                f"{prev.describe()} and {pipe.describe()} overlap: with prologue and epilogue "
                f"they take slots {prev.pro_start}..{prev.epi_end} and "
                f"{pipe.pro_start}..{pipe.epi_end}",
                fatal=True,
            )
            continue
        pipes.append(pipe)
    for pipe in pipes:
        kernel = v.slots[pipe.spec.start : pipe.spec.end + 1]
        pipe.kernel_origins = frozenset(s.origin for s in kernel if s.origin is not None)
        for addr in range(pipe.pro_start, pipe.epi_end + 1):
            v.pipe_at[addr] = pipe
    v.pipes = pipes


def link_pipes(v: _Verifier) -> None:
    """Attach each pipeline to its kernel's :class:`MLoop` (after the loop table is read)."""
    for pipe in v.pipes:
        m = v.mloops[pipe.number]
        m.pipe = pipe
        pipe.kernel = m


def check_pipes(v: _Verifier) -> None:
    """Structure of every pipelined loop, once machine loops are paired with source loops."""
    for pipe in v.pipes:
        m = pipe.kernel
        assert m is not None
        if m.children:
            v.fail(
                f"{pipe.describe()} holds {m.children[0].describe()}; only innermost loops "
                "are software-pipelined",
                fatal=True,
            )
            continue
        if not _in_kernel_parent(v, pipe, m) or m.src is None:
            continue
        count = m.src.loop.count
        if count >= pipe.stages:
            _check_iterations(v, pipe, m, count)


def _in_kernel_parent(v: _Verifier, pipe: Pipe, m: MLoop) -> bool:
    """Prologue and epilogue lie directly in the loop around the kernel (or at the top level)."""
    kchain = v.chain[m.spec.start]
    parent = kchain[-2] if len(kchain) >= 2 else None
    home = parent.describe() if parent is not None else "at the top level"
    ok = True
    for part in PARTS:
        lo, hi = pipe.part_range(part)
        for addr in range(lo, hi + 1):
            chain = v.chain[addr]
            inner = chain[-1] if chain else None
            if inner is parent:
                continue
            if parent is not None and parent not in chain:
                where = f"outside {parent.describe()}"
            else:
                assert inner is not None
                where = f"inside {inner.describe()}"
            place = f"in {home}" if parent is not None else home
            v.fail(
                f"the {part} (slots {lo}..{hi}) of {pipe.describe()} must lie directly {place} "
                f"like its kernel, but slot {addr} is {where}",
                v.loc_of(addr),
                fatal=True,
            )
            ok = False
            break
    return ok


def _check_iterations(v: _Verifier, pipe: Pipe, m: MLoop, count: int) -> None:
    """Stages are valid and every iteration of every instruction runs exactly once."""
    src = m.src
    assert src is not None
    stages = pipe.stages
    loop_text = src.describe()
    kernel: dict[int, tuple[int, int]] = {}  # origin -> (kernel slot, its stage)
    for addr in range(pipe.spec.start, pipe.spec.end + 1):
        ins = v.slots[addr]
        if ins.origin is None:
            continue
        if not 0 <= ins.stage < stages:
            v.fail(
                f"{v.slot(addr)} in the kernel of {pipe.describe()} has stage {ins.stage}; "
                f"its stages are 0..{stages - 1}",
                v.loc_of(addr),
                fatal=True,
            )
        elif ins.origin in v.place and v.place[ins.origin] == addr:
            kernel[ins.origin] = (addr, ins.stage)
    runs: dict[int, dict[int, int]] = {}  # origin -> iteration -> slot of a copy
    for part in PARTS:
        lo, hi = pipe.part_range(part)
        for addr in range(lo, hi + 1):
            ins = v.slots[addr]
            origin = ins.origin
            if origin is None:
                continue
            if origin not in src.origins:
                v.fail(
                    f"{v.slot(addr)} lies in the {part} of {pipe.describe()} but its source "
                    f"instruction is not in {loop_text}",
                    v.loc_of(addr),
                    fatal=True,
                )
                continue
            block = (addr - lo) // pipe.ii + (0 if part == "prologue" else count)
            stage = ins.stage
            k = block - stage
            head = f"{v.slot(addr)} in block {block} ({part}) of {pipe.describe()}"
            if not 0 <= stage < stages:
                msg = f"{head} has stage {stage}; its stages are 0..{stages - 1}"
            elif not 0 <= k < count:
                msg = (
                    f"{head} has stage {stage}, so it would run iteration {k} of {loop_text}, "
                    f"which has {count} iterations"
                )
            elif origin in kernel and _kernel_runs(kernel[origin][1], stages, count, k):
                ka, ks = kernel[origin]
                msg = (
                    f"{head} runs iteration {k} of {loop_text}, which its kernel slot {ka} "
                    f"already runs (iterations {stages - 1 - ks}..{count - 1 - ks})"
                )
            elif k in runs.setdefault(origin, {}):
                msg = f"{head} runs iteration {k} of {loop_text}, which slot {runs[origin][k]} "
                msg += "already runs"
            else:
                runs[origin][k] = addr
                continue
            v.fail(msg, v.loc_of(addr), fatal=True)
    for origin in sorted(kernel):
        ka, stage = kernel[origin]
        first, last = stages - 1 - stage, count - 1 - stage
        done = runs.get(origin, {})
        for k in (*range(first), *range(last + 1, count)):
            if k in done:
                continue
            block = k + stage
            offset = ka - pipe.spec.start
            if k < first:
                part, where = "prologue", pipe.pro_start + block * pipe.ii + offset
            else:
                part, where = "epilogue", pipe.epi_start + (block - count) * pipe.ii + offset
            v.fail(
                f"{v.src(origin)} never runs iteration {k} of {loop_text}: the kernel of "
                f"{pipe.describe()} runs iterations {first}..{last} of it, and no slot of the "
                f"{part} runs iteration {k} (at stage {stage}: slot {where}, block {block})",
                v.instrs[origin].loc,
                fatal=True,
            )


def _kernel_runs(stage: int, stages: int, count: int, k: int) -> bool:
    return stages - 1 - stage <= k <= count - 1 - stage


def source_iterations(v: _Verifier, windows: dict[int, int]) -> dict[int, int]:
    """The source iteration each prologue and epilogue slot runs in the checked window."""
    fixed: dict[int, int] = {}
    for pipe in v.pipes:
        assert pipe.kernel is not None
        count = windows[pipe.kernel.number] + pipe.stages - 1
        for part in PARTS:
            lo, hi = pipe.part_range(part)
            base = 0 if part == "prologue" else count
            for addr in range(lo, hi + 1):
                fixed[addr] = base + (addr - lo) // pipe.ii - v.slots[addr].stage
    return fixed
