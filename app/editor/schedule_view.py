"""The compile results views: schedule (Gantt chart), report table, assembly text.

:class:`ScheduleView` draws the scheduled machine program of a
:class:`~vtc.compiler.driver.Compilation` as a Gantt chart:

* the x axis is *slot space*: one column per program-memory address, so a
  hardware loop body is drawn once (shaded, labelled ``loop N`` with its
  iteration count and that it repeats). The axis is labelled with the issue
  cycle of each slot's first execution (as in the listing), so the labels
  run from 0 to the run's ``cycles`` and jump at the end of a loop by the
  cycles the repetitions take;
* the ``issue`` row shows the instruction each slot issues (``nop`` s are
  gaps), coloured by execution unit (EU);
* one row per EU the program uses shows each operation from its issue to
  issue + latency; the EUs are pipelined, so overlapping operations are
  stacked in lanes (a solid mark for the issue cycle, a light bar for the
  latency);
* the ``write port`` row marks the cycle each local result lands (becomes
  visible), coloured by the producing EU.

Bars are a few lists of rectangles (one per row and colour) built once per
program; the painter scales them to the zoom and draws only the visible slice,
so a 10,000-slot program stays responsive.
Text (mnemonics) is drawn only for visible slots and only when zoomed in.

:class:`ReportView` shows the compile report as a compact table,
:class:`AsmView` shows ``NAME.s`` or the listing with syntax highlighting.

The pure part (:func:`gantt_data`) imports no Qt and is what the views draw.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontDatabase,
    QFontMetrics,
    QPainter,
    QPen,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QStyleOptionGraphicsItem,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from vtc.compiler.asm.artefacts import issue_cycles
from vtc.compiler.asm.program import walk_instrs
from vtc.compiler.machine.isa import BY_NAME, EUS

__all__ = [
    "AsmHighlighter",
    "AsmView",
    "GanttData",
    "GanttLoop",
    "GanttOp",
    "GanttSpan",
    "ReportView",
    "ScheduleView",
    "eu_colour",
    "gantt_data",
]

ISSUE_ROW = "issue"
WRITE_ROW = "write port"

# --- the data drawn (no Qt) --------------------------------------------------------------


@dataclass(frozen=True)
class GanttOp:
    """One program-memory slot as the chart shows it.

    Attributes
    ----------
    address:
        Program-memory address; also the slot's x position (one column each).
    cycle:
        Issue cycle of the slot's first execution in a run (loops: first iteration).
    mnemonic, text:
        Mnemonic and assembly text with physical operands (``mul r5, r3, r4``).
    eu:
        Execution unit, ``None`` for ``nop`` and ``halt``.
    latency:
        Cycles from issue until the result is visible (target latency).
    writes_port:
        Whether the result lands through the local write port (local destination).
    lane:
        Lane of the op inside its EU row (overlapping operations get different lanes).
    block:
        The model block the instruction comes from (the comment of its line in
        ``NAME.s``), ``""`` when not known (assembler ``nop`` s, hand-written code).
    source_line, source_text:
        Line number and text of the instruction in ``NAME.s`` (``None``/``""`` if none).
    stage:
        Software-pipelining stage (see :attr:`vtc.compiler.machine.code.MInstr.stage`).
    """

    address: int
    cycle: int
    mnemonic: str
    text: str
    eu: str | None
    latency: int
    writes_port: bool
    lane: int = 0
    block: str = ""
    source_line: int | None = None
    source_text: str = ""
    stage: int = 0

    @property
    def is_nop(self) -> bool:
        return self.mnemonic == "nop"

    @property
    def lands(self) -> int:
        """x position (slot space) of the cycle the result becomes visible."""
        return self.address + self.latency


@dataclass(frozen=True)
class GanttLoop:
    """One hardware loop of the loop table (body from ``start`` to ``end`` inclusive).

    ``number`` is its 1-based position in the loop table, ``depth`` its nesting
    depth (0: outermost), ``body_cycles`` the cycles one iteration takes and
    ``total_cycles`` all ``count`` iterations. ``stages`` > 1 marks the kernel of
    a software-pipelined loop of ``count + stages - 1`` source iterations.
    """

    number: int
    start: int
    end: int
    count: int
    depth: int
    body_cycles: int
    total_cycles: int
    stages: int = 1

    @property
    def label(self) -> str:
        """The chart label: ``loop 1 · ×61 · body 32 cycles, repeats (1952 cycles)``."""
        text = (
            f"loop {self.number} · ×{self.count} · body {self.body_cycles} cycles, "
            f"repeats {self.count} times ({self.total_cycles} cycles)"
        )
        if self.stages > 1:
            text += f" · pipelined kernel, {self.stages} stages"
        return text

    @property
    def labels(self) -> tuple[str, ...]:
        """The label and shorter forms of it, for narrower spans."""
        n, c = self.number, self.count
        return (
            self.label,
            f"loop {n} · ×{c}, repeats ({self.total_cycles} cycles)",
            f"loop {n} ×{c} · repeats",
            f"loop {n} ×{c}",
            f"L{n}",
        )


@dataclass(frozen=True)
class GanttSpan:
    """A straight-line span worth marking: prologue or epilogue of a pipelined loop."""

    start: int
    end: int
    label: str


@dataclass(frozen=True)
class GanttData:
    """Everything :class:`ScheduleView` draws, computed from an assembly.

    Attributes
    ----------
    name:
        Program name.
    ops:
        One :class:`GanttOp` per slot, by address.
    eus:
        The EUs the program uses, in ISA table order (one chart row each).
    lanes:
        Number of lanes of each EU row.
    loops:
        Hardware loops, as in the loop table.
    spans:
        Prologues and epilogues of software-pipelined loops.
    cycles:
        Cycles of one run.
    width:
        Width of the chart in slot space: the slots plus whatever latency runs
        past the last one.
    segments:
        ``(x0, x1, cycle0)``: slot space ``x0 <= x < x1`` runs cycle by cycle
        from ``cycle0``; a new segment starts where the cycle jumps (after a loop).
    """

    name: str
    ops: tuple[GanttOp, ...]
    eus: tuple[str, ...]
    lanes: Mapping[str, int]
    loops: tuple[GanttLoop, ...]
    spans: tuple[GanttSpan, ...]
    cycles: int
    width: int
    segments: tuple[tuple[int, int, int], ...]
    by_eu: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    writes: tuple[tuple[int, int], ...] = ()

    @property
    def rows(self) -> tuple[str, ...]:
        """Row names from top to bottom: ``issue``, one per EU, ``write port``."""
        return (ISSUE_ROW, *self.eus, WRITE_ROW)

    def row_addresses(self, row: str) -> list[int]:
        """Addresses of the slots with a bar in ``row`` (write port: the producers).

        Raises
        ------
        KeyError
            ``row`` is not one of :attr:`rows`.
        """
        if row == ISSUE_ROW:
            return [op.address for op in self.ops if not op.is_nop]
        if row == WRITE_ROW:
            return [addr for _, addr in self.writes]
        if row in self.by_eu:
            return list(self.by_eu[row])
        raise KeyError(f"no row '{row}' (rows: {', '.join(self.rows)})")

    def cycle_at(self, x: float) -> float:
        """The cycle shown at slot-space position ``x`` (first iteration inside loops)."""
        if not self.segments:
            return x
        starts = [s[0] for s in self.segments]
        k = max(0, bisect.bisect_right(starts, x) - 1)
        x0, _, c0 = self.segments[k]
        return c0 + (x - x0)


def _block_of(text: str) -> str:
    """The block named by an emitted line's comment: ``add _.t3, a, b   ; pid`` -> ``pid``."""
    if ";" not in text:
        return ""
    return text.split(";", 1)[1].strip()


