"""The image set: writing and reading machine code on disk (target.md sections 5 and 6)."""

from __future__ import annotations

import doctest
import json
import math
import struct
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vtc.compiler.errors import ImageError
from vtc.compiler.machine import image as image_module
from vtc.compiler.machine.code import (
    LoopSpec,
    MachineProgram,
    MInstr,
    PortInfo,
    decode_word,
    encode_word,
)
from vtc.compiler.machine.image import (
    data_word,
    image_name,
    read_image,
    validate_loops,
    word_value,
    write_image,
)
from vtc.compiler.machine.isa import ISA, Form, OpInfo
from vtc.compiler.machine.semantics import as_precision
from vtc.compiler.machine.target import Target, load_target

SINGLE = load_target("zynq7020-single")
DOUBLE = load_target("zynq7020-double")


def test_doctests() -> None:
    assert doctest.testmod(image_module).failed == 0


# --- random programs ---------------------------------------------------------------


@st.composite
def instructions(draw: st.DrawFn, target: Target) -> MInstr:
    op = draw(st.sampled_from([op for op in ISA if op.mnemonic != "halt"]))
    cell = st.integers(0, target.data_depth - 1)
    shared = st.integers(0, target.shared.depth - 1)
    form = op.form
    if form is Form.NONE:
        return MInstr(op.mnemonic)
    if form is Form.IN:
        return MInstr(op.mnemonic, draw(cell), draw(st.integers(0, target.input_ports - 1)))
    if form is Form.OUT:
        return MInstr(op.mnemonic, draw(st.integers(0, target.output_ports - 1)), draw(cell))
    if form is Form.LDS:
        return MInstr(op.mnemonic, draw(cell), draw(shared), a_shared=True)
    if form is Form.STS:
        return MInstr(op.mnemonic, draw(shared), draw(cell), d_shared=True)
    d_sh = draw(st.booleans()) and form is not Form.DAC
    which = draw(st.sampled_from(["none", "a", "b"] if form is not Form.DA else ["none", "a"]))
    d = draw(shared if d_sh else cell)
    a = draw(shared if which == "a" else cell)
    b = draw(shared if which == "b" else cell) if form is not Form.DA else 0
    return MInstr(op.mnemonic, d, a, b, d_shared=d_sh, a_shared=which == "a", b_shared=which == "b")


@st.composite
def programs(draw: st.DrawFn) -> MachineProgram:
    target = draw(st.sampled_from([SINGLE, DOUBLE]))
    body = draw(st.lists(instructions(target), min_size=0, max_size=40))
    slots = (*body, MInstr("halt"))
    loops: list[LoopSpec] = []
    if body:
        for _ in range(draw(st.integers(0, 6))):
            start = draw(st.integers(0, len(body) - 1))
            end = draw(st.integers(start, len(body) - 1))
            count = draw(st.integers(1, 65535))
            candidate = sorted(
                [*loops, LoopSpec(start, end, count)], key=lambda x: (x.start, -x.end)
            )
            if validate_loops(candidate, slots, target) is None:
                loops = candidate
    value = st.floats(allow_nan=False, width=32 if target.precision == "single" else 64)
    data = draw(st.dictionaries(st.integers(0, target.data_depth - 1), value, max_size=12))
    formats = st.sampled_from(["f32", "f64", "i8", "i16", "u32", "q1.15", "q4.12"])
    name = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)
    ins = draw(st.dictionaries(st.integers(0, target.input_ports - 1), st.tuples(name, formats)))
    outs = draw(st.dictionaries(st.integers(0, target.output_ports - 1), st.tuples(name, formats)))
    symbols = draw(
        st.lists(
            st.tuples(st.sampled_from(["const", "state", "literal"]), name, st.integers(0, 1023)),
            max_size=5,
        )
    )
    return MachineProgram(
        target=target,
        slots=slots,
        loops=tuple(loops),
        data=tuple(sorted(data.items())),
        inputs=tuple(PortInfo(n, nm, f) for n, (nm, f) in sorted(ins.items())),
        outputs=tuple(PortInfo(n, nm, f) for n, (nm, f) in sorted(outs.items())),
        symbols=tuple(symbols),
    )


