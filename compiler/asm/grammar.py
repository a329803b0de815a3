"""The lark grammar of ViSARD assembly (target.md section 5), built from the ISA table.

The grammar is line oriented: every statement ends at a newline, so any run
of whole lines is a valid input on its own. The parser relies on that to hand
lark a file in blocks of lines and to resume after each bad line. The opcode
terminal is generated from :data:`vtc.compiler.machine.isa.ISA`: add an
instruction there and the assembler reads it.

The grammar accepts a little more than the language (any number of operands,
a number where only an integer is meaningful, a name as a loop count) so the
parser can report those mistakes in words instead of as syntax errors.

>>> "OPCODE" in grammar_text()
True
"""

from __future__ import annotations

import re

from vtc.compiler.machine.isa import ISA

__all__ = [
    "DIRECTIVES",
    "IDENT_RE",
    "NUMBER_RE",
    "TARGET_WORD_RE",
    "grammar_text",
    "opcode_pattern",
]

#: Directive names, in the order the printer writes them (``.core`` and
#: ``.phase`` belong to the code). Each maps to its grammar terminal.
DIRECTIVES: tuple[str, ...] = (
    ".target",
    ".scheduled",
    ".input",
    ".output",
    ".const",
    ".state",
    ".shared",
    ".core",
    ".phase",
)

#: A cell, port, phase or declaration name.
IDENT_RE = r"[A-Za-z_][A-Za-z0-9_.]*"

#: A numeric literal: signed decimal with optional fraction and exponent.
NUMBER_RE = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"

#: A bare ``.target`` operand (a target name or a simple file name).
TARGET_WORD_RE = r"[A-Za-z0-9_][A-Za-z0-9_.\-]*"

# A keyword or number must not run on into a name: ``add.x`` is not ``add``.
_END = r"(?![\w.])"


def _keyword_terminal(word: str) -> str:
    return f"/{re.escape(word)}{_END}/i"


def opcode_pattern() -> str:
    """A regular expression matching exactly the ISA's mnemonics (lower case)."""
    # Longest first, so that no mnemonic is tried before a longer one it prefixes.
    names = sorted((op.mnemonic for op in ISA), key=lambda m: (-len(m), m))
    return "(?:" + "|".join(re.escape(m) for m in names) + ")" + _END


def grammar_text() -> str:
    """The complete lark grammar (for ``Lark(..., parser="lalr")``)."""
    keywords = "\n".join(f"{d[1:].upper()}_KW: {_keyword_terminal(d)}" for d in DIRECTIVES)
    return rf"""
start: (_stmt? _NL)*

_stmt: target | scheduled | input | output | const | state | shared | core | phase
     | loop | endloop | instr

target: TARGET_KW (TARGET_WORD | STRING)
scheduled: SCHEDULED_KW
input: INPUT_KW NAME _COMMA? NUMBER (_COMMA? NAME)?
output: OUTPUT_KW NAME _COMMA? NUMBER (_COMMA? NAME)?
const: CONST_KW _value_def (_COMMA _value_def)*
state: STATE_KW _value_def (_COMMA _value_def)*
_value_def: NAME _EQUAL (NUMBER | VALUE_WORD)
shared: SHARED_KW NAME (_COMMA NAME)*
core: CORE_KW NUMBER
phase: PHASE_KW NAME
loop: LOOP_KW (NUMBER | NAME)
endloop: ENDLOOP_KW
instr: OPCODE (_operand (_COMMA _operand)*)?
_operand: NAME | SHARED_NAME | NUMBER

OPCODE: /{opcode_pattern()}/i
LOOP_KW: {_keyword_terminal("loop")}
ENDLOOP_KW: {_keyword_terminal("endloop")}
{keywords}

NAME: /{IDENT_RE}/
SHARED_NAME: /@{IDENT_RE}/
NUMBER: /{NUMBER_RE}{_END}/
VALUE_WORD: /[+-]?{IDENT_RE}/
TARGET_WORD: /{TARGET_WORD_RE}/
STRING: /"(?:[^"\\\n]|\\.)*"/
_COMMA: ","
_EQUAL: "="
_NL: /\n/
COMMENT: /[;#][^\n]*/
WS: /[ \t\f\r]+/

%ignore WS
%ignore COMMENT
"""
