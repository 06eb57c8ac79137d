"""PIM simulator: the Simulator contract, spaces, batch = single evaluation, invalid designs,
the cycle model against the analytical one, the CLI and the environment."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from archgym.errors import ConfigError
from archgym.simulator import get_simulator
from archgym.workload import get_workload
from simulators.pim import PRESETS, PIMSimulator
from simulators.pim.models import opt_decode

ROOT = Path(__file__).resolve().parents[1]
GEMV = "gemv:M=1024,K=1024"
REQUIRED = ("latency_s", "cycles", "energy_j", "power_w", "throughput_ops_per_s", "peak_ops_per_s",
            "utilization", "dram_bytes", "host_latency_s", "speedup_vs_host", "area_mm2")


@pytest.fixture(scope="module")
def sim() -> PIMSimulator:
    s = get_simulator("pim")
    assert isinstance(s, PIMSimulator)
    return s


def test_presets_have_units_and_sources(sim):
    assert sim.default_preset in sim.presets()
    for name, cfg in sim.presets().items():
        assert cfg.name == name and len(cfg.source) > 40
        assert cfg.timing.source and cfg.peak_ops > 0 and cfg.capacity_bytes > 0


@pytest.mark.parametrize("preset", list(PRESETS))
def test_space_defaults_are_preset_values_and_enumerable(sim, preset):
    w = get_workload(GEMV)
    space = sim.space(w, preset)
    cfg = PRESETS[preset]
    d = space.default()
    for key in ("channels", "banks_per_unit", "lanes", "pim_clock_mhz", "irf_regs", "orf_regs",
                "host_tops", "host_bw_gbs"):
        assert d[key] == getattr(cfg, key)
    assert d["preset"] == preset
    assert space.size <= 1_000_000
    r = sim.evaluate(d, w)
    assert r.valid, r.violations
    for m in REQUIRED:
        assert np.isfinite(r.metrics[m]), m
    assert 0 < r.metrics["utilization"] <= 1


def test_mapping_modes_add_parameters(sim):
    w = get_workload("gpt2-decode:ctx=64")
    auto = sim.space(w, "hbm-pim", "auto")
    shared = sim.space(w, "hbm-pim", "shared")
    per_layer = sim.space(w, "hbm-pim", "per-layer")
    assert {"fc_place", "attn_place", "split_k", "tile_rows", "sub_batches"} <= set(shared.names) - set(auto.names)
    assert "L0_qkv.place" in per_layer.names and "L0_attn.split_k" in per_layer.names
    # the defaults of every mode give the simulator's own mapping
    a = sim.evaluate(auto.default(), w).metrics["latency_s"]
    assert sim.evaluate(shared.default(), w).metrics["latency_s"] == pytest.approx(a)
    assert sim.evaluate(per_layer.default(), w).metrics["latency_s"] == pytest.approx(a)
    # forcing everything onto the host gives the host baseline (the auto mapping is no slower)
    host = sim.evaluate({**shared.default(), "fc_place": "host", "attn_place": "host"}, w)
    assert host.metrics["latency_s"] == pytest.approx(host.metrics["host_latency_s"])
    assert a <= host.metrics["latency_s"]
    assert all(row["place"] == "host" for row in host.layers)


def test_batch_matches_single_evaluations(sim):
    w = get_workload("gpt2-decode:ctx=64,batch=2")
    space = sim.space(w, "lpddr5x-pim", "shared")
    designs = space.sample(10, 3)
    batch = sim.evaluate_batch(designs, w)
    for i, d in enumerate(designs):
        r = sim.evaluate(d, w)
        assert batch.valid[i] == r.valid and batch.violations[i] == r.violations
        for k in ("latency_s", "energy_j", "host_latency_s", "area_mm2"):
            assert batch.metrics[k][i] == pytest.approx(r.metrics[k], rel=1e-9)
    cols = space.designs_to_columns(designs)
    again = sim.evaluate_batch(cols, w)
    np.testing.assert_allclose(again.metrics["latency_s"], batch.metrics["latency_s"])


def test_invalid_designs_are_results_with_named_violations(sim):
    w = get_workload("llama7b-decode:layers=2")
    big = opt_decode("opt-6.7b", ctx=512, layers=32)
    r = sim.evaluate(sim.space(big, "hbm-pim").default(), big)      # 13 GB of FP16 weights in 6 GB
    assert not r.valid and r.violations == ["weights_fit_in_memory"]
    space = sim.space(big, "hbm-pim")
    assert "weights_fit_in_memory" in space.violations(space.default())
    shared = sim.space(w, "hbm-pim", "shared")
    tiny_orf = {**shared.default(), "tile_rows": 64, "orf_regs": 4, "fc_place": "pim"}
    r = sim.evaluate(shared.validate(tiny_orf), w)                  # 64 FP16 sums need 4 regs: fits
    assert r.valid
    lpddr = sim.space(w, "lpddr5x-pim", "shared")
    bad = lpddr.validate({**lpddr.default(), "tile_rows": 64, "orf_regs": 2, "fc_place": "pim"})
    r = sim.evaluate(bad, w)                                         # 64 × 32 b needs 4 × 512 b
    assert not r.valid and "tile_fits_registers" in r.violations
    batch = sim.evaluate_batch([lpddr.default(), bad], w)
    assert list(batch.valid) == [True, False]
    assert batch.violations[1] == ["tile_fits_registers"]
    with pytest.raises(ConfigError):
        sim.evaluate({**bad, "fc_place": "nowhere"}, w)


@pytest.mark.parametrize("preset,workload", [("lpddr5x-pim", "gemv:M=6144,K=2048"),
                                             ("hbm-pim", "gemv:M=4096,K=4096"),
                                             ("gddr6-aim", "gemv:M=4096,K=4096,B=2"),
                                             ("ddr4-pim", "gemv:M=4096,K=4096"),
                                             ("hbm-pim", "gpt2-decode:ctx=128")])
def test_cycle_model_agrees_with_analytical(sim, preset, workload):
    """Consistency check, not validation: both fidelities share the layout, and cycle energy is the
    analytical energy plus extra activations (published figures: tests/test_pim_validation.py)."""
    w = get_workload(workload)
    d = sim.space(w, preset).default()
    a = sim.evaluate(d, w)
    c = sim.evaluate(d, w, "cycle")
    assert c.valid and c.info["fidelity"] == "cycle"
    assert c.metrics["latency_s"] == pytest.approx(a.metrics["latency_s"], rel=0.05)
    assert c.metrics["energy_j"] == pytest.approx(a.metrics["energy_j"], rel=0.05)


def test_cycle_model_exposes_optimistic_refresh_under_tfaw(sim):
    """Per-bank ACT on HBM3: every refresh closes the rows and re-opening 32 banks is tFAW-bound,
    which the analytical (1 − tRFC/tREFI) derate misses; with all-bank ACT they agree."""
    w = get_workload("gemv:M=16384,K=16384")
    space = sim.space(w, "hbm3-attacc")
    per_bank = {**space.default(), "act_mode": "per-bank"}
    a, c = sim.evaluate(per_bank, w), sim.evaluate(per_bank, w, "cycle")
    assert c.metrics["latency_s"] > 1.05 * a.metrics["latency_s"]
    assert c.layers[0]["refreshes"] > 0 and c.layers[0]["reopens"] > 0
    d = space.default()
    assert sim.evaluate(d, w, "cycle").metrics["latency_s"] == pytest.approx(
        sim.evaluate(d, w).metrics["latency_s"], rel=0.06)


def test_offload_and_sub_batching(sim):
    w = get_workload("gpt2-decode:ctx=256,batch=8")
    shared = sim.space(w, "hbm-pim", "shared")
    auto = sim.evaluate(shared.default(), w)
    # at batch 8 the FC layers are no longer PIM-friendly; attention (no weight reuse) still is
    places = {row["kind"]: row["place"] for row in auto.layers if row["kind"] != "eltwise"}
    assert places["attention"] == "pim"
    one = sim.evaluate({**shared.default(), "sub_batches": 1}, w)
    two = sim.evaluate({**shared.default(), "sub_batches": 2}, w)
    assert auto.metrics["latency_s"] == pytest.approx(min(one.metrics["latency_s"], two.metrics["latency_s"]))


def test_cli_simulate_json_reports_latency_energy_and_host_baseline():
    out = subprocess.run([sys.executable, "-m", "archgym", "simulate", "pim", "--preset", "lpddr5x-pim",
                          "--workload", "gemv:M=6144,K=2048", "--json"], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    data = json.loads(out.stdout)
    assert data["valid"] and data["latency_s"] > 0 and data["energy_j"] > 0
    assert data["host_latency_s"] == pytest.approx(6144 * 2048 / 120e9)
    assert data["speedup_vs_host"] > 5


def test_env_passes_check_env():
    gym = pytest.importorskip("gymnasium")
    from gymnasium.utils.env_checker import check_env

    import envs  # noqa: F401  (registers the ids)

    env = gym.make("archgym/PIM-v0", workload=GEMV)
    check_env(env.unwrapped, skip_render_check=True)
    env.reset(seed=0)
    _, reward, _, _, info = env.step(env.action_space.sample())
    assert np.isfinite(reward) and "speedup_vs_host" in info["metrics"]
