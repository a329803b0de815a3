"""The assembler driver: text in, verified machine program and artefacts out.

::

    text --parse--> Program --resolve(target)--> Resolved --dataflow--> values
         --schedule--> Schedule --layout/allocate--> MachineProgram
         --verify (independent)--> --artefacts--> NAME.lst, image set, map, report

The command line (``vtc asm``, ``vtc sim PROG.s``) and, later, the compiler
and the editor all assemble through :func:`assemble`.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vtc.compiler.asm import artefacts
from vtc.compiler.asm.dataflow import build_dataflow
from vtc.compiler.asm.layout import Allocation, layout
from vtc.compiler.asm.parser import parse
from vtc.compiler.asm.program import Program
from vtc.compiler.asm.resolve import resolve, target_for
from vtc.compiler.asm.sched import Schedule, schedule
from vtc.compiler.asm.verify import verify
from vtc.compiler.errors import VerifyError
from vtc.compiler.files import read_text
from vtc.compiler.machine.code import MachineProgram
from vtc.compiler.machine.target import Target

__all__ = ["Assembly", "assemble", "assemble_file", "no_gc", "write_artefacts"]

#: Whether innermost loops are software pipelined unless told otherwise.
PIPELINE_DEFAULT = True


@dataclass(frozen=True)
class Assembly:
    """A finished assembly: the program, its machine code, schedule facts, report."""

    name: str
    program: Program
    machine: MachineProgram
    schedule: Schedule
    allocation: Allocation
    loop_addresses: dict[int, tuple[int, int]]
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def target(self) -> Target:
        return self.machine.target

    def listing(self) -> str:
        """The text of ``NAME.lst``."""
        return artefacts.listing(self)


def assemble(
    text: str,
    file: str = "<string>",
    *,
    target: str | Target | None = None,
    keep_order: bool = False,
    effort: int = 1,
    name: str | None = None,
    pipeline: bool = PIPELINE_DEFAULT,
) -> Assembly:
    """Assemble program text.

    Parameters
    ----------
    text, file:
        The source and the file name used in messages.
    target:
        Overrides the program's ``.target`` (a name, a TOML path or a Target).
    keep_order:
        Keep program order, only inserting the ``nop``s timing requires.
    effort:
        Scheduler effort (see :func:`vtc.compiler.asm.sched.schedule`).
    name:
        Program name for artefacts (default: the file's stem).
    pipeline:
        Software-pipeline innermost loops where that is faster.

    Raises
    ------
    VtcError
        Any problem in the program (located), or a target it does not fit.
    """
    with no_gc():
        return _assemble(text, file, target, keep_order, effort, name, pipeline)


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: the passes build large acyclic object
    graphs, which make it run often for nothing (a third of the time on big
    programs). Reference counting still frees everything."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _assemble(
    text: str,
    file: str,
    target: str | Target | None,
    keep_order: bool,
    effort: int,
    name: str | None,
    pipeline: bool,
) -> Assembly:
    program = parse(text, file)
    tgt = target_for(program, target)
    stem = name or Path(file).stem or "program"
    if program.scheduled:
        return _assemble_as_written(program, tgt, stem, file)
    resolved = resolve(program, tgt)
    df = build_dataflow(resolved)
    sched = schedule(df, tgt, keep_order=keep_order, effort=effort, pipeline=pipeline)
    machine, alloc, loop_addr = layout(resolved, df, sched)
    checked = verify(program, machine)
    if checked.cycles != sched.cycles:
        raise VerifyError(
            f"internal error: the scheduler claims {sched.cycles} cycles, the verifier "
            f"counts {checked.cycles}",
            where=file,
        )
    asm = Assembly(stem, program, machine, sched, alloc, loop_addr, {})
    return Assembly(asm.name, program, machine, sched, alloc, loop_addr, artefacts.report(asm))


def _assemble_as_written(program: Program, tgt: Target, stem: str, file: str) -> Assembly:
    """A ``.scheduled`` program: every line a slot, checked but not rescheduled."""
    from vtc.compiler.asm.asis import build_scheduled
    from vtc.compiler.asm.verify import verify_machine

    _, machine = build_scheduled(program, tgt)
    checked = verify_machine(machine, program=program)
    sched = Schedule(
        top={},
        loops={},
        halt=len(machine.slots) - 1,
        cycles=checked.cycles,
        lower_bound=checked.cycles,
        method="as-written",
        optimal=False,
    )
    cells = machine.cells_used
    loop_addr = {i: (lp.start, lp.end) for i, lp in enumerate(machine.loops)}
    alloc = Allocation(cells, cells)
    asm = Assembly(stem, program, machine, sched, alloc, loop_addr, {})
    return Assembly(stem, program, machine, sched, alloc, loop_addr, artefacts.report(asm))


def assemble_file(
    path: str | Path,
    *,
    target: str | Target | None = None,
    keep_order: bool = False,
    effort: int = 1,
    pipeline: bool = PIPELINE_DEFAULT,
) -> Assembly:
    """Read and assemble a file (see :func:`assemble`)."""
    text = read_text(path)
    return assemble(
        text, str(path), target=target, keep_order=keep_order, effort=effort, pipeline=pipeline
    )


def write_artefacts(asm: Assembly, directory: str | Path) -> list[Path]:
    """Write every artefact of target.md section 5 into ``directory``; returns the paths."""
    return artefacts.write_all(asm, Path(directory))
