"""The run store: idempotent rows, pandas and file export, and no loss or duplication after a SIGKILL."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archgym.errors import ConfigError
from archgym.store import EvalRecord, RunStore

sys.path.insert(0, str(Path(__file__).parent))
from store_writer import record


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
