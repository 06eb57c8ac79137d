"""``PIMSimulator``: bank-level processing-in-memory (HBM-PIM, GDDR6-AiM, AttAcc, GeniePIM-style
LPDDR5X, DDR4) behind ``archgym simulate pim`` and ``archgym/PIM-v0``.

GEMVs (decode-time linear layers, attention over the KV cache) run on PIM units next to the
banks or on the host; element-wise operators run on the host. The analytical model
(:mod:`.gemv`, :mod:`.analytical`) is vectorised over designs × operators; the cycle model
(:mod:`.cycle`) simulates the DRAM commands of the same mapping. Both report the host-only
baseline (``host_latency_s``) and ``speedup_vs_host``.
"""

from __future__ import annotations

from archgym.errors import UnknownNameError
from archgym.space import DesignSpace
from archgym.workload import Workload
from simulators.common.family import Designs, Family, ModelOutput
from simulators.pim import analytical, single
from simulators.pim.bounds import BOUNDS
from simulators.pim.hardware import HW_PARAMS, PRESETS, PIMConfig
from simulators.pim.space import build_space

#: value types of a design that :func:`.analytical.evaluate` may read as columns of one entry directly
_SCALARS = frozenset({int, float, str, bool})


class PIMSimulator(Family):
    """Bank-level processing-in-memory (HBM-PIM / GDDR6-AiM / AttAcc class) with a host for the
    rest: GEMV placement, split-K, DRAM-command timing and the host-only baseline."""

    name = "pim"
    workload_needs = "layers"
    default_preset = "hbm-pim"
    fidelities = ("analytical", "cycle")
    version = "1"
    parameters = (*HW_PARAMS, "act_mode", "preset")
    bounds = BOUNDS

    def presets(self) -> dict[str, PIMConfig]:
        return dict(PRESETS)

    def space(self, workload: Workload, preset: str | None = None, mapping: str = "auto") -> DesignSpace:
        return build_space(self.preset(preset), workload, self.check_mapping(mapping))

    def model(self, designs: Designs, workload: Workload, fidelity: str) -> ModelOutput:
        """Both fidelities run over the whole batch (the cycle level simulates each distinct
        (job, mapping, hardware) once)."""
        one = designs.one
        plain = one is not None and all(type(v) in _SCALARS for v in one.values())
        if one is not None and plain:
            cols, name = one, str(one["preset"])    # plain scalars: their own columns (numpy reads each as one entry)
        else:
            cols, name = designs.columns, str(designs.single("preset"))
        if name not in PRESETS:
            raise UnknownNameError(f"pim preset: {name!r} is not known; allowed: {', '.join(PRESETS)}")
        cfg = PRESETS[name]
        fast = single.evaluate(cfg, cols, workload) if plain and fidelity == "analytical" else None
        if fast is not None:    # one compiled call (:mod:`.single`); the per-layer rows from the array path when read
            return ModelOutput(fast[0], fast[1], lambda: analytical.evaluate(cfg, cols, 1, workload).layer_rows(),
                               lambda: {"preset": name})
        cost = analytical.evaluate(cfg, cols, designs.n, workload, fidelity)
        return ModelOutput(cost.metrics, cost.violations, cost.layer_rows, lambda: {"preset": name})

