"""Generated models for the compile-speed benchmark.

:func:`lanes` builds ``n`` blocks as cascades of small IIR filters (gains,
sums and unit delays with feedback), :data:`CASCADE` filters per channel, one
inport and one outport per channel: as wide as a real multi-channel
controller, and every block survives optimisation.
"""

from __future__ import annotations

import json
from typing import Any

#: Blocks per filter section.
LANE = 8
#: Filter sections per channel (more when there would be over 250 channels).
CASCADE = 16


def lanes(n_blocks: int, *, target: str = "bench-large", name: str = "lanes") -> str:
    """Model text of about ``n_blocks`` blocks in lanes of :data:`LANE`."""
    n_lanes = max(1, n_blocks // LANE)
    cascade = max(CASCADE, -(-n_lanes // 250))  # at most 250 channels (ports)
    blocks: list[dict[str, Any]] = []
    conns: list[dict[str, Any]] = []

    def wire(a: str, b: str, port: str) -> None:
        conns.append({"from": [a, "out"], "to": [b, port]})

    prev = ""
    for i in range(n_lanes):
        p = f"l{i}_"
        k = 0.5 + (i % 7) * 0.0625
        if i % cascade == 0:
            prev = f"x{i // cascade}"
            blocks.append({"id": prev, "type": "std.inport", "params": {"port": i // cascade}})
        blocks += [
            {"id": f"{p}g0", "type": "std.gain", "params": {"k": k}},
            {"id": f"{p}s0", "type": "std.sum", "params": {"signs": "+-"}},
            {"id": f"{p}d0", "type": "std.unit_delay", "params": {"initial": 0.0}},
            {"id": f"{p}g1", "type": "std.gain", "params": {"k": 0.25}},
            {"id": f"{p}s1", "type": "std.sum", "params": {"signs": "++"}},
            {"id": f"{p}d1", "type": "std.unit_delay", "params": {"initial": 0.0}},
            {"id": f"{p}g2", "type": "std.gain", "params": {"k": 1.5 - k}},
            {"id": f"{p}s2", "type": "std.sum", "params": {"signs": "+++"}},
        ]
        for col, b in enumerate(blocks[-8:]):
            b["pos"] = [
                140.0 * (1 + col + 8 * (i % cascade)),
                100.0 * (i // cascade) * 2 + (60.0 if col % 2 else 0.0),
            ]
        wire(prev, f"{p}g0", "in")
        wire(f"{p}g0", f"{p}s0", "in1")
        wire(f"{p}g1", f"{p}s0", "in2")
        wire(f"{p}s0", f"{p}d0", "in")
        wire(f"{p}d0", f"{p}g1", "in")
        wire(f"{p}s0", f"{p}s1", "in1")
        wire(f"{p}d1", f"{p}s1", "in2")
        wire(f"{p}s1", f"{p}d1", "in")
        wire(f"{p}s1", f"{p}g2", "in")
        wire(f"{p}g2", f"{p}s2", "in1")
        wire(f"{p}d0", f"{p}s2", "in2")
        wire(prev, f"{p}s2", "in3")
        prev = f"{p}s2"
        if i % cascade == cascade - 1 or i == n_lanes - 1:
            y = f"y{i // cascade}"
            blocks.append({"id": y, "type": "std.outport", "params": {"port": i // cascade}})
            wire(prev, y, "in")
    return json.dumps(
        {
            "format": "vtc-model",
            "version": 1,
            "name": name,
            "target": target,
            "blocks": blocks,
            "connections": conns,
        }
    )