def _lanes(addresses: Iterable[int], latency: Mapping[int, int]) -> tuple[dict[int, int], int]:
    """Greedy interval packing: the lowest lane free at each op's issue."""
    free_at: list[int] = []
    lane_of: dict[int, int] = {}
    for a in addresses:
        for k, t in enumerate(free_at):
            if t <= a:
                free_at[k] = a + latency[a]
                lane_of[a] = k
                break
        else:
            lane_of[a] = len(free_at)
            free_at.append(a + latency[a])
    return lane_of, max(1, len(free_at))


def gantt_data(assembly: Any, cycles: int | None = None) -> GanttData:
    """Compute the chart of an assembled program.

    Parameters
    ----------
    assembly:
        A :class:`vtc.compiler.asm.driver.Assembly` (``machine``, ``program``,
        ``report``, ``name``).
    cycles:
        Cycles of one run; default: the assembly report's ``cycles``.

    Raises
    ------
    TypeError
        ``assembly`` is not an assembled program.
    """
    mp = getattr(assembly, "machine", None)
    if mp is None or not hasattr(mp, "slots") or not hasattr(mp, "loops"):
        raise TypeError(f"expected an assembled program (Assembly), got {type(assembly).__name__}")
    target = mp.target
    slots = mp.slots
    n = len(slots)
    first = issue_cycles(mp) if n else []
    report = getattr(assembly, "report", None) or {}
    run_cycles = int(
        cycles if cycles is not None else report.get("cycles", first[-1] + 1 if n else 0)
    )

    origin: dict[int, tuple[int, str]] = {}
    program = getattr(assembly, "program", None)
    for core in getattr(program, "cores", ()):
        for src in walk_instrs(core.body):
            text = src.loc.text if src.loc.text is not None else ""
            origin[src.index] = (src.loc.line, text.strip())

    latency = {a: target.latency_of(ins.mnemonic) for a, ins in enumerate(slots)}
    by_eu: dict[str, list[int]] = {}
    for a, ins in enumerate(slots):
        eu = BY_NAME[ins.mnemonic].eu
        if eu is not None:
            by_eu.setdefault(eu, []).append(a)
    order = {eu: k for k, eu in enumerate(EUS)}
    eus = tuple(sorted(by_eu, key=lambda e: (order.get(e, len(order)), e)))
    lane_of: dict[int, int] = {}
    lanes: dict[str, int] = {}
    for eu in eus:
        lo, count = _lanes(by_eu[eu], latency)
        lane_of.update(lo)
        lanes[eu] = count

    ops = []
    writes = []
    for a, ins in enumerate(slots):
        info = BY_NAME[ins.mnemonic]
        line, src_text = (
            origin.get(ins.origin, (None, "")) if ins.origin is not None else (None, "")
        )
        writes_port = info.uses_write_port and not ins.d_shared
        op = GanttOp(
            address=a,
            cycle=first[a],
            mnemonic=ins.mnemonic,
            text=ins.text(),
            eu=info.eu,
            latency=latency[a],
            writes_port=writes_port,
            lane=lane_of.get(a, 0),
            block=_block_of(src_text),
            source_line=line,
            source_text=src_text.split(";", 1)[0].strip(),
            stage=ins.stage,
        )
        ops.append(op)
        if writes_port:
            writes.append((op.lands, a))
    writes.sort()

    loops = []
    table = list(mp.loops)
    for k, lp in enumerate(table):
        depth = sum(
            1
            for j, other in enumerate(table)
            if j != k
            and other.start <= lp.start
            and lp.end <= other.end
            and (other.start, -other.end, j) < (lp.start, -lp.end, k)
        )
        after = first[lp.end + 1] if lp.end + 1 < n else run_cycles
        total = after - first[lp.start]
        stages = dict(mp.pipelines).get(lp.start, 1)
        loops.append(
            GanttLoop(
                number=k + 1,
                start=lp.start,
                end=lp.end,
                count=lp.count,
                depth=depth,
                body_cycles=total // lp.count if lp.count else 0,
                total_cycles=total,
                stages=stages,
            )
        )
    spans = []
    for kernel_start, stages in mp.pipelines:
        lp = next((g for g in loops if g.start == kernel_start), None)
        if lp is None or stages < 2:
            continue
        length = lp.end - lp.start + 1
        pro = max(0, kernel_start - (stages - 1) * length)
        spans.append(GanttSpan(pro, kernel_start - 1, f"prologue of loop {lp.number}"))
        epi = min(n - 1, lp.end + (stages - 1) * length)
        spans.append(GanttSpan(lp.end + 1, epi, f"epilogue of loop {lp.number}"))

    width = max([n, *(a + latency[a] for a in range(n) if slots[a].mnemonic != "nop")], default=0)
    segments: list[tuple[int, int, int]] = []
    for a in range(n):
        if a == 0 or first[a] != first[a - 1] + 1:
            segments.append((a, a + 1, first[a]))
        else:
            x0, _, c0 = segments[-1]
            segments[-1] = (x0, a + 1, c0)
    if segments:
        x0, _, c0 = segments[-1]
        segments[-1] = (x0, max(width, n), c0)
    return GanttData(
        name=str(getattr(assembly, "name", "program")),
        ops=tuple(ops),
        eus=eus,
        lanes=lanes,
        loops=tuple(loops),
        spans=tuple(spans),
        cycles=run_cycles,
        width=max(width, 1),
        segments=tuple(segments),
        by_eu={eu: tuple(v) for eu, v in by_eu.items()},
        writes=tuple(writes),
    )


# --- colours -----------------------------------------------------------------------------

#: One distinct colour per EU of the ISA table (same colour in every program).
_EU_PALETTE = {
    "addsub": "#1f77b4",
    "mul": "#e6780b",
    "div": "#2ca02c",
    "sqrt": "#d62728",
    "sign": "#9467bd",
    "minmax": "#8c564b",
    "cmp": "#e377c2",
    "move": "#17a2b8",
    "sincos": "#a6a61c",
    "atan": "#393b79",
    "exp": "#637939",
    "log": "#b5651d",
    "round": "#843c39",
    "io": "#7c7c7c",
}


def eu_colour(eu: str | None) -> QColor:
    """The colour of an EU (``None``: ``halt``/``nop``, dark grey); unknown EUs get a
    stable colour derived from the name."""
    if eu is None:
        return QColor("#000000")
    if eu in _EU_PALETTE:
        return QColor(_EU_PALETTE[eu])
    hue = sum(ord(c) * 37 for c in eu) % 360
    return QColor.fromHsv(hue, 170, 190)


