"""The edit API of the model: pure functions from a model to a new model."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mk import blk, doc, sub

from vtc.compiler.diagnostics import diagnostics
from vtc.compiler.driver import compile_model, random_inputs, reference_run
from vtc.compiler.errors import ModelError
from vtc.compiler.model import BlockSpec, Model, PortRef, dumps, elaborate, load, loads, save
from vtc.compiler.model import edit as E
from vtc.compiler.model.ports import model_ports

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples" / "models"


def P(ref: str) -> PortRef:
    block, port = ref.split(".")
    return PortRef(block, port)


def example(name: str) -> Model:
    return load(EXAMPLES / f"{name}.json")


def chain() -> Model:
    """x -> g -> s.in1, c -> s.in2, s -> y; a subsystem 'sub' with u -> k -> v."""
    return loads(
        doc(
            [
                blk("x", "inport", port=0),
                blk("g", "gain", k=2.0),
                blk("c", "constant", value=1.0),
                blk("s", "sum", signs="++"),
                blk("y", "outport", port=0),
                sub(
                    "sub",
                    "std.subsystem",
                    [blk("u", "inport", port=0), blk("k", "gain", k=3.0), blk("v", "outport")],
                    [("u.out", "k.in"), ("k.out", "v.in")],
                ),
                blk("z", "outport", port=1),
            ],
            [
                ("x.out", "g.in"),
                ("g.out", "s.in1"),
                ("c.out", "s.in2"),
                ("s.out", "y.in"),
                ("s.out", "sub.u"),
                ("sub.v", "z.in"),
            ],
        )
    )


def message(call: object) -> str:
    assert callable(call)
    with pytest.raises(ModelError) as info:
        call()
    return info.value.message


def wires(model: Model, where: str = "") -> set[tuple[str, str]]:
    return {(str(w.src), str(w.dst)) for w in E.diagram_at(model, where)[1]}


def ids(model: Model, where: str = "") -> list[str]:
    return [b.id for b in E.diagram_at(model, where)[0]]


def bits(values: list[float]) -> list[bytes]:
    return [struct.pack("<d", v) for v in values]


def same_outputs(a: Model, b: Model, steps: int = 40, seed: int = 7) -> None:
    """Bit-identical reference outputs on the same random inputs."""
    ins, _ = model_ports(elaborate(a), "single")
    given_inputs = random_inputs(ins, steps, seed)
    ra = reference_run(a, steps, given_inputs).outputs
    rb = reference_run(b, steps, given_inputs).outputs
    assert ra.keys() == rb.keys()
    for column in ra:
        assert bits(ra[column]) == bits(rb[column]), column


# --- diagrams and ids -------------------------------------------------------------------


def test_diagram_at_top_and_inside() -> None:
    m = chain()
    assert E.diagram_at(m, "") == (m.blocks, m.connections)
    assert ids(m, "sub") == ["u", "k", "v"]
    assert message(lambda: E.diagram_at(m, "nope")) == "there is no subsystem 'nope' in the model"
    assert message(lambda: E.diagram_at(m, "sub/k")) == (
        "'sub/k' (std.gain) holds no diagram: only a subsystem or a for-iterator has blocks inside"
    )


def test_unique_id_counts_from_one_per_diagram() -> None:
    m = chain()
    assert E.unique_id(m, "", "std.gain") == "gain1"
    m2, first = E.add_block(m, "", "std.gain", pos=(0, 0))
    assert first == "gain1"
    assert E.unique_id(m2, "", "gain") == "gain2"
    assert E.unique_id(m2, "sub", "gain") == "gain1"
    assert E.unique_id(m, "", "my-lib.3d thing") == "b3d_thing1"


# --- adding, removing, moving -----------------------------------------------------------


def test_add_block_defaults_and_snapshot_unchanged() -> None:
    m = chain()
    before = dumps(m)
    m2, bid = E.add_block(m, "", "std.gain", pos=(10, 20), params={"k": (1, 2)})
    assert dumps(m) == before  # the old model is the undo snapshot
    spec = m2.block(bid)
    assert spec is not None and spec.pos == (10.0, 20.0) and spec.blocks is None
    assert spec.params == {"k": [1, 2]}  # JSON data: the tuple became a list
    m3, sid = E.add_block(m2, "", "std.subsystem", pos=(0, 0))
    m3, fid = E.add_block(m3, "", "std.for_iterator", pos=(0, 0), id="loop")
    assert (sid, fid) == ("subsystem1", "loop")
    assert m3.block(sid).blocks == () and m3.block("loop").blocks == ()
    assert m3.block(sid).params == {}


def test_add_port_blocks_get_the_next_free_port_number() -> None:
    m, a = E.add_block(chain(), "", "std.inport", pos=(0, 0))
    m, b = E.add_block(m, "", "std.outport", pos=(0, 0))
    m, c = E.add_block(m, "", "std.inport", pos=(0, 0), params={"port": 7})
    assert m.block(a).params == {"port": 1}
    assert m.block(b).params == {"port": 2}
    assert m.block(c).params == {"port": 7}


def test_add_block_refusals() -> None:
    m = chain()
    assert message(lambda: E.add_block(m, "", "std.nothing", pos=(0, 0))) == (
        "unknown block type 'std.nothing' (no installed block library defines it)"
    )
    assert message(lambda: E.add_block(m, "", "std.gain", pos=(0, 0), id="g")) == (
        "the id 'g' is already used in the top-level diagram"
    )
    assert message(lambda: E.add_block(m, "sub", "std.gain", pos=(0, 0), id="k")) == (
        "the id 'k' is already used in the diagram of 'sub'"
    )
    assert message(lambda: E.add_block(m, "", "std.gain", pos=(0, 0), id="2x")) == (
        "'2x' is not a valid block id: use letters, digits and _, not starting with a digit"
    )
    assert message(
        lambda: E.add_block(m, "", "std.gain", pos=(0, 0), params={"k": float("nan")})
    ) == ("parameter 'k' of 'gain1': nan is not a JSON number: write it as the string \"nan\"")
    assert message(lambda: E.add_block(m, "", "std.gain", pos=(0, 0), params={"k": {1, 2}})) == (
        "parameter 'k' of 'gain1': a set is not JSON data (numbers, strings, true, false, "
        "null, lists and objects only)"
    )
    assert message(lambda: E.add_block(m, "", "std.gain", pos=(float("inf"), 0))) == (
        "the position of 'gain1' must be two finite numbers (x, y)"
    )
    assert message(lambda: E.add_block(m, "nope", "std.gain", pos=(0, 0))) == (
        "there is no subsystem 'nope' in the model"
    )


def test_remove_blocks_removes_their_wires() -> None:
    m = chain()
    m2 = E.remove_blocks(m, "", ["s", "c"])
    assert ids(m2) == ["x", "g", "y", "sub", "z"]
    assert wires(m2) == {("x.out", "g.in"), ("sub.v", "z.in")}
    assert len(m.blocks) == 7  # unchanged
    assert E.remove_blocks(m, "", []) is m
    assert message(lambda: E.remove_blocks(m, "", ["g", "nope"])) == (
        "there is no block 'nope' in the top-level diagram"
    )


def test_removing_a_subsystem_port_removes_the_wire_outside() -> None:
    m = E.remove_blocks(chain(), "sub", ["u"])
    assert wires(m, "sub") == {("k.out", "v.in")}
    assert ("s.out", "sub.u") not in wires(m)
    assert ("sub.v", "z.in") in wires(m)
    m = E.remove_blocks(m, "sub", ["v"])
    assert ("sub.v", "z.in") not in wires(m)


def test_move_blocks() -> None:
    m = E.move_blocks(chain(), "sub", {"k": (5, 6.5)})
    assert m.block("sub/k").pos == (5.0, 6.5)
    assert message(lambda: E.move_blocks(m, "", {"q": (0, 0)})) == (
        "there is no block 'q' in the top-level diagram"
    )
    assert message(lambda: E.move_blocks(m, "", {"g": (0, "1")})) == (
        "the position of 'g' must be two finite numbers (x, y)"
    )


# --- parameters and ids -----------------------------------------------------------------


def test_set_params_stores_invalid_values_for_the_user_to_fix() -> None:
    m = chain()
    m2 = E.set_params(m, "", "g", {"k": "lots"})
    assert m2.block("g").params == {"k": "lots"}
    assert m.block("g").params == {"k": 2.0}
    problems = diagnostics(m2)
    assert [(e.path, e.message) for e in problems] == [
        ("g", "parameter 'k': expected a number, got 'lots'")
    ]
    m3 = E.set_params(m2, "sub", "k", {"k": [[1, 0], [0, 1]]})
    assert m3.block("sub/k").params == {"k": [[1, 0], [0, 1]]}
    assert message(lambda: E.set_params(m, "", "g", {"k": float("inf")})) == (
        "parameter 'k' of 'g': inf is not a JSON number: write it as the string \"inf\""
    )
    assert message(lambda: E.set_params(m, "", "nope", {})) == (
        "there is no block 'nope' in the top-level diagram"
    )


def test_rename_block_updates_wires() -> None:
    m = E.rename_block(chain(), "", "s", "total")
    assert ("g.out", "total.in1") in wires(m) and ("total.out", "sub.u") in wires(m)
    assert "s" not in ids(m)
    assert E.rename_block(m, "", "g", "g") is m
    assert message(lambda: E.rename_block(m, "", "g", "c")) == (
        "the id 'c' is already used in the top-level diagram"
    )
    assert message(lambda: E.rename_block(m, "", "g", "a b")) == (
        "'a b' is not a valid block id: use letters, digits and _, not starting with a digit"
    )
    assert message(lambda: E.rename_block(m, "", "q", "r")) == (
        "there is no block 'q' in the top-level diagram"
    )


def test_renaming_a_subsystem_port_renames_the_wire_outside() -> None:
    m = E.rename_block(chain(), "sub", "u", "inp")
    m = E.rename_block(m, "sub", "v", "outp")
    assert wires(m, "sub") == {("inp.out", "k.in"), ("k.out", "outp.in")}
    assert {("s.out", "sub.inp"), ("sub.outp", "z.in")} <= wires(m)
    assert diagnostics(m) == []


def test_renaming_an_inport_to_k_inside_a_for_iterator() -> None:
    m = E.rename_block(example("newton_sqrt"), "newton", "k", "index")
    assert message(lambda: E.rename_block(m, "newton", "a", "k")) == (
        "an inport named 'k' inside a for-iterator is the iteration index, not an input: "
        "remove the wire a.out -> newton.a first"
    )


# --- wires ------------------------------------------------------------------------------


def open_sum() -> Model:
    return loads(
        doc(
            [
                blk("a", "constant", value=[1, 2, 3]),
                blk("b", "constant", value=[1, 2]),
                blk("s", "sum", signs="++"),
                blk("o", "outport"),
                blk("ext", "other.thing"),
            ],
            [("a.out", "s.in1"), ("s.out", "o.in")],
        )
    )


def test_connect_and_disconnect() -> None:
    m = E.remove_blocks(chain(), "", [])
    m = E.disconnect(m, "", P("s.in2"))
    assert ("c.out", "s.in2") not in wires(m)
    m2 = E.connect(m, "", P("g.out"), P("s.in2"))
    assert ("g.out", "s.in2") in wires(m2) and ("g.out", "s.in2") not in wires(m)
    assert diagnostics(m2) == []
    assert message(lambda: E.disconnect(m, "", P("s.in2"))) == (
        "no wire goes into input 'in2' of 's'"
    )


def test_connect_refusals() -> None:
    m = open_sum()
    cases = {
        ("q.out", "s.in2"): "there is no block 'q' in the top-level diagram",
        ("a.out", "q.in"): "there is no block 'q' in the top-level diagram",
        ("a.x", "s.in2"): "'a' (std.constant) has no output 'x' (outputs: out)",
        ("a.out", "s.in3"): "'s' (std.sum) has no input 'in3' (inputs: in1, in2)",
        ("s.in1", "o.in"): "'in1' of 's' is an input: a wire goes from an output to an input",
        ("a.out", "b.out"): "'out' of 'b' is an output: a wire goes from an output to an input",
        ("o.in", "s.in2"): "'in' of 'o' is an input: a wire goes from an output to an input",
        ("a.out", "s.in1"): "a.out is already connected to s.in1",
        ("b.out", "s.in1"): "input 'in1' of 's' is already driven by a.out: remove that wire first",
        ("b.out", "s.in2"): "the wire b.out -> s.in2 would give block 's' an error: "
        "input widths do not match (in1 is 3, in2 is 2)",
    }
    for (src, dst), text in cases.items():
        assert message(lambda src=src, dst=dst: E.connect(m, "", P(src), P(dst))) == text, src
    with pytest.raises(ModelError) as info:
        E.connect(m, "", P("b.out"), P("s.in2"))
    assert info.value.path == "s" and info.value.block_type == "std.sum"
    # without the width check the wire is made; diagnostics then report it
    m2 = E.connect(m, "", P("b.out"), P("s.in2"), check_widths=False)
    assert [e.message for e in diagnostics(m2) if e.path == "s"] == [
        "input widths do not match (in1 is 3, in2 is 2)"
    ]


def test_width_check_only_refuses_what_the_new_wire_brings() -> None:
    # widths not both known yet: nothing refused
    m = E.disconnect(open_sum(), "", P("s.in1"))
    m = E.connect(m, "", P("b.out"), P("s.in2"))
    # the mismatch exists already: another wire elsewhere is still allowed
    bad = E.connect(m, "", P("a.out"), P("s.in1"), check_widths=False)
    bad, g = E.add_block(bad, "", "std.gain", pos=(0, 0))
    E.connect(bad, "", P("a.out"), P(f"{g}.in"))
    # a scalar expands: allowed
    m, c = E.add_block(m, "", "std.constant", pos=(0, 0))
    E.connect(m, "", P(f"{c}.out"), P("s.in1"))


def test_connect_a_block_to_itself_is_left_to_the_compiler() -> None:
    m = E.disconnect(open_sum(), "", P("s.in1"))
    m, c = E.add_block(m, "", "std.constant", pos=(0, 0))
    m = E.connect(m, "", P(f"{c}.out"), P("s.in1"))
    m = E.connect(m, "", P("s.out"), P("s.in2"))  # direct feedthrough: an algebraic loop
    m = E.remove_blocks(m, "", ["ext", "a", "b"])
    problems = diagnostics(m)
    assert [(e.path, e.message.split(":")[0]) for e in problems] == [("s", "algebraic loop")]
    # also with vectors (the loop, not its width, is the problem)
    m2 = E.connect(open_sum(), "", P("s.out"), P("s.in2"))
    assert ("s.out", "s.in2") in wires(m2)


def test_connect_to_unknown_types_and_invalid_parameters_allows_any_port() -> None:
    m = open_sum()
    m = E.connect(m, "", P("ext.anything"), P("s.in2"))
    m = E.connect(m, "", P("a.out"), P("ext.whatever"))
    m = E.set_params(m, "", "s", {"signs": "?"})
    m = E.connect(m, "", P("b.out"), P("s.in7"))
    assert ("b.out", "s.in7") in wires(m)


def test_connect_to_subsystem_and_for_iterator_ports() -> None:
    m = chain()
    m = E.disconnect(m, "", P("sub.u"))
    assert message(lambda: E.connect(m, "", P("g.out"), P("sub.x"))) == (
        "'sub' (std.subsystem) has no input 'x' (inputs: u)"
    )
    assert message(lambda: E.connect(m, "", P("sub.u"), P("y.in"))) == (
        "'u' of 'sub' is an input: a wire goes from an output to an input"
    )
    assert ("g.out", "sub.u") in wires(E.connect(m, "", P("g.out"), P("sub.u")))
    n = example("newton_sqrt")
    assert E.block_ports(n.block("newton")) == (("a",), ("x",))
    n = E.disconnect(n, "", P("newton.a"))
    assert message(lambda: E.connect(n, "", P("a.out"), P("newton.k"))) == (
        "'newton' (std.for_iterator) has no input 'k' (inputs: a)"
    )


def test_edits_inside_subsystems() -> None:
    m = example("foc_clarke_park")
    m, g = E.add_block(m, "park", "std.gain", pos=(500, 500), params={"k": 2.0})
    m = E.disconnect(m, "park", P("q.in"))
    m = E.connect(m, "park", P("q_sum.out"), P(f"{g}.in"))
    m = E.connect(m, "park", P(f"{g}.out"), P("q.in"))
    assert diagnostics(m) == []
    assert m.block(f"park/{g}") is not None and m.block(g) is None
    # a for-iterator's body
    n, h = E.add_block(example("newton_sqrt"), "newton", "std.gain", pos=(0, 0))
    n = E.disconnect(n, "newton", P("x.in"))
    n = E.connect(n, "newton", P("step.out"), P(f"{h}.in"))
    n = E.connect(n, "newton", P(f"{h}.out"), P("x.in"))
    assert diagnostics(n) == []
    # two levels down
    m, inner = E.create_subsystem(m, "park", ["a_cos", "b_sin"])
    m = E.move_blocks(m, f"park/{inner}", {"a_cos": (1, 2)})
    assert m.block(f"park/{inner}/a_cos").pos == (1.0, 2.0)
    assert diagnostics(m) == []


# --- copy, paste, duplicate -------------------------------------------------------------


def test_copy_takes_only_the_wires_among_the_blocks() -> None:
    frag = E.copy_blocks(chain(), "", ["g", "s", "c"])
    assert [b.id for b in frag.blocks] == ["g", "c", "s"]
    assert {(str(w.src), str(w.dst)) for w in frag.connections} == {
        ("g.out", "s.in1"),
        ("c.out", "s.in2"),
    }
    assert message(lambda: E.copy_blocks(chain(), "", ["nope"])) == (
        "there is no block 'nope' in the top-level diagram"
    )


def test_paste_renames_clashing_ids_and_offsets() -> None:
    m = E.move_blocks(chain(), "", {"g": (100, 50)})
    frag = E.copy_blocks(m, "", ["g", "s", "c"])
    m2, new = E.paste(m, "", frag, offset=(30, 40))
    assert new == ["g1", "c1", "s1"]
    assert m2.block("g1").pos == (130.0, 90.0)
    assert m2.block("c1").pos is None
    assert {("g1.out", "s1.in1"), ("c1.out", "s1.in2")} <= wires(m2)
    assert wires(m) <= wires(m2) and len(wires(m2)) == len(wires(m)) + 2
    _, again = E.paste(m2, "", frag)
    assert again == ["g2", "c2", "s2"]
    # into a subsystem, where nothing clashes
    m4, inside = E.paste(m, "sub", frag)
    assert inside == ["g", "c", "s"] and ("g.out", "s.in1") in wires(m4, "sub")


def test_paste_renumbers_ports_and_keeps_ids_with_digits_tidy() -> None:
    m = chain()
    m, pasted = E.duplicate(m, "", ["x", "y"])
    assert pasted == ["x1", "y1"]
    assert m.block("x1").params == {"port": 1}
    assert m.block("y1").params == {"port": 2}
    m, again = E.duplicate(m, "", ["x1"])
    assert again == ["x2"] and m.block("x2").params == {"port": 2}


def test_duplicate_a_subsystem_keeps_its_contents() -> None:
    m, new = E.duplicate(chain(), "", ["sub"])
    assert new == ["sub1"] and ids(m, "sub1") == ["u", "k", "v"]
    assert wires(m, "sub1") == wires(m, "sub")


def test_fragment_through_the_clipboard_text() -> None:
    frag = E.copy_blocks(chain(), "", ["g", "s", "c", "sub"])
    back = E.Fragment.from_text(frag.to_text())
    m, new = E.paste(chain(), "", back)
    assert sorted(new) == ["c1", "g1", "s1", "sub1"]
    assert {("g1.out", "s1.in1"), ("c1.out", "s1.in2")} <= wires(m)
    assert message(lambda: E.Fragment.from_text("hello")).startswith(
        "the clipboard holds no vtc blocks: invalid JSON"
    )


# --- create subsystem -------------------------------------------------------------------


def test_create_subsystem_pid_motor_keeps_the_meaning() -> None:
    m = example("pid_motor")
    m2, sid = E.create_subsystem(m, "", ["pid", "motor"])
    assert sid == "subsystem1"
    spec = m2.block(sid)
    assert spec is not None and spec.type == "std.subsystem"
    assert spec.pos == (390.0, 80.0)  # the centre of pid (320, 80) and motor (460, 80)
    # error.out feeds pid: one inport; pid.out (to voltage) and motor.out (to
    # error and speed) leave: two outports, motor's consumers share one
    assert sorted(b.id for b in spec.blocks or ()) == ["in1", "motor", "out1", "out2", "pid"]
    assert wires(m2, sid) == {
        ("in1.out", "pid.in"),
        ("pid.out", "motor.in"),
        ("pid.out", "out1.in"),
        ("motor.out", "out2.in"),
    }
    assert wires(m2) == {
        ("setpoint.out", "error.in1"),
        ("error.out", f"{sid}.in1"),
        (f"{sid}.out1", "voltage.in"),
        (f"{sid}.out2", "error.in2"),
        (f"{sid}.out2", "speed.in"),
    }
    assert diagnostics(m2) == []
    same_outputs(m, m2)
    compile_model(m2)


def test_create_subsystem_kalman_keeps_the_meaning() -> None:
    m = example("kalman_1d")
    groups = [
        ["P_pred", "S", "gain", "P_upd", "P_prev"],
        ["innovation", "correction", "x_est"],
        ["Q", "R"],
    ]
    m2 = m
    for k, group in enumerate(groups):
        m2, sid = E.create_subsystem(m2, "", group, id=f"part{k}")
        assert sid == f"part{k}"
        assert diagnostics(m2) == []
    same_outputs(m, m2, steps=60)
    compile_model(m2)
    # one outside source feeding several chosen inputs gets one inport
    m3, sid = E.create_subsystem(m, "", ["S", "gain", "P_upd"])
    feeds = [w for w in E.diagram_at(m3, "")[1] if w.dst.block == sid]
    assert sorted(str(w.src) for w in feeds) == ["P_pred.out", "R.out"]
    same_outputs(m, m3)


def test_create_subsystem_nested_and_with_vectors() -> None:
    m = example("foc_clarke_park")
    # inside a subsystem, a vector signal: the inport inside takes its width
    m2, sid = E.create_subsystem(m, "clarke", ["transform", "ab"])
    inport = m2.block(f"clarke/{sid}/in1")
    assert inport is not None and inport.params == {"port": 0, "width": 3}
    assert diagnostics(m2) == []
    same_outputs(m, m2)
    # subsystems grouped into a subsystem: their outputs are followed inside
    m3, _ = E.create_subsystem(m2, "", ["clarke", "park"])
    assert diagnostics(m3) == []
    same_outputs(m, m3)
    compile_model(m3)
    # a vector that enters through a subsystem's inport: followed outside
    v = E.set_params(chain(), "", "c", {"value": [1, 2, 3]})
    v2, inner = E.create_subsystem(v, "sub", ["k"])
    assert v2.block(f"sub/{inner}/in1").params == {"port": 0, "width": 3}
    assert diagnostics(v2) == []
    same_outputs(v, v2)
    # a for-iterator's body, the index inport k feeding the group from outside
    n = example("newton_sqrt")
    n2, _ = E.create_subsystem(n, "newton", ["start", "step", "x_prev"])
    assert diagnostics(n2) == []
    same_outputs(n, n2)


def test_create_subsystem_refusals() -> None:
    m = example("pid_motor")
    assert message(lambda: E.create_subsystem(m, "", [])) == (
        "choose the blocks to put into the subsystem"
    )
    assert message(lambda: E.create_subsystem(m, "", ["pid", "speed"])) == (
        "'speed' is a port of the top-level diagram (std.outport): it cannot move into a subsystem"
    )
    assert message(lambda: E.create_subsystem(m, "", ["pid", "nope"])) == (
        "there is no block 'nope' in the top-level diagram"
    )
    assert message(lambda: E.create_subsystem(m, "", ["pid"], id="error")) == (
        "the id 'error' is already used in the top-level diagram"
    )
    # the new id may reuse a chosen block's id (that block moves inside)
    m2, sid = E.create_subsystem(m, "", ["pid"], id="pid")
    assert sid == "pid" and m2.block("pid/pid") is not None
    same_outputs(m, m2)


# --- model settings ---------------------------------------------------------------------


def test_set_model_field() -> None:
    m = E.set_model_field(
        chain(), name="demo", target="", samples_per_run=4, sample_time=1e-3, description="d"
    )
    assert (m.name, m.target, m.samples_per_run, m.sample_time, m.description) == (
        "demo",
        None,
        4,
        0.001,
        "d",
    )
    assert E.set_model_field(m, sample_time=None, target="zynq7020-double").target == (
        "zynq7020-double"
    )
    assert message(lambda: E.set_model_field(m, colour="red")) == (
        "a model has no setting 'colour' (settings: name, target, samples_per_run, "
        "sample_time, description)"
    )
    assert message(lambda: E.set_model_field(m, samples_per_run=0)) == (
        "samples per run must be a whole number from 1 to 65535, not 0"
    )
    assert message(lambda: E.set_model_field(m, sample_time=-1)) == (
        "the sample time must be a positive number of seconds, not -1"
    )
    assert message(lambda: E.set_model_field(m, name=3)) == "the model's name must be text"
    assert message(lambda: E.set_model_field(m, target=3)) == (
        "the target must be a target name or a file name"
    )


# --- diagnostics ------------------------------------------------------------------------


def test_diagnostics_of_every_example_is_empty() -> None:
    for path in sorted(EXAMPLES.glob("*.json")):
        assert diagnostics(load(path), str(path)) == [], path.name


def test_diagnostics_collects_every_problem_with_its_path() -> None:
    m = chain()
    m = E.disconnect(m, "", P("g.in"))
    m = E.set_params(m, "sub", "k", {"k": "x"})
    m, _ = E.add_block(m, "", "std.inport", pos=(0, 0), params={"port": 0})
    problems = diagnostics(m, "m.json")
    assert sorted((e.path, e.message) for e in problems) == [
        ("g", "input 'in' is not connected"),
        ("inport1", "port number 0 is also used by 'x'"),
        ("sub", "the outport 'v' inside is not connected"),  # k is invalid, so v has no source
        ("sub/k", "parameter 'k': expected a number, got 'x'"),
    ]
    assert all(e.file == "m.json" for e in problems)
    bad_target = E.set_model_field(chain(), target="no-such-target")
    [problem] = diagnostics(bad_target)
    assert problem.message.startswith("target 'no-such-target': ")


# --- files ------------------------------------------------------------------------------


def test_save_and_load_after_edits(tmp_path: Path) -> None:
    m = example("foc_clarke_park")
    m, sid = E.create_subsystem(m, "", ["clarke", "park"])
    m, copied = E.duplicate(m, sid, ["clarke"])
    assert copied == ["clarke1"]
    m = E.rename_block(m, sid, "park", "park_transform")
    m = E.set_model_field(m, description="edited")
    m = E.move_blocks(m, "", {sid: (1.5, 2.25)})
    save(m, tmp_path / "m.json")
    back = load(tmp_path / "m.json")
    text = dumps(m)
    assert dumps(back) == text and dumps(loads(text)) == text
    assert back.block(f"{sid}/park_transform") is not None
    assert back.block(sid).pos == (1.5, 2.25)

    def found(model: Model) -> list[tuple[str | None, str]]:
        return [(e.path, e.message) for e in diagnostics(model)]

    # the copy of clarke is fed by nothing: the only problems are inside it
    problems = found(back)
    assert problems == found(m)
    assert (f"{sid}/clarke1", "input 'ia' is not connected") in problems
    assert all(str(path).startswith(f"{sid}/clarke1") for path, _ in problems)


# --- random edit sequences --------------------------------------------------------------

_SEED = doc(
    [
        blk("x", "inport", port=0),
        blk("g", "gain", k=2.0),
        blk("d", "unit_delay", initial=0.0),
        blk("s", "sum", signs="+-"),
        blk("y", "outport", port=0),
        blk("ext", "other.thing", colour="blue"),
        sub(
            "loop",
            "std.for_iterator",
            [blk("a", "inport", port=0), blk("k", "inport", port=1), blk("b", "outport")],
            [("a.out", "b.in")],
            n=3,
        ),
    ],
    [("x.out", "g.in"), ("g.out", "s.in1"), ("d.out", "s.in2"), ("s.out", "y.in")],
)
_TYPES = [
    "std.gain",
    "std.sum",
    "std.unit_delay",
    "std.constant",
    "std.inport",
    "std.outport",
    "std.subsystem",
]
_OPS = [
    "add",
    "remove",
    "move",
    "params",
    "rename",
    "connect",
    "disconnect",
    "duplicate",
    "paste",
    "group",
    "field",
]


def _containers(model: Model) -> list[str]:
    """The path of every diagram of the model ("" first)."""
    found = [""]

    def walk(blocks: tuple[BlockSpec, ...], prefix: str) -> None:
        for b in blocks:
            if b.blocks is not None:
                found.append(prefix + b.id)
                walk(b.blocks, prefix + b.id + "/")

    walk(model.blocks, "")
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_edit_sequences_keep_the_model_loadable(data: st.DataObject) -> None:
    model = loads(_SEED)
    clipboard: E.Fragment | None = None
    for _ in range(data.draw(st.integers(1, 10), label="edits")):
        where = data.draw(st.sampled_from(_containers(model)), label="where")
        blocks, _ = E.diagram_at(model, where)
        names = [b.id for b in blocks]
        some = st.lists(st.sampled_from(names), max_size=3, unique=True) if names else st.just([])
        one = st.sampled_from(names) if names else st.just("nothing")
        op = data.draw(st.sampled_from(_OPS), label="op")
        old, before = model, dumps(model)
        try:
            if op == "add":
                model, _ = E.add_block(
                    model, where, data.draw(st.sampled_from(_TYPES)), pos=(10, 20)
                )
            elif op == "remove":
                model = E.remove_blocks(model, where, data.draw(some))
            elif op == "move":
                model = E.move_blocks(
                    model, where, {data.draw(one): (data.draw(st.integers(-99, 99)), 0.5)}
                )
            elif op == "params":
                value = data.draw(st.one_of(st.floats(-9, 9), st.text(max_size=3), st.none()))
                model = E.set_params(model, where, data.draw(one), {"k": value})
            elif op == "rename":
                new = data.draw(st.sampled_from(["k", "q", "g", "in1", "x_1", "9"]))
                model = E.rename_block(model, where, data.draw(one), new)
            elif op == "connect":
                driven = {w.dst for w in E.diagram_at(model, where)[1]}
                outs: list[PortRef] = []
                ins: list[PortRef] = []
                for b in blocks:
                    known = E.block_ports(b)
                    names = known or (("in",), ("out",))
                    outs += [PortRef(b.id, q) for q in names[1]]
                    ins += [PortRef(b.id, q) for q in names[0] if PortRef(b.id, q) not in driven]
                model = E.connect(
                    model,
                    where,
                    data.draw(st.sampled_from(outs or [PortRef("none", "out")])),
                    data.draw(st.sampled_from(ins or [PortRef("none", "in")])),
                )
            elif op == "disconnect":
                wired = [w.dst for w in E.diagram_at(model, where)[1]]
                model = E.disconnect(
                    model, where, data.draw(st.sampled_from(wired or [PortRef("g", "in")]))
                )
            elif op == "duplicate":
                model, _ = E.duplicate(model, where, data.draw(some))
            elif op == "paste":
                if clipboard is None:
                    clipboard = E.copy_blocks(model, where, data.draw(some))
                else:
                    model, _ = E.paste(model, where, clipboard)
            elif op == "group":
                inner = [b.id for b in blocks if b.type not in ("std.inport", "std.outport")]
                chosen = st.lists(st.sampled_from(inner or ["g"]), min_size=1, max_size=3)
                model, _ = E.create_subsystem(model, where, data.draw(chosen))
            else:
                model = E.set_model_field(
                    model, samples_per_run=data.draw(st.integers(0, 3)), description="r"
                )
        except ModelError as exc:
            assert exc.message and "\n" not in exc.message
        assert dumps(old) == before  # the undo snapshot never changes
        text = dumps(model)
        assert dumps(loads(text)) == text
        diagnostics(model)  # never raises
