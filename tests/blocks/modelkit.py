"""Helpers for block tests: one-block models, compiled and checked.

``block_model("std.gain", {"k": 2.0}, inputs={"in": 1})`` builds a model with
one inport per input port of the block (named after the port, with the given
width) and one outport per output port (``y_<port>``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from vtc.compiler.driver import Compilation, CompileOptions, check, compile_model, reference_run
from vtc.compiler.model import Model, loads


def block_model(
    btype: str,
    params: Mapping[str, Any],
    inputs: Mapping[str, int],
    outputs: Sequence[str] = ("out",),
    *,
    target: str = "zynq7020-single",
    samples_per_run: int = 1,
) -> Model:
    """A model around one block (inputs: port -> width)."""
    blocks: list[dict[str, Any]] = [{"id": "b", "type": btype, "params": dict(params)}]
    conns = []
    for k, (port, width) in enumerate(inputs.items()):
        blocks.append(
            {"id": f"u_{port}", "type": "std.inport", "params": {"port": k, "width": width}}
        )
        conns.append({"from": [f"u_{port}", "out"], "to": ["b", port]})
    for k, port in enumerate(outputs):
        blocks.append({"id": f"y_{port}", "type": "std.outport", "params": {"port": k}})
        conns.append({"from": ["b", port], "to": [f"y_{port}", "in"]})
    doc = {
        "format": "vtc-model",
        "version": 1,
        "name": "t",
        "target": target,
        "blocks": blocks,
        "connections": conns,
    }
    if samples_per_run != 1:
        doc["samples_per_run"] = samples_per_run
    return loads(json.dumps(doc), "test.json")


def compile_and_check(
    model: Model,
    steps: int = 40,
    *,
    seed: int = 0,
    lo: float = -1.0,
    hi: float = 1.0,
    levels: Sequence[int] = (0, 1, 2),
    inputs: Mapping[str, Sequence[float]] | None = None,
) -> list[Compilation]:
    """Compile at every level and assert simulation == reference bit for bit."""
    out = []
    for level in levels:
        comp = compile_model(model, CompileOptions(opt_level=level), file="test.json")
        res = check(comp, steps, seed=seed, lo=lo, hi=hi, inputs=inputs)
        assert res.ok, f"-O{level}: step {res.mismatch}\n{comp.asm_text}"
        out.append(comp)
    return out


def reference_outputs(
    model: Model, steps: int, inputs: Mapping[str, Sequence[float]]
) -> dict[str, list[float]]:
    """The reference interpreter's output streams (by CSV column)."""
    return dict(reference_run(model, steps, inputs, file="test.json").outputs)
