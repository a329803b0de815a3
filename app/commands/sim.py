"""``vtc sim PROG --steps N``: run a program on the cycle-accurate simulator.

PROG is an assembly file (assembled first) or an image set (``NAME.image.json``
or any of its ``.mem`` files). The outputs go to ``--out`` as CSV, or to
stdout; a one-line summary (runs, cycles per run, time at the target clock)
goes to stderr, and so does ``--trace``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vtc.app.commands.modelargs import add_compile_options, is_model
from vtc.compiler.errors import VtcError
from vtc.compiler.machine.code import MachineProgram
from vtc.compiler.machine.image import image_name, read_image


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' is negative")
    return value


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "sim",
        help="simulate a program cycle by cycle",
        description=(
            "Run PROG (a model MODEL.json, an assembly file, or an image: NAME.image.json or "
            "one of its .mem files) for N runs (for a model: N model steps) on the "
            "cycle-accurate simulator, or a model on its reference interpreter (--reference). "
            "Input streams come from a "
            "CSV file with one column per input port; the output streams are written as CSV "
            "to --out or stdout. The summary and --trace go to stderr."
        ),
    )
    p.add_argument("program", metavar="PROG", help="model, assembly file or image set")
    p.add_argument("--steps", type=_count, metavar="N", help="number of runs")
    p.add_argument("--inputs", metavar="CSV", help="input streams, one column per input port")
    p.add_argument("--out", metavar="CSV", help="write the output streams here (default: stdout)")
    p.add_argument("--target", metavar="T", help="target name or TOML file (assembly only)")
    p.add_argument(
        "--keep-order", action="store_true", help="assemble in program order (assembly only)"
    )
    p.add_argument("--trace", action="store_true", help="print one line per cycle to stderr")
    p.add_argument("--vcd", metavar="FILE", help="write a VCD waveform")
    p.add_argument(
        "--stop-at",
        type=_count,
        metavar="CYCLE",
        help="stop at this global cycle (needs --save-state)",
    )
    p.add_argument("--save-state", metavar="FILE", help="where --stop-at saves the state")
    p.add_argument("--resume", metavar="FILE", help="continue a simulation from a saved state")
    p.add_argument(
        "--reference",
        action="store_true",
        help="models only: run the reference interpreter instead of the compiled program",
    )
    add_compile_options(p, target=False)
    p.set_defaults(func=run)


def load_program(path: str, target: str | None = None, keep_order: bool = False) -> MachineProgram:
    """The machine program of an assembly file (assembled) or of an image set (decoded)."""
    if image_name(path) is not None:
        mp = read_image(path)
        if keep_order:
            raise VtcError(
                "--keep-order applies to assembly files only (an image is already scheduled)",
                where=path,
            )
        if target is not None:
            from vtc.compiler.machine.target import load_target

            wanted = load_target(target)
            if wanted.to_dict() != mp.target.to_dict():
                raise VtcError(
                    f"the image was built for target '{mp.target.name}', not '{target}' "
                    "(an image cannot be retargeted: assemble the source again)",
                    where=path,
                )
        return mp
    from vtc.compiler.asm.driver import assemble_file

    return assemble_file(path, target=target, keep_order=keep_order).machine


def _summary(cycles: list[int], clock_mhz: float, total: int) -> str:
    runs = len(cycles)
    if runs and all(c == cycles[0] for c in cycles):
        per = f"{cycles[0]} cycles ({cycles[0] / clock_mhz:g} us at {clock_mhz:g} MHz)"
        head = f"{runs} run{'s' if runs != 1 else ''} of {per}"
    else:
        head = f"{runs} runs of {', '.join(map(str, cycles))} cycles at {clock_mhz:g} MHz"
    return f"{head}, {total} cycles ({total / clock_mhz:g} us) in total"


def run(args: argparse.Namespace) -> int:
    from vtc.compiler.machine.formats import PortFormat
    from vtc.compiler.sim.simulator import Observer, Simulator
    from vtc.compiler.sim.state import load_state, save_state
    from vtc.compiler.sim.streams import format_csv, read_csv, write_csv
    from vtc.compiler.sim.trace import TraceWriter, VcdWriter

    if is_model(args.program):
        return run_model(args)
    if args.reference:
        raise VtcError("--reference runs a model's reference interpreter: give a MODEL.json")
    if (args.stop_at is None) != (args.save_state is None):
        raise VtcError("--stop-at and --save-state go together: give both or neither")
    if args.steps is None and args.resume is None:
        raise VtcError("how many runs? give --steps N")
    mp = load_program(args.program, args.target, args.keep_order)
    sim = Simulator(mp, name=args.program)
    inputs: dict[str | int, list[float]] = {}
    if args.inputs is not None:
        formats = {p.name: p.format for p in sim.ports.inputs}
        inputs.update(read_csv(args.inputs, formats))
    state = load_state(args.resume) if args.resume is not None else None
    steps = args.steps if args.steps is not None else state.steps  # type: ignore[union-attr]

    class _Both:
        def __init__(self, *parts: Observer) -> None:
            self.parts = parts

        def start(self, s: Simulator) -> None:
            for o in self.parts:
                o.start(s)

        def cycle(self, g: int, r: int, t: int, pc: int, landed: int) -> None:
            for o in self.parts:
                o.cycle(g, r, t, pc, landed)

        def finish(self, g: int) -> None:
            for o in self.parts:
                o.finish(g)

    observers: list[Observer] = []
    if args.trace:
        observers.append(TraceWriter(sys.stderr))
    if args.vcd is not None:
        observers.append(VcdWriter(args.vcd))
    observer = observers[0] if len(observers) == 1 else _Both(*observers) if observers else None

    result = sim.run(steps, inputs, stop_at=args.stop_at, resume=state, observer=observer)
    clock = mp.target.clock_mhz
    if result.state is not None:
        save_state(args.save_state, result.state)
        print(
            f"stopped at cycle {result.total_cycles} (run {result.state.run + 1}, cycle "
            f"{result.state.t}): state saved to {args.save_state}",
            file=sys.stderr,
        )
        return 0
    if args.stop_at is not None:
        print(
            f"note: the simulation ended at cycle {result.total_cycles}, before --stop-at "
            f"{args.stop_at}: no state saved",
            file=sys.stderr,
        )
    columns: list[tuple[str, PortFormat, list[float]]] = [
        (p.name, p.format, result.outputs[p.name]) for p in sim.ports.outputs
    ]
    if args.out is not None:
        write_csv(Path(args.out), columns)
    else:
        sys.stdout.write(format_csv(columns))
    print(_summary(result.cycles, clock, result.total_cycles), file=sys.stderr)
    return 0


def run_model(args: argparse.Namespace) -> int:
    """``vtc sim MODEL.json``: compiled and simulated, or the reference interpreter."""
    from vtc.app.commands.modelargs import compile_options
    from vtc.compiler.driver import compile_model, reference_run, simulate
    from vtc.compiler.model import elaborate, load
    from vtc.compiler.model.ports import model_ports
    from vtc.compiler.sim.streams import format_csv, read_csv, write_csv

    for flag in ("trace", "vcd", "stop_at", "save_state", "resume", "keep_order"):
        if getattr(args, flag):
            raise VtcError(
                f"--{flag.replace('_', '-')} applies to assembly and images; compile the model "
                "(vtc compile) and simulate NAME.image.json for it"
            )
    if args.steps is None:
        raise VtcError("how many steps? give --steps N")
    if args.reference:
        from vtc.compiler.driver import _target_of

        model = load(args.program)
        tgt = _target_of(model, args.target)
        ins, outs = model_ports(elaborate(model, args.program), tgt.precision)
        inputs = read_csv(args.inputs, {p.column: p.format for p in ins}) if args.inputs else {}
        res = reference_run(model, args.steps, inputs, file=args.program, target=tgt)
        outputs = res.outputs
        what = f"reference interpreter, {args.steps} steps"
    else:
        comp = compile_model(args.program, compile_options(args))
        outs = list(comp.outputs)
        inputs = (
            read_csv(args.inputs, {p.column: p.format for p in comp.inputs}) if args.inputs else {}
        )
        outputs = simulate(comp, args.steps, inputs)
        per = comp.report["cycles_per_sample"]
        what = (
            f"{args.steps} steps of {per:g} cycles ({per / comp.target.clock_mhz:g} us at "
            f"{comp.target.clock_mhz:g} MHz)"
        )
    columns = [(p.column, p.format, outputs[p.column]) for p in outs]
    if args.out is not None:
        write_csv(Path(args.out), columns)
    else:
        sys.stdout.write(format_csv(columns))
    print(what, file=sys.stderr)
    return 0
