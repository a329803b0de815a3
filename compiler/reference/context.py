"""Arithmetic in the target precision on NumPy arrays (the reference's EUs).

The basic operations (``add sub mul div sqrt sqr rcp neg abs mov``) are
NumPy's own IEEE arithmetic in the target dtype, correctly rounded: an
implementation independent of the simulator's (binary64 and one rounding).
The other operations are defined as in target.md section 4 by
:mod:`vtc.compiler.machine.semantics` (CPython's ``math`` on the binary64
operand, rounded once), which the simulator shares by definition.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from vtc.blocks.api import Vec
from vtc.compiler.machine import semantics as sem

__all__ = ["NumpyContext"]

_NUMPY: dict[str, Callable[..., Any]] = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.divide,
    "sqrt": np.sqrt,
    "sqr": lambda a: np.multiply(a, a),
    "rcp": lambda a: np.divide(np.ones_like(a), a),
    "neg": np.negative,
    "abs": np.abs,
    "mov": lambda a: a.copy(),
}

_MATH = {
    name: getattr(sem, f"f_{name}")
    for name in (
        "min max cmplt cmple cmpeq cmpne sin cos tan atan atan2 exp exp2 pow ln log2 "
        "floor ceil round trunc rsqrt"
    ).split()
}


class NumpyContext:
    """Element-wise target arithmetic (see :class:`vtc.blocks.api.RefContext`).

    Parameters
    ----------
    precision:
        ``"single"`` (``numpy.float32``) or ``"double"`` (``numpy.float64``).
    """

    def __init__(self, precision: str) -> None:
        self.precision = precision
        self.dtype: Any = np.float32 if precision == "single" else np.float64
        self._vec = {
            name: np.frompyfunc(fn, fn.__code__.co_argcount, 1) for name, fn in _MATH.items()
        }

    def const(self, value: float | Sequence[float]) -> Vec:
        """Numbers rounded to the target precision, as a 1-D array."""
        return np.atleast_1d(np.asarray(value, dtype=np.float64)).astype(self.dtype)

    def fn(self, mnemonic: str, *args: Vec) -> Vec:
        """The ISA operation ``mnemonic`` applied element-wise."""
        arrays = [np.atleast_1d(np.asarray(a, dtype=self.dtype)) for a in args]
        with np.errstate(all="ignore"):
            basic = _NUMPY.get(mnemonic)
            if basic is not None:
                return np.asarray(basic(*arrays), dtype=self.dtype)
            vec = self._vec.get(mnemonic)
            if vec is None:
                raise ValueError(f"no such operation '{mnemonic}'")
            wide = [a.astype(np.float64) for a in arrays]
            return np.atleast_1d(np.asarray(vec(*wide), dtype=np.float64)).astype(self.dtype)

    def select(self, cond: Vec, a: Vec, b: Vec) -> Vec:
        """``a`` where ``cond != 0`` (NaN counts as true), else ``b``."""
        c, x, y = (np.atleast_1d(np.asarray(v, dtype=self.dtype)) for v in (cond, a, b))
        return np.asarray(np.where(c != 0, x, y), dtype=self.dtype)
