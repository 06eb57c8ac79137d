"""Network metrics of the cycle-level systolic model from per-GEMM timings, over designs × GEMMs.

Both cycle-level paths end here: the ``cycle`` fidelity's batch (:mod:`.cycle_batch`, compiled fold
walks) and one design under any memory model (:func:`.cycle.evaluate`: the ``scalesim`` fidelity and
the tests' reference walk) hand over the :class:`.cycle.GemmTiming` fields of every (design, GEMM) as
``(designs, GEMMs)`` arrays. GEMMs are summed into the network in layer order (energies and mapping
efficiencies left to right, :func:`.common.arrays.sequential_sum`: the floating-point result of adding
GEMM by GEMM), so a design's metrics do not depend on the batch it is in.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np

from simulators.common.arrays import sequential_sum
from simulators.common.family import LayerRows
from simulators.common.technology import get_tech
from simulators.systolic.analytical import REG_ACCESSES_PER_MAC
from simulators.systolic.hardware import DATAFLOWS, area_mm2, peak_ops_per_s
from simulators.systolic.network import GemmStack

_BUFFERS = ("ifmap", "filter", "ofmap")
#: each buffer's SRAM access field and DRAM transfer field (reads, except the ofmap's writes)
_ACCESS = {b: ("writes" if b == "ofmap" else "reads") for b in _BUFFERS}


def assemble(t: Mapping[str, np.ndarray], df: np.ndarray, use_row: np.ndarray, stack: GemmStack,
             cols: Mapping[str, np.ndarray], wb: int, tech: str) -> tuple[dict[str, np.ndarray], LayerRows]:
    """Metrics of every design (arrays over the designs) and a builder of design 0's per-GEMM rows.

    ``t``: the :class:`.cycle.GemmTiming` fields, in its order, each ``(designs, GEMMs)``; ``df``,
    ``use_row``: each GEMM's dataflow code and whether it runs row folds outer, ``(designs, GEMMs)``;
    ``cols``: the design columns ``rows``, ``cols``, ``*_kb``, ``clock_mhz`` (``(designs,)``); one
    word size ``wb`` (bytes) and technology for all."""
    r = stack.repeat
    tn = get_tech(tech)
    kb = {b: cols[f"{b}_kb"].astype(np.float64) for b in _BUFFERS}
    e_sram = {b: _sram_pj(tech, kb[b], wb)[:, None] for b in _BUFFERS}
    sram = {b: t[f"sram_{b}_{_ACCESS[b]}"] + t[f"dram_{b}_{_ACCESS[b]}"] for b in _BUFFERS}
    dram = t["dram_ifmap_reads"] + t["dram_filter_reads"] + t["dram_ofmap_writes"]
    energy = stack.macs * (tn.mac_pj(wb) + REG_ACCESSES_PER_MAC * tn.reg_pj(wb))
    energy = energy + r * (sram["ifmap"] * e_sram["ifmap"] + sram["filter"] * e_sram["filter"]
                           + sram["ofmap"] * e_sram["ofmap"] + dram * wb * tn.dram_pj_per_byte)
    total = t["prologue_cycles"] + t["compute_cycles"] + t["stall_cycles"] + t["epilogue_cycles"]
    cycles = np.maximum((r * total).sum(axis=1), 1)
    compute = (r * t["compute_cycles"]).sum(axis=1)
    nfolds = (r * t["folds"]).sum(axis=1)
    clock_mhz = cols["clock_mhz"].astype(np.float64)
    latency = cycles / (clock_mhz * 1e6)
    rows, pe_cols = cols["rows"].astype(np.int64), cols["cols"].astype(np.int64)
    macs = stack.macs_total
    metrics = {
        "latency_s": latency, "cycles": cycles.astype(np.float64), "compute_cycles": compute.astype(np.float64),
        "stall_cycles": (cycles - compute).astype(np.float64), "energy_j": sequential_sum(energy) * 1e-12,
        "area_mm2": area_mm2(rows, pe_cols, kb["ifmap"], kb["filter"], kb["ofmap"], wb, tech),
        "peak_ops_per_s": peak_ops_per_s(rows, pe_cols, clock_mhz),
        "throughput_ops_per_s": 2 * macs / latency, "throughput_inf_per_s": 1 / latency,
        "utilization": macs / (cycles * rows * pe_cols),
        "mapping_efficiency": sequential_sum(r * t["mapping_efficiency"] * t["folds"]) / np.maximum(nfolds, 1),
        "dram_bytes": ((r * dram).sum(axis=1) * wb).astype(np.float64),
        "sram_bytes": ((r * (sram["ifmap"] + sram["filter"] + sram["ofmap"])).sum(axis=1) * wb).astype(np.float64),
    }
    return metrics, lambda: _gemm_rows(stack, df[0], use_row[0], {k: v[0] for k, v in t.items()}, total[0], energy[0])


def _gemm_rows(stack: GemmStack, df: np.ndarray, use_row: np.ndarray, t: Mapping[str, np.ndarray],
              total: np.ndarray, energy_pj: np.ndarray) -> list[dict[str, Any]]:
    """One design's per-GEMM rows (``Result.layers`` of the cycle-level fidelities): the GEMM, its
    mapping, its timing fields ``t`` (in order) and its total cycles and energy."""
    fields = [v.tolist() for v in t.values()]
    return [{"name": stack.names[layer], "m": m, "k": k, "n": n, "repeat": rep, "dataflow": DATAFLOWS[code],
             "fold_order": "row" if row else "col", **dict(zip(t, values)), "cycles": cyc, "energy_j": e * 1e-12}
            for layer, m, k, n, rep, code, row, cyc, e, *values in zip(
                stack.layer.tolist(), stack.m.tolist(), stack.k.tolist(), stack.n.tolist(), stack.repeat.tolist(),
                df.tolist(), use_row.tolist(), total.tolist(), energy_pj.tolist(), *fields)]


def _sram_pj(tech: str, kb: np.ndarray, wb: int) -> np.ndarray:
    """``wb ·`` SRAM pJ/byte of every design's buffer (:func:`_sram_pj_one` per design)."""
    return np.array([_sram_pj_one(tech, wb, v) for v in kb.tolist()])


@functools.lru_cache(maxsize=4096)
def _sram_pj_one(tech: str, wb: int, kb: float) -> float:
    """``wb ·`` SRAM pJ/byte of one buffer size, computed on a scalar (its log/exp then round the same
    whatever the batch), once per size."""
    return wb * float(get_tech(tech).sram_pj_per_byte(kb))
