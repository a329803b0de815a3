"""The diagram canvas: blocks, ports and wires of the diagram being edited.

The scene is rebuilt from the document's model whenever it changes (models
are immutable; a rebuild of a 1,000-block diagram takes a few tens of
milliseconds). User gestures become document edits: moving blocks, wiring an
output port to an input port (drag), deleting, dropping a block from the
palette, double-clicking a subsystem to enter it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSceneMouseEvent,
    QGraphicsView,
    QStyleOptionGraphicsItem,
    QWidget,
)

from vtc.app.editor.document import Document
from vtc.blocks.registry import registry
from vtc.compiler.model import BlockSpec, PortRef

#: Mime type of a block dragged from the palette (its type name as UTF-8).
BLOCK_MIME = "application/x-vtc-block"

BLOCK_W = 90.0
PORT_GAP = 18.0
PORT_R = 4.5
CATEGORY_COLOURS = {
    "Ports": "#d9e8fb",
    "Sources": "#dcf2dc",
    "Sinks": "#f3e3f7",
    "Math": "#fff3d6",
    "Discrete": "#e2ecf5",
    "Vectors": "#f0f0f0",
    "Structure": "#e9e3f7",
}


def ports_of(
    spec: BlockSpec, wired: tuple[set[str], set[str]] = (set(), set())
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Input and output port names of a block as the canvas draws it.

    Unknown types and blocks with invalid parameters show the ports their
    wires use, so nothing disappears from the drawing.
    """
    from vtc.compiler.model.edit import block_ports

    found = block_ports(spec)
    if found is not None:
        return found
    return tuple(sorted(wired[0])), tuple(sorted(wired[1]))


