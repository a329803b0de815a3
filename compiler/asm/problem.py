"""The scheduling problem of one straight-line block, free of any assembly detail.

A :class:`Block` is what the scheduler, the lower bounds
(:mod:`.bounds`) and the exact solver (:mod:`.exact`) share: jobs with a
latency, whether they use the single write port, a tail, and precedence
edges with delays. The benchmark builds blocks straight from data-flow graphs.

A schedule assigns every job an integer start cycle ``s[j] >= 0`` such that

* issue: all ``s[j]`` are distinct (one instruction per cycle);
* write port: all ``s[j] + latency[j]`` of jobs with ``writes`` are distinct;
* precedence: ``s[v] >= s[u] + delay`` for every edge ``(u, v, delay)``;

and its length (``cycles``, target.md section 2 rule 5) is
``max(s[j] + tail[j])``, where ``tail[j] >= 1`` (a job's issue slot) and, for a
job that writes a cell or an output register, ``tail[j] >= latency[j]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Block", "BlockJob", "check_schedule", "schedule_length"]


@dataclass(frozen=True)
class BlockJob:
    """One instruction of a block.

    Attributes
    ----------
    latency:
        Cycles from issue until the result is visible.
    writes:
        Whether the job makes a local cell write visible at ``start + latency``
        (it then occupies the write port in that cycle).
    tail:
        Cycles the job needs from its issue to the end of the block: 1 for a
        job without a result, ``latency`` for one whose result counts.
    name:
        Free text for reports (the mnemonic, a DOT node id, ...).
    """

    latency: int
    writes: bool
    tail: int
    name: str = ""

    @property
    def counted_write(self) -> bool:
        """Whether the job's result lands inside every schedule of length ``T``.

        True when it writes and ``1 <= latency <= tail``: it then issues in
        one of the cycles ``0 .. T - 1`` and lands in one of ``1 .. T``, so
        it takes one of the ``T`` write cycles of the block. The bounds and
        searches that count free write cycles count these jobs.
        """
        return self.writes and 1 <= self.latency <= self.tail


@dataclass(frozen=True)
class Block:
    """A straight-line block: jobs and precedence edges ``(u, v, delay)``."""

    jobs: tuple[BlockJob, ...]
    edges: tuple[tuple[int, int, int], ...]

    def largest_delays(self) -> dict[tuple[int, int], int]:
        """The largest delay of the edges ``u -> v``, by ``(u, v)``: the one that binds."""
        delay: dict[tuple[int, int], int] = {}
        for u, v, d in self.edges:
            delay[(u, v)] = max(delay.get((u, v), d), d)
        return delay

    def successors(self) -> list[list[tuple[int, int]]]:
        """For each job, its ``(successor, delay)`` pairs."""
        out: list[list[tuple[int, int]]] = [[] for _ in self.jobs]
        for u, v, d in self.edges:
            out[u].append((v, d))
        return out

    def predecessors(self) -> list[list[tuple[int, int]]]:
        """For each job, its ``(predecessor, delay)`` pairs."""
        out: list[list[tuple[int, int]]] = [[] for _ in self.jobs]
        for u, v, d in self.edges:
            out[v].append((u, d))
        return out


def schedule_length(block: Block, starts: Sequence[int]) -> int:
    """``max(start + tail)`` over the jobs (0 for an empty block)."""
    return max((s + j.tail for s, j in zip(starts, block.jobs, strict=True)), default=0)


def check_schedule(block: Block, starts: Sequence[int]) -> list[str]:
    """Every rule a schedule of ``block`` breaks, as sentences (empty: valid)."""
    problems: list[str] = []
    if len(starts) != len(block.jobs):
        return [f"{len(starts)} start times for {len(block.jobs)} jobs"]
    seen: dict[int, int] = {}
    writes: dict[int, int] = {}
    for j, (s, job) in enumerate(zip(starts, block.jobs, strict=True)):
        if s < 0:
            problems.append(f"job {j} starts at negative cycle {s}")
        if s in seen:
            problems.append(f"jobs {seen[s]} and {j} both issue in cycle {s}")
        seen[s] = j
        if job.writes:
            w = s + job.latency
            if w in writes:
                problems.append(f"jobs {writes[w]} and {j} both write in cycle {w}")
            writes[w] = j
    for u, v, d in block.edges:
        if starts[v] < starts[u] + d:
            problems.append(f"edge {u}->{v} needs {d} cycles, has {starts[v] - starts[u]}")
    return problems
