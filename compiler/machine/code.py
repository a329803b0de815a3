"""Machine code: the scheduled program as the hardware holds it, and its encoding.

A :class:`MachineProgram` is what the assembler produces and what the image
files store: one :class:`MInstr` per program-memory slot (``nop``s included,
so the address of a slot inside no loop is its issue cycle), the loop table
of the set/reset module, the initial data memory and the port bindings.

Encoding (``docs/encoding.md``): one 64-bit word per slot::

    63      58 57 56 55 54    48 47          32 31          16 15           0
    +---------+--+--+--+--------+--------------+--------------+--------------+
    | opcode  |Sd|Sa|Sb|  zero  |      d       |      a       |      b       |
    +---------+--+--+--+--------+--------------+--------------+--------------+

``opcode`` is the ISA table's code, ``Sd``/``Sa``/``Sb`` mark a field that
addresses shared memory, ``d``/``a``/``b`` are cell addresses or port numbers
as the instruction's form says (:mod:`.isa`). Unused fields are zero, so the
all-zero word is ``nop``.

A loop-table entry is one 64-bit word: start address in bits 63..48, end
address (inclusive, the body's last slot) in 47..32, iteration count in
31..16, bits 15..0 zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vtc.compiler.errors import ImageError
from vtc.compiler.machine.isa import BY_NAME, Form, OpInfo, by_code
from vtc.compiler.machine.target import Target

__all__ = [
    "LoopSpec",
    "MInstr",
    "MachineProgram",
    "PortInfo",
    "decode_loop",
    "decode_word",
    "encode_loop",
    "encode_word",
]

_FIELD = 0xFFFF


@dataclass(frozen=True, slots=True)
class MInstr:
    """One program-memory slot.

    Attributes
    ----------
    mnemonic:
        Lower-case mnemonic from the ISA table.
    d, a, b:
        Field values: cell addresses (shared-memory addresses where the
        matching flag is set) or port numbers, per the ISA form; 0 if unused.
    d_shared, a_shared, b_shared:
        Whether the field addresses shared memory.
    origin:
        ``Instr.index`` of the source instruction, ``None`` for a ``nop`` the
        assembler inserted. Not encoded (the image does not keep it).
    stage:
        For a slot of a software-pipelined loop (prologue, kernel or
        epilogue): the stage of its instruction, i.e. in block ``b`` of the
        pipelined loop it executes source iteration ``b - stage``. 0 elsewhere.
        Not encoded.
    """

    mnemonic: str
    d: int = 0
    a: int = 0
    b: int = 0
    d_shared: bool = False
    a_shared: bool = False
    b_shared: bool = False
    origin: int | None = field(default=None, compare=False)
    stage: int = field(default=0, compare=False)

    @property
    def info(self) -> OpInfo:
        """The instruction's row of the ISA table."""
        return BY_NAME[self.mnemonic]

    def text(self) -> str:
        """Assembly text with physical operands: ``add r5, r3, r4``, ``in r2, 0``.

        Local cells print as ``rN``, shared cells as ``@N``, ports as numbers.
        """
        op = self.info

        def cell(v: int, shared: bool) -> str:
            return f"@{v}" if shared else f"r{v}"

        form = op.form
        if form is Form.NONE:
            args: list[str] = []
        elif form is Form.DAB or form is Form.DAC:
            args = [cell(self.d, self.d_shared), cell(self.a, self.a_shared)]
            args.append(cell(self.b, self.b_shared))
        elif form is Form.DA or form is Form.LDS or form is Form.STS:
            args = [cell(self.d, self.d_shared), cell(self.a, self.a_shared)]
        elif form is Form.IN:
            args = [cell(self.d, False), str(self.a)]
        else:  # OUT
            args = [str(self.d), cell(self.a, self.a_shared)]
        return f"{op.mnemonic:<6}{', '.join(args)}".rstrip()


@dataclass(frozen=True)
class LoopSpec:
    """One hardware loop: body from ``start`` to ``end`` (inclusive), ``count`` times."""

    start: int
    end: int
    count: int


@dataclass(frozen=True)
class PortInfo:
    """A port binding: number, name (``in0``... when unnamed) and format name."""

    number: int
    name: str
    format: str


