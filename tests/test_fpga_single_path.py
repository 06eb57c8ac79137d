"""The FPGA analytical model's compiled kernels (simulators/fpga/kernels.py) equal the array operations
they replace exactly: the streaming pipeline's per-stage model (every weight placement, hybrid dataflow
groups), FINN folding (one target, per-stage targets, lane budgets of hybrid groups), the hybrid schedule of
the groups (numpy's pairwise sums included) and the tiled engine (resources, timing), on random designs of every device and precision."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from archgym.workload import Workload, get_workload
from simulators.fpga import FPGASimulator, kernels, model, streaming, tiled
from simulators.fpga.devices import DEVICES
from simulators.fpga.fabric import Fabric
from simulators.fpga.layers import StageTable, lower
from simulators.fpga.model import group_index
from simulators.fpga.precision import PRECISIONS
from simulators.fpga.reference_nets import finn_cnv
from simulators.fpga.streaming import StreamingModel

SIM = FPGASimulator()
WORKLOADS = {"resnet18": lambda: get_workload("resnet18"), "mobilenetv2": lambda: get_workload("mobilenetv2"),
             "gpt2-decode": lambda: get_workload("gpt2-decode"), "cnv": finn_cnv}


def _random(table: StageTable, d: int, seed: int) -> tuple[Fabric, dict[str, np.ndarray]]:
    """``d`` random designs' fabric (every device and precision) and knobs, folds included."""
    rng = np.random.default_rng(seed)
    fab = Fabric.of(rng.choice(list(DEVICES), d).tolist(), rng.choice(list(PRECISIONS), d).tolist())
    n_mac = table.mac_idx.size
    cols = {"pe": 2 ** rng.integers(0, 7, (d, n_mac)), "simd": 2 ** rng.integers(0, 7, (d, n_mac)),
            "lanes_e": 2 ** rng.integers(0, 5, (d, table.n)), "fifo": rng.choice([0.0, 2.0, 64.0, 4096.0], d),
            "cap": rng.uniform(0.2, 1.0, d), "wmem": rng.choice(["auto", "on-chip", "off-chip"], d).astype(object),
            "tm": rng.choice([1.0, 4.0, 16.0, 64.0, 200.0], d), "tn": rng.choice([1.0, 3.0, 16.0, 32.0], d),
            "buf_kib": rng.choice([0.0625, 1.0, 16.0, 256.0, 4096.0], d), "bpc": rng.uniform(0.5, 600.0, d)}
    return fab, cols


def _assert_same(a: object, b: object) -> None:
    for f in fields(a):  # type: ignore[arg-type]
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, dict):
            assert x.keys() == y.keys(), f.name
            for k in x:
                np.testing.assert_array_equal(x[k], y[k], err_msg=f"{f.name}[{k}]")
        else:
            np.testing.assert_array_equal(x, y, err_msg=f.name)


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_streaming_kernel_equals_the_array_model(name: str) -> None:
    table = lower(WORKLOADS[name]())
    st = streaming._stages(table)
    for d in (1, 37):
        fab, c = _random(table, d, seed=d)
        pe = np.minimum(c["pe"], table.MH[table.mac_idx])
        simd = np.minimum(c["simd"], table.MW[table.mac_idx])
        place = streaming.Placement.of(c["wmem"], c["cap"], fab)
        got, on = streaming._stage_model(st, fab, pe, simd, c["lanes_e"], place, c["fifo"])
        want, on_want = streaming.stage_model_arrays(st, fab, pe, simd, c["lanes_e"], place, c["fifo"])
        _assert_same(got, want)
        np.testing.assert_array_equal(on, on_want)
        if d > 1:
            assert 0 < on.sum() < d                             # both placements present
        # hybrid dataflow groups: each group a pipeline of its own, weights off chip
        group_of = np.stack([group_index(table, int(g)) for g in np.arange(d) % 4 + 1])
        gst = streaming._group_stages(table, group_of)
        fixed = streaming.Placement.fixed(np.zeros(d, bool))
        _assert_same(streaming._stage_model(gst, fab, pe, simd, c["lanes_e"], fixed, c["fifo"])[0],
                     streaming.stage_model_arrays(gst, fab, pe, simd, c["lanes_e"], np.zeros(d, bool), c["fifo"])[0])


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_tiled_kernel_equals_the_array_model(name: str) -> None:
    table = lower(WORKLOADS[name]())
    for d in (1, 41):
        fab, c = _random(table, d, seed=100 + d)
        res = tiled.engine_resources(table, fab, c["tm"], c["tn"], c["buf_kib"])
        res_want = tiled.engine_resources_arrays(table, fab, c["tm"], c["tn"], c["buf_kib"])
        assert res[0].keys() == res_want[0].keys()
        for x, y in [*zip(res[0].values(), res_want[0].values()), *zip(res[1:], res_want[1:])]:
            np.testing.assert_array_equal(x, y)
        got = tiled.engine(table, fab, c["tm"], c["tn"], c["buf_kib"], c["bpc"], res)
        want = tiled.engine_arrays(table, fab, c["tm"], c["tn"], c["buf_kib"], c["bpc"], res)
        _assert_same(got, want)
        if d > 1:
            assert 0 < got.buffer_ok.sum() < d                  # buffers that fit and that do not


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_fold_kernels_equal_the_array_search(name: str) -> None:
    table = lower(WORKLOADS[name]())
    rng = np.random.default_rng(7)
    d = 64
    target = float(table.macs.sum()) / 2.0 ** rng.uniform(0, 16, d)        # from one lane to 64 k lanes
    per_stage = target[:, None] * rng.uniform(0.01, 3.0, (d, table.n))
    for t in (target, per_stage, np.floor(per_stage)):                    # integer targets: the cycles' edges
        for got, want in zip(streaming.auto_fold(table, t), streaming.auto_fold_arrays(table, t)):
            np.testing.assert_array_equal(got, want)
    lanes = 2.0 ** rng.integers(0, 14, d) * rng.choice([1.0, 3.0, 5.0], d)
    group_of = np.stack([group_index(table, int(g)) for g in rng.integers(1, 5, d)])
    over = 0
    for g in (np.zeros(table.n, np.int64), group_of):
        for x, y in zip(streaming.fold_groups(table, g, lanes), streaming.fold_groups_arrays(table, g, lanes)):
            np.testing.assert_array_equal(x, y)
        first = streaming.auto_fold_arrays(table, float(table.macs.sum()) / lanes)
        over += int(((first[0] * first[1]).sum(axis=1) > lanes).sum())
    assert over > 0                                                       # the relaxation ran


