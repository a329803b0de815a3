"""Reading and writing ``model.json`` (models.md section 2).

:func:`loads` turns text into a :class:`~vtc.compiler.model.model.Model`,
checking the file's structure (every structural problem is collected, each
with its block path) and migrating older versions; :func:`dumps` writes the
canonical text: keys sorted, blocks sorted by id, connections sorted, floats
in Python's shortest round-trip form, two-space indentation, no timestamps.
Loading canonical text and saving it again gives the same bytes.

Nothing in a model file is executed: it is JSON data, and expressions are
parsed later by the project's own grammar.

File versions
-------------
* **1** (current): as models.md section 2.
* **0** (the draft format of the first prototypes): ``"parameters"`` instead
  of ``"params"``, ``"links"`` instead of ``"connections"`` with ends written
  ``"block.port"``, ``"position"`` instead of ``"pos"``. Migrated on load.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from vtc.compiler.errors import ModelError, SourceLocation, VtcErrors
from vtc.compiler.files import read_text, write_text_atomic
from vtc.compiler.model.model import FORMAT, VERSION, BlockSpec, Connection, Model, PortRef

__all__ = ["IDENT", "dumps", "load", "loads", "save", "to_json_data"]

#: What a block id or port name must look like.
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

_TOP_KEYS = {
    "format",
    "version",
    "name",
    "target",
    "blocks",
    "connections",
    "samples_per_run",
    "sample_time",
    "description",
}
_BLOCK_KEYS = {"id", "type", "params", "pos", "blocks", "connections"}
_CONN_KEYS = {"from", "to"}


def load(path: str | Path) -> Model:
    """Read and check a model file (see :func:`loads`)."""
    return loads(read_text(path), str(path))


def loads(text: str, file: str = "<model>") -> Model:
    """Parse model text.

    Raises
    ------
    ModelError
        Invalid JSON (with line and column), a file of a newer version, or a
        structural problem; several structural problems come together as a
        :class:`~vtc.compiler.errors.VtcErrors`.
    """
    data = _parse_json(text, file)
    if not isinstance(data, dict):
        raise ModelError("a model file holds one JSON object", file=file)
    fmt = data.get("format")
    if fmt != FORMAT:
        raise ModelError(
            f"this is not a vtc model (its 'format' is {fmt!r}, expected {FORMAT!r})", file=file
        )
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise ModelError(f"'version' must be a whole number, not {version!r}", file=file)
    if version > VERSION:
        raise ModelError(
            f"the file is of model version {version}, newer than this vtc reads "
            f"(version {VERSION}); update vtc to open it",
            file=file,
        )
    for step in range(version, VERSION):
        data = _MIGRATIONS[step](data)
    return _Reader(file).model(data)


def _parse_json(text: str, file: str) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise ValueError(f"duplicate key {key!r}")
            out[key] = value
        return out

    def bad_constant(name: str) -> Any:
        raise ValueError(f'{name} is not JSON; write the string "{name.lower()}"')

    lines = text.splitlines()
    try:
        return json.loads(text, object_pairs_hook=pairs, parse_constant=bad_constant)
    except json.JSONDecodeError as exc:
        line = lines[exc.lineno - 1] if 0 < exc.lineno <= len(lines) else None
        loc = SourceLocation(file, exc.lineno, exc.colno, 1, line)
        raise ModelError(f"invalid JSON: {exc.msg.lower()}", loc, file=file) from None
    except ValueError as exc:  # from the hooks: no position, name the file
        raise ModelError(f"invalid JSON: {exc}", file=file) from None


class _Reader:
    """Builds the dataclasses, collecting every structural problem."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[ModelError] = []

    def fail(self, message: str, path: str | None = None, btype: str | None = None) -> None:
        self.errors.append(ModelError(message, file=self.file, path=path, block_type=btype))

    def model(self, data: dict[str, Any]) -> Model:
        name = data.get("name", "")
        if not isinstance(name, str):
            self.fail("'name' must be a string")
            name = ""
        target = data.get("target")
        if target is not None and not isinstance(target, str):
            self.fail("'target' must be a target name or a file name")
            target = None
        spr = data.get("samples_per_run", 1)
        if isinstance(spr, bool) or not isinstance(spr, int) or not 1 <= spr <= 65535:
            self.fail(f"'samples_per_run' must be a whole number from 1 to 65535, not {spr!r}")
            spr = 1
        st = data.get("sample_time")
        if st is not None and (
            isinstance(st, bool) or not isinstance(st, int | float) or not st > 0
        ):
            self.fail(f"'sample_time' must be a positive number of seconds, not {st!r}")
            st = None
        desc = data.get("description", "")
        if not isinstance(desc, str):
            self.fail("'description' must be a string")
            desc = ""
        blocks, conns = self.diagram(data, "")
        extra = {k: v for k, v in data.items() if k not in _TOP_KEYS}
        VtcErrors.raise_if_any(self.errors)
        return Model(
            name=name,
            target=target,
            blocks=blocks,
            connections=conns,
            samples_per_run=spr,
            sample_time=float(st) if st is not None else None,
            description=desc,
            extra=extra,
        )

    def diagram(
        self, data: Mapping[str, Any], prefix: str
    ) -> tuple[tuple[BlockSpec, ...], tuple[Connection, ...]]:
        where = prefix.rstrip("/") or None
        raw_blocks = data.get("blocks", [])
        if not isinstance(raw_blocks, list):
            self.fail("'blocks' must be a list", where)
            raw_blocks = []
        blocks: list[BlockSpec] = []
        ids: set[str] = set()
        for i, raw in enumerate(raw_blocks):
            b = self.block(raw, prefix, i)
            if b is None:
                continue
            if b.id in ids:
                self.fail(f"the id '{b.id}' is used twice in this diagram", prefix + b.id, b.type)
                continue
            ids.add(b.id)
            blocks.append(b)
        raw_conns = data.get("connections", [])
        if not isinstance(raw_conns, list):
            self.fail("'connections' must be a list", where)
            raw_conns = []
        conns: list[Connection] = []
        for i, raw in enumerate(raw_conns):
            c = self.connection(raw, ids, where, i)
            if c is not None:
                conns.append(c)
        return tuple(blocks), tuple(conns)

    def block(self, raw: Any, prefix: str, index: int) -> BlockSpec | None:
        if not isinstance(raw, dict):
            self.fail(f"block {index + 1} of the diagram is not a JSON object", prefix or None)
            return None
        bid = raw.get("id")
        btype = raw.get("type")
        if not isinstance(bid, str) or not IDENT.match(bid):
            shown = f"block {index + 1}" if not isinstance(bid, str) else f"'{bid}'"
            self.fail(
                f"{shown}: a block id must be an identifier (letters, digits, _)",
                prefix.rstrip("/") or None,
            )
            return None
        path = prefix + bid
        if not isinstance(btype, str) or not btype:
            self.fail("the block has no 'type'", path)
            return None
        params = raw.get("params", {})
        if not isinstance(params, dict):
            self.fail("'params' must be a JSON object", path, btype)
            params = {}
        pos = raw.get("pos")
        position: tuple[float, float] | None = None
        if pos is not None:
            if (
                isinstance(pos, list)
                and len(pos) == 2
                and all(isinstance(v, int | float) and not isinstance(v, bool) for v in pos)
            ):
                position = (pos[0], pos[1])
            else:
                self.fail("'pos' must be [x, y]", path, btype)
        contents: tuple[BlockSpec, ...] | None = None
        conns: tuple[Connection, ...] = ()
        if "blocks" in raw or "connections" in raw:
            contents, conns = self.diagram(raw, path + "/")
        extra = {k: v for k, v in raw.items() if k not in _BLOCK_KEYS}
        return BlockSpec(bid, btype, params, position, contents, conns, extra)

    def connection(
        self, raw: Any, ids: set[str], where: str | None, index: int
    ) -> Connection | None:
        what = f"connection {index + 1}"
        if not isinstance(raw, dict) or "from" not in raw or "to" not in raw:
            self.fail(f"{what} must be an object with 'from' and 'to'", where)
            return None
        ends = []
        for key in ("from", "to"):
            end = raw[key]
            if (
                not isinstance(end, list)
                or len(end) != 2
                or not all(isinstance(s, str) for s in end)
            ):
                self.fail(f"{what}: '{key}' must be [block id, port name]", where)
                return None
            if end[0] not in ids:
                self.fail(f"{what}: '{key}' names a block '{end[0]}' that does not exist", where)
                return None
            ends.append(PortRef(end[0], end[1]))
        extra = {k: v for k, v in raw.items() if k not in _CONN_KEYS}
        return Connection(ends[0], ends[1], extra)


