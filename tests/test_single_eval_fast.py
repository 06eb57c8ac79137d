"""Single-design fast paths of the PIM and FPGA analytical models (issue 17, item 1): the
vectorised-over-layers forms give exactly what the per-layer forms gave, and one ``evaluate`` is
exactly its row of ``evaluate_batch`` for every style / mapping mode, in any order."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from archgym.simulator import get_simulator
from archgym.workload import get_workload
from simulators.fpga.layers import lower
from simulators.fpga.resources import bram18_count, ceil_div
from simulators.fpga.streaming import FOLD_RELAX_STEPS, _fold_table, auto_fold, fold_within


def _auto_fold_per_stage(table: Any, target: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """FINN SetFolding one stage at a time (the oracle for the one-pass :func:`auto_fold`)."""
    pe = np.ones((target.size, table.mac_idx.size), dtype=np.int64)
    simd = np.ones_like(pe)
    for j, i in enumerate(table.mac_idx):
        cyc, arg, pp, ss = _fold_table(table.MH[i], table.MW[i], table.pix[i])
        pos = np.searchsorted(cyc, target, side="right") - 1
        pick = np.where(pos >= 0, arg[np.clip(pos, 0, None)], 0)
        pe[:, j], simd[:, j] = pp[pick], ss[pick]
    lanes_e = np.ones((target.size, table.n), dtype=np.int64)
    for i in np.flatnonzero(~table.is_mac):
        need = np.clip(np.ceil(table.E[i] / np.maximum(target, 1.0)), 1, table.E[i])
        lanes_e[:, i] = np.minimum(2 ** np.ceil(np.log2(need)), table.E[i]).astype(np.int64)
    return pe, simd, lanes_e


@pytest.mark.parametrize("workload", ["resnet18", "mobilenetv2", "gpt2-decode"])
def test_auto_fold_matches_per_stage_search(workload: str) -> None:
    """Targets on, just off and far from every stage's candidate cycles, and the degenerate ones."""
    table = lower(get_workload(workload))
    cyc = np.concatenate([_fold_table(table.MH[i], table.MW[i], table.pix[i])[0] for i in table.mac_idx])
    rng = np.random.default_rng(0)
    picks = rng.choice(cyc, 200)
    target = np.concatenate([picks, picks - 0.5, picks + 0.25, rng.uniform(0, 2 * cyc.max(), 200),
                             [0.0, 0.5, 1.0, cyc.max() * 10, np.inf]])
    for got, want in zip(auto_fold(table, target), _auto_fold_per_stage(table, target)):
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype


def test_fold_within_keeps_the_first_doubling_that_fits() -> None:
    """The one-pass relaxation equals doubling the target while the folds overshoot the lanes."""
    table = lower(get_workload("resnet18"))
    lanes = np.array([1.0, 7.0, 64.0, 100.0, 512.0, 1000.0, 4096.0, 1e6])
    target = float(table.macs.sum()) / lanes
    pe, simd, lanes_e = _auto_fold_per_stage(table, target)
    for _ in range(FOLD_RELAX_STEPS):
        over = (pe * simd).sum(axis=1) > lanes
        if not over.any():
            break
        target = np.where(over, 2.0 * target, target)
        pe, simd, lanes_e = _auto_fold_per_stage(table, target)
    for got, want in zip(fold_within(table, lanes), (pe, simd, lanes_e)):
        np.testing.assert_array_equal(got, want)


def test_bram_bands_match_the_nested_choice() -> None:
    """The banded lookup equals FINN-R's nested width/depth choice on every band edge."""
    w = np.array([0, 0.5, 1, 1.5, 2, 3, 4, 5, 9, 10, 18, 19, 36, 37, 72, 100, np.nan, np.inf])[:, None]
    d = np.array([0, 1, 64, 511, 512, 513, 1024, 2048, 4097, 16384, 20000, np.nan])[None, :]
    with np.errstate(invalid="ignore"):     # inf widths of empty memories: NaN products, masked to 0
        got = bram18_count(w, d)
        want = np.where(
            w <= 1, ceil_div(d, 16384), np.where(
                w <= 2, ceil_div(d, 8192), np.where(
                    w <= 4, ceil_div(d, 4096) * ceil_div(w, 4), np.where(
                        w <= 9, ceil_div(d, 2048) * ceil_div(w, 9), np.where(
                            (w <= 18) | (d > 512), ceil_div(d, 1024) * ceil_div(w, 18),
                            ceil_div(d, 512) * ceil_div(w, 36))))))
    np.testing.assert_array_equal(got, np.where((w > 0) & (d > 0), want, 0.0))


