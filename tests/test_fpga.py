"""FPGA family: contract, device catalog, resource arithmetic, batch = single, fidelity agreement."""

from __future__ import annotations

import numpy as np
import pytest

from archgym.errors import ConfigError
from archgym.simulator import get_simulator
from archgym.workload import get_workload
from simulators.fpga.devices import DEVICES
from simulators.fpga.precision import PRECISIONS
from simulators.fpga.reference_nets import finn_cnv
from simulators.fpga.resources import bram18_count, uram_count

#: the knobs these hand-written designs do not vary (a design names every parameter: no silent defaults)
KNOBS = {"buf_kib": 256, "clock_mhz": 200, "groups": 1, "reconfig": "intar", "util_cap": 0.9, "weight_mem": "auto",
         "fifo_depth": 0}


@pytest.fixture(scope="module")
def sim():
    return get_simulator("fpga")


@pytest.fixture(scope="module")
def resnet():
    return get_workload("resnet18")


def test_registered_and_presets(sim):
    assert sim.name == "fpga" and sim.default_preset in sim.presets()
    for dev in sim.presets().values():
        assert dev.source and dev.user_dsp <= dev.dsp and dev.user_bram18k <= dev.bram18k


@pytest.mark.parametrize("name,lut,ff,dsp,bram18k,uram", [
    ("u280", 1_303_680, 2_607_360, 9_024, 4_032, 960),
    ("u250", 1_728_000, 3_456_000, 12_288, 5_376, 1_280),
    ("vu9p", 1_182_240, 2_364_480, 6_840, 4_320, 960),
    ("zcu102", 274_080, 548_160, 2_520, 1_824, 0),
    ("zc706", 218_600, 437_200, 900, 1_090, 0),
])
def test_device_counts_exact(name, lut, ff, dsp, bram18k, uram):
    d = DEVICES[name]
    assert (d.lut, d.ff, d.dsp, d.bram18k, d.uram) == (lut, ff, dsp, bram18k, uram)


def test_u280_shell_budget_and_hbm():
    d = DEVICES["u280"]  # FINN per-SLR sums (docs/references.md §3.2)
    assert (d.user_lut, d.user_bram18k, d.user_uram, d.user_dsp) == (1_163_520, 3_504, 960, 8_496)
    assert d.offchip_gbps == 460.0


def test_bram_banding_and_uram():
    w = np.array([1, 2, 4, 8, 16, 36, 36, 72])
    d = np.array([16384, 8192, 4096, 2048, 1024, 512, 1024, 4096])
    assert bram18_count(w, d).tolist() == [1, 1, 1, 1, 1, 1, 2, 16]  # FINN-R: deep & wide → 1K×18 bands
    assert uram_count(np.array([72, 144]), np.array([4096, 4097])).tolist() == [1, 4]


def test_int8_packs_two_macs_per_dsp48e2():
    assert PRECISIONS["int8"].macs_per_slice("DSP48E2") == 2.0
    assert PRECISIONS["int16"].macs_per_slice("DSP48E2") == 1.0
    assert PRECISIONS["fp32"].macs_per_slice("DSP48E1") == 0.2


def test_space_sizes(sim, resnet):
    auto = sim.space(resnet, "zcu102")
    assert auto.size <= 1_000_000 and auto.default()["device"] == "zcu102"
    per_layer = sim.space(resnet, "zcu102", "per-layer")
    assert any(n.startswith("pe_") for n in per_layer.names)
    for p in per_layer.params:
        if p.name.startswith("pe_"):
            assert 1 in p.values


@pytest.mark.parametrize("style", ["streaming", "tiled", "hybrid"])
def test_evaluate_contract(sim, resnet, style):
    design = dict(sim.space(resnet, "zcu102").default(), style=style)
    r = sim.evaluate(design, resnet)
    for key in ("latency_s", "cycles", "energy_j", "power_w", "throughput_ops_per_s", "throughput_inf_per_s",
                "peak_ops_per_s", "utilization", "dsp", "bram18k", "uram", "lut", "ff", "dsp_util", "lut_util"):
        assert key in r.metrics and np.isfinite(r.metrics[key]), key
    assert r.valid and r.layers
    assert 0 < r.metrics["utilization"] <= 1.0 + 1e-9
    assert r.metrics["throughput_ops_per_s"] <= r.metrics["peak_ops_per_s"] * 1.01


def test_infeasible_design_is_a_result(sim, resnet):
    design = dict(sim.space(resnet, "zc706").default(), style="tiled", tm=512, tn=128, precision="fp32")
    r = sim.evaluate(design, resnet)
    assert not r.valid and "dsp_budget" in r.violations
    assert r.metrics["dsp"] == 512 * 128 * 5


