"""RDU simulator: contract, spaces, mappings, batch = single, fidelities, CLI."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest

from archgym.metrics import Result
from archgym.simulator import get_simulator
from archgym.workload import Workload, get_workload
from simulators.rdu import RDUSimulator
from simulators.rdu.mapping import balanced_pcus

DECODE = "llama7b-decode:layers=1"


@pytest.fixture(scope="module")
def sim() -> RDUSimulator:
    return get_simulator("rdu")


@pytest.fixture(scope="module")
def block() -> Workload:
    full = get_workload("gpt2-prefill:seq=256")
    return Workload("gpt2-block", full.graph.subgraph([n for n in full.graph if n.startswith("L0_")]).copy())


def test_registry_and_presets(sim):
    assert isinstance(sim, RDUSimulator) and sim.name == "rdu" and sim.default_preset in sim.presets()
    for name, cfg in sim.presets().items():
        assert cfg.source and cfg.name == name
        with pytest.raises(dataclasses.FrozenInstanceError):
            cfg.n_pcu = 1


def test_spaces_defaults_and_sizes(sim, block):
    auto = sim.space(block)
    assert auto.size <= 1_000_000
    cfg = sim.preset(None)
    assert {k: auto.default()[k] for k in cfg.design() if k != "hbm_bw_gbs"} == \
        {k: v for k, v in cfg.design().items() if k != "hbm_bw_gbs"}
    shared = sim.space(block, mapping="shared")
    assert {"tile_rows", "fusion", "tp", "pcu_alloc"} <= set(shared.names)
    per = sim.space(block, mapping="per-layer")
    assert sum(n.startswith("cut@") for n in per.names) == len(block) - 1
    assert sum(n.startswith("share@") for n in per.names) == len(block)


@pytest.mark.parametrize("mode", ["auto", "shared", "per-layer"])
def test_evaluate_reports_metrics_and_mapping(sim, block, mode):
    design = sim.space(block, mapping=mode).default()
    r = sim.evaluate(design, block)
    assert isinstance(r, Result) and r.valid, r.violations
    for key in ("latency_s", "cycles", "energy_j", "throughput_ops_per_s", "peak_ops_per_s", "utilization",
                "dram_bytes", "hbm_bytes", "ddr_bytes", "n_sections", "area_mm2"):
        assert np.isfinite(r.metrics[key]) and r.metrics[key] >= 0, key
    assert 0 < r.metrics["utilization"] <= 1
    mapping = json.loads(json.dumps(r.info["mapping"]))
    kernels = [k for s in mapping["sections"] for k in s["kernels"]]
    assert kernels == [op.name for op in block.ops]  # every kernel once, topological order
    assert len(r.layers) == mapping["n_sections"] == r.metrics["n_sections"]
    assert sum(s["pcu"] for s in r.layers) <= design["n_pcu"] * mapping["n_sections"]


def test_batch_matches_single(sim, block):
    space = sim.space(block, mapping="shared")
    designs = space.sample(24, rng=3)
    batch = sim.evaluate_batch(designs, block)
    for i, d in enumerate(designs):
        r = sim.evaluate(d, block)
        assert bool(batch.valid[i]) == r.valid and sorted(batch.violations[i]) == sorted(r.violations)
        assert batch.metrics["latency_s"][i] == pytest.approx(r.metrics["latency_s"], rel=1e-9)
        assert batch.metrics["energy_j"][i] == pytest.approx(r.metrics["energy_j"], rel=1e-9)
    auto = sim.space(block).sample(16, rng=1)
    b2 = sim.evaluate_batch(auto, block)
    assert b2.metrics["latency_s"][5] == pytest.approx(sim.evaluate(auto[5], block).metrics["latency_s"])


def test_invalid_designs_are_results(sim, block):
    space = sim.space(block, mapping="shared")
    bad_tp = {**space.default(), "sockets": 1, "tp": 8}
    r = sim.evaluate(bad_tp, block)
    assert not r.valid and "tp_divides_sockets" in r.violations
    assert "tp_divides_sockets" in space.violations(bad_tp)
    # one section of every kernel on a tiny Plasticine: more kernels than PCUs, buffers beyond PMUs
    full = get_workload("gpt2-prefill:seq=256")
    two = Workload("two", full.graph.subgraph([n for n in full.graph if n[:3] in ("L0_", "L1_")]).copy())
    per = sim.space(two, preset="plasticine", mapping="per-layer")
    one = {**per.default(), **{n: 0 for n in per.names if n.startswith("cut@")},
           "n_pcu": 16, "n_pmu": 16, "pmu_kib": 128, "tile_rows": 256}
    r2 = sim.evaluate(one, two)
    assert not r2.valid and {"pcu_capacity", "sram_capacity"} <= set(r2.violations)
    batch = sim.evaluate_batch([one, per.default()], two)
    assert list(batch.valid) == [False, True]


def test_more_bandwidth_never_hurts(sim, block):
    space = sim.space(block, preset="sn10", mapping="shared")
    base = {**space.default(), "fusion": "off"}
    lats = [sim.evaluate({**base, "ddr_bw_gbs": bw}, block).metrics["latency_s"]
            for bw in space["ddr_bw_gbs"].values]
    assert lats == sorted(lats, reverse=True) and lats[0] > lats[-1]


def test_balanced_allocation_is_optimal_on_small_cases():
    rng = np.random.default_rng(0)
    for _ in range(20):
        u, c = rng.integers(1, 40, 3), rng.integers(1, 9, 3)
        got = balanced_pcus(u, c, np.zeros(3, dtype=np.int64), 12)
        best = min(max(-(-u // np.array(p)) * c) for p in np.ndindex(13, 13, 13)
                   if min(p) >= 1 and sum(p) <= 12)
        assert got.sum() <= 12 and max(-(-u // got) * c) == best


def test_cycle_agrees_with_analytical_in_steady_state(sim):
    wl = get_workload("gemm:M=32768,N=1024,K=1024")
    space = sim.space(wl, mapping="shared")
    d = {**space.default(), "tile_rows": 64}
    a, c = sim.evaluate(d, wl), sim.evaluate(d, wl, "cycle")
    assert c.metrics["latency_s"] == pytest.approx(a.metrics["latency_s"], rel=0.02)
    # a fused multi-kernel pipeline with many tiles: steady state dominates
    full = get_workload("gpt2-prefill:seq=1024")
    blk = Workload("blk", full.graph.subgraph([n for n in full.graph if n.startswith("L0_")]).copy())
    d2 = {**sim.space(blk, mapping="shared").default(), "tile_rows": 16, "buffer_depth": 3}
    a2, c2 = sim.evaluate(d2, blk), sim.evaluate(d2, blk, "cycle")
    assert c2.metrics["latency_s"] == pytest.approx(a2.metrics["latency_s"], rel=0.02)
    # depth-2 FIFOs on the residual edge throttle the pipeline (credit loop): only the event model sees it
    shallow = {**d2, "buffer_depth": 2}
    assert sim.evaluate(shallow, blk).metrics["latency_s"] == a2.metrics["latency_s"]
    assert sim.evaluate(shallow, blk, "cycle").metrics["latency_s"] > 1.05 * c2.metrics["latency_s"]


def test_cycle_shows_fill_and_contention(sim, block):
    # few tiles: tile-granularity fill/drain makes the event model slower than steady state
    d = {**sim.space(block, mapping="shared").default(), "tile_rows": 256}
    a, c = sim.evaluate(d, block), sim.evaluate(d, block, "cycle")
    assert c.metrics["latency_s"] >= a.metrics["latency_s"] * 0.99
    # DRAM-bound unfused sections on SN10: every kernel's traffic shares the DDR channel
    d10 = {**sim.space(block, "sn10", mapping="shared").default(), "fusion": "off", "tile_rows": 16}
    a10, c10 = sim.evaluate(d10, block), sim.evaluate(d10, block, "cycle")
    assert c10.metrics["latency_s"] >= a10.metrics["latency_s"] * 0.99
    assert c10.metrics["latency_s"] == pytest.approx(a10.metrics["latency_s"], rel=0.25)


def test_decode_and_cnn_run(sim):
    for spec in (DECODE, "resnet50"):
        wl = get_workload(spec)
        r = sim.evaluate(sim.space(wl).default(), wl)
        assert r.valid and r.metrics["latency_s"] > 0
    wl = get_workload(DECODE)
    node = sim.evaluate(sim.space(wl, "sn40l-node").default(), wl)
    single = sim.evaluate(sim.space(wl, "sn40l").default(), wl)
    assert node.metrics["latency_s"] < single.metrics["latency_s"]  # 8 sockets split the weights


def test_bad_fidelity_is_a_one_line_error(sim, block):
    with pytest.raises(Exception, match="fidelity"):
        sim.evaluate(sim.space(block).default(), block, "rtl")


def test_cli_simulate_json():
    out = subprocess.run([sys.executable, "-m", "archgym.app.cli", "simulate", "rdu", "--preset", "sn40l",
                          "--workload", DECODE, "--json"], check=False, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    row = json.loads(out.stdout)
    assert row["valid"] and row["latency_s"] > 0 and row["energy_j"] > 0 and 0 < row["utilization"] <= 1
    assert row["info"]["mapping"]["sections"]
