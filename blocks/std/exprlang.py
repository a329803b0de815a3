"""The expression language of ``std.expression`` (docs/expressions.md).

A text such as ``"a*sin(b) + 2*a"`` is parsed by a LALR grammar (lark) into a
small tree of frozen dataclasses (:data:`Expr`); nothing in the text is ever
executed, imported or looked up in Python. The tree has three uses:

* :func:`evaluate` gives its **exact meaning**: the tree as written, each
  operator one IEEE operation of the target, left operand first. The same
  walk drives the reference semantics (NumPy arrays through a ``RefContext``)
  and the lowering (a ``Builder``), so compiled code equals the reference bit
  for bit.
* :func:`to_sympy` converts it to a sympy expression built with sympy's
  constructors (never by parsing text), for analysis.
* :func:`simplify` (``--fast-math`` only) searches sympy rewrites of it for
  one with fewer operations; :func:`lower_sympy` turns the result back into
  target operations. Results are cached by the tree's structure, so many
  blocks with the same expression are simplified once.

Grammar, lowest precedence first::

    comparison := sum [("<" | "<=" | "==" | "!=" | ">" | ">=") sum]
    sum        := product (("+" | "-") product)*          left-associative
    product    := unary (("*" | "/") unary)*              left-associative
    unary      := ("+" | "-")* power                      -x^2 = -(x^2)
    power      := atom [("^" | "**") unary]               right-associative
    atom       := NUMBER | NAME | NAME "(" [args] ")" | "(" comparison ")"
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol, TypeVar

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "BinOp",
    "Call",
    "Compare",
    "Const",
    "Expr",
    "ExprError",
    "Name",
    "Neg",
    "Num",
    "Ops",
    "Simplified",
    "Unsupported",
    "children",
    "count_operations",
    "evaluate",
    "identifiers",
    "lower_sympy",
    "parse",
    "simplify",
    "to_sympy",
]

T = TypeVar("T")

#: Named constants: their float64 value, rounded to the target precision when used.
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}

#: Functions: name -> (fewest arguments, most arguments or None for no limit).
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    **dict.fromkeys(("exp", "exp2", "ln", "log2", "rsqrt", "sqrt", "abs"), (1, 1)),
    **dict.fromkeys(("sin", "cos", "tan", "atan"), (1, 1)),
    **dict.fromkeys(("floor", "ceil", "round", "trunc"), (1, 1)),
    "pow": (2, 2),
    "atan2": (2, 2),
    "min": (2, None),
    "max": (2, None),
    "if": (3, 3),
}

#: The deepest tree accepted (keeps every recursive walk far from Python's limit).
MAX_DEPTH = 200

_TOO_DEEP = f"the expression is nested too deeply (at most {MAX_DEPTH} levels)"

#: Integer literal exponents up to this magnitude become multiplications.
MAX_INT_EXPONENT = 64


class ExprError(ValueError):
    """An expression that is not valid; ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        where = f"column {column}" if line == 1 else f"line {line}, column {column}"
        super().__init__(f"{where}: {message}")
        self.message = message
        self.line = line
        self.column = column


# --- the tree -----------------------------------------------------------------------------
#
# Positions are not part of a node's identity (compare=False), so equality and
# hashing are structural: "a*b" and "a * b" are the same tree.


def _pos() -> Any:
    return field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Num:
    """A number literal (its value as a float64, and its text)."""

    value: float
    text: str = field(compare=False, default="")
    line: int = _pos()
    column: int = _pos()


@dataclass(frozen=True, slots=True)
class Name:
    """A free identifier: an input of the block."""

    name: str
    line: int = _pos()
    column: int = _pos()


@dataclass(frozen=True, slots=True)
class Const:
    """A named constant (``pi``, ``e``)."""

    name: str
    line: int = _pos()
    column: int = _pos()


@dataclass(frozen=True, slots=True)
class Neg:
    """Unary minus."""

    operand: Expr
    line: int = _pos()
    column: int = _pos()


@dataclass(frozen=True, slots=True)
class BinOp:
    """``left op right`` with ``op`` one of ``+ - * / ^`` (``**`` is ``^``)."""

    op: str
    left: Expr
    right: Expr
    line: int = _pos()
    column: int = _pos()


