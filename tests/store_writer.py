"""A helper process for the crash test: logs steps START..END-1 of a run, one commit per step,
skipping the steps already in the store (what a resumed sweep does). Also writes stores in the
schema-1 layout (metrics as JSON text, before packed metrics) for the migration tests."""

import json
import sqlite3
import sys
import time
from pathlib import Path

from archgym.store import EvalRecord, RunStore, _dumps

#: the evaluations table of schema 1, as archgym wrote it before packed metrics (user_version 0)
SCHEMA_1 = """CREATE TABLE evaluations (run_id TEXT NOT NULL, step INTEGER NOT NULL, env_id TEXT NOT NULL DEFAULT '',
    simulator TEXT NOT NULL DEFAULT '', fidelity TEXT NOT NULL DEFAULT '', workload TEXT NOT NULL DEFAULT '',
    design TEXT NOT NULL, metrics TEXT NOT NULL, valid INTEGER NOT NULL, violations TEXT NOT NULL DEFAULT '[]',
    agent TEXT NOT NULL DEFAULT '', seed INTEGER, wall_time_s REAL NOT NULL DEFAULT 0,
    predicted INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL,
    model_version TEXT NOT NULL DEFAULT 'unknown', package_version TEXT NOT NULL DEFAULT 'unknown',
    PRIMARY KEY (run_id, step));
CREATE TABLE runs (run_id TEXT PRIMARY KEY, config TEXT NOT NULL DEFAULT '{}', created_at REAL NOT NULL)"""


def record(step: int) -> EvalRecord:
    return EvalRecord(run_id="crash", step=step, design={"rows": 2 ** (step % 8), "df": "ws"},
                      metrics={"latency_s": step * 1e-3 + 1e-3, "energy_j": step * 0.5}, seed=7)


def write_schema1(path: Path, records: list[EvalRecord], configs: dict[str, str] | None = None) -> None:
    """A new store at ``path`` in the schema-1 layout holding ``records`` (and ``configs``: run id →
    config JSON), each row's design and metrics as the JSON texts schema 1 wrote."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(SCHEMA_1)
        db.executemany("INSERT INTO evaluations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            (r.run_id, r.step, r.env_id, r.simulator, r.fidelity, r.workload, _dumps(r.design), _dumps(r.metrics),
             int(r.valid), json.dumps(list(r.violations)), r.agent, r.seed, r.wall_time_s, int(r.predicted), 0.0,
             r.model_version, r.package_version) for r in records])
        db.executemany("INSERT INTO runs VALUES (?, ?, 0)", list((configs or {}).items()))
    db.close()


def downgrade(path: Path, to: Path) -> None:
    """The store at ``path`` rewritten at ``to`` in the schema-1 layout (same rows and run configs)."""
    with RunStore(path) as store:
        records = store.records()
        configs = {run: json.dumps(store.run_config(run), sort_keys=True) for run in store.runs()}
    write_schema1(to, records, configs)


if __name__ == "__main__":
    path, end = sys.argv[1], int(sys.argv[2])
    store = RunStore(path)
    done = store.steps("crash")
    for step in range(end):
        if step not in done:
            store.log(record(step))
            print(step, flush=True)
            time.sleep(0.001)
