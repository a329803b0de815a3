"""The simulation panel: test signals, worker runs, plots, errors, cancel."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import PySide6
import pytest
from PySide6.QtCore import Qt

from vtc.app.editor.sim_panel import SimulationPanel, SimulationResult
from vtc.compiler import driver
from vtc.compiler.errors import VtcError
from vtc.compiler.model import Model, load, loads
from vtc.compiler.signals import (
    ConstantSignal,
    CsvSignal,
    NoiseSignal,
    SineSignal,
    StepSignal,
    make_inputs,
)

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples" / "models"
#: ``VTC_SCREENSHOTS=docs/screenshots pytest tests/gui/test_sim_panel.py`` refreshes the docs.
SCREENSHOTS = os.environ.get("VTC_SCREENSHOTS")


@pytest.fixture
def panel(qtbot: Any) -> Any:
    p = SimulationPanel()
    qtbot.addWidget(p)
    yield p
    p.shutdown()


class _Outcome:
    def __init__(self, panel: SimulationPanel) -> None:
        self.results: list[SimulationResult] = []
        self.errors: list[str] = []
        self.cancelled = 0
        panel.finished.connect(self.results.append)
        panel.failed.connect(self.errors.append)
        panel.cancelled.connect(self._cancel)

    def _cancel(self) -> None:
        self.cancelled += 1


def _run(qtbot: Any, panel: SimulationPanel, timeout: int = 60_000) -> _Outcome:
    """Press Run and wait until the run ended (in any way).

    A run refused at once (incomplete inputs) reports before the click returns;
    a started one reports from the event loop, which only runs inside the wait.
    """
    out = _Outcome(panel)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    if panel.is_running:
        with qtbot.waitSignal(panel.running, timeout=timeout, check_params_cb=lambda on: not on):
            pass
    return out


def _ok(qtbot: Any, panel: SimulationPanel) -> SimulationResult:
    out = _run(qtbot, panel)
    assert out.errors == []
    assert len(out.results) == 1
    return out.results[0]


def _example(name: str) -> tuple[Model, str]:
    path = str(EXAMPLES / f"{name}.json")
    return load(path), path


def _expected(model: Model, file: str, steps: int, signals: dict[str, Any]) -> tuple[Any, ...]:
    comp = driver.compile_model(model, file=file)
    inputs = make_inputs(comp.inputs, signals, steps, sample_time=model.sample_time)
    compiled = driver.simulate(comp, steps, inputs)
    ref = driver.reference_run(model, steps, inputs, file=file)
    return comp, inputs, compiled, ref


def _check_overlay(
    panel: SimulationPanel, result: SimulationResult, compiled: Any, ref: Any
) -> None:
    curves = panel.curves()
    x = np.arange(result.steps)
    for column in result.outputs:
        assert set(curves[column]) == {"compiled", "reference"}, column
        cx, cy = curves[column]["compiled"]
        rx, ry = curves[column]["reference"]
        assert np.array_equal(cx, x) and np.array_equal(rx, x)
        assert np.array_equal(cy, np.asarray(compiled[column]), equal_nan=True)
        assert np.array_equal(ry, np.asarray(ref.outputs[column]), equal_nan=True)
        items = {i.name(): i for i in panel.plots[column].listDataItems()}
        assert items["compiled"].opts["pen"].style() == Qt.PenStyle.SolidLine
        assert items["reference"].opts["pen"].style() == Qt.PenStyle.DashLine
        legend = panel.plots[column].legend
        assert [label.text for _, label in legend.items] == ["compiled", "reference"]
    assert result.compiled == compiled
    assert result.reference == ref.outputs


def test_pid_motor_step_on_the_setpoint(qtbot: Any, panel: SimulationPanel, tmp_path: Path) -> None:
    model, path = _example("pid_motor")
    panel.set_model(model, path)
    assert panel.input_columns() == ["setpoint"]
    assert isinstance(panel.signal("setpoint"), StepSignal)  # the default
    step = StepSignal(at=20, initial=0.0, final=1.0)
    panel.set_signal("setpoint", step)
    assert panel.table.item(0, 2).text() == "step 0 → 1 at 20"
    panel.set_steps(250)
    result = _ok(qtbot, panel)

    comp, inputs, compiled, ref = _expected(model, path, 250, {"setpoint": step})
    assert result.inputs == inputs == {"setpoint": [0.0] * 20 + [1.0] * 230}
    assert result.ok and result.mismatch is None
    assert result.cycles_per_step == comp.cycles_per_sample == 50
    assert list(panel.plots) == ["inputs", "speed", "voltage"]
    _check_overlay(panel, result, compiled, ref)
    assert np.array_equal(panel.curves()["inputs"]["setpoint"][1], inputs["setpoint"])
    # a real step response: the drive saturates at +12 V, the speed settles at 1
    assert max(compiled["voltage"]) == 12.0
    assert compiled["speed"][:20] == [0.0] * 20 and abs(compiled["speed"][-1] - 1.0) < 0.02
    status = panel.status.text()
    assert "250 steps" in status and "50 cycles per step" in status
    assert "compiled == reference bit for bit" in status
    assert not panel.errors.isVisible()
    # x axes are linked, the bottom plot names the axis
    plots = list(panel.plots.values())
    assert all(p.getViewBox().linkedView(0) is plots[0].getViewBox() for p in plots[1:])
    assert plots[-1].getAxis("bottom").labelText == "step"
    assert plots[1].getAxis("left").labelText == "speed"

    panel.resize(1200, 620)
    panel.show()
    qtbot.waitExposed(panel)
    image = panel.grab()
    assert image.width() >= 1000 and image.height() >= 600
    assert image.save(str(tmp_path / "sim.png"))
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        assert image.save(str(Path(SCREENSHOTS) / "simulation_pid_motor.png"))


@pytest.mark.parametrize(
    ("name", "column", "signal"),
    [
        ("rms_meter", "x", SineSignal(amplitude=10.0, frequency=50.0, unit="Hz", offset=0.5)),
        ("butterworth_lp", "x", NoiseSignal(lo=-1.0, hi=1.0, seed=3)),
        ("butterworth_lp", "x", SineSignal(amplitude=1.0, frequency=0.02, phase=0.3)),
    ],
)
def test_sine_and_noise_inputs(
    qtbot: Any, panel: SimulationPanel, name: str, column: str, signal: Any
) -> None:
    model, path = _example(name)
    panel.set_model(model, path)
    assert panel.input_columns() == [column]
    panel.set_signal(column, signal)
    panel.set_steps(120)
    result = _ok(qtbot, panel)
    _, inputs, compiled, ref = _expected(model, path, 120, {column: signal})
    assert result.inputs == inputs
    assert result.ok
    _check_overlay(panel, result, compiled, ref)
    assert "bit for bit" in panel.status.text()


def _scope_model() -> Model:
    def blk(bid: str, btype: str, **params: Any) -> dict[str, Any]:
        return {"id": bid, "type": btype, "params": params}

    doc = {
        "format": "vtc-model",
        "version": 1,
        "name": "scoped",
        "blocks": [
            blk("x", "std.inport", port=0),
            blk("g", "std.gain", k=2.0),
            blk("y", "std.outport", port=0),
            blk("s1", "std.scope"),
            blk("m", "std.mux", width=2),
            blk("s2", "std.scope"),
        ],
        "connections": [
            {"from": f.split("."), "to": t.split(".")}
            for f, t in [
                ("x.out", "g.in"),
                ("g.out", "y.in"),
                ("g.out", "s1.in"),
                ("x.out", "m.in1"),
                ("g.out", "m.in2"),
                ("m.out", "s2.in"),
            ]
        ],
    }
    return loads(json.dumps(doc))


def test_scope_blocks_get_their_own_plots(qtbot: Any, panel: SimulationPanel) -> None:
    model = _scope_model()
    panel.set_model(model, "scoped.json")
    panel.set_signal("x", SineSignal(amplitude=1.5, frequency=0.05))
    panel.set_steps(40)
    result = _ok(qtbot, panel)
    assert list(panel.plots) == ["inputs", "y", "scope:s1", "scope:s2"]
    assert sorted(result.scopes) == ["s1", "s2"]
    curves = panel.curves()
    x_in = np.asarray(result.inputs["x"])
    xs, ys = curves["scope:s1"]["value"]
    assert np.array_equal(xs, np.arange(40)) and np.array_equal(ys, 2 * x_in)
    assert set(curves["scope:s2"]) == {"[0]", "[1]"}
    assert np.array_equal(curves["scope:s2"]["[0]"][1], x_in)
    assert np.array_equal(curves["scope:s2"]["[1]"][1], 2 * x_in)
    ref = driver.reference_run(model, 40, result.inputs)
    assert np.array_equal(ys, np.asarray(ref.scopes["s1"]).reshape(-1))


def test_a_model_with_an_error_shows_the_message(qtbot: Any, panel: SimulationPanel) -> None:
    doc = json.loads(json.dumps({"format": "vtc-model", "version": 1, "name": "bad"}))
    doc["blocks"] = [
        {"id": "x", "type": "std.inport", "params": {"port": 0}},
        {"id": "g", "type": "std.gain", "params": {"k": 2.0}},
        {"id": "y", "type": "std.outport", "params": {"port": 0}},
    ]
    doc["connections"] = [{"from": ["g", "out"], "to": ["y", "in"]}]  # g.in is not wired
    model = loads(json.dumps(doc))
    with pytest.raises(VtcError) as expected:
        driver.compile_model(model, file="bad.json")
    panel.set_model(model, "bad.json")
    assert panel.input_columns() == []
    assert panel.problem == expected.value.headline()
    out = _run(qtbot, panel)
    assert out.results == []
    assert out.errors == [expected.value.format()]
    assert "bad.json: block g (std.gain)" in out.errors[0]
    assert panel.errors.toPlainText() == expected.value.format()
    assert not panel.errors.isHidden()
    assert "Traceback" not in panel.errors.toPlainText()
    assert panel.plots == {} and panel.result is None
    assert panel.run_button.isEnabled()


def test_a_sine_in_hz_without_sample_time_is_refused(qtbot: Any, panel: SimulationPanel) -> None:
    panel.set_model(_scope_model(), "scoped.json")
    panel.set_signal("x", SineSignal(frequency=50.0, unit="Hz"))
    out = _run(qtbot, panel)
    assert len(out.errors) == 1
    assert out.errors[0].startswith("error: input 'x': a sine in Hz needs the model's sample_time")


def test_cancel_before_and_during_a_run(qtbot: Any, panel: SimulationPanel) -> None:
    model, path = _example("pid_motor")
    panel.set_model(model, path)
    out = _Outcome(panel)
    with qtbot.waitSignal(panel.cancelled, timeout=60_000):
        assert panel.run()
        assert panel.is_running and not panel.run_button.isEnabled()
        assert panel.cancel_button.isEnabled()
        assert not panel.run()  # one run at a time
        panel.cancel()
    assert out.results == [] and out.errors == []
    assert not panel.is_running and panel.run_button.isEnabled()
    assert panel.status.text() == "cancelled"
    assert panel.plots == {}

    # during the reference run; the GUI thread keeps processing events meanwhile
    panel.set_steps(3000)
    with qtbot.waitSignal(panel.cancelled, timeout=60_000):
        assert panel.run()
        qtbot.waitUntil(lambda: "reference interpreter" in panel.status.text(), timeout=60_000)
        panel.cancel()
        assert "cancelling" in panel.status.text()
    assert out.results == [] and out.cancelled == 2
    # and a run after a cancel works
    panel.set_steps(20)
    assert _ok(qtbot, panel).steps == 20


def test_a_mismatch_is_reported_with_step_and_output(
    qtbot: Any, panel: SimulationPanel, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = driver.simulate

    def off_by_one_ulp(comp: Any, steps: int, inputs: Any = None) -> dict[str, list[float]]:
        out = real(comp, steps, inputs)
        out["voltage"][7] = np.nextafter(out["voltage"][7], np.inf)
        return out

    monkeypatch.setattr(driver, "simulate", off_by_one_ulp)
    model, path = _example("pid_motor")
    panel.set_model(model, path)
    panel.set_steps(30)
    result = _ok(qtbot, panel)
    assert result.mismatch is not None
    assert (result.mismatch.step, result.mismatch.column) == (7, "voltage")
    assert not result.ok
    assert "first mismatch at step 7, output 'voltage'" in panel.status.text()
    assert "bit for bit" not in panel.status.text()


def test_one_csv_file_for_all_inputs(qtbot: Any, panel: SimulationPanel, tmp_path: Path) -> None:
    model, path = _example("pid_motor")
    panel.set_model(model, path)
    good = tmp_path / "in.csv"
    good.write_text("time,setpoint\n" + "".join(f"{k},{k / 10}\n" for k in range(25)))
    panel.set_csv_file(str(good))
    assert panel.csv_file() == str(good)
    assert not panel.table.isEnabled()
    panel.set_steps(25)
    result = _ok(qtbot, panel)
    assert result.inputs["setpoint"] == [float(np.float32(k / 10)) for k in range(25)]

    panel.set_steps(30)
    out = _run(qtbot, panel)
    assert out.errors == [
        f"{good}: error: input 'setpoint': column 'setpoint' has 25 values; 30 steps need 30"
    ]
    panel.set_csv_file(None)
    assert panel.csv_file() is None and panel.table.isEnabled()


def test_editing_a_signal_in_the_table(qtbot: Any, panel: SimulationPanel, tmp_path: Path) -> None:
    model, path = _example("pid_motor")
    panel.set_model(model, path)
    panel.show()
    qtbot.waitExposed(panel)
    combo = panel.table.cellWidget(0, 1)
    combo.setCurrentText("sine")
    ed = panel.editor
    assert ed.pages.currentIndex() == 2
    ed.sine_amplitude.clear()
    qtbot.keyClicks(ed.sine_amplitude, "3")
    ed.sine_frequency.setText("abc")
    assert "border" in ed.sine_frequency.styleSheet()
    assert ed.error.text() == "frequency: 'abc' is not a number"
    out = _run(qtbot, panel)
    assert out.errors == ["error: input 'setpoint': frequency: 'abc' is not a number"]
    ed.sine_frequency.setText("0.02")
    ed.sine_unit.setCurrentText("Hz")
    assert panel.signal("setpoint") == SineSignal(3.0, 0.02, "Hz")
    assert ed.sine_frequency.styleSheet() == "" and ed.error.isHidden()
    assert panel.table.item(0, 2).text() == "sine 3 · sin(2π·0.02 Hz)"

    combo.setCurrentText("noise")
    assert ed.pages.currentIndex() == 3
    assert panel.signal("setpoint") == NoiseSignal()
    ed.noise_seed.setValue(5)
    ed.noise_lo.setText("2")
    assert ed.error.text() == "the noise's lower bound 2 is above its upper bound 1"
    ed.noise_hi.setText("4")
    assert panel.signal("setpoint") == NoiseSignal(2.0, 4.0, 5)
    combo.setCurrentText("sine")  # the kind's last signal comes back
    assert panel.signal("setpoint") == SineSignal(3.0, 0.02, "Hz")
    assert ed.sine_amplitude.text() == "3"

    combo.setCurrentText("CSV column")
    assert panel.signal("setpoint") is None
    assert panel.table.item(0, 2).text() == "choose a CSV file"
    assert ed.csv_column.currentText() == "setpoint"
    out = _run(qtbot, panel)
    assert out.errors == ["error: input 'setpoint': choose a CSV file"]
    f = tmp_path / "sp.csv"
    f.write_text("a,setpoint\n1,2\n")
    ed.csv_path.setText(str(f))
    ed.csv_path.editingFinished.emit()
    assert [ed.csv_column.itemText(i) for i in range(ed.csv_column.count())] == ["a", "setpoint"]
    assert panel.signal("setpoint") == CsvSignal(str(f), "setpoint")

    combo.setCurrentText("constant")
    ed.const_value.setText("1.5")
    assert panel.signal("setpoint") == ConstantSignal(1.5)
    panel.set_signal("setpoint", StepSignal(3, 0.1234567891, -2.5e-7))
    assert (ed.step_initial.text(), ed.step_final.text()) == ("0.1234567891", "-2.5e-07")
    ed.step_at.setValue(4)  # editing one field keeps the others exact
    assert panel.signal("setpoint") == StepSignal(4, 0.1234567891, -2.5e-7)
    panel.set_signal("setpoint", ConstantSignal(1.5))
    panel.set_steps(5)
    assert _ok(qtbot, panel).inputs == {"setpoint": [1.5] * 5}


def test_set_model_keeps_signals_and_marks_old_plots(qtbot: Any, panel: SimulationPanel) -> None:
    model, path = _example("pid_motor")
    panel.set_model(model, path)
    panel.set_signal("setpoint", ConstantSignal(4.0))
    panel.set_steps(10)
    _ok(qtbot, panel)
    moved = model.with_blocks(model.blocks[::-1], model.connections)
    panel.set_model(moved, path)
    assert panel.signal("setpoint") == ConstantSignal(4.0)
    assert "the model changed since this run" in panel.status.text()
    assert list(panel.plots) == ["inputs", "speed", "voltage"]
    panel.set_model(None, "")
    assert panel.input_columns() == [] and not panel.run_button.isEnabled()
    with pytest.raises(KeyError, match="no input 'setpoint'"):
        panel.signal("setpoint")


def test_steps_follow_samples_per_run(panel: SimulationPanel) -> None:
    model, path = _example("sobel")
    panel.set_model(model, path)
    spr = model.samples_per_run
    assert spr > 1
    assert panel.steps_spin.singleStep() == spr and panel.steps() % spr == 0
    assert len(panel.input_columns()) == 9
    with pytest.raises(ValueError, match="optimisation level 3"):
        panel.set_opt_level(3)
    panel.set_opt_level(2)
    assert panel.opt_level() == 2


@pytest.mark.skipif(
    sys.version_info >= (3, 12), reason="None and True are immortal from Python 3.12"
)
def test_the_qt_binding_keeps_reference_counts(qtbot: Any) -> None:
    """PySide6 6.12.0 on Python 3.10/3.11 returns None (void methods) and True
    (``Signal.emit``) without a new reference: every call takes one away, and
    after some minutes of painting (pyqtgraph calls QPainter thousands of times
    per frame) Python aborts with ``Fatal Python error: none_dealloc``. 6.11.3
    is fine. This test fails on a broken binding instead of the editor crashing.
    """
    from PySide6.QtCore import QObject, Signal
    from PySide6.QtGui import QImage, QPainter

    class Emitter(QObject):
        ping = Signal()

    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    emitter = Emitter()
    before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(50):
        painter.translate(1.0, 1.0)
        emitter.ping.emit()
    after = sys.getrefcount(None), sys.getrefcount(True)
    painter.end()
    assert after == before, (
        f"the Qt binding (PySide6 {PySide6.__version__}) loses references of None/True "
        f"({after[0] - before[0]}, {after[1] - before[1]} in 50 calls): the GUI will crash; "
        "use PySide6-Essentials 6.11 (or Python 3.12+)"
    )
