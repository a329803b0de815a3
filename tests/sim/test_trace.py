"""The text trace and the VCD waveform of a simulation."""

from __future__ import annotations

import io
import re
from pathlib import Path

from vtc.compiler.machine.code import LoopSpec, MachineProgram, MInstr, PortInfo
from vtc.compiler.machine.target import load_target, target_from_dict
from vtc.compiler.sim.simulator import Simulator
from vtc.compiler.sim.trace import TraceWriter, VcdWriter, vcd_timescale

SINGLE = load_target("zynq7020-single")


def worked_example() -> MachineProgram:
    nop = MInstr("nop")
    return MachineProgram(
        SINGLE,
        (
            MInstr("in", 1, 0),
            nop,
            MInstr("mul", 2, 1, 0),
            nop,
            nop,
            nop,
            MInstr("add", 3, 2, 1),
            *([nop] * 5),
            MInstr("out", 0, 3),
            MInstr("halt"),
        ),
        data=((0, 2.0),),
        inputs=(PortInfo(0, "x", "f32"),),
        outputs=(PortInfo(0, "y", "f32"),),
    )


def test_trace_lines() -> None:
    out = io.StringIO()
    Simulator(worked_example()).run(2, {"x": [1.5, 0.25]}, observer=TraceWriter(out))
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["cycle", "run", "addr", "instruction", "reads", "lands"]
    body = [" ".join(line.split()) for line in lines[1:]]
    assert body[:3] == [
        "0 1 0 in r1, 0 x=1.5",
        "1 1 1 nop",
        "2 1 2 mul r2, r1, r0 r1=1.5 r0=2.0 r1=1.5",
    ]
    assert body[6] == "6 1 6 add r3, r2, r1 r2=3.0 r1=1.5 r2=3.0"
    assert body[12] == "12 1 12 out 0, r3 r3=4.5 r3=4.5"
    assert body[13] == "13 1 13 halt"
    assert body[14] == "14 1 - (end of run, 14 cycles) y=4.5"
    assert body[15] == "14 2 0 in r1, 0 x=0.25"
    assert len(body) == 30


def test_trace_shows_cycles_after_halt_and_unknown_values() -> None:
    mp = MachineProgram(
        SINGLE,
        (MInstr("div", 1, 0, 0), MInstr("halt")),
        data=((0, 3.0),),
    )
    out = io.StringIO()
    Simulator(mp).run(1, observer=TraceWriter(out))
    body = [" ".join(line.split()) for line in out.getvalue().splitlines()[1:]]
    assert body[0] == "0 1 0 div r1, r0, r0 r0=3.0"
    assert body[2] == "2 1 -"
    assert body[-1] == "14 1 - (end of run, 14 cycles) r1=1.0"
    assert len(body) == 15


def parse_vcd(text: str) -> tuple[dict[str, tuple[str, int, str]], list[tuple[int, list[str]]]]:
    """Check the structure of a VCD file; return its variables and its time steps."""
    head, _, body = text.partition("$enddefinitions $end")
    assert body, "no $enddefinitions"
    variables: dict[str, tuple[str, int, str]] = {}
    for m in re.finditer(r"\$var (\w+) (\d+) (\S+) (\w+) \$end", head):
        variables[m.group(3)] = (m.group(1), int(m.group(2)), m.group(4))
    assert re.search(r"\$timescale \d+ [munpf]?s \$end", head)
    assert head.count("$scope") == head.count("$upscope")
    steps: list[tuple[int, list[str]]] = []
    for line in body.split("\n"):
        if not line:
            continue
        if line.startswith("#"):
            time = int(line[1:])
            assert not steps or time > steps[-1][0], "time must increase"
            steps.append((time, []))
            continue
        assert steps, "value change before the first time"
        if line[0] in "br":
            value, ident = line[1:].split(" ")
            kind, width, _ = variables[ident]
            if line[0] == "b":
                assert kind in ("wire", "integer") and (value == "x" or len(value) <= width)
                assert set(value) <= set("01x")
            else:
                assert kind == "real"
                float(value)
        else:
            assert line[0] in "01xz" and variables[line[1:]][1] == 1
        steps[-1][1].append(line)
    return variables, steps


def test_vcd_is_well_formed(tmp_path: Path) -> None:
    mp = MachineProgram(
        SINGLE,
        (MInstr("add", 1, 1, 0), *[MInstr("nop")] * 5, MInstr("out", 0, 1), MInstr("halt")),
        loops=(LoopSpec(0, 5, 3),),
        data=((0, 1.0), (1, 0.0)),
        outputs=(PortInfo(0, "y", "f32"),),
    )
    path = tmp_path / "w.vcd"
    Simulator(mp).run(2, observer=VcdWriter(path))
    variables, steps = parse_vcd(path.read_text())
    names = {v[2]: k for k, v in variables.items()}
    assert set(names) == {"run", "pc", "opcode", "wp_we", "wp_addr", "wp_value", "out_y"}
    assert "$timescale 10 ns $end" in path.read_text()
    times = [t for t, _ in steps]
    assert times[0] == 0 and times[-1] == 40
    changes = dict(steps)
    y = names["out_y"]
    assert f"r3.0 {y}" in changes[20] and f"r6.0 {y}" in changes[40]
    assert f"b10 {names['run']}" in changes[20]
    assert f"1{names['wp_we']}" in changes[6] and f"r1.0 {names['wp_value']}" in changes[6]


def test_vcd_timescale_follows_the_clock(tmp_path: Path) -> None:
    data = SINGLE.to_dict()
    data["clock_mhz"] = 125.0
    target = target_from_dict(data)
    mp = MachineProgram(target, (MInstr("nop"), MInstr("halt")))
    path = tmp_path / "w.vcd"
    Simulator(mp).run(1, observer=VcdWriter(path))
    text = path.read_text()
    assert "$timescale 1 ns $end" in text
    _, steps = parse_vcd(text)
    assert [t for t, _ in steps] == [0, 8, 16]
    assert vcd_timescale(100.0) == ("10 ns", 1)
    assert vcd_timescale(200.0) == ("1 ns", 5)
