"""Sweeps: deterministic plans, parallel and serial runs give the same rows, resume after a
SIGKILL loses and repeats nothing, concurrent sweeps share one store, agents resume by replay."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from sweep_helpers import rows, write_config

from archgym.app.sweep import Plan, prepare, run_sweep
from archgym.app.sweep_config import load_sweep_config
from archgym.space import DesignSpace, categorical, int_range, pow2
from archgym.store import RunStore

ROOT = Path(__file__).resolve().parents[1]
SPACE = DesignSpace((pow2("a", 1, 64), int_range("b", 0, 9), categorical("c", ("x", "y", "z"))))


def _sweep(path, store_path, **kw):
    cfg = load_sweep_config(path)
    with RunStore(store_path) as store:
        out = run_sweep(cfg, store, progress=False, **kw)
        return out, rows(store)


def test_plans_are_deterministic_and_well_formed():
    grid = Plan(SPACE, "grid", None, 0)
    assert grid.total == SPACE.size == 210
    assert grid.designs(0, 210) == list(SPACE.enumerate())
    rand = Plan(SPACE, "random", 50, 7)
    designs = rand.designs(0, 50)
    assert designs == Plan(SPACE, "random", 50, 7).designs(0, 50) != Plan(SPACE, "random", 50, 8).designs(0, 50)
    assert len({tuple(d.values()) for d in designs}) == 50  # without replacement
    assert rand.designs(10, 20) == designs[10:20]
    assert Plan(SPACE, "random", 500, 7).total == 210  # never more than the space
    lhs = Plan(SPACE, "lhs", 30, 1)
    idx = lhs.indices(0, 30)
    # Latin hypercube: each parameter's values are spread evenly (every value of `b` 3 times)
    assert np.bincount(idx[:, 1], minlength=10).tolist() == [3] * 10
    assert np.bincount(idx[:, 2], minlength=3).tolist() == [10] * 3
    assert (lhs.indices(0, 30) == Plan(SPACE, "lhs", 30, 1).indices(0, 30)).all()


def test_parallel_runs_equal_serial_and_grid_covers_space(tmp_path):
    path = write_config(tmp_path, strategy="lhs", budget=45, batch_size=7)
    one, rows_one = _sweep(path, tmp_path / "one.db", workers=1)
    two, rows_two = _sweep(path, tmp_path / "two.db", workers=2)
    assert one.evaluated == two.evaluated == 45 and len(rows_one) == 45
    assert rows_one == rows_two
    summary = one.summaries[0]
    assert summary.rows == 45 and summary.pareto_size >= 1 and len(summary.best) == 3
    grid = write_config(tmp_path, name="g", strategy="grid", budget=None, batch_size=50,
                        constraints={"area_mm2": 30})
    out, grid_rows = _sweep(grid, tmp_path / "grid.db", workers=2)
    assert [r[1] for r in grid_rows] == list(range(240))
    assert len({tuple(sorted(r[2].items())) for r in grid_rows}) == 240
    s = out.summaries[0]
    assert s.invalid > 0 and s.violations[0][0] == "area_mm2<=30" and s.feasible + s.invalid == 240


def test_resume_fills_exactly_the_missing_chunks(tmp_path):
    path = write_config(tmp_path, budget=50, batch_size=6)
    _, full = _sweep(path, tmp_path / "full.db", workers=1)
    part = tmp_path / "part.db"
    _sweep(path, part, workers=1)
    with sqlite3.connect(part) as db:  # as if the sweep had been killed before these chunks
        db.execute("DELETE FROM evaluations WHERE step BETWEEN 12 AND 23 OR step >= 48")
    out, resumed = _sweep(path, part, workers=2, resume=True)
    assert out.resumed_from == 36 and out.evaluated == 14
    assert resumed == full


class WalkAgent:
    """A deterministic ask/tell agent: random designs near the best one told so far."""

    def __init__(self, name, space, objective, seed, config, objectives=None):
        self.space, self.objective = space, objective
        self.rng = np.random.default_rng(seed)
        self.best, self.best_cost, self.told = None, np.inf, 0

    def ask(self, n):
        out = []
        for _ in range(n):
            idx = self.space.sample_indices(1, self.rng)[0]
            if self.best is not None and self.rng.random() < 0.5:
                idx = self.space.to_indices(self.best)
                j = self.rng.integers(len(idx))
                idx[j] = self.rng.integers(self.space.nvec[j])
            out.append(self.space.from_indices(idx))
        return out

    def tell(self, designs, results):
        self.told += len(designs)
        for d, r in zip(designs, results):
            c = self.objective.cost(r)
            if c < self.best_cost:
                self.best, self.best_cost = d, c


def test_agent_strategy_resumes_by_replay(tmp_path, monkeypatch):
    import archgym.app.sweep_config as sc

    monkeypatch.setattr(sc, "agent_names", lambda: ["walk"])
    path = write_config(tmp_path, strategy={"name": "walk", "ask_size": 8}, budget=40, batch_size=4)
    _, full = _sweep(path, tmp_path / "full.db", workers=1, agent_factory=WalkAgent)
    part = tmp_path / "part.db"
    _sweep(path, part, workers=2, agent_factory=WalkAgent)
    assert rows(RunStore(part)) == full  # parallel evaluation of one ask changes nothing
    with sqlite3.connect(part) as db:  # killed in the middle of the third ask
        db.execute("DELETE FROM evaluations WHERE step >= 20")
    out, resumed = _sweep(path, part, workers=1, agent_factory=WalkAgent)
    assert out.evaluated == 20 and resumed == full


def _start(path: Path, store: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "archgym", "sweep", str(path), "--store", str(store),
                             "--no-progress", *extra], cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _count(store: Path) -> int:
    if not store.exists():
        return 0
    try:
        with sqlite3.connect(store, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_sigkill_mid_sweep_then_resume_matches_uninterrupted(tmp_path):
    # one design per chunk on ResNet-18 (the whole tpu-v1 space) at cycle level (~0.5 ms a design): finished
    # chunks are committed in groups of GROUP_WORK_S of evaluation, several in 400 chunks however idle the
    # machine (at the analytical fidelity all 400 fit in one group there, committed at the end), so the kill
    # falls between two commits with finished chunks held back; resume must evaluate exactly the uncommitted steps
    total = 400
    path = write_config(tmp_path, name="kill", workload="resnet18", space={}, budget=total, batch_size=1,
                        fidelity="cycle")
    _, reference = _sweep(path, tmp_path / "ref.db", workers=1)
    store = tmp_path / "killed.db"
    proc = _start(path, store, "--workers", "2")
    while _count(store) < 1 and proc.poll() is None:   # no deadline: a loaded machine only makes it wait
        time.sleep(0.005)
    assert proc.poll() is None, "the sweep finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its workers, at an arbitrary moment
    proc.wait()
    killed_at = _count(store)
    assert 1 <= killed_at < total
    resumed = _start(path, store, "--resume", "--workers", "2")
    out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    assert f"{total - killed_at} evaluated now, {killed_at} already in" in out
    with RunStore(store) as s:
        assert rows(s) == reference


class _Bar:
    """A progress bar that checks every row it is told is done is in the store."""

    def __init__(self, store):
        self.store, self.done = store, 0

    def update(self, n):
        self.done += n
        assert self.store.count() == self.done


def _blocks(sizes, work_per_row, step=0):
    from archgym.store import EvalRecord, RowBlock

    out = []
    for n in sizes:
        template = EvalRecord("g", step, {}, {}, wall_time_s=work_per_row)
        out.append(RowBlock(template, [f'{{"i": {step + i}}}' for i in range(n)], ("m",),
                            np.arange(step, step + n, dtype=float)[:, None], [True] * n, ["[]"] * n))
        step += n
    return out


def test_finished_chunks_are_committed_in_groups_and_reported_only_once_committed():
    from archgym.app import sweep

    store = RunStore(":memory:")
    bar = _Bar(store)
    group = sweep._Group(store, bar)
    rows = sweep.GROUP_ROWS // 4
    for i, block in enumerate(_blocks([rows] * 9, 0.0)):   # cheap chunks: a commit per GROUP_ROWS rows
        group.add(block)
        assert store.count() == bar.done == rows * 4 * ((i + 1) // 4)
    group.add(_blocks([3], sweep.GROUP_WORK_S, 9 * rows)[0])   # costly rows: committed with the ones held before
    assert store.count() == bar.done == 9 * rows + 3


def test_an_interrupted_planned_sweep_keeps_its_finished_chunks(tmp_path):
    from archgym.app import sweep

    path = write_config(tmp_path, budget=40, batch_size=4)
    run = prepare(load_sweep_config(path))[0]
    finished = _blocks([4, 4, 4], 0.0)

    class Pool:
        def run(self, spec, chunks):
            yield from finished
            raise KeyboardInterrupt

    store = RunStore(":memory:")
    bar = _Bar(store)
    with pytest.raises(KeyboardInterrupt):
        sweep._run_planned(run, store, Pool(), bar)
    assert store.steps("g") == set(range(12)) and bar.done == 12


def test_concurrent_sweeps_share_one_store(tmp_path):
    store = tmp_path / "shared.db"
    a = write_config(tmp_path, name="a", budget=120, batch_size=3, seed=1)
    b = write_config(tmp_path, name="b", budget=120, batch_size=3, seed=2)
    procs = [_start(a, store, "--workers", "1"), _start(b, store, "--workers", "1"),
             _start(a, store, "--workers", "1")]  # the same config twice at once
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    with RunStore(store) as s:
        assert s.count() == 240 and len(s.runs()) == 2
        assert all(sorted(s.steps(r)) == list(range(120)) for r in s.runs())
        _, ref = _sweep(a, tmp_path / "ref.db", workers=1)
        run_a = load_sweep_config(a).run_id("gemm:M=256,N=512,K=256")
        assert rows(s, run_a) == ref
    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_ray_rows_equal_local_rows(tmp_path):
    pytest.importorskip("ray", reason="Ray is the optional extra archgym[ray]; not installed")
    path = write_config(tmp_path, strategy="lhs", budget=40, batch_size=5)
    _, local = _sweep(path, tmp_path / "local.db", workers=2)
    out, remote = _sweep(path, tmp_path / "ray.db", executor="ray", workers=2)
    assert out.evaluated == 40 and remote == local


def test_multiple_workloads_are_separate_runs(tmp_path):
    path = write_config(tmp_path, workload=None, workloads=["gemm:M=64,N=64,K=64", "gemv:M=512,K=512"],
                        budget=10)
    path.write_text(path.read_text().replace("workload: null\n", ""))
    cfg = load_sweep_config(path)
    runs = prepare(cfg)
    assert [r.workload for r in runs] == cfg.workloads
    out, all_rows = _sweep(path, tmp_path / "m.db", workers=1)
    assert out.evaluated == 20 and len({r[0] for r in all_rows}) == 2
    # the same seed plans the same designs on both workloads
    assert [r[2] for r in all_rows[:10]] == [r[2] for r in all_rows[10:]]


def test_registered_agent_resumes_by_replay(tmp_path):
    path = write_config(tmp_path, strategy={"name": "ga", "ask_size": 16}, budget=48, batch_size=8)
    _, full = _sweep(path, tmp_path / "full.db", workers=1)
    part = tmp_path / "part.db"
    _sweep(path, part, workers=1)
    with sqlite3.connect(part) as db:
        db.execute("DELETE FROM evaluations WHERE step >= 24")
    out, resumed = _sweep(path, part, workers=2)
    assert out.evaluated == 24 and resumed == full


@pytest.mark.parametrize("combinations", [None, 1, 12])
def test_index_chunks_write_the_same_rows_as_design_chunks(monkeypatch, combinations):
    """A planned chunk's rows are built column-wise (RowBlock); stored, they must read back as the
    rows the per-design records write, including rows the space's constraints reject (metrics left out).
    Design texts are joined from groups of parameters: the default, one per parameter, and small
    groups (parameters with more than 12 values alone)."""
    from archgym.app import executors
    from archgym.app.executors import EvalSpec, evaluate_chunk
    from archgym.metrics import Objective
    from archgym.store import RowBlock

    monkeypatch.setattr(executors, "_DESIGN_TEXTS", {})
    if combinations is not None:
        monkeypatch.setattr(executors, "GROUP_COMBINATIONS", combinations)
    spec = EvalSpec("r", "systolic", "gemm:M=256,N=512,K=256", "edge-7nm", "auto", "analytical", "{}",
                    Objective.parse("edp"), "random", 3)
    space = spec.build_space()
    indices = space.sample_indices(300, np.random.default_rng(0))
    block = evaluate_chunk(spec, 17, indices)
    records = evaluate_chunk(spec, 17, space.columns_to_designs(space.indices_to_columns(indices)))
    assert isinstance(block, RowBlock) and isinstance(records, list)
    assert 0 < sum(block.valid) < len(block)  # both kinds of row are covered
    one, two = RunStore(":memory:"), RunStore(":memory:")
    one.log_block(block)
    two.log_many(records)
    assert rows(one) == rows(two)
    assert [r.design for r in one.records()] == [r.design for r in records]
    when = ["wall_time_s"]  # how long, not what
    assert one.read().drop(columns=when).equals(two.read().drop(columns=when))


def test_resume_appends_to_a_schema1_store(tmp_path):
    """A sweep resumed into a store written before packed metrics (schema 1) fills the missing steps;
    the rows and the summary are those of an uninterrupted sweep."""
    from store_writer import downgrade

    path = write_config(tmp_path, budget=50, batch_size=6)
    ref, full = _sweep(path, tmp_path / "full.db", workers=1)
    old = tmp_path / "old.db"
    downgrade(tmp_path / "full.db", old)
    with sqlite3.connect(old) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 0
        db.execute("DELETE FROM evaluations WHERE step >= 30")
    out, resumed = _sweep(path, old, workers=1, resume=True)
    assert out.resumed_from == 30 and out.evaluated == 20 and resumed == full
    assert out.summaries[0].format() == ref.summaries[0].format()
