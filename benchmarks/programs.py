"""Generated assembly programs for benchmarks (deterministic for a seed)."""

from __future__ import annotations

import random


def straight_line(n: int, *, seed: int = 1, target: str = "bench-large") -> str:
    """A straight-line program of ``n`` instructions: a sensor-fusion-like mix.

    Every ``in`` starts a new input sample; arithmetic draws its operands from
    the 20 most recent values (constants and the state included), so there is
    plenty of parallelism but also long dependence chains; an ``out`` now and
    then, and the state is updated at the end.
    """
    rnd = random.Random(seed)
    lines = [
        f".target {target}",
        ".input x 0",
        ".output y 0",
        ".const k = 0.5, c = 1.25",
        ".state s = 0.0",
    ]
    live = ["s", "k", "c"]
    ops = ["add", "sub", "mul", "min", "max"]
    for i in range(n - 3):
        if i % 50 == 0:
            lines.append(f"    in v{i}, x")
            live.append(f"v{i}")
        elif i % 97 == 0:
            lines.append(f"    out y, {rnd.choice(live[-20:])}")
        else:
            op = rnd.choice(ops)
            a, b = rnd.choice(live[-20:]), rnd.choice(live[-20:])
            lines.append(f"    {op} t{i}, {a}, {b}")
            live.append(f"t{i}")
    lines.append(f"    add s, s, {live[-1]}")
    lines.append("    out y, s")
    lines.append("    halt")
    return "\n".join(lines) + "\n"
