"""Stopping a simulation, saving its state and resuming it (``--stop-at``/``--resume``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vtc.compiler.errors import SimulationError, VtcError
from vtc.compiler.machine.code import LoopSpec, MachineProgram, MInstr, PortInfo
from vtc.compiler.machine.target import load_target
from vtc.compiler.sim.simulator import SimResult, Simulator
from vtc.compiler.sim.state import SimState, load_state, program_digest, save_state

SINGLE = load_target("zynq7020-single")


def nested() -> MachineProgram:
    """Nested loops, an input per outer iteration, writes in flight across back edges,
    and a slow write still in flight at halt."""
    nop = MInstr("nop")
    slots = [
        MInstr("in", 2, 0),  # 0 outer start
        nop,  # 1
        MInstr("add", 1, 1, 2),  # 2 inner start
        MInstr("mul", 4, 2, 0),  # 3 lands 4 cycles later
        nop,
        nop,
        MInstr("out", 1, 4),  # 6: reads the mul of this iteration (issued 3, lands 7)? no: old
        nop,  # 7 inner end
        MInstr("add", 3, 3, 0),  # 8
        nop,  # 9 outer end
        MInstr("div", 5, 1, 0),  # 10 lands at 24, after halt
        MInstr("out", 0, 1),  # 11
        MInstr("halt"),  # 12
    ]
    # slot 6 reads r4 before the first mul of the run lands: make r4 a state.
    return MachineProgram(
        SINGLE,
        tuple(slots),
        loops=(LoopSpec(0, 9, 3), LoopSpec(2, 7, 2)),
        data=((0, 2.0), (1, 0.0), (3, 0.0), (4, -1.0)),
        inputs=(PortInfo(0, "x", "f32"),),
        outputs=(PortInfo(0, "acc", "f32"), PortInfo(1, "m", "f32")),
    )


def same(a: SimResult, b: SimResult) -> None:
    assert a.outputs == b.outputs
    assert a.cycles == b.cycles
    assert a.runs == b.runs
    assert a.total_cycles == b.total_cycles
    assert a.instructions == b.instructions


INPUTS = {"x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]}


def test_resume_at_every_cycle_finishes_like_the_uninterrupted_run() -> None:
    mp = nested()
    full = Simulator(mp).run(3, INPUTS)
    assert full.state is None
    assert full.cycles == [full.cycles[0]] * 3
    for stop in range(full.total_cycles + 1):
        first = Simulator(mp).run(3, INPUTS, stop_at=stop)
        assert first.state is not None, stop
        assert first.total_cycles == stop
        # through the file format, into a fresh simulator
        state = SimState.from_json(first.state.to_json())
        assert state == first.state
        rest = Simulator(mp).run(3, INPUTS, resume=state)
        same(rest, full)


def test_resume_in_several_hops() -> None:
    mp = nested()
    full = Simulator(mp).run(3, INPUTS)
    sim = Simulator(mp)
    result = sim.run(3, INPUTS, stop_at=5)
    for stop in (6, 17, 17, 40, 41, 42, 90, 91, 120):
        assert result.state is not None
        result = Simulator(mp).run(3, INPUTS, stop_at=stop, resume=result.state)
    assert result.state is not None
    same(Simulator(mp).run(3, INPUTS, resume=result.state), full)


def test_stop_after_the_end_does_not_stop() -> None:
    mp = nested()
    full = Simulator(mp).run(2, INPUTS)
    late = Simulator(mp).run(2, INPUTS, stop_at=full.total_cycles + 1)
    assert late.state is None
    same(late, full)


def test_stop_mid_loop_keeps_loop_stack_and_writes_in_flight() -> None:
    mp = nested()
    result = Simulator(mp).run(1, INPUTS, stop_at=10)
    state = result.state
    assert state is not None
    assert state.loop_stack and state.pending
    assert [e[0] for e in state.loop_stack] == [0, 1]


def test_resume_on_another_program_is_refused() -> None:
    mp = nested()
    state = Simulator(mp).run(2, INPUTS, stop_at=10).state
    assert state is not None
    other = MachineProgram(
        SINGLE, mp.slots, mp.loops, ((0, 3.0), *mp.data[1:]), mp.inputs, mp.outputs
    )
    assert program_digest(other) != program_digest(mp)
    with pytest.raises(SimulationError) as exc:
        Simulator(other).run(2, INPUTS, resume=state)
    assert exc.value.message == (
        "the saved state belongs to another program (its image digest differs): "
        "resume it with the program it was saved from"
    )


def test_resume_with_other_inputs_is_refused() -> None:
    mp = nested()
    state = Simulator(mp).run(2, INPUTS, stop_at=40).state
    assert state is not None
    with pytest.raises(SimulationError, match=r"the inputs differ .* \(port 'x'\)"):
        Simulator(mp).run(2, {"x": [1.0, 2.5, 3.0, 4.0, 5.0, 6.0]}, resume=state)
    # values not yet consumed may differ
    Simulator(mp).run(2, {"x": [*INPUTS["x"][:3], 100.0, 200.0, 300.0]}, resume=state)


def test_state_file_round_trip_and_errors(tmp_path: Path) -> None:
    mp = nested()
    state = Simulator(mp).run(2, INPUTS, stop_at=33).state
    assert state is not None
    path = tmp_path / "s.json"
    save_state(path, state)
    assert load_state(path) == state
    data = json.loads(path.read_text())
    assert data["format"] == "vtc-sim-state" and data["cycle"] == 33
    assert all(len(w) == 8 for w in data["memory"])
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "vtc-sim-state", "version": 1}')
    with pytest.raises(VtcError) as exc:
        load_state(bad)
    assert exc.value.format() == f"{bad}: error: simulator state lacks the key 'image'"
    bad.write_text("{")
    with pytest.raises(VtcError, match="not a simulator state: invalid JSON at line 1"):
        load_state(bad)
    bad.write_text('{"format": "something"}')
    with pytest.raises(VtcError, match="not a simulator state"):
        load_state(bad)


def test_stop_before_the_saved_cycle_is_refused() -> None:
    mp = nested()
    state = Simulator(mp).run(2, INPUTS, stop_at=33).state
    with pytest.raises(SimulationError, match="cannot stop at cycle 20: the state is at cycle 33"):
        Simulator(mp).run(2, INPUTS, stop_at=20, resume=state)


def test_resume_with_more_steps_continues() -> None:
    mp = nested()
    full = Simulator(mp).run(3, INPUTS)
    state = Simulator(mp).run(2, INPUTS, stop_at=50).state
    same(Simulator(mp).run(3, INPUTS, resume=state), full)
    with pytest.raises(SimulationError, match="cannot run 0 steps"):
        Simulator(mp).run(0, INPUTS, resume=state)
