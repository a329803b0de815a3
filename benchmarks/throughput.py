"""Throughput: assembler lines per second and simulated instructions per second.

Both on the ``bench-large`` target with a generated 10,000-instruction
program, each beside a plain baseline measured in the same run:

* assembler: the full pipeline (parse, schedule, allocate, verify, encode)
  against a plain tokenizer that only splits the same text into mnemonics and
  operands (what any assembler must at least do);
* simulator: the cycle-accurate simulator against a plain Python loop that
  runs the same decoded slots in program order with no timing model at all.

Goals (issue 2): at least 20,000 lines/s end to end, at least 1,000,000
simulated instructions per second. Figures go to
``benchmarks/results/throughput.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from programs import straight_line  # noqa: E402

from vtc.compiler.asm.driver import assemble  # noqa: E402
from vtc.compiler.machine.code import MachineProgram  # noqa: E402
from vtc.compiler.sim.simulator import Simulator  # noqa: E402


def best_of(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def plain_tokenize(text: str) -> int:
    count = 0
    for line in text.splitlines():
        code = line.split(";", 1)[0].strip()
        if not code or code.startswith("."):
            continue
        head, _, rest = code.partition(" ")
        _ = (head.lower(), [o.strip() for o in rest.split(",")])
        count += 1
    return count


def plain_interpreter(mp: MachineProgram, runs: int, inputs: list[float]) -> int:
    """Program order, a dict for memory, no latencies, no checks: the floor."""
    from vtc.compiler.machine.isa import lookup

    mem: dict[int, float] = dict(mp.data)
    code = [(s.mnemonic, lookup(s.mnemonic).fn, s.d, s.a, s.b) for s in mp.slots]  # type: ignore[union-attr]
    it = iter(inputs * runs)
    executed = 0
    for _ in range(runs):
        for name, fn, d, a, b in code:
            executed += 1
            if fn is not None:
                mem[d] = fn(mem[a], mem[b]) if name not in ("mov", "sqr") else fn(mem[a])
            elif name == "in":
                mem[d] = next(it)
    return executed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instructions", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    text = straight_line(args.instructions)
    lines = args.instructions

    asm_t = best_of(lambda: assemble(text, "bench.s"), args.repeat)
    tok_t = best_of(lambda: plain_tokenize(text), args.repeat)
    asm = assemble(text, "bench.s")
    mp = asm.machine
    n_in = sum(1 for s in mp.slots if s.mnemonic == "in")
    runs = 20
    inputs = [0.25 + 0.001 * i for i in range(n_in)]
    slots = len(mp.slots)
    setup_t = best_of(lambda: Simulator(mp), args.repeat)
    sim = Simulator(mp)  # decoding the image once; every run() starts a fresh machine
    sim_t = best_of(lambda: sim.run(runs, {0: inputs * runs}), args.repeat)
    plain_t = best_of(lambda: plain_interpreter(mp, runs, inputs), args.repeat)
    figures = {
        "instructions": lines,
        "assembler_seconds": round(asm_t, 4),
        "assembler_lines_per_s": round(lines / asm_t),
        "plain_tokenizer_lines_per_s": round(lines / tok_t),
        "assembler_goal_lines_per_s": 20_000,
        "schedule_cycles": asm.report["cycles"],
        "schedule_lower_bound": asm.report["lower_bound"],
        "sim_slots_per_run": slots,
        "sim_runs": runs,
        "sim_setup_seconds": round(setup_t, 4),
        "sim_instructions_per_s": round(slots * runs / sim_t),
        "plain_interpreter_instructions_per_s": round(slots * runs / plain_t),
        "sim_goal_instructions_per_s": 1_000_000,
    }
    print(
        f"assembler: {figures['assembler_lines_per_s']:>10,} lines/s end to end "
        f"(goal 20,000; plain tokenizer {figures['plain_tokenizer_lines_per_s']:,} lines/s)"
    )
    print(
        f"simulator: {figures['sim_instructions_per_s']:>10,} instructions/s cycle-accurate "
        f"(goal 1,000,000; plain untimed interpreter "
        f"{figures['plain_interpreter_instructions_per_s']:,}/s)"
    )
    out = HERE / "results" / "throughput.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
