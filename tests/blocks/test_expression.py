"""std.expression and its language (vtc.blocks.std.exprlang)."""

from __future__ import annotations

import builtins
import json
import math
import os
import subprocess
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from modelkit import block_model, compile_and_check, reference_outputs

from vtc.blocks.api import ParamError
from vtc.blocks.std import exprlang as L
from vtc.blocks.std.expression import Expression
from vtc.compiler.driver import CompileOptions, check, compile_model
from vtc.compiler.errors import VtcError
from vtc.compiler.model import loads

F32 = np.float32


def n(name: str) -> L.Name:
    return L.Name(name)


def num(v: float) -> L.Num:
    return L.Num(v)


def model(expr: str, widths: dict[str, int] | None = None, **kw: Any) -> Any:
    names = L.identifiers(L.parse(expr))
    ins = {k: (widths or {}).get(k, 1) for k in names}
    return block_model("std.expression", {"expr": expr}, inputs=ins, **kw)


def ref(expr: str, steps: int = 1, **inputs: list[float]) -> list[float]:
    m = model(expr)
    return reference_outputs(m, steps, {f"u_{k}": v for k, v in inputs.items()})["y_out"]


def same_bits(a: Any, b: Any) -> bool:
    return np.float32(a).tobytes() == np.float32(b).tobytes()


# --- parser -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("a+b*c", L.BinOp("+", n("a"), L.BinOp("*", n("b"), n("c")))),
        ("a-b-c", L.BinOp("-", L.BinOp("-", n("a"), n("b")), n("c"))),
        ("a/b/c", L.BinOp("/", L.BinOp("/", n("a"), n("b")), n("c"))),
        ("a^b^c", L.BinOp("^", n("a"), L.BinOp("^", n("b"), n("c")))),
        ("a**b**c", L.BinOp("^", n("a"), L.BinOp("^", n("b"), n("c")))),
        ("-x^2", L.Neg(L.BinOp("^", n("x"), num(2)))),
        ("2^-x", L.BinOp("^", num(2), L.Neg(n("x")))),
        ("-a*b", L.BinOp("*", L.Neg(n("a")), n("b"))),
        ("+a", n("a")),
        ("--a", L.Neg(L.Neg(n("a")))),
        ("(a+b)*c", L.BinOp("*", L.BinOp("+", n("a"), n("b")), n("c"))),
        ("a+b < c*d", L.Compare("<", L.BinOp("+", n("a"), n("b")), L.BinOp("*", n("c"), n("d")))),
        ("(a<b) == c", L.Compare("==", L.Compare("<", n("a"), n("b")), n("c"))),
        ("1e-3 * pi", L.BinOp("*", num(0.001), L.Const("pi"))),
        (".5 + 2. + 1E+2", L.BinOp("+", L.BinOp("+", num(0.5), num(2.0)), num(100.0))),
        ("e^x", L.BinOp("^", L.Const("e"), n("x"))),
        ("e1 + x2_b", L.BinOp("+", n("e1"), n("x2_b"))),
        (
            "if(a >= 0, min(a, b, c), atan2(a, b))",
            L.Call(
                "if",
                (
                    L.Compare(">=", n("a"), num(0)),
                    L.Call("min", (n("a"), n("b"), n("c"))),
                    L.Call("atan2", (n("a"), n("b"))),
                ),
            ),
        ),
        (" a \n + \t b ", L.BinOp("+", n("a"), n("b"))),
    ],
)
def test_parse_precedence_and_associativity(text: str, tree: L.Expr) -> None:
    assert L.parse(text) == tree


def test_positions_are_recorded_but_not_part_of_equality() -> None:
    t = L.parse("a  +  sin(b)")
    assert isinstance(t, L.BinOp) and isinstance(t.right, L.Call)
    assert (t.column, t.right.column) == (4, 7)
    assert t == L.parse("a+sin(b)") and hash(t) == hash(L.parse("a+sin(b)"))


