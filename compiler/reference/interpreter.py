"""The reference interpreter (models.md section 1).

It evaluates a model step by step in the target precision with NumPy, block
by block, from each block's reference semantics (:meth:`Block.output`,
:meth:`Block.update`). It finds its own evaluation order (blocks without
direct feedthrough first, then every block whose inputs are known), so it
shares no scheduling or lowering code with the compiler. It never imports
the compiler.

Inputs are converted as the hardware converts them (the inport's format,
then the target precision) and outputs as the outport's format says, so the
results compare bit for bit with the simulated program.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from vtc.blocks.api import BlockError, Vec
from vtc.compiler.errors import ModelError
from vtc.compiler.model.elaborate import Diagram, Inst
from vtc.compiler.model.ports import ModelPort, model_ports
from vtc.compiler.reference.context import NumpyContext

__all__ = ["Interpreter", "ReferenceResult"]

_STRUCTURAL_IO = ("std.inport", "std.outport")


@dataclass(frozen=True)
class ReferenceResult:
    """What the reference interpreter computed.

    Attributes
    ----------
    outputs:
        CSV column -> the output stream (one value per step), in port order.
    steps:
        Steps run.
    scopes:
        Scope block path -> its input at every step (a list of 1-D arrays).
    """

    outputs: dict[str, list[float]]
    steps: int
    scopes: dict[str, list[Vec]] = field(default_factory=dict)


class Interpreter:
    """Runs an elaborated model.

    Parameters
    ----------
    diagram:
        The model's top level, from :func:`~vtc.compiler.model.elaborate.elaborate`.
    precision:
        The target precision, ``"single"`` or ``"double"``.
    file:
        Named in error messages.
    """

    def __init__(self, diagram: Diagram, precision: str, file: str = "<model>") -> None:
        self.diagram = diagram
        self.ctx = NumpyContext(precision)
        self.file = file
        self.inputs, self.outputs = model_ports(diagram, precision)
        self.states: dict[str, Vec] = {}
        self._orders: dict[int, list[Inst]] = {}
        self._init_states(diagram)

    def _init_states(self, diagram: Diagram) -> None:
        for inst in diagram.insts:
            if inst.body is not None:
                self._init_states(inst.body)
            elif inst.state_size:
                init = inst.block.initial_state(inst.params, inst.in_widths)
                self.states[inst.path] = self.ctx.const(list(init) or [0.0])

    def _fail(self, inst: Inst, message: str) -> ModelError:
        return ModelError(message, file=self.file, path=inst.path, block_type=inst.type)

    def _order(self, diagram: Diagram) -> list[Inst]:
        """Blocks in an order where every input is computed before it is read."""
        key = id(diagram)
        if key in self._orders:
            return self._orders[key]
        ready: set[str] = set()
        order: list[Inst] = []
        rest = []
        for inst in diagram.insts:
            if inst.type == "std.inport" or not inst.feedthrough:
                order.append(inst)
                ready.add(inst.path)
            else:
                rest.append(inst)
        while rest:
            left = []
            for inst in rest:
                if all(s.path in ready for s in inst.sources.values()):
                    order.append(inst)
                    ready.add(inst.path)
                else:
                    left.append(inst)
            if len(left) == len(rest):
                names = ", ".join(i.path for i in left)
                raise self._fail(
                    left[0], f"algebraic loop: these blocks wait for each other: {names}"
                )
            rest = left
        self._orders[key] = order
        return order

    def _eval(
        self,
        diagram: Diagram,
        given: Mapping[str, Vec],
        scopes: dict[str, list[Vec]] | None,
    ) -> dict[str, Vec]:
        """One step (or iteration) of a diagram: outport path -> value."""
        ctx = self.ctx
        env: dict[tuple[str, str], Vec] = {}
        order = self._order(diagram)
        for inst in order:
            if inst.type == "std.inport":
                env[(inst.path, "out")] = given[inst.path]
                continue
            if inst.type == "std.outport":
                continue
            u = (
                {p: env[(s.path, s.port)] for p, s in inst.sources.items()}
                if inst.feedthrough
                else {}
            )
            if inst.body is not None:
                outs = self._loop(inst, u, scopes)
            else:
                x = self.states.get(inst.path, ctx.const([]))
                try:
                    outs = inst.block.output(inst.params, ctx, u, x)
                except BlockError as exc:
                    raise self._fail(inst, str(exc)) from None
                if inst.type == "std.scope" and scopes is not None:
                    scopes.setdefault(inst.path, []).append(u["in"].copy())
            for port in inst.outputs:
                env[(inst.path, port)] = _width(outs[port], inst.out_widths[port], ctx)
        result = {}
        for path in diagram.outports:
            src = diagram.inst(path).sources["in"]
            result[path] = env[(src.path, src.port)]
        for inst in order:
            if inst.state_size and inst.body is None:
                u = {p: env[(s.path, s.port)] for p, s in inst.sources.items()}
                new = inst.block.update(inst.params, ctx, u, self.states[inst.path])
                self.states[inst.path] = np.asarray(new, dtype=ctx.dtype).reshape(-1)
        return result

    def _loop(
        self, inst: Inst, u: Mapping[str, Vec], scopes: dict[str, list[Vec]] | None
    ) -> dict[str, Vec]:
        body = inst.body
        assert body is not None
        given = {path: u[port] for port, path in zip(inst.inputs, body.inports, strict=True)}
        last: dict[str, Vec] = {}
        for k in range(body.count):
            if body.index is not None:
                given[body.index] = self.ctx.const([float(k)])
            last = self._eval(body, given, scopes)
        return {port: last[path] for port, path in zip(inst.outputs, body.outports, strict=True)}

    def run(
        self, steps: int, inputs: Mapping[str, Sequence[float]] | None = None
    ) -> ReferenceResult:
        """Run ``steps`` steps (continuing from the current state).

        Parameters
        ----------
        inputs:
            CSV column -> input stream (values as seen outside the port).

        Raises
        ------
        ModelError
            An input stream that is missing or runs out, an unknown column, an
            algebraic loop.
        """
        inputs = inputs or {}
        known = {p.column for p in self.inputs}
        for column in inputs:
            if column not in known:
                raise ModelError(
                    f"the model has no input '{column}' (its inputs: "
                    f"{', '.join(sorted(known)) or 'none'})",
                    file=self.file,
                )
        streams = {
            p.column: [p.format.quantize(float(v)) for v in inputs.get(p.column, ())]
            for p in self.inputs
        }
        outputs: dict[str, list[float]] = {p.column: [] for p in self.outputs}
        scopes: dict[str, list[Vec]] = {}
        by_block: dict[str, list[ModelPort]] = {}
        for p in self.inputs:
            by_block.setdefault(p.path, []).append(p)
        for step in range(steps):
            given = {}
            for path, ports in by_block.items():
                values = []
                for p in ports:
                    stream = streams[p.column]
                    if step >= len(stream):
                        raise ModelError(
                            f"input '{p.column}' has {len(stream)} values; step {step + 1} "
                            "needs one more",
                            file=self.file,
                        )
                    values.append(stream[step])
                given[path] = self.ctx.const(values)
            result = self._eval(self.diagram, given, scopes)
            for p in self.outputs:
                value = float(result[p.path][p.element])
                outputs[p.column].append(p.format.quantize(value))
        return ReferenceResult(outputs, steps, scopes)


def _width(value: Vec, width: int, ctx: NumpyContext) -> Vec:
    arr = np.asarray(value, dtype=ctx.dtype).reshape(-1)
    if arr.shape[0] == width:
        return arr
    if arr.shape[0] == 1:
        return np.repeat(arr, width)
    raise ValueError(f"internal error: a block gave {arr.shape[0]} values for width {width}")
