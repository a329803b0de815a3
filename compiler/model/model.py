"""The model document: blocks, connections and the model's own settings.

These frozen dataclasses are the in-memory form of ``model.json``
(models.md section 2). They hold parameters as the file gives them (JSON
data, not yet validated against the block type): a block of a type no
installed library knows is kept as it is, so a save loses nothing. Keys this
version does not know are kept in ``extra`` and written back on save.

Editing never mutates a model: the ``with_*`` methods return a new one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["FORMAT", "VERSION", "BlockSpec", "Connection", "Model", "PortRef"]

#: The value of the ``format`` key of every model file.
FORMAT = "vtc-model"
#: The newest file version this code reads and the one it writes.
VERSION = 1


@dataclass(frozen=True, slots=True, order=True)
class PortRef:
    """One end of a connection: a block id in the same diagram and a port name."""

    block: str
    port: str

    def __str__(self) -> str:
        return f"{self.block}.{self.port}"


@dataclass(frozen=True, slots=True)
class Connection:
    """A wire from an output port to an input port of the same diagram."""

    src: PortRef
    dst: PortRef
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class BlockSpec:
    """One block as the file gives it.

    Attributes
    ----------
    id:
        Unique within its diagram; the path of a nested block joins the ids
        from the top with ``/``.
    type:
        The block type name (``std.gain``).
    params:
        The parameters as JSON data (validated later, against the type).
    pos:
        Position in the editor (GUI data: never changes what is computed).
    blocks, connections:
        The contents of a subsystem or for-iterator (``None`` for others).
    extra:
        Every other key of the block object (size, colour, notes, ...).
    """

    id: str
    type: str
    params: Mapping[str, Any] = field(default_factory=dict)
    pos: tuple[float, float] | None = None
    blocks: tuple[BlockSpec, ...] | None = None
    connections: tuple[Connection, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def has_contents(self) -> bool:
        return self.blocks is not None

    def block(self, block_id: str) -> BlockSpec | None:
        """The direct child with this id."""
        for b in self.blocks or ():
            if b.id == block_id:
                return b
        return None


@dataclass(frozen=True, slots=True)
class Model:
    """A whole model file.

    Attributes
    ----------
    name:
        The model's name (artefact stem); empty when the file gives none.
    target:
        The named target or target file the model is meant for.
    blocks, connections:
        The top-level diagram.
    samples_per_run:
        Steps per program run (the step wrapped in a hardware loop).
    sample_time:
        The deadline of one step in seconds, or ``None``.
    description:
        Free text.
    extra:
        Unknown top-level keys, kept on save.
    """

    name: str = ""
    target: str | None = None
    blocks: tuple[BlockSpec, ...] = ()
    connections: tuple[Connection, ...] = ()
    samples_per_run: int = 1
    sample_time: float | None = None
    description: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def block(self, path: str) -> BlockSpec | None:
        """The block at a ``/``-joined path from the top, or ``None``."""
        blocks: tuple[BlockSpec, ...] | None = self.blocks
        found: BlockSpec | None = None
        for part in path.split("/"):
            found = next((b for b in blocks or () if b.id == part), None)
            if found is None:
                return None
            blocks = found.blocks
        return found

    def with_blocks(
        self, blocks: tuple[BlockSpec, ...], connections: tuple[Connection, ...]
    ) -> Model:
        """A copy with another top-level diagram."""
        return replace(self, blocks=blocks, connections=connections)
