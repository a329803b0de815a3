"""Editing a model: pure functions the editor's undo commands call.

Every function takes a :class:`~vtc.compiler.model.model.Model` and returns a
**new** one (models are frozen; the unchanged parts are shared, so the old
model stays a valid undo snapshot), or raises
:class:`~vtc.compiler.errors.ModelError` with a message for the user when the
edit is not allowed. Nothing here imports Qt.

Every function takes ``where``, the path of the diagram being edited: ``""``
for the top level, ``"sub"`` or ``"sub/inner"`` for the contents of a
subsystem or for-iterator. Block ids and ports are those of that diagram.

What is refused here and what is left to elaboration
----------------------------------------------------
Edits refuse what would break the file's structure (duplicate or malformed
ids, wires to blocks that do not exist, non-JSON parameter values) and the
wires a user could never mean (to a port the block does not have, output to
output, a second driver of an input, a width mismatch the new wire causes).
Everything else is allowed so the user can get there step by step: invalid
parameter values, unconnected inputs, algebraic loops.
:func:`vtc.compiler.diagnostics.diagnostics` lists those problems, each with
its block path (it lives outside this package: finding algebraic loops needs
the compiler's lowering, which the model package never imports).

Functions
---------
:func:`diagram_at`, :func:`unique_id`, :func:`add_block`,
:func:`remove_blocks`, :func:`move_blocks`, :func:`set_params`,
:func:`rename_block`, :func:`connect`, :func:`disconnect`,
:func:`copy_blocks` / :func:`paste` / :func:`duplicate` (with
:class:`Fragment`), :func:`create_subsystem`, :func:`set_model_field`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from vtc.blocks.api import BlockError
from vtc.blocks.registry import Registry
from vtc.blocks.registry import registry as default_registry
from vtc.compiler.errors import ModelError, VtcError, VtcErrors
from vtc.compiler.model.elaborate import INDEX_PORT, Diagram, Inst, elaborate
from vtc.compiler.model.fileio import IDENT, dumps, loads
from vtc.compiler.model.model import BlockSpec, Connection, Model, PortRef

__all__ = [
    "CONTAINERS",
    "MODEL_FIELDS",
    "Fragment",
    "add_block",
    "block_ports",
    "connect",
    "copy_blocks",
    "create_subsystem",
    "diagram_at",
    "disconnect",
    "duplicate",
    "move_blocks",
    "paste",
    "remove_blocks",
    "rename_block",
    "set_model_field",
    "set_params",
    "unique_id",
]

INPORT = "std.inport"
OUTPORT = "std.outport"
SUBSYSTEM = "std.subsystem"
FOR_ITERATOR = "std.for_iterator"
#: Block types that hold a diagram (``blocks`` and ``connections``).
CONTAINERS = frozenset({SUBSYSTEM, FOR_ITERATOR})
#: The model settings :func:`set_model_field` changes.
MODEL_FIELDS = ("name", "target", "samples_per_run", "sample_time", "description")

Blocks = tuple[BlockSpec, ...]
Wires = tuple[Connection, ...]

# Spacing of the port blocks create_subsystem puts inside the new subsystem.
_PORT_GAP_X = 120.0
_PORT_GAP_Y = 60.0


# --- diagrams at a path -----------------------------------------------------------------


def _describe(where: str) -> str:
    return "the top-level diagram" if not where else f"the diagram of '{where}'"


def diagram_at(model: Model, where: str) -> tuple[Blocks, Wires]:
    """The blocks and wires of the diagram at ``where``.

    Raises
    ------
    ModelError
        No block at ``where``, or a block there that holds no diagram.
    """
    if not where:
        return model.blocks, model.connections
    spec = model.block(where)
    if spec is None:
        raise ModelError(f"there is no subsystem '{where}' in the model")
    if spec.blocks is None:
        raise ModelError(
            f"'{where}' ({spec.type}) holds no diagram: only a subsystem or a "
            "for-iterator has blocks inside",
            path=where,
            block_type=spec.type,
        )
    return spec.blocks, spec.connections


def _with_diagram(model: Model, where: str, blocks: Blocks, wires: Wires) -> Model:
    """A copy of ``model`` whose diagram at ``where`` is ``blocks``/``wires``
    (the parents are rebuilt, every other part is shared)."""
    if not where:
        return replace(model, blocks=blocks, connections=wires)
    parent, _, leaf = where.rpartition("/")
    pblocks, pwires = diagram_at(model, parent)
    new = tuple(
        replace(b, blocks=blocks, connections=wires) if b.id == leaf else b for b in pblocks
    )
    return _with_diagram(model, parent, new, pwires)


def _container(model: Model, where: str) -> BlockSpec | None:
    """The subsystem or for-iterator at ``where`` (``None`` at the top level)."""
    return model.block(where) if where else None


def _find(blocks: Blocks, block_id: str, where: str) -> BlockSpec:
    for b in blocks:
        if b.id == block_id:
            return b
    raise ModelError(f"there is no block '{block_id}' in {_describe(where)}")


def _path(where: str, block_id: str) -> str:
    return f"{where}/{block_id}" if where else block_id


def _check_new_id(new: object, used: Iterable[str], where: str) -> str:
    if not isinstance(new, str) or not IDENT.match(new):
        raise ModelError(
            f"{new!r} is not a valid block id: use letters, digits and _, not starting with a digit"
        )
    if new in set(used):
        raise ModelError(f"the id '{new}' is already used in {_describe(where)}")
    return new


def unique_id(model: Model, where: str, stem: str) -> str:
    """A block id not used in the diagram at ``where``: ``stem`` and the
    smallest number from 1 that is free (``gain1``, ``gain2``, ...).

    ``stem`` may be a block type name: its last part is used (``std.gain`` ->
    ``gain``); characters an id cannot hold become ``_``.
    """
    blocks, _ = diagram_at(model, where)
    return _fresh(_stem(stem), {b.id for b in blocks})


def _stem(text: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_]", "_", text.rsplit(".", 1)[-1])
    if not stem:
        return "block"
    return stem if not stem[0].isdigit() else "b" + stem


def _fresh(stem: str, used: set[str]) -> str:
    n = 1
    while f"{stem}{n}" in used:
        n += 1
    return f"{stem}{n}"


# --- checking values --------------------------------------------------------------------


def _json_data(value: Any, what: str) -> Any:
    """A deep copy of ``value`` as plain JSON data (tuples become lists)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            text = "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
            raise ModelError(
                f'{what}: {value} is not a JSON number: write it as the string "{text}"'
            )
        return float(value)
    if isinstance(value, list | tuple):
        return [_json_data(v, what) for v in value]
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ModelError(f"{what}: the key {k!r} is not a string")
            out[k] = _json_data(v, what)
        return out
    raise ModelError(
        f"{what}: a {type(value).__name__} is not JSON data (numbers, strings, true, "
        "false, null, lists and objects only)"
    )


