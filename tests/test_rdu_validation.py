"""RDU validation against published figures (REFERENCES.md §2.3) and mapping baselines."""

from __future__ import annotations

import pytest

from archgym.simulator import get_simulator
from archgym.workload import Workload, get_workload


def _block(spec: str) -> Workload:
    full = get_workload(spec)
    return Workload(f"{spec}/L0", full.graph.subgraph([n for n in full.graph if n.startswith("L0_")]).copy())


@pytest.fixture(scope="module")
def sim():
    return get_simulator("rdu")


@pytest.mark.parametrize("preset", ["plasticine", "sn10", "sn30", "sn40l"])
def test_peak_within_5_percent_of_published(sim, preset):
    # R1 (12.3 TFLOPS), R2 (> 320), SN30 688 [unverified], R3 (638). SN30/SN40L clocks are derived.
    cfg = sim.preset(preset)
    wl = get_workload("gemm:M=64,N=64,K=64")
    r = sim.evaluate(sim.space(wl, preset).default(), wl)
    assert r.metrics["peak_ops_per_s"] == pytest.approx(cfg.published_peak_tflops * 1e12, rel=0.05)


@pytest.mark.parametrize("preset,mb", [("plasticine", 16), ("sn10", 320), ("sn40l", 520)])
def test_sram_is_pmus_times_pmu_size(sim, preset, mb):
    cfg = sim.preset(preset)
    assert cfg.sram_bytes == pytest.approx(mb * 2**20, rel=0.05)  # R1', R2, R3 (MB read as MiB)


@pytest.mark.parametrize("preset", ["sn40l", "sn10"])
def test_fusion_speedup_on_a_transformer_block(sim, preset):
    """R4: SN40L reports 2–13× from fusion against unfused execution. Fused = the default mapper;
    unfused = one kernel per section (DFModel KERNEL_BY_KERNEL) at the best tile size for it."""
    wl = _block("gpt2-prefill:seq=1024")
    fused = sim.evaluate(sim.space(wl, preset).default(), wl)
    shared = sim.space(wl, preset, mapping="shared")
    unfused = min(sim.evaluate({**shared.default(), "fusion": "off", "tile_rows": t}, wl).metrics["latency_s"]
                  for t in shared["tile_rows"].values)
    assert fused.valid and fused.metrics["n_sections"] < len(wl)
    assert 2.0 <= unfused / fused.metrics["latency_s"] <= 13.0


def test_default_mapper_beats_unfused_and_equal_split(sim):
    for spec in ("bert-base:seq=128", "gpt2-prefill:seq=512"):
        wl = _block(spec)
        auto = sim.evaluate(sim.space(wl).default(), wl).metrics["latency_s"]
        shared = sim.space(wl, mapping="shared")
        for knobs in ({"fusion": "off"}, {"pcu_alloc": "equal"}):
            base = min(sim.evaluate({**shared.default(), **knobs, "tile_rows": t}, wl).metrics["latency_s"]
                       for t in shared["tile_rows"].values)
            assert auto < base, (spec, knobs)
