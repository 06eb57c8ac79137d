"""Reconfigurable dataflow units (Plasticine → SambaNova SN10/SN30/SN40L).

A spatial dataflow chip of pattern compute units (PCUs, lanes × stages of SIMD), pattern memory
units (PMUs, banked SRAM) and a switch network over an SRAM/HBM/DDR hierarchy; several sockets
linked for tensor and pipeline parallelism. The workload's operator graph is cut into sections
that each fit on the chip; kernels of a section run as a fused pipeline (see :mod:`.analytical`
and :mod:`.cycle`; mappers in :mod:`.mapping`).
"""

from simulators.rdu.hardware import PRESETS, RDUConfig
from simulators.rdu.simulator import RDUSimulator

__all__ = ["PRESETS", "RDUConfig", "RDUSimulator"]
