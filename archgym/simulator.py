"""The simulator contract every family implements, and the registry that finds them.

A simulator is pure: ``design × workload → Result``. It never touches files or global state
in ``evaluate``; it offers presets of real devices, the design space it explores for a
workload, and a batched path over many designs.

Mapping modes (the ``mapping`` argument of :meth:`Simulator.space`):
  ``auto``       hardware parameters only; the simulator picks each layer's mapping with its
                 own best heuristic (``Systolic-v1``-style search).
  ``shared``     hardware × one mapping used by every layer.
  ``per-layer``  hardware × one mapping per layer (co-optimisation, ``*Mapping-v0``).
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from archgym.errors import ConfigError, UnknownNameError
from archgym.metrics import BatchResult, Result
from archgym.space import Design, DesignSpace
from archgym.workload import Workload

FIDELITIES = ("analytical", "cycle")
#: every fidelity some family offers: the common two, and the systolic family's ``scalesim``
#: (cycle level with SCALE-Sim's own buffer behaviour); each family lists its own in ``fidelities``
KNOWN_FIDELITIES = (*FIDELITIES, "scalesim")
MAPPING_MODES = ("auto", "shared", "per-layer")


class Simulator(ABC):
    """Base class of every simulator family (systolic, pim, rdu, fpga, proxy)."""

    #: registry name, e.g. ``"systolic"``
    name: str = ""
    #: fidelities this simulator offers
    fidelities: tuple[str, ...] = FIDELITIES
    #: preset used when none is named
    default_preset: str = ""
    #: model version, bumped whenever the simulator's numbers change
    version: str = "1"

    @abstractmethod
    def presets(self) -> dict[str, Any]:
        """Preset name → hardware configuration (a frozen dataclass with units and a source)."""

    @abstractmethod
    def space(self, workload: Workload, preset: str | None = None, mapping: str = "auto") -> DesignSpace:
        """The design space explored for ``workload``; its defaults are the preset's values."""

    @abstractmethod
    def evaluate(self, design: Mapping[str, Any], workload: Workload,
                 fidelity: str = "analytical") -> Result:
        """Evaluate one complete design (a dict over :meth:`space` parameters)."""

    def evaluate_batch(self, designs: Sequence[Mapping[str, Any]] | Mapping[str, np.ndarray],
                       workload: Workload, fidelity: str = "analytical") -> BatchResult:
        """Evaluate many designs; families override this with a vectorised path.

        ``designs`` is a list of design dicts or a mapping of parameter name → value array.
        """
        if isinstance(designs, Mapping):
            n = len(next(iter(designs.values()))) if designs else 0
            lists = {k: np.asarray(v).tolist() for k, v in designs.items()}    # numpy scalars → Python
            designs = [{k: v[i] for k, v in lists.items()} for i in range(n)]
        return BatchResult.from_results([self.evaluate(d, workload, fidelity) for d in designs])

    def model_version(self, fidelity: str) -> str:
        """Version of the model behind ``fidelity`` (recorded with every result); the class's ``version``."""
        return self.version

    # -- helpers shared by every family --------------------------------------------------------
    def preset(self, name: str | None) -> Any:
        name = name or self.default_preset
        presets = self.presets()
        if name not in presets:
            raise UnknownNameError(f"{self.name} preset: {name!r} is not known; allowed: {', '.join(presets)}")
        return presets[name]

    def check_fidelity(self, fidelity: str) -> str:
        if fidelity not in self.fidelities:
            raise ConfigError.bad_value("fidelity", fidelity, self.fidelities)
        return fidelity

    def check_mapping(self, mapping: str) -> str:
        if mapping not in MAPPING_MODES:
            raise ConfigError.bad_value("mapping", mapping, MAPPING_MODES)
        return mapping

    def design_for(self, workload: Workload, preset: str | None = None,
                   overrides: Mapping[str, Any] | None = None, mapping: str = "auto") -> Design:
        """The preset's design with ``overrides`` (``--set key=value``) applied and checked."""
        return self.space(workload, preset, mapping).complete(dict(overrides or {}))

    def describe(self) -> str:
        """The class docstring's first paragraph on one line (its whole summary, not its first line)."""
        paragraph = (self.__doc__ or "").strip().split("\n\n")[0]
        return " ".join(paragraph.split()) or self.name


#: family name → "module:Class", imported on first use so ``import archgym`` stays light.
#: A plain dict: a new family is one entry (``SIMULATORS["dram"] = "simulators.dram:DRAMSimulator"``).
SIMULATORS: dict[str, str] = {
    "systolic": "simulators.systolic:SystolicSimulator",
    "pim": "simulators.pim:PIMSimulator",
    "rdu": "simulators.rdu:RDUSimulator",
    "fpga": "simulators.fpga:FPGASimulator",
    "dram": "simulators.dram:DRAMSimulator",
    "loopnest": "simulators.loopnest:LoopNestSimulator",
}

#: backend scheme → "module:callable" taking the text after ``SCHEME:`` and returning a
#: :class:`Simulator` (like Gymnasium's entry points): ``proxy:DIR`` loads a fitted proxy.
BACKENDS: dict[str, str] = {
    "proxy": "cost_models.proxy:load_proxy_simulator",
}


def load_entry_point(entry: str) -> Any:
    """The object named by ``"module:attribute"``; an ImportError in the module surfaces as is."""
    module_name, _, attr = entry.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def get_simulator(name: str | Simulator) -> Simulator:
    """Instantiate a registered family (``"systolic"``) or a backend (``"proxy:DIR"``)."""
    if isinstance(name, Simulator):
        return name
    scheme, sep, rest = name.partition(":")
    if sep:
        if scheme not in BACKENDS:
            raise UnknownNameError(f"simulator backend: {scheme!r} is not known; allowed: "
                                   f"{', '.join(f'{b}:...' for b in BACKENDS)}")
        return load_entry_point(BACKENDS[scheme])(rest)
    if name not in SIMULATORS:
        allowed = [*SIMULATORS, *(f"{b}:..." for b in BACKENDS)]
        raise UnknownNameError(f"simulator: {name!r} is not known; allowed: {', '.join(allowed)}")
    return load_entry_point(SIMULATORS[name])()
