"""The disassembler: image back to assembly text (``vtc disasm``)."""

from __future__ import annotations

import dataclasses
import doctest
import importlib.util
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vtc.app import cli
from vtc.compiler.machine import disasm as disasm_module
from vtc.compiler.machine.code import LoopSpec, MachineProgram, MInstr, PortInfo
from vtc.compiler.machine.disasm import disassemble, timing_notes
from vtc.compiler.machine.image import read_image, validate_loops, write_image
from vtc.compiler.machine.isa import ISA, Form, lookup
from vtc.compiler.machine.semantics import as_precision
from vtc.compiler.machine.target import Target, load_target

SINGLE = load_target("zynq7020-single")
DOUBLE = load_target("zynq7020-double")
EXAMPLES = Path(__file__).parents[2] / "examples" / "asm"


def test_doctests() -> None:
    assert doctest.testmod(disasm_module).failed == 0


def parse_back(text: str, target: Target | None = None) -> MachineProgram:
    """Read disassembler output back into a machine program (a test oracle, not the assembler)."""
    tgt = target
    slots: list[MInstr] = []
    loops: list[LoopSpec] = []
    open_loops: list[tuple[int, int]] = []
    data: list[tuple[int, float]] = []
    inputs: list[PortInfo] = []
    outputs: list[PortInfo] = []
    for raw in text.splitlines():
        line = raw.split(";", 1)[0].strip()
        if not line:
            continue
        words = line.replace(",", " ").split()
        if words[0] == ".scheduled":
            continue
        if words[0] == ".target":
            tgt = tgt or load_target(words[1])
        elif words[0] in (".input", ".output"):
            port = PortInfo(int(words[2]), words[1], words[3])
            (inputs if words[0] == ".input" else outputs).append(port)
        elif words[0] in (".const", ".state"):
            assert tgt is not None and words[2] == "="
            data.append((int(words[1][1:]), as_precision(float(words[3]), tgt.precision)))
        elif words[0] == "loop":
            open_loops.append((len(slots), int(words[1])))
        elif words[0] == "endloop":
            start, count = open_loops.pop()
            loops.append(LoopSpec(start, len(slots) - 1, count))
        else:
            op = lookup(words[0])
            assert op is not None, line
            fields: list[int] = []
            flags: list[bool] = []
            for w in words[1:]:
                fields.append(int(w[1:]) if w[0] in "r@" else int(w))
                flags.append(w[0] == "@")
            form = op.form
            if form in (Form.DA, Form.LDS, Form.STS, Form.IN, Form.OUT):
                fields.append(0)
                flags.append(False)
            while len(fields) < 3:
                fields.append(0)
                flags.append(False)
            slots.append(MInstr(op.mnemonic, *fields, *flags))  # type: ignore[arg-type]
    assert tgt is not None and not open_loops
    return MachineProgram(
        tgt,
        tuple(slots),
        tuple(sorted(loops, key=lambda lp: (lp.start, -lp.end))),
        tuple(sorted(data)),
        tuple(inputs),
        tuple(outputs),
    )


def test_text_of_a_small_program() -> None:
    mp = MachineProgram(
        SINGLE,
        (
            MInstr("in", 2, 0),
            MInstr("nop"),
            MInstr("add", 1, 1, 2),
            *[MInstr("nop")] * 5,
            MInstr("out", 0, 1),
            MInstr("halt"),
        ),
        loops=(LoopSpec(0, 7, 4), LoopSpec(2, 7 - 1, 1)),
        data=((0, 0.1), (1, -0.0)),
        inputs=(PortInfo(0, "x", "i16"),),
        outputs=(PortInfo(0, "y", "f32"),),
        symbols=(("literal", "0.1", 0), ("state", "acc", 1)),
    )
    mp = dataclasses.replace(mp, data=((0, as_precision(0.1, "single")), (1, -0.0)))
    assert disassemble(mp) == (
        "; vtc disasm: 10 slots, 2 loops, 2 initialised cells\n"
        ".target zynq7020-single\n"
        ".scheduled\n"
        ".input x 0 i16\n"
        ".output y 0 f32\n"
        ".const r0 = 0.1                      ; literal 0.1\n"
        ".state r1 = -0.0                     ; acc\n"
        "        loop 4\n"
        "            in    r2, 0              ; 0\n"
        "            nop                      ; 1\n"
        "            loop 1\n"
        "                add   r1, r1, r2     ; 2\n"
        "                nop                  ; 3\n"
        "                nop                  ; 4\n"
        "                nop                  ; 5\n"
        "                nop                  ; 6\n"
        "            endloop\n"
        "            nop                      ; 7\n"
        "        endloop\n"
        "        out   0, r1                  ; 8\n"
        "        halt                         ; 9\n"
    )
    assert parse_back(disassemble(mp)) == dataclasses.replace(mp, symbols=())


