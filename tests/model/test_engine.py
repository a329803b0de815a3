"""Elaboration, lowering and the reference interpreter on structural features:
subsystems, for-iterators (loop and unrolled), streaming, deadlines, errors."""

from __future__ import annotations

import pytest
from mk import blk, doc, sub

from vtc.compiler.driver import CompileOptions, check, compile_model, reference_run
from vtc.compiler.errors import ModelError, VtcErrors
from vtc.compiler.model import loads


def _checked(text: str, steps: int = 30, levels: tuple[int, ...] = (0, 1, 2)) -> list[object]:
    model = loads(text, "t.json")
    comps = []
    for level in levels:
        comp = compile_model(model, CompileOptions(opt_level=level), file="t.json")
        res = check(comp, steps, seed=level)
        assert res.ok, f"-O{level}: {res.mismatch}\n{comp.asm_text}"
        comps.append(comp)
    return comps


def test_accumulator_with_feedback_through_a_delay() -> None:
    text = doc(
        [
            blk("x", "inport"),
            blk("s", "sum", signs="++"),
            blk("d", "unit_delay", initial=0.5),
            blk("y", "outport"),
        ],
        [("x.out", "s.in1"), ("d.out", "s.in2"), ("s.out", "d.in"), ("s.out", "y.in")],
    )
    _checked(text)
    res = reference_run(loads(text), 3, {"x": [1.0, 2.0, 3.0]})
    assert res.outputs["y"] == [1.5, 3.5, 6.5]


def test_subsystems_are_inlined_and_nest() -> None:
    inner = sub(
        "inner",
        "std.subsystem",
        [blk("a", "inport"), blk("g", "gain", k=3.0), blk("b", "outport")],
        [("a.out", "g.in"), ("g.out", "b.in")],
    )
    outer = sub(
        "s",
        "std.subsystem",
        [
            blk("u", "inport"),
            inner,
            blk("d", "unit_delay"),
            blk("v", "outport"),
            blk("w", "outport"),
        ],
        [("u.out", "inner.a"), ("inner.b", "d.in"), ("d.out", "v.in"), ("inner.b", "w.in")],
    )
    text = doc(
        [blk("x", "inport"), outer, blk("y1", "outport", port=0), blk("y2", "outport", port=1)],
        [("x.out", "s.u"), ("s.v", "y1.in"), ("s.w", "y2.in")],
    )
    comps = _checked(text)
    res = reference_run(loads(text), 2, {"x": [1.0, 2.0]})
    assert res.outputs == {"y1": [0.0, 3.0], "y2": [3.0, 6.0]}
    assert "; s/inner/g" in comps[1].asm_text  # type: ignore[attr-defined]


def _for_model(n: int, with_index: bool) -> str:
    body = [
        blk("u", "inport"),
        blk("acc", "sum", signs="+++" if with_index else "++"),
        blk("d", "unit_delay"),
        blk("o", "outport"),
    ]
    conns = [("u.out", "acc.in1"), ("d.out", "acc.in2"), ("acc.out", "d.in"), ("acc.out", "o.in")]
    if with_index:
        body.append(blk("k", "inport"))
        conns.append(("k.out", "acc.in3"))
    loop = sub("f", "std.for_iterator", body, conns, n=n)
    return doc([blk("x", "inport"), loop, blk("y", "outport")], [("x.out", "f.u"), ("f.o", "y.in")])


@pytest.mark.parametrize("n", [1, 3, 40])
def test_for_iterator_loop_or_unrolled_equals_reference(n: int) -> None:
    comps = _checked(_for_model(n, True), steps=8)
    # the state is kept across iterations and steps; k counts 0..n-1
    res = reference_run(loads(_for_model(n, True)), 2, {"x": [1.0, 1.0]})
    first = n * 1.0 + n * (n - 1) / 2
    assert res.outputs["y"][0] == first
    assert res.outputs["y"][1] == first + first
    texts = [c.asm_text for c in comps]  # type: ignore[attr-defined]
    assert f"loop {n}" in texts[0]  # -O0 never unrolls
    if n == 40:
        assert "loop 40" in texts[1]
    if n == 3:
        assert "loop" not in texts[2]  # small enough to unroll


def test_samples_per_run_streams_in_a_hardware_loop() -> None:
    text = doc(
        [blk("x", "inport"), blk("g", "gain", k=2.0), blk("y", "outport")],
        [("x.out", "g.in"), ("g.out", "y.in")],
        samples_per_run=16,
    )
    comps = _checked(text, steps=32)
    comp = comps[1]
    assert "loop 16" in comp.asm_text  # type: ignore[attr-defined]
    assert comp.report["samples_per_run"] == 16  # type: ignore[attr-defined]
    assert comp.report["cycles_per_sample"] < 8  # type: ignore[attr-defined]


