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


def test_a_store_whose_corruption_sqlite_quotes_as_bytes_is_one_line(tmp_path):
    """A damaged schema entry whose name is not UTF-8: SQLite's error quotes it, which Python's sqlite3
    cannot decode (a raw UnicodeDecodeError, found by the corrupted-store fuzzing)."""
    path = tmp_path / "damaged.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t(x)")
        db.execute("PRAGMA writable_schema=ON")
        db.execute("UPDATE sqlite_master SET name = CAST(x'748a' AS TEXT), sql = 'CREATE TABLE' WHERE name = 't'")
    db.close()
    with pytest.raises(ConfigError, match=r"^store: .* is not a usable SQLite run store \(corrupted: .*\)$"):
        RunStore(path)


def test_a_damaged_schema_quoted_over_lines_is_one_line(tmp_path):
    """SQLite's "malformed database schema" error quotes the damaged statement, newlines and all."""
    path = tmp_path / "damaged.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t(x)")
        db.execute("PRAGMA writable_schema=ON")
        db.execute("UPDATE sqlite_master SET sql = ? WHERE name = 't'", ("CREATE TABLE t(x, '\n  y TEXT)",))
    db.close()
    with pytest.raises(ConfigError, match="not a usable SQLite run store") as err:
        RunStore(path)
    assert "\n" not in str(err.value) and "malformed database schema" in str(err.value)


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
    """json_values + json_members + json_objects (a sweep chunk encoded column by column) write
    exactly what the per-row encoder writes, for awkward keys and values."""
    from archgym.store import _dumps, json_members, json_objects, json_values

    floats = np.array([1.5, -0.0, np.inf, -np.inf, 1e300, 3.0, 1e-7], dtype=float)
    words = np.array(['a"b', "é", "%s", "x", "y", "z", "w"], dtype=object)
    ints = np.arange(7, dtype=np.int64)
    columns = {"f%": floats, 'q"k': words, "i": ints}
    got = json_objects({k: json_members(k, json_values(v)) for k, v in columns.items()}, 7)
    assert got == [_dumps({k: v[i] for k, v in columns.items()}) for i in range(7)]
    assert json_objects({}, 2) == ["{}", "{}"]


@pytest.mark.parametrize(("update", "message"), [
    ({"design": "{bad"}, "step 3 design: not a JSON dict"),
    ({"design": '{"a": 1}, {"b": 2}'}, "step 3 design: not a JSON dict"),       # two values in one text
    ({"design": '{"a": 1}]'}, "step 3 design: not a JSON dict"),                # closes the decoded array early
    ({"design": b"[]"}, "step 3 design: not a JSON dict"),                      # a blob, not text
    ({"violations": "{}"}, "step 3 violations: not a JSON list"),
    ({"metrics": '{"m": 3.0}'}, "step 3 metrics: not 1 packed float64 values"),  # text in a packed row
    ({"metrics": b"\0" * 7}, "step 3 metrics: not 1 packed float64 values"),    # a truncated value
    ({"metric_set": 99}, "step 3 metric_set: 99 is no metric set"),
    ({"metric_set": "x"}, "step 3 metric_set: 'x' is no metric set"),
    ({"metric_set": None, "metrics": '{"m": "fast"}'}, "step 3 metrics.m: not a number"),   # schema-1 rows
    ({"metric_set": None, "metrics": "[1]"}, "step 3 metrics: not a JSON dict"),
    ({"metric_set": None, "metrics": b"\x80"}, "step 3 metrics: not a JSON dict"),
])
def test_a_damaged_row_is_one_error_naming_run_step_and_column(tmp_path, update, message):
    store = RunStore(tmp_path / "runs.db")
    store.log_many([EvalRecord("r", i, {"a": i}, {"m": float(i)}, violations=[] if i % 2 else ["x"]) for i in range(6)])
    with sqlite3.connect(tmp_path / "runs.db") as db:
        db.execute(f"UPDATE evaluations SET {', '.join(f'{k} = ?' for k in update)} WHERE step = 3",
                   tuple(update.values()))
    for read in (store.records, store.read):
        with pytest.raises(ConfigError, match=f"run 'r' {message}"):
            read("r")