@dataclass(frozen=True, slots=True)
class Compare:
    """``left op right`` with ``op`` one of ``< <= == != > >=``: 1.0 or 0.0."""

    op: str
    left: Expr
    right: Expr
    line: int = _pos()
    column: int = _pos()


@dataclass(frozen=True, slots=True)
class Call:
    """A call of one of :data:`FUNCTIONS`."""

    fn: str
    args: tuple[Expr, ...]
    line: int = _pos()
    column: int = _pos()


Expr = Num | Name | Const | Neg | BinOp | Compare | Call


def children(node: Expr) -> tuple[Expr, ...]:
    """The operands of ``node``, left to right."""
    if isinstance(node, Neg):
        return (node.operand,)
    if isinstance(node, BinOp | Compare):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    return ()


# --- parsing ----------------------------------------------------------------------------

_GRAMMAR = r"""
?start: comparison
?comparison: sum (COMPARE sum)?
?sum: product ((PLUS | MINUS) product)*
?product: unary ((STAR | SLASH) unary)*
?unary: (PLUS | MINUS)* power
?power: atom (POW unary)?
?atom: NUMBER | NAME | call | "(" comparison ")"
call: NAME "(" ")" | NAME "(" comparison ("," comparison)* ")"
COMPARE: "<=" | ">=" | "==" | "!=" | "<" | ">"
PLUS: "+"
MINUS: "-"
STAR: "*"
SLASH: "/"
POW: "^" | "**"
NUMBER: /(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/
NAME: /[A-Za-z_][A-Za-z0-9_]*/
%ignore /[ \t\r\n]+/
"""

_HINTS = {
    "'": "strings are not part of the language",
    '"': "strings are not part of the language",
    ".": "attribute access is not part of the language",
    "[": "indexing is not part of the language",
    "=": "assignment is not part of the language; compare with ==",
    ":": "this is not Python: only arithmetic, comparisons and the listed functions",
    "&": "use if(c, a, b) and comparisons instead of logical operators",
    "|": "use if(c, a, b) and comparisons instead of logical operators",
}


@lru_cache(maxsize=1)
def _parser() -> Any:
    from lark import Lark

    return Lark(_GRAMMAR, parser="lalr", lexer="contextual")


def _known() -> str:
    return ", ".join(sorted(FUNCTIONS))


def _end_position(text: str) -> tuple[int, int]:
    stripped = text.rstrip()
    lines = stripped.split("\n")
    return len(lines), len(lines[-1]) + 1


@lru_cache(maxsize=4096)
def parse(text: str) -> Expr:
    """The tree of ``text``.

    Raises
    ------
    ExprError
        Any text that is not an expression of the language (the message gives
        the column): syntax errors, unknown functions, wrong numbers of
        arguments, a function or constant name used the wrong way, names that
        do not start with a letter, numbers that overflow, trees deeper than
        :data:`MAX_DEPTH`.
    """
    from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

    if not text.strip():
        raise ExprError("the expression is empty")
    try:
        tree = _parser().parse(text)
    except UnexpectedCharacters as exc:
        pos = exc.pos_in_stream or 0
        char = text[pos] if pos < len(text) else "?"
        hint = _HINTS.get(char)
        message = f"unexpected character {char!r}" + (f" ({hint})" if hint else "")
        raise ExprError(message, exc.line, exc.column) from None
    except UnexpectedToken as exc:
        tok = exc.token
        if tok.type == "$END":
            line, column = _end_position(text)
            missing = text.count("(") - text.count(")")
            message = "the expression ends too early" + (
                " (a ')' is missing)" if missing > 0 else ""
            )
            raise ExprError(message, line, column) from None
        message = f"unexpected {str(tok)!r}"
        if tok.type == "COMPARE":
            message += " (comparisons do not chain: use parentheses, e.g. (a < b) == c)"
        elif tok.type in ("NAME", "NUMBER"):
            message += " (an operator is missing before it)"
        raise ExprError(message, tok.line, tok.column) from None
    except UnexpectedInput as exc:  # pragma: no cover - other lark errors
        raise ExprError("not an expression", exc.line, exc.column) from None
    try:
        node, _ = _build(tree)
    except RecursionError:
        raise ExprError(_TOO_DEEP) from None
    return node