@dataclass(frozen=True)
class MachineProgram:
    """A complete single-core program image, decoded.

    Attributes
    ----------
    target:
        The target it was built for (latencies, precision, depths).
    slots:
        Program memory, one instruction per address; the last is ``halt``.
    loops:
        The loop table, sorted by start address, enclosing loops first.
    data:
        Initialised data cells as ``(address, value)``, sorted by address:
        constants, pooled literals and initial state values.
    inputs, outputs:
        Port bindings, sorted by port number.
    symbols:
        ``(kind, name, address)`` for every constant, literal and state, kind
        one of ``"const"``, ``"literal"``, ``"state"``, in declaration order
        (``NAME.map.json``); not needed to run the program.
    pipelines:
        ``(kernel_start, stages)`` of every software-pipelined loop: the loop
        whose table entry starts at ``kernel_start`` is the kernel of a source
        loop of ``count + stages - 1`` iterations, preceded by a prologue and
        followed by an epilogue of ``stages - 1`` kernel-length blocks each
        (see :attr:`MInstr.stage`). Assembler metadata, not part of the image.
    """

    target: Target
    slots: tuple[MInstr, ...]
    loops: tuple[LoopSpec, ...] = ()
    data: tuple[tuple[int, float], ...] = ()
    inputs: tuple[PortInfo, ...] = ()
    outputs: tuple[PortInfo, ...] = ()
    symbols: tuple[tuple[str, str, int], ...] = ()
    pipelines: tuple[tuple[int, int], ...] = field(default=(), compare=False)

    @property
    def cells_used(self) -> int:
        """Number of data cells from address 0 up to the highest one used."""
        top = -1
        for ins in self.slots:
            form = BY_NAME[ins.mnemonic].form
            if form is Form.NONE:
                continue
            if form.writes_cell and not ins.d_shared and form is not Form.STS:
                top = max(top, ins.d)
            if form in (Form.DAB, Form.DA, Form.DAC, Form.OUT, Form.STS) and not ins.a_shared:
                top = max(top, ins.a)
            if form in (Form.DAB, Form.DAC) and not ins.b_shared:
                top = max(top, ins.b)
        for addr, _ in self.data:
            top = max(top, addr)
        return top + 1


def encode_word(ins: MInstr) -> int:
    """The 64-bit machine word of a slot.

    >>> hex(encode_word(MInstr("add", 3, 1, 2)))
    '0x800000300010002'
    """
    op = ins.info
    for name, value in (("d", ins.d), ("a", ins.a), ("b", ins.b)):
        if not 0 <= value <= _FIELD:
            raise ValueError(f"field {name}={value} of '{ins.text()}' does not fit 16 bits")
    flags = (int(ins.d_shared) << 2) | (int(ins.a_shared) << 1) | int(ins.b_shared)
    return (op.code << 58) | (flags << 55) | (ins.d << 32) | (ins.a << 16) | ins.b


def decode_word(word: int, address: int | None = None) -> MInstr:
    """The slot a 64-bit word encodes (inverse of :func:`encode_word`).

    Raises
    ------
    ImageError
        Unknown opcode or non-zero reserved bits.
    """
    where = f"word {address}" if address is not None else "word"
    if not 0 <= word < (1 << 64):
        raise ImageError(f"{where}: {word:#x} is not a 64-bit word")
    code = word >> 58
    op = by_code(code)
    if op is None:
        raise ImageError(f"{where}: unknown opcode {code} in {word:#018x}")
    if (word >> 48) & 0x7F:
        raise ImageError(f"{where}: reserved bits 54..48 are not zero in {word:#018x}")
    return MInstr(
        op.mnemonic,
        d=(word >> 32) & _FIELD,
        a=(word >> 16) & _FIELD,
        b=word & _FIELD,
        d_shared=bool((word >> 57) & 1),
        a_shared=bool((word >> 56) & 1),
        b_shared=bool((word >> 55) & 1),
    )


def encode_loop(loop: LoopSpec) -> int:
    """The 64-bit loop-table word of a loop."""
    for name, value in (("start", loop.start), ("end", loop.end), ("count", loop.count)):
        if not 0 <= value <= _FIELD:
            raise ValueError(f"loop {name}={value} does not fit 16 bits")
    return (loop.start << 48) | (loop.end << 32) | (loop.count << 16)


def decode_loop(word: int, index: int | None = None) -> LoopSpec:
    """The loop a loop-table word encodes (inverse of :func:`encode_loop`)."""
    where = f"loop entry {index}" if index is not None else "loop entry"
    if not 0 <= word < (1 << 64) or word & _FIELD:
        raise ImageError(f"{where}: {word:#x} is not a valid loop-table word")
    return LoopSpec(start=word >> 48, end=(word >> 32) & _FIELD, count=(word >> 16) & _FIELD)
