"""The compiler's IR: a dataflow graph of target operations in regions.

A :class:`Graph` is a list of :class:`Node` in SSA form: a node's ``args``
are earlier nodes, so the list is in a topological order. Besides the ISA
operations there are four pseudo-operations:

``const``
    A constant (``value``, already rounded to the target precision).
``input``
    One ``in`` from the hardware port ``name`` (once per iteration of its region).
``read``
    The value of the state cell ``name`` at the start of an iteration of its region.
``index``
    The iteration number of its region (a for-iterator's ``k``).

``cmov`` has the arguments ``(else, then, cond)``: ``then`` if ``cond != 0``
else ``else`` (the ISA's ``cmov d, a, c`` with ``d`` holding ``else``).

A :class:`Region` is the step (region 0, repeated ``samples_per_run`` times)
or a hardware loop inside its parent. A node belongs to one region; it may
use values of enclosing regions (they hold during the loop) and of nested
regions that came before it (their last iteration's value). At the end of
every iteration a region writes its state cells (``writes``); the step
region also writes the output ports (``outputs``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["PSEUDO", "Graph", "Node", "Region"]

#: Pseudo-operations (not ISA mnemonics).
PSEUDO = frozenset({"const", "input", "read", "index"})


@dataclass(frozen=True, slots=True)
class Node:
    """One value of the graph.

    Attributes
    ----------
    op:
        An ISA mnemonic that computes a value, or a pseudo-operation.
    args:
        Indices of earlier nodes.
    region:
        The region that computes it.
    value:
        The constant of a ``const``.
    name:
        The port of an ``input``, the state cell of a ``read``.
    origin:
        The block path it was lowered from (for comments and messages).
    """

    op: str
    args: tuple[int, ...] = ()
    region: int = 0
    value: float = 0.0
    name: str = ""
    origin: str = ""


@dataclass(frozen=True, slots=True)
class Region:
    """A step or a hardware loop.

    Attributes
    ----------
    id:
        Index in :attr:`Graph.regions`.
    parent:
        The enclosing region (``None`` for the step).
    count:
        Iterations per entry.
    writes:
        State cell -> node written at the end of every iteration.
    origin:
        The for-iterator's block path (empty for the step).
    """

    id: int
    parent: int | None
    count: int
    writes: tuple[tuple[str, int], ...] = ()
    origin: str = ""


@dataclass(frozen=True)
class Graph:
    """A lowered model.

    Attributes
    ----------
    nodes:
        Every node, arguments before users.
    regions:
        Region 0 is the step.
    outputs:
        (output port name, node), in port order; written once per step.
    inputs:
        (input port name, number, format name), in port order.
    output_ports:
        (output port name, number, format name), in port order.
    states:
        (state cell, initial value, block path), in a stable order.
    """

    nodes: tuple[Node, ...]
    regions: tuple[Region, ...]
    outputs: tuple[tuple[str, int], ...]
    inputs: tuple[tuple[str, int, str], ...] = ()
    output_ports: tuple[tuple[str, int, str], ...] = ()
    states: tuple[tuple[str, float, str], ...] = ()
    stats: dict[str, int] = field(default_factory=dict, compare=False)

    def roots(self) -> list[int]:
        """Nodes that are observable: outputs and state writes."""
        out = [n for _, n in self.outputs]
        for r in self.regions:
            out.extend(n for _, n in r.writes)
        return out

    def operations(self) -> int:
        """Nodes that become instructions (not constants, reads or indices)."""
        return sum(1 for n in self.nodes if n.op not in ("const", "read", "index"))
