"""Elaboration: a checked, flat view of a model that the reference interpreter
and the compiler both start from.

:func:`elaborate` looks every block up in the block registry, validates its
parameters, inlines subsystems (they are virtual, as in Simulink: only their
contents compute), checks every wire and port, and infers the width of every
signal. A for-iterator stays one instance that holds its own flat
:class:`Diagram`; inside it, an inport with the id ``k`` is the iteration
index (0-based) rather than an input of the for-iterator.

Every problem is collected with its block path; :func:`elaborate` raises them
all together. Elaboration decides nothing about evaluation order: the
interpreter and the compiler each find their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vtc.blocks.api import Block, BlockError
from vtc.blocks.registry import Registry, registry
from vtc.compiler.errors import ModelError, VtcErrors
from vtc.compiler.model.model import BlockSpec, Connection, Model, PortRef

__all__ = ["INDEX_PORT", "Diagram", "Inst", "Source", "elaborate"]

#: Inside a for-iterator, the inport with this id gives the iteration index.
INDEX_PORT = "k"

_INPORT = "std.inport"
_OUTPORT = "std.outport"
_SUBSYSTEM = "std.subsystem"
_FOR = "std.for_iterator"


@dataclass(frozen=True, slots=True)
class Source:
    """Where an input gets its value: an output port of an instance (by path)."""

    path: str
    port: str


@dataclass(frozen=True)
class Inst:
    """One block instance of a flat diagram.

    Attributes
    ----------
    path:
        Block ids from the top joined by ``/`` (subsystem ids included).
    type:
        Block type name.
    block:
        The block object of the type.
    params:
        Validated parameters (defaults filled in).
    inputs, outputs:
        Port names in order.
    sources:
        Input port -> the output that drives it.
    in_widths, out_widths:
        Signal width of every port.
    feedthrough:
        Whether the outputs depend on the inputs of the same step.
    state_size:
        Number of scalar state values.
    body:
        The contents of a for-iterator, else ``None``.
    """

    path: str
    type: str
    block: Block
    params: Mapping[str, Any]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    sources: Mapping[str, Source]
    in_widths: Mapping[str, int]
    out_widths: Mapping[str, int]
    feedthrough: bool
    state_size: int
    body: Diagram | None = None


@dataclass(frozen=True)
class Diagram:
    """A flat diagram: every instance, its inports and outports.

    Attributes
    ----------
    insts:
        Every instance (inports, outports and scopes included), in file order.
    inports:
        The paths of the diagram's inport instances, by port: for the model,
        sorted by their ``port`` parameter; for a for-iterator body, in the
        order of the for-iterator's input ports.
    outports:
        Likewise for the outports.
    index:
        The path of a for-iterator body's index inport (``k``), if any.
    count:
        Iterations per step (1 for the model's top level).
    """

    insts: tuple[Inst, ...]
    inports: tuple[str, ...]
    outports: tuple[str, ...]
    index: str | None = None
    count: int = 1
    by_path: Mapping[str, Inst] = field(default_factory=dict, compare=False, repr=False)

    def inst(self, path: str) -> Inst:
        return self.by_path[path]


@dataclass
class _Raw:
    """An instance before widths are known."""

    path: str
    spec: BlockSpec
    block: Block
    params: dict[str, Any]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    sources: dict[str, Source] = field(default_factory=dict)
    body: Diagram | None = None
    # for-iterator: input port -> inner inport path; output port -> inner outport path
    port_paths: dict[str, str] = field(default_factory=dict)


class _Elaborator:
    def __init__(self, reg: Registry, file: str) -> None:
        self.reg = reg
        self.file = file
        self.errors: list[ModelError] = []

    def fail(self, message: str, path: str | None = None, btype: str | None = None) -> None:
        self.errors.append(ModelError(message, file=self.file, path=path, block_type=btype))

    # -- structure ---------------------------------------------------------------

    def diagram(
        self,
        blocks: tuple[BlockSpec, ...],
        conns: tuple[Connection, ...],
        prefix: str,
        top: bool,
        count: int = 1,
    ) -> Diagram:
        raws: dict[str, _Raw] = {}
        # A subsystem's ports as seen from outside map to inner instances:
        # (subsystem path, port) -> the Source an outer input reads / the inner
        # inport path an outer source feeds.
        sub_out: dict[tuple[str, str], Source | None] = {}
        sub_in: dict[tuple[str, str], list[tuple[str, str]]] = {}
        local: dict[str, BlockSpec] = {b.id: b for b in blocks}
        for spec in blocks:
            path = prefix + spec.id
            blk = self.reg.block(spec.type)
            if blk is None:
                self.fail(
                    f"unknown block type '{spec.type}' (no installed block library defines "
                    "it; the block is kept as it is when the model is saved)",
                    path,
                    spec.type,
                )
                continue
            try:
                params = blk.validate(spec.params)
                ins, outs = blk.inputs(params), blk.outputs(params)
            except BlockError as exc:
                self.fail(str(exc), path, spec.type)
                continue
            if spec.type in (_SUBSYSTEM, _FOR):
                inner = self.contents(spec, path, params)
                if inner is None:
                    continue
                if spec.type == _SUBSYSTEM:
                    self.subsystem_ports(spec, path, inner, sub_in, sub_out)
                    for raw in inner:
                        parent = raw.path.rpartition("/")[0]
                        if parent == path and raw.block.type_name in (_INPORT, _OUTPORT):
                            continue  # the subsystem's own ports are wires, not blocks
                        raws[raw.path] = raw
                    continue
                body = self.diagram(
                    spec.blocks or (), spec.connections, path + "/", False, params["n"]
                )
                ins = tuple(body.inst(p).path.rsplit("/", 1)[1] for p in body.inports)
                outs = tuple(body.inst(p).path.rsplit("/", 1)[1] for p in body.outports)
                raws[path] = _Raw(path, spec, blk, params, ins, outs, body=body)
                continue
            if spec.blocks is not None:
                self.fail(f"a {spec.type} block has no contents", path, spec.type)
            raws[path] = _Raw(path, spec, blk, params, ins, outs)
        self.wire(conns, prefix, local, raws, sub_in, sub_out)
        return self.finish(raws, prefix, top, count)

    def contents(self, spec: BlockSpec, path: str, params: dict[str, Any]) -> list[_Raw] | None:
        if spec.blocks is None:
            self.fail("a subsystem needs 'blocks' and 'connections'", path, spec.type)
            return None
        if spec.type == _FOR:
            return []
        inner = self.diagram(spec.blocks, spec.connections, path + "/", False)
        return [
            _Raw(
                i.path,
                BlockSpec(i.path, i.type),
                i.block,
                dict(i.params),
                i.inputs,
                i.outputs,
                dict(i.sources),
                i.body,
            )
            for i in inner.insts
        ]

    def subsystem_ports(
        self,
        spec: BlockSpec,
        path: str,
        inner: list[_Raw],
        sub_in: dict[tuple[str, str], list[tuple[str, str]]],
        sub_out: dict[tuple[str, str], Source | None],
    ) -> None:
        for raw in inner:
            parent, _, leaf = raw.path.rpartition("/")
            if parent != path:
                continue
            if raw.block.type_name == _INPORT:
                # consumers of this inner inport read the outer source instead
                sub_in[(path, leaf)] = [
                    (other.path, port)
                    for other in inner
                    for port, src in other.sources.items()
                    if src.path == raw.path
                ]
            elif raw.block.type_name == _OUTPORT:
                sub_out[(path, leaf)] = raw.sources.get("in")

    def wire(
        self,
        conns: tuple[Connection, ...],
        prefix: str,
        local: dict[str, BlockSpec],
        raws: dict[str, _Raw],
        sub_in: dict[tuple[str, str], list[tuple[str, str]]],
        sub_out: dict[tuple[str, str], Source | None],
    ) -> None:
        driven: dict[tuple[str, str], PortRef] = {}
        wired = {(c.dst.block, c.dst.port) for c in conns}
        for c in conns:
            src_path, dst_path = prefix + c.src.block, prefix + c.dst.block
            src_spec, dst_spec = local[c.src.block], local[c.dst.block]
            source = self.resolve_source(c.src, src_path, src_spec, raws, sub_out)
            if source is None:
                continue
            targets = self.resolve_targets(c.dst, dst_path, dst_spec, raws, sub_in)
            if targets is None:
                continue
            key = (c.dst.block, c.dst.port)
            if key in driven:
                self.fail(
                    f"input '{c.dst.port}' is driven twice (by {driven[key]} and {c.src})",
                    dst_path,
                    dst_spec.type,
                )
                continue
            driven[key] = c.src
            for path, port in targets:
                raws[path].sources[port] = source
        for bid, spec in local.items():
            raw = raws.get(prefix + bid)
            ports = (
                [p for (sp, p) in sub_in if sp == prefix + bid]
                if spec.type == _SUBSYSTEM
                else [p for p in raw.inputs if p not in raw.sources]
                if raw is not None
                else []
            )
            for port in ports:
                if (bid, port) not in wired:
                    self.fail(f"input '{port}' is not connected", prefix + bid, spec.type)

    def resolve_source(
        self,
        ref: PortRef,
        path: str,
        spec: BlockSpec,
        raws: dict[str, _Raw],
        sub_out: dict[tuple[str, str], Source | None],
    ) -> Source | None:
        if spec.type == _SUBSYSTEM:
            if (path, ref.port) not in sub_out:
                self.fail(f"the subsystem has no output '{ref.port}'", path, spec.type)
                return None
            inner = sub_out[(path, ref.port)]
            if inner is None:
                self.fail(f"the outport '{ref.port}' inside is not connected", path, spec.type)
            return inner
        raw = raws.get(path)
        if raw is None:
            return None  # already reported
        if ref.port not in raw.outputs:
            self.fail(
                f"has no output '{ref.port}' (outputs: {', '.join(raw.outputs) or 'none'})",
                path,
                spec.type,
            )
            return None
        return Source(path, ref.port)

    def resolve_targets(
        self,
        ref: PortRef,
        path: str,
        spec: BlockSpec,
        raws: dict[str, _Raw],
        sub_in: dict[tuple[str, str], list[tuple[str, str]]],
    ) -> list[tuple[str, str]] | None:
        if spec.type == _SUBSYSTEM:
            if (path, ref.port) not in sub_in:
                self.fail(f"the subsystem has no input '{ref.port}'", path, spec.type)
                return None
            return sub_in[(path, ref.port)]
        raw = raws.get(path)
        if raw is None:
            return None
        if ref.port not in raw.inputs:
            self.fail(
                f"has no input '{ref.port}' (inputs: {', '.join(raw.inputs) or 'none'})",
                path,
                spec.type,
            )
            return None
        return [(path, ref.port)]

    # -- ports and widths --------------------------------------------------------------

    def finish(self, raws: dict[str, _Raw], prefix: str, top: bool, count: int) -> Diagram:
        own = [
            r
            for r in raws.values()
            if r.path.rpartition("/")[0] + "/" == prefix or (not prefix and "/" not in r.path)
        ]
        inports = [r for r in own if r.block.type_name == _INPORT]
        outports = [r for r in own if r.block.type_name == _OUTPORT]
        index = None
        if not top:
            for r in inports:
                if r.path.rsplit("/", 1)[-1] == INDEX_PORT:
                    index = r.path
        else:
            self.check_ports(inports)
            self.check_ports(outports)

        def key(r: _Raw) -> tuple[int, str]:
            return (int(r.params.get("port", 0)), r.path)

        in_order = tuple(r.path for r in sorted(inports, key=key) if r.path != index)
        out_order = tuple(r.path for r in sorted(outports, key=key))
        widths = self.widths(raws)
        insts = []
        for r in raws.values():
            in_w = {
                p: widths.get((r.sources[p].path, r.sources[p].port), 1)
                for p in r.inputs
                if p in r.sources
            }
            out_w = {p: widths.get((r.path, p), 1) for p in r.outputs}
            try:
                ft = r.block.feedthrough(r.params)
                size = r.block.state_size(r.params, in_w) if len(in_w) == len(r.inputs) else 0
            except BlockError as exc:
                self.fail(str(exc), r.path, r.block.type_name)
                ft, size = True, 0
            insts.append(
                Inst(
                    r.path,
                    r.block.type_name,
                    r.block,
                    r.params,
                    r.inputs,
                    r.outputs,
                    dict(r.sources),
                    in_w,
                    out_w,
                    ft,
                    size,
                    r.body,
                )
            )
        by_path = {i.path: i for i in insts}
        return Diagram(tuple(insts), in_order, out_order, index, count, by_path)

    def check_ports(self, ports: list[_Raw]) -> None:
        seen: dict[int, str] = {}
        for r in ports:
            num = r.params.get("port", 0)
            if num in seen:
                self.fail(
                    f"port number {num} is also used by '{seen[num]}'",
                    r.path,
                    r.block.type_name,
                )
            seen[num] = r.path

    def widths(self, raws: dict[str, _Raw]) -> dict[tuple[str, str], int]:
        """Propagate widths; a block without feedthrough that closes a feedback
        loop first guesses its output width from its parameters; a wrong guess
        is corrected with the width the loop turns out to have and the
        propagation repeated (a few times at most), else reported."""
        overrides: dict[str, dict[str, int]] = {}
        for _ in range(4):
            mark = len(self.errors)
            known, mismatches = self._widths_once(raws, overrides)
            if not mismatches:
                return known
            fixed = dict(overrides)
            for r, port, want, _got in mismatches:
                fixed.setdefault(r.path, {})[port] = want
            if fixed == overrides:
                break
            overrides = fixed
            del self.errors[mark:]
        for r, port, want, got in mismatches:
            self.fail(
                f"the width of output '{port}' ({want}) does not match the feedback loop it "
                f"closes ({got}); set the initial value to a vector of the loop's width",
                r.path,
                r.block.type_name,
            )
        return known

    def _widths_once(
        self, raws: dict[str, _Raw], overrides: Mapping[str, Mapping[str, int]]
    ) -> tuple[dict[tuple[str, str], int], list[tuple[_Raw, str, int, int]]]:
        known: dict[tuple[str, str], int] = {}
        done: set[str] = set()
        failed: set[str] = set()
        todo = list(raws.values())

        def attempt(r: _Raw, guess: bool) -> bool:
            srcs = [r.sources.get(p) for p in r.inputs]
            if any(s is None for s in srcs):
                return False  # not connected: reported elsewhere
            ws = {
                p: known.get((s.path, s.port))
                for p, s in zip(r.inputs, srcs, strict=True)
                if s is not None
            }
            if any(w is None for w in ws.values()):
                if not guess:
                    return False
                if r.path in overrides:
                    for p in r.outputs:
                        known[(r.path, p)] = overrides[r.path].get(p, 1)
                    return True
            try:
                if r.body is not None:
                    out = self.body_widths(r, {p: w for p, w in ws.items() if w is not None})
                else:
                    full = {p: w for p, w in ws.items() if w is not None}
                    out = r.block.output_widths(r.params, full)
            except BlockError as exc:
                self.fail(str(exc), r.path, r.block.type_name)
                failed.add(r.path)
                return True
            for p in r.outputs:
                known[(r.path, p)] = out.get(p, 1)
            return True

        # worklist: a block is ready when every input's width is known; when
        # nothing is ready, a block without feedthrough guesses (feedback loops)
        consumers: dict[str, list[_Raw]] = {}
        missing: dict[str, int] = {}
        ready: list[_Raw] = []
        for r in todo:
            srcs = {s.path for s in r.sources.values()}
            missing[r.path] = len(srcs)
            for src in srcs:
                consumers.setdefault(src, []).append(r)
            if not srcs and len(r.sources) == len(r.inputs):
                ready.append(r)
        guessers = [r for r in todo if not r.block.feedthrough(r.params)]
        g = 0

        def finished(r: _Raw) -> None:
            done.add(r.path)
            for c in consumers.get(r.path, ()):
                missing[c.path] -= 1
                if missing[c.path] == 0 and c.path not in done:
                    ready.append(c)

        while True:
            while ready:
                r = ready.pop()
                if r.path in done or len(r.sources) != len(r.inputs):
                    continue
                attempt(r, False)
                finished(r)
            while g < len(guessers) and guessers[g].path in done:
                g += 1
            if g == len(guessers):
                break
            r = guessers[g]
            if attempt(r, True):
                finished(r)
            else:
                done.add(r.path)  # not connected: reported elsewhere
        # check guesses now that every input width is known
        mismatches: list[tuple[_Raw, str, int, int]] = []
        for r in todo:
            if r.path in failed or r.body is not None:
                continue
            wired = {p: r.sources.get(p) for p in r.inputs}
            if any(s is None for s in wired.values()):
                continue
            ws = {p: known.get((s.path, s.port), 1) for p, s in wired.items() if s is not None}
            try:
                out = r.block.output_widths(r.params, ws)
            except BlockError as exc:
                self.fail(str(exc), r.path, r.block.type_name)
                continue
            for p in r.outputs:
                if out.get(p, 1) != known.get((r.path, p), 1):
                    mismatches.append((r, p, out.get(p, 1), known.get((r.path, p), 1)))
        return known, mismatches

    def body_widths(self, r: _Raw, ws: Mapping[str, int]) -> dict[str, int]:
        assert r.body is not None
        body = r.body
        for port, path in zip(r.inputs, body.inports, strict=True):
            want = body.inst(path).out_widths.get("out", 1)
            got = ws.get(port, want)
            if got != want:
                raise BlockError(
                    f"input '{port}' has width {got}, but the inport inside is of width {want}"
                )
        return {
            port: body.inst(path).in_widths.get("in", 1)
            for port, path in zip(r.outputs, body.outports, strict=True)
        }


def elaborate(model: Model, file: str = "<model>", reg: Registry | None = None) -> Diagram:
    """The checked flat top-level diagram of a model.

    Raises
    ------
    ModelError
        Every problem found (unknown block types, invalid parameters, wires to
        missing ports, unconnected inputs, duplicate port numbers, widths that
        do not match), each with its block path, together.
    """
    el = _Elaborator(reg if reg is not None else registry(), file)
    diagram = el.diagram(model.blocks, model.connections, "", True)
    VtcErrors.raise_if_any(el.errors)
    return diagram
