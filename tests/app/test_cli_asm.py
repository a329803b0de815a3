"""``vtc asm`` and the command line as a user meets it: files, messages, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vtc.app.cli import main

ROOT = Path(__file__).parents[2]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_asm_writes_artefacts_and_prints_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["asm", str(ROOT / "examples/asm/biquad.s"), "-o", str(tmp_path)], capsys)
    assert code == 0
    assert out.startswith("biquad: 33 cycles per run (0.33 us at 100 MHz), lower bound 33")
    assert err == f"wrote 10 files to {tmp_path}\n"
    assert json.loads((tmp_path / "biquad.report.json").read_text())["cycles"] == 33


def test_asm_reports_pipelined_loops(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["asm", str(ROOT / "examples/asm/smooth.s"), "-o", str(tmp_path)], capsys)
    assert code == 0
    assert out.splitlines()[1] == (
        "  loop at 000a-0013: 64 iterations, ii 10 (ResMII 5, RecMII 10), "
        "software-pipelined in 2 stages (kernel runs 63 times)"
    )


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("  ad t, a, b\n  halt\n", "1:3: error: unknown mnemonic 'ad' (did you mean 'add'?)"),
        ("  add t, t\n  halt\n", "1:3: error: 'add' takes 3 operands (d, a, b), got 2"),
        (
            "  loop 70000\n  nop\n  endloop\n  halt\n",
            "1:8: error: loop count must be an integer from 1 to 65535, got 70000",
        ),
        (".target zynq9\n  halt\n", "error: unknown target 'zynq9'"),
        ("  add t, t, t\n  halt\n", "1:10: error: 't' is read before anything writes it"),
    ],
)
def test_bad_programs_give_a_located_message_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str, message: str
) -> None:
    prog = tmp_path / "bad.s"
    prog.write_text(source)
    code, out, err = run(["asm", str(prog), "-o", str(tmp_path)], capsys)
    assert code == 1
    assert out == ""
    assert message in err
    assert err.startswith(str(prog))
    assert "Traceback" not in err


def test_unreadable_and_binary_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    binary = tmp_path / "b.s"
    binary.write_bytes(b"\x00\x01\x02")
    assert run(["asm", str(binary)], capsys)[2] == f"{binary}: error: is a binary file, not text\n"
    missing = tmp_path / "none.s"
    assert run(["asm", str(missing)], capsys) == (1, "", f"{missing}: error: no such file\n")


def test_unknown_target_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["asm", str(ROOT / "examples/asm/poly.s"), "--target", "nope"], capsys)
    assert code == 1
    assert err.startswith("error: unknown target 'nope' (known targets: bench-large,")


def test_usage_errors_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["asm"])
    assert info.value.code == 1
    assert "the following arguments are required: PROG.s" in capsys.readouterr().err


def test_disassembly_reassembles_to_the_same_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = ROOT / "examples/asm/sobel.s"
    assert run(["asm", str(src), "-o", str(tmp_path / "a"), "-q"], capsys)[0] == 0
    dis = tmp_path / "sobel.dis.s"
    assert run(["disasm", str(tmp_path / "a/sobel.image.json"), "-o", str(dis)], capsys)[0] == 0
    assert ".scheduled" in dis.read_text()
    assert run(["asm", str(dis), "-o", str(tmp_path / "b"), "-q"], capsys)[0] == 0
    for suffix in ("prog.mem", "data.mem", "loops.mem"):
        a = (tmp_path / "a" / f"sobel.{suffix}").read_text()
        b = (tmp_path / "b" / f"sobel.dis.{suffix}").read_text()
        assert a == b, suffix


def test_help_for_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("asm", "disasm", "sim", "bit"):
        with pytest.raises(SystemExit) as info:
            main([command, "--help"])
        assert info.value.code == 0
        assert "usage: vtc " + command in capsys.readouterr().out
