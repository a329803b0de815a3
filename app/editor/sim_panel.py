"""The simulation panel: test signals in, compiled and reference outputs plotted.

:class:`SimulationPanel` runs a model for N steps on inputs from built-in test
signals (:mod:`vtc.compiler.signals`: constant, step, sine, noise, a CSV
column) or from one CSV file, through the same driver as ``vtc sim`` and
``vtc check``: :func:`~vtc.compiler.driver.compile_model`, then
:func:`~vtc.compiler.driver.simulate` (the compiled program, cycle by cycle)
and :func:`~vtc.compiler.driver.reference_run` (the reference interpreter).
The work runs in a worker thread; the GUI thread only plots. The panel plots
the inputs, every output (compiled solid, reference dashed, on one plot per
output, x axes linked) and every ``std.scope`` block (from the reference),
and says whether both runs agree bit for bit or where they first differ.

Errors of the driver (:class:`~vtc.compiler.errors.VtcError`) show as their
formatted text in the panel, never as a traceback.
"""

from __future__ import annotations

import gc
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg  # type: ignore[import-untyped, unused-ignore]
from PySide6.QtCore import Qt, QThread, Signal
from PySide6.QtGui import QColor, QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from vtc.compiler import driver
from vtc.compiler.errors import VtcError
from vtc.compiler.machine.target import load_target
from vtc.compiler.model.elaborate import elaborate
from vtc.compiler.model.model import Model
from vtc.compiler.model.ports import model_ports
from vtc.compiler.signals import (
    ConstantSignal,
    CsvSignal,
    FrequencyUnit,
    InputSignal,
    Mismatch,
    NoiseSignal,
    SineSignal,
    StepSignal,
    describe,
    first_mismatch,
    make_inputs,
    read_csv_columns,
)

__all__ = ["SimulationPanel", "SimulationResult"]

#: Combo-box text of each signal kind, in the order offered.
KIND_LABELS = {
    "constant": "constant",
    "step": "step",
    "sine": "sine",
    "noise": "noise",
    "csv": "CSV column",
}
_KIND_OF = {
    ConstantSignal: "constant",
    StepSignal: "step",
    SineSignal: "sine",
    NoiseSignal: "noise",
    CsvSignal: "csv",
}
_DEFAULTS: dict[str, InputSignal] = {
    "constant": ConstantSignal(),
    "step": StepSignal(),
    "sine": SineSignal(),
    "noise": NoiseSignal(),
}

COMPILED_COLOUR = "#1f77b4"
REFERENCE_COLOUR = "#ff7f0e"
_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf")
#: Height in pixels of one plot; the plot area scrolls when they do not fit.
PLOT_HEIGHT = 170


@dataclass(frozen=True)
class SimulationResult:
    """What one run of the panel computed.

    Attributes
    ----------
    steps:
        Model steps run.
    inputs:
        CSV column -> the input stream fed to both runs (in the port's format).
    compiled:
        Output column -> the compiled program's stream (simulator).
    reference:
        Output column -> the reference interpreter's stream.
    scopes:
        ``std.scope`` block path -> its input at every evaluation (a list of
        1-D arrays; a scope inside a for-iterator records every iteration).
    mismatch:
        The first difference of ``compiled`` and ``reference``, or ``None``
        when they agree bit for bit.
    compilation:
        The compiled model (report, assembly, ports).
    """

    steps: int
    inputs: dict[str, list[float]]
    compiled: dict[str, list[float]]
    reference: dict[str, list[float]]
    scopes: dict[str, list[Any]]
    mismatch: Mismatch | None
    compilation: driver.Compilation

    @property
    def outputs(self) -> tuple[str, ...]:
        """The output columns in port order."""
        return tuple(p.column for p in self.compilation.outputs)

    @property
    def cycles_per_step(self) -> float:
        return self.compilation.cycles_per_sample

    @property
    def ok(self) -> bool:
        """Compiled and reference agree bit for bit."""
        return self.mismatch is None


class _Cancelled(Exception):
    pass


