"""Latency and energy of networks on sub-accelerators: every layer's mapping searched
exhaustively by the loop-nest model, memoised per (layer shape, sub-accelerator).

A network is a :class:`~archgym.workload.Workload`; its latency is the sum of its layers' cycles
(layers run one after another) over the clock, its energy the sum of theirs. Architectures of one
space share most layer shapes, so a table over hundreds of networks searches each shape once per
sub-accelerator, all shapes of a sub-accelerator in one batched search.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from archgym.workload import Workload
from simulators.hetero.templates import SubAccel, machine
from simulators.loopnest import search
from simulators.loopnest.problem import LoopLayer
from simulators.loopnest.simulator import loop_layers

#: what each layer's mapping search minimises (the loop-nest default)
MAPPING_OBJECTIVE = "edp"

#: (layer shape, sub-accelerator) → (cycles, energy pJ, mapping fits)
_MEMO: dict[tuple[LoopLayer, SubAccel], tuple[float, float, bool]] = {}


@dataclass
class Table:
    """Per (network, sub-accelerator): ``latency_s``, ``energy_j`` and ``valid`` (every layer's
    mapping fits), each ``(networks, subs)``; ``area_mm2`` per sub-accelerator."""

    latency_s: np.ndarray
    energy_j: np.ndarray
    valid: np.ndarray
    area_mm2: np.ndarray


def shapes(workload: Workload) -> list[LoopLayer]:
    """The workload's MAC layers without their names (the memo key)."""
    return [replace(layer, name="") for layer in loop_layers(workload)]


def table(workloads: Sequence[Workload], subs: Sequence[SubAccel]) -> Table:
    """Latency, energy and validity of every workload on every sub-accelerator."""
    nets = [shapes(w) for w in workloads]
    lat = np.zeros((len(nets), len(subs)))
    energy = np.zeros((len(nets), len(subs)))
    valid = np.ones((len(nets), len(subs)), dtype=bool)
    area = np.zeros(len(subs))
    for j, sub in enumerate(subs):
        hw = machine(sub)
        area[j] = hw.area_mm2()
        todo = list(dict.fromkeys(s for net in nets for s in net if (s, sub) not in _MEMO))
        if todo:
            for shape, res in zip(todo, search.best_mappings(todo, hw, MAPPING_OBJECTIVE)):
                c = res.costs
                _MEMO[(shape, sub)] = (float(c.cycles[0]), float(c.energy_pj[0]), bool(c.valid[0]))
        for i, net in enumerate(nets):
            rows = [_MEMO[(s, sub)] for s in net]
            lat[i, j] = sum(r[0] for r in rows) / hw.clock_hz
            energy[i, j] = sum(r[1] for r in rows) * 1e-12
            valid[i, j] = all(r[2] for r in rows)
    return Table(lat, energy, valid, area)