@pytest.mark.parametrize(
    ("text", "order"),
    [
        ("a*sin(b) + 2*a", ("a", "b")),
        ("b + a*b + c", ("b", "a", "c")),
        ("if(z, y, x)", ("z", "y", "x")),
        ("x > y", ("x", "y")),
        ("pi * e + 2", ()),
        ("max(q, p, q, r)^s", ("q", "p", "r", "s")),
    ],
)
def test_identifiers_in_order_of_first_appearance(text: str, order: tuple[str, ...]) -> None:
    assert L.identifiers(L.parse(text)) == order
    blk = Expression()
    assert blk.inputs(blk.validate({"expr": text})) == order


_KNOWN = "abs, atan, atan2, ceil, cos, exp, exp2, floor, if, ln, log2, max, min, pow, round"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a + foo(b)", f"column 5: unknown function 'foo' \\(known: {_KNOWN}, rsqrt,"),
        ("sin(a, b)", "column 1: sin takes 1 argument, not 2"),
        ("atan2(a)", "column 1: atan2 takes 2 arguments, not 1"),
        ("1 + min(a)", "column 5: min takes 2 or more arguments, not 1"),
        ("if(a, b)", "column 1: if takes 3 arguments, not 2"),
        ("sqrt()", "column 1: sqrt takes 1 argument, not 0"),
        ("x + sin", "column 5: 'sin' is a function: call it with arguments, e.g. sin\\(x\\)"),
        ("2*if", "column 3: 'if' is a function"),
        ("pi(2)", "column 1: 'pi' is a constant, not a function"),
        ("a < b < c", "column 7: unexpected '<' \\(comparisons do not chain"),
        ("a b", "column 3: unexpected 'b' \\(an operator is missing before it\\)"),
        ("2x", "column 2: unexpected 'x'"),
        ("a +", "column 4: the expression ends too early"),
        ("(a + b", "column 7: the expression ends too early \\(a '\\)' is missing\\)"),
        ("a + b)", "column 6: unexpected '\\)'"),
        ("", "column 1: the expression is empty"),
        ("  ", "column 1: the expression is empty"),
        ("a = 1", "column 3: unexpected character '=' \\(assignment"),
        ("a && b", "column 3: unexpected character '&'"),
        ("x[0]", "column 2: unexpected character '\\[' \\(indexing"),
        ("1e999 * x", "column 1: the number 1e999 is too large"),
        ("_x + 1", "column 1: the name '_x' is not allowed: names start with a letter"),
        ("a +\n  foo(b)", "line 2, column 3: unknown function 'foo'"),
        ("-" * 300 + "x", "nested too deeply \\(at most 200 levels\\)"),
        ("+".join(["x"] * 300), "nested too deeply"),
        ("^".join(["x"] * 300), "nested too deeply"),
        ("-(" * 2000 + "x" + ")" * 2000, "nested too deeply"),
    ],
)
def test_parse_errors_give_the_column(text: str, message: str) -> None:
    with pytest.raises(L.ExprError, match=message):
        L.parse(text)


def test_block_parameter_error_names_block_parameter_and_column() -> None:
    with pytest.raises(VtcError) as exc:
        compile_model(_raw_model("a + foo(b)"), file="test.json")
    text = str(exc.value)
    assert "block b (std.expression)" in text
    assert "parameter 'expr': column 5: unknown function 'foo' (known: abs, atan," in text
    with pytest.raises(ParamError, match="parameter 'expr': is required"):
        Expression().validate({})


def _raw_model(expr: str, inputs: tuple[str, ...] = ("a", "b")) -> Any:
    """A model with an expression block whose params do not parse (inputs given by hand)."""
    blocks: list[dict[str, Any]] = [{"id": "b", "type": "std.expression", "params": {"expr": expr}}]
    conns = []
    for k, port in enumerate(inputs):
        blocks.append({"id": f"u_{port}", "type": "std.inport", "params": {"port": k}})
        conns.append({"from": [f"u_{port}", "out"], "to": ["b", port]})
    blocks.append({"id": "y", "type": "std.outport", "params": {"port": 0}})
    conns.append({"from": ["b", "out"], "to": ["y", "in"]})
    doc = {"format": "vtc-model", "version": 1, "name": "t", "blocks": blocks}
    doc["connections"] = conns
    return loads(json.dumps(doc), "test.json")


# --- nothing in the text is ever executed --------------------------------------------------