def test_bad_input_is_one_line(sim, resnet):
    design = dict(sim.space(resnet).default(), precision="int3")
    with pytest.raises(ConfigError, match="precision"):
        sim.evaluate(design, resnet)


def test_batch_equals_single(sim, resnet):
    space = sim.space(resnet, "zcu102")
    designs = space.sample(24, rng=3)
    batch = sim.evaluate_batch(designs, resnet)
    for i, d in enumerate(designs):
        one = sim.evaluate(d, resnet)
        assert one.valid == bool(batch.valid[i])
        assert sorted(one.violations) == sorted(batch.violations[i])
        for k in ("latency_s", "energy_j", "dsp", "bram18k", "lut"):
            assert batch.metrics[k][i] == pytest.approx(one.metrics[k], rel=1e-9)


def test_more_parallelism_is_faster_and_costs_more(sim, resnet):
    base = dict(sim.space(resnet, "u250").default(), style="streaming")
    small = sim.evaluate(dict(base, tm=32, tn=16), resnet)
    big = sim.evaluate(dict(base, tm=128, tn=16), resnet)
    assert big.metrics["throughput_inf_per_s"] > 2 * small.metrics["throughput_inf_per_s"]
    assert big.metrics["dsp"] > small.metrics["dsp"]


def test_clock_falls_with_utilisation(sim, resnet):
    base = dict(sim.space(resnet, "zcu102").default(), style="tiled", clock_mhz=300)
    low = sim.evaluate(dict(base, tm=16, tn=16), resnet)
    high = sim.evaluate(dict(base, tm=128, tn=32), resnet)
    assert low.metrics["clock_mhz"] == 300
    assert high.metrics["clock_mhz"] < 300


def test_hybrid_never_slower_than_tiled(sim, resnet):
    base = dict(sim.space(resnet, "zcu102", "shared").default(), tm=32, tn=32)
    tiled = sim.evaluate(dict(base, style="tiled"), resnet)
    hybrid = sim.evaluate(dict(base, style="hybrid", groups=4, reconfig="intar"), resnet)
    partial = sim.evaluate(dict(base, style="hybrid", groups=4, reconfig="partial",
                                sched_0="dataflow", sched_1="sequential"), resnet)
    assert hybrid.metrics["cycles"] <= tiled.metrics["cycles"] * (1 + 1e-9) + 4 * 15e-9 * 300e6
    assert partial.metrics["latency_s"] > hybrid.metrics["latency_s"]  # a bitstream load costs ms


@pytest.mark.parametrize("style", ["streaming", "tiled"])
def test_cycle_model_agrees_in_steady_state(sim, style):
    wl = finn_cnv()
    design = {**KNOBS, "device": "zcu102", "precision": "int4", "style": style, "tm": 64, "tn": 16, "buf_kib": 64, "clock_mhz": 200}
    a = sim.evaluate(design, wl)
    c = sim.evaluate(design, wl, "cycle")
    assert c.metrics["throughput_inf_per_s"] == pytest.approx(a.metrics["throughput_inf_per_s"], rel=0.03)
    assert c.metrics["latency_s"] == pytest.approx(a.metrics["latency_s"], rel=0.15)


def test_shallow_fifos_cause_back_pressure(sim):
    wl = finn_cnv()
    design = {**KNOBS, "device": "zc706", "precision": "int1", "style": "streaming", "tm": 512, "tn": 12, "buf_kib": 64,
                  "clock_mhz": 200, "fifo_depth": 2}
    a = sim.evaluate(design, wl)
    c = sim.evaluate(design, wl, "cycle")
    assert c.metrics["throughput_inf_per_s"] < 0.9 * a.metrics["throughput_inf_per_s"]


def test_per_layer_folding_changes_cycles(sim):
    wl = finn_cnv()
    space = sim.space(wl, "zc706", "per-layer")
    d = dict(space.default(), style="streaming", precision="int1")
    slow = dict(d, **{n: 1 for n in space.names if n.startswith(("pe_", "simd_"))})
    r_fast, r_slow = sim.evaluate(d, wl), sim.evaluate(slow, wl)
    assert r_slow.metrics["latency_s"] > r_fast.metrics["latency_s"]
    conv2 = next(layer for layer in r_slow.layers if layer["name"] == "conv2")
    assert conv2["cycles"] == 64 * 576 * 28 * 28  # FINN: (MH/PE)·(MW/SIMD)·pixels


HYBRID_BASES = {  # small workload (FINN CNV) and ResNet-18, each with a mix of dataflow and sequential groups
    "cnv": {**KNOBS, "device": "zcu102", "precision": "int4", "tm": 64, "tn": 16, "buf_kib": 64, "clock_mhz": 200},
    "resnet18": {**KNOBS, "device": "zcu102", "precision": "int8", "tm": 32, "tn": 32, "buf_kib": 256, "clock_mhz": 200},
}


