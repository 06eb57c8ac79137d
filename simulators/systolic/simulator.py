"""``SystolicSimulator``: the systolic-array family behind ``archgym simulate systolic`` and
``Systolic-v1``: SCALE-Sim-compatible fold arithmetic, an analytical roofline model vectorised
over designs × layers (numpy or torch, :mod:`.network`) and a fold-level cycle model (:mod:`.cycle`)."""

from __future__ import annotations

from archgym.space import DesignSpace
from archgym.workload import Workload
from simulators.common.family import Designs, Family, ModelOutput, loop
from simulators.systolic import network
from simulators.systolic.bounds import BOUNDS
from simulators.systolic.hardware import PRESETS, SystolicConfig
from simulators.systolic.space import CONSTANTS, build_space


class SystolicSimulator(Family):
    """Systolic arrays (TPU/Eyeriss-like, SCALE-Sim compatible): R×C PEs with os/ws/is dataflows,
    three double-buffered SRAMs and a DRAM interface."""

    name = "systolic"
    workload_needs = "layers"
    default_preset = "tpu-v1"
    fidelities = ("analytical", "cycle", "scalesim")   # scalesim: cycle level, SCALE-Sim's own buffers
    version = "2"   # 2: prologue/epilogue buffer-independent (first fold in, last fold out); cycle reads = traffic
    parameters = (*network.HW_NUMERIC, *CONSTANTS)
    bounds = BOUNDS

    def presets(self) -> dict[str, SystolicConfig]:
        return dict(PRESETS)

    def space(self, workload: Workload, preset: str | None = None, mapping: str = "auto") -> DesignSpace:
        return build_space(self.preset(preset), workload, self.check_mapping(mapping))

    def model(self, designs: Designs, workload: Workload, fidelity: str) -> ModelOutput:
        """Analytical: one array pass over designs × GEMMs (designs as dicts, or name → numpy array, or
        torch tensors with integer codes for dataflow 0/1/2 = os/ws/is and fold order 0/1/2 =
        auto/col/row, to run on a GPU). Cycle: the fold walks of the whole batch as one array pass
        (:mod:`.cycle_batch`); scalesim: SCALE-Sim's buffers, one design at a time (:func:`.cycle.evaluate`);
        both sum their per-GEMM timings into the network with :func:`.cycle_network.assemble`."""
        if fidelity == "analytical":
            return network.model(designs, workload)
        if fidelity == "cycle":
            from simulators.systolic import cycle_batch

            return cycle_batch.evaluate(designs, workload)
        from simulators.systolic import cycle

        return loop(designs, lambda d: cycle.evaluate(d, workload, "scalesim"))