# --- migration -----------------------------------------------------------------------


def _migrate_0(data: dict[str, Any]) -> dict[str, Any]:
    """Version 0 -> 1: ``parameters``/``position``/``links`` renamed, ends split."""

    def diagram(d: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in d.items() if k not in ("links",)}
        if isinstance(d.get("blocks"), list):
            out["blocks"] = [block(b) if isinstance(b, dict) else b for b in d["blocks"]]
        if "links" in d:
            out["connections"] = (
                [link(c) for c in d["links"]] if isinstance(d["links"], list) else d["links"]
            )
        return out

    def block(b: dict[str, Any]) -> dict[str, Any]:
        out = diagram(b)
        if "parameters" in out:
            out["params"] = out.pop("parameters")
        if "position" in out:
            out["pos"] = out.pop("position")
        return out

    def link(c: Any) -> Any:
        if not isinstance(c, dict):
            return c
        out = dict(c)
        for key in ("from", "to"):
            end = out.get(key)
            if isinstance(end, str) and "." in end:
                out[key] = end.split(".", 1)
        return out

    migrated = diagram(data)
    migrated["version"] = 1
    return migrated


_MIGRATIONS: tuple[Callable[[dict[str, Any]], dict[str, Any]], ...] = (_migrate_0,)


# --- saving --------------------------------------------------------------------------