def data_bits(mp: MachineProgram) -> list[tuple[int, int]]:
    return [(a, data_word(v, mp.target.precision)) for a, v in mp.data]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_write_read_round_trip(mp: MachineProgram) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_image(mp, tmp, "prog")
        assert [p.name for p in paths] == [
            "prog.prog.mem",
            "prog.data.mem",
            "prog.loops.mem",
            "prog.prog.coe",
            "prog.data.coe",
            "prog.loops.coe",
            "prog.image.json",
        ]
        for path in paths:
            back = read_image(path)
            assert back == mp
            assert data_bits(back) == data_bits(mp)  # -0.0 stays -0.0


@given(instructions(SINGLE))
def test_encode_decode_every_opcode(ins: MInstr) -> None:
    word = encode_word(ins)
    assert 0 <= word < 1 << 64
    assert decode_word(word) == ins


@pytest.mark.parametrize("op", ISA, ids=[op.mnemonic for op in ISA])
def test_each_opcode_survives_the_image(op: OpInfo, tmp_path: Path) -> None:
    ins = MInstr(op.mnemonic) if op.form is Form.NONE else MInstr(op.mnemonic, 1, 2, 3)
    if op.form is Form.DA or op.form is Form.IN or op.form is Form.OUT:
        ins = MInstr(op.mnemonic, 1, 2)
    if op.form is Form.LDS:
        ins = MInstr(op.mnemonic, 1, 2, a_shared=True)
    if op.form is Form.STS:
        ins = MInstr(op.mnemonic, 1, 2, d_shared=True)
    mp = MachineProgram(SINGLE, (ins, MInstr("halt")))
    write_image(mp, tmp_path, "one")
    assert read_image(tmp_path / "one.image.json").slots[0] == ins


# --- file contents -----------------------------------------------------------------


def small(target: Target = SINGLE) -> MachineProgram:
    return MachineProgram(
        target,
        (MInstr("add", 1, 1, 0), MInstr("nop"), MInstr("out", 0, 1), MInstr("halt")),
        loops=(LoopSpec(0, 1, 3),),
        data=((0, 1.0), (1, -0.0), (3, 0.1)),
        inputs=(),
        outputs=(PortInfo(0, "y", "f32"),),
        symbols=(("const", "one", 0), ("state", "acc", 1), ("literal", "0.1", 3)),
    )


def test_file_contents(tmp_path: Path) -> None:
    write_image(small(), tmp_path, "p")
    assert (tmp_path / "p.prog.mem").read_text() == (
        "0800000100010000\n0000000000000000\n8c00000000010000\n0400000000000000\n"
    )
    assert (tmp_path / "p.data.mem").read_text() == "3f800000\n80000000\n00000000\n3dcccccd\n"
    assert (tmp_path / "p.loops.mem").read_text() == "0000000100030000\n"
    assert (tmp_path / "p.loops.coe").read_text() == (
        "; p: loop table, 1 entry of 64 bits\n"
        "memory_initialization_radix=16;\n"
        "memory_initialization_vector=\n"
        "0000000100030000;\n"
    )
    assert (
        (tmp_path / "p.data.coe")
        .read_text()
        .endswith("memory_initialization_vector=\n3f800000,\n80000000,\n00000000,\n3dcccccd;\n")
    )
    meta = json.loads((tmp_path / "p.image.json").read_text())
    assert meta["format"] == "vtc-image" and meta["version"] == 1 and meta["name"] == "p"
    assert meta["target"] == SINGLE.to_dict()
    assert meta["initialised"] == [0, 1, 3]
    assert meta["loops"] == [{"start": 0, "end": 1, "count": 3}]
    assert meta["outputs"] == [{"number": 0, "name": "y", "format": "f32"}]
    assert meta["symbols"] == [["const", "one", 0], ["state", "acc", 1], ["literal", "0.1", 3]]


