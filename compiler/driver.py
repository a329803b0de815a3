"""The one driver of the model tool flow, used by the command line and the editor.

:func:`compile_model` takes a model from its file to an assembled program:
load, elaborate, lower to the IR, optimise, emit ``NAME.s``, assemble with
the back end. :func:`reference_run`, :func:`simulate` and :func:`check` run
the reference interpreter, the cycle-accurate simulator, and both side by
side on seeded inputs.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vtc.compiler.errors import ModelError, VtcError
from vtc.compiler.files import write_text_atomic
from vtc.compiler.frontend.emit import EmitOptions, emit
from vtc.compiler.frontend.ir import Graph
from vtc.compiler.frontend.lower import LowerOptions, lower
from vtc.compiler.frontend.passes import optimise
from vtc.compiler.machine.target import Target, load_target
from vtc.compiler.model.elaborate import Diagram, elaborate
from vtc.compiler.model.fileio import load
from vtc.compiler.model.model import Model
from vtc.compiler.model.ports import ModelPort, model_ports

__all__ = [
    "CheckResult",
    "Compilation",
    "CompileOptions",
    "check",
    "check_ports",
    "compile_model",
    "load_model",
    "reference_run",
    "simulate",
]

#: Unroll limits (iterations x operations) by optimisation level.
UNROLL = {0: 0, 1: 16, 2: 256}
DEFAULT_TARGET = "zynq7020-single"


@dataclass(frozen=True)
class CompileOptions:
    """How to compile.

    Attributes
    ----------
    opt_level:
        0: no optimisation, program order (the naive baseline); 1 (default):
        exact optimisations and the optimising scheduler; 2: also unrolls
        larger for-iterators and lets the scheduler try an exact solver.
    fast_math:
        Also apply inexact rewrites (listed in the report).
    target:
        A target name or file; wins over the model's ``target``.
    allow_overrun:
        Compile even when a step takes longer than the model's ``sample_time``.
    """

    opt_level: int = 1
    fast_math: bool = False
    target: str | None = None
    allow_overrun: bool = False


@dataclass(frozen=True)
class Compilation:
    """Everything a compile produced."""

    name: str
    file: str
    model: Model
    diagram: Diagram
    target: Target
    graph: Graph
    asm_text: str
    assembly: Any  # vtc.compiler.asm.driver.Assembly
    inputs: tuple[ModelPort, ...]
    outputs: tuple[ModelPort, ...]
    report: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def cycles_per_sample(self) -> float:
        return float(self.report["cycles_per_sample"])

    def summary(self) -> str:
        """A few lines for the terminal: cycles per step, time, cells, EUs."""
        r = self.report
        lines = [
            f"{self.name}: {r['cycles']} cycles per run"
            + (
                f" ({r['samples_per_run']} steps, {r['cycles_per_sample']:g} per step)"
                if r["samples_per_run"] > 1
                else ""
            ),
            f"  {r['time_us']:g} us at {self.target.clock_mhz:g} MHz, "
            f"{r['instructions']} instructions, {r['cells']} cells, "
            f"EUs: {', '.join(r['eus']) or 'none'}",
        ]
        if "deadline_slack_us" in r:
            lines.append(
                f"  deadline {r['sample_time_us']:g} us, slack {r['deadline_slack_us']:g} us"
            )
        opt = r["optimisation"]
        lines.append(
            f"  -O{opt['level']}{' --fast-math' if opt['fast_math'] else ''}: "
            f"{opt['operations_before']} -> {opt['operations_after']} operations"
        )
        return "\n".join(lines)


def load_model(path: str | Path) -> Model:
    """Read a model file (errors name the file)."""
    return load(path)


def _target_of(model: Model, override: str | Target | None) -> Target:
    if isinstance(override, Target):
        return override
    return load_target(override or model.target or DEFAULT_TARGET)


def compile_model(
    model: Model | str | Path,
    options: CompileOptions | None = None,
    *,
    file: str | None = None,
) -> Compilation:
    """Compile a model to an assembled program.

    Parameters
    ----------
    model:
        A model, or the path of its file.
    file:
        The file name used in messages (default: the path given).

    Raises
    ------
    VtcError
        A model problem (``FILE: block PATH (TYPE): error: ...``), a program
        that does not fit the target, a missed deadline.
    """
    from vtc.compiler.asm.driver import no_gc

    with no_gc():
        return _compile(model, options, file)


def _compile(
    model: Model | str | Path, options: CompileOptions | None, file: str | None
) -> Compilation:
    from vtc.compiler.asm.driver import assemble

    opts = options or CompileOptions()
    if opts.opt_level not in UNROLL:
        raise VtcError(f"unknown optimisation level -O{opts.opt_level} (use -O0, -O1 or -O2)")
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    if not isinstance(model, Model):
        file = file or str(model)
        model = load(model)
    file = file or "<model>"
    name = model.name or Path(file).stem or "model"
    target = _target_of(model, opts.target)
    diagram = elaborate(model, file)
    check_ports(diagram, target, file)
    t1 = time.perf_counter()
    times["load"] = t1 - t0
    graph = lower(
        diagram,
        precision=target.precision,
        samples_per_run=model.samples_per_run,
        file=file,
        options=LowerOptions(unroll_limit=UNROLL[opts.opt_level], fast_math=opts.fast_math),
    )
    before = graph.operations()
    if opts.opt_level > 0:
        graph = optimise(graph, target.precision, fast_math=opts.fast_math)
    t2 = time.perf_counter()
    times["lower+optimise"] = t2 - t1
    target_text = opts.target if opts.target and not Path(opts.target).suffix else target.name
    text = emit(graph, EmitOptions(name=name, target=target_text, source=Path(file).name))
    asm_file = str(Path(file).with_name(f"{name}.s")) if file != "<model>" else f"{name}.s"
    t3 = time.perf_counter()
    times["emit"] = t3 - t2
    try:
        assembly = assemble(
            text,
            asm_file,
            target=target,
            keep_order=opts.opt_level == 0,
            effort=2 if opts.opt_level >= 2 else 1,
            name=name,
        )
    except VtcError as exc:
        raise ModelError(
            f"the compiled program does not fit target '{target.name}': {exc.message}",
            file=file,
            notes=[
                f"{graph.operations()} operations, {len(graph.states)} state cells; "
                "a target with more memory (e.g. --target bench-large) or a smaller "
                "model may fit",
                *exc.notes,
            ],
        ) from None
    times["assemble"] = time.perf_counter() - t3
    ins, outs = model_ports(diagram, target.precision)
    report = _report(model, opts, graph, before, assembly, target, file)
    comp = Compilation(
        name,
        file,
        model,
        diagram,
        target,
        graph,
        text,
        assembly,
        tuple(ins),
        tuple(outs),
        report,
        times,
    )
    if "deadline_slack_us" in report and report["deadline_slack_us"] < 0 and not opts.allow_overrun:
        raise ModelError(
            f"a step takes {report['time_per_sample_us']:g} us but the sample time is "
            f"{report['sample_time_us']:g} us (slack {report['deadline_slack_us']:g} us)",
            file=file,
            notes=[
                "make the model cheaper, use a faster target, or compile with "
                "--allow-overrun to see the program anyway"
            ],
        )
    return comp


def check_ports(diagram: Diagram, target: Target, file: str) -> None:
    """Raise a :class:`ModelError` naming the first port block beyond the
    target's input or output port count."""
    ins, outs = model_ports(diagram, target.precision)
    for ports, have, what in (
        (ins, target.input_ports, "input"),
        (outs, target.output_ports, "output"),
    ):
        if len(ports) > have:
            first = ports[have]
            inst = diagram.inst(first.path)
            raise ModelError(
                f"the model needs {len(ports)} {what} ports, target '{target.name}' has "
                f"{have}: this block's port {first.column} is one too many",
                file=file,
                path=first.path,
                block_type=inst.type,
            )


