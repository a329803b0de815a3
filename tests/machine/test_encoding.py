"""Encoding and decoding of program words and loop-table words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vtc.compiler.errors import ImageError
from vtc.compiler.machine.code import (
    LoopSpec,
    MInstr,
    decode_loop,
    decode_word,
    encode_loop,
    encode_word,
)
from vtc.compiler.machine.isa import ISA, Form

FIELD = st.integers(0, 0xFFFF)


@st.composite
def instrs(draw: st.DrawFn) -> MInstr:
    op = draw(st.sampled_from(ISA))
    if op.form is Form.NONE:
        return MInstr(op.mnemonic)
    d, a, b = draw(FIELD), draw(FIELD), draw(FIELD)
    if op.form not in (Form.DAB, Form.DAC):
        b = 0
    d_sh = op.form is Form.STS or (op.form in (Form.DAB, Form.DA) and draw(st.booleans()))
    a_sh = op.form is Form.LDS
    return MInstr(op.mnemonic, d, a, b, d_shared=d_sh, a_shared=a_sh)


@given(instrs())
def test_encode_decode_round_trip(ins: MInstr) -> None:
    word = encode_word(ins)
    assert 0 <= word < 2**64
    assert decode_word(word) == ins


@pytest.mark.parametrize("op", ISA, ids=lambda op: op.mnemonic)
def test_every_opcode_round_trips(op: object) -> None:
    from vtc.compiler.machine.isa import OpInfo

    assert isinstance(op, OpInfo)
    ins = MInstr(op.mnemonic, 1, 2, 3 if op.form in (Form.DAB, Form.DAC) else 0)
    assert decode_word(encode_word(ins)) == ins
    assert encode_word(ins) >> 58 == op.code


def test_nop_is_the_zero_word() -> None:
    assert encode_word(MInstr("nop")) == 0


@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.integers(1, 0xFFFF))
def test_loop_word_round_trip(start: int, end: int, count: int) -> None:
    lp = LoopSpec(start, end, count)
    assert decode_loop(encode_loop(lp)) == lp


def test_bad_words_are_refused() -> None:
    with pytest.raises(ImageError, match="unknown opcode 63"):
        decode_word(63 << 58, 5)
    with pytest.raises(ImageError, match="reserved bits"):
        decode_word(1 << 50)
    with pytest.raises(ValueError, match="does not fit 16 bits"):
        encode_word(MInstr("add", 70000, 0, 0))


def test_examples_in_encoding_doc_are_true() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "encoding.md").read_text()
    examples = re.findall(r"`([a-z]+(?: [^`]*)?)` is `([0-9a-f]{16})`", doc)
    assert len(examples) >= 4
    for text, word in examples:
        assert decode_word(int(word, 16)).text().split() == text.replace(",", ", ").split()