def _same_rows(family: str, workload: str, designs: list[dict[str, Any]]) -> None:
    sim, wl = get_simulator(family), get_workload(workload)
    batch = sim.evaluate_batch(designs, wl)
    for i, d in enumerate(designs):
        r = sim.evaluate(d, wl)
        assert r.metrics == {k: float(v[i]) for k, v in batch.metrics.items()}
        assert r.valid == bool(batch.valid[i]) and r.violations == batch.violations[i]


@pytest.mark.parametrize("workload", ["resnet18", "gpt2-decode"])
def test_fpga_single_equals_batch_row_for_every_style(workload: str) -> None:
    """Each style alone (a batch that skips the other styles' models) and mixed, every mapping mode:
    single == batch row exactly; a single-style batch == the mixed batch's rows (to 1e-12: a hybrid
    design's latency may move by one ulp with the batch's other designs, as it did before these paths)."""
    sim, wl = get_simulator("fpga"), get_workload(workload)
    for mode in ("auto", "shared", "per-layer"):
        designs = sim.space(wl, mapping=mode).sample(6, 3)
        mixed = [dict(d, style=s) for d in designs[:3] for s in ("streaming", "tiled", "hybrid")]
        _same_rows("fpga", workload, mixed)
        for style in ("streaming", "tiled", "hybrid"):
            one = [dict(d, style=style) for d in designs]
            _same_rows("fpga", workload, one)
            want = sim.evaluate_batch(mixed + one, wl)
            got = sim.evaluate_batch(one, wl)
            for k, v in got.metrics.items():
                np.testing.assert_allclose(v, want.metrics[k][len(mixed):], rtol=1e-12)
            assert got.violations == want.violations[len(mixed):]


@pytest.mark.parametrize("workload", ["resnet18", "gpt2-decode:batch=4,ctx=256"])
def test_pim_single_equals_batch_row_every_mode(workload: str) -> None:
    """Auto, shared and per-layer designs (sub-batching and pinned splits included), one at a time
    and as one batch: the memoised geometry / host parts and the op block give the same rows."""
    sim, wl = get_simulator("pim"), get_workload(workload)
    designs = [d for m in ("per-layer", "auto", "shared") for d in sim.space(wl, mapping=m).sample(3, 11)]
    for mode_designs in (designs[:3], designs[3:6], designs[6:]):
        _same_rows("pim", workload, mode_designs)


def test_pim_geometry_memo_is_exact_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """best_pim_jobs with the memoised geometry equals pim_job computed from scratch on the same
    candidates; the memo on a Jobs never holds more than MEMO_LIMIT entries."""
    from simulators.pim import gemv
    from simulators.pim.analytical import Plan
    from simulators.pim.hardware import PRESETS

    monkeypatch.setattr(gemv, "MEMO_LIMIT", 2)
    wl = get_workload("gpt2-decode")
    plan = Plan.of(wl)
    jobs = gemv.Jobs.of(list(plan.job_list))         # a fresh Jobs: an empty memo
    sim = get_simulator("pim")
    for i, d in enumerate(sim.space(wl).sample(3, 2)):
        cfg = PRESETS[d["preset"]]
        hw = gemv.Hardware.from_columns(cfg, {k: np.asarray([[v]]) for k, v in d.items()})
        pin = np.full((1, len(jobs)), [0.0, 4.0, 0.0][i])
        got = gemv.best_pim_jobs(hw, jobs, pin, np.zeros((1, 1)))
        again = gemv.best_pim_jobs(hw, jobs, pin, np.zeros((1, 1)))      # from the memo
        fresh = gemv.pim_job(hw, jobs, np.where(pin > 0, pin, gemv._CAND_S), gemv._CAND_M)
        best = np.argmin(np.where(fresh.reg_ok, fresh.total_ns, np.inf), axis=0)
        for x in (got, again):
            np.testing.assert_array_equal(x.total_ns, np.take_along_axis(fresh.total_ns, best[None], 0)[0])
            np.testing.assert_array_equal(x.energy_pj, np.take_along_axis(fresh.energy_pj, best[None], 0)[0])
        host = gemv.host_job(hw, jobs)
        assert len(jobs._memo) <= 2
        np.testing.assert_array_equal(host[1], gemv.host_job(hw, gemv.Jobs.of(list(plan.job_list)))[1])


def test_fpga_table_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stage table's memo (fold candidates, group sub-tables) stays within MEMO_LIMIT and exact."""
    from simulators.fpga import layers

    monkeypatch.setattr(layers, "MEMO_LIMIT", 3)
    sim, wl = get_simulator("fpga"), get_workload("resnet18")
    designs = [dict(d, style="hybrid", groups=g) for d in sim.space(wl).sample(2, 5) for g in (1, 2, 4)]
    want = sim.evaluate_batch(designs, wl)
    from simulators.fpga.simulator import _table

    table = _table(wl)
    for i, d in enumerate(designs):
        assert sim.evaluate(d, wl).metrics == {k: float(v[i]) for k, v in want.metrics.items()}
        assert len(table._memo) <= 3
