"""The error every bitstream tool raises: a :class:`~vtc.compiler.errors.VtcError`."""

from __future__ import annotations

from vtc.compiler.errors import VtcError

__all__ = ["BitstreamError"]


class BitstreamError(VtcError):
    """A bitstream, snapshot, table image or region that cannot be used.

    Always raised with ``where=`` naming the file (or the option) at fault.
    """
