"""The block API: what a block library implements.

A block type is a subclass of :class:`Block` with class attributes that
describe it (type name, category, label, documentation, parameters) and
methods that give its ports, its signal widths, its state, its **reference
semantics** (used by the reference interpreter, NumPy arrays in the target
precision) and its **lowering** (used by the compiler, target operations).
The two are independent implementations of the same meaning: the compiled
program is checked bit for bit against the reference, so each checks the
other. Both must perform the same IEEE operations in the same order.

Signals are vectors of fixed width (a scalar has width 1). The reference
semantics see a signal as a 1-D ``numpy.ndarray`` of the target's dtype; the
lowering sees it as a list of opaque values of the :class:`Builder`.

A step (models.md section 1) first computes every block's outputs from its
inputs and its current state (:meth:`Block.output` / :meth:`Block.lower_output`),
then every block's next state (:meth:`Block.update` / :meth:`Block.lower_update`).
A block without direct feedthrough (:meth:`Block.feedthrough` false) must
compute its outputs from its state alone: it is then called with no inputs,
which is what makes a feedback loop through it legal.

Block classes are found through the entry-point group ``vtc.blocks`` (see
:mod:`vtc.blocks.registry` and ``docs/plugins.md``). Block code never imports
the compiler or the reference interpreter; it talks to them through the
:class:`Builder` and :class:`RefContext` protocols defined here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np
import numpy.typing as npt

__all__ = [
    "REQUIRED",
    "Block",
    "BlockError",
    "Builder",
    "Param",
    "ParamError",
    "Params",
    "RefContext",
    "Vec",
]

#: A signal as the reference semantics see it: a 1-D array of the target dtype.
Vec = npt.NDArray[np.floating[Any]]

#: Validated parameters of one block instance (defaults filled in).
Params = Mapping[str, Any]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: Default of a parameter that has none: the model must give it.
REQUIRED: Any = _Required()


class BlockError(Exception):
    """A problem with one block instance (parameters, ports, widths).

    The model loader and compiler add the file and the block path; the message
    is one sentence, lower case, no final full stop.
    """


class ParamError(BlockError):
    """A parameter value that is invalid; ``param`` names it."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"parameter '{param}': {message}")
        self.param = param


# --- parameters -----------------------------------------------------------------


def _is_number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _to_float(x: object) -> float:
    """A JSON number, or one of the strings ``inf``, ``-inf``, ``nan``."""
    if _is_number(x):
        return float(x)  # type: ignore[arg-type]
    if isinstance(x, str) and x.strip().lower() in ("inf", "+inf", "-inf", "nan"):
        return float(x.strip().lower())
    raise ValueError(f"expected a number, got {_show(x)}")


def _show(x: object) -> str:
    text = repr(x) if not isinstance(x, list | dict) else type(x).__name__
    return text if len(text) < 40 else text[:37] + "..."


