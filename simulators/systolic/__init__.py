"""Systolic-array simulators (SCALE-Sim v3 compatible).

An R×C array of MAC PEs with output-, weight- and input-stationary dataflows, three
double-buffered SRAMs (ifmap, filter, ofmap) and a DRAM interface. :mod:`.folds` holds the fold
arithmetic, :mod:`.traffic` the SRAM/DRAM traffic, :mod:`.analytical` the vectorised roofline
model, :mod:`.cycle` the fold-level cycle model, :mod:`.scalesim_io` SCALE-Sim's file formats.
"""

from simulators.systolic.hardware import PRESETS, SystolicConfig
from simulators.systolic.simulator import SystolicSimulator

__all__ = ["PRESETS", "SystolicConfig", "SystolicSimulator"]
