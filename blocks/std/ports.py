"""Structural blocks: model ports, constants, scopes, subsystems, for-iterators.

Inports, outports, subsystems and for-iterators are *structural*: the
reference interpreter and the compiler handle them themselves (an inport is an
``in`` of the model or a wire into a subsystem, a for-iterator is a hardware
loop). Their classes here describe ports and parameters for the editor, the
file checker and ``vtc blocks``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vtc.blocks.api import Block, Builder, Param, Params, RefContext, Vec

__all__ = ["Constant", "ForIterator", "Inport", "Outport", "Scope", "Subsystem"]

_FORMAT_DOC = "f32, f64, i8/i16/i32, u8/u16/u32 or qM.N; empty: the target precision"


def _check_format(text: str) -> None:
    import re

    if text and not re.fullmatch(r"f32|f64|[iu](8|16|32)|q\d+\.\d+", text):
        raise ValueError(f"'{text}' is not a port format ({_FORMAT_DOC})")
    m = re.fullmatch(r"q(\d+)\.(\d+)", text or "")
    if m and not (int(m.group(1)) >= 1 and int(m.group(1)) + int(m.group(2)) <= 32):
        raise ValueError(f"'{text}': qM.N needs M >= 1 and M + N <= 32")


class Inport(Block):
    type_name = "std.inport"
    category = "Ports"
    label = "In"
    doc = (
        "Model input (or a subsystem's input port).\n\n"
        "At the top level, one value per step is read from input port `port` "
        "(converted from `format`); a vector of `width` elements takes `width` "
        "consecutive hardware ports. Inside a subsystem the block's id is the "
        "subsystem's port name; inside a for-iterator an inport named `k` gives "
        "the iteration index."
    )
    structural = True
    params = (
        Param("port", "int", 0, "port number (the model's inputs are ordered by it)", minimum=0),
        Param("format", "str", "", _FORMAT_DOC, check=_check_format),
        Param("width", "int", 1, "vector width", minimum=1, maximum=4096),
    )

    def inputs(self, p: Params) -> tuple[str, ...]:
        return ()

    def output_widths(self, p: Params, widths: Mapping[str, int]) -> dict[str, int]:
        return {"out": int(p["width"])}


class Outport(Block):
    type_name = "std.outport"
    category = "Ports"
    label = "Out"
    doc = (
        "Model output (or a subsystem's output port).\n\n"
        "At the top level, the value is written to output port `port` once per "
        "step, converted to `format`; a vector takes consecutive ports."
    )
    structural = True
    params = (
        Param("port", "int", 0, "port number (the model's outputs are ordered by it)", minimum=0),
        Param("format", "str", "", _FORMAT_DOC, check=_check_format),
    )

    def outputs(self, p: Params) -> tuple[str, ...]:
        return ()

    def output_widths(self, p: Params, widths: Mapping[str, int]) -> dict[str, int]:
        return {}


class Constant(Block):
    type_name = "std.constant"
    category = "Sources"
    label = "Const"
    doc = "A constant scalar or vector (rounded to the target precision)."
    params = (Param("value", "vector", 0.0, "a number or a list of numbers"),)

    def inputs(self, p: Params) -> tuple[str, ...]:
        return ()

    def output_widths(self, p: Params, widths: Mapping[str, int]) -> dict[str, int]:
        return {"out": len(p["value"])}

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        return {"out": ctx.const(p["value"])}

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        return {"out": [g.const(v) for v in p["value"]]}


class Scope(Block):
    type_name = "std.scope"
    category = "Sinks"
    label = "Scope"
    doc = "Shows its input in the editor's simulation view; compiles to nothing."
    params = ()

    def outputs(self, p: Params) -> tuple[str, ...]:
        return ()

    def output_widths(self, p: Params, widths: Mapping[str, int]) -> dict[str, int]:
        return {}

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        return {}

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        return {}


class Subsystem(Block):
    type_name = "std.subsystem"
    category = "Structure"
    label = "Subsystem"
    doc = (
        "A group of blocks (hierarchy only: it computes nothing itself).\n\n"
        "Its ports are the inports and outports inside it, named by their ids."
    )
    structural = True
    params = ()


class ForIterator(Block):
    type_name = "std.for_iterator"
    category = "Structure"
    label = "For"
    doc = (
        "Runs its contents n times per step (a hardware loop, or unrolled when cheaper).\n\n"
        "Inputs hold their value across iterations, states are kept across "
        "iterations and steps, outputs are the last iteration's values; an "
        "inport named `k` inside gives the iteration index 0 .. n-1."
    )
    structural = True
    params = (Param("n", "int", 1, "iterations per step", minimum=1, maximum=65535),)
