"""Symmetries of a block, and the orders that break them for a proof.

Two jobs of a data-flow graph are often interchangeable in more than the
narrow sense of :func:`.exact.dominance_pairs`: the eight columns of a DCT
are eight copies of one subgraph, and swapping two copies, every job with
its twin, turns any schedule into another of the same length. A solver that
proves a length infeasible must then refute every copy of every partial
schedule, which multiplies its work by the number of symmetries.

An *automorphism* of a block is a permutation ``g`` of its jobs that keeps
each job's latency, write flag and tail and maps every edge ``u -> v`` with
delay ``d`` (the largest delay between the two) onto an edge
``g(u) -> g(v)`` with the same delay. :func:`symmetry_pairs` lists the
*lex-leader* orders of the group ``G`` of all automorphisms, in the job
order: the pair ``(v, w)`` means ``start[v] < start[w]`` and is listed when
some automorphism fixes every job before ``v`` and maps ``v`` to ``w``.

**Why imposing all of them keeps a schedule when one exists** (of a given
length or shorter). No two jobs issue in the same cycle, so two schedules
differ in some first job, and among the schedules in a ``G``-invariant set,
the one whose vector of start cycles is lexicographically smallest is
smaller than its image ``start[g(.)]`` under every ``g`` in ``G`` that moves
something. For ``g`` with first moved job ``v``, that comparison is decided
at ``v``: ``start[v] < start[g(v)]``. These are exactly the listed pairs.
The feasible schedules of length ``T`` or less that meet the *strict* pairs
of :func:`.exact.dominance_pairs` (``u`` dominates ``v`` and not the other
way round) form such a set, since an automorphism maps dominance onto
dominance, and the set is not empty when any schedule exists (the exchange
argument of :func:`.exact.dominance_pairs`). The interchangeable pairs that
function lists are transpositions in ``G`` ordered by job index, so they are
listed here as well. Hence the union of both lists is safe to impose on a
decision of "a schedule of length ``T`` exists" (:func:`.exact.proof_pairs`), and
because start cycles are distinct the symmetry of ``G`` is broken
completely. They must not be combined with the *mirror* dominance pairs,
which order the jobs by a different argument.

**How the orbits are found.** For each job ``v`` in order, with the jobs
before it fixed: colour refinement (each job's colour is refined by the
colours and delays of its predecessors and successors until stable) gives
the candidates ``w`` whose colour matches; for each, an individualisation
search looks for an automorphism that maps ``v`` to ``w``. Candidates
already reached by the automorphisms found for ``v`` need no search. Data
flow graphs refine to single jobs within a few rounds: this takes under a
second for 19 of the EXPRESS graphs and about 3 s for invert_matrix's 333
jobs (42 pairs); :data:`SYMMETRY_LIMIT` caps the size of the blocks it is
tried on.
"""

from __future__ import annotations

from collections.abc import Sequence

from vtc.compiler.asm.problem import Block

__all__ = ["SEARCH_NODES", "SYMMETRY_LIMIT", "automorphism", "symmetry_pairs"]

#: Blocks with more jobs than this get no symmetry pairs (the search grows
#: faster than the square of the number of jobs).
SYMMETRY_LIMIT = 500
#: Search nodes (individualisations) per automorphism looked for; a search
#: that runs out lists no pair for that job, which is always safe.
SEARCH_NODES = 5000
_MASK = (1 << 64) - 1


class _Graph:
    """The block's jobs, kinds and largest delays, for the refinement."""

    def __init__(self, block: Block) -> None:
        n = len(block.jobs)
        self.n = n
        self.delay = delay = block.largest_delays()
        self.into: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        self.out: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        for (u, v), d in delay.items():
            self.into[v].append((u, d))
            self.out[u].append((v, d))
        kinds: dict[tuple[int, bool, int], int] = {}
        self.kind = [
            kinds.setdefault((job.latency, job.writes, job.tail), len(kinds)) for job in block.jobs
        ]


