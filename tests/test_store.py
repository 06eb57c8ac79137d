"""The run store: idempotent rows, pandas and file export, and no loss or duplication after a SIGKILL."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import archgym
from archgym.errors import ConfigError
from archgym.evaluator import Evaluator
from archgym.store import EvalRecord, RunStore
from archgym.workload import get_workload

sys.path.insert(0, str(Path(__file__).parent))
from store_writer import record
from toy_simulator import ToySimulator


def test_rows_are_idempotent_on_run_and_step(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    assert store.log(record(0)) is True
    assert store.log(record(0)) is False
    assert store.log_many([record(0), record(1), record(2)]) == 2
    assert store.count("crash") == 3 and store.steps("crash") == {0, 1, 2}


def test_read_as_dataframe_and_export(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    store.log_many(record(i) for i in range(5))
    store.log(EvalRecord("other", 0, {"rows": 4}, {}, valid=False, violations=["sram_fit"]))
    df = store.read("crash")
    assert list(df["step"]) == [0, 1, 2, 3, 4]
    assert list(df["d.rows"]) == [1, 2, 4, 8, 16] and df["m.latency_s"].iloc[1] == pytest.approx(2e-3)
    bad = store.records("other")[0]
    assert bad.valid is False and bad.violations == ["sram_fit"]
    assert (tmp_path / "x.csv") == store.export(tmp_path / "x.csv")
    pq = store.export(tmp_path / "x.parquet")
    import pandas as pd

    assert len(pd.read_parquet(pq)) == 6
    with pytest.raises(ConfigError, match="export format"):
        store.export(tmp_path / "x.xlsx")


OLD_SCHEMA = """CREATE TABLE evaluations (run_id TEXT NOT NULL, step INTEGER NOT NULL, env_id TEXT NOT NULL DEFAULT '',
    simulator TEXT NOT NULL DEFAULT '', fidelity TEXT NOT NULL DEFAULT '', workload TEXT NOT NULL DEFAULT '',
    design TEXT NOT NULL, metrics TEXT NOT NULL, valid INTEGER NOT NULL, violations TEXT NOT NULL DEFAULT '[]',
    agent TEXT NOT NULL DEFAULT '', seed INTEGER, wall_time_s REAL NOT NULL DEFAULT 0,
    predicted INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL, PRIMARY KEY (run_id, step))"""


def test_store_without_version_columns_is_migrated_and_old_rows_read_unknown(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.execute(OLD_SCHEMA)
        db.execute("INSERT INTO evaluations (run_id, step, design, metrics, valid, created_at) "
                   "VALUES ('old', 0, '{}', '{}', 1, 0)")
    with RunStore(path) as store:
        store.log(EvalRecord("new", 0, {}, {}, model_version="7", package_version="0.9"))
        old, new = store.records("old")[0], store.records("new")[0]
        assert (old.model_version, old.package_version) == ("unknown", "unknown")
        assert (new.model_version, new.package_version) == ("7", "0.9")
        assert list(store.read()["model_version"]) == ["7", "unknown"]  # ordered by run id
    with RunStore(path) as store:  # reopening a migrated store changes nothing
        assert store.count() == 2


def test_evaluator_rows_carry_the_model_and_package_version():
    class Versioned(ToySimulator):
        version = "3"

        def model_version(self, fidelity: str) -> str:
            return f"{self.version}-{fidelity}"

    store = RunStore(":memory:")
    sim, wl = Versioned(), get_workload("gemm:M=64,N=64,K=64")
    for fidelity in ("analytical", "cycle"):
        ev = Evaluator(sim, wl, sim.space(wl), fidelity=fidelity, store=store, run_id=fidelity)
        ev.evaluate(sim.space(wl).sample(2, 0))
        assert {(r.model_version, r.package_version) for r in store.records(fidelity)} == {
            (f"3-{fidelity}", archgym.__version__)}


def test_bad_store_paths(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        RunStore(tmp_path / "missing" / "runs.db")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ConfigError, match="not a usable SQLite run store"):
        RunStore(junk)


def test_sigkill_mid_write_loses_and_duplicates_nothing(tmp_path):
    path, total = str(tmp_path / "runs.db"), 400
    writer = [sys.executable, str(Path(__file__).parent / "store_writer.py"), path, str(total)]
    proc = subprocess.Popen(writer, stdout=subprocess.PIPE, text=True)
    for _ in range(50):  # wait until some rows are committed, then kill without warning
        proc.stdout.readline()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = RunStore(path).count("crash")
    assert 50 <= killed_at < total
    subprocess.run(writer, check=True, stdout=subprocess.DEVNULL)  # resume
    store = RunStore(path)
    rows = store.records("crash")
    assert [r.step for r in rows] == list(range(total))
    assert all(r.design == record(r.step).design and r.metrics == record(r.step).metrics for r in rows)


def test_two_writers_share_one_store(tmp_path):
    path = str(tmp_path / "runs.db")
    code = ("import sys; from archgym.store import EvalRecord, RunStore; s = RunStore(sys.argv[1]);"
            "[s.log(EvalRecord(sys.argv[2], i, {'i': i}, {'x': float(i)})) for i in range(200)]")
    procs = [subprocess.Popen([sys.executable, "-c", code, path, run]) for run in ("a", "b")]
    deadline = time.time() + 60
    for p in procs:
        assert p.wait(timeout=max(deadline - time.time(), 1)) == 0
    store = RunStore(path)
    assert store.count("a") == store.count("b") == 200


def test_column_wise_json_is_the_per_row_text():
    """json_values + json_objects (a sweep chunk encoded column by column) write exactly what the
    per-row encoder writes, for awkward keys and values."""
    from archgym.store import _dumps, json_objects, json_values

    floats = np.array([1.5, -0.0, np.inf, -np.inf, 1e300, 3.0, 1e-7], dtype=float)
    words = np.array(['a"b', "é", "%s", "x", "y", "z", "w"], dtype=object)
    ints = np.arange(7, dtype=np.int64)
    columns = {"f%": floats, 'q"k': words, "i": ints}
    got = json_objects({k: json_values(v) for k, v in columns.items()}, 7)
    assert got == [_dumps({k: v[i] for k, v in columns.items()}) for i in range(7)]
    assert json_objects({}, 2) == ["{}", "{}"]


@pytest.mark.parametrize(("column", "text", "message"), [
    ("design", "{bad", "step 3 design: not a JSON dict"),
    ("design", '{"a": 1}, {"b": 2}', "step 3 design: not a JSON dict"),       # two values in one text
    ("design", '{"a": 1}]', "step 3 design: not a JSON dict"),                # closes the decoded array early
    ("design", b"[]", "step 3 design: not a JSON dict"),                      # a blob, not text
    ("metrics", '{"m": "fast"}', "step 3 metrics.m: not a number"),
    ("metrics", "[1]", "step 3 metrics: not a JSON dict"),
    ("violations", "{}", "step 3 violations: not a JSON list"),
])
def test_a_damaged_row_is_one_error_naming_run_step_and_column(tmp_path, column, text, message):
    store = RunStore(tmp_path / "runs.db")
    store.log_many([EvalRecord("r", i, {"a": i}, {"m": float(i)}, violations=[] if i % 2 else ["x"]) for i in range(6)])
    with sqlite3.connect(tmp_path / "runs.db") as db:
        db.execute(f"UPDATE evaluations SET {column} = ? WHERE step = 3", (text,))
    for read in (store.records, store.read):
        with pytest.raises(ConfigError, match=f"run 'r' {message}"):
            read("r")


def test_records_and_read_decode_every_row(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    rows = [EvalRecord("r", i, {"a": i, "flag": bool(i % 2)}, {"m": float(i) if i % 3 else float("nan")},
                       valid=bool(i % 4), violations=[] if i % 4 else ["area"], seed=None if i % 5 else 7)
            for i in range(9000)]          # more rows than one decoding chunk
    store.log_many(rows)
    back = store.records("r")
    assert [(r.step, r.design, r.valid, r.violations, r.seed) for r in back] == [
        (r.step, r.design, r.valid, r.violations, r.seed) for r in rows]
    assert [r.metrics["m"] for r in back] == [None if i % 3 == 0 else float(i) for i in range(9000)]
    df = store.read("r")
    assert list(df["d.a"]) == list(range(9000)) and df["d.flag"].dtype == bool
    assert list(df["design"][:2]) == ['{"a": 0, "flag": false}', '{"a": 1, "flag": true}']


def test_json_stored_as_a_blob_still_reads(tmp_path):
    """Rows whose JSON is a blob (another writer) read as before: the chunked decoding cannot join
    them, the row-by-row path decodes them."""
    store = RunStore(tmp_path / "runs.db")
    store.log_many([EvalRecord("r", i, {"a": i}, {"m": 1.0}) for i in range(3)])
    with sqlite3.connect(tmp_path / "runs.db") as db:
        db.execute("UPDATE evaluations SET design = ? WHERE step = 1", (b'{"a": 1}',))
    assert [r.design for r in store.records("r")] == [{"a": 0}, {"a": 1}, {"a": 2}]