def test_custom_target_is_flagged() -> None:
    data = SINGLE.to_dict()
    data["latency"]["mul"] = 5
    from vtc.compiler.machine.target import target_from_dict

    mp = MachineProgram(target_from_dict(data), (MInstr("halt"),))
    assert (
        "; target 'zynq7020-single' is not a shipped target (or differs from it): "
        "pass its file with --target\n" in disassemble(mp)
    )
    assert "is not a shipped target" not in disassemble(MachineProgram(DOUBLE, (MInstr("halt"),)))


@st.composite
def programs(draw: st.DrawFn) -> MachineProgram:
    target = draw(st.sampled_from([SINGLE, DOUBLE]))
    ops = [op for op in ISA if op.mnemonic != "halt"]
    slots: list[MInstr] = []
    for _ in range(draw(st.integers(0, 30))):
        op = draw(st.sampled_from(ops))
        cell = st.integers(0, target.data_depth - 1)
        port = st.integers(0, 15)
        if op.form is Form.IN:
            slots.append(MInstr(op.mnemonic, draw(cell), draw(port)))
        elif op.form is Form.OUT:
            slots.append(MInstr(op.mnemonic, draw(port), draw(cell)))
        elif op.form is Form.LDS:
            slots.append(MInstr(op.mnemonic, draw(cell), draw(st.integers(0, 255)), a_shared=True))
        elif op.form is Form.STS:
            slots.append(MInstr(op.mnemonic, draw(st.integers(0, 255)), draw(cell), d_shared=True))
        elif op.form is Form.DA:
            slots.append(MInstr(op.mnemonic, draw(cell), draw(cell)))
        elif op.form is Form.NONE:
            slots.append(MInstr(op.mnemonic))
        else:
            slots.append(MInstr(op.mnemonic, draw(cell), draw(cell), draw(cell)))
    slots.append(MInstr("halt"))
    loops: list[LoopSpec] = []
    for _ in range(draw(st.integers(0, 5)) if len(slots) > 1 else 0):
        start = draw(st.integers(0, len(slots) - 2))
        end = draw(st.integers(start, len(slots) - 2))
        cand = sorted(
            [*loops, LoopSpec(start, end, draw(st.integers(1, 9)))], key=lambda x: (x.start, -x.end)
        )
        if validate_loops(cand, slots, target) is None:
            loops = cand
    value = st.floats(allow_nan=False, width=32 if target.precision == "single" else 64)
    data = draw(st.dictionaries(st.integers(0, 1023), value))
    fmt = st.sampled_from(["f32", "f64", "u8", "q4.12"])
    ins = draw(st.dictionaries(st.integers(0, 15), fmt, max_size=3))
    outs = draw(st.dictionaries(st.integers(0, 15), fmt, max_size=3))
    return MachineProgram(
        target,
        tuple(slots),
        tuple(loops),
        tuple(sorted(data.items())),
        tuple(PortInfo(n, f"in_{n}", f) for n, f in sorted(ins.items())),
        tuple(PortInfo(n, f"out_{n}", f) for n, f in sorted(outs.items())),
    )


@settings(max_examples=80, deadline=None)
@given(programs())
def test_disassembly_round_trip(mp: MachineProgram) -> None:
    text = disassemble(mp)
    back = parse_back(text)
    assert back == mp
    assert [a for a, _ in back.data] == [a for a, _ in mp.data]
    assert all(repr(x) == repr(y) for (_, x), (_, y) in zip(back.data, mp.data, strict=True))


def test_states_and_constants() -> None:
    mp = MachineProgram(
        SINGLE,
        (MInstr("mov", 1, 0), MInstr("halt")),
        data=((0, 1.0), (1, 2.0), (2, float("inf"))),
    )
    text = disassemble(mp)
    assert ".const r0 = 1.0\n.state r1 = 2.0\n.const r2 = inf\n" in text


def test_timing_notes_for_exposed_pipeline_reads() -> None:
    mp = MachineProgram(
        SINGLE,
        (
            MInstr("add", 2, 0, 1),
            MInstr("mov", 3, 2),
            MInstr("out", 0, 3),
            MInstr("nop"),
            MInstr("nop"),
            MInstr("halt"),
        ),
        data=((0, 1.0), (1, 2.0), (2, 5.0)),
        outputs=(PortInfo(0, "y", "f32"),),
    )
    assert timing_notes(mp) == {1: ["reads the old r2 (the write at 0 is still in flight)"]}
    text = disassemble(mp)
    assert "; 1 slot reads a cell whose new value is still in flight (marked '!')" in text
    assert "        mov   r3, r2                 ; 1  ! reads the old r2 (the write at 0 is" in text