def _light(c: QColor, alpha: int = 90) -> QColor:
    out = QColor(c)
    out.setAlpha(alpha)
    return out


# --- geometry ----------------------------------------------------------------------------

LABEL_W = 118  # sticky row-label column (viewport pixels)
AXIS_H = 30  # sticky cycle axis at the top
LOOP_BAND = 17  # height of one line of loop labels
ISSUE_H = 28
WRITE_H = 20
LANE_H = 6
ROW_PAD = 4
RIGHT_MARGIN = 24
MIN_PPC = 0.02
MAX_PPC = 120.0
TEXT_PPC = 24.0  # from this zoom on, mnemonics are written in the issue row


@dataclass
class _Row:
    name: str
    top: float
    height: float
    lanes: int = 1


def _layout_rows(data: GanttData) -> tuple[list[_Row], float]:
    depth = max((lp.depth for lp in data.loops), default=-1) + 1
    has_spans = bool(data.spans)
    y: float = AXIS_H + LOOP_BAND * max(depth, 1 if has_spans else 0) + 4
    rows = [_Row(ISSUE_ROW, y, ISSUE_H)]
    y += ISSUE_H
    for eu in data.eus:
        lanes = data.lanes.get(eu, 1)
        h = max(22.0, lanes * LANE_H + 2 * ROW_PAD)
        rows.append(_Row(eu, y, h, lanes))
        y += h
    rows.append(_Row(WRITE_ROW, y, WRITE_H))
    y += WRITE_H
    return rows, y + 8


class _Layer:
    """Bars of one colour in slot-space x units, sorted by left edge, so the
    visible ones are a slice found by bisection."""

    def __init__(self, brush: QBrush) -> None:
        self.brush = brush
        self.rects: list[QRectF] = []
        self.lefts: list[float] = []
        self.longest = 0.0

    def add(self, x: float, y: float, w: float, h: float) -> None:
        self.rects.append(QRectF(x, y, w, h))
        self.lefts.append(x)
        self.longest = max(self.longest, w)

    def finish(self) -> None:
        order = sorted(range(len(self.lefts)), key=self.lefts.__getitem__)
        self.rects = [self.rects[k] for k in order]
        self.lefts = [self.lefts[k] for k in order]

    def visible(self, lo: float, hi: float) -> list[QRectF]:
        i = bisect.bisect_left(self.lefts, lo - self.longest)
        j = bisect.bisect_right(self.lefts, hi)
        return self.rects[i:j]


class _ChartItem(QGraphicsItem):
    """All bars of the chart, as a few layers of rectangles (one per row and
    colour) in slot-space x units: the painter scales them to the zoom and only
    the visible slice is drawn; mnemonics are written for visible slots when
    zoomed in."""

    def __init__(self, chart: _GanttGraphicsView) -> None:
        super().__init__()
        self.chart = chart
        self.layers: list[_Layer] = []
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)

    def rebuild(self) -> None:
        self.prepareGeometryChange()
        data, rows = self.chart.data, self.chart.rows
        self.layers = []
        if data is None:
            return
        row = {r.name: r for r in rows}
        # issue row: one bar per issued slot, per EU colour
        issue: dict[str | None, _Layer] = {}
        r = row[ISSUE_ROW]
        for op in data.ops:
            if not op.is_nop:
                layer = issue.setdefault(op.eu, _Layer(QBrush(eu_colour(op.eu))))
                layer.add(op.address + 0.06, r.top + 5, 0.88, r.height - 10)
        self.layers.extend(issue.values())
        # EU rows: light latency bar plus solid issue mark, one lane per overlap
        for eu in data.eus:
            r = row[eu]
            body = _Layer(QBrush(_light(eu_colour(eu), 110)))
            mark = _Layer(QBrush(eu_colour(eu)))
            y0 = r.top + (r.height - r.lanes * LANE_H) / 2
            for a in data.by_eu[eu]:
                op = data.ops[a]
                y = y0 + op.lane * LANE_H + 0.5
                body.add(a + 0.05, y, op.latency - 0.1, LANE_H - 1.5)
                mark.add(a + 0.05, y, min(1.0, op.latency) - 0.1, LANE_H - 1.5)
            self.layers += [body, mark]
        # write port: the landing cycle, coloured by the producing EU
        r = row[WRITE_ROW]
        land: dict[str | None, _Layer] = {}
        for x, a in data.writes:
            src = data.ops[a].eu
            layer = land.setdefault(src, _Layer(QBrush(eu_colour(src))))
            layer.add(x + 0.15, r.top + 4, 0.7, r.height - 8)
        self.layers.extend(land.values())
        for layer in self.layers:
            layer.finish()

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.chart.scene_width(), self.chart.scene_height)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        chart = self.chart
        data = chart.data
        if data is None:
            return
        ppc = chart.ppc
        # row bands and separators
        painter.setPen(Qt.PenStyle.NoPen)
        width = chart.scene_width()
        for k, r in enumerate(chart.rows):
            if k % 2:
                painter.fillRect(QRectF(0, r.top, width, r.height), QColor(0, 0, 0, 10))
        painter.setPen(QPen(QColor("#d0d0d0"), 0))
        for r in chart.rows:
            painter.drawLine(QPointF(0, r.top), QPointF(width, r.top))
        last = chart.rows[-1]
        painter.drawLine(QPointF(0, last.top + last.height), QPointF(width, last.top + last.height))
        # grid lines on the axis ticks
        painter.setPen(QPen(QColor(0, 0, 0, 22), 0))
        top, bottom = chart.rows[0].top, last.top + last.height
        for x, _, _ in chart.ticks(option.exposedRect.left(), option.exposedRect.right()):
            sx = chart.to_scene_x(x)
            painter.drawLine(QPointF(sx, top), QPointF(sx, bottom))
        # bars
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, ppc < 3)
        painter.translate(LABEL_W, 0)
        painter.scale(ppc, 1.0)
        painter.setPen(Qt.PenStyle.NoPen)
        lo = chart.from_scene_x(option.exposedRect.left()) - 1
        hi = chart.from_scene_x(option.exposedRect.right()) + 1
        for layer in self.layers:
            rects = layer.visible(lo, hi)
            if rects:
                painter.setBrush(layer.brush)
                painter.drawRects(rects)
        painter.restore()
        if ppc >= TEXT_PPC:
            self._paint_text(painter, option.exposedRect)

    def _paint_text(self, painter: QPainter, exposed: QRectF) -> None:
        chart = self.chart
        data = chart.data
        assert data is not None
        ppc = chart.ppc
        r = chart.row(ISSUE_ROW)
        lo = max(0, int((exposed.left() - LABEL_W) / ppc) - 1)
        hi = min(len(data.ops), int((exposed.right() - LABEL_W) / ppc) + 2)
        font = QFont(painter.font())
        font.setPointSizeF(7.5)
        painter.setFont(font)
        fm = QFontMetrics(font)
        painter.setPen(QColor("white"))
        for op in data.ops[lo:hi]:
            if op.is_nop:
                continue
            rect = QRectF(chart.to_scene_x(op.address + 0.06), r.top + 5, 0.88 * ppc, r.height - 10)
            room = rect.width() - 1
            label = op.text if fm.horizontalAdvance(op.text) <= room else op.mnemonic
            if fm.horizontalAdvance(label) <= room:  # whole words only
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)


