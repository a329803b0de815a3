"""Models: the file format, the document dataclasses, elaboration, ports."""

from vtc.compiler.model.elaborate import Diagram, Inst, elaborate
from vtc.compiler.model.fileio import dumps, load, loads, save
from vtc.compiler.model.model import BlockSpec, Connection, Model, PortRef

__all__ = [
    "BlockSpec",
    "Connection",
    "Diagram",
    "Inst",
    "Model",
    "PortRef",
    "dumps",
    "elaborate",
    "load",
    "loads",
    "save",
]