def test_deadline_slack_and_overrun() -> None:
    text = doc(
        [blk("x", "inport"), blk("g", "gain", k=2.0), blk("y", "outport")],
        [("x.out", "g.in"), ("g.out", "y.in")],
        sample_time=1e-6,
    )
    comp = compile_model(loads(text), file="t.json")
    assert comp.report["deadline_slack_us"] == pytest.approx(1.0 - comp.cycles_per_sample / 100)
    tight = doc(
        [blk("x", "inport"), blk("g", "gain", k=2.0), blk("y", "outport")],
        [("x.out", "g.in"), ("g.out", "y.in")],
        sample_time=2e-8,
    )
    with pytest.raises(ModelError) as info:
        compile_model(loads(tight), file="t.json")
    per = comp.cycles_per_sample / 100
    assert str(info.value) == (
        f"t.json: error: a step takes {per:g} us but the sample time is 0.02 us "
        f"(slack {0.02 - per:g} us)"
    )
    comp = compile_model(loads(tight), CompileOptions(allow_overrun=True), file="t.json")
    assert comp.report["deadline_slack_us"] < 0


def test_algebraic_loop_names_every_block() -> None:
    text = doc(
        [
            blk("x", "inport"),
            blk("a", "sum", signs="++"),
            blk("b", "gain", k=0.5),
            blk("c", "gain", k=2.0),
            blk("y", "outport"),
        ],
        [
            ("x.out", "a.in1"),
            ("c.out", "a.in2"),
            ("a.out", "b.in"),
            ("b.out", "c.in"),
            ("b.out", "y.in"),
        ],
    )
    with pytest.raises(ModelError) as info:
        compile_model(loads(text), file="t.json")
    msg = info.value.headline()
    assert msg.startswith("t.json: block ")
    assert "algebraic loop" in msg
    for name in ("a", "b", "c"):
        assert f" {name} " in msg.replace("->", " ") + " " or f"{name} ->" in msg


def test_wiring_errors_are_collected() -> None:
    text = doc(
        [
            blk("x", "inport", port=0),
            blk("x2", "inport", port=0),
            blk("s", "sum", signs="+-"),
            blk("g", "gain"),
            blk("y", "outport"),
        ],
        [
            ("x.out", "s.in1"),
            ("x2.out", "g.in"),
            ("x.out", "g.in"),
            ("g.nope", "y.in"),
            ("x.out", "s.in7"),
        ],
    )
    with pytest.raises(VtcErrors) as info:
        compile_model(loads(text, "w.json"), file="w.json")
    got = [e.headline() for e in info.value.errors]
    assert got == [
        "w.json: block g (std.gain): error: input 'in' is driven twice (by x2.out and x.out)",
        "w.json: block g (std.gain): error: has no output 'nope' (outputs: out)",
        "w.json: block s (std.sum): error: has no input 'in7' (inputs: in1, in2)",
        "w.json: block s (std.sum): error: input 'in2' is not connected",
        "w.json: block x2 (std.inport): error: port number 0 is also used by 'x'",
    ]


def test_parameter_and_width_errors() -> None:
    text = doc(
        [
            blk("x", "inport", width=3),
            blk("c", "constant", value=[1, 2]),
            blk("s", "sum", signs="+*"),
            blk("t", "sum", signs="++"),
            blk("y", "outport"),
            blk("z", "outport", port=1),
        ],
        [
            ("x.out", "s.in1"),
            ("c.out", "s.in2"),
            ("x.out", "t.in1"),
            ("c.out", "t.in2"),
            ("t.out", "y.in"),
            ("c.out", "z.in"),
        ],
    )
    with pytest.raises(VtcErrors) as info:
        compile_model(loads(text, "p.json"), file="p.json")
    got = [e.headline() for e in info.value.errors]
    assert got == [
        "p.json: block s (std.sum): error: parameter 'signs': '+*' must be made of + and - "
        "only, at least one",
        "p.json: block t (std.sum): error: input widths do not match (in1 is 3, in2 is 2)",
    ]


def test_vectors_and_constants() -> None:
    text = doc(
        [
            blk("x", "inport", width=3),
            blk("c", "constant", value=[1, -2, 0.5]),
            blk("s", "sum", signs="+-"),
            blk("m", "gain", k=[[1, 0, 2], [0, 0, 0]]),
            blk("y", "outport", port=0),
            blk("z", "outport", port=1),
        ],
        [
            ("x.out", "s.in1"),
            ("c.out", "s.in2"),
            ("s.out", "m.in"),
            ("m.out", "y.in"),
            ("s.out", "z.in"),
        ],
    )
    comps = _checked(text)
    ref = reference_run(loads(text), 1, {"x[0]": [1.0], "x[1]": [1.0], "x[2]": [1.0]})
    assert ref.outputs["y[0]"] == [0.0 + 2 * 0.5]
    assert ref.outputs["y[1]"] == [0.0]
    assert [p.column for p in comps[0].outputs] == [  # type: ignore[attr-defined]
        "y[0]",
        "y[1]",
        "z[0]",
        "z[1]",
        "z[2]",
    ]


