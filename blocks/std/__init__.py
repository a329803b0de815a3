"""The standard block library ``std`` (models.md section 3).

Registered through the entry point ``std = "vtc.blocks.std:BLOCKS"``, like any
third-party library.
"""

from __future__ import annotations

from vtc.blocks.api import Block
from vtc.blocks.std.basic import Gain, Sum
from vtc.blocks.std.discrete import UnitDelay
from vtc.blocks.std.expression import BLOCKS as _EXPRESSION
from vtc.blocks.std.filters import BLOCKS as _FILTERS
from vtc.blocks.std.mathblocks import BLOCKS as _MATHBLOCKS
from vtc.blocks.std.ports import Constant, ForIterator, Inport, Outport, Scope, Subsystem
from vtc.blocks.std.vectors import BLOCKS as _VECTORS

__all__ = ["BLOCKS"]

#: Every block type of the standard library.
BLOCKS: tuple[type[Block], ...] = (
    Inport,
    Outport,
    Constant,
    Scope,
    Subsystem,
    ForIterator,
    Sum,
    Gain,
    UnitDelay,
    *_MATHBLOCKS,
    *_VECTORS,
    *_FILTERS,
    *_EXPRESSION,
)
