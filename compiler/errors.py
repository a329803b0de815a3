"""One error hierarchy for the whole toolchain, every error with a location.

Every problem the toolchain reports to a user is a :class:`VtcError`. An error
knows where it happened (a :class:`SourceLocation`: file, line, column and the
source line for a caret excerpt) and formats itself the way compilers do::

    prog.s:3:9: error: unknown mnemonic 'ad' (did you mean 'add'?)
        ad t, a, b
        ^~

Several problems found in one pass are collected into a :class:`VtcErrors`,
which formats every one of them in order. Front ends (the command line, the
editor) catch :class:`VtcError` and never show a traceback for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "AsmError",
    "ImageError",
    "ModelError",
    "ScheduleError",
    "SimulationError",
    "SourceLocation",
    "TargetError",
    "VerifyError",
    "VtcError",
    "VtcErrors",
]


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """A place in a text file: 1-based line and column.

    Parameters
    ----------
    file:
        The file name as the user gave it (``"<string>"`` for text in memory).
    line, column:
        1-based; ``column`` counts characters, not bytes.
    length:
        How many characters the caret underline covers (at least 1).
    text:
        The whole source line, for the excerpt; ``None`` when not known.
    """

    file: str
    line: int
    column: int = 1
    length: int = 1
    text: str | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def excerpt(self) -> str:
        """The source line and a caret under the located text (empty if unknown).

        >>> SourceLocation("p.s", 1, 5, 3, "add x, y").excerpt()
        '    add x, y\\n        ^~~'
        """
        if self.text is None:
            return ""
        line = self.text.rstrip("\n").expandtabs(1)
        pad = " " * (self.column - 1)
        return f"    {line}\n    {pad}^{'~' * (max(self.length, 1) - 1)}"


class VtcError(Exception):
    """A problem reported to the user, with an optional location.

    Parameters
    ----------
    message:
        One sentence, lower case, no final full stop, naming the thing at fault.
    location:
        Where it happened in a text file, if anywhere.
    where:
        A non-text location such as a file name alone or a block path, printed
        instead of ``location`` when that is ``None``.
    notes:
        Further lines printed after the message (``note: ...``).
    """

    kind = "error"

    def __init__(
        self,
        message: str,
        location: SourceLocation | None = None,
        *,
        where: str | None = None,
        notes: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.where = where
        self.notes = tuple(notes)

    def headline(self) -> str:
        """``FILE:LINE:COL: error: MESSAGE`` (or ``WHERE: error: MESSAGE``)."""
        if self.location is not None:
            return f"{self.location}: {self.kind}: {self.message}"
        if self.where is not None:
            return f"{self.where}: {self.kind}: {self.message}"
        return f"{self.kind}: {self.message}"

    def format(self) -> str:
        """The full report: headline, source excerpt with caret, notes."""
        parts = [self.headline()]
        if self.location is not None:
            excerpt = self.location.excerpt()
            if excerpt:
                parts.append(excerpt)
        parts.extend(f"note: {note}" for note in self.notes)
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.headline()


class VtcErrors(VtcError):
    """Several errors found in one pass, reported together in order."""

    def __init__(self, errors: Iterable[VtcError]) -> None:
        self.errors = tuple(errors)
        if not self.errors:
            raise ValueError("VtcErrors needs at least one error")
        first = self.errors[0]
        super().__init__(first.message, first.location, where=first.where, notes=first.notes)

    def format(self) -> str:
        text = "\n".join(e.format() for e in self.errors)
        if len(self.errors) > 1:
            text += f"\n{len(self.errors)} errors"
        return text

    @staticmethod
    def raise_if_any(errors: Sequence[VtcError]) -> None:
        """Raise the one error, or all of them together; do nothing for none."""
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise VtcErrors(errors)


class TargetError(VtcError):
    """A target description that cannot be loaded or is invalid."""


class AsmError(VtcError):
    """A problem in an assembly program (syntax or meaning)."""


class ScheduleError(VtcError):
    """A program that cannot be scheduled or allocated on its target."""


class VerifyError(VtcError):
    """A schedule that breaks a timing rule: always a bug in the assembler."""


class ImageError(VtcError):
    """An image set (machine code files) that cannot be read."""


class SimulationError(VtcError):
    """A run-time problem found by the simulator (conflict, bad read, input)."""


class ModelError(VtcError):
    """A problem in a model: its file, a block, a wire, or what it computes.

    ``path`` is the block path from the top (ids joined by ``/``) and
    ``block_type`` its type, when the problem belongs to a block; the editor
    highlights that block. The headline reads
    ``FILE: block PATH (TYPE): error: MESSAGE``.
    """

    def __init__(
        self,
        message: str,
        location: SourceLocation | None = None,
        *,
        file: str = "<model>",
        path: str | None = None,
        block_type: str | None = None,
        notes: Sequence[str] = (),
    ) -> None:
        where = file
        if path is not None:
            where = f"{file}: block {path}" + (f" ({block_type})" if block_type else "")
        super().__init__(message, location, where=where, notes=notes)
        self.file = file
        self.path = path
        self.block_type = block_type
