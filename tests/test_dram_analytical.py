"""DRAM analytical model: locality statistics from hand traces, and where it must equal the cycle model."""

from __future__ import annotations

import numpy as np
import pytest

from archgym import get_simulator, get_workload
from simulators.dram.addressing import decode
from simulators.dram.analytical import trace_stats
from simulators.dram.devices import get_device

DDR4 = get_device("ddr4-2400")


def test_bank_local_reuse_distance() -> None:
    row = 1 << 18  # next row of bank 0 under rochrababgco
    other_bank = 1 << 15
    addrs = np.array([0, 64, other_bank, row, 128], dtype=np.uint64)  # bank 0 rows: 0, 0, 1, 0
    dec = decode(addrs, DDR4, "rochrababgco")
    stats = trace_stats(dec, np.zeros(5, dtype=bool), np.arange(5), DDR4)
    # bank-local reuse distances: -, 1, (other bank) -, -, 2  → P(d ≤ 1) = 1/5, P(d ≤ 2) = 2/5
    assert stats.reuse_cdf[1] == pytest.approx(1 / 5) and stats.reuse_cdf[2] == pytest.approx(2 / 5)
    assert stats.banks_used == 2 and stats.busiest_share == pytest.approx(4 / 5)


@pytest.mark.parametrize("policy", ["Open", "Closed"])
def test_in_order_hit_rate_and_activations_match_the_cycle_model(policy: str) -> None:
    sim = get_simulator("dram")
    wl = get_workload("trace:pattern=strided,n=3000,stride=2048,gap=6")
    design = sim.design_for(wl, overrides={"Scheduler": "Fifo", "PagePolicy": policy, "RefreshPolicy": "NoRefresh"})
    ana, cyc = sim.evaluate(design, wl).metrics, sim.evaluate(design, wl, "cycle").metrics
    assert ana["row_hit_rate"] == pytest.approx(cyc["row_hit_rate"])
    assert ana["act_cmds"] == pytest.approx(cyc["act_cmds"])
    assert ana["read_cmds"] == cyc["read_cmds"] == 3000
