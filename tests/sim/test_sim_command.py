"""``vtc sim``: the command line of the simulator, messages included."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from vtc.app import cli
from vtc.compiler.machine.code import LoopSpec, MachineProgram, MInstr, PortInfo
from vtc.compiler.machine.image import write_image
from vtc.compiler.machine.target import load_target

Main = Callable[[Sequence[str]], int]

SINGLE = load_target("zynq7020-single")
HAVE_ASM = importlib.util.find_spec("vtc.compiler.asm.driver") is not None

WORKED = """\
.input x 0
.output y 0
.const k = 2.0
    in  a, x
    mul b, a, k
    add c, b, a
    out y, c
    halt
"""


@pytest.fixture
def main(monkeypatch: pytest.MonkeyPatch) -> Main:
    """``vtc.app.cli.main`` with only the command modules that exist yet."""
    present = tuple(
        m for m in cli.COMMAND_MODULES if importlib.util.find_spec(f"vtc.app.commands.{m}")
    )
    monkeypatch.setattr(cli, "COMMAND_MODULES", present)
    return cli.main


def loop_image(directory: Path) -> Path:
    """The loop 3 example of target.md as an image, with an input per iteration."""
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
        loops=(LoopSpec(0, 6, 3),),
        data=((1, 0.0),),
        inputs=(PortInfo(0, "x", "i16"),),
        outputs=(PortInfo(0, "y", "f32"),),
    )
    write_image(mp, directory, "loop")
    return directory / "loop.image.json"


def test_image_to_stdout(main: Main, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = loop_image(tmp_path)
    (tmp_path / "in.csv").write_text("x\n1\n2\n3\n4.5\n5\n6\n")
    assert main(["sim", str(image), "--steps", "2", "--inputs", str(tmp_path / "in.csv")]) == 0
    out, err = capsys.readouterr()
    assert out == "y\n6.0\n21.0\n"  # 4.5 -> 4 (i16, ties to even)
    assert err == "2 runs of 24 cycles (0.24 us at 100 MHz), 48 cycles (0.48 us) in total\n"


def test_mem_file_and_out_file(
    main: Main, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loop_image(tmp_path)
    (tmp_path / "in.csv").write_text("x\n1\n2\n3\n")
    args = [
        "sim",
        str(tmp_path / "loop.data.mem"),
        "--steps",
        "1",
        "--inputs",
        str(tmp_path / "in.csv"),
        "--out",
        str(tmp_path / "out.csv"),
    ]
    assert main(args) == 0
    assert (tmp_path / "out.csv").read_text() == "y\n6.0\n"
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("1 run of 24 cycles")


@pytest.mark.skipif(not HAVE_ASM, reason="the assembler driver is not there yet")
def test_assembly_file(main: Main, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "w.s").write_text(WORKED)
    (tmp_path / "in.csv").write_text("x\n1\n0.5\n-2\n")
    args = ["sim", str(tmp_path / "w.s"), "--steps", "3", "--inputs", str(tmp_path / "in.csv")]
    assert main([*args, "--keep-order"]) == 0
    out, err = capsys.readouterr()
    assert out == "y\n3.0\n1.5\n-6.0\n"
    assert err == "3 runs of 14 cycles (0.14 us at 100 MHz), 42 cycles (0.42 us) in total\n"
    assert main([*args, "--target", "zynq7020-double"]) == 0
    out, err = capsys.readouterr()
    assert out == "y\n3.0\n1.5\n-6.0\n"
    assert "at 100 MHz" in err


def error_of(main: Main, args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(args) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err
    return err


def test_usage_errors(main: Main, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = str(loop_image(tmp_path))
    assert error_of(main, ["sim", image], capsys) == "error: how many runs? give --steps N\n"
    assert error_of(main, ["sim", image, "--steps", "1", "--stop-at", "5"], capsys) == (
        "error: --stop-at and --save-state go together: give both or neither\n"
    )
    assert error_of(main, ["sim", image, "--steps", "1", "--keep-order"], capsys) == (
        f"{image}: error: --keep-order applies to assembly files only (an image is already "
        "scheduled)\n"
    )
    assert error_of(
        main, ["sim", image, "--steps", "1", "--target", "zynq7020-double"], capsys
    ) == (
        f"{image}: error: the image was built for target 'zynq7020-single', not "
        "'zynq7020-double' (an image cannot be retargeted: assemble the source again)\n"
    )
    with pytest.raises(SystemExit) as exc:
        main(["sim", image, "--steps", "-3"])
    assert exc.value.code == 1
    assert capsys.readouterr().err.endswith("vtc sim: error: argument --steps: '-3' is negative\n")


def test_input_errors(main: Main, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = str(loop_image(tmp_path))
    csv = tmp_path / "in.csv"
    csv.write_text("x\n1\n2\n3\n4\n")
    assert error_of(main, ["sim", image, "--steps", "2", "--inputs", str(csv)], capsys) == (
        f"{image}: error: input port 'x' has no value for run 2 (the input gives 4)\n"
    )
    csv.write_text("x,z\n1,2\n")
    assert error_of(main, ["sim", image, "--steps", "2", "--inputs", str(csv)], capsys) == (
        f"{csv}:1:3: error: unknown column 'z' (the ports are: x)\n    x,z\n      ^\n"
    )
    csv.write_text("x\n1\nabc\n")
    assert error_of(main, ["sim", image, "--steps", "2", "--inputs", str(csv)], capsys) == (
        f"{csv}:3:1: error: 'abc' in column 'x' is not a number\n    abc\n    ^~~\n"
    )
    assert (
        error_of(main, ["sim", image, "--steps", "2", "--inputs", str(tmp_path / "no.csv")], capsys)
        == f"{tmp_path / 'no.csv'}: error: no such file\n"
    )


def test_missing_program(main: Main, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "none.image.json"
    assert error_of(main, ["sim", str(missing), "--steps", "1"], capsys) == (
        f"{missing}: error: no such file\n"
    )
    if HAVE_ASM:
        missing_s = tmp_path / "none.s"
        assert error_of(main, ["sim", str(missing_s), "--steps", "1"], capsys) == (
            f"{missing_s}: error: no such file\n"
        )


def test_trace_and_vcd(main: Main, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = str(loop_image(tmp_path))
    csv = tmp_path / "in.csv"
    csv.write_text("x\n1\n2\n3\n")
    vcd = tmp_path / "w.vcd"
    assert (
        main(["sim", image, "--steps", "1", "--inputs", str(csv), "--trace", "--vcd", str(vcd)])
        == 0
    )
    out, err = capsys.readouterr()
    assert out == "y\n6.0\n"
    lines = err.splitlines()
    assert lines[0].split() == ["cycle", "run", "addr", "instruction", "reads", "lands"]
    assert " ".join(lines[1].split()) == "0 1 0 in r2, 0 x=1"
    assert " ".join(lines[8].split()) == "7 1 0 in r2, 0 x=2"
    assert " ".join(lines[9].split()) == "8 1 1 nop r1=1.0"
    assert " ".join(lines[-2].split()) == "24 1 - (end of run, 24 cycles) y=6.0"
    assert lines[-1].startswith("1 run of 24 cycles")
    assert len(lines) == 1 + 25 + 1
    text = vcd.read_text()
    assert "$enddefinitions $end" in text
    assert [line for line in text.splitlines() if line.startswith("#")][-1] == "#24"


def test_stop_save_resume(main: Main, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = str(loop_image(tmp_path))
    csv = tmp_path / "in.csv"
    csv.write_text("x\n" + "\n".join(str(i) for i in range(12)) + "\n")
    base = ["sim", image, "--steps", "4", "--inputs", str(csv)]
    assert main(base) == 0
    full_out, full_err = capsys.readouterr()
    state = tmp_path / "s.json"
    for stop in (0, 1, 6, 7, 23, 24, 25, 50, 95, 96):
        assert main([*base, "--stop-at", str(stop), "--save-state", str(state)]) == 0
        out, err = capsys.readouterr()
        assert out == ""
        run, cycle = divmod(stop, 24)
        if stop and not cycle:  # the end cycle of a run, before the results landing in it
            run, cycle = run - 1, 24
        assert (
            err
            == f"stopped at cycle {stop} (run {run + 1}, cycle {cycle}): state saved to {state}\n"
        )
        assert main(["sim", image, "--inputs", str(csv), "--resume", str(state)]) == 0
        assert capsys.readouterr() == (full_out, full_err)
    assert main([*base, "--stop-at", "97", "--save-state", str(state)]) == 0
    out, err = capsys.readouterr()
    assert out == full_out
    assert (
        err
        == "note: the simulation ended at cycle 96, before --stop-at 97: no state saved\n"
        + full_err
    )


def test_resume_in_a_fresh_process(tmp_path: Path) -> None:
    image = str(loop_image(tmp_path))
    csv = tmp_path / "in.csv"
    csv.write_text("x\n" + "\n".join(str(i) for i in range(9)) + "\n")
    runner = (
        "import sys, importlib.util, vtc.app.cli as c; "
        "c.COMMAND_MODULES = tuple(m for m in c.COMMAND_MODULES "
        "if importlib.util.find_spec('vtc.app.commands.' + m)); sys.exit(c.main(sys.argv[1:]))"
    )

    def vtc(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", runner, *args], capture_output=True, text=True, check=True
        )

    full = vtc("sim", image, "--steps", "3", "--inputs", str(csv))
    state = str(tmp_path / "s.json")
    vtc(
        "sim", image, "--steps", "3", "--inputs", str(csv), "--stop-at", "30", "--save-state", state
    )
    rest = vtc("sim", image, "--inputs", str(csv), "--resume", state)
    assert (rest.stdout, rest.stderr) == (full.stdout, full.stderr)


def test_resume_errors(main: Main, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = str(loop_image(tmp_path))
    csv = tmp_path / "in.csv"
    csv.write_text("x\n" + "\n".join(str(i) for i in range(12)) + "\n")
    state = tmp_path / "s.json"
    assert (
        main(
            [
                "sim",
                image,
                "--steps",
                "2",
                "--inputs",
                str(csv),
                "--stop-at",
                "30",
                "--save-state",
                str(state),
            ]
        )
        == 0
    )
    capsys.readouterr()
    other = MachineProgram(
        SINGLE, (MInstr("in", 0, 0), MInstr("halt")), inputs=(PortInfo(0, "x", "i16"),)
    )
    write_image(other, tmp_path, "other")
    other_image = str(tmp_path / "other.image.json")
    assert error_of(
        main, ["sim", other_image, "--inputs", str(csv), "--resume", str(state)], capsys
    ) == (
        f"{other_image}: error: the saved state belongs to another program (its image digest "
        "differs): resume it with the program it was saved from\n"
    )
    assert error_of(main, ["sim", image, "--resume", str(state)], capsys) == (
        f"{image}: error: the inputs differ from those of the saved simulation (port 'x'): "
        "resume with the same inputs\n"
    )
    state.write_text("{}")
    assert error_of(main, ["sim", image, "--resume", str(state)], capsys) == (
        f"{state}: error: not a simulator state (format 'vtc-sim-state')\n"
    )