def _params(params: Mapping[str, Any] | None, block_id: str) -> dict[str, Any]:
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise ModelError(f"the parameters of '{block_id}' must be a mapping of names to values")
    out: dict[str, Any] = {}
    for name, value in params.items():
        if not isinstance(name, str):
            raise ModelError(f"the parameters of '{block_id}': the name {name!r} is not a string")
        out[name] = _json_data(value, f"parameter '{name}' of '{block_id}'")
    return out


def _pos(pos: object, block_id: str) -> tuple[float, float]:
    if (
        isinstance(pos, tuple | list)
        and len(pos) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in pos)
        and all(math.isfinite(v) for v in pos)
    ):
        return (float(pos[0]), float(pos[1]))
    raise ModelError(f"the position of '{block_id}' must be two finite numbers (x, y)")


def _port_number(spec: BlockSpec) -> int | None:
    n = spec.params.get("port", 0)
    return n if isinstance(n, int) and not isinstance(n, bool) else None


def _next_port(blocks: Iterable[BlockSpec], btype: str) -> int:
    used = [n for b in blocks if b.type == btype and (n := _port_number(b)) is not None]
    return max(used) + 1 if used else 0


# --- blocks -----------------------------------------------------------------------------


def add_block(
    model: Model,
    where: str,
    type_name: str,
    *,
    pos: tuple[float, float],
    id: str | None = None,
    params: Mapping[str, Any] | None = None,
    reg: Registry | None = None,
) -> tuple[Model, str]:
    """Add one block.

    Parameters
    ----------
    type_name:
        A type some installed library defines (``std.gain``).
    pos:
        Its position in the editor.
    id:
        Its id; default :func:`unique_id` of the type (``gain1``).
    params:
        Its parameters as JSON data; default ``{}`` (the type's defaults
        apply). An ``std.inport``/``std.outport`` given no ``port`` gets the
        next free port number of the diagram, so a new port never clashes.
    reg:
        The block registry (default: every installed library).

    Returns
    -------
    The new model and the block's id. A ``std.subsystem`` or
    ``std.for_iterator`` starts with an empty diagram.

    Raises
    ------
    ModelError
        Unknown type, an invalid or used id, parameters that are not JSON data.
    """
    reg = reg if reg is not None else default_registry()
    if reg.block(type_name) is None:
        raise ModelError(
            f"unknown block type '{type_name}' (no installed block library defines it)"
        )
    blocks, wires = diagram_at(model, where)
    block_id = (
        _check_new_id(id, (b.id for b in blocks), where)
        if id is not None
        else _fresh(_stem(type_name), {b.id for b in blocks})
    )
    values = _params(params, block_id)
    if type_name in (INPORT, OUTPORT) and "port" not in values:
        values["port"] = _next_port(blocks, type_name)
    spec = BlockSpec(
        block_id,
        type_name,
        values,
        _pos(pos, block_id),
        () if type_name in CONTAINERS else None,
    )
    return _with_diagram(model, where, (*blocks, spec), wires), block_id


