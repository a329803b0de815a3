"""Small model documents for tests."""

from __future__ import annotations

import json
from typing import Any


def doc(blocks: list[dict[str, Any]], conns: list[tuple[str, str]], **top: Any) -> str:
    """Model JSON text; a connection is ("a.out", "b.in")."""
    data: dict[str, Any] = {"format": "vtc-model", "version": 1, "name": "m"}
    data.update(top)
    data["blocks"] = blocks
    data["connections"] = [{"from": src.split("."), "to": dst.split(".")} for src, dst in conns]
    return json.dumps(data, indent=1)


def blk(bid: str, btype: str, **params: Any) -> dict[str, Any]:
    return {"id": bid, "type": f"std.{btype}" if "." not in btype else btype, "params": params}


def sub(
    bid: str, btype: str, blocks: list[dict[str, Any]], conns: list[tuple[str, str]], **params: Any
) -> dict[str, Any]:
    return {
        "id": bid,
        "type": btype,
        "params": params,
        "blocks": blocks,
        "connections": [{"from": s.split("."), "to": d.split(".")} for s, d in conns],
    }
