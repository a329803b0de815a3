"""``std.expression``: a formula of its inputs (language: docs/expressions.md).

The formula is parsed by the project's own grammar
(:mod:`vtc.blocks.std.exprlang`); nothing in it is ever executed. Its exact
meaning (the reference semantics and the default lowering) is the formula as
written, one IEEE operation per operator; ``--fast-math`` may lower a sympy
simplification with fewer operations instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from vtc.blocks.api import Block, Builder, Param, Params, RefContext, Vec, common_width
from vtc.blocks.std.exprlang import Expr, evaluate, identifiers, lower_sympy, parse, simplify

__all__ = ["BLOCKS", "Expression"]


def _check_expr(text: str) -> None:
    parse(text)  # raises ExprError, a ValueError with the column


class _Ref:
    """:class:`vtc.blocks.std.exprlang.Ops` over a reference context."""

    def __init__(self, ctx: RefContext) -> None:
        self.ctx = ctx

    def const(self, value: float) -> Vec:
        return self.ctx.const([value])

    def op(self, mnemonic: str, *args: Vec) -> Vec:
        return self.ctx.fn(mnemonic, *args)

    def select(self, cond: Vec, a: Vec, b: Vec) -> Vec:
        return self.ctx.select(cond, a, b)


class Expression(Block):
    type_name = "std.expression"
    category = "Math"
    label = "f(u)"
    doc = (
        "A formula of its inputs, e.g. `a*sin(b) + 2*a`; one input port per free "
        "identifier, in order of first appearance.\n\n"
        "Language: numbers (`1`, `0.5`, `1e-3`), identifiers, `+ - * /`, `^` or `**` "
        "(right-associative, above unary minus: `-x^2` is `-(x^2)`), parentheses, "
        "`pi`, `e`, the functions exp exp2 ln log2 pow rsqrt sin cos tan atan atan2 "
        "floor ceil round trunc sqrt abs min max (min/max: 2 or more arguments), "
        "comparisons `< <= == != > >=` (lowest precedence, not chained) giving "
        "1.0/0.0, and `if(c, a, b)` (`a` where `c != 0`, NaN counting as true; both "
        "branches are evaluated). An expression without identifiers is a constant.\n\n"
        "Meaning: the formula as written, operands left to right, each operator one "
        "IEEE operation in the target precision (`a/b` is `div`, `a^b` is `pow`); "
        "literals, `pi` and `e` are rounded to the target precision. An exponent "
        "written as a whole-number literal n (|n| <= 64) multiplies instead: "
        "`x^2 = x*x`, `x^3 = (x*x)*x`, `x^4 = (x*x)*(x*x)`, `x^-1 = 1/x`, `x^0 = 1`; "
        "`x^0.5 = sqrt(x)`, `x^-0.5 = 1/sqrt(x)`. `a > b` is `b < a`; min/max fold "
        "left. Element-wise on vectors, scalars expand.\n\n"
        "With --fast-math the formula may be replaced by a sympy simplification with "
        "fewer operations (reported); results then differ by rounding, and "
        "identities that fail for NaN, infinities or outside a function's domain "
        "(`x/x = 1`, `sqrt(x)^2 = x`) are assumed."
    )
    params = (
        Param(
            "expr",
            "str",
            doc="the formula, e.g. 'a*sin(b) + 2*a' (see docs/expressions.md)",
            check=_check_expr,
        ),
    )

    def _tree(self, p: Params) -> Expr:
        return parse(p["expr"])

    def inputs(self, p: Params) -> tuple[str, ...]:
        return identifiers(self._tree(p))

    def output_widths(self, p: Params, widths: Mapping[str, int]) -> dict[str, int]:
        return {"out": common_width(widths)}

    def output(self, p: Params, ctx: RefContext, u: Mapping[str, Vec], x: Vec) -> dict[str, Vec]:
        width = common_width({k: len(v) for k, v in u.items()})
        out = evaluate(self._tree(p), u, _Ref(ctx))
        if len(out) != width:  # a result that no longer depends on the inputs (x^0)
            out = np.repeat(out, width)
        return {"out": out}

    def lower_output(
        self, p: Params, g: Builder, u: Mapping[str, list[Any]], x: list[Any]
    ) -> dict[str, list[Any]]:
        tree = self._tree(p)
        width = common_width({k: len(v) for k, v in u.items()})
        envs = [{k: v[i] if len(v) > 1 else v[0] for k, v in u.items()} for i in range(width)]
        if g.fast_math:
            found = simplify(tree)
            if found is not None:
                g.note(
                    f"fast-math: expression simplified ({found.before} -> {found.after} operations)"
                )
                return {"out": [lower_sympy(found.expr, env, g) for env in envs]}
        return {"out": [evaluate(tree, env, g) for env in envs]}


#: The block types of this module.
BLOCKS: tuple[type[Block], ...] = (Expression,)