def test_double_precision_data_words(tmp_path: Path) -> None:
    write_image(small(DOUBLE), tmp_path, "d")
    words = (tmp_path / "d.data.mem").read_text().split()
    assert words == ["3ff0000000000000", "8000000000000000", "0000000000000000", "3fb999999999999a"]


def test_empty_loop_table(tmp_path: Path) -> None:
    write_image(MachineProgram(SINGLE, (MInstr("halt"),)), tmp_path, "e")
    assert (tmp_path / "e.loops.mem").read_text() == ""
    assert (tmp_path / "e.loops.coe").read_text().endswith("vector=\n0000000000000000;\n")
    assert read_image(tmp_path / "e.loops.mem").loops == ()


def test_data_words() -> None:
    assert data_word(1e300, "single") == 0x7F800000  # overflow rounds to inf on store
    assert data_word(0.1, "single") == 0x3DCCCCCD
    assert word_value(0x3DCCCCCD, "single") == as_precision(0.1, "single")
    assert math.isnan(word_value(0x7FC00000, "single"))
    assert word_value(struct.unpack(">Q", struct.pack(">d", -2.5))[0], "double") == -2.5


def test_image_name() -> None:
    assert image_name("a/b/x.core1.prog.coe") == (Path("a/b"), "x.core1")
    assert image_name("x.s") is None
    assert image_name(".prog.mem") is None


# --- errors ------------------------------------------------------------------------


@pytest.fixture
def img(tmp_path: Path) -> Path:
    write_image(small(), tmp_path, "p")
    return tmp_path


def err(path: Path) -> str:
    with pytest.raises(ImageError) as exc:
        read_image(path)
    return exc.value.format()


def replace_line(path: Path, number: int, text: str) -> None:
    lines = path.read_text().splitlines()
    lines[number - 1] = text
    path.write_text("\n".join(lines) + "\n")


def test_bad_hex(img: Path) -> None:
    replace_line(img / "p.prog.mem", 2, "00000000000g0000")
    assert err(img / "p.image.json") == (
        f"{img}/p.prog.mem:2:1: error: '00000000000g0000' is not a hexadecimal word\n"
        "    00000000000g0000\n    ^~~~~~~~~~~~~~~~"
    )


def test_wrong_width(img: Path) -> None:
    replace_line(img / "p.data.mem", 3, "  0000")
    assert err(img / "p.prog.mem").startswith(
        f"{img}/p.data.mem:3:3: error: word '0000' has 4 hex digits, expected 8"
    )


def test_unknown_opcode(img: Path) -> None:
    replace_line(img / "p.prog.mem", 2, "fc00000000000000")
    assert err(img / "p.data.mem").startswith(
        f"{img}/p.prog.mem:2:1: error: word 1: unknown opcode 63 in 0xfc00000000000000"
    )


def test_reserved_bits(img: Path) -> None:
    replace_line(img / "p.prog.mem", 1, "0801000100010000")
    assert "p.prog.mem:1:1: error: word 0: reserved bits 54..48 are not zero" in err(
        img / "p.image.json"
    )


def test_missing_sibling(img: Path) -> None:
    (img / "p.loops.mem").unlink()
    assert err(img / "p.image.json") == (
        f"{img}/p.image.json: error: the image set is incomplete: {img}/p.loops.mem is missing"
    )


def test_missing_file_and_wrong_name(img: Path) -> None:
    assert err(img / "q.image.json") == f"{img}/q.image.json: error: no such file"
    assert err(img / "p.lst").startswith(f"{img}/p.lst: error: not a file of an image set")


def test_bad_json(img: Path) -> None:
    (img / "p.image.json").write_text('{\n  "format": "vtc-image",\n  "version": 1,,\n}\n')
    assert err(img / "p.prog.mem").startswith(
        f"{img}/p.image.json:3:16: error: not valid JSON: Expecting property name"
    )


