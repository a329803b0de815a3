"""Comparing assembly IR without its source locations (shared by the parser and printer tests)."""

from __future__ import annotations

import dataclasses
from typing import Any

_LOC_FIELDS = frozenset({"loc", "end_loc", "target_loc"})
_FLAG_FIELDS = frozenset({"scheduled_loc"})  # a location that stands for a flag


def shape(x: Any) -> Any:
    """``x`` without source locations, floats by repr (so NaN equals NaN and -0.0 is kept)."""
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return (
            type(x).__name__,
            tuple(
                (f.name, getattr(x, f.name) is not None)
                if f.name in _FLAG_FIELDS
                else (f.name, shape(getattr(x, f.name)))
                for f in dataclasses.fields(x)
                if f.name not in _LOC_FIELDS
            ),
        )
    if isinstance(x, tuple):
        return tuple(shape(item) for item in x)
    if isinstance(x, float):
        return repr(x)
    return x