class _SimThread(QThread):
    """One run: compile, make the inputs, simulate, run the reference, compare.

    Every signal carries the job number, so a late report of an old run is
    told apart. The cancel flag is checked between the stages.
    """

    stage = Signal(int, str)
    succeeded = Signal(int, object)
    errored = Signal(int, str)
    cancelled = Signal(int)

    def __init__(
        self,
        job: int,
        model: Model,
        file: str,
        steps: int,
        sources: dict[str, InputSignal],
        csv_file: str | None,
        opt_level: int,
    ) -> None:
        super().__init__()
        self.job = job
        self.model = model
        self.file = file
        self.steps = steps
        self.sources = dict(sources)
        self.csv_file = csv_file
        self.opt_level = opt_level
        self._stop = threading.Event()

    def cancel(self) -> None:
        self._stop.set()

    def _next(self, what: str) -> None:
        if self._stop.is_set():
            raise _Cancelled
        if what:
            self.stage.emit(self.job, what)

    def run(self) -> None:
        try:
            result = self._work()
        except _Cancelled:
            self.cancelled.emit(self.job)
        except VtcError as exc:
            self.errored.emit(self.job, exc.format())
        except Exception as exc:  # a bug: say so in one line, never a traceback
            self.errored.emit(
                self.job,
                f"internal error: {type(exc).__name__}: {exc}\n"
                "note: this is a bug in vtc; please report it with the model",
            )
        else:
            self.succeeded.emit(self.job, result)

    def _work(self) -> SimulationResult:
        model, file, steps = self.model, self.file, self.steps
        self._next("compiling")
        options = driver.CompileOptions(opt_level=self.opt_level, allow_overrun=True)
        comp = driver.compile_model(model, options, file=file or None)
        self._next("making the inputs")
        sources = self.sources
        if self.csv_file is not None:
            sources = {p.column: CsvSignal(self.csv_file, p.column) for p in comp.inputs}
        inputs = make_inputs(comp.inputs, sources, steps, sample_time=model.sample_time)
        self._next(f"simulating {steps} steps")
        compiled = driver.simulate(comp, steps, inputs)
        self._next(f"running the reference interpreter for {steps} steps")
        ref = driver.reference_run(model, steps, inputs, file=comp.file, target=comp.target)
        self._next("")
        columns = [p.column for p in comp.outputs]
        mismatch = first_mismatch(columns, compiled, ref.outputs)
        return SimulationResult(
            steps, inputs, compiled, dict(ref.outputs), dict(ref.scopes), mismatch, comp
        )


#: Threads still running; kept here so that a panel closed mid-run does not
#: destroy a running QThread (they remove themselves when they finish).
_LIVE: set[_SimThread] = set()


class _NumberEdit(QLineEdit):
    """A line edit for one finite number, outlined in red while it is not one."""

    def __init__(self, what: str, value: float = 0.0) -> None:
        super().__init__()
        self.what = what
        self.setValue(value)
        self.textChanged.connect(self._mark)

    def setValue(self, value: float) -> None:
        """Show ``value`` exactly (the shortest text that reads back to it)."""
        text = repr(float(value))
        self.setText(text[:-2] if text.endswith(".0") else text)

    def value(self) -> float:
        """The number typed.

        Raises
        ------
        VtcError
            Naming the field when the text is not a finite number.
        """
        text = self.text().strip()
        try:
            x = float(text)
        except ValueError:
            raise VtcError(f"{self.what}: '{text}' is not a number") from None
        if x != x or x in (float("inf"), float("-inf")):
            raise VtcError(f"{self.what}: '{text}' is not a finite number")
        return x

    def _mark(self) -> None:
        try:
            self.value()
        except VtcError as exc:
            self.setStyleSheet("QLineEdit { border: 1px solid #d62728; }")
            self.setToolTip(exc.message)
        else:
            self.setStyleSheet("")
            self.setToolTip("")


class _Row:
    """One model input: its chosen kind and the last valid signal of every kind."""

    def __init__(self, column: str) -> None:
        self.column = column
        self.kind = "step"
        self.signals: dict[str, InputSignal] = dict(_DEFAULTS)
        self.error: str | None = None

    @property
    def signal(self) -> InputSignal | None:
        return self.signals.get(self.kind)


