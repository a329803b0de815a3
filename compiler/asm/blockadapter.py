"""Straight-line programs: the region problem as a :class:`~.problem.Block`.

A top level without loops is one block. This adapter turns it into the
assembly-free :class:`~.problem.Block` (jobs, write flags, tails, edges),
adds ``halt`` as a job after every other one, and lets the block scheduler
find a schedule and its lower bound.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vtc.compiler.asm.problem import Block, BlockJob

if TYPE_CHECKING:
    from vtc.compiler.asm.sched import _Problem

__all__ = ["ADJUST_LIMIT", "schedule_straight", "to_block"]

#: Above this many instructions, default effort skips the adjusted bound.
ADJUST_LIMIT = 4000


def to_block(prob: _Problem) -> Block:
    """The block of a loop-free region, ``halt`` appended as the last job."""
    jobs = []
    for job, info in zip(prob.jobs, prob.infos, strict=True):
        assert job.op is not None
        writes = bool(info.writes.offsets)
        lat = info.writes.offsets[0] if writes else max(1, info.tail)
        jobs.append(BlockJob(latency=lat, writes=writes, tail=info.tail, name=job.op.mnemonic))
    halt = len(jobs)
    jobs.append(BlockJob(latency=1, writes=False, tail=1, name="halt"))
    edges = [(u, v, d) for u, succ in enumerate(prob.succs) for v, d in succ]
    edges.extend((u, halt, 1) for u in range(halt) if not prob.succs[u])
    return Block(tuple(jobs), tuple(edges))


def schedule_straight(
    prob: _Problem, *, keep_order: bool, effort: int
) -> tuple[list[int], int, int, str, bool]:
    """Schedule a loop-free top level.

    Returns
    -------
    starts, halt, lower_bound, method, optimal
        Issue cycle of each job, of ``halt``, a proven lower bound on the
        run's cycles, how the schedule was found, and whether it is proven
        optimal.
    """
    from vtc.compiler.asm import blocksched

    block = to_block(prob)
    kwargs = {"restarts": 0} if effort <= 0 else {}
    result = blocksched.schedule_block(
        block,
        exact_seconds=5.0 if effort >= 2 else 0.0,
        dives=2 if effort >= 2 else 0,
        beam=100 if effort >= 2 else 0,
        keep_order=keep_order,
        # the adjusted bound costs ~6 us per job; big blocks skip it unless asked
        adjust=effort >= 2 or len(block.jobs) <= ADJUST_LIMIT,
        **kwargs,
    )
    starts = list(result.starts)
    return starts[:-1], starts[-1], result.bounds.value, result.method, result.optimal
