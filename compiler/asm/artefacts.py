"""Artefacts of an assembly (target.md section 5): listing, report, map, image set.

The listing has fixed columns (issue cycle of the slot's first execution,
address, encoded word, instruction with physical cells, source line); loop
bodies are framed by ``loop``/``endloop`` comment lines. Report and map are
canonical JSON (sorted keys, two-space indent). None of them holds a path, a
date or a version, so they can be kept as golden files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vtc.compiler.asm.program import walk_instrs
from vtc.compiler.files import write_text_atomic
from vtc.compiler.machine.code import MachineProgram, encode_word

if TYPE_CHECKING:
    from vtc.compiler.asm.driver import Assembly

__all__ = ["issue_cycles", "listing", "map_json", "report", "write_all"]


def issue_cycles(mp: MachineProgram) -> list[int]:
    """Issue cycle of each slot's first execution in a run (loops: first iteration)."""
    cycles = [0] * len(mp.slots)
    loops = sorted(mp.loops, key=lambda lp: (lp.start, -lp.end))

    def walk(lo: int, hi: int, c: int, skip: int) -> int:
        """Lay out addresses lo..hi from cycle c; returns cycles one pass takes."""
        c0 = c
        a = lo
        while a <= hi:
            inner = next(
                (k for k, lp in enumerate(loops) if k > skip and lp.start == a and lp.end <= hi),
                None,
            )
            if inner is not None and not (loops[inner].start == lo and loops[inner].end == hi):
                lp = loops[inner]
                body = walk(lp.start, lp.end, c, inner)
                c += lp.count * body
                a = lp.end + 1
            else:
                cycles[a] = c
                c += 1
                a += 1
        return c - c0

    walk(0, len(mp.slots) - 1, 0, -1)
    return cycles


def report(asm: Assembly) -> dict[str, Any]:
    """The content of ``NAME.report.json``."""
    mp = asm.machine
    t = mp.target
    sched = asm.schedule
    eus = sorted({s.info.eu for s in mp.slots if s.info.eu is not None})
    nops = sum(1 for s in mp.slots if s.mnemonic == "nop")
    lb = sched.lower_bound
    loops = []
    for region_id, (start, end) in sorted(asm.loop_addresses.items(), key=lambda kv: kv[1]):
        if region_id not in sched.loops:  # code assembled as written: no loop schedule
            lp = next(lp for lp in mp.loops if (lp.start, lp.end) == (start, end))
            loops.append({"start": start, "end": end, "count": lp.count})
            continue
        ls = sched.loops[region_id]
        entry: dict[str, Any] = {
            "start": start,
            "end": end,
            "count": ls.count,
            "ii": ls.period,
            "res_mii": ls.res_mii,
            "rec_mii": ls.rec_mii,
            "cycles": ls.length,
        }
        if ls.stages > 1:
            entry["stages"] = ls.stages
            entry["kernel_count"] = ls.count - ls.stages + 1
        if region_id in asm.allocation.loops:
            entry["local_cells"], entry["local_max_live"] = asm.allocation.loops[region_id]
        loops.append(entry)
    return {
        "name": asm.name,
        "target": t.name,
        "precision": t.precision,
        "clock_mhz": t.clock_mhz,
        "cycles": sched.cycles,
        "total_cycles": sched.cycles,
        "time_us": round(sched.cycles / t.clock_mhz, 6),
        "cells": asm.allocation.cells,
        "max_live": asm.allocation.max_live,
        "eus": eus,
        "instructions": len(mp.slots) - nops,
        "slots": len(mp.slots),
        "nops": nops,
        "lower_bound": lb,
        "gap": round((sched.cycles - lb) / lb, 4) if lb else 0.0,
        "optimal": sched.optimal,
        "method": sched.method,
        "loops": loops,
        "cores": [{"core": 0, "cycles": sched.cycles, "eus": eus, "slots": len(mp.slots)}],
    }


def map_json(asm: Assembly) -> dict[str, Any]:
    """The content of ``NAME.map.json``: cell address of every named value, ports."""
    groups: dict[str, dict[str, int]] = {"const": {}, "literal": {}, "state": {}}
    for kind, name, addr in asm.machine.symbols:
        groups[kind][name] = addr
    return {
        "format": "vtc-map",
        "version": 1,
        "name": asm.name,
        "consts": groups["const"],
        "literals": groups["literal"],
        "states": groups["state"],
        "inputs": {p.name: p.number for p in asm.machine.inputs},
        "outputs": {p.name: p.number for p in asm.machine.outputs},
    }


def listing(asm: Assembly) -> str:
    """The text of ``NAME.lst``."""
    mp = asm.machine
    t = mp.target
    rep = asm.report or report(asm)
    src_name = Path(asm.program.file).name
    origin_line: dict[int, tuple[int, str]] = {}

    for core in asm.program.cores:
        for src in walk_instrs(core.body):
            text = src.loc.text if src.loc.text is not None else ""
            origin_line[src.index] = (src.loc.line, text.strip())
    cycles = issue_cycles(mp)
    starts: dict[int, list[int]] = {}
    ends: dict[int, list[int]] = {}
    loop_by_addr = {(lp.start, lp.end): lp for lp in mp.loops}
    ii = {(r["start"], r["end"]): r.get("ii", r["end"] - r["start"] + 1) for r in rep["loops"]}
    for lp in mp.loops:
        starts.setdefault(lp.start, []).append(lp.end)
        ends.setdefault(lp.end, []).append(lp.start)
    out = [
        f"; vtc listing of {asm.name}: target {t.name} ({t.precision}, {t.clock_mhz:g} MHz)",
        f"; {'cycle':>7}  {'addr':>4}  {'word':<16}  {'instruction':<24}  source",
    ]
    for addr, ins in enumerate(mp.slots):
        for end in sorted(starts.get(addr, []), reverse=True):
            lp = loop_by_addr[(addr, end)]
            out.append(
                f";                loop {lp.count}  (addresses {addr:04x}-{end:04x}, "
                f"ii {ii.get((addr, end), '?')})"
            )
        where = ""
        if ins.origin is not None and ins.origin in origin_line:
            line, text = origin_line[ins.origin]
            where = f"{src_name}:{line}  {text}"
        word = encode_word(ins)
        out.append(
            f"  {cycles[addr]:>7}  {addr:04x}  {word:016x}  {ins.text():<24}  {where}".rstrip()
        )
        for _ in ends.get(addr, []):
            out.append(";                endloop")
    out.append(
        f"; cycles {rep['cycles']} per run ({rep['time_us']:g} us at {t.clock_mhz:g} MHz), "
        f"lower bound {rep['lower_bound']}, gap {rep['gap'] * 100:.1f} %"
    )
    out.append(
        f"; {rep['slots']} slots ({rep['nops']} nop), {rep['cells']} data cells "
        f"(max live {rep['max_live']}), EUs: {', '.join(rep['eus']) or 'none'}"
    )
    return "\n".join(out) + "\n"


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def write_all(asm: Assembly, directory: Path) -> list[Path]:
    """Write the listing, image set, map and report of ``asm`` into ``directory``."""
    from vtc.compiler.machine.image import write_image

    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    lst = directory / f"{asm.name}.lst"
    write_text_atomic(lst, listing(asm))
    paths.append(lst)
    paths.extend(write_image(asm.machine, directory, asm.name))
    for suffix, data in (("map", map_json(asm)), ("report", asm.report)):
        p = directory / f"{asm.name}.{suffix}.json"
        write_text_atomic(p, _json(data))
        paths.append(p)
    return paths