def remove_blocks(model: Model, where: str, ids: Iterable[str]) -> Model:
    """Remove blocks and every wire touching them.

    Removing an inport or outport inside a subsystem or for-iterator removes
    that port, so the wires to it outside are removed too.

    Raises
    ------
    ModelError
        An id that is not in the diagram.
    """
    blocks, wires = diagram_at(model, where)
    gone = set(ids)
    for bid in sorted(gone):
        _find(blocks, bid, where)
    if not gone:
        return model
    ports_gone = {b.id: b.type for b in blocks if b.id in gone and b.type in (INPORT, OUTPORT)}
    new = _with_diagram(
        model,
        where,
        tuple(b for b in blocks if b.id not in gone),
        tuple(w for w in wires if w.src.block not in gone and w.dst.block not in gone),
    )
    if ports_gone and where:
        parent, _, leaf = where.rpartition("/")
        pblocks, pwires = diagram_at(new, parent)

        def cut(w: Connection) -> bool:
            if w.dst.block == leaf and ports_gone.get(w.dst.port) == INPORT:
                return True
            return w.src.block == leaf and ports_gone.get(w.src.port) == OUTPORT

        new = _with_diagram(new, parent, pblocks, tuple(w for w in pwires if not cut(w)))
    return new


def move_blocks(model: Model, where: str, positions: Mapping[str, tuple[float, float]]) -> Model:
    """Give blocks new positions (``id -> (x, y)``).

    Raises
    ------
    ModelError
        An id that is not in the diagram, a position that is not two finite
        numbers.
    """
    blocks, wires = diagram_at(model, where)
    for bid in positions:
        _find(blocks, bid, where)
    moved = {bid: _pos(p, bid) for bid, p in positions.items()}
    return _with_diagram(
        model,
        where,
        tuple(replace(b, pos=moved[b.id]) if b.id in moved else b for b in blocks),
        wires,
    )