def test_timing_notes_for_writes_landing_out_of_order_and_across_back_edges() -> None:
    slow_then_fast = MachineProgram(
        SINGLE,
        (MInstr("div", 1, 0, 0), MInstr("mov", 1, 0), *[MInstr("nop")] * 14, MInstr("halt")),
        data=((0, 1.0),),
    )
    assert timing_notes(slow_then_fast) == {
        0: ["lands after a later write to r1: the older value wins"]
    }
    back_edge = MachineProgram(
        SINGLE,
        (MInstr("mul", 1, 1, 0), MInstr("nop"), *[MInstr("nop")] * 4, MInstr("halt")),
        loops=(LoopSpec(0, 1, 50),),
        data=((0, 2.0), (1, 3.0)),
    )
    assert timing_notes(back_edge) == {0: ["reads the old r1 (the write at 0 is still in flight)"]}
    fine = dataclasses.replace(
        back_edge,
        slots=(MInstr("mul", 1, 1, 0), *[MInstr("nop")] * 3, MInstr("halt")),
        loops=(LoopSpec(0, 3, 50),),
    )
    assert timing_notes(fine) == {}


# --- with the assembler --------------------------------------------------------------


def example_inputs(mp: MachineProgram, count: int) -> dict[str | int, list[float]]:
    from vtc.compiler.sim.streams import port_table

    rng = random.Random(7)
    return {p.name: [rng.uniform(-2, 2) for _ in range(count)] for p in port_table(mp).inputs}


@pytest.mark.parametrize("keep_order", [False, True], ids=["optimised", "keep-order"])
@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.s")), ids=lambda p: p.stem)
def test_examples_survive_image_and_disassembly(
    path: Path, keep_order: bool, tmp_path: Path
) -> None:
    from vtc.compiler.asm.driver import assemble, assemble_file
    from vtc.compiler.sim.simulator import Simulator

    mp = assemble_file(path, keep_order=keep_order).machine
    write_image(mp, tmp_path, path.stem)
    image = read_image(tmp_path / f"{path.stem}.image.json")
    assert image == mp
    text = disassemble(image)
    again = assemble(text, f"{path.stem}.dis.s").machine  # .scheduled: slot for slot
    assert again.slots == mp.slots and again.loops == mp.loops and again.data == mp.data
    steps = 3
    inputs = example_inputs(mp, 5000)
    want = Simulator(mp).run(steps, inputs)
    got = Simulator(again).run(steps, inputs)
    assert got.outputs == want.outputs
    assert got.cycles == want.cycles


# --- the command ---------------------------------------------------------------------


@pytest.fixture
def main(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """``vtc.app.cli.main`` with only the command modules that exist yet."""
    present = tuple(
        m for m in cli.COMMAND_MODULES if importlib.util.find_spec(f"vtc.app.commands.{m}")
    )
    monkeypatch.setattr(cli, "COMMAND_MODULES", present)
    return cli.main


def test_disasm_command(main, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    mp = MachineProgram(SINGLE, (MInstr("out", 0, 0), MInstr("halt")), data=((0, 2.5),))
    write_image(mp, tmp_path, "p")
    assert main(["disasm", str(tmp_path / "p.prog.mem")]) == 0
    out = capsys.readouterr().out
    assert out == disassemble(mp)
    assert main(["disasm", str(tmp_path / "p.image.json"), "-o", str(tmp_path / "p.dis.s")]) == 0
    assert (tmp_path / "p.dis.s").read_text() == out
    assert capsys.readouterr().out == ""


def test_disasm_command_errors(main, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    assert main(["disasm", str(tmp_path / "nothing.image.json")]) == 1
    assert capsys.readouterr().err == f"{tmp_path}/nothing.image.json: error: no such file\n"
    (tmp_path / "x.prog.mem").write_text("zz\n")
    for suffix in ("image.json", "data.mem", "loops.mem"):
        (tmp_path / f"x.{suffix}").write_text("")
    assert main(["disasm", str(tmp_path / "x.prog.mem")]) == 1
    assert capsys.readouterr().err == (
        f"{tmp_path}/x.image.json:1:1: error: not valid JSON: Expecting value\n"
    )
