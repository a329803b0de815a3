"""Name/value tables of the Xilinx 7-series configuration interface.

This module is the single table of numbers (the layout side, like
``elftools.elf.enums``); :func:`register_name`, :func:`command_name` and
:func:`describe_header` turn numbers into the text users see (the
``descriptions`` side). Everything else in :mod:`vtc.compiler.dpr` uses the
enums, never a bare number.

Sources: UG470 (7 Series FPGAs Configuration User Guide), tables 5-20 to
5-23, and the facts checked on real files in ``docs/dpr.md``.

>>> register_name(Register.FDRI)
'FDRI'
>>> register_name(0x15)
'REG_0x15'
>>> command_name(Command.GRESTORE)
'GRESTORE'
>>> describe_header(0x30008001)
'Type 1 write CMD, 1 word'
"""

from __future__ import annotations

from enum import IntEnum

__all__ = [
    "BUS_WIDTH_DETECT",
    "DUMMY_WORD",
    "NOP",
    "SYNC_WORD",
    "WORDS_PER_FRAME",
    "BlockType",
    "Command",
    "Opcode",
    "PacketType",
    "Register",
    "block_type_name",
    "command_name",
    "describe_header",
    "opcode_name",
    "register_name",
]

#: The synchronisation word: configuration packets start after it.
SYNC_WORD = 0xAA995566
#: Filler word sent before the sync word.
DUMMY_WORD = 0xFFFFFFFF
#: The bus width detection pattern sent before the sync word (SelectMAP/ICAP).
BUS_WIDTH_DETECT = (0x000000BB, 0x11220044)
#: A Type 1 packet with opcode NOP, register 0 and no data.
NOP = 0x20000000
#: A configuration frame is 101 32-bit words (404 bytes, 3232 bits).
WORDS_PER_FRAME = 101


class PacketType(IntEnum):
    """Header bits [31:29]."""

    TYPE0 = 0  # not a packet: filler words (zero padding in debug bitstreams)
    TYPE1 = 1
    TYPE2 = 2


class Opcode(IntEnum):
    """Header bits [28:27]."""

    NOP = 0
    READ = 1
    WRITE = 2
    RESERVED = 3


class Register(IntEnum):
    """Configuration register addresses (Type 1 header bits [26:13])."""

    CRC = 0x00
    FAR = 0x01
    FDRI = 0x02
    FDRO = 0x03
    CMD = 0x04
    CTL0 = 0x05
    MASK = 0x06
    STAT = 0x07
    LOUT = 0x08
    COR0 = 0x09
    MFWR = 0x0A
    CBC = 0x0B
    IDCODE = 0x0C
    AXSS = 0x0D
    COR1 = 0x0E
    WBSTAR = 0x10
    TIMER = 0x11
    RBCRC_SW = 0x13
    BOOTSTS = 0x16
    CTL1 = 0x18
    BSPI = 0x1F


class Command(IntEnum):
    """Values written to the CMD register."""

    NULL = 0x00
    WCFG = 0x01
    MFW = 0x02
    LFRM = 0x03
    RCFG = 0x04
    START = 0x05
    RCAP = 0x06
    RCRC = 0x07
    AGHIGH = 0x08
    SWITCH = 0x09
    GRESTORE = 0x0A
    SHUTDOWN = 0x0B
    GCAPTURE = 0x0C
    DESYNC = 0x0D
    IPROG = 0x0F
    CRCC = 0x10
    LTIMER = 0x11
    BSPI_READ = 0x12
    FALL_EDGE = 0x13


class BlockType(IntEnum):
    """Frame address bits [25:23]."""

    CLB_IO_CLK = 0
    BLOCK_RAM = 1
    CFG_CLB = 2


def register_name(reg: int) -> str:
    """The register's name, or ``REG_0xNN`` for an address without one."""
    try:
        return Register(reg).name
    except ValueError:
        return f"REG_0x{reg:02X}"


def command_name(value: int) -> str:
    """The command's name, or ``CMD_0xNN`` for a value without one."""
    try:
        return Command(value).name
    except ValueError:
        return f"CMD_0x{value:02X}"


def opcode_name(op: int) -> str:
    """``NOP``, ``read``, ``write`` or ``reserved``."""
    return ("NOP", "read", "write", "reserved")[op & 3]


def block_type_name(block: int) -> str:
    """``CLB_IO_CLK``, ``BLOCK_RAM``, ``CFG_CLB`` or ``BLOCK_n``."""
    try:
        return BlockType(block).name
    except ValueError:
        return f"BLOCK_{block}"


def describe_header(word: int, register: int | None = None) -> str:
    """One line of text for a packet header word.

    ``register`` is the register a Type 2 header inherits from the Type 1
    packet before it.
    """
    kind = word >> 29
    if kind == PacketType.TYPE0:
        return f"Type 0 word 0x{word:08X}"
    op = (word >> 27) & 3
    if kind == PacketType.TYPE1:
        reg = (word >> 13) & 0x3FFF
        count = word & 0x7FF
        if op == Opcode.NOP:
            return "NOP" if count == 0 else f"NOP, {count} words"
        plural = "" if count == 1 else "s"
        return f"Type 1 {opcode_name(op)} {register_name(reg)}, {count} word{plural}"
    if kind == PacketType.TYPE2:
        count = word & 0x7FFFFFF
        name = register_name(register) if register is not None else "?"
        plural = "" if count == 1 else "s"
        return f"Type 2 {opcode_name(op)} {name}, {count} word{plural}"
    return f"invalid header 0x{word:08X} (type {kind})"
