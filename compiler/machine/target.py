"""Targets: the machine a program is built for (target.md section 7).

A target is a small TOML file. The project ships named ones in
``vtc/resources/targets/`` (``zynq7020-single``, the default,
``zynq7020-double`` and ``bench-large``); a user may pass a path to their own.
Every key is validated on load and an error names the file and the key::

    my.toml: key 'latency.mul': error: must be an integer from 1 to 255, got 0

Latencies: an opcode's latency is the target's ``[opcode_latency]`` entry if
it has one, else the ISA's per-opcode default if the ISA gives one (``pow``,
``lds``, ``sts``), else the target's ``[latency]`` entry for the opcode's EU,
else the EU's default from the ISA table.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from vtc.compiler.errors import SourceLocation, TargetError, VtcErrors
from vtc.compiler.machine.isa import EUS, ISA, lookup

__all__ = [
    "DEFAULT_TARGET",
    "CoreSpec",
    "SharedSpec",
    "Target",
    "load_target",
    "named_targets",
    "target_from_dict",
]

DEFAULT_TARGET = "zynq7020-single"
MAX_LATENCY = 255


@dataclass(frozen=True)
class CoreSpec:
    """One core: the EUs it has (empty: whatever the program needs)."""

    eus: tuple[str, ...] = ()


@dataclass(frozen=True)
class SharedSpec:
    """The shared memory between cores."""

    depth: int = 256
    reads_per_cycle: int = 2
    writes_per_cycle: int = 1


@dataclass(frozen=True)
class Target:
    """A validated target description. Build it with :func:`load_target`."""

    name: str
    precision: str = "single"
    clock_mhz: float = 100.0
    data_depth: int = 1024
    program_depth: int = 4096
    input_ports: int = 16
    output_ports: int = 16
    loop_depth: int = 4
    latency: Mapping[str, int] = field(default_factory=lambda: MappingProxyType(dict(EUS)))
    opcode_latency: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    cores: tuple[CoreSpec, ...] = (CoreSpec(),)
    shared: SharedSpec = SharedSpec()
    description: str = ""
    device: str = "xc7z020"
    dpr: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def latency_of(self, mnemonic: str) -> int:
        """Latency in cycles of an opcode on this target.

        >>> load_target("zynq7020-single").latency_of("add")
        6
        """
        if mnemonic in self.opcode_latency:
            return self.opcode_latency[mnemonic]
        op = lookup(mnemonic)
        if op is None:
            raise KeyError(mnemonic)
        if op.latency is not None:
            return op.latency
        if op.eu is None:
            return 1
        return self.latency.get(op.eu, EUS[op.eu])

    @property
    def max_latency(self) -> int:
        """The largest latency of any opcode on this target."""
        return max(self.latency_of(op.mnemonic) for op in ISA)

    @property
    def default_format(self) -> str:
        """Port format of a port that declares none: the target precision.

        >>> load_target("zynq7020-double").default_format
        'f64'
        """
        return "f32" if self.precision == "single" else "f64"

    @property
    def word_bits(self) -> int:
        """Width of a data cell: 32 for single precision, 64 for double."""
        return 32 if self.precision == "single" else 64

    def to_dict(self) -> dict[str, Any]:
        """A plain dictionary that :func:`target_from_dict` turns back into this target."""
        return {
            "name": self.name,
            "description": self.description,
            "device": self.device,
            "precision": self.precision,
            "clock_mhz": self.clock_mhz,
            "data_depth": self.data_depth,
            "program_depth": self.program_depth,
            "input_ports": self.input_ports,
            "output_ports": self.output_ports,
            "loop_depth": self.loop_depth,
            "latency": dict(sorted(self.latency.items())),
            "opcode_latency": dict(sorted(self.opcode_latency.items())),
            "cores": [{"eus": list(c.eus)} for c in self.cores],
            "shared": {
                "depth": self.shared.depth,
                "reads_per_cycle": self.shared.reads_per_cycle,
                "writes_per_cycle": self.shared.writes_per_cycle,
            },
            "dpr": dict(self.dpr),
        }


_TOP_KEYS = {
    "name",
    "description",
    "device",
    "precision",
    "clock_mhz",
    "data_depth",
    "program_depth",
    "input_ports",
    "output_ports",
    "loop_depth",
    "latency",
    "opcode_latency",
    "cores",
    "shared",
    "dpr",
}


class _Checker:
    """Collects every problem of one target file with the key it concerns."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[TargetError] = []

    def fail(self, key: str, message: str) -> None:
        self.errors.append(TargetError(message, where=f"{self.source}: key '{key}'"))

    def integer(self, data: Mapping[str, Any], key: str, lo: int, hi: int, default: int) -> int:
        value = data.get(key.rsplit(".", 1)[-1], default)
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            self.fail(key, f"must be an integer from {lo} to {hi}, got {value!r}")
            return default
        return value

    def string(self, data: Mapping[str, Any], key: str, default: str) -> str:
        value = data.get(key.rsplit(".", 1)[-1], default)
        if not isinstance(value, str):
            self.fail(key, f"must be a string, got {value!r}")
            return default
        return value

    def table(self, data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = data.get(key.rsplit(".", 1)[-1], {})
        if not isinstance(value, dict):
            self.fail(key, f"must be a table, got {value!r}")
            return {}
        return value


def target_from_dict(data: Mapping[str, Any], source: str = "<target>") -> Target:
    """Validate a parsed target description and build the :class:`Target`.

    Raises
    ------
    TargetError
        Every problem found, each naming ``source`` and the key.
    """
    ck = _Checker(source)
    for key in data:
        if key not in _TOP_KEYS:
            ck.fail(key, f"unknown key (known: {', '.join(sorted(_TOP_KEYS))})")
    name = ck.string(data, "name", "")
    if not name:
        ck.fail("name", "a target needs a non-empty name")
    precision = ck.string(data, "precision", "single")
    if precision not in ("single", "double"):
        ck.fail("precision", f"must be 'single' or 'double', got {precision!r}")
        precision = "single"
    clock = data.get("clock_mhz", 100.0)
    if isinstance(clock, bool) or not isinstance(clock, int | float) or not 0 < clock <= 1000:
        ck.fail("clock_mhz", f"must be a number of MHz above 0 and at most 1000, got {clock!r}")
        clock = 100.0

    latency = dict(EUS)
    for eu, value in ck.table(data, "latency").items():
        if eu not in EUS:
            ck.fail(f"latency.{eu}", f"unknown EU (known: {', '.join(sorted(EUS))})")
            continue
        latency[eu] = ck.integer({eu: value}, f"latency.{eu}", 1, MAX_LATENCY, EUS[eu])
    opcode_latency: dict[str, int] = {}
    for op, value in ck.table(data, "opcode_latency").items():
        info = lookup(op)
        if info is None or info.eu is None:
            ck.fail(f"opcode_latency.{op}", "not an opcode with an execution unit")
            continue
        opcode_latency[op] = ck.integer({op: value}, f"opcode_latency.{op}", 1, MAX_LATENCY, 1)

    cores_raw = data.get("cores", [{"eus": []}])
    cores: list[CoreSpec] = []
    if not isinstance(cores_raw, list) or not cores_raw:
        ck.fail("cores", "must be a non-empty array of tables")
        cores_raw = [{"eus": []}]
    for i, core in enumerate(cores_raw):
        eus = core.get("eus", []) if isinstance(core, dict) else None
        if not isinstance(eus, list) or not all(isinstance(e, str) for e in eus):
            ck.fail(f"cores[{i}].eus", "must be a list of EU names")
            eus = []
        for eu in eus:
            if eu not in EUS:
                ck.fail(f"cores[{i}].eus", f"unknown EU {eu!r}")
        cores.append(CoreSpec(tuple(eus)))

    shared_raw = ck.table(data, "shared")
    shared = SharedSpec(
        depth=ck.integer(shared_raw, "shared.depth", 0, 65536, 256),
        reads_per_cycle=ck.integer(shared_raw, "shared.reads_per_cycle", 1, 16, 2),
        writes_per_cycle=ck.integer(shared_raw, "shared.writes_per_cycle", 1, 16, 1),
    )
    target = Target(
        name=name or "unnamed",
        description=ck.string(data, "description", ""),
        device=ck.string(data, "device", "xc7z020"),
        precision=precision,
        clock_mhz=float(clock),
        data_depth=ck.integer(data, "data_depth", 16, 65536, 1024),
        program_depth=ck.integer(data, "program_depth", 16, 65536, 4096),
        input_ports=ck.integer(data, "input_ports", 1, 65536, 16),
        output_ports=ck.integer(data, "output_ports", 1, 65536, 16),
        loop_depth=ck.integer(data, "loop_depth", 1, 16, 4),
        latency=MappingProxyType(latency),
        opcode_latency=MappingProxyType(opcode_latency),
        cores=tuple(cores),
        shared=shared,
        dpr=MappingProxyType(dict(ck.table(data, "dpr"))),
    )
    VtcErrors.raise_if_any(ck.errors)
    return target


def _targets_dir() -> Any:
    return resources.files("vtc.resources").joinpath("targets")


def named_targets() -> tuple[str, ...]:
    """Names of the targets shipped with vtc, sorted."""
    return tuple(
        sorted(
            p.name[: -len(".toml")] for p in _targets_dir().iterdir() if p.name.endswith(".toml")
        )
    )


_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")


def _parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _TOML_POS.search(msg)
        if m is None:
            raise TargetError(f"not valid TOML: {msg}", where=source) from None
        line, col = int(m.group(1)), int(m.group(2))
        lines = text.splitlines()
        src = lines[line - 1] if 0 < line <= len(lines) else None
        loc = SourceLocation(source, line, col, 1, src)
        raise TargetError(f"not valid TOML: {_TOML_POS.sub('', msg).strip()}", loc) from None


def load_target(name_or_path: str | Path | None = None) -> Target:
    """Load a named target or a target file.

    Parameters
    ----------
    name_or_path:
        A shipped target's name (``"zynq7020-double"``), a path to a TOML
        file (anything ending in ``.toml`` or containing a path separator),
        or ``None`` for the default target.

    Raises
    ------
    TargetError
        Unknown name, unreadable file, bad TOML or an invalid key.
    """
    spec = str(name_or_path) if name_or_path is not None else DEFAULT_TARGET
    if spec.endswith(".toml") or "/" in spec or "\\" in spec:
        path = Path(spec)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
            raise TargetError(f"cannot read target file: {reason}", where=spec) from None
        return target_from_dict(_parse_toml(text, spec), spec)
    resource = _targets_dir().joinpath(f"{spec}.toml")
    if not resource.is_file():
        known = ", ".join(named_targets())
        raise TargetError(f"unknown target '{spec}' (known targets: {known})")
    return target_from_dict(_parse_toml(resource.read_text(encoding="utf-8"), spec), spec)
