"""The cycle-accurate simulator of ViSARD images (target.md sections 2-4).

It runs the decoded image set, never the assembler's objects, and imports
nothing from :mod:`vtc.compiler.asm`: it is the independent oracle.
"""

from vtc.compiler.sim.simulator import Inputs, Observer, RunInfo, SimResult, Simulator
from vtc.compiler.sim.state import SimState, load_state, save_state
from vtc.compiler.sim.streams import Port, PortTable, format_csv, parse_csv, port_table

__all__ = [
    "Inputs",
    "Observer",
    "Port",
    "PortTable",
    "RunInfo",
    "SimResult",
    "SimState",
    "Simulator",
    "format_csv",
    "load_state",
    "parse_csv",
    "port_table",
    "save_state",
]
