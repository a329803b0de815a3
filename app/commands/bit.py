"""``vtc bit ...``: inspect, convert and generate Xilinx 7-series bitstreams.

Subcommands: ``info``, ``convert``, ``combine``, ``diff``, ``apply``,
``estimate``, ``table``, ``readback``, ``snapshot``, ``restore``,
``context-time``. All the work is in :mod:`vtc.compiler.dpr`; this module
parses options, prints and writes files (atomically).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from vtc.compiler.dpr import (
    FORMATS,
    PORTS,
    STRATEGIES,
    BitstreamError,
    apply_partial,
    build_table,
    combine,
    context_time,
    diff,
    estimate_bytes,
    estimate_frames,
    load_device,
    parse_snapshot,
    read_bitstream,
    read_table,
    readback_sequence,
    restore_sequence,
    snapshot_from_readback,
)
from vtc.compiler.dpr.bitfile import ByteOrder, from_canonical
from vtc.compiler.dpr.bitstream import Bitstream, parse_bitstream
from vtc.compiler.dpr.context import Snapshot
from vtc.compiler.dpr.table import table_endianness
from vtc.compiler.files import read_bytes, write_bytes_atomic

_STREAM_ORDERS = {"bin": ByteOrder.BIN, "bin-pcap": ByteOrder.PCAP, "bin-icap": ByteOrder.ICAP}


def _positive(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' must be at least 1")
    return value


def _count(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' is negative")
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"'{text}' must be positive")
    return value


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "bit",
        help="inspect, convert and generate Xilinx 7-series bitstreams (DPR tools)",
        description=(
            "Bitstream and reconfiguration tools for Xilinx 7-series devices (XC7Z020, "
            "XC7Z010, XC7A35T/50T): read and write .bit/.bin, generate minimal partial "
            "bitstreams (torCombitgen), estimate reconfiguration time, build the "
            "reconfiguration controller's bitstream table, and write EPOCH-style context "
            "save/restore sequences."
        ),
    )
    bit = p.add_subparsers(dest="bit_command", metavar="SUBCOMMAND", parser_class=type(p))
    bit.required = True

    q = bit.add_parser("info", help="header, device, frames, packets and CRC of a bitstream")
    q.add_argument("file", metavar="FILE", help=".bit or .bin (any byte order)")
    q.add_argument("--json", action="store_true", help="print JSON")
    q.add_argument("--packets", action="store_true", help="also list every packet")
    q.add_argument(
        "--ignore-crc", action="store_true", help="report a CRC mismatch instead of failing"
    )
    q.add_argument("--device", metavar="D", help="the device, for streams without an IDCODE")
    q.set_defaults(func=run_info)

    q = bit.add_parser("convert", help="write a bitstream as .bit, .bin or a byte-swapped .bin")
    q.add_argument("input", metavar="IN")
    q.add_argument("-o", "--output", required=True, metavar="OUT")
    q.add_argument(
        "--format",
        choices=FORMATS,
        help="bit, bin (big-endian), bin-pcap (32-bit byte-swapped), bin-icap (bit-reversed "
        "bytes); default: the format of IN",
    )
    q.set_defaults(func=run_convert)

    q = bit.add_parser(
        "combine", help="partial bitstreams with only the frames that differ (torCombitgen)"
    )
    q.add_argument("inputs", nargs="+", metavar="FULL", help="two or more full bitstreams")
    q.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder")
    q.add_argument("--strategy", choices=STRATEGIES, default="differential")
    q.add_argument("--region", metavar="R", help="X0Y1:X1Y1 (clock regions), Y1/C10:C20 or all")
    q.add_argument("--json", action="store_true", help="print JSON")
    q.set_defaults(func=run_combine)

    q = bit.add_parser("diff", help="frames that differ between two bitstreams")
    q.add_argument("a", metavar="A")
    q.add_argument("b", metavar="B")
    q.add_argument("--json", action="store_true", help="print JSON")
    q.set_defaults(func=run_diff)

    q = bit.add_parser("apply", help="apply a partial to a full bitstream (simulated DPR)")
    q.add_argument("full", metavar="FULL")
    q.add_argument("partial", metavar="PARTIAL")
    q.add_argument("-o", "--output", required=True, metavar="OUT")
    q.set_defaults(func=run_apply)

    q = bit.add_parser("estimate", help="bytes, time and cycles of a reconfiguration")
    q.add_argument("partial", nargs="?", metavar="PARTIAL", help="a bitstream file")
    q.add_argument("--frames", type=_count, metavar="N", help="frames (without pad frames)")
    q.add_argument("--writes", type=_count, metavar="W", help="bursts (FAR + FDRI writes)")
    speed = q.add_mutually_exclusive_group()
    speed.add_argument("--port", choices=tuple(PORTS), help="icap (default), pcap, pcap-measured")
    speed.add_argument("--speed", type=_number, metavar="MBPS", help="port speed in MB/s")
    q.add_argument("--json", action="store_true", help="print JSON")
    q.set_defaults(func=run_estimate)

    q = bit.add_parser("table", help="build or read the controller's bitstream table image")
    q.add_argument("inputs", nargs="*", metavar="PARTIAL")
    q.add_argument("-o", "--output", metavar="IMAGE")
    q.add_argument("--read", metavar="IMAGE", help="list the entries of an image")
    q.add_argument("--endian", choices=("little", "big"), help="entry byte order (default little)")
    q.add_argument("--align", type=_positive, default=1, metavar="N", help="stream alignment")
    q.add_argument(
        "--stream-format",
        choices=tuple(_STREAM_ORDERS),
        default="bin",
        help="byte order of the streams in the image (default bin)",
    )
    q.add_argument("--json", action="store_true", help="print JSON (with --read)")
    q.set_defaults(func=run_table)

    q = bit.add_parser("readback", help="write the readback (context save) sequence of a region")
    q.add_argument("--region", required=True, metavar="R")
    q.add_argument("-o", "--output", required=True, metavar="SEQ")
    q.add_argument("--device", default="xc7z020", metavar="D", help="default xc7z020")
    q.add_argument("--format", choices=tuple(_STREAM_ORDERS), default="bin")
    q.add_argument("--json", action="store_true", help="print JSON")
    q.set_defaults(func=run_readback)

    q = bit.add_parser("snapshot", help="make a snapshot file from a bitstream or readback data")
    q.add_argument("file", nargs="?", metavar="BITSTREAM", help="take the frames from here")
    q.add_argument("--readback", metavar="RAW", help="or from the words a readback returned")
    q.add_argument("--device", default="xc7z020", metavar="D", help="with --readback")
    q.add_argument("--region", required=True, metavar="R")
    q.add_argument("-o", "--output", required=True, metavar="SNAP")
    q.set_defaults(func=run_snapshot)

    q = bit.add_parser("restore", help="write the restore sequence of a snapshot")
    q.add_argument("snapshot", metavar="SNAPSHOT")
    q.add_argument("-o", "--output", required=True, metavar="SEQ")
    q.add_argument("--format", choices=tuple(_STREAM_ORDERS), default="bin")
    q.add_argument("--json", action="store_true", help="print JSON")
    q.set_defaults(func=run_restore)

    q = bit.add_parser("context-time", help="time to save and restore N frames (EPOCH)")
    q.add_argument("--frames", type=_count, required=True, metavar="N")
    q.add_argument("--save-us", type=_number, default=62.2, metavar="US", help="per frame")
    q.add_argument("--restore-us", type=_number, default=67.4, metavar="US", help="per frame")
    q.add_argument("--json", action="store_true", help="print JSON")
    q.set_defaults(func=run_context_time)


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2))


def _read(path: str, *, device: str | None = None, check_crc: bool = True) -> Bitstream:
    dev = load_device(device) if device else None
    return read_bitstream(path, device=dev, check_crc=check_crc)


# -- info ----------------------------------------------------------------------------------------


def _listing(bs: Bitstream) -> list[str]:
    lines = [f"  {'OFFSET':>9}  {'HEADER':8}  PACKET"]
    base = bs.body_offset
    packets = bs.packets
    i = 0
    while i < len(packets):
        p = packets[i]
        j = i + 1
        while (
            j < len(packets)
            and packets[j].header == p.header
            and not len(p.data)
            and not len(packets[j].data)
        ):
            j += 1
        text = p.describe()
        if j - i > 1:
            text += f" (x{j - i})"
        lines.append(f"  {base + p.offset:>9}  {p.header:08X}  {text}")
        i = j
    return lines


def _runs_text(items: list[str]) -> str:
    """``A B x3 C`` for ``[A, B, B, B, C]``."""
    out: list[str] = []
    i = 0
    while i < len(items):
        j = i
        while j < len(items) and items[j] == items[i]:
            j += 1
        out.append(items[i] if j - i == 1 else f"{items[i]} x{j - i}")
        i = j
    return " ".join(out)


def run_info(args: argparse.Namespace) -> int:
    bs = _read(args.file, device=args.device, check_crc=not args.ignore_crc)
    info = bs.summary()
    if args.json:
        if args.packets:
            info["listing"] = [
                {
                    "offset": bs.body_offset + p.offset,
                    "header": f"0x{p.header:08X}",
                    "text": p.describe(),
                }
                for p in bs.packets
            ]
        _print_json(info)
        return 0
    total = bs.state.device.frame_count if bs.state.device is not None else 0
    frames = info["frames"]
    kind = "full bitstream" if frames == total else "partial bitstream" if frames else "no frames"
    print(f"{args.file}: {info['device'] or 'unknown device'} ({kind})")
    rows: list[tuple[str, Any]] = [("format", info["format"])]
    for key in ("design", "part"):
        if info[key] is not None:
            rows.append((key, info[key]))
    if info["date"] is not None:
        rows.append(("date", f"{info['date']} {info['time'] or ''}".strip()))
    rows += [
        ("device", info["device"] or "unknown (no IDCODE write)"),
        ("idcode", info["idcode"] or "none"),
        ("frames", f"{frames} of {total}" if total else "0"),
        ("body_bytes", info["body_bytes"]),
        ("bursts", f"{info['bursts']} ({info['frame_words']} frame words)"),
    ]
    packets = info["packets"]
    rows.append(
        (
            "packets",
            f"{packets['total']} (type 1: {packets['type1']}, type 2: {packets['type2']}, "
            f"type 0: {packets['type0']}, NOP: {packets['nop']})",
        )
    )
    writes = ", ".join(
        f"{name} {w['packets']}" + (f" ({w['words']} words)" if w["words"] > w["packets"] else "")
        for name, w in packets["writes"].items()
    )
    rows.append(("writes", writes or "none"))
    if packets["reads"]:
        rows.append(("reads", ", ".join(f"{k} ({v} words)" for k, v in packets["reads"].items())))
    rows.append(("commands", _runs_text(packets["commands"]) or "none"))
    crc = info["crc"]
    rows.append(("crc", f"{crc['result']} ({crc['checks']} checks)"))
    for m in crc["mismatches"][:3]:
        rows.append(("", f"at byte {m['byte']}: file {m['file']}, data {m['computed']}"))
    if info["dropped_frames"]:
        rows.append(("dropped", f"{info['dropped_frames']} frames past the device's last frame"))
    for key, value in rows:
        print(f"  {key:<11} {value}")
    if args.packets:
        print("\n".join(_listing(bs)))
    return 0


# -- convert, diff, apply ------------------------------------------------------------------------


def run_convert(args: argparse.Namespace) -> int:
    bs = _read(args.input)
    write_bytes_atomic(args.output, bs.to_bytes(args.format))
    return 0


def run_diff(args: argparse.Namespace) -> int:
    result = diff(_read(args.a), _read(args.b))
    if args.json:
        _print_json(result)
        return 0
    print(
        f"{args.a} vs {args.b} ({result['device']}): {result['differing_frames']} differing "
        f"frames in {len(result['ranges'])} ranges"
    )
    for r in result["ranges"]:
        print(f"  {r['start']}-{r['end']}  {r['frames']:>5} frames  {r['row']}")
    for key, name in (("only_in_a", args.a), ("only_in_b", args.b)):
        if result[key]:
            print(f"  {result[key]} frames configured only by {name}")
    return 0


def run_apply(args: argparse.Namespace) -> int:
    full = _read(args.full)
    partial = _read(args.partial)
    write_bytes_atomic(args.output, apply_partial(full, partial))
    return 0


# -- combine -------------------------------------------------------------------------------------


def run_combine(args: argparse.Namespace) -> int:
    inputs = [_read(path) for path in args.inputs]
    region = inputs[0].device.region(args.region) if args.region else None
    result = combine(inputs, args.output, strategy=args.strategy, region=region)
    for partial in result.partials:
        write_bytes_atomic(partial.output, partial.data)
    if result.outside_region:
        print(
            f"vtc: warning: {result.outside_region} differing frames lie outside the region; "
            "the partials do not reproduce them",
            file=sys.stderr,
        )
    if args.json:
        _print_json(result.as_json())
        return 0
    print(
        f"{len(inputs)} {result.device} bitstreams: {result.differing_frames} differing frames"
        + (f" ({result.outside_region} outside region {result.region})" if region else "")
    )
    for p in result.partials:
        print(f"  {p.output}  {len(p.indices)} frames, {p.bursts} bursts, {p.body_bytes} bytes")
    print("  baselines (total bytes):")
    for name, b in result.baselines.items():
        print(f"    {name:<13} {b['bytes']:>10} in {b['files']} files (largest {b['max_bytes']})")
    return 0


# -- estimate ------------------------------------------------------------------------------------


def run_estimate(args: argparse.Namespace) -> int:
    if args.partial is not None:
        if args.frames is not None or args.writes is not None:
            raise BitstreamError(
                "give either a bitstream file or --frames and --writes, not both",
                where="estimate",
            )
        bs = _read(args.partial)
        est = estimate_bytes(
            bs.body_bytes,
            frames=bs.memory.count,
            bursts=len(bs.state.bursts),
            port=args.port,
            speed=args.speed,
        )
    else:
        if args.frames is None or args.writes is None:
            raise BitstreamError(
                "give a bitstream file, or --frames N and --writes W", where="estimate"
            )
        est = estimate_frames(args.frames, args.writes, port=args.port, speed=args.speed)
    out = est.as_json()
    if args.partial is not None:
        out["file"] = args.partial
    if args.json:
        _print_json(out)
        return 0
    what = args.partial or f"{args.frames} frames in {args.writes} writes"
    print(f"{what}: {est.bytes} bytes")
    print(
        f"  {est.port} ({est.speed_mbps:g} MB/s): {est.seconds * 1e3:.4f} ms, "
        f"{est.cycles} cycles at 100 MHz"
    )
    return 0


# -- table ---------------------------------------------------------------------------------------


def run_table(args: argparse.Namespace) -> int:
    if args.read:
        if args.inputs or args.output:
            raise BitstreamError("--read takes only the image", where="table")
        data = read_bytes(args.read)
        entries = read_table(data, args.read, args.endian)
        endian = args.endian or table_endianness(data)
        rows = []
        for e in entries:
            stream = data[e.offset : e.offset + e.size]
            bs = parse_bitstream(stream, f"{args.read}[{e.index}]")
            rows.append(
                {
                    "index": e.index,
                    "offset": e.offset,
                    "size": e.size,
                    "device": bs.part_name,
                    "frames": bs.memory.count,
                    "format": bs.format,
                }
            )
        if args.json:
            _print_json({"image": args.read, "endian": endian, "entries": rows})
            return 0
        print(f"{args.read}: {len(rows)} entries ({endian}-endian)")
        for r in rows:
            print(
                f"  {r['index']:>3}  offset {r['offset']:>9}  size {r['size']:>9}  "
                f"{r['device']}, {r['frames']} frames ({r['format']})"
            )
        return 0
    if not args.inputs or not args.output:
        raise BitstreamError("give the bitstreams and -o IMAGE (or --read IMAGE)", where="table")
    order = _STREAM_ORDERS[args.stream_format]
    streams = [_read(path).body(order) for path in args.inputs]
    image = build_table(streams, endian=args.endian or "little", align=args.align)
    write_bytes_atomic(args.output, image)
    return 0


# -- context -------------------------------------------------------------------------------------


def run_readback(args: argparse.Namespace) -> int:
    device = load_device(args.device)
    region = device.region(args.region)
    idcode = device.parts.get(args.device.lower(), next(iter(device.parts.values())))
    seq, reads = readback_sequence(device, idcode, region.indices)
    write_bytes_atomic(args.output, from_canonical(seq, _STREAM_ORDERS[args.format]))
    summary = {
        "device": args.device.lower(),
        "region": args.region,
        "frames": region.frame_count,
        "reads": [r.as_json() for r in reads],
        "words_returned": sum(r.words for r in reads),
        "bytes": len(seq),
    }
    if args.json:
        _print_json(summary)
    else:
        print(
            f"{args.output}: readback of {region.frame_count} frames in {len(reads)} reads; "
            f"the port returns {summary['words_returned']} words (a dummy frame per read)"
        )
    return 0


def run_snapshot(args: argparse.Namespace) -> int:
    if (args.file is None) == (args.readback is None):
        raise BitstreamError("give a BITSTREAM or --readback RAW (one of them)", where="snapshot")
    if args.file is not None:
        bs = _read(args.file)
        region = bs.device.region(args.region)
        missing = int((~bs.memory.configured[region.indices]).sum())
        if missing:
            raise BitstreamError(
                f"the bitstream does not configure {missing} frames of region {args.region}",
                where=args.file,
            )
        snap = Snapshot(
            bs.idcode or next(iter(bs.device.parts.values())),
            bs.device,
            region.indices,
            bs.memory.data[region.indices],
        )
    else:
        device = load_device(args.device)
        region = device.region(args.region)
        idcode = device.parts.get(args.device.lower(), next(iter(device.parts.values())))
        snap = snapshot_from_readback(
            device, idcode, region.indices, read_bytes(args.readback), args.readback
        )
    write_bytes_atomic(args.output, snap.to_bytes())
    return 0


def run_restore(args: argparse.Namespace) -> int:
    snap = parse_snapshot(read_bytes(args.snapshot), args.snapshot)
    seq, bursts = restore_sequence(snap)
    write_bytes_atomic(args.output, from_canonical(seq, _STREAM_ORDERS[args.format]))
    summary = {
        "snapshot": args.snapshot,
        "frames": len(snap.indices),
        "bursts": bursts,
        "bytes": len(seq),
    }
    if args.json:
        _print_json(summary)
    else:
        print(
            f"{args.output}: restore of {len(snap.indices)} frames in {bursts} bursts, "
            f"{len(seq)} bytes"
        )
    return 0


def run_context_time(args: argparse.Namespace) -> int:
    t = context_time(args.frames, save_us=args.save_us, restore_us=args.restore_us)
    if args.json:
        _print_json(t)
        return 0
    print(
        f"{t['frames']} frames: save {t['save_seconds'] * 1e3:.4f} ms, "
        f"restore {t['restore_seconds'] * 1e3:.4f} ms, total {t['total_seconds'] * 1e3:.4f} ms"
    )
    return 0


__all__ = ["register"]