def test_damaged_metric_set_names_are_one_error(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    store.log(EvalRecord("r", 0, {}, {"m": 1.0}))
    with sqlite3.connect(tmp_path / "runs.db") as db:
        db.execute("UPDATE metric_sets SET names = '[\"m\", 3]'")
    with pytest.raises(ConfigError, match="metric set 1: names are not a JSON list of distinct strings"):
        store.records()


def test_a_metric_that_is_not_a_number_is_refused_when_logged():
    store = RunStore(":memory:")
    with pytest.raises(ConfigError, match="run 'r' step 4 metrics.speed: 'fast' is not a number"):
        store.log(EvalRecord("r", 4, {}, {"speed": "fast", "x": 1.0}))
    assert store.count() == 0


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


def test_a_schema1_store_is_read_appended_to_and_migrated_in_place(tmp_path):
    """A store written before packed metrics (JSON metrics, user_version 0) reads as it did, takes
    new (packed) rows beside its old ones, and reads both alike."""
    from store_writer import write_schema1

    path = tmp_path / "old.db"
    def metrics(i: int, x: float) -> dict:
        return {"m": i / 3, "cycles": 10 * i, "x": x}

    old = [EvalRecord("run", i, {"a": i, "df": "ws"}, metrics(i, float("inf") if i == 2 else 1.0),
                      valid=i != 1, violations=["area"] if i == 1 else [], seed=5) for i in range(4)]
    write_schema1(path, old)
    with RunStore(path) as store:
        assert store._db.execute("PRAGMA user_version").fetchone()[0] == 2
        back = store.records("run")
        assert [(r.design, r.valid, r.violations, r.seed) for r in back] == [
            (r.design, r.valid, r.violations, 5) for r in old]
        assert back[2].metrics == {"m": 2 / 3, "cycles": 20, "x": None} and type(back[3].metrics["cycles"]) is int
        new = [EvalRecord("run", i, {"a": i, "df": "ws"}, metrics(i, float("-inf") if i == 5 else 1.0))
               for i in range(3, 7)]
        assert store.log_many(new) == 3          # step 3 was already there
        both = store.records("run")
        assert [r.step for r in both] == list(range(7))
        assert [r.metrics for r in both[4:]] == [metrics(4, 1.0), metrics(5, None), metrics(6, 1.0)]
        assert all(type(r.metrics["cycles"]) is float for r in both[4:])       # packed: ints come back as floats
        df = store.read("run")
        assert df["m.m"].tolist() == [i / 3 for i in range(7)]
        assert df["m.cycles"].tolist() == [10.0 * i for i in range(7)]
        assert np.isnan(df["m.x"][[2, 5]]).all() and df["m.x"][[0, 1, 3, 4, 6]].tolist() == [1.0] * 5
    with RunStore(path) as store:              # reopening a migrated store changes nothing
        assert store.count() == 7 and store.records("run") == both


def test_a_store_newer_than_this_code_is_refused(tmp_path):
    path = tmp_path / "new.db"
    RunStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 3")
    with pytest.raises(ConfigError, match="schema version 3 is newer than this archgym reads"):
        RunStore(path)


def test_metrics_round_trip_packed():
    """Packed metrics read back as logged: floats exactly, ints and bools as floats, None and non-finite
    values as None, a missing metric missing, an empty set empty."""
    store = RunStore(":memory:")
    logged = [EvalRecord("r", 0, {}, {"a": 0.1, "b": -0.0, "c": 1e-300, "d": np.float32(0.5), "e": np.int64(7)}),
              EvalRecord("r", 1, {}, {"a": None, "b": float("nan"), "n": True}),
              EvalRecord("r", 2, {}, {})]
    store.log_many(logged)
    got = [r.metrics for r in store.records("r")]
    assert got == [{"a": 0.1, "b": -0.0, "c": 1e-300, "d": 0.5, "e": 7.0}, {"a": None, "b": None, "n": 1.0}, {}]
    assert str(got[0]["b"]) == "-0.0"
    df = store.read("r")
    assert df["m.a"].tolist()[0] == 0.1 and np.isnan(df["m.a"].tolist()[1:]).all() and np.isnan(df["m.e"][2])


@pytest.mark.parametrize("seed", [None, 0, 2**32 - 1])
def test_a_row_block_stores_its_shared_values_exactly(seed):
    """A block's shared values go into its INSERT as SQL literals: awkward strings (quotes, NUL,
    non-ASCII, empty) and seeds read back exactly as the per-record path stores them."""
    from archgym.store import RowBlock

    template = EvalRecord("it's \"a\" run", 5, {}, {}, env_id="", simulator="sys\x00tolic", fidelity="é; DROP TABLE x",
                          workload="%s ?", agent="a'", seed=seed, wall_time_s=1 / 3, predicted=True,
                          model_version="v'1", package_version="")
    block = RowBlock(template, ['{"a": 1}', '{"a": 2}'], ("m", "n"), np.array([[1.5, np.nan], [np.inf, 2.0]]),
                     [True, False], ["[]", '["x"]'])
    store = RunStore(":memory:")
    assert store.log_block(block) == 2 and store.log_block(block) == 0
    got = store.records()
    same = {k: getattr(template, k) for k in ("run_id", "env_id", "simulator", "fidelity", "workload", "agent", "seed",
                                               "wall_time_s", "predicted", "model_version", "package_version")}
    want = [EvalRecord(step=5, design={"a": 1}, metrics={"m": 1.5}, valid=True, violations=[], **same),
            EvalRecord(step=6, design={"a": 2}, metrics={"m": None, "n": 2.0}, valid=False, violations=["x"], **same)]
    assert got == want


def test_read_some_columns(tmp_path):
    """``read(columns=…)`` keeps the rows, designs and metrics and only the other columns asked for."""
    store = RunStore(tmp_path / "runs.db")
    store.log_many(record(i) for i in range(3))
    full = store.read("crash")
    slim = store.read("crash", columns=("seed",))
    assert list(slim.columns) == ["run_id", "step", "valid", "violations", "seed", "design",
                                  "d.df", "d.rows", "m.energy_j", "m.latency_s"]
    assert slim.equals(full[slim.columns])
    assert "seed" not in store.read("crash", columns=()).columns
    with pytest.raises(ConfigError, match="store read column.*'colour'"):
        store.read("crash", columns=("colour",))


def test_blocks_of_several_runs_in_one_transaction_store_what_each_block_stores():
    """``log_blocks`` joins the rows of blocks that share their INSERT (one run and metric set) into
    128-row statements: blocks of two runs, interleaved, sizes around 128, store as block by block."""
    from archgym.store import ROWS_PER_INSERT, RowBlock

    def block(run, step, n, names=("m",)):
        metrics = np.arange(step, step + n * len(names), dtype=float).reshape(n, len(names))
        return RowBlock(EvalRecord(run, step, {}, {}, seed=len(run), wall_time_s=0.5), [f'{{"s": {step + i}}}' for i in range(n)],
                        names, metrics, [i % 3 > 0 for i in range(n)], ['["v"]' if i % 5 else "[]" for i in range(n)])

    blocks = [block("a", 0, 100), block("b", 0, ROWS_PER_INSERT), block("a", 100, 60), block("b", 300, 1),
              block("a", 160, 0), block("a", 160, 2 * ROWS_PER_INSERT + 1, ("m", "n"))]
    one, each = RunStore(":memory:"), RunStore(":memory:")
    assert one.log_blocks(blocks) == sum(map(len, blocks)) and one.log_blocks(blocks[:2]) == 0
    for b in blocks:
        each.log_block(b)
    assert one.records() == each.records() and len(one.records()) == sum(map(len, blocks))
