"""Bank-level processing-in-memory simulators (HBM-PIM, GDDR6-AiM, AttAcc, GeniePIM-style).

:mod:`.hardware` holds the configuration and presets, :mod:`.gemv` the analytical GEMV model
(vectorised over designs), :mod:`.mapping` the lowering of operators to PIM jobs,
:mod:`.analytical` the whole-workload model, :mod:`.cycle` the DRAM-command simulator,
:mod:`.space` the design space and :mod:`.models` decoder workloads of the OPT family.
"""

from simulators.pim.hardware import PRESETS, PIMConfig
from simulators.pim.simulator import PIMSimulator

__all__ = ["PRESETS", "PIMConfig", "PIMSimulator"]
