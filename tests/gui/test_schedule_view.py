"""The compile results views: schedule Gantt chart, report table, assembly text."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QHelpEvent, QTextCharFormat, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QToolTip

from vtc.app.editor.schedule_view import (
    AsmHighlighter,
    AsmView,
    ReportView,
    ScheduleView,
    eu_colour,
    gantt_data,
)
from vtc.compiler.asm.driver import assemble
from vtc.compiler.driver import CompileOptions, compile_model, load_model
from vtc.compiler.machine.isa import BY_NAME, EUS

MODELS = Path(__file__).resolve().parents[2] / "examples" / "models"

NESTED = """.target zynq7020-single
.input  a 0 f32
.output y 0 f32
    in   t, a
    loop 3
        loop 4
            add  t, t, t
        endloop
        mul  t, t, t
    endloop
    out  y, t
    halt
"""


@pytest.fixture(scope="module")
def comps():
    return {m: compile_model(MODELS / f"{m}.json") for m in ("pid_motor", "sobel", "newton_sqrt")}


@pytest.fixture
def view(qtbot):
    v = ScheduleView()
    qtbot.addWidget(v)
    v.resize(1100, 360)
    v.show()
    qtbot.waitExposed(v)
    return v


def expected_rows(mp):
    eus = {BY_NAME[s.mnemonic].eu for s in mp.slots} - {None}
    order = list(EUS)
    return ["issue", *sorted(eus, key=order.index), "write port"]


@pytest.mark.parametrize("name", ["pid_motor", "sobel", "newton_sqrt"])
def test_bars_per_row_match_the_machine_program(view, comps, name):
    comp = comps[name]
    mp = comp.assembly.machine
    view.set_compilation(comp)
    assert view.rows() == expected_rows(mp)
    assert set(view.rows()[1:-1]) == set(comp.report["eus"])
    issued = [a for a, s in enumerate(mp.slots) if s.mnemonic != "nop"]
    assert view.bar_addresses("issue") == issued
    per_eu = Counter(BY_NAME[s.mnemonic].eu for s in mp.slots if BY_NAME[s.mnemonic].eu)
    for eu, n in per_eu.items():
        addrs = view.bar_addresses(eu)
        assert len(addrs) == n
        assert all(BY_NAME[mp.slots[a].mnemonic].eu == eu for a in addrs)
    writes = [a for a, s in enumerate(mp.slots) if s.info.uses_write_port and not s.d_shared]
    assert sorted(view.bar_addresses("write port")) == writes
    # every bar has a rectangle, a nop has none
    for row in view.rows():
        for a in view.bar_addresses(row):
            assert view.bar_rect(row, a) is not None
    nop = next((a for a, s in enumerate(mp.slots) if s.mnemonic == "nop"), None)
    if nop is not None:
        assert view.bar_rect("issue", nop) is None
    data = view.data()
    assert data.cycles == comp.report["cycles"]
    # the axis runs from cycle 0 to the run's cycles
    assert data.cycle_at(0) == 0
    assert data.cycle_at(data.width) == comp.report["cycles"]
    with pytest.raises(KeyError, match="no row 'nosuch'"):
        view.bar_addresses("nosuch")


def test_eu_lanes_never_overlap(view, comps):
    view.set_compilation(comps["sobel"])
    data = view.data()
    for eu in data.eus:
        busy: dict[int, list[tuple[int, int]]] = {}
        for a in data.by_eu[eu]:
            op = data.ops[a]
            assert 0 <= op.lane < data.lanes[eu]
            for lo, hi in busy.get(op.lane, []):
                assert hi <= a or a + op.latency <= lo
            busy.setdefault(op.lane, []).append((a, a + op.latency))


def test_hardware_loops_are_marked(view, comps):
    sobel = comps["sobel"]
    view.set_compilation(sobel)
    mp = sobel.assembly.machine
    data = view.data()
    assert [(lp.start, lp.end, lp.count) for lp in data.loops] == [
        (lp.start, lp.end, lp.count) for lp in mp.loops
    ]
    (label,) = view.loop_labels()
    count = mp.loops[0].count
    assert label.startswith(f"loop 1 · ×{count} · body 32 cycles, repeats {count} times")
    assert "pipelined kernel, 4 stages" in label
    # prologue and epilogue of the pipelined loop are marked too
    assert [sp.label for sp in data.spans] == ["prologue of loop 1", "epilogue of loop 1"]
    # one shaded item per loop and span in the scene
    assert len(view.chart._loops) == 3
    # the axis jumps at the loop end by the cycles of the repetitions
    lp = data.loops[0]
    assert data.cycle_at(lp.end + 1) - data.cycle_at(lp.end) == (lp.count - 1) * lp.body_cycles + 1
    ticks = view.chart.ticks(0, view.chart.scene_width())
    assert (float(lp.end + 1), int(data.cycle_at(lp.end + 1)), True) in ticks

    newton = comps["newton_sqrt"]
    view.set_compilation(newton)
    (label,) = view.loop_labels()
    assert label.startswith("loop 1 · ×8 · body 27 cycles, repeats 8 times (216 cycles)")
    assert view.tooltip(view.data().loops[0].start).count("in loop 1: repeats 8 times") == 1


def test_nested_loops(view, comps):
    asm = assemble(NESTED, "nest.s", name="nest")
    comp = dataclasses.replace(
        comps["pid_motor"], name="nest", assembly=asm, asm_text=NESTED, report=dict(asm.report)
    )
    view.set_compilation(comp)
    data = view.data()
    assert [(lp.number, lp.depth, lp.count, lp.body_cycles) for lp in data.loops] == [
        (1, 0, 3, 28),
        (2, 1, 4, 6),
    ]
    assert data.cycle_at(len(data.ops)) == asm.report["cycles"] == 88
    tip = view.tooltip(2)
    assert "in loop 1: repeats 3 times" in tip and "in loop 2: repeats 4 times" in tip
    assert "source: nest.s:7  add  t, t, t" in tip


def test_tooltip_names_instruction_block_and_source_line(view, comps):
    comp = comps["pid_motor"]
    view.set_compilation(comp)
    mp = comp.assembly.machine
    a = next(a for a, s in enumerate(mp.slots) if s.mnemonic == "mul")
    ins = mp.slots[a]
    line = view.source_line(a)
    src = comp.asm_text.splitlines()[line - 1]
    block = src.split(";", 1)[1].strip()
    tip = view.tooltip(a)
    assert tip.splitlines()[0] == ins.text()
    assert f"block: {block}" in tip
    assert f"source: pid_motor.s:{line}  {src.split(';')[0].strip()}" in tip
    lat = comp.target.latency_of("mul")
    assert f"EU mul, latency {lat}: result visible in cycle {view.data().ops[a].cycle + lat}" in tip
    nop = next(a for a, s in enumerate(mp.slots) if s.mnemonic == "nop")
    assert view.source_line(nop) is None
    with pytest.raises(IndexError, match="not a slot"):
        view.tooltip(len(mp.slots))
    # a hover event over a bar shows that text
    view.set_zoom(20)
    view.select_address(a)
    pos = view.bar_viewport_pos("issue", a).toPoint()
    vp = view.chart.viewport()
    event = QHelpEvent(QEvent.Type.ToolTip, pos, vp.mapToGlobal(pos))
    QApplication.sendEvent(vp, event)
    assert QToolTip.text() == tip
    QToolTip.hideText()


@pytest.mark.parametrize("row", ["issue", "eu", "write port"])
def test_click_on_a_bar_emits_its_address(view, comps, qtbot, row):
    comp = comps["sobel"]
    view.set_compilation(comp)
    mp = comp.assembly.machine
    lp = mp.loops[0]
    # an instruction inside the loop body, after a few cycles of it
    a = next(a for a in range(lp.start + 5, lp.end) if mp.slots[a].mnemonic in ("add", "mul"))
    name = BY_NAME[mp.slots[a].mnemonic].eu if row == "eu" else row
    view.set_zoom(24)
    view.select_address(None)
    view.chart.reveal(view.bar_rect(name, a))
    pos = view.bar_viewport_pos(name, a).toPoint()
    assert view.address_at(QPointF(pos)) == a
    with qtbot.waitSignal(view.instructionSelected, timeout=1000) as blocker:
        QTest.mouseClick(view.chart.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert blocker.args == [a]
    assert view.selected_address() == a


def test_click_on_empty_space_emits_nothing(view, comps, qtbot):
    view.set_compilation(comps["pid_motor"])
    got = []
    view.instructionSelected.connect(got.append)
    r = view.chart.row("write port")
    below = view.chart.mapFromScene(QPointF(200, r.top + r.height + 5))
    QTest.mouseClick(view.chart.viewport(), Qt.MouseButton.LeftButton, pos=below)
    QTest.mouseClick(view.chart.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(40, 100))
    assert got == []


def test_zoom_with_wheel_and_fit(view, comps):
    view.set_compilation(comps["sobel"])
    data = view.data()
    fit = view.zoom()
    vp = view.chart.viewport()
    assert view.chart.scene_width() <= vp.width() + 1
    assert view.chart.horizontalScrollBar().maximum() == 0
    pos = QPointF(vp.width() / 2, 100)
    x_before = view.chart.from_scene_x(view.chart.mapToScene(pos.toPoint()).x())
    wheel = QWheelEvent(
        pos,
        QPointF(vp.mapToGlobal(pos.toPoint())),
        QPoint(0, 0),
        QPoint(0, 480),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(vp, wheel)
    assert view.zoom() == pytest.approx(fit * 1.25**4)
    # the cycle under the pointer stays under it
    x_after = view.chart.from_scene_x(view.chart.mapToScene(pos.toPoint()).x())
    assert x_after == pytest.approx(x_before, abs=1.5)
    assert view.chart.horizontalScrollBar().maximum() > 0
    view.zoom_fit()
    assert view.zoom() == pytest.approx(fit)
    view.set_zoom(1e9)
    assert view.zoom() == 120.0
    with pytest.raises(ValueError, match="positive"):
        view.set_zoom(0)
    assert len(data.ops) == 225


def test_set_compilation_none_clears(view, comps):
    view.set_compilation(comps["sobel"])
    view.select_address(100)
    assert view.rows()
    view.set_compilation(None)
    assert view.rows() == [] and view.data() is None and view.loop_labels() == []
    assert view.bar_addresses("issue") == []
    assert view.selected_address() is None
    assert view.compilation() is None
    assert "no compiled program" in view.summary.text()
    assert view.address_at(QPointF(300, 100)) is None
    view.grab()  # paints the placeholder without error
    view.set_compilation(comps["pid_motor"])
    view.clear()
    assert view.rows() == []
    with pytest.raises(TypeError, match="expects a Compilation or None, got int"):
        view.set_compilation(3)
    with pytest.raises(TypeError, match="expected an assembled program"):
        gantt_data(object())


def test_eu_colours_are_distinct():
    names = [_colour_name(eu) for eu in EUS]
    assert len(set(names)) == len(names)
    assert _colour_name("my-plugin-eu") == _colour_name("my-plugin-eu")


def _colour_name(eu):
    return eu_colour(eu).name()


def test_large_program_stays_cheap(view, comps):
    """10,000 slots: building and painting draw from a few paths, not per-bar items."""
    import time

    comp = comps["pid_motor"]
    asm = comp.assembly
    body = asm.machine.slots[:-1]
    slots = body * (10_000 // len(body)) + asm.machine.slots[-1:]
    mp = dataclasses.replace(asm.machine, slots=slots)
    big = dataclasses.replace(asm, machine=mp, report={**asm.report, "cycles": len(slots)})
    t0 = time.perf_counter()
    view.set_compilation(dataclasses.replace(comp, assembly=big))
    view.grab()
    view.set_zoom(30)
    view.grab()
    elapsed = time.perf_counter() - t0
    assert len(view.chart.scene().items()) < 10
    assert len(view.bar_addresses("issue")) == sum(1 for s in slots if s.mnemonic != "nop")
    assert elapsed < 10  # generous: shared CI machines; typically well under a second


# --- report ------------------------------------------------------------------------------


@pytest.fixture
def report(qtbot):
    r = ReportView()
    qtbot.addWidget(r)
    return r


def test_report_shows_the_compile_summary(report, comps):
    comp = comps["pid_motor"]
    r = comp.report
    report.set_compilation(comp)
    assert report.value("Cycles per run") == str(r["cycles"]) == "50"
    assert report.value("Steps per run") == "1"
    assert report.value("Cycles per step") == "50"
    assert report.value("Time per step") == "0.5 µs"
    assert report.value("Deadline") == "10000 µs"
    assert report.value("Slack") == "9999.5 µs (100.0 %)"
    assert report.value_item("Slack").foreground().color().name() != "#c00000"
    assert report.value("Data cells") == f"{r['cells']} of 1024 (max live {r['max_live']})"
    nops = r["nops"]
    assert report.value("Instructions") == f"{50 - nops} (+ {nops} nop = 50 slots of 4096)"
    assert report.value("EUs") == f"{len(r['eus'])}: {', '.join(r['eus'])}"
    assert report.value("Lower bound") == f"{r['lower_bound']} cycles"
    assert report.value("Gap").startswith(f"{100 * r['gap']:.1f} %")
    assert report.value("Hardware loops") == "none"
    assert report.value("Optimisation") == "-O1, exact rewrites only"
    opt = r["optimisation"]
    assert report.value("Operations") == f"{opt['operations_before']} → {opt['operations_after']}"
    assert report.value("Rewrites") == ", ".join(f"{k} {v}" for k, v in opt["rewrites"].items())
    assert "Time per run" not in report.quantities()
    with pytest.raises(KeyError, match="no row 'Bogus'"):
        report.value("Bogus")


def test_report_of_a_multi_step_looped_model(report, comps):
    comp = comps["sobel"]
    r = comp.report
    report.set_compilation(comp)
    assert report.value("Steps per run") == "64"
    assert report.value("Cycles per step") == f"{r['cycles'] / 64:.6g}"
    assert report.value("Time per run") == f"{r['time_us']:.6g} µs"
    loop = r["loops"][0]
    assert report.value("Hardware loops") == f"loop 1: ×{loop['count']}, ii {loop['ii']}, 4 stages"
    assert report.value("Deadline") == "— (the model has no sample_time)"
    assert "Slack" not in report.quantities()


def test_negative_slack_is_red(report):
    model = dataclasses.replace(load_model(MODELS / "pid_motor.json"), sample_time=1e-7)
    comp = compile_model(model, CompileOptions(allow_overrun=True), file="pid_motor.json")
    report.set_compilation(comp)
    assert report.value("Deadline") == "0.1 µs"
    assert report.value("Slack").startswith("-0.4 µs")
    assert report.value_item("Slack").foreground().color().name() == "#c00000"
    report.set_compilation(None)
    assert report.table.rowCount() == 0
    with pytest.raises(TypeError, match="expects a Compilation or None"):
        report.set_compilation("pid_motor")


# --- assembly text -----------------------------------------------------------------------


def _format_at(view: AsmView, line: int, column: int):
    block = view.document().findBlockByNumber(line)
    for fr in block.layout().formats():
        if fr.start <= column < fr.start + fr.length:
            return QTextCharFormat(fr.format)
    return None


def test_asm_view_highlights_and_finds_addresses(qtbot, comps):
    view = AsmView()
    qtbot.addWidget(view)
    comp = comps["pid_motor"]
    view.show_text(comp.asm_text)
    assert view.isReadOnly() and view.toPlainText() == comp.asm_text
    lines = comp.asm_text.splitlines()
    k = next(i for i, t in enumerate(lines) if t.strip().startswith("mul "))
    col = lines[k].index("mul")
    colour = AsmHighlighter.MNEMONIC.foreground().color()
    assert _format_at(view, k, col).foreground().color() == colour
    semi = lines[k].index(";")
    comment = _format_at(view, k, semi + 2)
    assert comment.foreground().color() == AsmHighlighter.COMMENT.foreground().color()
    d = next(i for i, t in enumerate(lines) if t.startswith(".const"))
    assert (
        _format_at(view, d, 0).foreground().color() == AsmHighlighter.DIRECTIVE.foreground().color()
    )
    num = lines[d].index("= ") + 2
    assert (
        _format_at(view, d, num).foreground().color() == AsmHighlighter.NUMBER.foreground().color()
    )
    # a mnemonic inside a comment is a comment
    assert _format_at(view, 0, lines[0].index("generated")).fontItalic()

    view.show_text(comp.assembly.listing())
    assert view.select_address(0x0C)
    assert view.textCursor().selectedText().split()[1] == "000c"
    assert not view.select_address(5000)
    assert view.select_line(3) and not view.select_line(0)
    view.show_text(None)
    assert view.toPlainText() == ""
    with pytest.raises(TypeError, match="expects a string"):
        view.show_text(42)


def test_views_render(tmp_path, comps, qtbot):
    """Each view paints without error at fit and zoomed in (pictures in docs/screenshots)."""
    sv = ScheduleView()
    rv = ReportView()
    for w in (sv, rv):
        qtbot.addWidget(w)
    sv.resize(1200, 330)
    sv.show()
    qtbot.waitExposed(sv)
    sv.set_compilation(comps["sobel"])
    sv.select_address(100)
    img = sv.grab().toImage()
    assert img.width() == 1200
    sv.set_zoom(60)
    assert not sv.grab().toImage().isNull()
    # the size hint leaves room for every row: no vertical scrolling
    sv.resize(1200, sv.sizeHint().height())
    qtbot.waitUntil(lambda: sv.chart.verticalScrollBar().maximum() == 0, timeout=2000)
    rv.set_compilation(comps["sobel"])
    rv.resize(500, 520)
    assert rv.grab().save(str(tmp_path / "report.png"))