@dataclass(frozen=True)
class Param:
    """A typed block parameter.

    Parameters
    ----------
    name:
        The key in the block's ``params`` object.
    kind:
        ``"float"``, ``"int"``, ``"bool"``, ``"str"``, ``"choice"`` (one of
        ``choices``), ``"vector"`` (a number or a list of numbers, stored as a
        tuple of floats), ``"matrix"`` (a list of rows, stored as a tuple of
        tuples), ``"array"`` (a number, a list or a list of rows, stored as a
        float, a tuple or a tuple of tuples), ``"optfloat"`` (a number or
        ``null``: no limit).
    default:
        The value when the model omits the parameter; :data:`REQUIRED` when it
        must be given.
    doc:
        One line for the palette and ``vtc blocks --verbose``.
    choices:
        The allowed values of a ``"choice"``.
    minimum, maximum:
        Bounds of an ``"int"`` or ``"float"``.
    check:
        Extra validation of the converted value; raises ``ValueError`` with a
        message.
    """

    name: str
    kind: str
    default: Any = REQUIRED
    doc: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    check: Callable[[Any], None] | None = field(default=None, compare=False)

    def convert(self, raw: object) -> Any:
        """The validated value of ``raw`` (JSON data); raises ``ValueError``."""
        value = self._convert(raw)
        if self.kind in ("int", "float") and (
            (self.minimum is not None and value < self.minimum)
            or (self.maximum is not None and value > self.maximum)
        ):
            lo = "-inf" if self.minimum is None else f"{self.minimum:g}"
            hi = "inf" if self.maximum is None else f"{self.maximum:g}"
            raise ValueError(f"{value:g} is outside [{lo}, {hi}]")
        if self.check is not None:
            self.check(value)
        return value

    def _convert(self, raw: object) -> Any:
        kind = self.kind
        if kind == "float":
            value = _to_float(raw)
            if math.isnan(value):
                raise ValueError("NaN is not allowed here")
            return value
        if kind == "optfloat":
            return None if raw is None else self._as("float", raw)
        if kind == "int":
            if isinstance(raw, bool) or not (
                isinstance(raw, int) or (isinstance(raw, float) and raw.is_integer())
            ):
                raise ValueError(f"expected a whole number, got {_show(raw)}")
            return int(raw)
        if kind == "bool":
            if not isinstance(raw, bool):
                raise ValueError(f"expected true or false, got {_show(raw)}")
            return raw
        if kind == "str":
            if not isinstance(raw, str):
                raise ValueError(f"expected a string, got {_show(raw)}")
            return raw
        if kind == "choice":
            if raw not in self.choices:
                raise ValueError(
                    f"expected one of {', '.join(repr(c) for c in self.choices)}, got {_show(raw)}"
                )
            return raw
        if kind == "vector":
            if isinstance(raw, list):
                if not raw:
                    raise ValueError("expected at least one number")
                return tuple(_to_float(x) for x in raw)
            return (_to_float(raw),)
        if kind == "array":
            if isinstance(raw, list) and raw and all(isinstance(r, list) for r in raw):
                return self._as("matrix", raw)
            return self._as("vector", raw) if isinstance(raw, list) else _to_float(raw)
        if kind == "matrix":
            if not isinstance(raw, list) or not raw:
                raise ValueError("expected a list of rows")
            rows = [r if isinstance(r, list) else [r] for r in raw]
            width = len(rows[0])
            if width == 0 or any(len(r) != width for r in rows):
                raise ValueError("every row must have the same number of entries (at least one)")
            return tuple(tuple(_to_float(x) for x in r) for r in rows)
        raise ValueError(f"internal error: unknown parameter kind '{kind}'")

    def _as(self, kind: str, raw: object) -> Any:
        return Param(self.name, kind).convert(raw)


# --- the two back ends a block talks to ------------------------------------------


class Builder(Protocol):
    """What a lowering emits target operations into (the compiler implements it).

    Values are opaque; every method returns a new value. ``op`` takes any ISA
    mnemonic that computes a value (``add`` ... ``trunc``, ``mov``).
    ``fast_math`` says whether the user allowed inexact rewrites; a lowering
    that makes one calls :meth:`note` so the report lists it.
    """

    fast_math: bool

    def note(self, rewrite: str) -> None:
        """Count an inexact rewrite the lowering made (``"fast-math: ..."``)."""
        ...

    def const(self, value: float) -> Any:
        """A constant (rounded to the target precision)."""
        ...

    def op(self, mnemonic: str, *args: Any) -> Any:
        """One target operation on scalar values."""
        ...

    def select(self, cond: Any, a: Any, b: Any) -> Any:
        """``a`` if ``cond != 0`` (NaN counts as true) else ``b``: one ``cmov``."""
        ...


class RefContext(Protocol):
    """Arithmetic in the target precision for reference semantics.

    Every method works element-wise on arrays of the target dtype (with
    NumPy broadcasting) and rounds each result once to the target precision,
    exactly as the EU of the same name does (target.md section 4).
    """

    dtype: Any
    precision: str

    def const(self, value: float | Sequence[float]) -> Vec: ...

    def fn(self, mnemonic: str, *args: Vec) -> Vec:
        """The ISA operation ``mnemonic`` applied element-wise."""
        ...

    def select(self, cond: Vec, a: Vec, b: Vec) -> Vec:
        """``a`` where ``cond != 0`` (NaN counts as true) else ``b``."""
        ...


# --- the block base class ----------------------------------------------------------


