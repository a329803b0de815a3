"""Vector blocks: dot product, mux, demux, selector.

Only ``std.dot`` computes anything (products added left to right); the others
rearrange vector elements and lower to no instruction at all (vectors are
lowered to scalars, so building, splitting and picking elements is wiring).

``std.mux`` and ``std.demux`` take the parameter ``width`` named by
models.md section 3, with Simulink's meaning ("number or widths of
inputs/outputs"): a whole number N gives N ports, a list gives one port per
entry with the width of that entry.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from vtc.blocks.api import (
    Block,
    BlockError,
    Builder,
    Param,
    ParamError,
    Params,
    RefContext,
    Vec,
    numbered,
)

__all__ = ["BLOCKS", "Demux", "Dot", "Mux", "Selector"]

#: Largest number of ports of a mux or demux, and largest width or index.
MAX_PORTS = 4096


def _whole(x: float, what: str) -> int:
    """``x`` as an int in 1 .. MAX_PORTS; raises ``ValueError`` naming ``what``."""
    if not (math.isfinite(x) and x == int(x) and 1 <= x <= MAX_PORTS):
        raise ValueError(f"{what} must be a whole number from 1 to {MAX_PORTS}, not {x:g}")
    return int(x)


def _check_ports(value: Any) -> None:
    """Check of a ``width`` parameter: a count, or a list of widths."""
    if isinstance(value, float):
        _whole(value, "a number of ports")
    elif value and isinstance(value[0], tuple):
        raise ValueError("expected a number of ports or a list of widths, not a matrix")
    else:
        if len(value) > MAX_PORTS:
            raise ValueError(f"at most {MAX_PORTS} ports, not {len(value)}")
        for w in value:
            _whole(w, "every width")


def _ports(p: Params) -> tuple[int, tuple[int, ...] | None]:
    """The number of ports and, when the parameter lists them, their widths."""
    value = p["width"]
    if isinstance(value, float):
        return int(value), None
    widths = tuple(int(w) for w in value)
    return len(widths), widths


def _width_param(direction: str) -> Param:
    return Param(
        "width",
        "array",
        2,
        f"number of {direction}s, or a list of their widths (e.g. [2, 3])",
        check=_check_ports,
    )


class Dot(Block):
    """``std.dot``: dot product of two vectors of the same width."""

    type_name = "std.dot"
    category = "Vectors"
    label = "dot"
    doc = (
        "Dot product of `in1` and `in2` (same width), a scalar.\n\n"
        "The element products `in1[k] * in2[k]` are added left to right: "
        "`((in1[1]*in2[1] + in1[2]*in2[2]) + in1[3]*in2[3]) ...`, each "
        "operation rounded."
    )

    def inputs(self, p: Params) -> tuple[str, ...]:
        return ("in1", "in2")

    def output_widths(self, p: Params, widths: Mapping[str, int]) -> dict[str, int]:
        w1, w2 = widths.get("in1", 1), widths.get("in2", 1)
        if w1 != w2:
            raise BlockError(f"the inputs must have the same width (in1 is {w1}, in2 is {w2})")
        return {"out": 1}

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        products = ctx.fn("mul", u["in1"], u["in2"])
        acc = products[0:1]
        for k in range(1, len(products)):
            acc = ctx.fn("add", acc, products[k : k + 1])
        return {"out": acc}

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        acc = None
        for a, b in zip(u["in1"], u["in2"], strict=True):
            term = g.op("mul", a, b)
            acc = term if acc is None else g.op("add", acc, term)
        return {"out": [acc]}


class Mux(Block):
    """``std.mux``: concatenates its inputs into one vector."""

    type_name = "std.mux"
    category = "Vectors"
    label = "mux"
    doc = (
        "Builds a vector: `in1`, `in2`, ... `inN` concatenated in that order.\n\n"
        "`width` is the number of inputs N (each of any width), or a list of N "
        "widths that the inputs must have. The output's width is the sum of the "
        "input widths. Computes nothing (wiring only)."
    )
    params = (_width_param("input"),)

    def inputs(self, p: Params) -> tuple[str, ...]:
        return numbered("in", _ports(p)[0])

    def output_widths(self, p: Params, widths: Mapping[str, int]) -> dict[str, int]:
        _, wanted = _ports(p)
        names = self.inputs(p)
        actual = [widths.get(name, 1) for name in names]
        if wanted is not None:
            for name, want, got in zip(names, wanted, actual, strict=True):
                if want != got:
                    raise BlockError(f"input '{name}' has width {got}, 'width' says {want}")
        return {"out": sum(actual)}

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        return {"out": np.concatenate([u[name] for name in self.inputs(p)])}

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        return {"out": [v for name in self.inputs(p) for v in u[name]]}


class Demux(Block):
    """``std.demux``: splits a vector into consecutive parts."""

    type_name = "std.demux"
    category = "Vectors"
    label = "demux"
    doc = (
        "Splits a vector into `out1`..`outN`, consecutive parts in order.\n\n"
        "`width` is the number of outputs N, which then have equal widths (the "
        "input's width must be a multiple of N), or a list of N output widths "
        "that must add up to the input's width. Computes nothing (wiring only)."
    )
    params = (_width_param("output"),)

    def outputs(self, p: Params) -> tuple[str, ...]:
        return numbered("out", _ports(p)[0])

    def _split(self, p: Params, total: int) -> tuple[int, ...]:
        n, widths = _ports(p)
        if widths is None:
            if total % n:
                raise BlockError(
                    f"the input's width {total} does not split into {n} equal parts "
                    "(give 'width' as a list of output widths for unequal parts)"
                )
            return (total // n,) * n
        if sum(widths) != total:
            raise BlockError(
                f"the output widths add up to {sum(widths)}, the input's width is {total}"
            )
        return widths

    def output_widths(self, p: Params, widths: Mapping[str, int]) -> dict[str, int]:
        split = self._split(p, widths.get("in", 1))
        return dict(zip(self.outputs(p), split, strict=True))

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        v = u["in"]
        out: dict[str, Vec] = {}
        start = 0
        for name, w in zip(self.outputs(p), self._split(p, len(v)), strict=True):
            out[name] = v[start : start + w]
            start += w
        return out

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        v = u["in"]
        out: dict[str, list[Any]] = {}
        start = 0
        for name, w in zip(self.outputs(p), self._split(p, len(v)), strict=True):
            out[name] = list(v[start : start + w])
            start += w
        return out


def _check_indices(value: tuple[float, ...]) -> None:
    for i in value:
        if not (math.isfinite(i) and i == int(i) and i >= 1):
            raise ValueError(f"{i:g} is not an index (whole numbers from 1, as in Simulink)")


class Selector(Block):
    """``std.selector``: picks elements of a vector by 1-based index."""

    type_name = "std.selector"
    category = "Vectors"
    label = "sel"
    doc = (
        "Picks elements of its input: `out[k] = in[indices[k]]`.\n\n"
        "`indices` are 1-based (as in Simulink), in any order, repeats allowed; "
        "the output's width is the number of indices. Computes nothing (wiring "
        "only)."
    )
    params = (
        Param(
            "indices",
            "vector",
            (1.0,),
            "1-based indices of the elements to pick, e.g. [3, 1]",
            check=_check_indices,
        ),
    )

    def output_widths(self, p: Params, widths: Mapping[str, int]) -> dict[str, int]:
        width = widths.get("in", 1)
        for i in p["indices"]:
            if i > width:
                raise ParamError(
                    "indices", f"index {int(i)} is outside the input (width {width}, 1-based)"
                )
        return {"out": len(p["indices"])}

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        v = u["in"]
        return {"out": v[[int(i) - 1 for i in p["indices"]]]}

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        v = u["in"]
        return {"out": [v[int(i) - 1] for i in p["indices"]]}


#: The block types of this module, for the ``std`` library's list.
BLOCKS: tuple[type[Block], ...] = (Dot, Mux, Demux, Selector)
