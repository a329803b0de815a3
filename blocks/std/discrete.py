"""Discrete-time blocks with state: delays."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vtc.blocks.api import Block, BlockError, Builder, Param, Params, RefContext, Vec

__all__ = ["UnitDelay"]


def _initial(p: Params, width: int) -> tuple[float, ...]:
    init: tuple[float, ...] = tuple(p["initial"])
    if len(init) == 1:
        return init * width
    if len(init) != width:
        raise BlockError(f"'initial' has {len(init)} values, the signal is of width {width}")
    return tuple(init)


class UnitDelay(Block):
    type_name = "std.unit_delay"
    category = "Discrete"
    label = "z⁻¹"
    doc = (
        "z^-1: the output is the input of the previous step (`initial` at the "
        "first step). No direct feedthrough, so it may close a feedback loop."
    )
    params = (Param("initial", "vector", 0.0, "output of the first step (number or vector)"),)

    def feedthrough(self, p: Params) -> bool:
        return False

    def output_widths(self, p: Params, widths: Mapping[str, int]) -> dict[str, int]:
        width = widths.get("in", len(p["initial"]))
        _initial(p, width)
        return {"out": width}

    def state_size(self, p: Params, widths: Mapping[str, int]) -> int:
        return widths.get("in", 1)

    def initial_state(self, p: Params, widths: Mapping[str, int]) -> tuple[float, ...]:
        return _initial(p, widths.get("in", 1))

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        return {"out": x}

    def update(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> Vec:
        return u["in"]

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        return {"out": list(x)}

    def lower_update(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> list[Any]:
        return list(u["in"])