_INJECTIONS = [
    ("__import__('os').system('x')", 'column 12: unexpected character "\'" \\(strings'),
    ("__import__", "column 1: the name '__import__' is not allowed"),
    ("a.__class__", "column 2: unexpected character '.' \\(attribute access"),
    ("eval(a)", "column 1: unknown function 'eval'"),
    ("exec(a)", "column 1: unknown function 'exec'"),
    ("open(a)", "column 1: unknown function 'open'"),
    ("lambda: a", "column 7: unexpected character ':'"),
    ("(lambda x: x)(a)", "column 9: unexpected 'x'"),
    ('"abc"', "column 1: unexpected character '\"' \\(strings"),
    ("a if b else c", "column 3: unexpected 'if'"),
    ("[a for a in b]", "column 1: unexpected character '\\['"),
    ("sin.__globals__", "column 4: unexpected character '.'"),
    ("a; import os", "column 2: unexpected character ';'"),
    ("sympify(a)", "column 1: unknown function 'sympify'"),
    ("Symbol(a)", "column 1: unknown function 'Symbol'"),
    ("a @ b", "column 3: unexpected character '@'"),
]


@pytest.fixture
def nothing_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Texts to watch for; fail if one reaches eval/exec/sympy's parser or a process starts.

    Python itself and the libraries run ``exec`` and sympy's parser on their
    own text (dataclasses, networkx, sympy's units): eval, exec and
    ``parse_expr`` fail only when given text containing a watched text.
    """
    import sympy.parsing.sympy_parser

    watched: list[str] = []

    def trap(name: str, real: Any = None) -> Any:
        def f(*args: Any, **kw: Any) -> Any:
            code = args[0] if args else ""
            text = code.decode() if isinstance(code, bytes) else code
            if real is not None and not (isinstance(text, str) and any(w in text for w in watched)):
                return real(*args, **kw)
            raise AssertionError(f"{name} was called with {args!r}")

        return f

    monkeypatch.setattr(os, "system", trap("os.system"))
    monkeypatch.setattr(os, "popen", trap("os.popen"))
    monkeypatch.setattr(subprocess, "Popen", trap("subprocess.Popen"))
    monkeypatch.setattr(builtins, "eval", trap("eval", builtins.eval))
    monkeypatch.setattr(builtins, "exec", trap("exec", builtins.exec))
    parse_expr = sympy.parsing.sympy_parser.parse_expr  # sympy parses its own unit names
    monkeypatch.setattr(sympy.parsing.sympy_parser, "parse_expr", trap("parse_expr", parse_expr))
    return watched


@pytest.mark.parametrize(("text", "message"), _INJECTIONS)
def test_python_is_rejected_at_compile_time_and_nothing_runs(
    nothing_runs: list[str], text: str, message: str
) -> None:
    nothing_runs.append(text)
    L.parse.cache_clear()
    L._parser.cache_clear()  # build the grammar under the traps too
    with pytest.raises(L.ExprError, match=message):
        L.parse(text)
    with pytest.raises(VtcError, match=f"parameter 'expr': {message}"):
        compile_model(_raw_model(text), CompileOptions(fast_math=True), file="test.json")


def test_valid_expressions_compile_under_the_traps(nothing_runs: list[str]) -> None:
    text = "zq*b + zq*c - zq*(b+c) + sin(zq)^2 + cos(zq)^2"
    nothing_runs.extend([text, "zq*b", "sin(zq)"])
    L.parse.cache_clear()
    L._CACHE.clear()
    m = model(text)
    compile_and_check(m, 10, levels=(1,))
    comp = compile_model(m, CompileOptions(fast_math=True), file="test.json")
    assert check(comp, 10, tolerance=1e-4).ok
    assert comp.report["optimisation"]["inexact"] == [
        "fast-math: expression simplified (12 -> 0 operations)"
    ]


# --- exact meaning: the reference against hand-computed float32 ----------------------------


def test_reference_meaning_is_the_text_as_written() -> None:
    a, b, c = 0.1, 0.7, 3.0
    fa, fb, fc = F32(a), F32(b), F32(c)
    assert same_bits(ref("a - b/c", a=[a], b=[b], c=[c])[0], fa - fb / fc)
    assert same_bits(ref("a + b + c", a=[a], b=[b], c=[c])[0], (fa + fb) + fc)
    assert same_bits(ref("a + (b + c)", a=[a], b=[b], c=[c])[0], fa + (fb + fc))
    assert ref("-x^2", x=[3.0]) == [-9.0]
    assert ref("2^3^2") == [512.0]
    assert ref("(2^3)^2") == [64.0]
    assert ref("2**-1") == [0.5]
    assert same_bits(ref("pi")[0], F32(math.pi))
    assert same_bits(ref("e")[0], F32(math.e))
    assert same_bits(ref("0.1")[0], F32(0.1))
    # a literal is one constant, each operator one operation: nothing is folded first
    assert ref("x + 1e8 - 1e8", x=[0.3]) == [0.0]


@pytest.mark.parametrize("x", [0.7, -1.3, 3.0e-20, 1.0e30, -0.0, math.inf, math.nan])
def test_literal_exponents_are_multiplications(x: float) -> None:
    fx = F32(x)
    with np.errstate(all="ignore"):
        expect = {
            "x^2": fx * fx,
            "x^3": (fx * fx) * fx,
            "x^4": (fx * fx) * (fx * fx),
            "x^5": ((fx * fx) * (fx * fx)) * fx,
            "x^-1": F32(1) / fx,
            "x^-2": F32(1) / (fx * fx),
            "x^1": fx,
            "x^0": F32(1),
            "x^2.0": fx * fx,
            "x^(2)": fx * fx,
            "x^0.5": np.sqrt(fx),
            "x^-0.5": F32(1) / np.sqrt(fx),
        }
    for text, want in expect.items():
        got = ref(text, x=[x])[0]
        assert same_bits(got, want) or (math.isnan(got) and math.isnan(want)), text


def test_other_exponents_use_pow() -> None:
    assert same_bits(ref("x^2.5", x=[1.7])[0], F32(math.pow(float(F32(1.7)), 2.5)))
    assert same_bits(ref("x^y", x=[1.7], y=[2.0])[0], F32(math.pow(float(F32(1.7)), 2.0)))
    assert same_bits(ref("x^65", x=[1.01])[0], F32(math.pow(float(F32(1.01)), 65.0)))


def test_comparisons_and_if() -> None:
    xs = [1.0, 2.0, 2.0, math.nan, -0.0]
    ys = [2.0, 1.0, 2.0, 1.0, 0.0]
    nan = math.nan
    cases = {
        "x < y": [1, 0, 0, 0, 0],
        "x <= y": [1, 0, 1, 0, 1],
        "x > y": [0, 1, 0, 0, 0],
        "x >= y": [0, 1, 1, 0, 1],
        "x == y": [0, 0, 1, 0, 1],
        "x != y": [1, 1, 0, 1, 0],
        "if(x - y, x, y)": [1.0, 2.0, 2.0, nan, 0.0],  # NaN condition counts as true
        "if(x < y, 10, 20) + (x == y)": [10.0, 20.0, 21.0, 20.0, 21.0],
    }
    for text, want in cases.items():
        got = ref(text, 5, x=xs, y=ys)
        assert np.array_equal(np.array(got), np.array(want, dtype=float), equal_nan=True), text


# --- compiled == reference, bit for bit ----------------------------------------------------

_EXPRESSIONS = [
    "a*sin(b) + 2*a",
    "a - b - c + a*b/c",
    "-a^2 + b^3 - c^-1 + a^0.5 + b^-0.5 + pow(a, b) + c^b",
    "exp(a) + exp2(b) + ln(c) + log2(a) + rsqrt(b)",
    "sin(a) + cos(b) + tan(c) + atan(a) + atan2(a, b)",
    "floor(a) + ceil(b) + round(c) + trunc(a) + sqrt(b) + abs(c)",
    "min(a, b) + max(a, b, c) + min(a, b, c, 0.25)",
    "if(a < b, a/b, b^3) + (a >= c) - (b != c) + (a == a) + (c > 0) * (b <= 0.5)",
    "if(a, b, c) * pi + e",
    "a^b^c",
    "2 * pi",
    "x^0 + 1",
]


@pytest.mark.parametrize("text", _EXPRESSIONS)
def test_compiled_equals_reference(text: str) -> None:
    compile_and_check(model(text), 30, lo=-2.0, hi=2.0)


def test_vector_inputs_with_scalar_expansion() -> None:
    m = model("a*x + if(x > 0, x, -x) - min(x, a)^2", {"x": 4})
    comps = compile_and_check(m, 20)
    assert [p.column for p in comps[0].outputs] == [f"y_out[{k}]" for k in range(4)]
    m = model("x^0 + y", {"x": 3, "y": 1})  # the result no longer depends on x
    compile_and_check(m, 5)
    m = model("a*b - c", {"a": 3, "b": 3})
    compile_and_check(m, 10)


def test_vector_widths_must_match() -> None:
    with pytest.raises(VtcError, match="input widths do not match"):
        compile_model(model("a + b", {"a": 2, "b": 3}), file="test.json")


def test_special_values_bit_exact() -> None:
    vals = [0.0, -0.0, 1.0, -1.0, math.inf, -math.inf, math.nan, 1e-40, 3.5, -2.5]
    ins = {"u_a": vals, "u_b": list(reversed(vals))}
    m = model("a/b + a^2 - b^-1 + (a < b) + if(a - b, a, b) + min(a, b) + a^0.5 + round(b)")
    compile_and_check(m, len(vals), inputs=ins)


def test_double_precision_target() -> None:
    compile_and_check(model("a*sin(b) + b^3 / (a + 0.1)", target="zynq7020-double"), 10)


def test_constant_expression_has_no_inputs() -> None:
    m = model("pi*e + 1e-3")
    assert m is not None
    comps = compile_and_check(m, 3)
    assert comps[0].inputs == ()
    want = (F32(math.pi) * F32(math.e)) + F32(1e-3)
    assert same_bits(reference_outputs(m, 1, {})["y_out"][0], want)


_ATOMS = st.sampled_from(["a", "b", "c", "2", "0.5", "pi", "1e-3", "3"])


def _exprs() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        binary = st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "^", "<", "=="]), inner)
        fn1 = st.tuples(st.sampled_from(["sin", "abs", "floor", "exp", "sqrt", "-"]), inner)
        fn2 = st.tuples(st.sampled_from(["min", "max", "atan2", "pow"]), inner, inner)
        return st.one_of(
            binary.map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            fn1.map(lambda t: f"{t[0]}({t[1]})"),
            fn2.map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
            st.tuples(inner, inner, inner).map(lambda t: f"if({t[0]}, {t[1]}, {t[2]})"),
        )

    return st.recursive(_ATOMS, extend, max_leaves=8)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_exprs())
def test_random_expressions_compile_bit_exact(text: str) -> None:
    if not L.identifiers(L.parse(text)):
        text = f"a + {text}"
    compile_and_check(model(text), 8, lo=-3.0, hi=3.0, levels=(0, 2))


# --- fast-math ------------------------------------------------------------------------------


def _ops(m: Any, fast: bool) -> tuple[int, dict[str, Any]]:
    comp = compile_model(m, CompileOptions(opt_level=1, fast_math=fast), file="test.json")
    if fast:
        res = check(comp, 30, tolerance=1e-4)
        assert res.ok, f"step {res.mismatch}\n{comp.asm_text}"
    opt = comp.report["optimisation"]
    return opt["operations_after"], opt


def test_fast_math_simplifies_to_fewer_operations() -> None:
    L._CACHE.clear()
    m = model("a*b + a*c - a*(b+c) + x")
    exact, _ = _ops(m, False)
    fast, opt = _ops(m, True)
    assert fast < exact
    assert opt["inexact"] == ["fast-math: expression simplified (7 -> 0 operations)"]
    comp = compile_model(m, CompileOptions(opt_level=1, fast_math=True), file="test.json")
    assert [ln.split()[0] for ln in comp.asm_text.splitlines() if ln.startswith("    ")] == [
        "in",
        "in",
        "in",
        "in",
        "out",
        "halt",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "sin(x)^2 + cos(x)^2 + x",
        "(a+b)^2 - a^2 - 2*a*b",
        "exp(a)*exp(b) + 1",
        "c0 + c1*x + c2*x^2 + c3*x^3 + c4*x^4",
        "x*x*x*x + a/a",
        "tan(a)^2 + 1/cos(a)^2 + if(a < b, a*b - b*a, 2^a * 2^b)",
    ],
)
def test_fast_math_within_tolerance_and_cheaper(text: str) -> None:
    m = model(text)
    exact, _ = _ops(m, False)
    fast, opt = _ops(m, True)
    assert fast < exact, text
    assert any(k.startswith("fast-math: expression simplified") for k in opt["inexact"])


def test_fast_math_keeps_the_exact_form_when_nothing_is_cheaper() -> None:
    m = model("a*b + c")
    exact, _ = _ops(m, False)
    fast, opt = _ops(m, True)
    assert fast == exact
    assert not any("expression" in k for k in opt["inexact"])


def test_fast_math_vector_and_bit_exact_reference_kept() -> None:
    m = model("x + 1e8 - 1e8 + a*x - x*a", {"x": 3})
    comp = compile_model(m, CompileOptions(fast_math=True), file="test.json")
    res = check(comp, 4, inputs={"u_a": [0.5] * 4, **{f"u_x[{k}]": [0.3] * 4 for k in range(3)}})
    # the reference is the exact meaning (x + 1e8 rounds x away); fast-math gives x
    assert res.reference["y_out[0]"] == [0.0] * 4
    assert res.compiled["y_out[0]"] == [float(F32(0.3))] * 4


def test_simplification_is_cached_by_structure(monkeypatch: pytest.MonkeyPatch) -> None:
    L._CACHE.clear()
    calls: list[L.Expr] = []
    search = L._search

    def counting(node: L.Expr) -> L.Simplified | None:
        calls.append(node)
        return search(node)

    monkeypatch.setattr(L, "_search", counting)
    n_blocks = 40
    blocks: list[dict[str, Any]] = [{"id": "u", "type": "std.inport", "params": {"port": 0}}]
    conns = []
    prev = "u"
    for i in range(n_blocks):
        text = "x + x - x" if i % 2 else "x+x  -x"  # same structure, different spacing
        blocks.append({"id": f"b{i}", "type": "std.expression", "params": {"expr": text}})
        conns.append({"from": [prev, "out"], "to": [f"b{i}", "x"]})
        prev = f"b{i}"
    blocks.append({"id": "y", "type": "std.outport", "params": {"port": 0}})
    conns.append({"from": [prev, "out"], "to": ["y", "in"]})
    doc = {"format": "vtc-model", "version": 1, "name": "t", "blocks": blocks}
    doc["connections"] = conns
    m = loads(json.dumps(doc), "test.json")
    comp = compile_model(m, CompileOptions(fast_math=True), file="test.json")
    assert len(calls) == 1
    assert comp.report["optimisation"]["rewrites"] == {
        "fast-math: expression simplified (2 -> 0 operations)": n_blocks
    }
    assert check(comp, 10, tolerance=1e-6).ok


# --- the sympy side -------------------------------------------------------------------------


def test_to_sympy_keeps_the_tree_as_written() -> None:
    import sympy

    e = L.to_sympy(L.parse("a*b + a*c - a*(b+c) + x"))
    assert isinstance(e, sympy.Add)
    assert str(e) == "x + (-a*(b + c) + (a*b + a*c))"
    assert str(L.to_sympy(L.parse("x + x"))) == "x + x"
    assert str(L.to_sympy(L.parse("x + x"), evaluate=True)) == "2*x"
    text = "if(a > b, exp2(a), rsqrt(b)) + log2(c) + (a <= b) + round(a) + ceil(b) + ln(c)"
    terms = L.to_sympy(L.parse(text), evaluate=True).args
    assert sorted(str(t) for t in terms) == [
        "ceiling(b)",
        "cmple(a, b)",
        "log(c)",
        "log2(c)",
        "round(a)",
        "select(cmplt(b, a), 2**a, 1/sqrt(b))",
    ]


def test_lower_sympy_rejects_what_it_cannot_compute() -> None:
    import sympy

    x = sympy.Symbol("x", real=True)
    counter = L._Counter()
    with pytest.raises(L.Unsupported):
        L.lower_sympy(sympy.asin(x), {"x": ("in", "x")}, counter)
    with pytest.raises(L.Unsupported):
        L.lower_sympy(x + sympy.I, {"x": ("in", "x")}, counter)