def test_scope_compiles_to_nothing_and_records_in_the_reference() -> None:
    text = doc(
        [blk("x", "inport"), blk("g", "gain", k=2.0), blk("sc", "scope"), blk("y", "outport")],
        [("x.out", "g.in"), ("g.out", "sc.in"), ("x.out", "y.in")],
    )
    comp = _checked(text)[1]
    assert "mul" not in comp.asm_text  # type: ignore[attr-defined]
    res = reference_run(loads(text), 2, {"x": [1.0, 2.0]})
    assert [float(v[0]) for v in res.scopes["sc"]] == [2.0, 4.0]


def test_unused_input_is_still_read_every_step() -> None:
    text = doc(
        [blk("x", "inport"), blk("z", "inport", port=1), blk("y", "outport")], [("x.out", "y.in")]
    )
    comp = _checked(text)[1]
    assert "in   _.t1, z" in comp.asm_text or ", z " in comp.asm_text + " "  # type: ignore
    assert comp.asm_text.count("in   ") == 2  # type: ignore[attr-defined]


def test_double_precision_target() -> None:
    text = doc(
        [blk("x", "inport"), blk("g", "gain", k=0.1), blk("y", "outport")],
        [("x.out", "g.in"), ("g.out", "y.in")],
        target="zynq7020-double",
    )
    comp = _checked(text)[1]
    assert comp.target.precision == "double"  # type: ignore[attr-defined]
    res = reference_run(loads(text), 1, {"x": [3.0]})
    assert res.outputs["y"] == [0.30000000000000004]


def test_too_many_ports_names_the_block() -> None:
    blocks = [blk(f"x{i}", "inport", port=i) for i in range(17)] + [blk("y", "outport")]
    text = doc(blocks, [("x0.out", "y.in")])
    with pytest.raises(ModelError) as info:
        compile_model(loads(text), file="t.json")
    assert str(info.value) == (
        "t.json: block x16 (std.inport): error: the model needs 17 input ports, target "
        "'zynq7020-single' has 16: this block's port x16 is one too many"
    )


def test_program_too_big_for_the_target_is_a_model_error() -> None:
    text = doc(
        [blk("x", "inport"), blk("d", "delay", n=1100), blk("y", "outport")],
        [("x.out", "d.in"), ("d.out", "y.in")],
    )
    with pytest.raises(ModelError) as info:
        compile_model(loads(text), file="t.json")
    assert str(info.value).startswith(
        "t.json: error: the compiled program does not fit target 'zynq7020-single': "
    )
    assert "data_depth 1024" in str(info.value)
    assert "--target bench-large" in info.value.format()


def test_index_read_after_the_loop_is_the_last_iteration() -> None:
    """Regression: the counter was incremented at the end of the body, so a ``k``
    read after the loop gave n instead of n - 1 (found by the random models)."""
    body = [blk("u", "inport"), blk("k", "inport", port=1), blk("o", "outport")]
    loop = sub("f", "std.for_iterator", body, [("k.out", "o.in")], n=5)
    text = doc([blk("x", "inport"), loop, blk("y", "outport")], [("x.out", "f.u"), ("f.o", "y.in")])
    _checked(text, steps=4)
    assert reference_run(loads(text), 1, {"x": [0.0]}).outputs["y"] == [4.0]


def test_loop_whose_body_is_all_hoisted_is_not_emitted() -> None:
    """Regression: a for-iterator whose operations are all loop-invariant left an
    empty ``loop`` that the assembler refuses (found by the random models)."""
    body = [blk("u", "inport"), blk("s", "sum", signs="++"), blk("o", "outport")]
    loop = sub(
        "f",
        "std.for_iterator",
        body,
        [("u.out", "s.in1"), ("u.out", "s.in2"), ("s.out", "o.in")],
        n=40,
    )
    text = doc(
        [blk("x", "inport"), loop, blk("y", "outport")],
        [("x.out", "f.u"), ("f.o", "y.in")],
        samples_per_run=3,
    )
    comps = _checked(text, steps=6)
    assert "loop 40" in comps[0].asm_text  # type: ignore[attr-defined]
    assert "loop 40" not in comps[1].asm_text  # type: ignore[attr-defined]


def test_state_of_a_loop_read_after_it_is_the_last_iterations_value() -> None:
    """Regression: a for-iterator output that is a delay's output must be the
    state at the start of the last iteration, but the cell after the loop
    already holds the next state; and an output read early went out before
    the loop ran (found by the random models)."""
    body = [
        blk("u", "inport"),
        blk("d", "unit_delay"),
        blk("o", "outport"),
        blk("s", "sum", signs="++"),
        blk("p", "outport", port=1),
    ]
    conns = [
        ("u.out", "s.in1"),
        ("d.out", "s.in2"),
        ("s.out", "d.in"),
        ("d.out", "o.in"),
        ("s.out", "p.in"),
    ]
    for n in (3, 40):
        loop = sub("f", "std.for_iterator", body, conns, n=n)
        text = doc(
            [blk("x", "inport"), loop, blk("y", "outport"), blk("z", "outport", port=1)],
            [("x.out", "f.u"), ("f.o", "y.in"), ("f.p", "z.in")],
            samples_per_run=3,
        )
        _checked(text, steps=6)
        res = reference_run(loads(text), 1, {"x": [1.0]})
        assert res.outputs == {"y": [n - 1.0], "z": [float(n)]}