class _LoopItem(QGraphicsItem):
    """A shaded span (hardware loop body, or a pipelined loop's prologue/epilogue)
    with its label in the loop band above the rows."""

    def __init__(
        self,
        chart: _GanttGraphicsView,
        start: int,
        end: int,
        labels: tuple[str, ...],
        depth: int,
        loop: bool,
    ) -> None:
        super().__init__()
        self.chart = chart
        self.start, self.end = start, end
        self.labels, self.depth, self.loop = labels, depth, loop
        self.setZValue(-1)

    def rect(self) -> QRectF:
        c = self.chart
        x0, x1 = c.to_scene_x(self.start), c.to_scene_x(self.end + 1)
        top = AXIS_H + LOOP_BAND * self.depth + 2
        bottom = c.rows[-1].top + c.rows[-1].height
        return QRectF(x0, top, x1 - x0, bottom - top)

    def boundingRect(self) -> QRectF:
        return self.rect().adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        r = self.rect()
        colour = QColor("#f2b134") if self.loop else QColor("#9aa7b8")
        painter.fillRect(r, _light(colour, 60 if self.loop else 45))
        pen = QPen(colour.darker(130), 0)
        pen.setStyle(Qt.PenStyle.SolidLine if self.loop else Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawLine(r.topLeft(), r.bottomLeft())
        painter.drawLine(r.topRight(), r.bottomRight())
        band = QRectF(r.left(), r.top(), r.width(), LOOP_BAND - 2)
        painter.fillRect(band, _light(colour, 170 if self.loop else 110))
        font = QFont(painter.font())
        font.setPointSizeF(8)
        font.setBold(self.loop)
        painter.setFont(font)
        fm = QFontMetrics(font)
        avail = int(band.width()) - 6
        text = next((t for t in self.labels if fm.horizontalAdvance(t) <= avail), self.labels[-1])
        text = fm.elidedText(text, Qt.TextElideMode.ElideRight, avail)
        painter.setPen(QColor("#202020"))
        painter.drawText(band.adjusted(3, 0, -3, 0), Qt.AlignmentFlag.AlignVCenter, text)


class _SelectionItem(QGraphicsItem):
    """Outlines the selected slot: its issue bar, EU bar and write-port mark."""

    def __init__(self, chart: _GanttGraphicsView) -> None:
        super().__init__()
        self.chart = chart
        self.address: int | None = None
        self.setZValue(10)

    def boundingRect(self) -> QRectF:
        rects = self.rects()
        if not rects:
            return QRectF()
        out = rects[0]
        for r in rects[1:]:
            out = out.united(r)
        return out.adjusted(-3, -3, 3, 3)

    def rects(self) -> list[QRectF]:
        c = self.chart
        if self.address is None or c.data is None:
            return []
        out = []
        for row in c.data.rows:
            rect = c.bar_rect(row, self.address)
            if rect is not None:
                out.append(rect)
        return out

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(QColor("#000000"), 2))
        for r in self.rects():
            painter.drawRect(r.adjusted(-1.5, -1.5, 1.5, 1.5))