def set_params(model: Model, where: str, block_id: str, params: Mapping[str, Any]) -> Model:
    """Replace the whole parameter mapping of a block.

    The values are not validated against the block type: an invalid value is
    stored so the user can fix it (elaboration reports it). Wires to ports the
    new parameters remove (``std.sum`` with fewer signs) are kept and
    reported by elaboration likewise.

    Raises
    ------
    ModelError
        Unknown block, a name that is not a string, a value that is not JSON
        data (NaN and infinities must be written as the strings ``"nan"``,
        ``"inf"``).
    """
    blocks, wires = diagram_at(model, where)
    _find(blocks, block_id, where)
    values = _params(params, block_id)
    return _with_diagram(
        model,
        where,
        tuple(replace(b, params=values) if b.id == block_id else b for b in blocks),
        wires,
    )


def rename_block(model: Model, where: str, old: str, new: str) -> Model:
    """Give a block a new id; its wires follow.

    Renaming an inport or outport inside a subsystem or for-iterator renames
    that port, so the wires to it outside follow too.

    Raises
    ------
    ModelError
        Unknown block, an invalid or used id, or an inport renamed to ``k``
        inside a for-iterator while the input is wired outside (``k`` is the
        iteration index there, not an input).
    """
    blocks, wires = diagram_at(model, where)
    spec = _find(blocks, old, where)
    if new == old:
        return model
    _check_new_id(new, (b.id for b in blocks), where)
    outer = _container(model, where)
    parent, _, leaf = where.rpartition("/")
    if outer is not None and spec.type in (INPORT, OUTPORT):
        _, pwires = diagram_at(model, parent)
        if outer.type == FOR_ITERATOR and spec.type == INPORT and new == INDEX_PORT:
            wired = [w for w in pwires if w.dst == PortRef(leaf, old)]
            if wired:
                raise ModelError(
                    f"an inport named '{INDEX_PORT}' inside a for-iterator is the iteration "
                    f"index, not an input: remove the wire {wired[0].src} -> {leaf}.{old} first",
                    path=_path(where, old),
                    block_type=spec.type,
                )

    def end(ref: PortRef) -> PortRef:
        return PortRef(new, ref.port) if ref.block == old else ref

    result = _with_diagram(
        model,
        where,
        tuple(replace(b, id=new) if b.id == old else b for b in blocks),
        tuple(replace(w, src=end(w.src), dst=end(w.dst)) for w in wires),
    )
    if outer is not None and spec.type in (INPORT, OUTPORT):
        pblocks, pwires = diagram_at(result, parent)
        port_ref = PortRef(leaf, old)
        renamed = PortRef(leaf, new)
        if spec.type == INPORT:
            pwires = tuple(replace(w, dst=renamed) if w.dst == port_ref else w for w in pwires)
        else:
            pwires = tuple(replace(w, src=renamed) if w.src == port_ref else w for w in pwires)
        result = _with_diagram(result, parent, pblocks, pwires)
    return result


# --- wires ------------------------------------------------------------------------------


