"""A sequential interpreter of assembly programs: the meaning the assembler keeps.

Program order, one instruction after the other, no timing, names instead of
cells: what target.md section 5 says a program means. Tests compare the
cycle-accurate simulation of the assembled image against it. It shares only
the ISA's semantic functions and the port formats with the toolchain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from vtc.compiler.asm.program import Cell, Instr, Literal, Loop, PortRef, Program, Stmt
from vtc.compiler.machine.formats import parse_format
from vtc.compiler.machine.isa import lookup
from vtc.compiler.machine.semantics import as_precision
from vtc.compiler.machine.target import Target


def port_numbers(program: Program) -> tuple[dict[str, int], dict[str, int]]:
    return (
        {d.name: d.number for d in program.inputs},
        {d.name: d.number for d in program.outputs},
    )


def count_inputs(program: Program, runs: int) -> dict[int, int]:
    """How many values each input port consumes in ``runs`` runs."""
    ins, _ = port_numbers(program)
    counts: dict[int, int] = {}

    def walk(body: Sequence[Stmt], times: int) -> None:
        for s in body:
            if isinstance(s, Loop):
                walk(s.body, times * s.count)
            elif isinstance(s, Instr) and s.mnemonic == "in":
                ref = s.operands[1]
                assert isinstance(ref, PortRef)
                n = ref.number if ref.number is not None else ins[ref.name or ""]
                counts[n] = counts.get(n, 0) + times

    walk(program.cores[0].body, runs)
    return counts


def run_sequential(
    program: Program, target: Target, runs: int, inputs: Mapping[int, Sequence[float]]
) -> dict[int, list[float]]:
    """Output streams by port number after ``runs`` runs."""
    prec = target.precision
    default = target.default_format
    ins, outs = port_numbers(program)
    in_fmt = {d.number: parse_format(d.format or default) for d in program.inputs}
    out_fmt = {d.number: parse_format(d.format or default) for d in program.outputs}
    consts = {d.name: as_precision(d.value, prec) for d in program.consts}
    state = {d.name: as_precision(d.value, prec) for d in program.states}
    pos = dict.fromkeys(inputs, 0)
    result: dict[int, list[float]] = {}

    def port(ref: object, names: dict[str, int]) -> int:
        assert isinstance(ref, PortRef)
        return ref.number if ref.number is not None else names[ref.name or ""]

    for _ in range(runs):
        env: dict[str, float] = {**consts, **state}

        def value(o: object, env: dict[str, float] = env) -> float:
            if isinstance(o, Literal):
                return as_precision(o.value, prec)
            assert isinstance(o, Cell)
            return env[o.name]

        def execute(body: Sequence[Stmt], env: dict[str, float] = env) -> None:
            for s in body:
                if isinstance(s, Loop):
                    for _ in range(s.count):
                        execute(s.body)
                    continue
                if not isinstance(s, Instr) or s.mnemonic in ("nop", "halt"):
                    continue
                op = lookup(s.mnemonic)
                assert op is not None
                if s.mnemonic == "in":
                    p = port(s.operands[1], ins)
                    raw = inputs[p][pos[p]]
                    pos[p] += 1
                    fmt = in_fmt.get(p, parse_format(default))
                    d = s.operands[0]
                    assert isinstance(d, Cell)
                    env[d.name] = as_precision(fmt.quantize(raw), prec)
                elif s.mnemonic == "out":
                    p = port(s.operands[0], outs)
                    fmt = out_fmt.get(p, parse_format(default))
                    result.setdefault(p, []).append(fmt.quantize(value(s.operands[1])))
                else:
                    d = s.operands[0]
                    assert isinstance(d, Cell) and op.fn is not None
                    args = [value(o) for o in s.operands[1:]]
                    if s.mnemonic == "cmov":
                        args = [env[d.name], *args]
                    env[d.name] = as_precision(op.fn(*args), prec)

        execute(program.cores[0].body)
        for name in state:
            state[name] = env[name]
    return result
