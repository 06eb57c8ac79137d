"""PIM validation: the rows of ``benchmarks/validation/pim.py`` (the same ones ``docs/validation.md``
shows, with the same tolerances) and the bandwidth identities of docs/references.md §1.2.3 (consistency)."""

from __future__ import annotations

import dataclasses

import pytest

from archgym.simulator import get_simulator
from archgym.workload import get_workload
from benchmarks.validation import Check, evaluate, verdict
from benchmarks.validation.pim import FAMILY
from simulators.common.dram import get_dram
from simulators.pim import PRESETS


@pytest.mark.parametrize("check", FAMILY.checks, ids=lambda c: c.key)
def test_published_figure(check: Check) -> None:
    problem = verdict(evaluate(check))
    assert problem is None, problem


def test_simulator_reports_the_preset_peak() -> None:
    """The simulator's peak metric is the preset's, and a large GEMV uses most of it."""
    sim = get_simulator("pim")
    w = get_workload("gemv:M=8192,K=8192")
    for name in ("gddr6-aim", "hbm-pim"):
        r = sim.evaluate(sim.space(w, name).default(), w)
        assert r.metrics["peak_ops_per_s"] == pytest.approx(PRESETS[name].peak_ops)
        assert 0.5 < r.metrics["utilization"] <= 1.0


def test_bandwidth_identities() -> None:
    """docs/references.md §1.2.3: AiM 512 GB/s internal per channel; HBM2 2.4 Gb/s × 64 b per pseudo-channel;
    AttAcc BW_SCALE: bank-level PIM with nCCDAB = 4 gives 16× the external bandwidth, BG-level 8×,
    buffer-level 1×."""
    aim = PRESETS["gddr6-aim"]
    assert aim.internal_bw_gbs / aim.channels == pytest.approx(512.0)
    assert get_dram("hbm2").channel_bw_gbs == pytest.approx(19.2)
    assert PRESETS["hbm-pim"].external_bw_gbs == pytest.approx(307.2)
    hbm3 = get_dram("hbm3")
    base = dataclasses.replace(PRESETS["hbm3-attacc"], stacks=1, pim_clock_mhz=2000)
    bank = dataclasses.replace(base, t_ccd_ab_ns=4 * hbm3.tck_ns)
    bg = dataclasses.replace(base, t_ccd_ab_ns=hbm3.tCCD_S, banks_per_unit=4)
    buf = dataclasses.replace(base, t_ccd_ab_ns=hbm3.tCCD_S, banks_per_unit=32)
    ext = base.external_bw_gbs
    assert ext == pytest.approx(665.6)           # AttAcc MEM_BW_PER_HBM 670.4 GB/s
    assert bank.internal_bw_gbs / ext == pytest.approx(16.0)
    assert bg.internal_bw_gbs / ext == pytest.approx(8.0)
    assert buf.internal_bw_gbs / ext == pytest.approx(1.0)