class _GanttGraphicsView(QGraphicsView):
    """The chart canvas: zoom is ours (x only, ``ppc`` pixels per cycle), so
    text and lines keep their size; axis and row labels are sticky overlays."""

    clicked = Signal(int)
    zoomChanged = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setMouseTracking(True)
        self.setBackgroundBrush(QColor("white"))
        self.data: GanttData | None = None
        self.rows: list[_Row] = []
        self.scene_height = 0.0
        self.ppc = 8.0
        self._fitted = True
        self._chart = _ChartItem(self)
        self._selection = _SelectionItem(self)
        self._loops: list[_LoopItem] = []
        self.scene().addItem(self._chart)
        self.scene().addItem(self._selection)
        self._writes_x: list[int] = []

    # -- content ---------------------------------------------------------------------
    def set_data(self, data: GanttData | None) -> None:
        self.data = data
        for item in self._loops:
            self.scene().removeItem(item)
        self._loops = []
        self._selection.prepareGeometryChange()
        self._selection.address = None
        if data is None:
            self.rows, self.scene_height = [], 0.0
        else:
            self.rows, self.scene_height = _layout_rows(data)
            for lp in data.loops:
                self._loops.append(
                    _LoopItem(
                        self,
                        lp.start,
                        lp.end,
                        lp.labels,
                        lp.depth,
                        True,
                    )
                )
            for sp in data.spans:
                self._loops.append(
                    _LoopItem(self, sp.start, sp.end, (sp.label, sp.label.split()[0]), 0, False)
                )
            for item in self._loops:
                self.scene().addItem(item)
            self._writes_x = [x for x, _ in data.writes]
        self._chart.rebuild()
        self._fitted = True
        self.fit()

    # -- geometry --------------------------------------------------------------------
    def scene_width(self) -> float:
        if self.data is None:
            return 0.0
        return LABEL_W + self.data.width * self.ppc + RIGHT_MARGIN

    def to_scene_x(self, x: float) -> float:
        return LABEL_W + x * self.ppc

    def from_scene_x(self, sx: float) -> float:
        return (sx - LABEL_W) / self.ppc

    def row(self, name: str) -> _Row:
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(f"no row '{name}'")

    def _update_scene_rect(self) -> None:
        if self.data is None:
            self.scene().setSceneRect(QRectF(0, 0, 1, 1))
            return
        self.scene().setSceneRect(QRectF(0, 0, self.scene_width(), self.scene_height))

    def fit_ppc(self) -> float:
        if self.data is None:
            return self.ppc
        avail = max(50, self.viewport().width() - LABEL_W - RIGHT_MARGIN)
        return min(MAX_PPC, max(MIN_PPC, avail / self.data.width))

    def fit(self) -> None:
        """Zoom so the whole program fits the width."""
        self._fitted = True
        self._set_ppc(self.fit_ppc())
        self.horizontalScrollBar().setValue(0)

    def set_zoom(self, ppc: float, anchor_viewport_x: float | None = None) -> None:
        """Zoom to ``ppc`` pixels per cycle, keeping the cycle under
        ``anchor_viewport_x`` (default: the viewport centre) in place."""
        if not math.isfinite(ppc) or ppc <= 0:
            raise ValueError(f"zoom must be a positive number of pixels per cycle, got {ppc}")
        self._fitted = False
        vx = self.viewport().width() / 2 if anchor_viewport_x is None else anchor_viewport_x
        x = self.from_scene_x(self.mapToScene(int(vx), 0).x())
        self._set_ppc(min(MAX_PPC, max(MIN_PPC, ppc)))
        self.horizontalScrollBar().setValue(round(self.to_scene_x(x) - vx))

    def _set_ppc(self, ppc: float) -> None:
        self.ppc = ppc
        self._chart.prepareGeometryChange()
        self._selection.prepareGeometryChange()
        for item in self._loops:
            item.prepareGeometryChange()
        self._update_scene_rect()
        self.viewport().update()
        self.zoomChanged.emit(ppc)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._fitted and self.data is not None:
            self._set_ppc(self.fit_ppc())

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self.viewport().update()  # the sticky axis and labels do not scroll

    # -- ticks -----------------------------------------------------------------------
    def tick_step(self) -> int:
        for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
            if step * self.ppc >= 56:
                return step
        return 20000

    def ticks(self, scene_left: float, scene_right: float) -> list[tuple[float, int, bool]]:
        """``(x, cycle, jump)`` of the axis ticks between two scene x positions;
        ``jump`` marks the first slot of a segment where the cycle count jumps."""
        data = self.data
        if data is None:
            return []
        step = self.tick_step()
        lo = self.from_scene_x(scene_left) - 1
        hi = self.from_scene_x(scene_right) + 1
        out: list[tuple[float, int, bool]] = []
        for k, (x0, x1, c0) in enumerate(data.segments):
            last = k == len(data.segments) - 1
            if x1 < lo or x0 > hi:
                continue
            if k > 0:
                out.append((float(x0), c0, True))
            first = -(-c0 // step) * step
            for c in range(first, c0 + (x1 - x0) + 1, step):
                x = x0 + (c - c0)
                if (x >= x1 and not last) or (k > 0 and c == c0) or x < lo or x > hi:
                    continue
                out.append((float(x), c, False))
        return out

    # -- hit testing -----------------------------------------------------------------
    def bar_rect(self, row: str, address: int) -> QRectF | None:
        """Scene rectangle of the bar of ``address`` in ``row`` (``None``: no bar there)."""
        data = self.data
        if data is None or not 0 <= address < len(data.ops):
            return None
        op = data.ops[address]
        r = self.row(row)
        if row == ISSUE_ROW:
            if op.is_nop:
                return None
            return QRectF(
                self.to_scene_x(address + 0.06), r.top + 5, 0.88 * self.ppc, r.height - 10
            )
        if row == WRITE_ROW:
            if not op.writes_port:
                return None
            return QRectF(self.to_scene_x(op.lands + 0.15), r.top + 4, 0.7 * self.ppc, r.height - 8)
        if op.eu != row:
            return None
        y0 = r.top + (r.height - r.lanes * LANE_H) / 2 + op.lane * LANE_H
        return QRectF(
            self.to_scene_x(address + 0.05), y0 + 0.5, (op.latency - 0.1) * self.ppc, LANE_H - 1.5
        )

    def address_at(self, pos: QPointF) -> int | None:
        """The slot whose bar is at viewport position ``pos`` (``None``: none there).

        Within a few pixels of a bar counts as on it, so thin bars of a
        zoomed-out chart can still be picked.
        """
        data = self.data
        if data is None or pos.x() < LABEL_W or pos.y() < AXIS_H:
            return None
        sp = self.mapToScene(pos.toPoint())
        x = self.from_scene_x(sp.x())
        tol = max(0.0, 3.0 / self.ppc)
        row = next((r for r in self.rows if r.top <= sp.y() < r.top + r.height), None)
        if row is None:
            return None
        if row.name == ISSUE_ROW:
            best = None
            for a in range(max(0, int(x - tol)), min(len(data.ops), int(x + tol) + 1)):
                op = data.ops[a]
                if op.is_nop:
                    continue
                d = 0.0 if a <= x < a + 1 else min(abs(x - a), abs(x - a - 1))
                if d <= tol and (best is None or d < best[0]):
                    best = (d, a)
            return best[1] if best else None
        if row.name == WRITE_ROW:
            k = bisect.bisect_left(self._writes_x, math.floor(x - tol))
            best = None
            while k < len(data.writes) and data.writes[k][0] <= x + tol:
                land, a = data.writes[k]
                d = 0.0 if land <= x < land + 1 else min(abs(x - land), abs(x - land - 1))
                if d <= tol and (best is None or d < best[0]):
                    best = (d, a)
                k += 1
            return best[1] if best else None
        addrs = data.by_eu.get(row.name, ())
        lane_y0 = row.top + (row.height - row.lanes * LANE_H) / 2
        lane = int((sp.y() - lane_y0) // LANE_H)
        max_lat = max((data.ops[a].latency for a in addrs), default=1)
        k = bisect.bisect_left(addrs, math.floor(x - max_lat - tol))
        pick: tuple[tuple[int, int], int] | None = None
        while k < len(addrs) and addrs[k] <= x + tol:
            a = addrs[k]
            op = data.ops[a]
            k += 1
            if not (a - tol <= x < a + op.latency + tol):
                continue
            # prefer the op in the lane under the pointer, then the latest issue
            score = (0 if op.lane == lane else 1, -a)
            if pick is None or score < pick[0]:
                pick = (score, a)
        return pick[1] if pick else None

    # -- events ----------------------------------------------------------------------
    def wheelEvent(self, event) -> None:
        if self.data is None:
            return
        dy = event.angleDelta().y()
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier or dy == 0:
            bar = self.horizontalScrollBar()
            bar.setValue(bar.value() - (dy or event.angleDelta().x()))
            event.accept()
            return
        factor = 1.25 ** (dy / 120.0)
        self.set_zoom(self.ppc * factor, event.position().x())
        event.accept()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            a = self.address_at(event.position())
            if a is not None:
                self.select(a)
                self.clicked.emit(a)
                event.accept()
                return
        super().mousePressEvent(event)

    def reveal(self, rect: QRectF) -> None:
        """Scroll horizontally so a scene rectangle is clear of the sticky row labels."""
        bar = self.horizontalScrollBar()
        vx0 = self.mapFromScene(rect.topLeft()).x()
        vx1 = self.mapFromScene(rect.topRight()).x()
        room = self.viewport().width()
        if vx0 < LABEL_W + 20 or vx1 > room - 20:
            bar.setValue(int(bar.value() + vx0 - (LABEL_W + 40)))

    def select(self, address: int | None) -> None:
        self._selection.prepareGeometryChange()
        self._selection.address = address
        self.viewport().update()

    def viewportEvent(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            a = self.address_at(QPointF(event.pos()))
            if a is None or self.data is None:
                QToolTip.hideText()
                event.ignore()
            else:
                QToolTip.showText(event.globalPos(), describe(self.data, a), self.viewport())
            return True
        return super().viewportEvent(event)

    # -- sticky overlays -------------------------------------------------------------
    def drawForeground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        painter.save()
        painter.resetTransform()
        vp = self.viewport().rect()
        if self.data is None:
            painter.setPen(QColor("#707070"))
            painter.drawText(
                vp,
                Qt.AlignmentFlag.AlignCenter,
                "No compiled program.\nCompile the model (Ctrl+B) to see its schedule.",
            )
            painter.restore()
            return
        self._draw_axis(painter, vp)
        self._draw_labels(painter, vp)
        painter.restore()

    def _draw_axis(self, painter: QPainter, vp: QRect) -> None:
        painter.fillRect(QRect(0, 0, vp.width(), AXIS_H), QColor("#f4f4f4"))
        painter.setPen(QPen(QColor("#909090"), 1))
        painter.drawLine(0, AXIS_H - 1, vp.width(), AXIS_H - 1)
        font = QFont(painter.font())
        font.setPointSizeF(8)
        painter.setFont(font)
        fm = QFontMetrics(font)
        left = self.mapToScene(LABEL_W, 0).x()
        right = self.mapToScene(vp.width(), 0).x()
        last_right = -1e9
        # the program start and the jumps after loops first, the regular ticks make room
        ticks = sorted(self.ticks(left, right), key=lambda t: (t[0] != 0 and not t[2], t[0]))
        taken: list[tuple[float, float]] = []
        for x, cycle, jump in ticks:
            vx = self.mapFromScene(QPointF(self.to_scene_x(x), 0)).x()
            if vx < LABEL_W - 1 or vx > vp.width():
                continue
            text = f"{cycle}"
            w = fm.horizontalAdvance(text)
            cx = max(vx, LABEL_W + w / 2 + 3)  # keep the first label clear of the row labels
            span = (cx - w / 2 - 4, cx + w / 2 + 4)
            if any(a < span[1] and span[0] < b for a, b in taken):
                painter.setPen(QPen(QColor("#909090"), 1))
                painter.drawLine(vx, AXIS_H - 5, vx, AXIS_H - 1)
                continue
            taken.append(span)
            last_right = max(last_right, span[1])
            colour = QColor("#b06000") if jump else QColor("#303030")
            painter.setPen(QPen(colour, 2 if jump else 1))
            painter.drawLine(vx, AXIS_H - (10 if jump else 7), vx, AXIS_H - 1)
            painter.setPen(colour)
            painter.drawText(
                QRectF(cx - w / 2 - 2, 3, w + 4, 14), Qt.AlignmentFlag.AlignCenter, text
            )
        painter.fillRect(QRect(0, 0, LABEL_W, AXIS_H), QColor("#e8e8e8"))
        painter.setPen(QColor("#303030"))
        painter.drawText(QRect(6, 0, LABEL_W - 8, AXIS_H), Qt.AlignmentFlag.AlignVCenter, "cycle")

    def _draw_labels(self, painter: QPainter, vp: QRect) -> None:
        painter.fillRect(QRect(0, AXIS_H, LABEL_W, vp.height() - AXIS_H), QColor("#f4f4f4"))
        painter.setPen(QPen(QColor("#909090"), 1))
        painter.drawLine(LABEL_W - 1, 0, LABEL_W - 1, vp.height())
        font = QFont(painter.font())
        font.setPointSizeF(8.5)
        small = QFont(font)
        small.setPointSizeF(7.5)
        data = self.data
        assert data is not None
        for r in self.rows:
            y0 = self.mapFromScene(QPointF(0, r.top)).y()
            y1 = self.mapFromScene(QPointF(0, r.top + r.height)).y()
            if y1 < AXIS_H or y0 > vp.height():
                continue
            box = QRect(0, max(AXIS_H, y0), LABEL_W - 1, y1 - max(AXIS_H, y0))
            painter.setClipRect(box)
            painter.setPen(QPen(QColor("#d0d0d0"), 1))
            painter.drawLine(0, y0, LABEL_W, y0)
            if r.name in data.eus:
                painter.fillRect(QRect(6, y0 + (y1 - y0) // 2 - 5, 10, 10), eu_colour(r.name))
                lats = sorted({data.ops[a].latency for a in data.by_eu[r.name]})
                sub = "lat " + "/".join(str(v) for v in lats)
                painter.setFont(font)
                painter.setPen(QColor("#202020"))
                painter.drawText(
                    QRect(21, y0, LABEL_W - 24, y1 - y0), Qt.AlignmentFlag.AlignVCenter, r.name
                )
                painter.setFont(small)
                painter.setPen(QColor("#707070"))
                painter.drawText(
                    QRect(21, y0, LABEL_W - 26, y1 - y0),
                    Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                    sub,
                )
            else:
                bold = QFont(font)
                bold.setBold(True)
                painter.setFont(bold)
                painter.setPen(QColor("#202020"))
                painter.drawText(
                    QRect(6, y0, LABEL_W - 8, y1 - y0), Qt.AlignmentFlag.AlignVCenter, r.name
                )
            painter.setClipping(False)


def describe(data: GanttData, address: int) -> str:
    """The tooltip of a slot: instruction, issue cycle, source block and line, EU
    timing, and the loop it repeats in.

    Raises
    ------
    IndexError
        ``address`` is not a slot of the program.
    """
    if not 0 <= address < len(data.ops):
        raise IndexError(f"address {address} is not a slot of {data.name} (0..{len(data.ops) - 1})")
    op = data.ops[address]
    lines = [f"{op.text}", f"address {address:04x} · issue cycle {op.cycle}"]
    if op.block:
        lines.append(f"block: {op.block}")
    if op.source_line is not None:
        lines.append(f"source: {data.name}.s:{op.source_line}  {op.source_text}")
    if op.eu is not None:
        timing = f"EU {op.eu}, latency {op.latency}"
        if op.writes_port:
            timing += f": result visible in cycle {op.cycle + op.latency}"
        lines.append(timing)
    elif op.mnemonic == "halt":
        lines.append("end of the program")
    inside = [lp for lp in data.loops if lp.start <= address <= lp.end]
    for lp in inside:
        lines.append(
            f"in loop {lp.number}: repeats {lp.count} times every {lp.body_cycles} cycles "
            "(cycle of the first iteration shown)"
        )
    if op.stage:
        lines.append(f"software-pipelined: stage {op.stage}")
    return "\n".join(lines)


class ScheduleView(QWidget):
    """Gantt chart of a compiled program (see the module docstring).

    Signals
    -------
    instructionSelected(int):
        A bar was clicked; the argument is the slot's program-memory address
        (the listing's ``addr`` column).
    """

    instructionSelected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._comp: Any = None
        self.summary = QLabel()
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.chart = _GanttGraphicsView(self)
        self.chart.clicked.connect(self.instructionSelected)
        bar = QHBoxLayout()
        self._bar = bar
        bar.setContentsMargins(4, 2, 4, 2)
        bar.addWidget(self.summary, 1)
        self.zoom_label = QLabel()
        self.zoom_label.setMinimumWidth(120)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        bar.addWidget(self.zoom_label)
        for text, tip, slot in (
            ("−", "Zoom out (mouse wheel)", lambda: self._zoom_by(1 / 1.5)),
            ("+", "Zoom in (mouse wheel)", lambda: self._zoom_by(1.5)),
            ("Fit", "Fit the whole program into the view", self.zoom_fit),
        ):
            b = QToolButton()
            b.setText(text)
            b.setToolTip(tip)
            b.clicked.connect(slot)
            bar.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.chart, 1)
        self.chart.zoomChanged.connect(self._show_zoom)
        self.clear()

    def sizeHint(self) -> QSize:
        """Wide enough to read, tall enough for every row of the program shown."""
        if self.chart.data is None:
            return QSize(900, 320)
        bar = self.chart.horizontalScrollBar().sizeHint().height()
        top = self._bar.sizeHint().height()
        return QSize(900, int(top + self.chart.scene_height + bar + 2 * self.chart.frameWidth()))

    # -- API -------------------------------------------------------------------------
    def set_compilation(self, comp: Any) -> None:
        """Show the schedule of ``comp`` (a :class:`vtc.compiler.driver.Compilation`);
        ``None`` clears the view.

        Raises
        ------
        TypeError
            ``comp`` is neither a compilation nor ``None``.
        """
        if comp is None:
            self.clear()
            return
        assembly = getattr(comp, "assembly", None)
        report = getattr(comp, "report", None)
        if assembly is None or not isinstance(report, dict):
            raise TypeError(
                f"set_compilation expects a Compilation or None, got {type(comp).__name__}"
            )
        data = gantt_data(assembly, report.get("cycles"))
        self._comp = comp
        self.chart.set_data(data)
        issued = sum(1 for op in data.ops if not op.is_nop)
        loops = len(data.loops)
        self.summary.setText(
            f"<b>{comp.name}</b>: {data.cycles} cycles per run · {len(data.ops)} slots "
            f"({issued} issued, {len(data.ops) - issued} nop) · {len(data.eus)} EUs"
            + (f" · {loops} hardware loop{'s' if loops > 1 else ''}" if loops else "")
        )

    def clear(self) -> None:
        """Show nothing (the placeholder text)."""
        self._comp = None
        self.chart.set_data(None)
        self.summary.setText("<i>no compiled program</i>")

    def compilation(self) -> Any:
        """The compilation shown, or ``None``."""
        return self._comp

    def data(self) -> GanttData | None:
        """What the chart draws (``None`` when empty)."""
        return self.chart.data

    def rows(self) -> list[str]:
        """Row names from top to bottom (empty when nothing is shown)."""
        return list(self.chart.data.rows) if self.chart.data else []

    def bar_addresses(self, row: str) -> list[int]:
        """Addresses of the slots with a bar in ``row`` (write port: the producing slots)."""
        if self.chart.data is None:
            return []
        return self.chart.data.row_addresses(row)

    def loop_labels(self) -> list[str]:
        """The labels of the marked hardware loops."""
        return [lp.label for lp in self.chart.data.loops] if self.chart.data else []

    def bar_rect(self, row: str, address: int) -> QRectF | None:
        """Scene rectangle of a bar (map it with ``chart.mapFromScene`` for the viewport)."""
        return self.chart.bar_rect(row, address)

    def bar_viewport_pos(self, row: str, address: int) -> QPointF | None:
        """Viewport position of the centre of a bar, or ``None`` if it has none."""
        r = self.bar_rect(row, address)
        if r is None:
            return None
        return QPointF(self.chart.mapFromScene(r.center()))

    def address_at(self, viewport_pos: QPointF) -> int | None:
        """The slot whose bar is under a viewport position."""
        return self.chart.address_at(viewport_pos)

    def tooltip(self, address: int) -> str:
        """The hover text of a slot's bars."""
        if self.chart.data is None:
            raise IndexError("no compiled program shown")
        return describe(self.chart.data, address)

    def source_line(self, address: int) -> int | None:
        """Line of ``NAME.s`` the slot's instruction comes from (``None``: an inserted nop)."""
        data = self.chart.data
        if data is None or not 0 <= address < len(data.ops):
            return None
        return data.ops[address].source_line

    def select_address(self, address: int | None) -> None:
        """Outline the bars of a slot and scroll it into view (``None``: no selection)."""
        data = self.chart.data
        if address is not None and (data is None or not 0 <= address < len(data.ops)):
            raise IndexError(f"address {address} is not a slot of the program shown")
        self.chart.select(address)
        if address is not None and data is not None:
            r = self.chart.bar_rect(ISSUE_ROW, address) or self.chart.bar_rect(
                data.ops[address].eu or ISSUE_ROW, address
            )
            if r is None:
                x = self.chart.to_scene_x(address)
                r = QRectF(x, 0, self.chart.ppc, 1)
            self.chart.reveal(r)

    def selected_address(self) -> int | None:
        return self.chart._selection.address

    def zoom(self) -> float:
        """Pixels per cycle."""
        return self.chart.ppc

    def set_zoom(self, pixels_per_cycle: float) -> None:
        """Zoom to a number of pixels per cycle (clamped to 0.02..120)."""
        self.chart.set_zoom(pixels_per_cycle)

    def zoom_fit(self) -> None:
        """Fit the whole program into the width (also kept on resize until zoomed)."""
        self.chart.fit()

    def _zoom_by(self, factor: float) -> None:
        self.chart.set_zoom(self.chart.ppc * factor)

    def _show_zoom(self, ppc: float) -> None:
        self.zoom_label.setText(f"{ppc:.3g} px/cycle" if self.chart.data else "")


# --- the report table --------------------------------------------------------------------


def _num(x: float, digits: int = 6) -> str:
    return f"{x:.{digits}g}"


def report_rows(comp: Any) -> list[tuple[str, str, str, bool]]:
    """``(quantity, value, explanation, warning)`` rows of a compilation's report."""
    r = comp.report
    t = comp.target
    rows: list[tuple[str, str, str, bool]] = []

    def add(label: str, value: str, tip: str = "", warn: bool = False) -> None:
        rows.append((label, value, tip, warn))

    clock = r.get("clock_mhz", t.clock_mhz)
    add(
        "Target",
        f"{r.get('target', t.name)} · {r.get('precision', t.precision)} · {clock:g} MHz",
        "the machine the program is built for",
    )
    add("Cycles per run", str(r["cycles"]), "one pass of the program, halt included")
    spr = r.get("samples_per_run", 1)
    add("Steps per run", str(spr), "model steps (samples) one run computes")
    add("Cycles per step", _num(r["cycles_per_sample"]), "cycles per run / steps per run")
    add(
        "Time per step",
        f"{_num(r['time_per_sample_us'])} µs",
        f"cycles per step at the target clock ({clock:g} MHz)",
    )
    if spr > 1:
        add("Time per run", f"{_num(r['time_us'])} µs", f"cycles per run at {clock:g} MHz")
    if "sample_time_us" in r:
        add("Deadline", f"{_num(r['sample_time_us'])} µs", "the model's sample_time")
        slack = r["deadline_slack_us"]
        pct = 100.0 * slack / r["sample_time_us"] if r["sample_time_us"] else 0.0
        add(
            "Slack",
            f"{_num(slack)} µs ({pct:.1f} %)",
            "deadline minus time per step; negative: the step overruns",
            slack < 0,
        )
    else:
        add("Deadline", "— (the model has no sample_time)", "")
    add(
        "Data cells",
        f"{r['cells']} of {t.data_depth} (max live {r['max_live']})",
        "data memory used: constants, states and temporaries",
    )
    slots, nops = r["slots"], r["nops"]
    add(
        "Instructions",
        f"{slots - nops} (+ {nops} nop = {slots} slots of {t.program_depth})",
        "program memory: issued instructions and the nops timing needs",
    )
    eus = r.get("eus", [])
    add("EUs", f"{len(eus)}: {', '.join(eus)}" if eus else "none", "execution units used")
    lb = r["lower_bound"]
    add("Lower bound", f"{lb} cycles", "no schedule of this program can be shorter")
    how = "optimal" if r.get("optimal") else f"heuristic: {r.get('method', '?')}"
    add("Gap", f"{100.0 * r['gap']:.1f} % ({how})", "(cycles - lower bound) / lower bound")
    loops = r.get("loops", [])
    if loops:
        parts = []
        for k, lp in enumerate(loops, 1):
            text = f"loop {k}: ×{lp['count']}"
            if "ii" in lp:
                text += f", ii {lp['ii']}"
            if lp.get("stages", 1) > 1:
                text += f", {lp['stages']} stages"
            parts.append(text)
        add("Hardware loops", "; ".join(parts), "loop table: iterations, initiation interval")
    else:
        add("Hardware loops", "none", "")
    opt = r["optimisation"]
    add(
        "Optimisation",
        f"-O{opt['level']}" + (", fast-math" if opt["fast_math"] else ", exact rewrites only"),
        "optimisation level and inexact rewrites",
    )
    add(
        "Operations",
        f"{opt['operations_before']} → {opt['operations_after']}",
        "IR operations before and after optimisation",
    )
    rewrites = opt.get("rewrites", {})
    text = ", ".join(f"{k} {v}" for k, v in rewrites.items()) or "none"
    inexact = opt.get("inexact", [])
    add(
        "Rewrites",
        text + (f" (inexact: {', '.join(inexact)})" if inexact else ""),
        "rewrites applied by the optimiser",
        bool(inexact),
    )
    secs = getattr(comp, "seconds", {}) or {}
    if secs:
        add(
            "Compile time",
            f"{sum(secs.values()):.2f} s",
            ", ".join(f"{k} {v:.2f} s" for k, v in secs.items()),
        )
    return rows


class ReportView(QWidget):
    """The compile report as a two-column table (quantity, value).

    A negative deadline slack (and inexact fast-math rewrites) is shown in red.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, 2, self)
        self.table.setHorizontalHeaderLabels(["Quantity", "Value"])
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents
        )
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.title = QLabel()
        self.title.setIndent(6)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 1)
        self.set_compilation(None)

    def sizeHint(self) -> QSize:
        return QSize(460, 480)

    def set_compilation(self, comp: Any) -> None:
        """Show the report of ``comp``; ``None`` empties the table.

        Raises
        ------
        TypeError
            ``comp`` has no compile report.
        """
        if comp is None:
            self.table.setRowCount(0)
            self.title.setText("<i>no compiled program</i>")
            return
        if not isinstance(getattr(comp, "report", None), dict) or "cycles" not in comp.report:
            raise TypeError(
                f"set_compilation expects a Compilation or None, got {type(comp).__name__}"
            )
        rows = report_rows(comp)
        self.title.setText(f"<b>{comp.name}</b> ({comp.report.get('model', comp.file)})")
        self.table.setRowCount(len(rows))
        red = QBrush(QColor("#c00000"))
        for k, (label, value, tip, warn) in enumerate(rows):
            a, b = QTableWidgetItem(label), QTableWidgetItem(value)
            for item in (a, b):
                item.setToolTip(tip)
            if warn:
                b.setForeground(red)
                font = b.font()
                font.setBold(True)
                b.setFont(font)
            self.table.setItem(k, 0, a)
            self.table.setItem(k, 1, b)
        self.table.setCurrentCell(-1, -1)

    def value(self, quantity: str) -> str:
        """The text of the value cell of a quantity (e.g. ``"Cycles per run"``).

        Raises
        ------
        KeyError
            No such row.
        """
        return self.value_item(quantity).text()

    def value_item(self, quantity: str) -> QTableWidgetItem:
        """The value cell of a quantity (its text, colour and tooltip)."""
        for k in range(self.table.rowCount()):
            label, value = self.table.item(k, 0), self.table.item(k, 1)
            if label is not None and value is not None and label.text() == quantity:
                return value
        raise KeyError(f"the report has no row '{quantity}'")

    def quantities(self) -> list[str]:
        """The quantities shown, top to bottom."""
        items = (self.table.item(k, 0) for k in range(self.table.rowCount()))
        return [item.text() for item in items if item is not None]


# --- assembly text -----------------------------------------------------------------------


def _fmt(colour: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    f = QTextCharFormat()
    f.setForeground(QColor(colour))
    if bold:
        f.setFontWeight(QFont.Weight.Bold)
    f.setFontItalic(italic)
    return f


class AsmHighlighter(QSyntaxHighlighter):
    """Highlights ViSARD assembly and listings: mnemonics, directives
    (``.target``, ``loop``/``endloop``), cells (``r5``, ``@3``), numbers, comments."""

    MNEMONIC = _fmt("#1a3fa0", bold=True)
    DIRECTIVE = _fmt("#8a2be2", bold=True)
    CELL = _fmt("#006d6d")
    NUMBER = _fmt("#b35900")
    COMMENT = _fmt("#7a7a7a", italic=True)

    _mnemonics = "|".join(sorted((re.escape(m) for m in BY_NAME), key=len, reverse=True))
    RULES: tuple[tuple[re.Pattern[str], QTextCharFormat], ...] = (
        (
            re.compile(
                r"(?<![\w.])(?:-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|0x[0-9a-fA-F]+|[0-9a-f]{4,16})"
                r"(?![\w.])"
            ),
            NUMBER,
        ),
        (re.compile(r"(?<![\w.])(?:r\d+|@\d+)(?![\w.])"), CELL),
        (re.compile(rf"(?<![\w.])(?:{_mnemonics})(?![\w.])"), MNEMONIC),
        (re.compile(r"(?<![\w.])(?:\.[a-z_]+|loop|endloop)(?![\w])"), DIRECTIVE),
    )
    COMMENT_RE = re.compile(r";.*$")

    def highlightBlock(self, text: str) -> None:
        m = self.COMMENT_RE.search(text)
        code_end = m.start() if m else len(text)
        code = text[:code_end]
        for rx, fmt in self.RULES:
            for hit in rx.finditer(code):
                self.setFormat(hit.start(), hit.end() - hit.start(), fmt)
        if m:
            self.setFormat(m.start(), len(text) - m.start(), self.COMMENT)


class AsmView(QPlainTextEdit):
    """Read-only view of assembly text (``NAME.s`` or the listing), highlighted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(9)
        self.setFont(font)
        self.highlighter = AsmHighlighter(self.document())

    def show_text(self, text: str | None) -> None:
        """Replace the text (``None``: empty) and go to the top."""
        if text is not None and not isinstance(text, str):
            raise TypeError(f"show_text expects a string, got {type(text).__name__}")
        self.setPlainText(text or "")
        self.moveCursor(QTextCursor.MoveOperation.Start)

    def select_line(self, line: int) -> bool:
        """Select and centre a 1-based line; ``False`` if there is no such line."""
        doc: QTextDocument = self.document()
        if not 1 <= line <= doc.blockCount():
            return False
        block = doc.findBlockByNumber(line - 1)
        cursor = QTextCursor(block)
        cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)
        self.centerCursor()
        return True

    def select_address(self, address: int) -> bool:
        """In a listing: select the line of program address ``address``
        (``False`` if the text has no such line, e.g. for ``NAME.s``)."""
        rx = re.compile(rf"^\s+\d+\s+{address:04x}\s")
        block = self.document().firstBlock()
        while block.isValid():
            if rx.match(block.text()):
                return self.select_line(block.blockNumber() + 1)
            block = block.next()
        return False