def _report(
    model: Model,
    opts: CompileOptions,
    graph: Graph,
    before: int,
    assembly: Any,
    target: Target,
    file: str,
) -> dict[str, Any]:
    rep = dict(assembly.report)
    spr = model.samples_per_run
    cycles = rep["cycles"]
    per = cycles / spr
    rep["model"] = Path(file).name
    rep["samples_per_run"] = spr
    rep["cycles_per_sample"] = per
    rep["time_per_sample_us"] = per / target.clock_mhz
    rep["instructions"] = len(assembly.machine.slots)
    if model.sample_time is not None:
        rep["sample_time_us"] = model.sample_time * 1e6
        rep["deadline_slack_us"] = round(model.sample_time * 1e6 - per / target.clock_mhz, 9)
    stats = dict(graph.stats)
    rewrites = {k: v for k, v in stats.items() if not k.startswith("operations")}
    rep["optimisation"] = {
        "level": opts.opt_level,
        "fast_math": opts.fast_math,
        "operations_before": before,
        "operations_after": graph.operations(),
        "rewrites": dict(sorted(rewrites.items())),
        "inexact": sorted(k for k in rewrites if k.startswith("fast-math")),
    }
    return rep


def write_outputs(comp: Compilation, directory: str | Path) -> list[Path]:
    """Write ``NAME.s`` and every artefact of the assembled program."""
    import json

    from vtc.compiler.asm.driver import write_artefacts

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    src = out / f"{comp.name}.s"
    write_text_atomic(src, comp.asm_text)
    paths = [src, *write_artefacts(comp.assembly, out)]
    report = out / f"{comp.name}.report.json"
    write_text_atomic(report, json.dumps(comp.report, indent=2, sort_keys=True) + "\n")
    return paths


