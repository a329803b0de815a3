"""Resolution: a parsed program checked against its target and reduced to names.

This pass makes the checks that need the target (port numbers, loop depth)
or the whole program (writes to constants, features not supported yet), binds
port names to numbers, rounds constants to the target precision and pools
numeric literals into read-only cells. Its output is a small tree of
:class:`Op` and :class:`LoopStmt` that names cells by strings; the dataflow
pass turns names into values.

Literal cells are named ``=VALUE`` (``VALUE`` the repr of the rounded value),
which no identifier can collide with.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from vtc.compiler.asm.program import (
    Cell,
    Instr,
    Literal,
    Loop,
    PhaseMark,
    PortRef,
    Program,
    Shared,
    Stmt,
)
from vtc.compiler.errors import AsmError, SourceLocation, VtcError, VtcErrors
from vtc.compiler.machine.code import PortInfo
from vtc.compiler.machine.formats import parse_format
from vtc.compiler.machine.isa import Form, lookup
from vtc.compiler.machine.semantics import as_precision
from vtc.compiler.machine.target import Target, load_target

__all__ = ["LoopStmt", "Op", "Resolved", "literal_key", "resolve", "target_for"]


@dataclass(frozen=True, slots=True)
class Op:
    """One instruction with cells named by strings.

    Attributes
    ----------
    index:
        The source ``Instr.index``.
    mnemonic:
        Lower-case mnemonic.
    dest:
        Name of the cell written, or ``None`` (``out``, ``nop``).
    srcs:
        Names of the cells read, in field order (``a``, then ``b``/``c``). For
        ``cmov`` the old value of ``dest`` is read as well (not listed here).
    port:
        Port number of ``in``/``out``.
    instr:
        The source instruction (for locations).
    """

    index: int
    mnemonic: str
    dest: str | None
    srcs: tuple[str, ...]
    port: int | None
    instr: Instr


@dataclass(frozen=True)
class LoopStmt:
    """A hardware loop: ``count`` repetitions of ``body``."""

    count: int
    body: tuple[Op | LoopStmt, ...]
    loop: Loop


@dataclass(frozen=True)
class Resolved:
    """A program ready for the dataflow pass.

    ``consts``, ``literals`` and ``states`` map cell names to their values
    rounded to the target precision, in declaration (literals: first use) order.
    """

    program: Program
    target: Target
    body: tuple[Op | LoopStmt, ...]
    consts: Mapping[str, float]
    literals: Mapping[str, float]
    states: Mapping[str, float]
    inputs: tuple[PortInfo, ...]
    outputs: tuple[PortInfo, ...]
    halt_index: int | None = None


_NO_SHARED = "shared memory is not supported yet (single-core programs only)"


def literal_key(value: float) -> str:
    """The cell name of a pooled literal (already rounded to the target precision)."""
    return "=" + repr(value)


def target_for(program: Program, override: str | Target | None) -> Target:
    """The target a program is built for: ``override`` wins over ``.target``.

    A ``.target`` naming a file is taken relative to the program's directory.
    """
    if isinstance(override, Target):
        return override
    if override is not None:
        return load_target(override)
    if program.target is None:
        return load_target(None)
    spec = program.target
    if spec.endswith(".toml") or "/" in spec:
        path = Path(spec)
        if not path.is_absolute():
            path = Path(program.file).parent / path
        spec = str(path)
    try:
        return load_target(spec)
    except VtcError as exc:
        if program.target_loc is not None and exc.location is None and exc.where is None:
            raise AsmError(exc.message, program.target_loc) from None
        raise


class _Resolver:
    def __init__(self, program: Program, target: Target) -> None:
        self.program = program
        self.target = target
        self.errors: list[VtcError] = []
        self.consts: dict[str, float] = {}
        self.states: dict[str, float] = {}
        self.literals: dict[str, float] = {}
        self.halt_index: int | None = None
        self.in_names: dict[str, int] = {}
        self.out_names: dict[str, int] = {}

    def fail(self, message: str, loc: SourceLocation | None) -> None:
        self.errors.append(AsmError(message, loc))

    def number(self, value: float, text: str, loc: SourceLocation) -> float:
        """``value`` in the target precision; a finite number that overflows is an error."""
        rounded = as_precision(value, self.target.precision)
        if math.isinf(rounded) and "inf" not in text.lower():
            self.fail(
                f"{text} overflows {self.target.precision} precision (write inf if you "
                "mean infinity)",
                loc,
            )
        return rounded

    def ports(self) -> tuple[tuple[PortInfo, ...], tuple[PortInfo, ...]]:
        default = self.target.default_format
        result: list[tuple[PortInfo, ...]] = []
        for decls, limit, kind, names in (
            (self.program.inputs, self.target.input_ports, "input", self.in_names),
            (self.program.outputs, self.target.output_ports, "output", self.out_names),
        ):
            infos = []
            for d in decls:
                if d.number >= limit:
                    self.fail(
                        f"{kind} port {d.number} does not exist: target "
                        f"'{self.target.name}' has {limit} {kind} ports (0 to {limit - 1})",
                        d.loc,
                    )
                names[d.name] = d.number
                fmt = parse_format(d.format).name if d.format else default
                infos.append(PortInfo(d.number, d.name, fmt))
            result.append(tuple(sorted(infos, key=lambda p: p.number)))
        return result[0], result[1]

    def port_of(self, ref: PortRef, kind: str) -> int:
        names = self.in_names if kind == "input" else self.out_names
        limit = self.target.input_ports if kind == "input" else self.target.output_ports
        if ref.name is not None:
            if ref.name not in names:
                self.fail(f"unknown {kind} port '{ref.name}' (declare it with .{kind})", ref.loc)
                return 0
            return names[ref.name]
        number = ref.number if ref.number is not None else 0
        if number >= limit:
            self.fail(
                f"{kind} port {number} does not exist: target '{self.target.name}' has "
                f"{limit} {kind} ports (0 to {limit - 1})",
                ref.loc,
            )
        return number

    def source(self, operand: object, mnemonic: str) -> str:
        if isinstance(operand, Cell):
            return operand.name
        if isinstance(operand, Literal):
            value = self.number(operand.value, operand.text, operand.loc)
            key = literal_key(value)
            self.literals.setdefault(key, value)
            return key
        if isinstance(operand, Shared):
            self.fail(_NO_SHARED, operand.loc)
            return "@" + operand.name
        raise AssertionError(f"unexpected operand {operand!r} of {mnemonic}")

    def dest(self, operand: object, mnemonic: str) -> str:
        if isinstance(operand, Shared):
            self.fail(_NO_SHARED, operand.loc)
            return "@" + operand.name
        assert isinstance(operand, Cell), operand
        if operand.name in self.consts:
            self.fail(f"'{operand.name}' is a constant and cannot be written", operand.loc)
        return operand.name

    def instr(self, ins: Instr) -> Op:
        op = lookup(ins.mnemonic)
        assert op is not None, ins.mnemonic
        ops = ins.operands
        form = op.form
        if form is Form.NONE:
            return Op(ins.index, op.mnemonic, None, (), None, ins)
        if form is Form.IN:
            assert isinstance(ops[1], PortRef)
            return Op(ins.index, op.mnemonic, self.dest(ops[0], ins.mnemonic), (),
                      self.port_of(ops[1], "input"), ins)  # fmt: skip
        if form is Form.OUT:
            assert isinstance(ops[0], PortRef)
            port = self.port_of(ops[0], "output")
            return Op(ins.index, op.mnemonic, None, (self.source(ops[1], ins.mnemonic),), port, ins)
        dest = self.dest(ops[0], ins.mnemonic)
        srcs = tuple(self.source(o, ins.mnemonic) for o in ops[1:])
        return Op(ins.index, op.mnemonic, dest, srcs, None, ins)

    def body(self, stmts: tuple[Stmt, ...], depth: int) -> tuple[Op | LoopStmt, ...]:
        out: list[Op | LoopStmt] = []
        for stmt in stmts:
            if isinstance(stmt, Instr):
                if stmt.mnemonic.lower() == "halt":
                    # halt is not scheduled: layout puts it after the last issue
                    self.halt_index = stmt.index
                    continue
                out.append(self.instr(stmt))
            elif isinstance(stmt, Loop):
                if depth + 1 > self.target.loop_depth:
                    self.fail(
                        f"loops nest {depth + 1} deep here: target '{self.target.name}' "
                        f"allows {self.target.loop_depth}",
                        stmt.loc,
                    )
                out.append(LoopStmt(stmt.count, self.body(stmt.body, depth + 1), stmt))
            elif isinstance(stmt, PhaseMark):
                self.fail("DPR phases (.phase) are not supported yet", stmt.loc)
        return tuple(out)

    def run(self) -> Resolved:
        p = self.program
        for d in p.consts:
            self.consts[d.name] = self.number(d.value, d.text, d.loc)
        for d in p.states:
            self.states[d.name] = self.number(d.value, d.text, d.loc)
        for s in p.shared:
            self.fail(_NO_SHARED, s.loc)
        if len(p.cores) > 1:
            extra = p.cores[1]
            self.fail(
                f"programs with more than one core are not supported yet (found {len(p.cores)})",
                extra.loc,
            )
        inputs, outputs = self.ports()
        body = self.body(p.cores[0].body if p.cores else (), 0)
        VtcErrors.raise_if_any(self.errors)
        return Resolved(p, self.target, body, self.consts, self.literals, self.states,
                        inputs, outputs, self.halt_index)  # fmt: skip


def resolve(program: Program, target: Target) -> Resolved:
    """Check ``program`` against ``target`` and reduce it to named cells.

    Raises
    ------
    AsmError, VtcErrors
        Every problem found, each located in the source.
    """
    return _Resolver(program, target).run()
