"""vtc-extra-blocks: an example third-party block library for vtc.

The package registers its blocks with vtc through the entry point
``extra = "vtc_extra_blocks:BLOCKS"`` in the group ``vtc.blocks`` (see its
``pyproject.toml``): once it is installed, ``vtc blocks``, the editor's palette
and the compiler know the type names below, with no change to vtc.

* ``extra.rms``: RMS detector (exponentially weighted mean square, square root).
* ``extra.lowpass1``: first-order low-pass filter given by ``fc`` and ``Ts``.
* ``extra.deadband``: dead band (zero inside ``[lower, upper]``).
"""

from __future__ import annotations

from vtc.blocks.api import Block
from vtc_extra_blocks.blocks import MIN_ALPHA, Deadband, Lowpass1, Rms, lowpass_alpha

__all__ = ["BLOCKS", "MIN_ALPHA", "Deadband", "Lowpass1", "Rms", "__version__", "lowpass_alpha"]

__version__ = "0.1.0"

#: Every block type of the library: the value of the entry point.
BLOCKS: tuple[type[Block], ...] = (Rms, Lowpass1, Deadband)
