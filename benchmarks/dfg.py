"""A small reader for the EXPRESS data-flow graphs (Graphviz DOT).

It understands what those files use and nothing more: one node per line,
``ID [label = X ...];``, and one edge per line, ``A -> B [...];``. Each
graph becomes one straight-line :class:`~vtc.compiler.asm.problem.Block`
(``/work/shared/data/dfg/README.md``): the label gives the opcode
(ADD -> ``add``, SUB -> ``sub``, MUL -> ``mul``, DIV -> ``div``, EXP -> ``exp``,
NEG -> ``neg``, anything else a 1-cycle ``mov``), every node writes a cell,
its tail is its latency and an edge waits for the producer's latency. Jobs
are numbered in a topological order that keeps the file's order where the
edges allow, so the keep-order baseline is the file's order.

Only the standard library and ``vtc`` are imported, so tests can load this
file by path.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass
from pathlib import Path

from vtc.compiler.asm.problem import Block, BlockJob
from vtc.compiler.machine.target import Target

__all__ = ["DFG_DIR", "Dfg", "dfg_files", "mnemonic_of", "parse_dot", "read_dot", "to_block"]

#: Where the shared corpus lives (never copied into the repository).
DFG_DIR = Path("/work/shared/data/dfg")

_NODE = re.compile(r'^\s*("?[\w.]+"?)\s*\[\s*label\s*=\s*"?([\w.]+)"?\s*[,\]]')
_EDGE = re.compile(r'^\s*("?[\w.]+"?)\s*->\s*("?[\w.]+"?)')
_OPCODE = {"add": "add", "sub": "sub", "mul": "mul", "div": "div", "exp": "exp", "neg": "neg"}


@dataclass(frozen=True)
class Dfg:
    """A data-flow graph: node ids and labels, edges as index pairs."""

    name: str
    nodes: tuple[str, ...]
    labels: tuple[str, ...]
    edges: tuple[tuple[int, int], ...]


def parse_dot(text: str, name: str = "") -> Dfg:
    """The nodes and edges of a DOT digraph in the EXPRESS style.

    Raises :class:`ValueError` naming the line of an edge to an undeclared
    node.

    >>> g = parse_dot('digraph g {\\n a [label = MUL];\\n b [label = ADD];\\n a -> b;\\n}')
    >>> g.labels, g.edges
    (('MUL', 'ADD'), ((0, 1),))
    """
    ids: dict[str, int] = {}
    nodes: list[str] = []
    labels: list[str] = []
    edges: list[tuple[str, str, int]] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        edge = _EDGE.match(line)
        if edge:
            edges.append((edge[1].strip('"'), edge[2].strip('"'), lineno))
            continue
        node = _NODE.match(line)
        if node:
            node_id = node[1].strip('"')
            if node_id not in ids:
                ids[node_id] = len(nodes)
                nodes.append(node_id)
                labels.append(node[2])
    pairs: list[tuple[int, int]] = []
    for a, b, lineno in edges:
        for end in (a, b):
            if end not in ids:
                raise ValueError(f"{name or 'dot'}:{lineno}: edge names undeclared node {end!r}")
        pairs.append((ids[a], ids[b]))
    return Dfg(name=name, nodes=tuple(nodes), labels=tuple(labels), edges=tuple(pairs))


def read_dot(path: Path) -> Dfg:
    """:func:`parse_dot` of a file, named after its stem."""
    return parse_dot(path.read_text(encoding="utf-8"), name=path.stem)


def mnemonic_of(label: str) -> str:
    """The opcode a node label stands for (README of the corpus)."""
    return _OPCODE.get(label.lower(), "mov")


def to_block(dfg: Dfg, target: Target) -> Block:
    """The graph as one block on ``target``, jobs in a topological order.

    Raises :class:`ValueError` when the edges form a cycle.
    """
    n = len(dfg.nodes)
    succ: list[list[int]] = [[] for _ in range(n)]
    indeg = [0] * n
    for a, b in set(dfg.edges):
        succ[a].append(b)
        indeg[b] += 1
    free = [j for j in range(n) if indeg[j] == 0]
    heapq.heapify(free)
    order: list[int] = []
    while free:
        a = heapq.heappop(free)
        order.append(a)
        for b in succ[a]:
            indeg[b] -= 1
            if indeg[b] == 0:
                heapq.heappush(free, b)
    if len(order) != n:
        raise ValueError(f"{dfg.name}: the edges form a cycle")
    index = {node: i for i, node in enumerate(order)}
    lat = [target.latency_of(mnemonic_of(label)) for label in dfg.labels]
    jobs = tuple(
        BlockJob(latency=lat[a], writes=True, tail=lat[a], name=f"{dfg.nodes[a]}:{dfg.labels[a]}")
        for a in order
    )
    edges = tuple(sorted((index[a], index[b], lat[a]) for a, b in set(dfg.edges)))
    return Block(jobs=jobs, edges=edges)


def dfg_files(folder: Path = DFG_DIR) -> list[Path]:
    """The ``.dot`` files of the corpus, sorted; empty when the folder is absent."""
    return sorted(folder.glob("*.dot")) if folder.is_dir() else []