def test_json_keys(img: Path) -> None:
    path = img / "p.image.json"
    meta = json.loads(path.read_text())
    for key, value, message in [
        ("format", "other", "key 'format': error: must be 'vtc-image', got 'other'"),
        ("version", 2, "key 'version': error: image version 2 is not supported (only 1)"),
        ("target", None, "key 'target': error: missing"),
        ("program_words", 5, "p.prog.mem: error: holds 4 words, p.image.json says 5"),
        ("initialised", [0, 9], "key 'initialised[1]': error: must be a cell address below 4"),
        ("initialised", [0, 1], "p.data.mem:4:1: error: cell 3 is not initialised (p.image.json)"),
        ("loops", [], "key 'loops': error: does not match the loop table in p.loops.mem"),
        ("outputs", [{"number": 0, "name": "y", "format": "f7"}], "unknown port format 'f7'"),
        ("outputs", [{"number": 99, "name": "y", "format": "f32"}], "must be from 0 to 15"),
        ("symbols", [["a", 1, 2]], "key 'symbols[0]': error: must be [text, text, address]"),
    ]:
        broken = dict(meta)
        if value is None:
            del broken[key]
        else:
            broken[key] = value
        path.write_text(json.dumps(broken))
        assert message in err(path), key
    broken = dict(meta)
    broken["target"] = dict(meta["target"], precision="half")
    path.write_text(json.dumps(broken))
    assert "error: invalid target: must be 'single' or 'double', got 'half'" in err(path)


def test_bad_loop_table(img: Path) -> None:
    replace_line(img / "p.loops.mem", 1, "0000000100000000")
    meta = json.loads((img / "p.image.json").read_text())
    meta["loops"] = [{"start": 0, "end": 1, "count": 0}]
    (img / "p.image.json").write_text(json.dumps(meta))
    assert err(img / "p.image.json").startswith(
        f"{img}/p.loops.mem:1:1: error: loop 0: count 0 is not from 1 to 65535"
    )


def test_fields_outside_the_target(img: Path) -> None:
    replace_line(img / "p.prog.mem", 2, f"{encode_word(MInstr('mov', 5000, 1)):016x}")
    assert err(img / "p.image.json").startswith(
        f"{img}/p.prog.mem:2:1: error: 'mov   r5000, r1': cell 5000 is beyond the data memory "
        "of target 'zynq7020-single' (1024)"
    )
    replace_line(img / "p.prog.mem", 2, f"{encode_word(MInstr('in', 1, 16)):016x}")
    assert "input port 16 does not exist of target" in err(img / "p.image.json")


def test_validate_loops_messages() -> None:
    slots = tuple([MInstr("nop")] * 10 + [MInstr("halt")])
    cases = [
        ([LoopSpec(0, 3, 2), LoopSpec(2, 5, 2)], "overlaps loop 0..3 without nesting in it"),
        ([LoopSpec(0, 5, 2), LoopSpec(2, 5, 2)], "ends on the same slot (5) as its enclosing loop"),
        ([LoopSpec(2, 3, 2), LoopSpec(0, 5, 2)], "entries are not sorted"),
        ([LoopSpec(0, 10, 2)], "'halt' at address 10 is inside the loop"),
        ([LoopSpec(0, 11, 2)], "body 0..11 is not inside the program (0..10)"),
        (
            [
                LoopSpec(0, 9, 2),
                LoopSpec(0, 8, 2),
                LoopSpec(0, 7, 2),
                LoopSpec(0, 6, 2),
                LoopSpec(0, 5, 2),
            ],
            "nesting depth 5 exceeds 4",
        ),
    ]
    for loops, message in cases:
        problem = validate_loops(loops, slots, SINGLE)
        assert problem is not None and message in problem[1], (loops, problem)
    assert (
        validate_loops([LoopSpec(0, 9, 2), LoopSpec(0, 8, 3), LoopSpec(2, 4, 5)], slots, SINGLE)
        is None
    )
