"""DRAM memory-controller simulators (DDR3/DDR4/LPDDR4/GDDR6/HBM2 with DRAMSys/ArchGym knobs).

:mod:`.devices` timing/current presets and the DRAMsim3 ``.ini`` reader, :mod:`.controller` the
knobs, :mod:`.traces` trace generators and readers, :mod:`.addressing` address mapping,
:mod:`.cycle` the command-level model, :mod:`.analytical` the fast model, :mod:`.energy`
DRAMPower-style energy, :mod:`.space` the design space and :mod:`.simulator` the simulator.
"""

from simulators.dram.simulator import DRAMSimulator

__all__ = ["DRAMSimulator"]
