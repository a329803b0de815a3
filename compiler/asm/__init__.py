"""The optimising assembler: parse, schedule, allocate, verify, emit.

The public entry points are :func:`vtc.compiler.asm.driver.assemble` and
:func:`~vtc.compiler.asm.driver.assemble_file`; the parser and printer are
:func:`parse`, :func:`parse_file` and :func:`format_program`.
"""

from vtc.compiler.asm.parser import parse, parse_file
from vtc.compiler.asm.printer import format_program

__all__ = ["format_program", "parse", "parse_file"]