class Block:
    """Base class of every block type.

    Subclasses set the class attributes and override the methods they need.
    A block instance is stateless: every method receives the validated
    parameters ``p`` of the instance it works for.
    """

    #: Globally unique type name, ``library.name`` (``std.gain``).
    type_name: ClassVar[str] = ""
    #: Palette category (``Sources``, ``Math``, ``Discrete``, ...).
    category: ClassVar[str] = "Misc"
    #: Short label drawn on the block.
    label: ClassVar[str] = ""
    #: Documentation: first line a summary, then the meaning.
    doc: ClassVar[str] = ""
    #: Parameters, in the order the editor shows them.
    params: ClassVar[tuple[Param, ...]] = ()
    #: A structural block the compiler handles itself (subsystem, for-iterator).
    structural: ClassVar[bool] = False

    # -- description --------------------------------------------------------

    def validate(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Validated parameters: defaults filled, values converted.

        Raises
        ------
        ParamError
            A missing, unknown or invalid parameter; every parameter is
            checked before :meth:`check` sees the whole set.
        """
        known = {p.name for p in self.params}
        for name in raw:
            if name not in known:
                hint = f" (its parameters: {', '.join(sorted(known))})" if known else ""
                raise ParamError(name, f"{self.type_name} has no such parameter{hint}")
        out: dict[str, Any] = {}
        for prm in self.params:
            if prm.name in raw:
                try:
                    out[prm.name] = prm.convert(raw[prm.name])
                except ValueError as exc:
                    raise ParamError(prm.name, str(exc)) from None
            elif prm.default is REQUIRED:
                raise ParamError(prm.name, "is required")
            else:
                try:
                    out[prm.name] = prm.convert(prm.default)
                except ValueError as exc:  # a library's own default: its bug, named
                    raise ParamError(prm.name, f"invalid default: {exc}") from None
        self.check(out)
        return out

    def check(self, p: Params) -> None:
        """Validate the parameters as a whole; raise :class:`ParamError`."""

    def inputs(self, p: Params) -> tuple[str, ...]:
        """Input port names, in order."""
        return ("in",)

    def outputs(self, p: Params) -> tuple[str, ...]:
        """Output port names, in order."""
        return ("out",)

    def feedthrough(self, p: Params) -> bool:
        """Whether an output depends on the inputs of the same step."""
        return True

    def output_widths(self, p: Params, widths: Mapping[str, int]) -> dict[str, int]:
        """The width of every output given the input widths.

        The default suits element-wise blocks: every input has the same width
        or width 1 (a scalar, expanded), and so does every output.

        Raises
        ------
        BlockError
            Input widths the block cannot work with.
        """
        return {name: common_width(widths) for name in self.outputs(p)}

    def state_size(self, p: Params, widths: Mapping[str, int]) -> int:
        """Number of scalar state values (0 for a stateless block)."""
        return 0

    def initial_state(self, p: Params, widths: Mapping[str, int]) -> tuple[float, ...]:
        """The state before the first step (``state_size`` numbers)."""
        return ()

    # -- reference semantics ------------------------------------------------

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        """Outputs of one step from inputs ``u`` (empty without feedthrough) and state ``x``."""
        raise NotImplementedError(f"{self.type_name} has no reference semantics")

    def update(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> Vec:
        """The next state from the step's inputs and the current state."""
        return x

    # -- lowering -----------------------------------------------------------

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        """Emit the outputs (same contract as :meth:`output`, on builder values)."""
        raise NotImplementedError(f"{self.type_name} cannot be compiled")

    def lower_update(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> list[Any]:
        """Emit the next state (same contract as :meth:`update`)."""
        return x


def common_width(widths: Mapping[str, int]) -> int:
    """The common width of element-wise inputs (scalars expand).

    >>> common_width({"in1": 4, "in2": 1})
    4

    Raises
    ------
    BlockError
        Two inputs of different widths, neither a scalar.
    """
    wide = {w for w in widths.values() if w != 1}
    if len(wide) > 1:
        shown = ", ".join(f"{k} is {v}" for k, v in widths.items())
        raise BlockError(f"input widths do not match ({shown})")
    return wide.pop() if wide else 1


def expand(values: list[Any], width: int) -> list[Any]:
    """A lowering's scalar expanded to ``width`` (a vector is returned as is)."""
    return values * width if len(values) == 1 and width > 1 else values


def numbered(prefix: str, n: int) -> tuple[str, ...]:
    """Port names ``prefix1`` .. ``prefixN``.

    >>> numbered("in", 3)
    ('in1', 'in2', 'in3')
    """
    return tuple(f"{prefix}{i}" for i in range(1, n + 1))