@pytest.mark.parametrize("n", [*range(1, 20), 64, 127, 128, 129, 300, 1031])
def test_row_sum_is_numpys_sum(n: int) -> None:
    a = np.random.default_rng(n).uniform(0.0, 1e6, (3, n + 5)) / 7.0
    for lo in (0, 5):
        hi = lo + n
        assert [kernels.row_sum(a, i, lo, hi) for i in range(3)] == a[:, lo:hi].copy().sum(axis=1).tolist()


def _groups_arrays(lo: np.ndarray, hi: np.ndarray, e_cycles: np.ndarray, e_bytes: np.ndarray, df: StreamingModel,
                   is_mac: np.ndarray, df_off: np.ndarray, buf: np.ndarray, lanes: np.ndarray, bpc: np.ndarray,
                   choice: np.ndarray) -> tuple[np.ndarray, ...]:
    """The hybrid schedule of designs cut into groups ``lo[p]:hi[p]`` as ``model.analyze`` computed it with array
    operations before the kernel (``df_off``, ``choice``: ``(D, parts)``)."""
    out = []
    for p, (a, b) in enumerate(zip(lo.tolist(), hi.tolist())):
        seq = e_cycles.take(np.arange(a, b), axis=1).sum(axis=1)
        seq_bytes = e_bytes.take(np.arange(a, b), axis=1).sum(axis=1)
        part = StreamingModel(df.cycles[:, a:b], df.lanes[:, a:b], {k: v[:, a:b] for k, v in df.res.items()},
                              df_off[:, p], df.fill[:, a:b], df.row_time[:, a:b], df.width[:, a:b], df.fifo[:, a:b])
        ok = ((part.res["bram18k"].sum(axis=1) + 8 * part.res["uram"].sum(axis=1)) <= buf) & \
            (part.lanes[:, is_mac[a:b]].sum(axis=1) <= lanes + 1e-9)
        lat = np.where(ok, part.latency(bpc), np.inf)
        use = np.where(choice[:, p] == 0, lat < seq, (choice[:, p] == 1) & ok)
        out.append((use, np.where(use, lat, seq), np.where(use, df_off[:, p], seq_bytes)))
    return tuple(np.stack([o[k] for o in out], axis=1) for k in range(3))


