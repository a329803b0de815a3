"""Write-port reservations: who makes a result visible in which cycle.

One write port per core (target.md section 2 rule 3): no two results may land
in a local cell in the same cycle. A placed instruction reserves one cycle; a
placed hardware loop reserves a periodic pattern (:class:`WriteUse`). In a
loop body of ``B`` cycles the reservations are taken modulo ``B``, because
every iteration repeats them and results may land after the back edge.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["LinearTable", "ModuloTable", "WriteUse"]

#: The most write reservations one placed loop may expand to (a guard against
#: nests of huge loops whose patterns would not fit in memory).
MAX_EXPANDED = 4_000_000


@dataclass(frozen=True)
class WriteUse:
    """Write-port use of a job relative to its start: ``count`` repetitions,
    ``period`` cycles apart, of the cycles in ``offsets`` (sorted, may exceed
    ``period``: results still in flight across a back edge)."""

    period: int
    count: int
    offsets: tuple[int, ...]

    @staticmethod
    def single(offset: int | None) -> WriteUse:
        """One write at ``offset`` (``None``: no write)."""
        return WriteUse(0, 1, () if offset is None else (offset,))

    @property
    def size(self) -> int:
        return self.count * len(self.offsets)

    @property
    def extent(self) -> int:
        """One past the last cycle with a write (0 if there is none)."""
        if not self.offsets:
            return 0
        return (self.count - 1) * self.period + self.offsets[-1] + 1

    def all(self) -> Iterator[int]:
        """Every reserved cycle, relative to the start, in increasing order per repetition."""
        for k in range(self.count):
            base = k * self.period
            for o in self.offsets:
                yield base + o

    def hits(self, t: int) -> bool:
        """Whether cycle ``t`` (relative to the start) is reserved."""
        if not self.offsets or t < self.offsets[0] or t >= self.extent:
            return False
        if self.count == 1 or self.period == 0:
            return t in self._set
        lo = max(0, -(-(t - self.offsets[-1]) // self.period))
        hi = min(self.count - 1, (t - self.offsets[0]) // self.period)
        s = self._set
        return any(t - k * self.period in s for k in range(lo, hi + 1))

    @property
    def _set(self) -> frozenset[int]:
        cached = self.__dict__.get("_cached_set")
        if cached is None:
            cached = frozenset(self.offsets)
            object.__setattr__(self, "_cached_set", cached)
        return cached


class LinearTable:
    """Reservations of a straight-line region in absolute cycles."""

    def __init__(self) -> None:
        self.singles: set[int] = set()
        self.loops: list[tuple[int, WriteUse]] = []

    def _loop_hit(self, t: int) -> bool:
        return any(s <= t < s + use.extent and use.hits(t - s) for s, use in self.loops)

    def free(self, t: int) -> bool:
        """Whether a single write may land in cycle ``t``."""
        return t not in self.singles and not self._loop_hit(t)

    def can_place(self, start: int, use: WriteUse) -> bool:
        """Whether a job with write pattern ``use`` may start at ``start``."""
        if use.size == 1 and use.count == 1:
            return self.free(start + use.offsets[0])
        if use.size > MAX_EXPANDED:
            raise OverflowError("loop nest too large to schedule")
        return all(self.free(start + t) for t in use.all())

    def place(self, start: int, use: WriteUse) -> None:
        if not use.offsets:
            return
        if use.count == 1 and len(use.offsets) <= 64:
            self.singles.update(start + o for o in use.offsets)
        else:
            self.loops.append((start, use))


class ModuloTable:
    """Reservations of one iteration of a loop body of ``period`` cycles.

    A write at body offset ``t`` (``t`` may exceed the period) conflicts with
    any write at an offset congruent to it modulo the period: the body repeats.
    """

    def __init__(self, period: int) -> None:
        self.period = period
        self.residues: set[int] = set()
        self.loops: list[tuple[int, WriteUse]] = []

    def _loop_hit(self, t: int) -> bool:
        b = self.period
        for s, use in self.loops:
            ext = use.extent
            j_lo = -((t - s) // b)
            j_hi = (s + ext - 1 - t) // b
            for j in range(j_lo, j_hi + 1):
                x = t + j * b - s
                if 0 <= x < ext and use.hits(x):
                    return True
        return False

    def free(self, t: int) -> bool:
        return (t % self.period) not in self.residues and not self._loop_hit(t)

    def can_place(self, start: int, use: WriteUse) -> bool:
        if use.count == 1 and len(use.offsets) == 1:
            return self.free(start + use.offsets[0])
        if use.size > MAX_EXPANDED:
            raise OverflowError("loop nest too large to schedule")
        seen: set[int] = set()
        for t in use.all():
            r = (start + t) % self.period
            if r in seen or not self.free(start + t):
                return False
            seen.add(r)
        return True

    def place(self, start: int, use: WriteUse) -> None:
        if use.count == 1:
            self.residues.update((start + o) % self.period for o in use.offsets)
        elif use.offsets:
            self.loops.append((start, use))