def _hybrid_workload(name):
    return finn_cnv() if name == "cnv" else get_workload(name)


def _sched(kind, groups):
    pick = {"mix": lambda j: "dataflow" if j % 2 == 0 else "sequential"}.get(kind, lambda j: kind)
    return {f"sched_{j}": pick(j) for j in range(groups)}


@pytest.mark.parametrize("wl_name,groups,sched", [
    ("cnv", 2, "auto"), ("cnv", 4, "auto"), ("cnv", 2, "sequential"), ("cnv", 4, "sequential"), ("cnv", 4, "mix"),
    ("resnet18", 2, "auto"), ("resnet18", 4, "auto"), ("resnet18", 2, "dataflow"), ("resnet18", 4, "dataflow"),
    ("resnet18", 4, "sequential"), ("resnet18", 4, "mix"),
])
def test_hybrid_cycle_model_agrees(sim, wl_name, groups, sched):
    """A hybrid's interval is its latency (groups time-share the fabric): within the latency tolerance
    of test_cycle_model_agrees_in_steady_state, and within its throughput tolerance when every group
    runs on the tiled engine (no pipeline fill in the time)."""
    wl = _hybrid_workload(wl_name)
    design = dict(HYBRID_BASES[wl_name], style="hybrid", groups=groups, reconfig="intar", **_sched(sched, groups))
    a = sim.evaluate(design, wl)
    c = sim.evaluate(design, wl, "cycle")
    assert c.info["fidelity"] == "cycle" and len(c.info["groups"]) == groups
    modes = [g["mode"] for g in c.info["groups"]]
    assert modes == a.info["group_modes"]
    if sched in ("dataflow", "sequential"):
        assert set(modes) == {sched}
    # the cycle model ran per group: its own group times, summed with the analytical switch time
    assert sum(g["cycles"] for g in c.info["groups"]) + c.info["reconfig_cycles"] == pytest.approx(c.metrics["cycles"])
    assert sum(g["analytical_cycles"] for g in c.info["groups"]) + a.info["reconfig_cycles"] == pytest.approx(
        a.metrics["cycles"])
    assert c.info["reconfig_cycles"] == a.info["reconfig_cycles"] > 0
    assert c.metrics["cycles"] != a.metrics["cycles"]
    assert c.metrics["dram_bytes"] == pytest.approx(a.metrics["dram_bytes"], rel=1e-12)
    assert c.metrics["ii_cycles"] == c.metrics["cycles"]
    assert c.metrics["latency_s"] == pytest.approx(a.metrics["latency_s"], rel=0.15)
    if set(modes) == {"sequential"}:
        assert c.metrics["throughput_inf_per_s"] == pytest.approx(a.metrics["throughput_inf_per_s"], rel=0.03)


@pytest.mark.parametrize("wl_name", ["cnv", "resnet18"])
@pytest.mark.parametrize("mode,pure", [("sequential", {"style": "tiled"}),
                                       ("dataflow", {"style": "streaming", "weight_mem": "off-chip"})])
def test_hybrid_one_group_is_the_pure_style(sim, wl_name, mode, pure):
    """One sequential group is the tiled engine; one dataflow group is the streaming pipeline with
    weights streamed from DRAM (partial reconfiguration: no interconnect overhead, no switch) —
    when that pipeline's folds fit the engine's Tm·Tn lanes; otherwise the group is folded within
    them (never more lanes than the engine has), so it is slower than the unbounded pipeline."""
    wl = _hybrid_workload(wl_name)
    base = HYBRID_BASES[wl_name]
    h = sim.evaluate(dict(base, style="hybrid", groups=1, reconfig="partial", sched_0=mode), wl, "cycle")
    p = sim.evaluate(dict(base, **pure), wl, "cycle")
    assert h.info["group_modes"] == [mode] and h.info["reconfig_cycles"] == 0
    assert h.metrics["clock_mhz"] == p.metrics["clock_mhz"]
    if p.metrics["mac_lanes"] > base["tm"] * base["tn"]:
        assert mode == "dataflow" and h.metrics["cycles"] > p.metrics["cycles"]
        return
    for k in ("cycles", "dram_bytes"):
        assert h.metrics[k] == pytest.approx(p.metrics[k], rel=1e-12), k


def test_hybrid_with_more_groups_than_layers(sim):
    wl = get_workload("gemm:M=64,N=64,K=64")
    design = {**KNOBS, "device": "zcu102", "precision": "int8", "style": "hybrid", "tm": 16, "tn": 16, "groups": 4}
    a, c = sim.evaluate(design, wl), sim.evaluate(design, wl, "cycle")
    assert len(a.info["groups"]) == len(c.info["groups"]) == 1 and a.info["reconfig_cycles"] == 0
    assert c.metrics["cycles"] == pytest.approx(a.metrics["cycles"], rel=0.03)
