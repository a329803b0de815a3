"""The model's hardware ports: how inport and outport blocks map to ports and
CSV columns (target.md section 4, models.md section 4).

The model's inports, sorted by their ``port`` parameter, take consecutive
hardware input ports; a vector inport of width w takes w of them, one per
element. The CSV column of a scalar port is the block id, of element k of a
vector port ``id[k]``. The assembly names the port ``id`` or ``id.k`` (an
assembly name is an identifier, dots allowed). Outports likewise.
"""

from __future__ import annotations

from dataclasses import dataclass

from vtc.compiler.machine.formats import PortFormat, parse_format
from vtc.compiler.model.elaborate import Diagram

__all__ = ["ModelPort", "model_ports"]


@dataclass(frozen=True)
class ModelPort:
    """One hardware port of a model.

    Attributes
    ----------
    column:
        CSV column name (``id`` or ``id[k]``).
    asm_name:
        The port's name in the generated assembly (``id`` or ``id.k``).
    path:
        The inport/outport block.
    element:
        Index of the element within the block's vector.
    number:
        Hardware port number.
    format:
        The port's number format.
    """

    column: str
    asm_name: str
    path: str
    element: int
    number: int
    format: PortFormat


def _ports(
    diagram: Diagram, paths: tuple[str, ...], precision: str, inputs: bool
) -> list[ModelPort]:
    out: list[ModelPort] = []
    default = "f32" if precision == "single" else "f64"
    for path in paths:
        inst = diagram.inst(path)
        width = inst.out_widths.get("out", 1) if inputs else inst.in_widths.get("in", 1)
        fmt = parse_format(inst.params.get("format") or default)
        for k in range(width):
            column = path if width == 1 else f"{path}[{k}]"
            asm = path if width == 1 else f"{path}.{k}"
            out.append(ModelPort(column, asm, path, k, len(out), fmt))
    return out


def model_ports(diagram: Diagram, precision: str) -> tuple[list[ModelPort], list[ModelPort]]:
    """The input and output ports of an elaborated top-level diagram."""
    return (
        _ports(diagram, diagram.inports, precision, True),
        _ports(diagram, diagram.outports, precision, False),
    )