def _build(t: Any) -> tuple[Expr, int]:
    """The tree of a lark tree or token, and its depth."""
    from lark import Token

    if isinstance(t, Token):
        return _leaf(t), 1
    kids = t.children
    if t.data == "call":
        return _call(kids[0], [_build(k) for k in kids[1:]])
    if t.data == "unary":
        node, depth = _build(kids[-1])
        for sign in reversed(kids[:-1]):
            if sign.type == "MINUS":
                node = Neg(node, line=sign.line, column=sign.column)
                depth = _deeper(depth, sign)
        return node, depth
    if t.data == "comparison":
        (left, dl), (right, dr) = _build(kids[0]), _build(kids[2])
        op = kids[1]
        return Compare(str(op), left, right, line=op.line, column=op.column), _deeper(
            max(dl, dr), op
        )
    if t.data == "power":
        (left, dl), (right, dr) = _build(kids[0]), _build(kids[2])
        op = kids[1]
        return BinOp("^", left, right, line=op.line, column=op.column), _deeper(max(dl, dr), op)
    # sum, product: fold left
    node, depth = _build(kids[0])
    for i in range(1, len(kids), 2):
        op = kids[i]
        right, dr = _build(kids[i + 1])
        node = BinOp(str(op), node, right, line=op.line, column=op.column)
        depth = _deeper(max(depth, dr), op)
    return node, depth


def _deeper(depth: int, tok: Any) -> int:
    if depth + 1 > MAX_DEPTH:
        raise ExprError(
            _TOO_DEEP,
            tok.line,
            tok.column,
        )
    return depth + 1


def _leaf(tok: Any) -> Expr:
    text, line, column = str(tok), tok.line, tok.column
    if tok.type == "NUMBER":
        value = float(text)
        if math.isinf(value):
            raise ExprError(f"the number {text} is too large", line, column)
        return Num(value, text, line=line, column=column)
    _check_name(text, line, column)
    if text in CONSTANTS:
        return Const(text, line=line, column=column)
    if text in FUNCTIONS:
        raise ExprError(
            f"'{text}' is a function: call it with arguments, e.g. {text}(x)", line, column
        )
    return Name(text, line=line, column=column)


def _check_name(text: str, line: int, column: int) -> None:
    if not text[0].isalpha():
        raise ExprError(
            f"the name '{text}' is not allowed: names start with a letter", line, column
        )


def _call(name_tok: Any, built: list[tuple[Expr, int]]) -> tuple[Expr, int]:
    name, line, column = str(name_tok), name_tok.line, name_tok.column
    _check_name(name, line, column)
    if name in CONSTANTS:
        raise ExprError(f"'{name}' is a constant, not a function", line, column)
    arity = FUNCTIONS.get(name)
    if arity is None:
        raise ExprError(f"unknown function '{name}' (known: {_known()})", line, column)
    lo, hi = arity
    n = len(built)
    if n < lo or (hi is not None and n > hi):
        want = f"{lo}" if lo == hi else f"{lo} or more"
        plural = "" if lo == hi == 1 else "s"
        raise ExprError(f"{name} takes {want} argument{plural}, not {n}", line, column)
    args = tuple(a for a, _ in built)
    depth = max((d for _, d in built), default=0)
    return Call(name, args, line=line, column=column), _deeper(depth, name_tok)


def identifiers(node: Expr) -> tuple[str, ...]:
    """The free identifiers of ``node`` in order of first appearance in the text."""
    seen: dict[str, None] = {}
    stack: list[Expr] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Name):
            seen.setdefault(n.name, None)
        stack.extend(reversed(children(n)))
    return tuple(seen)


# --- exact meaning ------------------------------------------------------------------------


class Ops(Protocol[T]):
    """What :func:`evaluate` computes with: a ``Builder``, or a ``RefContext`` adapter."""

    def const(self, value: float) -> T: ...

    def op(self, mnemonic: str, *args: T) -> T: ...

    def select(self, cond: T, a: T, b: T) -> T: ...


_ARITH = {"+": "add", "-": "sub", "*": "mul", "/": "div"}
_UNARY_FN = {
    "exp": "exp",
    "exp2": "exp2",
    "ln": "ln",
    "log2": "log2",
    "rsqrt": "rsqrt",
    "sqrt": "sqrt",
    "abs": "abs",
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "atan": "atan",
    "floor": "floor",
    "ceil": "ceil",
    "round": "round",
    "trunc": "trunc",
}