def to_json_data(model: Model) -> dict[str, Any]:
    """The model as JSON data in canonical order (blocks by id, wires sorted)."""
    data: dict[str, Any] = dict(model.extra)
    data.update(format=FORMAT, version=VERSION)
    if model.name:
        data["name"] = model.name
    if model.target is not None:
        data["target"] = model.target
    if model.samples_per_run != 1:
        data["samples_per_run"] = model.samples_per_run
    if model.sample_time is not None:
        data["sample_time"] = model.sample_time
    if model.description:
        data["description"] = model.description
    data["blocks"] = [_block_data(b) for b in sorted(model.blocks, key=lambda b: b.id)]
    data["connections"] = _conns_data(model.connections)
    return data


def _block_data(b: BlockSpec) -> dict[str, Any]:
    out: dict[str, Any] = dict(b.extra)
    out.update(id=b.id, type=b.type, params=dict(b.params))
    if b.pos is not None:
        out["pos"] = list(b.pos)
    if b.blocks is not None:
        out["blocks"] = [_block_data(c) for c in sorted(b.blocks, key=lambda c: c.id)]
        out["connections"] = _conns_data(b.connections)
    return out


def _conns_data(conns: tuple[Connection, ...]) -> list[dict[str, Any]]:
    ordered = sorted(conns, key=lambda c: (c.src, c.dst))
    out = []
    for c in ordered:
        d: dict[str, Any] = dict(c.extra)
        d["from"] = [c.src.block, c.src.port]
        d["to"] = [c.dst.block, c.dst.port]
        out.append(d)
    return out


def dumps(model: Model) -> str:
    """The canonical text of a model (ends with a newline)."""
    return json.dumps(to_json_data(model), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def save(model: Model, path: str | Path) -> None:
    """Write the canonical text atomically (the old file survives a failure)."""
    write_text_atomic(path, dumps(model))