class _SignalEditor(QGroupBox):
    """The parameters of the selected input's signal, one page per kind."""

    edited = Signal()

    def __init__(self) -> None:
        super().__init__("Signal")
        self.pages = QStackedWidget()
        self._page_of: dict[str, int] = {}
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d62728;")
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.pages)
        layout.addWidget(self.error)

        self.const_value = _NumberEdit("value")
        self._add("constant", [("Value", self.const_value)])

        self.step_at = QSpinBox()
        self.step_at.setRange(0, 2**31 - 1)
        self.step_at.setSuffix(" steps")
        self.step_initial = _NumberEdit("initial value")
        self.step_final = _NumberEdit("final value")
        self._add(
            "step",
            [
                ("Step at", self.step_at),
                ("Initial value", self.step_initial),
                ("Final value", self.step_final),
            ],
        )

        self.sine_amplitude = _NumberEdit("amplitude")
        self.sine_frequency = _NumberEdit("frequency")
        self.sine_unit = QComboBox()
        self.sine_unit.addItems(["cycles/step", "Hz"])
        freq = QWidget()
        row = QHBoxLayout(freq)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.sine_frequency, 1)
        row.addWidget(self.sine_unit)
        self.sine_phase = _NumberEdit("phase")
        self.sine_offset = _NumberEdit("offset")
        self._add(
            "sine",
            [
                ("Amplitude", self.sine_amplitude),
                ("Frequency", freq),
                ("Phase (rad)", self.sine_phase),
                ("Offset", self.sine_offset),
            ],
        )

        self.noise_lo = _NumberEdit("lower bound")
        self.noise_hi = _NumberEdit("upper bound")
        self.noise_seed = QSpinBox()
        self.noise_seed.setRange(0, 2**31 - 1)
        self._add(
            "noise",
            [
                ("Lower bound", self.noise_lo),
                ("Upper bound", self.noise_hi),
                ("Seed", self.noise_seed),
            ],
        )

        self.csv_path = QLineEdit()
        self.csv_path.setPlaceholderText("CSV file")
        self.csv_browse = QPushButton("Browse…")
        self.csv_browse.clicked.connect(self._browse)
        file_row = QWidget()
        row = QHBoxLayout(file_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.csv_path, 1)
        row.addWidget(self.csv_browse)
        self.csv_column = QComboBox()
        self.csv_column.setEditable(True)
        self._add("csv", [("File", file_row), ("Column", self.csv_column)])

        for edit in (
            self.const_value,
            self.step_initial,
            self.step_final,
            self.sine_amplitude,
            self.sine_frequency,
            self.sine_phase,
            self.sine_offset,
            self.noise_lo,
            self.noise_hi,
            self.csv_path,
        ):
            edit.textChanged.connect(self.edited)
        self.step_at.valueChanged.connect(self.edited)
        self.noise_seed.valueChanged.connect(self.edited)
        self.sine_unit.currentIndexChanged.connect(self.edited)
        self.csv_column.currentTextChanged.connect(self.edited)
        self.csv_path.editingFinished.connect(self._fill_columns)

    def _add(self, kind: str, fields: list[tuple[str, QWidget]]) -> None:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        for label, widget in fields:
            form.addRow(label, widget)
        self._page_of[kind] = self.pages.addWidget(page)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Input CSV file", self.csv_path.text(), "CSV files (*.csv);;All files (*)"
        )
        if path:
            self.csv_path.setText(path)
            self._fill_columns()

    def _fill_columns(self) -> None:
        """List the columns of the chosen file (keeping the column typed if the file has it)."""
        path = self.csv_path.text().strip()
        keep = self.csv_column.currentText()
        try:
            names = list(read_csv_columns(path)) if path else []
        except VtcError:
            names = []
        self.csv_column.blockSignals(True)
        self.csv_column.clear()
        self.csv_column.addItems([n for n in names if n])
        self.csv_column.setCurrentText(keep)
        self.csv_column.blockSignals(False)
        self.edited.emit()

    def show_kind(self, kind: str) -> None:
        self.pages.setCurrentIndex(self._page_of[kind])

    def load(self, kind: str, signal: InputSignal | None, column: str) -> None:
        """Show ``signal`` (or empty fields for a CSV column not chosen yet)."""
        widgets = self.findChildren(QWidget)
        for w in widgets:
            w.blockSignals(True)
        try:
            self.show_kind(kind)
            if isinstance(signal, ConstantSignal):
                self.const_value.setValue(signal.value)
            elif isinstance(signal, StepSignal):
                self.step_at.setValue(signal.at)
                self.step_initial.setValue(signal.initial)
                self.step_final.setValue(signal.final)
            elif isinstance(signal, SineSignal):
                self.sine_amplitude.setValue(signal.amplitude)
                self.sine_frequency.setValue(signal.frequency)
                self.sine_unit.setCurrentText(signal.unit)
                self.sine_phase.setValue(signal.phase)
                self.sine_offset.setValue(signal.offset)
            elif isinstance(signal, NoiseSignal):
                self.noise_lo.setValue(signal.lo)
                self.noise_hi.setValue(signal.hi)
                self.noise_seed.setValue(signal.seed)
            elif isinstance(signal, CsvSignal):
                self.csv_path.setText(signal.path)
                self.csv_column.setCurrentText(signal.column)
            else:
                self.csv_path.clear()
                self.csv_column.setCurrentText(column)
        finally:
            for w in widgets:
                w.blockSignals(False)
        for edit in self.findChildren(_NumberEdit):
            edit._mark()
        self.set_error(None)

    def build(self, kind: str) -> InputSignal:
        """The signal the fields of ``kind``'s page describe.

        Raises
        ------
        VtcError
            A field that is not a number, or parameters the signal refuses.
        """
        if kind == "constant":
            return ConstantSignal(self.const_value.value())
        if kind == "step":
            return StepSignal(
                self.step_at.value(), self.step_initial.value(), self.step_final.value()
            )
        if kind == "sine":
            unit: FrequencyUnit = "Hz" if self.sine_unit.currentText() == "Hz" else "cycles/step"
            return SineSignal(
                self.sine_amplitude.value(),
                self.sine_frequency.value(),
                unit,
                self.sine_phase.value(),
                self.sine_offset.value(),
            )
        if kind == "noise":
            return NoiseSignal(
                self.noise_lo.value(), self.noise_hi.value(), self.noise_seed.value()
            )
        return CsvSignal(self.csv_path.text().strip(), self.csv_column.currentText().strip())

    def set_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))


