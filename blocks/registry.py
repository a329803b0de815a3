"""Finding block libraries: the entry-point group ``vtc.blocks``.

A library is an ordinary Python package that declares, in its
``pyproject.toml``::

    [project.entry-points."vtc.blocks"]
    mylib = "mylib.blocks:BLOCKS"

where ``BLOCKS`` is a sequence of :class:`~vtc.blocks.api.Block` subclasses
(or a function returning one). The standard library registers itself the
same way (``std = "vtc.blocks.std:BLOCKS"``). :func:`registry` loads every
library once; a library that fails to load, or a type name given twice, is
reported as a :class:`LibraryProblem` rather than stopping the others.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points

from vtc.blocks.api import Block

__all__ = ["GROUP", "LibraryProblem", "RegisteredBlock", "Registry", "registry"]

#: The entry-point group block libraries register under.
GROUP = "vtc.blocks"


@dataclass(frozen=True)
class RegisteredBlock:
    """A block type and where it came from."""

    block: Block
    library: str
    package: str

    @property
    def type_name(self) -> str:
        return self.block.type_name


@dataclass(frozen=True)
class LibraryProblem:
    """A library that could not be loaded completely."""

    library: str
    message: str


class Registry(Mapping[str, RegisteredBlock]):
    """Every known block type by type name."""

    def __init__(
        self, blocks: Iterable[RegisteredBlock], problems: Iterable[LibraryProblem] = ()
    ) -> None:
        self._blocks: dict[str, RegisteredBlock] = {}
        found = list(problems)
        for rb in blocks:
            if rb.type_name in self._blocks:
                first = self._blocks[rb.type_name]
                found.append(
                    LibraryProblem(
                        rb.library,
                        f"block type '{rb.type_name}' is already defined by library "
                        f"'{first.library}' ({first.package}); the second one is ignored",
                    )
                )
                continue
            self._blocks[rb.type_name] = rb
        self.problems = tuple(found)

    def __getitem__(self, key: str) -> RegisteredBlock:
        return self._blocks[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._blocks)

    def __len__(self) -> int:
        return len(self._blocks)

    def block(self, type_name: str) -> Block | None:
        """The block of a type name, or ``None`` when no library defines it."""
        rb = self._blocks.get(type_name)
        return rb.block if rb is not None else None

    @staticmethod
    def from_classes(classes: Iterable[type[Block]], library: str = "test") -> Registry:
        """A registry of the given classes (for tests and embedding)."""
        return Registry(RegisteredBlock(cls(), library, library) for cls in classes)


def _load(ep_name: str, value: object, package: str) -> tuple[list[RegisteredBlock], str | None]:
    if callable(value) and not isinstance(value, type):
        value = value()
    if not isinstance(value, Iterable):
        return [], f"entry point '{ep_name}' is not a list of block classes"
    out = []
    for cls in value:
        if not (isinstance(cls, type) and issubclass(cls, Block)) or not cls.type_name:
            return [], f"entry point '{ep_name}' lists {cls!r}, which is not a named Block class"
        out.append(RegisteredBlock(cls(), ep_name, package))
    return out, None


@functools.cache
def registry() -> Registry:
    """Every block of every installed library (loaded once per process)."""
    blocks: list[RegisteredBlock] = []
    problems: list[LibraryProblem] = []
    eps = sorted(entry_points(group=GROUP), key=lambda ep: (ep.name != "std", ep.name))
    seen_std = False
    for ep in eps:
        package = ep.dist.name if ep.dist is not None else ep.module
        try:
            value = ep.load()
        except Exception as exc:  # a broken third-party library must not stop the rest
            problems.append(LibraryProblem(ep.name, f"cannot be loaded: {exc}"))
            continue
        got, problem = _load(ep.name, value, package)
        if problem is not None:
            problems.append(LibraryProblem(ep.name, problem))
        blocks.extend(got)
        seen_std = seen_std or ep.name == "std"
    if not seen_std:  # running from a source tree without installed metadata
        from vtc.blocks.std import BLOCKS

        blocks[:0] = [RegisteredBlock(cls(), "std", "vtc") for cls in BLOCKS]
    return Registry(blocks, problems)
