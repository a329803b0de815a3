"""Bitstream tool speed: parse one 4 MB XC7Z020 bitstream, combine three.

Targets (issue 5): parse in at most 100 ms, combine three in at most 0.5 s.
Each figure is printed beside a plain ``struct``-based baseline measured in
the same run: the same work written the obvious way (``struct.unpack`` for
the words, a dict of frames keyed by frame address, a table-driven CRC in
pure Python, ``struct.pack`` for the output).

The inputs are the two PYNQ-Z1 v2.4 bitstreams (``base``, ``logictools``)
from ``<repo>/../shared/data/bitstreams/`` and a third full XC7Z020
bitstream made from them: ``base`` with the frames of clock region X0Y0
taken from ``logictools`` (``vtc bit apply``). Run::

    .venv/bin/python benchmarks/bitstream_speed.py [--repeat N]

It prints the figures and writes ``benchmarks/results/bitstream_speed.json``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from vtc.compiler.dpr import apply_partial, combine, parse_bitstream
from vtc.compiler.dpr.crc import crc_words
from vtc.compiler.dpr.device import Device, device_for_idcode
from vtc.compiler.files import write_bytes_atomic, write_text_atomic

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "bitstreams" / "bsd3_pynq"
RESULTS = ROOT / "benchmarks" / "results" / "bitstream_speed.json"
PARSE_TARGET_S = 0.100
COMBINE_TARGET_S = 0.500

# -- the struct-based baseline ---------------------------------------------------------------


def baseline_parse(data: bytes, crc: bool = True) -> dict[str, Any]:
    """Header, packets, frames by FAR (dict) and CRC check, with struct and plain Python."""
    pos = 13
    fields = {}
    while data[pos : pos + 1] != b"e":
        key = chr(data[pos])
        (n,) = struct.unpack_from(">H", data, pos + 1)
        fields[key] = data[pos + 3 : pos + 3 + n]
        pos += 3 + n
    (length,) = struct.unpack_from(">I", data, pos + 1)
    body = data[pos + 5 : pos + 5 + length]
    sync = body.find(b"\xaa\x99\x55\x66")
    n = (len(body) - sync - 4) // 4
    words = struct.unpack_from(f">{n}I", body, sync + 4)
    frames: dict[int, tuple[int, ...]] = {}
    device: Device | None = None
    far = 0
    crc_value = 0
    crc_ok = True
    last = 0
    i = 0
    while i < n:
        h = words[i]
        kind = h >> 29
        if kind == 1:
            reg, count = (h >> 13) & 0x3FFF, h & 0x7FF
            last = reg
        elif kind == 2:
            reg, count = last, h & 0x7FFFFFF
        else:
            i += 1
            continue
        if (h >> 27) & 3 != 2:  # only writes carry data
            i += 1
            continue
        payload = words[i + 1 : i + 1 + count]
        i += 1 + count
        if reg == 0:
            crc_ok &= all(v == crc_value for v in payload)
            crc_value = 0
            continue
        if crc and reg != 8:
            crc_value = crc_words(reg, payload, crc_value)
        if reg == 4 and 7 in payload:
            crc_value = 0
        if reg == 12 and payload:
            device = device_for_idcode(payload[0])
        elif reg == 1 and payload:
            far = payload[0]
        elif reg == 2 and len(payload) > 101 and device is not None:
            stream = device.full_stream.tolist()
            addresses = device.addresses.tolist()
            start = int(device.stream_position[device.index_of(far) or 0])
            for k in range(len(payload) // 101 - 1):
                slot = stream[start + k]
                if slot >= 0:
                    frames[addresses[slot]] = payload[101 * k : 101 * k + 101]
    return {"fields": fields, "frames": frames, "crc_ok": crc_ok, "device": device}


def baseline_combine(blobs: list[bytes], out: Path) -> int:
    """Parse, differing frames by comparing tuples, one partial per input with struct.pack."""
    parsed = [baseline_parse(b) for b in blobs]
    first = parsed[0]["frames"]
    differ = sorted(f for f in first if any(p["frames"][f] != first[f] for p in parsed[1:]))
    device: Device = parsed[0]["device"]
    idcode = next(iter(device.parts.values()))
    for k, p in enumerate(parsed):
        words = [0xFFFFFFFF] * 8 + [0xBB, 0x11220044, 0xFFFFFFFF, 0xFFFFFFFF, 0xAA995566]
        words += [0x20000000, 0x30008001, 7, 0x20000000, 0x20000000, 0x30018001, idcode]
        crc = crc_words(12, [idcode])
        runs: list[list[int]] = []
        for far in differ:
            index = device.index_of(far) or 0
            if runs and runs[-1][-1] == index - 1 and device.row_end(index - 1) > index:
                runs[-1].append(index)
            else:
                runs.append([index])
        for run in runs:
            far = device.far_of(run[0])
            data: list[int] = []
            for index in run:
                data.extend(p["frames"][device.far_of(index)])
            data.extend([0] * 101)
            words += [
                0x30002001,
                far,
                0x30008001,
                1,
                0x20000000,
                0x30004000,
                0x50000000 | len(data),
            ]
            words += data
            crc = crc_words(1, [far], crc)
            crc = crc_words(4, [1], crc)
            crc = crc_words(2, data, crc)
        words += [0x30000001, crc, 0x20000000, 0x20000000, 0x30008001, 0x0D] + [0x20000000] * 16
        (out / f"baseline{k}.bin").write_bytes(struct.pack(f">{len(words)}I", *words))
    return len(differ)


# -- timing ----------------------------------------------------------------------------------


def best_of(repeat: int, fn: Callable[[], object]) -> tuple[float, float]:
    """(best, median) wall-clock seconds over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[0], times[len(times) // 2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per vtc figure (best is kept)")
    parser.add_argument("--baseline-repeat", type=int, default=2, help="runs per baseline figure")
    args = parser.parse_args(argv)
    files = [DATA / "pynq-z1_base_v2.4.bit.gz", DATA / "pynq-z1_logictools_v2.4.bit.gz"]
    if not all(f.is_file() for f in files):
        print(f"bitstream_speed: skipped: PYNQ bitstreams not found in {DATA}")
        return 0
    blobs = []
    for f in files:
        with gzip.open(f) as fh:
            blobs.append(fh.read())
    base, logic = (parse_bitstream(b, f.name) for b, f in zip(blobs, files, strict=True))
    with tempfile.TemporaryDirectory() as tmp:
        region = base.device.region("X0Y0")
        patch = combine([base, logic], tmp, region=region).partials[1]
        mixed = apply_partial(base, parse_bitstream(patch.data, "patch.bit"))
    blobs.append(mixed)
    names = ["base.bit", "logictools.bit", "mixed.bit"]

    def vtc_parse() -> None:
        parse_bitstream(blobs[0], names[0])

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)

        def vtc_combine() -> None:
            inputs = [parse_bitstream(b, n) for b, n in zip(blobs, names, strict=True)]
            result = combine(inputs, out)
            for p in result.partials:
                write_bytes_atomic(p.output, p.data)

        vtc_parse()  # builds the CRC tables once (cached for the process)
        parse_best, parse_median = best_of(args.repeat, vtc_parse)
        combine_best, combine_median = best_of(max(3, args.repeat // 2), vtc_combine)
        base_parse, _ = best_of(args.baseline_repeat, lambda: baseline_parse(blobs[0]))
        base_parse_nocrc, _ = best_of(
            args.baseline_repeat, lambda: baseline_parse(blobs[0], crc=False)
        )
        base_combine, _ = best_of(1, lambda: baseline_combine(blobs, out))
        inputs = [parse_bitstream(b, n) for b, n in zip(blobs, names, strict=True)]
        result = combine(inputs, out)
        assert baseline_parse(blobs[0])["crc_ok"]
        baseline_differ = baseline_combine(blobs, out)
        assert baseline_differ == result.differing_frames
        assert np.array_equal(
            parse_bitstream((out / "baseline2.bin").read_bytes(), "b").memory.data,
            parse_bitstream(result.partials[2].data, "p").memory.data,
        )

    rows = [
        ("parse 4 MB XC7Z020 (packets, frames, CRC)", parse_best, parse_median, base_parse,
         PARSE_TARGET_S),
        ("combine three XC7Z020 (parse + differential + write)", combine_best, combine_median,
         base_combine, COMBINE_TARGET_S),
    ]  # fmt: skip
    print(f"{'task':<54} {'vtc best':>9} {'median':>9} {'struct':>9} {'target':>8}  result")
    for name, best, median, baseline, target in rows:
        verdict = "ok" if best <= target else "SLOW"
        print(
            f"{name:<54} {best * 1e3:>7.1f}ms {median * 1e3:>7.1f}ms {baseline * 1e3:>7.0f}ms "
            f"{target * 1e3:>6.0f}ms  {verdict} ({baseline / best:.0f}x the baseline)"
        )
    print(f"  struct parse without the CRC: {base_parse_nocrc * 1e3:.0f} ms")
    print(
        f"  differing frames: {result.differing_frames}; partials "
        + ", ".join(f"{p.body_bytes} B" for p in result.partials)
    )
    report = {
        "machine": {"python": platform.python_version(), "numpy": np.__version__,
                    "platform": platform.platform()},
        "inputs": {"files": names, "bytes": [len(b) for b in blobs]},
        "parse": {"best_s": parse_best, "median_s": parse_median, "target_s": PARSE_TARGET_S,
                  "baseline_struct_s": base_parse, "baseline_struct_no_crc_s": base_parse_nocrc},
        "combine": {"best_s": combine_best, "median_s": combine_median,
                    "target_s": COMBINE_TARGET_S, "baseline_struct_s": base_combine,
                    "differing_frames": result.differing_frames,
                    "partial_bytes": [p.body_bytes for p in result.partials]},
    }  # fmt: skip
    write_text_atomic(RESULTS, json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0 if parse_best <= PARSE_TARGET_S and combine_best <= COMBINE_TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
