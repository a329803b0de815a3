"""Hypothesis strategies: random *valid* assembly programs and random latency tables.

For schedule/verify and simulate/interpret property tests::

    from hypothesis import given
    from strategies import programs, targets  # tests/asm is on sys.path under pytest

    @given(programs(), targets())
    def test_schedule_verify(text, target_dict):
        assemble(text, target=target_from_dict(target_dict))

What the programs hold (target.md section 5): ``.input``/``.output``
declarations (named ports, and numbered ports used without a declaration),
``.const`` and ``.state`` declarations, straight-line code and ``loop N`` /
``endloop`` nested up to ``max_depth`` deep, every opcode family (``lds`` /
``sts`` and ``@shared`` sources and destinations only with ``shared=True``:
the assembler does not take shared memory yet), numeric literal
source operands, ``in``/``out`` inside loops, ``cmov``, states updated inside
loops and temporaries reused by name.

Why they are valid:

* every temporary is written before it is read in the same run: a loop body
  only reads temporaries written before it or earlier in the same body, and
  ``cmov`` (which reads its destination) only writes a readable cell;
  constants and states are always readable;
* nothing writes a constant;
* every loop body holds at least one instruction and ends with an
  instruction, never with an inner loop (so no inner loop ends where its
  enclosing loop ends, whichever way the assembler reads that rule);
* the program ends with ``halt`` and no ``halt`` stands inside a loop;
* port numbers stay below 4, so any target with the default 16 ports fits.

The programs use only the default target (no ``.target`` line); pair them
with :func:`targets` for random latencies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from vtc.compiler.machine.isa import EUS, ISA, Form

__all__ = [
    "BINARY",
    "UNARY",
    "literals",
    "programs",
    "straight_line_programs",
    "targets",
]

#: ``op d, a, b`` mnemonics.
BINARY: tuple[str, ...] = tuple(op.mnemonic for op in ISA if op.form is Form.DAB)
#: ``op d, a`` mnemonics (``mov`` included).
UNARY: tuple[str, ...] = tuple(op.mnemonic for op in ISA if op.form is Form.DA)

_TEMPS = tuple(f"t{i}" for i in range(6))
#: Instruction families, weighted by repetition.
_FAMILIES = ("binary",) * 4 + ("unary",) * 3 + ("cmov", "in", "out", "out")
_FORMATS = ("f32", "f64", "i16", "u8", "q4.12")

_NUMBERS = st.one_of(
    st.sampled_from(["0.5", "-1", "2.0", "3.25", "1e-3", "-0.125", "100", "0.0", "-0.0"]),
    st.floats(min_value=-1000, max_value=1000, width=32, allow_subnormal=False).map(
        lambda x: f"{x:.6g}"
    ),
)


def literals() -> st.SearchStrategy[str]:
    """Spellings of numeric literals (``0.5``, ``-1``, ``1e-3``, ``12.3457``, ...)."""
    return _NUMBERS


@dataclass
class _Gen:
    """The state of one program being drawn."""

    draw: Any
    consts: list[str]
    states: list[str]
    inputs: list[str]
    outputs: list[str]
    shared: list[str]
    budget: int
    max_depth: int
    max_count: int
    lines: list[str] = field(default_factory=list)

    def readable(self, temps: set[str]) -> list[str]:
        return [*self.consts, *self.states, *sorted(temps)]

    def source(self, temps: set[str], *, shared: bool = True) -> str:
        d = self.draw
        kind = d(st.sampled_from(["cell", "cell", "cell", "literal", "shared"]))
        if kind == "literal":
            return str(d(_NUMBERS))
        if kind == "shared" and shared and self.shared:
            return "@" + str(d(st.sampled_from(self.shared)))
        cells = self.readable(temps)
        if not cells:
            return str(d(_NUMBERS))
        return str(d(st.sampled_from(cells)))

    def dest(self, *, shared: bool = False) -> str:
        d = self.draw
        if shared and self.shared and d(st.integers(0, 5)) == 5:
            return "@" + str(d(st.sampled_from(self.shared)))
        return str(d(st.sampled_from([*_TEMPS, *self.states, *self.states])))

    def port(self, names: list[str]) -> str:
        d = self.draw
        if names and d(st.booleans()):
            return str(d(st.sampled_from(names)))
        return str(d(st.integers(0, 3)))

    def instr(self, temps: set[str], indent: str) -> None:
        d = self.draw
        families = list(_FAMILIES)
        if self.shared:
            families += ["lds", "sts"]
        family = "nop" if d(st.integers(0, 19)) == 19 else d(st.sampled_from(families))
        if family == "binary":
            mn = d(st.sampled_from(BINARY))
            a = self.source(temps)
            b = self.source(temps, shared=not a.startswith("@"))
            dest = self.dest(shared=True)
            text = f"{mn} {dest}, {a}, {b}"
        elif family == "unary":
            mn = d(st.sampled_from(UNARY))
            dest = self.dest(shared=True)
            text = f"{mn} {dest}, {self.source(temps)}"
        elif family == "cmov":
            choices = [c for c in self.readable(temps) if c not in self.consts]
            if choices:
                dest = d(st.sampled_from(choices))
            else:  # nothing writable is readable yet: define a temporary first
                dest = d(st.sampled_from(_TEMPS))
                self.lines.append(f"{indent}mov {dest}, {self.source(temps)}")
                temps.add(dest)
            a = self.source(temps)
            c = self.source(temps, shared=not a.startswith("@"))
            text = f"cmov {dest}, {a}, {c}"
        elif family == "in":
            dest = self.dest()
            text = f"in {dest}, {self.port(self.inputs)}"
        elif family == "out":
            text = f"out {self.port(self.outputs)}, {self.source(temps)}"
            dest = ""
        elif family == "lds":
            dest = self.dest()
            text = f"lds {dest}, @{d(st.sampled_from(self.shared))}"
        elif family == "sts":
            text = f"sts @{d(st.sampled_from(self.shared))}, {self.source(temps, shared=False)}"
            dest = ""
        else:
            text = "nop"
            dest = ""
        self.lines.append(f"{indent}{text}")
        if dest in _TEMPS:
            temps.add(dest)
        self.budget -= 1

    def body(self, temps: set[str], depth: int, *, min_len: int) -> None:
        """Statements of one body; a loop body (``depth > 0``) ends with an instruction."""
        d = self.draw
        indent = "    " * (depth + 1)
        n = d(st.integers(min_len, max(min_len, min(self.budget, 8))))
        for _ in range(n):
            if self.budget <= 0:
                break
            if depth < self.max_depth and self.budget >= 2 and d(st.integers(0, 4)) == 4:
                count = d(st.one_of(st.integers(1, self.max_count), st.just(1)))
                self.lines.append(f"{indent}loop {count}")
                self.body(temps, depth + 1, min_len=1)
                self.lines.append(f"{indent}endloop")
            else:
                self.instr(temps, indent)
        if depth > 0:
            self.instr(temps, indent)  # a loop body ends with an instruction


def _decl_values(draw: Any, names: list[str]) -> str:
    return ", ".join(f"{n} = {draw(_NUMBERS)}" for n in names)


@st.composite
def programs(
    draw: Any,
    *,
    max_instructions: int = 40,
    max_depth: int = 2,
    max_count: int = 8,
    shared: bool = False,
    formats: bool = False,
) -> str:
    """The text of a random valid single-core assembly program.

    Parameters
    ----------
    max_instructions:
        Rough upper bound on the instructions written (``halt`` excluded).
    max_depth:
        Deepest loop nesting (0: straight-line code only).
    max_count:
        Largest loop count (counts are drawn from 1 to ``max_count``).
    shared:
        Declare ``.shared`` cells and use ``lds``, ``sts`` and ``@name`` operands.
    formats:
        Give some ports a format (``i16``, ``q4.12``, ...).
    """
    consts = [f"k{i}" for i in range(draw(st.integers(0, 3)))]
    states = [f"s{i}" for i in range(draw(st.integers(0, 3)))]
    inputs = [f"x{i}" for i in range(draw(st.integers(0, 2)))]
    outputs = [f"y{i}" for i in range(draw(st.integers(0, 2)))]
    shared_names = [f"m{i}" for i in range(draw(st.integers(1, 2)))] if shared else []
    head: list[str] = ["; generated by tests/asm/strategies.py"]
    for kind, names in ((".input", inputs), (".output", outputs)):
        for number, name in enumerate(names):
            fmt = f" {draw(st.sampled_from(_FORMATS))}" if formats and draw(st.booleans()) else ""
            head.append(f"{kind} {name} {number}{fmt}")
    if consts:
        head.append(f".const {_decl_values(draw, consts)}")
    if states:
        head.append(f".state {_decl_values(draw, states)}")
    if shared_names:
        head.append(f".shared {', '.join(shared_names)}")
    gen = _Gen(
        draw=draw,
        consts=consts,
        states=states,
        inputs=inputs,
        outputs=outputs,
        shared=shared_names,
        budget=max_instructions,
        max_depth=max_depth,
        max_count=max_count,
    )
    temps: set[str] = set()
    while gen.budget > 0:
        gen.body(temps, 0, min_len=1)
        if not draw(st.booleans()):
            break
    gen.lines.append("    halt")
    return "\n".join([*head, *gen.lines]) + "\n"


def straight_line_programs(*, max_instructions: int = 40) -> st.SearchStrategy[str]:
    """Programs without loops."""
    return programs(max_instructions=max_instructions, max_depth=0)


@st.composite
def targets(draw: Any, *, max_latency: int = 30, precision: bool = True) -> dict[str, Any]:
    """A target description for :func:`~vtc.compiler.machine.target.target_from_dict`.

    Random EU latencies (1 to ``max_latency``), sometimes a per-opcode
    override, and (with ``precision``) single or double precision. Depths
    and port counts keep their defaults.
    """
    latency = {eu: draw(st.integers(1, max_latency)) for eu in EUS}
    with_eu = [op.mnemonic for op in ISA if op.eu is not None]
    overrides = draw(st.lists(st.sampled_from(with_eu), max_size=3, unique=True))
    data: dict[str, Any] = {
        "name": "random",
        "precision": draw(st.sampled_from(["single", "double"])) if precision else "single",
        "latency": latency,
        "opcode_latency": {op: draw(st.integers(1, max_latency)) for op in overrides},
    }
    return data