def _style_plot(plot: Any) -> None:
    plot.showGrid(x=True, y=True, alpha=0.25)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen("#444"))
        axis.setTextPen(pg.mkPen("#222"))
    plot.getAxis("left").setWidth(64)
    plot.setClipToView(True)
    plot.setDownsampling(auto=True, mode="peak")


class SimulationPanel(QWidget):
    """Run the model on test signals and plot compiled and reference outputs.

    Signals
    -------
    finished(SimulationResult)
        A run ended; the plots show it.
    failed(str)
        A run could not be done: the formatted error (also shown in the panel).
    cancelled()
        A run was cancelled (:meth:`cancel`); nothing was plotted.
    running(bool)
        A run started (``True``) or ended in any way (``False``).
    """

    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    running = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model: Model | None = None
        self._file = ""
        self._rows: list[_Row] = []
        self._memory: dict[str, _Row] = {}
        self._thread: _SimThread | None = None
        self._job = 0
        self._cancel_requested = False
        self._result: SimulationResult | None = None
        self._stale = False
        self._plots: dict[str, Any] = {}
        self._inputs_known = True
        #: Why the model cannot be simulated (the first error), or ``None``.
        self.problem: str | None = None
        self._build_ui()
        self._update_buttons()

    # --- construction -----------------------------------------------------------------

    def _build_ui(self) -> None:
        style = self.style()
        self.steps_spin = QSpinBox()
        self.steps_spin.setRange(1, 10_000_000)
        self.steps_spin.setValue(200)
        self.steps_spin.setToolTip("Model steps to run")
        self.opt_combo = QComboBox()
        self.opt_combo.addItems(["-O0", "-O1", "-O2"])
        self.opt_combo.setCurrentIndex(1)
        self.opt_combo.setToolTip(
            "-O0: no optimisation; -O1: exact optimisations (default); -O2: also larger unrolling"
        )
        self.run_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Run")
        self.run_button.setToolTip("Compile, simulate and run the reference interpreter")
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_MediaStop), "Cancel"
        )
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(120)
        self.progress.setTextVisible(False)
        self.progress.hide()

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Steps"))
        bar.addWidget(self.steps_spin)
        bar.addSpacing(8)
        bar.addWidget(QLabel("Optimisation"))
        bar.addWidget(self.opt_combo)
        bar.addSpacing(8)
        bar.addWidget(self.run_button)
        bar.addWidget(self.cancel_button)
        bar.addWidget(self.progress)
        bar.addStretch(1)

        # inputs: test signals per input, or one CSV file for all
        self.signals_radio = QRadioButton("Test signals")
        self.csv_radio = QRadioButton("CSV file")
        self.signals_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.signals_radio)
        group.addButton(self.csv_radio)
        self.csv_radio.toggled.connect(self._mode_changed)
        self.csv_edit = QLineEdit()
        self.csv_edit.setPlaceholderText("inputs.csv")
        self.csv_edit.setToolTip("A CSV file with one column per input, headed by its name")
        self.csv_button = QPushButton("Browse…")
        self.csv_button.clicked.connect(self._browse_csv)
        mode = QHBoxLayout()
        mode.addWidget(self.signals_radio)
        mode.addWidget(self.csv_radio)
        mode.addWidget(self.csv_edit, 1)
        mode.addWidget(self.csv_button)

        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Input", "Signal", "Parameters"])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._row_selected)
        self.editor = _SignalEditor()
        self.editor.edited.connect(self._editor_changed)

        self.model_note = QLabel()
        self.model_note.setWordWrap(True)
        self.model_note.setStyleSheet("color: #b00020;")
        self.model_note.hide()

        inputs_box = QGroupBox("Inputs")
        left = QVBoxLayout(inputs_box)
        left.setContentsMargins(6, 6, 6, 6)
        left.addWidget(self.model_note)
        left.addLayout(mode)
        left.addWidget(self.table, 1)
        left.addWidget(self.editor)

        # outputs: plots, status, errors
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        self.graphics.ci.setSpacing(4)
        self.plot_area = QScrollArea()
        self.plot_area.setWidgetResizable(True)
        self.plot_area.setWidget(self.graphics)
        self.placeholder = QLabel("Press Run to simulate the model.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: #666;")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.errors = QPlainTextEdit()
        self.errors.setReadOnly(True)
        self.errors.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.errors.setStyleSheet("QPlainTextEdit { color: #b00020; }")
        self.errors.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.errors.hide()

        right_box = QWidget()
        right = QVBoxLayout(right_box)
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(self.status)
        right.addWidget(self.errors, 1)
        right.addWidget(self.placeholder, 1)
        right.addWidget(self.plot_area, 1)
        self.plot_area.hide()

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(inputs_box)
        self.splitter.addWidget(right_box)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([360, 800])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)
        self._mode_changed()

    # --- the model and its inputs -----------------------------------------------------

    def set_model(self, model: Model | None, file: str) -> None:
        """Simulate this model from now on (``None``: nothing to simulate).

        Cheap: the inputs are listed from the model's ports when the panel is
        next shown or asked for them (:meth:`input_columns`, :meth:`run`...),
        so the editor may call this after every edit. An input that keeps its
        CSV column name keeps the signal chosen for it. The plots of an
        earlier run stay, marked as stale.
        """
        if model is self._model and (file or "") == self._file:
            return
        self._model = model
        self._file = file or ""
        self._inputs_known = False
        spr = model.samples_per_run if model is not None else 1
        self.steps_spin.setSingleStep(spr)
        self.steps_spin.setMinimum(spr)
        if spr > 1:
            self.steps_spin.setValue(max(spr, self.steps_spin.value() // spr * spr))
        if self._result is not None:
            self._stale = True
            self._update_status()
        self._update_buttons()
        if self.isVisible():
            self._refresh_inputs()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self._refresh_inputs()

    def _refresh_inputs(self) -> None:
        """List the model's inputs (elaborating it), once per model."""
        if self._inputs_known:
            return
        self._inputs_known = True
        model = self._model
        columns: list[str] = []
        self.problem = None
        if model is not None:
            try:
                target = load_target(model.target or driver.DEFAULT_TARGET)
                ins, _ = model_ports(elaborate(model, self._file or "<model>"), target.precision)
                columns = [p.column for p in ins]
            except VtcError as exc:
                self.problem = exc.headline()
        for row in self._rows:
            self._memory[row.column] = row
        self._rows = [self._memory.get(c) or _Row(c) for c in columns]
        self._fill_table()
        self.model_note.setText(
            f"the model cannot be simulated yet: {self.problem}" if self.problem else ""
        )
        self.model_note.setVisible(bool(self.problem))

    def input_columns(self) -> list[str]:
        """The model's input columns, in port order."""
        self._refresh_inputs()
        return [row.column for row in self._rows]

    def _row(self, column: str) -> _Row:
        self._refresh_inputs()
        for row in self._rows:
            if row.column == column:
                return row
        raise KeyError(f"the model has no input '{column}' (its inputs: {self.input_columns()})")

    def signal(self, column: str) -> InputSignal | None:
        """The signal chosen for an input (``None``: a CSV column not chosen yet)."""
        return self._row(column).signal

    def set_signal(self, column: str, signal: InputSignal) -> None:
        """Feed an input from ``signal`` (a frozen dataclass of :mod:`vtc.compiler.signals`)."""
        row = self._row(column)
        kind = _KIND_OF[type(signal)]
        row.kind = kind
        row.signals[kind] = signal
        row.error = None
        index = self._rows.index(row)
        combo = self.table.cellWidget(index, 1)
        if isinstance(combo, QComboBox):
            combo.blockSignals(True)
            combo.setCurrentIndex(list(KIND_LABELS).index(kind))
            combo.blockSignals(False)
        self._update_row(index)
        if self._selected() == index:
            self.editor.load(kind, signal, column)

    def csv_file(self) -> str | None:
        """The CSV file feeding every input, or ``None`` when test signals do."""
        return self.csv_edit.text().strip() if self.csv_radio.isChecked() else None

    def set_csv_file(self, path: str | None) -> None:
        """Feed every input from one CSV file (``None``: from the test signals)."""
        if path is None:
            self.signals_radio.setChecked(True)
        else:
            self.csv_edit.setText(path)
            self.csv_radio.setChecked(True)

    def steps(self) -> int:
        return self.steps_spin.value()

    def set_steps(self, steps: int) -> None:
        self.steps_spin.setValue(steps)

    def opt_level(self) -> int:
        return self.opt_combo.currentIndex()

    def set_opt_level(self, level: int) -> None:
        if level not in driver.UNROLL:
            raise ValueError(f"unknown optimisation level {level} (0, 1 or 2)")
        self.opt_combo.setCurrentIndex(level)

    def _fill_table(self) -> None:
        selected = self._selected()
        self.table.setRowCount(len(self._rows))
        for i, row in enumerate(self._rows):
            item = QTableWidgetItem(row.column)
            self.table.setItem(i, 0, item)
            combo = QComboBox()
            combo.addItems(list(KIND_LABELS.values()))
            combo.setCurrentIndex(list(KIND_LABELS).index(row.kind))
            combo.setProperty("row", i)
            combo.currentIndexChanged.connect(self._kind_changed)
            self.table.setCellWidget(i, 1, combo)
            self._update_row(i)
        if self._rows:
            pick = selected if selected is not None and selected < len(self._rows) else 0
            self.table.selectRow(pick)
            self._row_selected()
        self.editor.setVisible(bool(self._rows))
        self.table.resizeColumnsToContents()

    def _update_row(self, index: int) -> None:
        row = self._rows[index]
        signal = row.signal
        text = row.error or (describe(signal) if signal is not None else "choose a CSV file")
        item = QTableWidgetItem(text)
        if row.error or signal is None:
            item.setForeground(QColor("#d62728"))
        item.setToolTip(text)
        self.table.setItem(index, 2, item)

    def _selected(self) -> int | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return rows[0].row() if rows else None

    def _row_selected(self) -> None:
        index = self._selected()
        if index is None:
            return
        row = self._rows[index]
        row.error = None
        self._update_row(index)
        self.editor.setEnabled(not self.csv_radio.isChecked())
        self.editor.setTitle(f"Signal of '{row.column}'")
        self.editor.load(row.kind, row.signal, row.column)

    def _kind_changed(self, _index: int) -> None:
        combo = self.sender()
        if not isinstance(combo, QComboBox):
            return
        index = int(combo.property("row"))
        row = self._rows[index]
        row.kind = list(KIND_LABELS)[combo.currentIndex()]
        row.error = None
        if self._selected() != index:
            self.table.selectRow(index)
        self.editor.load(row.kind, row.signal, row.column)
        self._update_row(index)

    def _editor_changed(self) -> None:
        index = self._selected()
        if index is None:
            return
        row = self._rows[index]
        try:
            signal = self.editor.build(row.kind)
        except VtcError as exc:
            row.error = exc.message
            self.editor.set_error(exc.message)
        else:
            row.signals[row.kind] = signal
            row.error = None
            self.editor.set_error(None)
        self._update_row(index)

    def _mode_changed(self) -> None:
        csv = self.csv_radio.isChecked()
        self.csv_edit.setEnabled(csv)
        self.csv_button.setEnabled(csv)
        self.table.setEnabled(not csv)
        self.editor.setEnabled(not csv and bool(self._rows))

    def _browse_csv(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Input CSV file", self.csv_edit.text(), "CSV files (*.csv);;All files (*)"
        )
        if path:
            self.csv_edit.setText(path)

    # --- running ----------------------------------------------------------------------

    @property
    def is_running(self) -> bool:
        return self._thread is not None

    @property
    def result(self) -> SimulationResult | None:
        """The last successful run's result (``None`` before one)."""
        return self._result

    def run(self) -> bool:
        """Start a run in a worker thread (the Run button does this).

        Returns ``False`` when nothing was started: a run is going on, or the
        inputs are not complete (the panel then shows why and emits
        :attr:`failed`).
        """
        if self._thread is not None:
            return False
        self._refresh_inputs()
        if self._model is None:
            self._fail("error: no model to simulate")
            return False
        csv_file = self.csv_file()
        sources: dict[str, InputSignal] = {}
        if csv_file is not None:
            if not csv_file:
                self._fail("error: choose the CSV file of the inputs")
                return False
        else:
            for row in self._rows:
                signal = row.signal
                if row.error or signal is None:
                    why = row.error or "choose a CSV file"
                    self._fail(f"error: input '{row.column}': {why}")
                    return False
                sources[row.column] = signal
        self._job += 1
        thread = _SimThread(
            self._job,
            self._model,
            self._file,
            self.steps(),
            sources,
            csv_file,
            self.opt_level(),
        )
        thread.stage.connect(self._on_stage)
        thread.succeeded.connect(self._on_success)
        thread.errored.connect(self._on_error)
        thread.cancelled.connect(self._on_cancelled)
        thread.finished.connect(self._on_thread_finished)
        _LIVE.add(thread)
        self._thread = thread
        self._cancel_requested = False
        self._show_error(None)
        self._set_status("starting…")
        self._update_buttons()
        self.running.emit(True)
        # Collect unreachable Qt wrappers (old plots) here, in the GUI thread:
        # a collection the worker's allocations trigger would otherwise free
        # them in the worker, and shiboken's deferred deletion of such wrappers
        # has crashed (seen with PySide6 6.11.3).
        gc.collect()
        thread.start()
        return True

    def cancel(self) -> None:
        """Stop the run at the end of its current stage (the Cancel button does this).

        :attr:`cancelled` follows; a result that arrives after the request is
        dropped.
        """
        if self._thread is None:
            return
        self._cancel_requested = True
        self._thread.cancel()
        self._set_status("cancelling (after the current stage)…")
        self.cancel_button.setEnabled(False)

    def shutdown(self, msecs: int = 30_000) -> None:
        """Cancel a run and wait up to ``msecs`` for its thread (call before closing)."""
        thread = self._thread
        if thread is not None:
            self.cancel()
            thread.wait(msecs)

    def _current(self, job: int) -> bool:
        return self._thread is not None and job == self._thread.job

    def _on_stage(self, job: int, what: str) -> None:
        if self._current(job) and not self._cancel_requested:
            self._set_status(f"{what}…")

    def _end(self) -> None:
        self._thread = None
        self._update_buttons()
        self.running.emit(False)

    def _on_success(self, job: int, result: SimulationResult) -> None:
        if not self._current(job):
            return
        if self._cancel_requested:
            self._on_cancelled(job)
            return
        self._end()
        self._result = result
        self._stale = False
        self._plot(result)
        self._update_status()
        self.finished.emit(result)

    def _on_error(self, job: int, text: str) -> None:
        if not self._current(job):
            return
        if self._cancel_requested:
            self._on_cancelled(job)
            return
        self._end()
        self._fail(text)

    def _on_cancelled(self, job: int) -> None:
        if not self._current(job):
            return
        self._end()
        self._set_status("cancelled")
        self.cancelled.emit()

    def _on_thread_finished(self) -> None:
        for thread in [t for t in _LIVE if t.isFinished()]:
            _LIVE.discard(thread)
            thread.deleteLater()

    def _fail(self, text: str) -> None:
        self._result = None
        self._clear_plots()
        self._set_status("<span style='color:#b00020'><b>the run failed:</b></span>")
        self._show_error(text)
        self.failed.emit(text)

    def _update_buttons(self) -> None:
        busy = self._thread is not None
        self.run_button.setEnabled(not busy and self._model is not None)
        self.cancel_button.setEnabled(busy)
        self.progress.setVisible(busy)

    def _show_error(self, text: str | None) -> None:
        self.errors.setPlainText(text or "")
        self.errors.setVisible(bool(text))
        self._update_right()

    def _set_status(self, html: str) -> None:
        self.status.setText(html)

    def _update_status(self) -> None:
        r = self._result
        if r is None:
            return
        comp = r.compilation
        clock = comp.target.clock_mhz
        per = r.cycles_per_step
        parts = [
            f"{r.steps} steps",
            f"{per:g} cycles per step ({per / clock:g} µs at {clock:g} MHz)",
        ]
        slack = comp.report.get("deadline_slack_us")
        if slack is not None and slack < 0:
            parts.append(
                f"<span style='color:#b00020'>misses its deadline of "
                f"{comp.report['sample_time_us']:g} µs by {-slack:g} µs</span>"
            )
        if r.mismatch is None:
            parts.append(
                "<span style='color:#2a7d2a'><b>compiled == reference bit for bit</b></span>"
            )
        else:
            m = r.mismatch
            parts.append(
                f"<span style='color:#b00020'><b>first mismatch at step {m.step}, output "
                f"'{m.column}'</b>: compiled {m.compiled!r}, reference {m.reference!r}</span>"
            )
        if self._stale:
            parts.append("<i>(the model changed since this run)</i>")
        self._set_status(" · ".join(parts))

    # --- plots ------------------------------------------------------------------------

    @property
    def plots(self) -> dict[str, Any]:
        """The plots shown: ``"inputs"``, one per output column, ``"scope:PATH"``
        per scope block (pyqtgraph ``PlotItem`` objects, top to bottom)."""
        return dict(self._plots)

    def curves(self) -> dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]:
        """Plot key (as :attr:`plots`) -> curve name -> its ``(x, y)`` data.

        An output's plot has the curves ``compiled`` and ``reference``; the
        inputs' and a scope's plot one curve per input column or element.
        """
        out: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
        for key, plot in self._plots.items():
            curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
            for item in plot.listDataItems():
                x, y = item.getOriginalDataset()
                curves[item.name()] = (np.asarray(x), np.asarray(y))
            out[key] = curves
        return out

    def _clear_plots(self) -> None:
        self.graphics.clear()
        self._plots = {}
        self._update_right()

    def _update_right(self) -> None:
        """Plots when there are some, else the error when there is one, else a hint."""
        plots = bool(self._plots)
        self.plot_area.setVisible(plots)
        self.placeholder.setVisible(not plots and self.errors.isHidden())

    def _add_plot(self, key: str, title: str, ylabel: str, curves: int) -> Any:
        """A new plot under the others, its x axis linked to the first one's; the
        legend sits in the title row (right), so it never hides a curve."""
        plot = self.graphics.addPlot(row=len(self._plots), col=0)
        plot.setTitle(title, color="#222", size="10pt", bold=True, justify="left")
        plot.setLabel("left", ylabel, color="#222")
        _style_plot(plot)
        legend = pg.LegendItem(
            offset=(-4, 1),
            colCount=max(1, min(curves, 8)),
            horSpacing=6,
            labelTextColor="#222",
            labelTextSize="9pt",
        )
        legend.setParentItem(plot)
        legend.setZValue(10)
        plot.legend = legend
        if self._plots:
            plot.setXLink(next(iter(self._plots.values())))
        self._plots[key] = plot
        return plot

    def _plot(self, r: SimulationResult) -> None:
        self.graphics.clear()
        self._plots = {}
        x = np.arange(r.steps, dtype=float)
        if r.inputs:
            plot = self._add_plot("inputs", "inputs", "input", len(r.inputs))
            for i, (column, values) in enumerate(r.inputs.items()):
                pen = pg.mkPen(_PALETTE[i % len(_PALETTE)], width=2)
                plot.plot(
                    x, np.asarray(values, dtype=float), pen=pen, name=column, connect="finite"
                )
        compiled_pen = pg.mkPen(COMPILED_COLOUR, width=2.5)
        reference_pen = pg.mkPen(REFERENCE_COLOUR, width=2, style=Qt.PenStyle.DashLine)
        for column in r.outputs:
            plot = self._add_plot(column, f"output {column}", column, 2)
            plot.plot(
                x,
                np.asarray(r.compiled[column], dtype=float),
                pen=compiled_pen,
                name="compiled",
                connect="finite",
            )
            plot.plot(
                x,
                np.asarray(r.reference[column], dtype=float),
                pen=reference_pen,
                name="reference",
                connect="finite",
            )
            if r.mismatch is not None and r.mismatch.column == column:
                line = pg.InfiniteLine(
                    r.mismatch.step, angle=90, pen=pg.mkPen("#b00020", width=1.5)
                )
                plot.addItem(line)
        for path, samples in sorted(r.scopes.items()):
            data = np.vstack([np.asarray(s, dtype=float).reshape(-1) for s in samples])
            n = data.shape[0]
            xs = np.arange(n, dtype=float) * (r.steps / n) if n else np.arange(0, dtype=float)
            plot = self._add_plot(f"scope:{path}", f"scope {path}", path, data.shape[1])
            for k in range(data.shape[1]):
                name = "value" if data.shape[1] == 1 else f"[{k}]"
                pen = pg.mkPen(_PALETTE[k % len(_PALETTE)], width=2)
                plot.plot(xs, data[:, k], pen=pen, name=name, connect="finite")
        last = list(self._plots.values())
        for plot in last[:-1]:
            plot.setLabel("bottom", "")
        if last:
            last[-1].setLabel("bottom", "step", color="#222")
        self.graphics.setMinimumHeight(PLOT_HEIGHT * len(self._plots))
        self._update_right()
