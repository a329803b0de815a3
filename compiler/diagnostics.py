"""Every problem of a model, for the editor's diagnostics panel.

:func:`diagnostics` never raises for a problem of the model: it returns them
as a list, each a :class:`~vtc.compiler.errors.ModelError` whose ``path``
names the block to highlight (``None`` for a problem of the whole model).

This lives beside the driver rather than in :mod:`vtc.compiler.model`
because finding algebraic loops needs the lowering (the model package never
imports the compiler's front end).
"""

from __future__ import annotations

from vtc.blocks.registry import Registry
from vtc.compiler.driver import DEFAULT_TARGET, check_ports
from vtc.compiler.errors import ModelError, VtcError, VtcErrors
from vtc.compiler.frontend.lower import lower
from vtc.compiler.machine.target import load_target
from vtc.compiler.model.elaborate import elaborate
from vtc.compiler.model.model import Model

__all__ = ["diagnostics"]


def _as_model_errors(exc: VtcError, file: str) -> list[ModelError]:
    errors = exc.errors if isinstance(exc, VtcErrors) else (exc,)
    return [
        e if isinstance(e, ModelError) else ModelError(e.message, file=file, notes=e.notes)
        for e in errors
    ]


def diagnostics(
    model: Model,
    file: str = "<model>",
    *,
    reg: Registry | None = None,
    target: str | None = None,
) -> list[ModelError]:
    """Every problem of the model, without raising.

    First elaboration (unknown block types, invalid parameters, wires to
    missing ports, unconnected inputs, duplicate port numbers, widths), every
    problem it finds. Only when that succeeds: the target (``target``, else
    the model's, else the default), whether the model's ports fit it, and the
    lowering, which finds algebraic loops (one at a time).

    Returns
    -------
    The problems in that order; empty when the model compiles as far as the
    lowering (assembling can still find a program too large for the target).
    """
    try:
        diagram = elaborate(model, file, reg)
    except VtcError as exc:
        return _as_model_errors(exc, file)
    found: list[ModelError] = []
    name = target or model.target or DEFAULT_TARGET
    try:
        tgt = load_target(name)
    except VtcError as exc:
        return [ModelError(f"target '{name}': {exc.message}", file=file, notes=exc.notes)]
    try:
        check_ports(diagram, tgt, file)
    except VtcError as exc:
        found.extend(_as_model_errors(exc, file))
    try:
        lower(diagram, precision=tgt.precision, samples_per_run=model.samples_per_run, file=file)
    except VtcError as exc:
        found.extend(_as_model_errors(exc, file))
    return found