# --- running ----------------------------------------------------------------------------


def reference_run(
    model: Model,
    steps: int,
    inputs: Mapping[str, Sequence[float]] | None = None,
    *,
    file: str = "<model>",
    target: str | Target | None = None,
) -> Any:
    """Run the reference interpreter (returns a ``ReferenceResult``)."""
    from vtc.compiler.reference import Interpreter

    tgt = _target_of(model, target)
    interp = Interpreter(elaborate(model, file), tgt.precision, file)
    return interp.run(steps, inputs)


def simulate(
    comp: Compilation, steps: int, inputs: Mapping[str, Sequence[float]] | None = None
) -> dict[str, list[float]]:
    """Run a compiled model for ``steps`` model steps on the cycle-accurate
    simulator; inputs and outputs are keyed by CSV column."""
    from vtc.compiler.sim.simulator import Simulator

    spr = comp.model.samples_per_run
    if steps % spr:
        raise VtcError(
            f"{steps} steps is not a whole number of runs: the model runs "
            f"{spr} steps per run (samples_per_run)",
            where=comp.file,
        )
    known = {p.column for p in comp.inputs}
    for column in inputs or {}:
        if column not in known:
            raise VtcError(
                f"the model has no input '{column}' (its inputs: "
                f"{', '.join(sorted(known)) or 'none'})",
                where=comp.file,
            )
    sim = Simulator(comp.assembly.machine, name=comp.file)
    streams = {p.asm_name: list((inputs or {}).get(p.column, ())) for p in comp.inputs}
    result = sim.run(steps // spr, streams)
    return {p.column: list(result.outputs[p.asm_name]) for p in comp.outputs}


@dataclass(frozen=True)
class CheckResult:
    """The outcome of :func:`check`."""

    steps: int
    inputs: dict[str, list[float]]
    compiled: dict[str, list[float]]
    reference: dict[str, list[float]]
    mismatch: tuple[int, str, float, float] | None
    tolerance: float

    @property
    def ok(self) -> bool:
        return self.mismatch is None


def random_inputs(
    ports: Sequence[ModelPort], steps: int, seed: int, lo: float = -1.0, hi: float = 1.0
) -> dict[str, list[float]]:
    """Seeded uniform inputs for every port, rounded to the port's format."""
    rng = random.Random(seed)
    return {p.column: [p.format.quantize(rng.uniform(lo, hi)) for _ in range(steps)] for p in ports}


def _same(a: float, b: float, tol: float) -> bool:
    if a != a or b != b:
        return a != a and b != b
    if tol == 0.0:
        return a == b and (a != 0.0 or math.copysign(1.0, a) == math.copysign(1.0, b))
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= tol * max(1.0, abs(b))


def check(
    comp: Compilation,
    steps: int,
    *,
    seed: int = 0,
    lo: float = -1.0,
    hi: float = 1.0,
    inputs: Mapping[str, Sequence[float]] | None = None,
    tolerance: float | None = None,
) -> CheckResult:
    """Simulate the compiled program and run the reference on the same inputs.

    Outputs must agree bit for bit (any NaN equals any NaN; ``-0`` differs
    from ``+0``), or within ``tolerance`` (relative, absolute below 1) when
    given, as ``--fast-math`` needs.
    """
    spr = comp.model.samples_per_run
    steps = -(-steps // spr) * spr
    given = (
        {k: list(v) for k, v in inputs.items()}
        if inputs is not None
        else random_inputs(comp.inputs, steps, seed, lo, hi)
    )
    compiled = simulate(comp, steps, given)
    ref = reference_run(comp.model, steps, given, file=comp.file, target=comp.target)
    tol = tolerance or 0.0
    mismatch = None
    for k in range(steps):
        for p in comp.outputs:
            a, b = compiled[p.column][k], ref.outputs[p.column][k]
            if not _same(a, b, tol):
                mismatch = (k, p.column, a, b)
                break
        if mismatch:
            break
    return CheckResult(steps, given, compiled, ref.outputs, mismatch, tol)
