"""The reference interpreter: what a model means, evaluated block by block.

It never imports the compiler or the assembler, so that it stays an honest
oracle for compiled programs (see :mod:`.interpreter`).
"""

from vtc.compiler.reference.context import NumpyContext
from vtc.compiler.reference.interpreter import Interpreter, ReferenceResult

__all__ = ["Interpreter", "NumpyContext", "ReferenceResult"]
