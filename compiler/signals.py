"""Test signals for simulating a model, and the bit-for-bit comparison of runs.

The editor's simulation view feeds each model input (a
:class:`~vtc.compiler.model.ports.ModelPort`, keyed by its CSV column) from
one of these sources, all frozen dataclasses:

* :class:`ConstantSignal`: one value at every step;
* :class:`StepSignal`: ``initial`` before step ``at``, ``final`` from it on;
* :class:`SineSignal`: ``offset + amplitude * sin(2 pi f k + phase)`` at step
  ``k``, ``f`` in cycles per step or in Hz (then ``f * sample_time`` cycles
  per step, which needs the model's ``sample_time``);
* :class:`NoiseSignal`: uniform in ``[lo, hi]``, reproducible from ``seed``;
* :class:`CsvSignal`: one column of a CSV file (the dialect of
  :mod:`vtc.compiler.sim.streams`); other columns of the file are ignored.

:func:`generate` computes ``steps`` values of one source; :func:`make_inputs`
computes every input of a model, rounded to each port's format as the
hardware sees it. :func:`first_mismatch` compares the compiled program's
outputs with the reference interpreter's exactly as ``vtc check`` does.

Invalid parameters are refused when a source is built (:class:`VtcError`
naming the parameter), never later.

>>> generate(StepSignal(at=2, initial=0.0, final=5.0), 4)
[0.0, 0.0, 5.0, 5.0]
>>> generate(SineSignal(amplitude=2.0, frequency=0.25), 3)[1]
2.0
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from vtc.compiler.errors import VtcError
from vtc.compiler.files import read_text
from vtc.compiler.machine.formats import parse_format
from vtc.compiler.model.ports import ModelPort
from vtc.compiler.sim.streams import parse_csv

__all__ = [
    "SIGNAL_KINDS",
    "ConstantSignal",
    "CsvSignal",
    "FrequencyUnit",
    "InputSignal",
    "Mismatch",
    "NoiseSignal",
    "SineSignal",
    "StepSignal",
    "describe",
    "first_mismatch",
    "generate",
    "make_inputs",
    "read_csv_columns",
    "same_value",
]

#: The units a sine's frequency may be given in.
FrequencyUnit = Literal["cycles/step", "Hz"]


def _finite(name: str, value: float) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise VtcError(f"{name} must be a number, not {value!r}") from None
    if not math.isfinite(x):
        raise VtcError(f"{name} must be a finite number, not {value!r}")
    return x


def _whole(name: str, value: int, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise VtcError(f"{name} must be a whole number, not {value!r}")
    if value < minimum:
        raise VtcError(f"{name} must be at least {minimum}, not {value}")
    return value


@dataclass(frozen=True)
class ConstantSignal:
    """The same value at every step."""

    value: float = 0.0

    def __post_init__(self) -> None:
        _finite("the constant's value", self.value)


@dataclass(frozen=True)
class StepSignal:
    """A step: ``initial`` for steps ``0 .. at-1``, ``final`` from step ``at`` on.

    ``at`` counts model steps from 0 (``at=0``: ``final`` throughout).
    """

    at: int = 10
    initial: float = 0.0
    final: float = 1.0

    def __post_init__(self) -> None:
        _whole("the step time", self.at)
        _finite("the step's initial value", self.initial)
        _finite("the step's final value", self.final)


@dataclass(frozen=True)
class SineSignal:
    """``offset + amplitude * sin(2 pi f k + phase)`` at step ``k``.

    Attributes
    ----------
    frequency:
        ``f`` in ``unit``: cycles per step (0.01: a period of 100 steps), or
        Hz, converted with the model's sample time (``f * sample_time``
        cycles per step).
    phase:
        In radians.
    """

    amplitude: float = 1.0
    frequency: float = 0.01
    unit: FrequencyUnit = "cycles/step"
    phase: float = 0.0
    offset: float = 0.0

    def __post_init__(self) -> None:
        _finite("the sine's amplitude", self.amplitude)
        f = _finite("the sine's frequency", self.frequency)
        if f < 0:
            raise VtcError(f"the sine's frequency must not be negative, not {self.frequency!r}")
        if self.unit not in ("cycles/step", "Hz"):
            raise VtcError(f"unknown frequency unit {self.unit!r} (use 'cycles/step' or 'Hz')")
        _finite("the sine's phase", self.phase)
        _finite("the sine's offset", self.offset)


@dataclass(frozen=True)
class NoiseSignal:
    """Uniform noise in ``[lo, hi]``; the same ``seed`` gives the same values."""

    lo: float = -1.0
    hi: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        lo = _finite("the noise's lower bound", self.lo)
        hi = _finite("the noise's upper bound", self.hi)
        if lo > hi:
            raise VtcError(f"the noise's lower bound {lo:g} is above its upper bound {hi:g}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise VtcError(f"the noise's seed must be a whole number, not {self.seed!r}")


@dataclass(frozen=True)
class CsvSignal:
    """Column ``column`` of the CSV file ``path`` (it must have a value for every step)."""

    path: str
    column: str

    def __post_init__(self) -> None:
        if not self.path:
            raise VtcError("choose a CSV file")
        if not self.column:
            raise VtcError(f"choose a column of {self.path}")


#: Any source of an input stream.
InputSignal = ConstantSignal | StepSignal | SineSignal | NoiseSignal | CsvSignal

#: The kinds by name, as the editor lists them.
SIGNAL_KINDS: dict[str, type[InputSignal]] = {
    "constant": ConstantSignal,
    "step": StepSignal,
    "sine": SineSignal,
    "noise": NoiseSignal,
    "csv": CsvSignal,
}


def read_csv_columns(path: str) -> dict[str, list[float]]:
    """Every column of a CSV file, as binary64 values.

    Unlike :func:`vtc.compiler.sim.streams.read_csv` the columns need not be
    ports: the header names them.

    Raises
    ------
    VtcError
        With file, line and column: an unreadable file, a repeated column, a
        cell that is not a number, a value after the end of its column.
    """
    text = read_text(path)
    body = text[1:] if text.startswith("\ufeff") else text
    first = next((line for line in body.splitlines()), "")
    names = []
    for cell in first.split(","):
        name = cell.strip()
        if len(name) >= 2 and name[0] == name[-1] == '"':
            name = name[1:-1].strip()
        names.append(name)
    f64 = parse_format("f64")
    return parse_csv(text, path, dict.fromkeys(names, f64))


def _csv_column(
    signal: CsvSignal, steps: int, cache: dict[str, dict[str, list[float]]] | None
) -> list[float]:
    if cache is not None and signal.path in cache:
        columns = cache[signal.path]
    else:
        columns = read_csv_columns(signal.path)
        if cache is not None:
            cache[signal.path] = columns
    if signal.column not in columns:
        known = ", ".join(name for name in columns if name) or "none"
        raise VtcError(
            f"the file has no column '{signal.column}' (its columns: {known})", where=signal.path
        )
    values = columns[signal.column]
    if len(values) < steps:
        raise VtcError(
            f"column '{signal.column}' has {len(values)} values; {steps} steps need {steps}",
            where=signal.path,
        )
    return values[:steps]


def generate(signal: InputSignal, steps: int, *, sample_time: float | None = None) -> list[float]:
    """The first ``steps`` values of a source (binary64, not yet rounded to a port).

    Parameters
    ----------
    sample_time:
        The model's step in seconds; needed by a sine given in Hz.

    Raises
    ------
    VtcError
        A sine in Hz without a sample time; a CSV file that cannot be read,
        lacks the column or has fewer than ``steps`` values.
    """
    return _generate(signal, steps, sample_time, None)


def _generate(
    signal: InputSignal,
    steps: int,
    sample_time: float | None,
    cache: dict[str, dict[str, list[float]]] | None,
) -> list[float]:
    _whole("the number of steps", steps)
    if isinstance(signal, ConstantSignal):
        return [float(signal.value)] * steps
    if isinstance(signal, StepSignal):
        at = min(signal.at, steps)
        return [float(signal.initial)] * at + [float(signal.final)] * (steps - at)
    if isinstance(signal, SineSignal):
        f = float(signal.frequency)
        if signal.unit == "Hz":
            if sample_time is None:
                raise VtcError(
                    "a sine in Hz needs the model's sample_time (set it in the model, or "
                    "give the frequency in cycles per step)"
                )
            f *= sample_time
        w = 2.0 * math.pi * f
        a, ph, off = float(signal.amplitude), float(signal.phase), float(signal.offset)
        return [off + a * math.sin(w * k + ph) for k in range(steps)]
    if isinstance(signal, NoiseSignal):
        rng = random.Random(signal.seed)
        lo, hi = float(signal.lo), float(signal.hi)
        return [rng.uniform(lo, hi) for _ in range(steps)]
    if isinstance(signal, CsvSignal):
        return _csv_column(signal, steps, cache)
    raise VtcError(f"not a test signal: {signal!r}")


def make_inputs(
    ports: Sequence[ModelPort],
    sources: Mapping[str, InputSignal],
    steps: int,
    *,
    sample_time: float | None = None,
) -> dict[str, list[float]]:
    """Every input stream of a model: CSV column -> ``steps`` values in the port's format.

    Each CSV file is read once, however many inputs use it.

    Raises
    ------
    VtcError
        A port without a source (naming it), or what :func:`generate` raises,
        prefixed with the input it was for.
    """
    cache: dict[str, dict[str, list[float]]] = {}
    result: dict[str, list[float]] = {}
    for port in ports:
        signal = sources.get(port.column)
        if signal is None:
            raise VtcError(f"input '{port.column}' has no signal")
        try:
            values = _generate(signal, steps, sample_time, cache)
        except VtcError as exc:
            raise VtcError(
                f"input '{port.column}': {exc.message}",
                exc.location,
                where=exc.where,
                notes=exc.notes,
            ) from None
        result[port.column] = [port.format.quantize(v) for v in values]
    return result


def describe(signal: InputSignal) -> str:
    """A short text of a source for a table cell (``step 0 -> 1 at 10``)."""
    if isinstance(signal, ConstantSignal):
        return f"constant {signal.value:g}"
    if isinstance(signal, StepSignal):
        return f"step {signal.initial:g} \u2192 {signal.final:g} at {signal.at}"
    if isinstance(signal, SineSignal):
        unit = "Hz" if signal.unit == "Hz" else "/step"
        text = f"sine {signal.amplitude:g} \u00b7 sin(2\u03c0\u00b7{signal.frequency:g} {unit}"
        text += f" + {signal.phase:g})" if signal.phase else ")"
        return text + (f" + {signal.offset:g}" if signal.offset else "")
    if isinstance(signal, NoiseSignal):
        return f"noise {signal.lo:g} .. {signal.hi:g}, seed {signal.seed}"
    return f"CSV {signal.path.replace(chr(92), '/').rsplit('/', 1)[-1]}: {signal.column}"


# --- comparing runs ---------------------------------------------------------------------


@dataclass(frozen=True)
class Mismatch:
    """The first value where two runs differ: step (from 0), output column, both values."""

    step: int
    column: str
    compiled: float
    reference: float

    def __str__(self) -> str:
        return (
            f"first mismatch at step {self.step}, output '{self.column}': "
            f"compiled {self.compiled!r}, reference {self.reference!r}"
        )


def same_value(a: float, b: float) -> bool:
    """Bit-for-bit equality as ``vtc check`` defines it: any NaN equals any NaN,
    ``-0`` differs from ``+0``."""
    if a != a or b != b:
        return a != a and b != b
    return a == b and (a != 0.0 or math.copysign(1.0, a) == math.copysign(1.0, b))


def first_mismatch(
    columns: Sequence[str],
    compiled: Mapping[str, Sequence[float]],
    reference: Mapping[str, Sequence[float]],
) -> Mismatch | None:
    """The first step (then the first output, in ``columns`` order) where the runs
    differ, or ``None`` when they agree bit for bit.

    A stream shorter than the other differs at its first missing step.
    """
    steps = max(
        (max(len(compiled.get(c, ())), len(reference.get(c, ()))) for c in columns), default=0
    )
    for k in range(steps):
        for c in columns:
            a_run, b_run = compiled.get(c, ()), reference.get(c, ())
            a = a_run[k] if k < len(a_run) else math.nan
            b = b_run[k] if k < len(b_run) else math.nan
            if k >= len(a_run) or k >= len(b_run) or not same_value(a, b):
                return Mismatch(k, c, a, b)
    return None