def literal_exponent(node: Expr) -> float | None:
    """The value of an exponent written as a number literal (with an optional ``-``)."""
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Neg) and isinstance(node.operand, Num):
        return -node.operand.value
    return None


def _int_power(x: T, n: int, ops: Ops[T]) -> T:
    """``x^n`` for ``n >= 1`` by squaring: x^2 = x*x, x^3 = (x*x)*x, x^2k = x^k*x^k."""
    if n == 1:
        return x
    if n % 2:
        return ops.op("mul", _int_power(x, n - 1, ops), x)
    half = _int_power(x, n // 2, ops)
    return ops.op("mul", half, half)


def power(base: T, k: float | None, exponent: Callable[[], T], ops: Ops[T]) -> T:
    """``base ^ exponent`` where ``k`` is the exponent's literal value, if it is one.

    A whole-number literal ``n`` with ``|n| <=`` :data:`MAX_INT_EXPONENT` is
    repeated multiplication (``1/x^|n|`` when negative, ``1.0`` for 0); the
    literal 0.5 is ``sqrt``, -0.5 is ``1/sqrt``; any other exponent is one
    ``pow``.
    """
    if k is not None and k.is_integer() and abs(k) <= MAX_INT_EXPONENT:
        n = int(k)
        if n == 0:
            return ops.const(1.0)
        p = _int_power(base, abs(n), ops)
        return p if n > 0 else ops.op("div", ops.const(1.0), p)
    if k == 0.5:
        return ops.op("sqrt", base)
    if k == -0.5:
        return ops.op("div", ops.const(1.0), ops.op("sqrt", base))
    return ops.op("pow", base, exponent())


def evaluate(node: Expr, env: Mapping[str, T], ops: Ops[T]) -> T:
    """The exact meaning of ``node``: one operation per operator, as written.

    Operands are evaluated left to right; ``a > b`` is ``cmplt(b, a)`` and
    ``a >= b`` is ``cmple(b, a)``; ``min``/``max`` of several arguments fold
    left; ``if(c, a, b)`` evaluates all three and selects (``a`` where
    ``c != 0``, NaN counting as true); ``pi`` and ``e`` are constants.
    Exponents: see :func:`power`.
    """
    if isinstance(node, Num):
        return ops.const(node.value)
    if isinstance(node, Const):
        return ops.const(CONSTANTS[node.name])
    if isinstance(node, Name):
        return env[node.name]
    if isinstance(node, Neg):
        return ops.op("neg", evaluate(node.operand, env, ops))
    if isinstance(node, BinOp):
        left = evaluate(node.left, env, ops)
        if node.op == "^":
            right = node.right
            return power(left, literal_exponent(right), lambda: evaluate(right, env, ops), ops)
        return ops.op(_ARITH[node.op], left, evaluate(node.right, env, ops))
    if isinstance(node, Compare):
        a, b = evaluate(node.left, env, ops), evaluate(node.right, env, ops)
        if node.op == "<":
            return ops.op("cmplt", a, b)
        if node.op == "<=":
            return ops.op("cmple", a, b)
        if node.op == ">":
            return ops.op("cmplt", b, a)
        if node.op == ">=":
            return ops.op("cmple", b, a)
        return ops.op("cmpeq" if node.op == "==" else "cmpne", a, b)
    args = [evaluate(a, env, ops) for a in node.args]
    if node.fn == "if":
        return ops.select(args[0], args[1], args[2])
    if node.fn in ("min", "max"):
        acc = args[0]
        for a in args[1:]:
            acc = ops.op(node.fn, acc, a)
        return acc
    if node.fn in ("pow", "atan2"):
        return ops.op(node.fn, args[0], args[1])
    return ops.op(_UNARY_FN[node.fn], args[0])


class _Counter:
    """An :class:`Ops` that counts distinct operations (equal operations once)."""

    def __init__(self) -> None:
        self.ops: dict[tuple[Any, ...], int] = {}

    def const(self, value: float) -> Any:
        return ("const", value)

    def op(self, mnemonic: str, *args: Any) -> Any:
        key = (mnemonic, *args)
        return ("v", self.ops.setdefault(key, len(self.ops)))

    def select(self, cond: Any, a: Any, b: Any) -> Any:
        return self.op("cmov", cond, a, b)


def count_operations(
    run: Callable[[Ops[Any], Mapping[str, Any]], Any], names: tuple[str, ...]
) -> int:
    """The number of distinct operations ``run(ops, env)`` emits for scalar inputs."""
    counter = _Counter()
    run(counter, {n: ("in", n) for n in names})
    return len(counter.ops)


# --- sympy -----------------------------------------------------------------------------------


def _sympy() -> Any:
    """sympy, imported on first use (it is slow to import; it has no type hints)."""
    return importlib.import_module("sympy")


def to_sympy(node: Expr, *, evaluate: bool = False) -> Any:
    """``node`` as a sympy expression, built with sympy's constructors.

    Identifiers are real symbols; ``a - b`` is ``a + (-1)*b``, ``a / b`` is
    ``a * b^-1``, ``exp2(x)`` is ``2^x``, ``ln`` is ``log``, ``rsqrt(x)`` is
    ``x^(-1/2)``, ``sqrt(x)`` is ``x^(1/2)``; ``log2``, ``round``, ``trunc``,
    the comparisons (``cmplt(a, b)`` ...: ``a > b`` is ``cmplt(b, a)``) and
    ``if`` (``select(c, a, b)``) are undefined functions of those names. With
    ``evaluate=False`` (the default) sympy keeps the tree as written.
    """
    sp = _sympy()
    ev = evaluate

    def go(n: Expr) -> Any:
        if isinstance(n, Num):
            v = n.value
            return sp.Integer(int(v)) if v.is_integer() else sp.Rational(v)
        if isinstance(n, Const):
            return sp.pi if n.name == "pi" else sp.E
        if isinstance(n, Name):
            return sp.Symbol(n.name, real=True)
        if isinstance(n, Neg):
            return sp.Mul(sp.S.NegativeOne, go(n.operand), evaluate=ev)
        if isinstance(n, BinOp):
            a, b = go(n.left), go(n.right)
            if n.op == "+":
                return sp.Add(a, b, evaluate=ev)
            if n.op == "-":
                return sp.Add(a, sp.Mul(sp.S.NegativeOne, b, evaluate=ev), evaluate=ev)
            if n.op == "*":
                return sp.Mul(a, b, evaluate=ev)
            if n.op == "/":
                return sp.Mul(a, sp.Pow(b, sp.S.NegativeOne, evaluate=ev), evaluate=ev)
            return sp.Pow(a, b, evaluate=ev)
        if isinstance(n, Compare):
            a, b = go(n.left), go(n.right)
            name, x, y = {
                "<": ("cmplt", a, b),
                "<=": ("cmple", a, b),
                ">": ("cmplt", b, a),
                ">=": ("cmple", b, a),
                "==": ("cmpeq", a, b),
                "!=": ("cmpne", a, b),
            }[n.op]
            return sp.Function(name)(x, y)
        args = [go(a) for a in n.args]
        return _sympy_call(sp, n.fn, args, ev)

    return go(node)


def _sympy_call(sp: Any, fn: str, args: list[Any], ev: bool) -> Any:
    simple = {
        "exp": sp.exp,
        "ln": sp.log,
        "sin": sp.sin,
        "cos": sp.cos,
        "tan": sp.tan,
        "atan": sp.atan,
        "floor": sp.floor,
        "ceil": sp.ceiling,
        "abs": sp.Abs,
    }
    if fn in simple:
        return simple[fn](args[0], evaluate=ev)
    if fn == "atan2":
        return sp.atan2(args[0], args[1], evaluate=ev)
    if fn == "exp2":
        return sp.Pow(sp.Integer(2), args[0], evaluate=ev)
    if fn == "pow":
        return sp.Pow(args[0], args[1], evaluate=ev)
    if fn == "sqrt":
        return sp.Pow(args[0], sp.Rational(1, 2), evaluate=ev)
    if fn == "rsqrt":
        return sp.Pow(args[0], sp.Rational(-1, 2), evaluate=ev)
    if fn == "min":
        return sp.Min(*args, evaluate=ev)
    if fn == "max":
        return sp.Max(*args, evaluate=ev)
    if fn == "if":
        return sp.Function("select")(*args)
    return sp.Function(fn)(*args)  # log2, round, trunc


class Unsupported(Exception):
    """A sympy expression :func:`lower_sympy` has no operations for."""


def lower_sympy(expr: Any, env: Mapping[str, T], ops: Ops[T]) -> T:
    """Operations computing the sympy expression ``expr`` (``--fast-math`` only).

    Symbols are looked up in ``env`` by name; subexpressions without symbols
    are folded to one constant (evaluated by sympy, then rounded); sums use
    ``sub`` for negative terms; products divide once by the product of the
    factors with negative whole exponents; ``x^n`` for a whole ``n`` multiplies (by
    squaring), ``x^(1/2)`` is ``sqrt``, ``x^(-1/2)`` ``rsqrt``, ``2^y``
    ``exp2``; the undefined functions of :func:`to_sympy` map back to their
    operations.

    Raises
    ------
    Unsupported
        A construct with no operation (a complex number, ``asin``, ...).
    """
    sp = _sympy()
    memo: dict[Any, T] = {}

    def const(e: Any) -> T:
        try:
            value = complex(e.evalf(30))
        except (TypeError, ValueError) as exc:
            raise Unsupported(str(e)) from exc
        if value.imag != 0 or math.isnan(value.real):
            raise Unsupported(str(e))
        return ops.const(value.real)

    def go(e: Any) -> T:
        found = memo.get(e)
        if found is None:
            found = memo[e] = build(e)
        return found

    def is_const(e: Any) -> bool:
        return not e.free_symbols and bool(e.is_number)

    def product(values: list[T]) -> T | None:
        acc: T | None = None
        for v in values:
            acc = v if acc is None else ops.op("mul", acc, v)
        return acc

    def build(e: Any) -> T:
        if e.is_Symbol:
            if e.name not in env:
                raise Unsupported(e.name)
            return env[e.name]
        if is_const(e):
            return const(e)
        if e.is_Add:
            return add(e)
        if e.is_Mul:
            return mul(e)
        if e.is_Pow:
            return pow_(e.base, e.exp)
        return call(e)

    def add(e: Any) -> T:
        c = sp.Add(*[t for t in e.args if is_const(t)])
        rest = [t for t in e.args if not is_const(t)]
        pos = [t for t in rest if not t.could_extract_minus_sign()]
        neg = [-t for t in rest if t.could_extract_minus_sign()]
        acc: T | None = None
        for t in pos:
            acc = go(t) if acc is None else ops.op("add", acc, go(t))
        if c != 0:
            if acc is None:
                acc = const(c)
            elif c.could_extract_minus_sign():
                acc = ops.op("sub", acc, const(-c))
            else:
                acc = ops.op("add", acc, const(c))
        for t in neg:
            acc = ops.op("neg", go(t)) if acc is None else ops.op("sub", acc, go(t))
        assert acc is not None
        return acc

    def mul(e: Any) -> T:
        c = sp.Mul(*[f for f in e.args if is_const(f)])
        rest = [f for f in e.args if not is_const(f)]
        num = [f for f in rest if not (f.is_Pow and f.exp.is_Integer and f.exp < 0)]
        den = [sp.Pow(f.base, -f.exp) for f in rest if f not in num]
        top = product([go(f) for f in num])
        negative = bool(c.could_extract_minus_sign())
        mag = -c if negative else c
        if mag != 1:
            top = const(mag) if top is None else ops.op("mul", top, const(mag))
        bottom = product([go(f) for f in den])
        if bottom is not None:
            top = ops.op("div", ops.const(1.0) if top is None else top, bottom)
        if top is None:
            top = ops.const(1.0)
        return ops.op("neg", top) if negative else top

    def pow_(base: Any, ex: Any) -> T:
        if ex.is_Integer and abs(int(ex)) <= MAX_INT_EXPONENT:
            return power(go(base), float(int(ex)), lambda: go(ex), ops)
        if ex == sp.Rational(1, 2):
            return ops.op("sqrt", go(base))
        if ex == sp.Rational(-1, 2):
            return ops.op("rsqrt", go(base))
        if base == 2:
            return ops.op("exp2", go(ex))
        if base == sp.E:
            return ops.op("exp", go(ex))
        return ops.op("pow", go(base), go(ex))

    unary = {
        sp.exp: "exp",
        sp.log: "ln",
        sp.sin: "sin",
        sp.cos: "cos",
        sp.tan: "tan",
        sp.atan: "atan",
        sp.floor: "floor",
        sp.ceiling: "ceil",
        sp.Abs: "abs",
    }
    reciprocal = {sp.cot: "tan", sp.sec: "cos", sp.csc: "sin"}
    opaque2 = {"cmplt", "cmple", "cmpeq", "cmpne"}

    def call(e: Any) -> T:
        f, args = e.func, e.args
        if f in unary and len(args) == 1:
            return ops.op(unary[f], go(args[0]))
        if f in reciprocal and len(args) == 1:
            return ops.op("div", ops.const(1.0), ops.op(reciprocal[f], go(args[0])))
        if f is sp.atan2:
            return ops.op("atan2", go(args[0]), go(args[1]))
        if f in (sp.Min, sp.Max):
            mn = "min" if f is sp.Min else "max"
            acc = go(args[0])
            for a in args[1:]:
                acc = ops.op(mn, acc, go(a))
            return acc
        if f is sp.sign:
            x = go(args[0])
            zero = ops.const(0.0)
            return ops.op("sub", ops.op("cmplt", zero, x), ops.op("cmplt", x, zero))
        if f is sp.frac:
            x = go(args[0])
            return ops.op("sub", x, ops.op("floor", x))
        if isinstance(e, sp.core.function.AppliedUndef):
            name = f.__name__
            if name in ("log2", "round", "trunc") and len(args) == 1:
                return ops.op(name, go(args[0]))
            if name in opaque2 and len(args) == 2:
                return ops.op(name, go(args[0]), go(args[1]))
            if name == "select" and len(args) == 3:
                return ops.select(go(args[0]), go(args[1]), go(args[2]))
        raise Unsupported(str(f))

    return go(expr)


# --- fast-math simplification -------------------------------------------------------------


@dataclass(frozen=True)
class Simplified:
    """A cheaper equivalent of an expression (up to rounding).

    Attributes
    ----------
    expr:
        The sympy expression to lower with :func:`lower_sympy`.
    before, after:
        Operations of the exact meaning and of ``expr`` (scalar inputs).
    """

    expr: Any
    before: int
    after: int


#: Tree -> its simplification (None: nothing cheaper). Keyed by structure.
_CACHE: dict[Expr, Simplified | None] = {}
_CACHE_LIMIT = 4096

#: Trees with more nodes than this get only the cheap sympy rewrites.
SIMPLIFY_LIMIT = 60
#: Trees with more nodes than this are not simplified at all.
REWRITE_LIMIT = 400


def _size(node: Expr) -> int:
    total, stack = 0, [node]
    while stack:
        n = stack.pop()
        total += 1
        stack.extend(children(n))
    return total


def simplify(node: Expr) -> Simplified | None:
    """The cheapest sympy rewrite of ``node``, if it has fewer operations.

    Candidates: sympy's automatic canonical form, ``factor_terms``,
    ``cancel``, ``horner`` and (for trees of at most :data:`SIMPLIFY_LIMIT`
    nodes) ``sympy.simplify``; each is counted with :func:`count_operations`
    through :func:`lower_sympy`, and the one with the fewest operations wins
    (the earlier on a tie) if it beats the exact meaning. A candidate sympy
    fails on, or that has no lowering, is skipped. Trees of more than
    :data:`REWRITE_LIMIT` nodes are not simplified. Cached by the tree's
    structure (positions do not count).
    """
    if node in _CACHE:
        return _CACHE[node]
    result = _search(node)
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    _CACHE[node] = result
    return result


def _lowering(expr: Any) -> Callable[[Ops[Any], Mapping[str, Any]], Any]:
    return lambda ops, env: lower_sympy(expr, env, ops)


def _search(node: Expr) -> Simplified | None:
    size = _size(node)
    if size > REWRITE_LIMIT:
        return None
    names = identifiers(node)
    before = count_operations(lambda ops, env: evaluate(node, env, ops), names)
    sp = _sympy()
    base = to_sympy(node, evaluate=True)
    rewrites: list[Callable[[Any], Any]] = [lambda e: e, sp.factor_terms, sp.cancel, sp.horner]
    if size <= SIMPLIFY_LIMIT:
        rewrites.append(sp.simplify)
    best: Simplified | None = None
    for rewrite in rewrites:
        try:
            candidate = rewrite(base)
            n = count_operations(_lowering(candidate), names)
        except Exception:  # sympy fails in many ways (PolynomialError, ...): skip it
            continue
        if n < before and (best is None or n < best.after):
            best = Simplified(candidate, before, n)
    return best
