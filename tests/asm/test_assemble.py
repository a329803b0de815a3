"""The assembler end to end: schedules, errors, artefacts, golden files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vtc.compiler.asm.artefacts import issue_cycles
from vtc.compiler.asm.driver import assemble, assemble_file, write_artefacts
from vtc.compiler.errors import VtcError

ROOT = Path(__file__).parents[2]
EXAMPLES = sorted((ROOT / "examples" / "asm").glob("*.s"))

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

LOOP3 = """\
.output y 0
.const one = 1.0
.state acc = 0.0
    loop 3
    add acc, acc, one
    endloop
    out y, acc
    halt
"""


def test_worked_example_of_target_md_takes_14_cycles() -> None:
    asm = assemble(WORKED, "w.s")
    assert asm.report["cycles"] == 14
    assert asm.report["lower_bound"] == 14
    assert [s.mnemonic for s in asm.machine.slots if s.mnemonic != "nop"] == [
        "in", "mul", "add", "out", "halt",
    ]  # fmt: skip
    assert issue_cycles(asm.machine)[-1] == 13  # halt in c13


def test_loop_example_of_target_md_takes_20_cycles() -> None:
    asm = assemble(LOOP3, "l.s")
    r = asm.report
    assert r["cycles"] == 20
    assert r["loops"] == [
        {"start": 0, "end": 5, "count": 3, "ii": 6, "res_mii": 1, "rec_mii": 6, "cycles": 18}
    ]  # acc is loop-carried: no iteration-local values
    assert asm.machine.slots[6].mnemonic == "out"  # issued in c18


def test_keep_order_is_never_shorter_and_keeps_program_order() -> None:
    src = (ROOT / "examples" / "asm" / "biquad.s").read_text()
    fast = assemble(src, "b.s")
    naive = assemble(src, "b.s", keep_order=True)
    assert naive.report["cycles"] >= fast.report["cycles"]
    origins = [s.origin for s in naive.machine.slots if s.origin is not None]
    assert origins == sorted(origins)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_assemble_with_golden_listing_and_report(path: Path, golden: object) -> None:
    asm = assemble_file(path)
    assert asm.report["cycles"] >= asm.report["lower_bound"]
    assert asm.report["cells"] == asm.machine.cells_used
    golden.check(f"asm/{path.stem}.lst", asm.listing())  # type: ignore[attr-defined]
    golden.check(  # type: ignore[attr-defined]
        f"asm/{path.stem}.report.json", json.dumps(asm.report, indent=2, sort_keys=True) + "\n"
    )


def test_straight_line_cells_equal_max_live() -> None:
    for path in EXAMPLES:
        asm = assemble_file(path)
        if not asm.report["loops"]:
            assert asm.report["cells"] == asm.report["max_live"], path.stem


def test_iteration_local_values_share_cells_down_to_the_bound() -> None:
    asm = assemble_file(ROOT / "examples" / "asm" / "sobel.s")
    (loop,) = asm.report["loops"]
    assert loop["local_max_live"] <= loop["local_cells"] <= loop["local_max_live"] + 1
    assert asm.report["cells"] < 20  # 28 when every value kept its own cell


def test_write_artefacts_writes_every_file(tmp_path: Path) -> None:
    asm = assemble(WORKED, "w.s", name="w")
    names = sorted(p.name for p in write_artefacts(asm, tmp_path))
    assert names == sorted(
        [
            "w.lst", "w.prog.mem", "w.data.mem", "w.loops.mem", "w.prog.coe", "w.data.coe",
            "w.loops.coe", "w.image.json", "w.map.json", "w.report.json",
        ]
    )  # fmt: skip
    m = json.loads((tmp_path / "w.map.json").read_text())
    assert m["consts"] == {"k": 0}
    assert m["inputs"] == {"x": 0} and m["outputs"] == {"y": 0}
    report = json.loads((tmp_path / "w.report.json").read_text())
    for key in ("cycles", "total_cycles", "time_us", "cells", "eus", "lower_bound", "gap"):
        assert key in report
    assert isinstance(report["cycles"], int)
    assert report["time_us"] == 0.14


def _error(src: str, **kw: object) -> str:
    with pytest.raises(VtcError) as info:
        assemble(src, "e.s", **kw)  # type: ignore[arg-type]
    return info.value.format()


def test_read_before_write_names_the_cell() -> None:
    assert _error(".output y 0\n    add t, a, a\n    out y, t\n    halt\n") == (
        "e.s:2:12: error: 'a' is read before anything writes it (only .state and .const "
        "cells have a value at the start of a run)\n"
        "        add t, a, a\n"
        "               ^\n"
        "e.s:2:15: error: 'a' is read before anything writes it (only .state and .const "
        "cells have a value at the start of a run)\n"
        "        add t, a, a\n"
        "                  ^\n"
        "2 errors"
    )


def test_loop_carried_read_without_entry_value_is_an_error() -> None:
    text = _error(
        ".output y 0\n.const one = 1.0\nloop 2\n add s, s, one\nendloop\nout y, s\nhalt\n"
    )
    assert text.startswith("e.s:4:9: error: 's' is read before anything writes it")


def test_writing_a_constant_is_an_error() -> None:
    assert _error(".const k = 1.0\n    mov k, k\n    halt\n").splitlines()[0] == (
        "e.s:2:9: error: 'k' is a constant and cannot be written"
    )


def test_unknown_port_name_and_port_out_of_range() -> None:
    lines = _error(".output y 0\n    in a, x\n    in b, 16\n    out y, a\n    halt\n").splitlines()
    assert lines[0] == "e.s:2:11: error: unknown input port 'x' (declare it with .input)"
    assert lines[3] == (
        "e.s:3:11: error: input port 16 does not exist: target 'zynq7020-single' has 16 "
        "input ports (0 to 15)"
    )


def test_multicore_phases_and_shared_memory_are_not_supported_yet() -> None:
    assert "programs with more than one core are not supported yet (found 2)" in _error(
        ".core 0\n    halt\n.core 1\n    halt\n"
    )
    assert "DPR phases (.phase) are not supported yet" in _error(".phase a\n    halt\n")
    assert "shared memory is not supported yet" in _error(".shared s\n    halt\n")


def test_loop_depth_of_the_target_is_enforced() -> None:
    src = ".state s = 0.0\n" + "loop 2\n" * 5 + "add s, s, s\n" + "endloop\n" * 5 + "halt\n"
    assert _error(src).splitlines()[0] == (
        "e.s:6:1: error: loops nest 5 deep here: target 'zynq7020-single' allows 4"
    )


def test_too_many_cells_for_the_target(tmp_path: Path) -> None:
    decls = ", ".join(f"c{i} = {i}.0" for i in range(1100))
    text = _error(f".const {decls}\n    halt\n")
    assert text == (
        "e.s: error: the program needs 1100 data cells, target 'zynq7020-single' has "
        "data_depth 1024"
    )


def test_unknown_target_in_program_is_located() -> None:
    text = _error(".target zynq9\n    halt\n")
    assert text.splitlines()[0].startswith("e.s:1:")
    assert "unknown target 'zynq9'" in text


def test_cmov_keeps_old_value_cell_and_verifies() -> None:
    src = (
        ".input x 0\n.output y 0\n.const zero = 0.0\n.state m = 0.0\n"
        "    in v, x\n    cmplt c, m, v\n    cmov m, v, c\n    out y, m\n    halt\n"
    )
    asm = assemble(src, "c.s")
    home = {n: a for k, n, a in asm.machine.symbols if k == "state"}["m"]
    cmov = next(s for s in asm.machine.slots if s.mnemonic == "cmov")
    assert cmov.d == home


def test_regression_web_members_written_in_program_order() -> None:
    # s0's home cell holds the cmov result, then the first loop's value (read
    # by the second loop as its entry): the cmov, whose result nobody reads,
    # must still land before the loop overwrites the cell.
    src = (
        ".input x0 0\n.state s0 = 0.5, s1 = 0.5\n"
        "    cmov s0, s1, s1\n"
        "    loop 1\n        add s0, 0.5, 0.5\n        in t0, x0\n    endloop\n"
        "    loop 1\n        out 2, s0\n        max s0, s1, s0\n    endloop\n"
        "    halt\n"
    )
    asm = assemble(src, "r.s")  # the verifier raises if the cell is clobbered
    order = [s.mnemonic for s in asm.machine.slots if s.mnemonic != "nop"]
    assert order.index("cmov") < order.index("add")


def test_too_many_program_slots_for_the_target(tmp_path: Path) -> None:
    tiny = tmp_path / "tiny.toml"
    tiny.write_text('name = "tiny"\nprogram_depth = 16\n')
    src = ".const k = 1.0\n" + "".join(f"    mov t{i}, k\n" for i in range(20)) + "    halt\n"
    assert _error(src, target=str(tiny)) == (
        "e.s: error: the program needs 21 program slots, target 'tiny' has program_depth 16"
    )


def test_finite_numbers_that_overflow_the_precision_are_errors() -> None:
    # regression: 1e39 silently became inf on a binary32 target
    text = _error(".output y 0\n.const k = 1e39\n    add t, k, 2e40\n    out y, t\n    halt\n")
    assert text.splitlines()[0] == (
        "e.s:2:8: error: 1e39 overflows single precision (write inf if you mean infinity)"
    )
    assert "e.s:3:15: error: 2e40 overflows single precision" in text
    ok = ".output y 0\n.const k = inf, m = 1e39\n    add t, k, m\n    out y, t\n    halt\n"
    assert assemble(ok, "d.s", target="zynq7020-double").report["cycles"] > 0


def test_dead_late_result_in_a_nested_loop_keeps_its_own_cell() -> None:
    """Regression (found through random models): in a loop entered again by an
    outer loop, a value nobody reads whose write lands after the iteration's
    last issue (sqrt, 14 cycles) shared its cell with a value of the loop; in
    the last iteration the late write hit the next entry's value."""
    from vtc.compiler.asm.driver import assemble
    from vtc.compiler.sim.simulator import Simulator

    text = """
.input  X0 0
.input  X1 1
.output Y0 0
.const  k = 0.0
    loop 3
        in   a, X0
        in   b, X1
        loop 1
            add  t2, a, a
            abs  t3, a
            add  t4, a, a
            add  t5, a, a
            mul  t7, b, k
            sqrt t8, t2
        endloop
        out  Y0, a
    endloop
    halt
"""
    asm = assemble(text, "nested.s")
    xs = [float(i) for i in range(6)]
    out = Simulator(asm.machine).run(2, {"X0": xs, "X1": xs}).outputs["Y0"]
    assert out == xs
