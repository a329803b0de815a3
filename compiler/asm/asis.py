"""Assembling code that is already scheduled (``.scheduled``), slot for slot.

``vtc disasm`` writes the program memory back as assembly: physical cells
``rN``, every ``nop`` in place, results still in flight where the scheduler
left them. Read in program order that text would mean something else, so it
carries ``.scheduled``, and this module assembles it exactly as written:
every line is one slot, ``rN`` is cell N, ``loop``/``endloop`` are the loop
table, and the meaning is what the machine does. Nothing is reordered,
renamed or padded. The timing rules that still apply (one write port, the
loop rules, no read of a cell that holds nothing) are checked by the
verifier's machine-only check.
"""

from __future__ import annotations

import re

from vtc.compiler.asm.layout import machine_instr
from vtc.compiler.asm.program import Cell, Instr, Literal, Loop, Program, Stmt
from vtc.compiler.asm.resolve import LoopStmt, Op, Resolved, resolve
from vtc.compiler.errors import AsmError, SourceLocation, VtcError, VtcErrors
from vtc.compiler.machine.code import LoopSpec, MachineProgram, MInstr
from vtc.compiler.machine.target import Target

__all__ = ["build_scheduled"]

_CELL = re.compile(r"r(0|[1-9][0-9]*)\Z")


def _check_operands(body: tuple[Stmt, ...], limit: int, errors: list[VtcError]) -> None:
    for stmt in body:
        if isinstance(stmt, Loop):
            _check_operands(stmt.body, limit, errors)
        elif isinstance(stmt, Instr):
            for o in stmt.operands:
                if isinstance(o, Cell):
                    m = _CELL.match(o.name)
                    if m is None:
                        errors.append(
                            AsmError(
                                f"in a .scheduled program cells are physical: write rN, not "
                                f"'{o.name}'",
                                o.loc,
                            )
                        )
                    elif int(m.group(1)) >= limit:
                        errors.append(
                            AsmError(f"cell {o.name} is beyond data_depth {limit}", o.loc)
                        )
                elif isinstance(o, Literal):
                    errors.append(
                        AsmError(
                            "a .scheduled program has no numeric literals: declare the value "
                            "with .const rN = VALUE",
                            o.loc,
                        )
                    )


def _addr(name: str) -> int:
    return int(name[1:])


def build_scheduled(program: Program, target: Target) -> tuple[Resolved, MachineProgram]:
    """The machine program a ``.scheduled`` program spells out, slot for slot.

    Raises
    ------
    AsmError, VtcErrors
        Cells that are not ``rN``, literals, constants written, an inner loop
        ending on its enclosing loop's last slot, memories too small.
    """
    errors: list[VtcError] = []
    for decl in (*program.consts, *program.states):
        if _CELL.match(decl.name) is None:
            errors.append(
                AsmError(
                    f"in a .scheduled program cells are physical: write rN, not '{decl.name}'",
                    decl.loc,
                )
            )
    for core in program.cores:
        _check_operands(core.body, target.data_depth, errors)
    VtcErrors.raise_if_any(errors)
    resolved = resolve(program, target)
    slots: list[MInstr] = []
    loops: list[LoopSpec] = []

    def emit(op: Op) -> None:
        dest = _addr(op.dest) if op.dest is not None else 0
        slots.append(machine_instr(op, dest, [_addr(n) for n in op.srcs]))

    def walk(body: tuple[Op | LoopStmt, ...]) -> None:
        for item in body:
            if isinstance(item, Op):
                emit(item)
                continue
            start = len(slots)
            walk(item.body)
            loops.append(LoopSpec(start, len(slots) - 1, item.count))

    walk(resolved.body)
    slots.append(MInstr("halt", origin=resolved.halt_index))
    # an inner loop may not end on the last slot of the loop around it
    for inner in loops:
        for outer in loops:
            if outer is not inner and outer.start <= inner.start and inner.end == outer.end:
                raise AsmError(
                    "an inner loop may not end on the last slot of its enclosing loop: put a "
                    "nop after its endloop",
                    _loop_end_loc(program, inner.end),
                )
    if len(slots) > target.program_depth:
        raise AsmError(
            f"the program needs {len(slots)} program slots, target '{target.name}' has "
            f"program_depth {target.program_depth}",
            None,
        )
    data = {_addr(n): v for n, v in resolved.consts.items()}
    data.update({_addr(n): v for n, v in resolved.states.items()})
    symbols = [("const", n, _addr(n)) for n in resolved.consts]
    symbols += [("state", n, _addr(n)) for n in resolved.states]
    machine = MachineProgram(
        target=target,
        slots=tuple(slots),
        loops=tuple(sorted(loops, key=lambda lp: (lp.start, -lp.end))),
        data=tuple(sorted(data.items())),
        inputs=resolved.inputs,
        outputs=resolved.outputs,
        symbols=tuple(symbols),
    )
    return resolved, machine


def _loop_end_loc(program: Program, end_addr: int) -> SourceLocation | None:
    """The ``endloop`` of the loop whose last slot is ``end_addr`` (for the message)."""
    addr = -1
    found: SourceLocation | None = None

    def walk(body: tuple[Stmt, ...]) -> None:
        nonlocal addr, found
        for s in body:
            if isinstance(s, Loop):
                walk(s.body)
                if addr == end_addr and found is None:
                    found = s.end_loc
            elif isinstance(s, Instr) and s.mnemonic != "halt":
                addr += 1

    for core in program.cores:
        walk(core.body)
    return found