def _refine(graph: _Graph, colours: list[int]) -> list[int]:
    """The coarsest stable refinement of ``colours`` over one or more copies of the graph.

    ``colours`` has ``k * n`` entries for ``k`` copies of the ``n`` jobs;
    colour numbers of the result are comparable across the copies.
    """
    n = graph.n
    into = graph.into * (len(colours) // n) if n else []
    out = graph.out * (len(colours) // n) if n else []
    count = len(set(colours))
    while True:
        # a job's neighbours as multisets of (colour, delay), summed as hashes:
        # any function of the neighbourhood keeps the colouring invariant
        # under automorphisms, and the automorphisms found are checked
        signatures = []
        for i, c in enumerate(colours):
            base = i - i % n
            signatures.append(
                (
                    c,
                    sum(hash((colours[base + p], d)) for p, d in into[i]) & _MASK,
                    sum(hash((colours[base + q], d)) for q, d in out[i]) & _MASK,
                )
            )
        numbering = {sig: k for k, sig in enumerate(sorted(set(signatures)))}
        colours = [numbering[sig] for sig in signatures]
        if len(numbering) == count:
            return colours
        count = len(numbering)


def _is_automorphism(graph: _Graph, image: Sequence[int]) -> bool:
    return all(graph.kind[image[j]] == graph.kind[j] for j in range(graph.n)) and all(
        graph.delay.get((image[u], image[v])) == d for (u, v), d in graph.delay.items()
    )


def _extend(graph: _Graph, colours: list[int], budget: list[int]) -> list[int] | None:
    """An automorphism matching copy 0 to copy 1 of refined ``colours``, or None.

    ``budget[0]`` counts down the search nodes left; at zero the search
    gives up (None: no pair is listed, which is always safe).
    """
    budget[0] -= 1
    if budget[0] < 0:
        return None
    n = graph.n
    left, right = colours[:n], colours[n:]
    if sorted(left) != sorted(right):
        return None
    cells: dict[int, list[int]] = {}
    for j, c in enumerate(right):
        cells.setdefault(c, []).append(j)
    if all(len(members) == 1 for members in cells.values()):
        image = [cells[c][0] for c in left]
        return image if _is_automorphism(graph, image) else None
    # individualise the first job of the smallest non-singleton cell
    _, colour = min((len(m), c) for c, m in cells.items() if len(m) > 1)
    x = left.index(colour)
    fresh = max(colours) + 1
    for y in cells[colour]:
        trial = list(colours)
        trial[x] = trial[n + y] = fresh
        found = _extend(graph, _refine(graph, trial), budget)
        if found is not None:
            return found
    return None


def automorphism(block: Block, fixed: Sequence[int], v: int, w: int) -> list[int] | None:
    """An automorphism of ``block`` that fixes the jobs ``fixed`` and maps ``v`` to ``w``.

    Returns the image of every job, or None when there is none.
    """
    graph = _Graph(block)
    return _automorphism(graph, _individualised(graph, fixed), v, w)


def _individualised(graph: _Graph, fixed: Sequence[int]) -> list[int]:
    top = max(graph.kind, default=0) + 1
    colours = list(graph.kind)
    for k, j in enumerate(fixed):
        colours[j] = top + k
    return colours


def _automorphism(graph: _Graph, base: list[int], v: int, w: int) -> list[int] | None:
    mark = max(base, default=0) + 1
    left, right = list(base), list(base)
    left[v] = right[w] = mark
    return _extend(graph, _refine(graph, left + right), [SEARCH_NODES])


def symmetry_pairs(block: Block) -> list[tuple[int, int]]:
    """The lex-leader pairs ``(v, w)``, meaning ``start[v] < start[w]``, of the module docstring.

    Empty for a block with more than :data:`SYMMETRY_LIMIT` jobs.
    """
    n = len(block.jobs)
    if n > SYMMETRY_LIMIT:
        return []
    graph = _Graph(block)
    pairs: list[tuple[int, int]] = []
    # the stable colouring with the jobs before v individualised; refining a
    # stable colouring after individualising v gives the same partition as
    # starting over, so each step refines the last one
    colours = _refine(graph, list(graph.kind))
    for v in range(n):
        if len(set(colours)) == n:
            break  # every job is told apart: nothing moves any more
        candidates = [w for w in range(v + 1, n) if colours[w] == colours[v]]
        orbit = {v}
        found: list[list[int]] = []
        for w in candidates:
            if w in orbit:
                continue
            image = _automorphism(graph, colours, v, w)
            if image is None:
                continue
            found.append(image)
            frontier = list(orbit)
            while frontier:  # close the orbit under the automorphisms found so far
                x = frontier.pop()
                for g in found:
                    if g[x] not in orbit:
                        orbit.add(g[x])
                        frontier.append(g[x])
        pairs.extend((v, w) for w in sorted(orbit - {v}))
        colours = list(colours)
        colours[v] = max(colours) + 1
        colours = _refine(graph, colours)
    return pairs