def block_ports(
    spec: BlockSpec, reg: Registry | None = None
) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The input and output port names of a block, or ``None`` when they are
    not known (a type no installed library defines, or parameters the type
    refuses: then any port name is accepted and elaboration checks it).

    A subsystem's ports are the ids of the inports and outports inside it (a
    for-iterator's likewise, except an inport named ``k``, its iteration
    index), in the order of their ``port`` numbers.
    """
    if spec.type in CONTAINERS:

        def order(b: BlockSpec) -> tuple[int, str]:
            return (_port_number(b) or 0, b.id)

        inner = sorted(spec.blocks or (), key=order)
        ins = tuple(
            b.id
            for b in inner
            if b.type == INPORT and not (spec.type == FOR_ITERATOR and b.id == INDEX_PORT)
        )
        return ins, tuple(b.id for b in inner if b.type == OUTPORT)
    reg = reg if reg is not None else default_registry()
    blk = reg.block(spec.type)
    if blk is None:
        return None
    try:
        params = blk.validate(spec.params)
        return tuple(blk.inputs(params)), tuple(blk.outputs(params))
    except BlockError:
        return None


def _list(names: tuple[str, ...]) -> str:
    return ", ".join(names) or "none"


def connect(
    model: Model,
    where: str,
    src: PortRef,
    dst: PortRef,
    reg: Registry | None = None,
    *,
    check_widths: bool = True,
) -> Model:
    """Add a wire from the output ``src`` to the input ``dst``.

    A wire from a block to itself is allowed (algebraic loops are reported by
    the compiler, not here).

    Width check: the model is elaborated with and without the new wire; a
    problem the new wire introduces (anywhere: widths propagate downstream)
    refuses it, except a port still not connected and a width conflict
    around a feedback loop (an algebraic loop gives one; diagnostics report
    both). When the widths of the two ends are not both known yet (inputs
    upstream still unconnected) nothing is refused. ``check_widths=False``
    skips it (it costs about 0.1 s per 1,000 blocks).

    Raises
    ------
    ModelError
        Unknown block; a port the block does not have; an input used as the
        source or an output as the destination; an input already driven; a
        width mismatch.
    """
    reg = reg if reg is not None else default_registry()
    blocks, wires = diagram_at(model, where)
    src_spec = _find(blocks, src.block, where)
    dst_spec = _find(blocks, dst.block, where)
    src_ports = block_ports(src_spec, reg)
    dst_ports = block_ports(dst_spec, reg)
    if src_ports is not None and src.port not in src_ports[1]:
        if src.port in src_ports[0]:
            raise ModelError(
                f"'{src.port}' of '{src.block}' is an input: a wire goes from an output "
                "to an input",
                path=_path(where, src.block),
                block_type=src_spec.type,
            )
        raise ModelError(
            f"'{src.block}' ({src_spec.type}) has no output '{src.port}' "
            f"(outputs: {_list(src_ports[1])})",
            path=_path(where, src.block),
            block_type=src_spec.type,
        )
    if dst_ports is not None and dst.port not in dst_ports[0]:
        if dst.port in dst_ports[1]:
            raise ModelError(
                f"'{dst.port}' of '{dst.block}' is an output: a wire goes from an output "
                "to an input",
                path=_path(where, dst.block),
                block_type=dst_spec.type,
            )
        raise ModelError(
            f"'{dst.block}' ({dst_spec.type}) has no input '{dst.port}' "
            f"(inputs: {_list(dst_ports[0])})",
            path=_path(where, dst.block),
            block_type=dst_spec.type,
        )
    for w in wires:
        if w.dst == dst:
            if w.src == src:
                raise ModelError(f"{src} is already connected to {dst}")
            raise ModelError(
                f"input '{dst.port}' of '{dst.block}' is already driven by {w.src}: "
                "remove that wire first",
                path=_path(where, dst.block),
                block_type=dst_spec.type,
            )
    new = _with_diagram(model, where, blocks, (*wires, Connection(src, dst)))
    if check_widths:
        before = _problems(model, reg)
        for err in _errors_of(new, reg):
            key = (err.path, err.message)
            if key in before or any(text in err.message for text in _NOT_REFUSED):
                continue
            raise ModelError(
                f"the wire {src} -> {dst} would give block '{err.path}' an error: {err.message}",
                path=err.path,
                block_type=err.block_type,
            )
    return new


# Elaboration problems a new wire may bring that do not refuse it: a port
# still to be wired, and a width conflict around a feedback loop (what an
# algebraic loop of vectors gives too: the compiler reports the loop).
_NOT_REFUSED = ("is not connected", "does not match the feedback loop it closes")


def _errors_of(model: Model, reg: Registry) -> list[ModelError]:
    try:
        elaborate(model, reg=reg)
    except VtcErrors as exc:
        return [e for e in exc.errors if isinstance(e, ModelError)]
    except ModelError as exc:
        return [exc]
    return []


# A few recent models and their elaboration problems: connecting wire after
# wire elaborates each model once as "after" and once as "before".
_recent: list[tuple[Model, Registry, set[tuple[str | None, str]]]] = []


def _problems(model: Model, reg: Registry) -> set[tuple[str | None, str]]:
    for m, r, found in _recent:
        if m is model and r is reg:
            return found
    found = {(e.path, e.message) for e in _errors_of(model, reg)}
    _recent.insert(0, (model, reg, found))
    del _recent[4:]
    return found


def disconnect(model: Model, where: str, dst: PortRef) -> Model:
    """Remove the wire into the input ``dst``.

    Raises
    ------
    ModelError
        No wire goes into that input.
    """
    blocks, wires = diagram_at(model, where)
    kept = tuple(w for w in wires if w.dst != dst)
    if len(kept) == len(wires):
        raise ModelError(f"no wire goes into input '{dst.port}' of '{dst.block}'")
    return _with_diagram(model, where, blocks, kept)


# --- copy, paste, duplicate -------------------------------------------------------------


@dataclass(frozen=True)
class Fragment:
    """Copied blocks and the wires among them (the clipboard's content).

    :meth:`to_text` and :meth:`from_text` carry it through the system
    clipboard as the text of a model file.
    """

    blocks: Blocks
    connections: Wires = ()

    def to_text(self) -> str:
        """The fragment as model-file text."""
        return dumps(Model(blocks=self.blocks, connections=self.connections))

    @staticmethod
    def from_text(text: str) -> Fragment:
        """A fragment from :meth:`to_text` text (or any model file's top level).

        Raises
        ------
        ModelError
            Text that is not a model file.
        """
        try:
            m = loads(text, "<clipboard>")
        except VtcError as exc:
            raise ModelError(f"the clipboard holds no vtc blocks: {exc.message}") from None
        return Fragment(m.blocks, m.connections)


def copy_blocks(model: Model, where: str, ids: Iterable[str]) -> Fragment:
    """The blocks ``ids`` of the diagram and the wires among them only
    (in the diagram's order).

    Raises
    ------
    ModelError
        An id that is not in the diagram.
    """
    blocks, wires = diagram_at(model, where)
    chosen = set(ids)
    for bid in sorted(chosen):
        _find(blocks, bid, where)
    return Fragment(
        tuple(b for b in blocks if b.id in chosen),
        tuple(w for w in wires if w.src.block in chosen and w.dst.block in chosen),
    )


def paste(
    model: Model,
    where: str,
    fragment: Fragment,
    offset: tuple[float, float] = (20.0, 20.0),
) -> tuple[Model, list[str]]:
    """Add a fragment's blocks and wires to the diagram at ``where``.

    An id already used there is renamed to the next free one of its stem
    (``gain1`` -> ``gain2``), its wires with it; positions move by
    ``offset``. A pasted inport or outport whose port number is already used
    in the diagram gets the next free one. Wires of the fragment to blocks
    outside it are dropped.

    Returns
    -------
    The new model and the new ids, in the fragment's order.

    Raises
    ------
    ModelError
        A fragment with an invalid or repeated id.
    """
    blocks, wires = diagram_at(model, where)
    dx, dy = _pos(offset, "the paste offset")
    used = {b.id for b in blocks}
    names: dict[str, str] = {}
    for b in fragment.blocks:
        if not isinstance(b.id, str) or not IDENT.match(b.id) or b.id in names:
            raise ModelError(f"the pasted blocks have an invalid or repeated id {b.id!r}")
        new_id = b.id if b.id not in used else _fresh(_stem(b.id.rstrip("0123456789")), used)
        used.add(new_id)
        names[b.id] = new_id
    placed = list(blocks)
    new_ids = []
    for b in fragment.blocks:
        spec = replace(
            b,
            id=names[b.id],
            pos=(b.pos[0] + dx, b.pos[1] + dy) if b.pos is not None else None,
        )
        if b.type in (INPORT, OUTPORT):
            n = _port_number(b)
            taken = {_port_number(o) for o in placed if o.type == b.type}
            if n is not None and n in taken:
                spec = replace(spec, params={**b.params, "port": _next_port(placed, b.type)})
        placed.append(spec)
        new_ids.append(spec.id)
    pasted = tuple(
        replace(
            w,
            src=PortRef(names[w.src.block], w.src.port),
            dst=PortRef(names[w.dst.block], w.dst.port),
        )
        for w in fragment.connections
        if w.src.block in names and w.dst.block in names
    )
    return _with_diagram(model, where, tuple(placed), (*wires, *pasted)), new_ids


def duplicate(
    model: Model,
    where: str,
    ids: Iterable[str],
    offset: tuple[float, float] = (20.0, 20.0),
) -> tuple[Model, list[str]]:
    """:func:`copy_blocks` then :func:`paste` into the same diagram."""
    return paste(model, where, copy_blocks(model, where, ids), offset)


# --- subsystems -------------------------------------------------------------------------


def create_subsystem(
    model: Model,
    where: str,
    ids: Iterable[str],
    *,
    id: str | None = None,
    reg: Registry | None = None,
) -> tuple[Model, str]:
    """Move blocks into a new ``std.subsystem`` placed at their centre.

    Every wire crossing the selection's boundary is cut in two: inside, an
    ``std.inport`` (``in1``, ``in2``, ...) or ``std.outport`` (``out1``, ...)
    of the new subsystem; outside, a wire to or from the subsystem's port of
    that name. One outside source feeding several selected inputs gets one
    inport; the outside consumers of one selected output share one outport.
    Ports are numbered top to bottom by the position of the blocks they
    connect. An inport inside gets the width of the signal it carries when
    the model elaborates (subsystem contents are also checked on their own).

    Subsystems are virtual, so what the model computes does not change.

    Returns
    -------
    The new model and the subsystem's id (default ``subsystem1`` ...).

    Raises
    ------
    ModelError
        No blocks chosen, an id not in the diagram, an inport or outport
        chosen (it is a port of the diagram itself and would change what the
        model or the enclosing subsystem looks like from outside), an invalid
        or used id for the subsystem.
    """
    blocks, wires = diagram_at(model, where)
    chosen = set(ids)
    if not chosen:
        raise ModelError("choose the blocks to put into the subsystem")
    for bid in sorted(chosen):
        spec = _find(blocks, bid, where)
        if spec.type in (INPORT, OUTPORT):
            raise ModelError(
                f"'{bid}' is a port of {_describe(where)} ({spec.type}): it cannot move "
                "into a subsystem",
                path=_path(where, bid),
                block_type=spec.type,
            )
    rest = [b for b in blocks if b.id not in chosen]
    sub_id = (
        _check_new_id(id, (b.id for b in rest), where)
        if id is not None
        else _fresh("subsystem", {b.id for b in rest})
    )
    inner = [b for b in blocks if b.id in chosen]
    pos = {b.id: b.pos or (0.0, 0.0) for b in inner}
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    left, right = min(xs), max(xs)
    centre = ((left + right) / 2, (min(ys) + max(ys)) / 2)

    inside = [w for w in wires if w.src.block in chosen and w.dst.block in chosen]
    outside = [w for w in wires if w.src.block not in chosen and w.dst.block not in chosen]
    # outside source -> the selected inputs it feeds; selected output -> outside inputs
    feeds: dict[PortRef, list[PortRef]] = {}
    serves: dict[PortRef, list[PortRef]] = {}
    for w in wires:
        if w.src.block not in chosen and w.dst.block in chosen:
            feeds.setdefault(w.src, []).append(w.dst)
        elif w.src.block in chosen and w.dst.block not in chosen:
            serves.setdefault(w.src, []).append(w.dst)

    def placed(refs: list[PortRef]) -> tuple[float, float]:
        return min((pos[r.block][1], pos[r.block][0]) for r in refs)

    in_order = sorted(feeds, key=lambda s: (placed(feeds[s]), s))
    out_order = sorted(serves, key=lambda s: (placed([s]), s))
    widths = _source_widths(model, where, in_order, reg)
    used = set(chosen)
    port_blocks: list[BlockSpec] = []
    outer_wires: list[Connection] = []

    def ys_spread(want: list[float]) -> list[float]:
        out: list[float] = []
        for y in want:
            out.append(y if not out else max(y, out[-1] + _PORT_GAP_Y))
        return out

    in_ys = ys_spread([placed(feeds[s])[0] for s in in_order])
    for k, (source, y) in enumerate(zip(in_order, in_ys, strict=True)):
        name = _fresh("in", used)
        used.add(name)
        params: dict[str, Any] = {"port": k}
        if widths.get(source, 1) != 1:
            params["width"] = widths[source]
        port_blocks.append(BlockSpec(name, INPORT, params, (left - _PORT_GAP_X, y)))
        inside.extend(Connection(PortRef(name, "out"), d) for d in feeds[source])
        outer_wires.append(Connection(source, PortRef(sub_id, name)))
    out_ys = ys_spread([placed([s])[0] for s in out_order])
    for k, (source, y) in enumerate(zip(out_order, out_ys, strict=True)):
        name = _fresh("out", used)
        used.add(name)
        port_blocks.append(BlockSpec(name, OUTPORT, {"port": k}, (right + _PORT_GAP_X, y)))
        inside.append(Connection(source, PortRef(name, "in")))
        outer_wires.extend(Connection(PortRef(sub_id, name), d) for d in serves[source])
    sub = BlockSpec(sub_id, SUBSYSTEM, {}, centre, (*inner, *port_blocks), tuple(inside))
    return (
        _with_diagram(model, where, (*rest, sub), (*outside, *outer_wires)),
        sub_id,
    )


def _source_widths(
    model: Model, where: str, sources: list[PortRef], reg: Registry | None
) -> dict[PortRef, int]:
    """The widths of outputs of the diagram at ``where``, when the model
    elaborates (empty otherwise)."""
    if not sources:
        return {}
    try:
        flat = elaborate(model, reg=reg)
    except VtcError:
        return {}
    out: dict[PortRef, int] = {}
    for ref in sources:
        width = _output_width(flat, model, where, ref)
        if width is not None:
            out[ref] = width
    return out


def _output_width(flat: Diagram, model: Model, where: str, ref: PortRef) -> int | None:
    """The width of output ``ref`` of the diagram at ``where``: a subsystem's
    output is followed to the block inside that drives it, an inport of a
    subsystem to the wire outside that feeds it."""
    path = _path(where, ref.block)
    spec = model.block(path)
    if spec is None:
        return None
    if spec.type == SUBSYSTEM:
        inner = next((w.src for w in spec.connections if w.dst == PortRef(ref.port, "in")), None)
        return _output_width(flat, model, path, inner) if inner is not None else None
    outer = _container(model, where)
    if spec.type == INPORT and outer is not None and outer.type == SUBSYSTEM:
        parent, _, leaf = where.rpartition("/")
        _, pwires = diagram_at(model, parent)
        feed = next((w.src for w in pwires if w.dst == PortRef(leaf, ref.block)), None)
        return _output_width(flat, model, parent, feed) if feed is not None else None
    inst = _inst(flat, path)
    return inst.out_widths.get(ref.port) if inst is not None else None


def _inst(flat: Diagram, path: str) -> Inst | None:
    found = flat.by_path.get(path)
    if found is not None:
        return found
    for inst in flat.insts:
        if inst.body is not None and path.startswith(inst.path + "/"):
            return _inst(inst.body, path)
    return None


# --- the model's settings ---------------------------------------------------------------


def set_model_field(model: Model, **fields: Any) -> Model:
    """Change model settings: ``name``, ``target`` (a name or file, ``None``
    or ``""`` for the default), ``samples_per_run`` (1 to 65535),
    ``sample_time`` (seconds, positive, or ``None``), ``description``.

    Raises
    ------
    ModelError
        An unknown field or a value of the wrong kind.
    """
    changes: dict[str, Any] = {}
    for key, value in fields.items():
        if key not in MODEL_FIELDS:
            raise ModelError(
                f"a model has no setting '{key}' (settings: {', '.join(MODEL_FIELDS)})"
            )
        if key in ("name", "description"):
            if not isinstance(value, str):
                raise ModelError(f"the model's {key} must be text")
        elif key == "target":
            if value is not None and not isinstance(value, str):
                raise ModelError("the target must be a target name or a file name")
            value = value or None
        elif key == "samples_per_run":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
                raise ModelError(
                    f"samples per run must be a whole number from 1 to 65535, not {value!r}"
                )
        elif value is not None:
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value <= 0
            ):
                raise ModelError(
                    f"the sample time must be a positive number of seconds, not {value!r}"
                )
            value = float(value)
        changes[key] = value
    return replace(model, **changes)