@pytest.mark.parametrize("seed", range(4))
def test_hybrid_rows_kernel_equals_the_array_loop(seed: int) -> None:
    """Designs cut three ways (random cuts, one of them with an empty group) in one :func:`kernels.hybrid_rows`
    call get the array loop's numbers of their own cut, and (False, 0, 0) in empty groups."""
    rng = np.random.default_rng(seed)
    r, n, g_max = 40, 57, 6
    bounds = np.full((3, g_max, 2), -1, dtype=np.int64)
    for c, parts in enumerate((1, seed + 2, min(seed + 3, g_max - 1))):
        cuts = np.sort(rng.choice(np.arange(1, n), parts - 1, replace=False))
        slots = np.arange(parts) + (np.arange(parts) >= 1) * (c == 2)      # cut 2 leaves group 1 empty
        bounds[c, slots] = np.stack([np.concatenate([[0], cuts]), np.concatenate([cuts, [n]])], axis=1)
    which = rng.integers(0, 3, r)
    is_mac = rng.random(n) < 0.7
    f = lambda: rng.uniform(1.0, 1e5, (r, n)) / 3.0
    count = lambda hi_: rng.integers(0, hi_, (r, n)).astype(float)
    df = StreamingModel(f(), count(64), {"bram18k": count(30), "uram": count(4)}, np.zeros(r), f(), f(),
                        np.ones((r, n)), np.ones((r, n)))
    e_cycles, e_bytes = f() * 3.0, f() * 50.0
    df_off = rng.uniform(0.0, 1e6, (r, g_max))
    buf, lanes = rng.uniform(0, 2000, r), rng.uniform(0, 2500, r)
    bpc, choice = rng.uniform(1.0, 100.0, r), rng.integers(0, 3, (r, g_max))
    got = kernels.hybrid_rows(bounds, which, e_cycles, e_bytes, df.cycles, df.fill, df.row_time, df.lanes,
                              df.res["bram18k"], df.res["uram"], is_mac, df_off, buf, lanes, bpc, choice)
    for c in range(3):
        rows, g = np.flatnonzero(which == c), np.flatnonzero(bounds[c, :, 0] >= 0)
        sub = StreamingModel(df.cycles[rows], df.lanes[rows], {k: v[rows] for k, v in df.res.items()}, df_off[rows],
                             df.fill[rows], df.row_time[rows], df.width[rows], df.fifo[rows])
        want = _groups_arrays(bounds[c, g, 0], bounds[c, g, 1], e_cycles[rows], e_bytes[rows], sub, is_mac,
                              df_off[rows][:, g], buf[rows], lanes[rows], bpc[rows], choice[rows][:, g])
        for x, y in zip(got, want):
            np.testing.assert_array_equal(x[rows][:, g], y)
            assert not x[rows][:, bounds[c, :, 0] < 0].any()
    assert 0 < got[0].sum() < (bounds[which, :, 0] >= 0).sum()             # both schedules chosen


def _patched(monkeypatch: pytest.MonkeyPatch) -> None:
    """Route the model through the array definitions instead of the kernels."""
    monkeypatch.setattr(streaming, "_stage_model", streaming.stage_model_arrays)
    monkeypatch.setattr(streaming, "auto_fold", streaming.auto_fold_arrays)
    monkeypatch.setattr(model, "auto_fold", streaming.auto_fold_arrays)
    monkeypatch.setattr(streaming, "fold_groups", streaming.fold_groups_arrays)
    monkeypatch.setattr(model, "fold_groups", streaming.fold_groups_arrays)
    monkeypatch.setattr(tiled, "engine", tiled.engine_arrays)
    monkeypatch.setattr(model, "engine", tiled.engine_arrays)
    monkeypatch.setattr(model, "engine_resources", tiled.engine_resources_arrays)


@pytest.mark.parametrize("fidelity", ["analytical", "cycle"])
def test_evaluations_equal_the_array_path(monkeypatch: pytest.MonkeyPatch, fidelity: str) -> None:
    wl: Workload = get_workload("resnet18")
    designs = SIM.space(wl, None, "shared").sample(30, 5) + SIM.space(wl).sample(30, 6)
    batch = SIM.evaluate_batch(designs, wl, fidelity)
    singles = [SIM.evaluate(d, wl, fidelity) for d in designs[:9]]
    _patched(monkeypatch)
    ref = SIM.evaluate_batch(designs, wl, fidelity)
    assert batch.valid.tolist() == ref.valid.tolist() and batch.violations == ref.violations
    for k, v in batch.metrics.items():
        np.testing.assert_array_equal(v, ref.metrics[k], err_msg=k)
    for d, r in zip(designs[:9], singles):
        want = SIM.evaluate(d, wl, fidelity)
        assert (r.valid, r.violations, r.info, r.layers) == (want.valid, want.violations, want.info, want.layers)
        np.testing.assert_array_equal(list(r.metrics.values()), list(want.metrics.values()))
        assert r.metrics.keys() == want.metrics.keys()
