"""Closed-form model of a systolic array (a roofline with the memory hierarchy), vectorised
over designs: every array argument has one entry per design (numpy or torch).

Per GEMM: compute cycles from the fold arithmetic (:mod:`.folds`); DRAM words from
:mod:`.traffic`; each SRAM has its own DRAM port of ``dram_bw`` words/cycle (SCALE-Sim's
convention). Time = prologue (the first fold's operand slabs) + max(compute, each port's
remaining transfer time) + epilogue (drain the last fold's outputs); see :mod:`.traffic`.
Layers run one after another.

Energy (pJ → J): MACs × E_MAC + 2 register accesses per MAC × E_reg + SRAM words (array
side and DRAM side) × E_SRAM(size) + DRAM words × E_DRAM (see :mod:`simulators.common.technology`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from archgym.workload import Gemm
from simulators.common.arrays import ceil_div, maximum, stack, to_float
from simulators.common.technology import get_tech
from simulators.systolic.folds import folds, sram_counts
from simulators.systolic.hardware import area_mm2, peak_ops_per_s
from simulators.systolic.traffic import active_words, traffic

REG_ACCESSES_PER_MAC = 2  # operand hop into the PE + partial-sum update
BUFFERS = ("ifmap", "filter", "ofmap")


@dataclass
class LayerCost:
    """Per-layer arrays (one entry per design) of one layer's GEMMs summed."""

    cycles: Any = 0
    compute_cycles: Any = 0
    stall_cycles: Any = 0
    macs: float = 0.0
    used_pe_cycles: Any = 0      # Σ S_R·S_C·fold-count weights for mapping efficiency
    folds: Any = 0
    sram_words: dict[str, Any] = field(default_factory=dict)
    dram_words: dict[str, Any] = field(default_factory=dict)
    energy_pj: Any = 0
    tile_folds_used: Any = 1     # largest SRAM tile (outer folds) used by the layer's GEMMs


def prepare(hw: Mapping[str, Any], word_bytes: int, tech: str) -> dict[str, Any]:
    """``hw`` plus per-design constants used by every GEMM: active-half words of each SRAM
    (``act_*``) and SRAM energy per word (``e_*``, pJ)."""
    out = dict(hw)
    kb = stack([hw[f"{b}_kb"] for b in BUFFERS])       # the three SRAMs in one array pass
    act = active_words(kb, word_bytes)
    energy = word_bytes * get_tech(tech).sram_pj_per_byte(to_float(kb))
    for i, b in enumerate(BUFFERS):
        out[f"act_{b}"], out[f"e_{b}"] = act[i], energy[i]
    return out


def gemm_cost(g: Gemm | Any, hw: Mapping[str, Any], df: Any, order: Any, word_bytes: int, tech: str,
              tile: Any = 1) -> LayerCost:
    """Analytical cost of one GEMM (``repeat`` times) for every design in ``hw`` (from :func:`prepare`);
    ``tile`` = outer folds per SRAM tile (:mod:`.traffic`). ``g`` may hold arrays of GEMM sizes
    (:class:`.network.GemmStack`): every argument broadcasts, so one call costs a whole network."""
    rows, cols, bw = hw["rows"], hw["cols"], hw["dram_bw"]
    f = folds(g.m, g.k, g.n, rows, cols, df)
    s = sram_counts(g.m, g.k, g.n, f, rows, cols, df)
    t = traffic(g.m, g.k, g.n, f, rows, cols, df, order, hw["act_ifmap"], hw["act_filter"], hw["act_ofmap"], tile)
    compute = f.compute_cycles
    prologue = maximum(ceil_div(t.ifmap_prologue, bw), ceil_div(t.filter_prologue, bw))
    epilogue = ceil_div(t.ofmap_epilogue, bw)
    body = maximum(maximum(compute, ceil_div(t.ifmap_reads - t.ifmap_prologue, bw)),
                   maximum(ceil_div(t.filter_reads - t.filter_prologue, bw),
                           ceil_div(t.ofmap_writes - t.ofmap_epilogue, bw)))
    r = g.repeat
    tn = get_tech(tech)
    sram_w = {"ifmap": to_float(s.ifmap_reads + t.ifmap_reads) * r,
              "filter": to_float(s.filter_reads + t.filter_reads) * r,
              "ofmap": to_float(s.ofmap_writes + t.ofmap_writes) * r}
    dram_w = {"ifmap": to_float(t.ifmap_reads) * r, "filter": to_float(t.filter_reads) * r,
              "ofmap": to_float(t.ofmap_writes) * r}
    macs = to_float(g.macs)
    energy = macs * (tn.mac_pj(word_bytes) + REG_ACCESSES_PER_MAC * tn.reg_pj(word_bytes))
    for b in ("ifmap", "filter", "ofmap"):
        energy = energy + sram_w[b] * hw[f"e_{b}"]
    energy = energy + (dram_w["ifmap"] + dram_w["filter"] + dram_w["ofmap"]) * word_bytes * tn.dram_pj_per_byte
    return LayerCost(
        cycles=to_float(prologue + body + epilogue) * r,
        compute_cycles=to_float(compute) * r,
        stall_cycles=to_float(body - compute) * r,
        macs=macs,
        used_pe_cycles=to_float(f.sr * f.sc) * r,
        folds=to_float(f.folds) * r,
        sram_words=sram_w, dram_words=dram_w, energy_pj=energy, tile_folds_used=t.tile_folds)


def summarize(total: LayerCost, hw: Mapping[str, Any], word_bytes: int, tech: str,
              macs_total: float) -> dict[str, Any]:
    """Workload metrics (arrays over designs) from the network's summed cost ``total``."""
    rows, cols, clock = to_float(hw["rows"]), to_float(hw["cols"]), to_float(hw["clock_mhz"])
    cycles = maximum(total.cycles, 1.0)
    latency = cycles / (clock * 1e6)
    energy = total.energy_pj * 1e-12 + 0.0 * latency
    area = area_mm2(rows, cols, to_float(hw["ifmap_kb"]), to_float(hw["filter_kb"]),
                    to_float(hw["ofmap_kb"]), word_bytes, tech)
    dram_words = sum(total.dram_words.values()) if total.dram_words else 0.0 * cycles
    sram_words = sum(total.sram_words.values()) if total.sram_words else 0.0 * cycles
    pe = rows * cols
    folds_n = maximum(total.folds, 1.0)
    return {
        "latency_s": latency,
        "cycles": cycles,
        "compute_cycles": total.compute_cycles + 0.0 * cycles,
        "stall_cycles": maximum(cycles - total.compute_cycles, 0.0),
        "energy_j": energy,
        "area_mm2": area,
        "peak_ops_per_s": peak_ops_per_s(rows, cols, clock),
        "throughput_ops_per_s": 2.0 * macs_total / latency,
        "throughput_inf_per_s": 1.0 / latency,
        "utilization": macs_total / (cycles * pe),
        "mapping_efficiency": total.used_pe_cycles / (folds_n * pe),
        "dram_bytes": dram_words * word_bytes,
        "sram_bytes": sram_words * word_bytes,
    }