class PortItem(QGraphicsItem):
    """A port circle: inputs on the left edge, outputs on the right."""

    def __init__(self, block: BlockItem, name: str, is_input: bool, y: float) -> None:
        super().__init__(block)
        self.block = block
        self.name = name
        self.is_input = is_input
        self.setPos(0.0 if is_input else BLOCK_W, y)
        self.setAcceptHoverEvents(True)
        self.setToolTip(f"{block.spec.id}.{name}")
        self.hot = False

    def boundingRect(self) -> QRectF:
        r = PORT_R + 2
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(
        self, p: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        p.setPen(QPen(QColor("#333333"), 1.2))
        p.setBrush(QColor("#ffb347") if self.hot else QColor("#ffffff"))
        p.drawEllipse(QPointF(0, 0), PORT_R, PORT_R)

    def ref(self) -> PortRef:
        return PortRef(self.block.spec.id, self.name)

    def hoverEnterEvent(self, event: Any) -> None:
        self.hot = True
        self.update()

    def hoverLeaveEvent(self, event: Any) -> None:
        self.hot = False
        self.update()


class BlockItem(QGraphicsItem):
    """One block: a rounded box with its label, its id below, and its ports."""

    def __init__(self, spec: BlockSpec, inputs: tuple[str, ...], outputs: tuple[str, ...]) -> None:
        super().__init__()
        self.spec = spec
        rb = registry().get(spec.type)
        self.known = rb is not None
        self.label = (rb.block.label or spec.type.split(".")[-1]) if rb else spec.type
        for key in ("fn", "op"):  # a function block shows its function (sin, cos, <=, ...)
            if isinstance(spec.params.get(key), str):
                self.label = spec.params[key]
        self.category = rb.block.category if rb else ""
        self.height = max(40.0, PORT_GAP * (max(len(inputs), len(outputs)) + 1))
        self.error: str | None = None
        self.wires: list[WireItem] = []
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
        )
        self.setPos(*(spec.pos or (0.0, 0.0)))
        self.ports: dict[tuple[str, bool], PortItem] = {}
        for names, is_input in ((inputs, True), (outputs, False)):
            for i, name in enumerate(names):
                y = self.height * (i + 1) / (len(names) + 1)
                self.ports[(name, is_input)] = PortItem(self, name, is_input, y)
        tip = spec.type if self.known else f"{spec.type}: no installed library defines it"
        self.setToolTip(f"{spec.id} ({tip})")

    def boundingRect(self) -> QRectF:
        return QRectF(-PORT_R - 3, -3, BLOCK_W + 2 * PORT_R + 6, self.height + 22)

    def paint(
        self, p: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        fill = QColor(CATEGORY_COLOURS.get(self.category, "#f4f4f4"))
        if not self.known:
            fill = QColor("#eeeeee")
        pen = QPen(QColor("#444444"), 1.3)
        if not self.known:
            pen.setStyle(Qt.PenStyle.DashLine)
        if self.error is not None:
            pen = QPen(QColor("#d62728"), 2.6)
        if self.isSelected():
            pen = QPen(QColor("#1f77b4"), 2.6)
        p.setPen(pen)
        p.setBrush(QBrush(fill))
        p.drawRoundedRect(QRectF(0, 0, BLOCK_W, self.height), 6, 6)
        p.setPen(QColor("#111111"))
        font = QFont()
        font.setPointSizeF(9.5)
        font.setBold(True)
        p.setFont(font)
        label = p.fontMetrics().elidedText(
            self.label, Qt.TextElideMode.ElideRight, int(BLOCK_W - 10)
        )
        p.drawText(QRectF(4, 0, BLOCK_W - 8, self.height), Qt.AlignmentFlag.AlignCenter, label)
        font.setBold(False)
        font.setPointSizeF(8.5)
        p.setFont(font)
        p.setPen(QColor("#555555"))
        p.drawText(
            QRectF(-20, self.height + 2, BLOCK_W + 40, 16),
            Qt.AlignmentFlag.AlignHCenter,
            self.spec.id,
        )

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for w in self.wires:
                w.reroute()
        return super().itemChange(change, value)

    def port(self, name: str, is_input: bool) -> PortItem | None:
        return self.ports.get((name, is_input))


class WireItem(QGraphicsPathItem):
    """A wire from an output port to an input port, routed with right angles."""

    def __init__(self, src: PortItem, dst: PortItem) -> None:
        super().__init__()
        self.src = src
        self.dst = dst
        self.setZValue(-1)
        self.setPen(QPen(QColor("#333333"), 1.4))
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        src.block.wires.append(self)
        dst.block.wires.append(self)
        self.reroute()

    def reroute(self) -> None:
        a = self.src.scenePos()
        b = self.dst.scenePos()
        path = QPainterPath(a)
        if b.x() > a.x() + 20:
            mid = (a.x() + b.x()) / 2
            path.lineTo(mid, a.y())
            path.lineTo(mid, b.y())
        else:  # a feedback wire: around below the blocks
            low = max(a.y(), b.y()) + 40
            path.lineTo(a.x() + 15, a.y())
            path.lineTo(a.x() + 15, low)
            path.lineTo(b.x() - 15, low)
            path.lineTo(b.x() - 15, b.y())
        path.lineTo(b)
        self.setPath(path)

    def paint(
        self, p: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        pen = QPen(QColor("#1f77b4") if self.isSelected() else QColor("#333333"), 1.4)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(self.path())
        end = self.path().currentPosition()
        p.setBrush(pen.color())
        arrow = QPainterPath(end)
        arrow.lineTo(end.x() - 7, end.y() - 3.5)
        arrow.lineTo(end.x() - 7, end.y() + 3.5)
        arrow.closeSubpath()
        p.drawPath(arrow)


class DiagramScene(QGraphicsScene):
    """The blocks and wires of the document's current diagram.

    Signals
    -------
    enterRequested(str):
        A subsystem was double-clicked (its path).
    emptyDoubleClicked(QPointF):
        A double-click on the empty canvas (quick insert).
    """

    enterRequested = Signal(str)
    emptyDoubleClicked = Signal(QPointF)

    def __init__(self, doc: Document) -> None:
        super().__init__()
        self.doc = doc
        self.blocks: dict[str, BlockItem] = {}
        self.wires: list[WireItem] = []
        self.errors: dict[str, str] = {}
        self._drag_from: PortItem | None = None
        self._drag_line: QGraphicsPathItem | None = None
        self._press_pos: dict[str, QPointF] = {}
        self.setBackgroundBrush(QColor("#fbfbfb"))
        doc.changed.connect(self.rebuild)
        doc.whereChanged.connect(lambda _w: self.rebuild())
        self.rebuild()

    # -- building --------------------------------------------------------------------------

    def current(self) -> tuple[tuple[BlockSpec, ...], tuple[Any, ...]]:
        model = self.doc.model
        if not self.doc.where:
            return model.blocks, model.connections
        spec = model.block(self.doc.where)
        if spec is None:
            return (), ()
        return spec.blocks or (), spec.connections

    def rebuild(self) -> None:
        selected = {i.spec.id for i in self.selectedItems() if isinstance(i, BlockItem)}
        self.clear()
        self.blocks = {}
        self.wires = []
        self._drag_line = None
        blocks, conns = self.current()
        wired: dict[str, tuple[set[str], set[str]]] = {b.id: (set(), set()) for b in blocks}
        for c in conns:
            if c.dst.block in wired:
                wired[c.dst.block][0].add(c.dst.port)
            if c.src.block in wired:
                wired[c.src.block][1].add(c.src.port)
        for spec in blocks:
            ins, outs = ports_of(spec, wired[spec.id])
            item = BlockItem(spec, ins, outs)
            self.addItem(item)
            self.blocks[spec.id] = item
            item.setSelected(spec.id in selected)
        for c in conns:
            a, b = self.blocks.get(c.src.block), self.blocks.get(c.dst.block)
            if a is None or b is None:
                continue
            pa, pb = a.port(c.src.port, False), b.port(c.dst.port, True)
            if pa is None or pb is None:
                continue
            w = WireItem(pa, pb)
            self.addItem(w)
            self.wires.append(w)
        self.show_errors(self.errors)

    def show_errors(self, errors: dict[str, str]) -> None:
        """Outline in red the blocks (by path) that have a problem."""
        self.errors = dict(errors)
        prefix = self.doc.where + "/" if self.doc.where else ""
        for bid, item in self.blocks.items():
            msg = None
            for path, text in errors.items():
                if path == prefix + bid or path.startswith(prefix + bid + "/"):
                    msg = text
                    break
            item.error = msg
            item.update()

    def selected_ids(self) -> list[str]:
        return sorted(i.spec.id for i in self.selectedItems() if isinstance(i, BlockItem))

    # -- gestures -----------------------------------------------------------------------------

    def port_at(self, pos: QPointF) -> PortItem | None:
        for item in self.items(pos):
            if isinstance(item, PortItem):
                return item
        return None

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        port = self.port_at(event.scenePos())
        if event.button() == Qt.MouseButton.LeftButton and port is not None:
            self._drag_from = port
            line = QGraphicsPathItem()
            line.setPen(QPen(QColor("#ff7f0e"), 1.5, Qt.PenStyle.DashLine))
            self.addItem(line)
            self._drag_line = line
            event.accept()
            return
        super().mousePressEvent(event)
        self._press_pos = {bid: it.pos() for bid, it in self.blocks.items() if it.isSelected()}

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._drag_from is not None and self._drag_line is not None:
            path = QPainterPath(self._drag_from.scenePos())
            path.lineTo(event.scenePos())
            self._drag_line.setPath(path)
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._drag_from is not None:
            start, self._drag_from = self._drag_from, None
            if self._drag_line is not None:
                self.removeItem(self._drag_line)
                self._drag_line = None
            end = self.port_at(event.scenePos())
            if end is not None and end is not start:
                self.wire(start, end)
            event.accept()
            return
        super().mouseReleaseEvent(event)
        moved = {
            bid: (round(it.pos().x(), 1), round(it.pos().y(), 1))
            for bid, it in self.blocks.items()
            if bid in self._press_pos and it.pos() != self._press_pos[bid]
        }
        self._press_pos = {}
        if moved:
            from vtc.compiler.model import edit

            where = self.doc.where
            self.doc.apply("Move", lambda m: edit.move_blocks(m, where, moved))

    def wire(self, a: PortItem, b: PortItem) -> bool:
        """Connect two ports (either order); refused wires are reported by the document."""
        if a.is_input == b.is_input:
            self.doc.error.emit("a wire goes from an output port to an input port")
            return False
        src, dst = (b, a) if a.is_input else (a, b)
        from vtc.compiler.model import edit

        where = self.doc.where
        return self.doc.apply(
            f"Connect {src.block.spec.id}.{src.name} to {dst.block.spec.id}.{dst.name}",
            lambda m: edit.connect(m, where, src.ref(), dst.ref()),
        )

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        for item in self.items(event.scenePos()):
            if isinstance(item, BlockItem):
                if item.spec.type in ("std.subsystem", "std.for_iterator"):
                    prefix = self.doc.where + "/" if self.doc.where else ""
                    self.enterRequested.emit(prefix + item.spec.id)
                event.accept()
                return
        self.emptyDoubleClicked.emit(event.scenePos())
        event.accept()

    def dragEnterEvent(self, event: Any) -> None:
        if event.mimeData().hasFormat(BLOCK_MIME):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: Any) -> None:
        if event.mimeData().hasFormat(BLOCK_MIME):
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:
        data = event.mimeData()
        if data.hasFormat(BLOCK_MIME):
            type_name = bytes(data.data(BLOCK_MIME).data()).decode()
            self.add_block(type_name, event.scenePos())
            event.acceptProposedAction()

    def add_block(self, type_name: str, pos: QPointF) -> str | None:
        """Add a block of ``type_name`` at ``pos`` (one undoable edit); its id."""
        from vtc.compiler.model import edit

        where = self.doc.where
        made: list[str] = []

        def do(m: Any) -> Any:
            new, bid = edit.add_block(
                m, where, type_name, pos=(round(pos.x(), 1), round(pos.y(), 1))
            )
            made.append(bid)
            return new

        if self.doc.apply(f"Add {type_name}", do):
            return made[0]
        return None


class DiagramView(QGraphicsView):
    """The canvas view: rubber-band selection, wheel zoom, fit to view."""

    def __init__(self, scene: DiagramScene) -> None:
        super().__init__(scene)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setAcceptDrops(True)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setMinimumSize(400, 300)

    def mousePressEvent(self, event: Any) -> None:
        if event.button() == Qt.MouseButton.MiddleButton:  # pan with the middle button
            self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
            fake = type(event)(
                event.type(),
                event.position(),
                event.globalPosition(),
                Qt.MouseButton.LeftButton,
                Qt.MouseButton.LeftButton,
                event.modifiers(),
            )
            super().mousePressEvent(fake)
            return
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: Any) -> None:
        super().mouseReleaseEvent(event)
        if self.dragMode() == QGraphicsView.DragMode.ScrollHandDrag:
            self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)

    def wheelEvent(self, event: Any) -> None:
        factor = 1.15 if event.angleDelta().y() > 0 else 1 / 1.15
        self.zoom(factor)

    def zoom(self, factor: float) -> None:
        scale = self.transform().m11() * factor
        if 0.1 <= scale <= 5.0:
            self.scale(factor, factor)

    def fit(self) -> None:
        rect = self.scene().itemsBoundingRect().adjusted(-40, -40, 40, 40)
        if rect.isValid() and not rect.isEmpty():
            self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
            if self.transform().m11() > 1.5:
                self.resetTransform()
                self.scale(1.5, 1.5)
                self.centerOn(rect.center())

    def centre_on_block(self, bid: str) -> None:
        scene = self.scene()
        assert isinstance(scene, DiagramScene)
        item = scene.blocks.get(bid)
        if item is not None:
            scene.clearSelection()
            item.setSelected(True)
            self.centerOn(item)
