"""Hypothesis-generated random models, compiled at every -O level, equal the reference.

Models are random diagrams of arithmetic, math and stateful blocks with
feedback closed through unit delays, scalar and vector signals, sometimes
run in a for-iterator (1, 3 or 40 iterations, with or without the index
``k``: unrolled or a hardware loop) and sometimes streaming. Every compile is simulated on
the cycle-accurate simulator and compared bit for bit with the reference
interpreter.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vtc.blocks.registry import registry
from vtc.compiler.driver import CompileOptions, check, compile_model
from vtc.compiler.model import loads

# (type, number of inputs, parameter strategy)
_NUM = st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 3.0, 0.1, -2.5, 1e-3, 7.0, 0.25])


def _kinds() -> list[tuple[str, int, Any]]:
    kinds: list[tuple[str, int, Any]] = [
        ("std.sum", 2, st.builds(lambda s: {"signs": s}, st.sampled_from(["++", "+-", "-+"]))),
        ("std.sum", 3, st.builds(lambda s: {"signs": s}, st.sampled_from(["+++", "+-+", "--+"]))),
        ("std.gain", 1, st.builds(lambda k: {"k": k}, _NUM)),
        ("std.unit_delay", 1, st.builds(lambda v: {"initial": v}, _NUM)),
    ]
    optional: list[tuple[str, int, Any]] = [
        ("std.product", 2, st.builds(lambda s: {"ops": s}, st.sampled_from(["**", "*/"]))),
        ("std.abs", 1, st.just({})),
        ("std.square", 1, st.just({})),
        ("std.sqrt", 1, st.just({})),
        ("std.reciprocal", 1, st.just({})),
        ("std.minmax", 2, st.builds(lambda f: {"fn": f}, st.sampled_from(["min", "max"]))),
        ("std.trig", 1, st.builds(lambda f: {"fn": f}, st.sampled_from(["sin", "cos", "atan"]))),
        ("std.rounding", 1, st.builds(lambda f: {"fn": f}, st.sampled_from(["floor", "round"]))),
        ("std.saturation", 1, st.just({"lower": -0.5, "upper": 0.75})),
        ("std.compare", 2, st.builds(lambda o: {"op": o}, st.sampled_from(["<", ">=", "=="]))),
        ("std.polynomial", 1, st.just({"coeffs": [0.5, -1.0, 2.0]})),
        ("std.expression", 0, st.just({"expr": "a*b - if(a > b, a, 2*b)"})),
    ]
    reg = registry()
    kinds += [k for k in optional if k[0] in reg]
    return kinds


KINDS = _kinds()


@st.composite
def models(draw: st.DrawFn) -> str:
    n_in = draw(st.integers(1, 3))
    width = draw(st.sampled_from([1, 1, 1, 2]))
    blocks: list[dict[str, Any]] = []
    conns: list[dict[str, Any]] = []
    signals: list[str] = []
    for i in range(n_in):
        blocks.append({"id": f"x{i}", "type": "std.inport", "params": {"port": i, "width": width}})
        signals.append(f"x{i}")
    # a third of the models run their diagram in a for-iterator (loop or unrolled)
    wrap = draw(st.sampled_from([None, None, 1, 3, 40]))
    if wrap is not None and draw(st.booleans()):
        blocks.append({"id": "k", "type": "std.inport", "params": {"port": 99}})
        signals.append("k")
    delays: list[str] = []
    for j in range(draw(st.integers(1, 12))):
        btype, n, params = draw(st.sampled_from(KINDS))
        p = draw(params)
        bid = f"b{j}"
        ports = [f"in{k + 1}" for k in range(n)] if n != 1 else ["in"]
        if btype == "std.expression":
            ports = ["a", "b"]
        if btype == "std.unit_delay":
            delays.append(bid)
            blocks.append({"id": bid, "type": btype, "params": p})
            signals.append(bid)
            continue  # its input is wired at the end: feedback allowed
        blocks.append({"id": bid, "type": btype, "params": p})
        for port in ports:
            src = draw(st.sampled_from(signals))
            conns.append({"from": [src, "out"], "to": [bid, port]})
        signals.append(bid)
    for d in delays:
        src = draw(st.sampled_from(signals))
        conns.append({"from": [src, "out"], "to": [d, "in"]})
    outs = draw(st.lists(st.sampled_from(signals), min_size=1, max_size=3, unique=True))
    for k, src in enumerate(outs):
        blocks.append({"id": f"y{k}", "type": "std.outport", "params": {"port": k}})
        conns.append({"from": [src, "out"], "to": [f"y{k}", "in"]})
    if wrap is not None:
        top: list[dict[str, Any]] = [
            {"id": f"X{i}", "type": "std.inport", "params": {"port": i, "width": width}}
            for i in range(n_in)
        ]
        top_conns = [{"from": [f"X{i}", "out"], "to": ["f", f"x{i}"]} for i in range(n_in)]
        top.append(
            {
                "id": "f",
                "type": "std.for_iterator",
                "params": {"n": wrap},
                "blocks": blocks,
                "connections": conns,
            }
        )
        for k in range(len(outs)):
            top.append({"id": f"Y{k}", "type": "std.outport", "params": {"port": k}})
            top_conns.append({"from": ["f", f"y{k}"], "to": [f"Y{k}", "in"]})
        blocks, conns = top, top_conns
    doc: dict[str, Any] = {
        "format": "vtc-model",
        "version": 1,
        "name": "r",
        "blocks": blocks,
        "connections": conns,
    }
    if draw(st.booleans()):
        doc["target"] = "zynq7020-double"
    if draw(st.integers(0, 4)) == 0:
        doc["samples_per_run"] = 3
    return json.dumps(doc)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(models(), st.integers(0, 2), st.integers(0, 2**16))
def test_random_models_compile_to_the_reference(text: str, level: int, seed: int) -> None:
    model = loads(text, "r.json")
    comp = compile_model(model, CompileOptions(opt_level=level), file="r.json")
    res = check(comp, 6, seed=seed, lo=-3.0, hi=3.0)
    assert res.ok, f"{res.mismatch}\n{text}\n{comp.asm_text}"
