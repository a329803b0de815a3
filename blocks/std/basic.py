"""Basic arithmetic blocks: sum, gain.

The order of operations is part of each block's meaning (both the reference
semantics and the lowering follow it), so compiled code equals the reference
bit for bit: sums add left to right, a matrix gain adds row products left to
right, skipping entries that are exactly zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vtc.blocks.api import (
    Block,
    BlockError,
    Builder,
    Param,
    ParamError,
    Params,
    RefContext,
    Vec,
    common_width,
    expand,
    numbered,
)

__all__ = ["Gain", "Sum"]


class Sum(Block):
    type_name = "std.sum"
    category = "Math"
    label = "Σ"
    doc = (
        "Signed sum of its inputs, added left to right.\n\n"
        "`signs` has one `+` or `-` per input (`in1`..`inN`). With one input the "
        "elements of the input vector are summed into a scalar."
    )
    params = (Param("signs", "str", "++", "one + or - per input, e.g. '+-+'"),)

    def check(self, p: Params) -> None:
        signs = p["signs"]
        if not signs or any(c not in "+-" for c in signs):
            raise ParamError("signs", f"'{signs}' must be made of + and - only, at least one")

    def inputs(self, p: Params) -> tuple[str, ...]:
        return numbered("in", len(p["signs"]))

    def output_widths(self, p: Params, widths: Mapping[str, int]) -> dict[str, int]:
        if len(p["signs"]) == 1:
            return {"out": 1}
        return {"out": common_width(widths)}

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        signs = p["signs"]
        if len(signs) == 1:
            v = u["in1"]
            terms = [v[i : i + 1] for i in range(len(v))]
            signs = signs * len(terms)
        else:
            terms = [u[name] for name in self.inputs(p)]
        acc = terms[0] if signs[0] == "+" else ctx.fn("neg", terms[0])
        for sign, term in zip(signs[1:], terms[1:], strict=True):
            acc = ctx.fn("add" if sign == "+" else "sub", acc, term)
        return {"out": acc}

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        signs = p["signs"]
        if len(signs) == 1:
            parts = [[v] for v in u["in1"]]
            signs = signs * len(parts)
            width = 1
        else:
            parts = [u[name] for name in self.inputs(p)]
            width = max(len(v) for v in parts)
            parts = [expand(v, width) for v in parts]
        out = []
        for i in range(width):
            acc = parts[0][i] if signs[0] == "+" else g.op("neg", parts[0][i])
            for sign, part in zip(signs[1:], parts[1:], strict=True):
                acc = g.op("add" if sign == "+" else "sub", acc, part[i])
            out.append(acc)
        return {"out": out}


class Gain(Block):
    type_name = "std.gain"
    category = "Math"
    label = "K"
    doc = (
        "Multiplies by `k`: a number or a vector (element-wise), or an m x n "
        "matrix (times an n-vector, giving an m-vector).\n\n"
        "Row i of a matrix gives `k[i][j]*in[j]` for the entries that are not "
        "exactly zero, added left to right (a row of zeros gives +0)."
    )
    params = (Param("k", "array", 1.0, "gain: number, vector or matrix (list of rows)"),)

    def _matrix(self, p: Params) -> tuple[tuple[float, ...], ...] | None:
        k = p["k"]
        return k if isinstance(k, tuple) and isinstance(k[0], tuple) else None

    def output_widths(self, p: Params, widths: Mapping[str, int]) -> dict[str, int]:
        m = self._matrix(p)
        w = widths.get("in", 1)
        if m is not None:
            if w != len(m[0]):
                raise BlockError(
                    f"a {len(m)}x{len(m[0])} gain needs an input of width {len(m[0])}, not {w}"
                )
            return {"out": len(m)}
        k = p["k"]
        kw = len(k) if isinstance(k, tuple) else 1
        return {"out": common_width({"in": w, "k": kw})}

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        m = self._matrix(p)
        v = u["in"]
        if m is None:
            k = p["k"]
            return {"out": ctx.fn("mul", v, ctx.const(k if isinstance(k, tuple) else [k]))}
        rows = []
        for row in m:
            acc: Vec | None = None
            for j, kij in enumerate(row):
                if kij == 0.0:
                    continue
                term = ctx.fn("mul", ctx.const([kij]), v[j : j + 1])
                acc = term if acc is None else ctx.fn("add", acc, term)
            rows.append(ctx.const([0.0]) if acc is None else acc)
        return {"out": ctx.const([float(r[0]) for r in rows])}

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        m = self._matrix(p)
        v = u["in"]
        if m is None:
            k = p["k"]
            ks = list(k) if isinstance(k, tuple) else [k]
            width = max(len(v), len(ks))
            return {
                "out": [
                    g.op("mul", a, g.const(b))
                    for a, b in zip(expand(v, width), expand(ks, width), strict=True)
                ]
            }
        out = []
        for row in m:
            acc = None
            for j, kij in enumerate(row):
                if kij == 0.0:
                    continue
                term = g.op("mul", g.const(kij), v[j])
                acc = term if acc is None else g.op("add", acc, term)
            out.append(g.const(0.0) if acc is None else acc)
        return {"out": out}
