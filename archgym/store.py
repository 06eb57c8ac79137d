"""The run store: every evaluation is one row, keyed by (run id, step).

Backed by SQLite in WAL mode: embedded, safe against a process killed at any moment (a row
is either committed whole or absent), and readable while another process writes. Writes are
idempotent on (run id, step): re-logging a step that is already there changes nothing, so a
resumed sweep neither loses nor repeats rows.

Every row says what produced it: simulator, fidelity, the simulator's model version for that
fidelity (:meth:`archgym.simulator.Simulator.model_version`) and the archgym package version.
Stores written before those columns existed are migrated on open: the columns are added and
their old rows read ``"unknown"``.
"""

from __future__ import annotations

import json
import math
import random
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from typing_extensions import Self

from archgym.errors import ConfigError

SCHEMA = """
CREATE TABLE IF NOT EXISTS evaluations (
    run_id      TEXT    NOT NULL,
    step        INTEGER NOT NULL,
    env_id      TEXT    NOT NULL DEFAULT '',
    simulator   TEXT    NOT NULL DEFAULT '',
    fidelity    TEXT    NOT NULL DEFAULT '',
    workload    TEXT    NOT NULL DEFAULT '',
    design      TEXT    NOT NULL,
    metrics     TEXT    NOT NULL,
    valid       INTEGER NOT NULL,
    violations  TEXT    NOT NULL DEFAULT '[]',
    agent       TEXT    NOT NULL DEFAULT '',
    seed        INTEGER,
    wall_time_s REAL    NOT NULL DEFAULT 0,
    predicted   INTEGER NOT NULL DEFAULT 0,
    created_at  REAL    NOT NULL,
    model_version   TEXT NOT NULL DEFAULT 'unknown',
    package_version TEXT NOT NULL DEFAULT 'unknown',
    PRIMARY KEY (run_id, step)
);
CREATE TABLE IF NOT EXISTS runs (
    run_id     TEXT PRIMARY KEY,
    config     TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL
);
"""

COLUMNS = ("run_id", "step", "env_id", "simulator", "fidelity", "workload", "design", "metrics", "valid",
           "violations", "agent", "seed", "wall_time_s", "predicted", "created_at", "model_version",
           "package_version")
#: columns added after the first schema: name → definition used to migrate an older store
ADDED_COLUMNS = {"model_version": "TEXT NOT NULL DEFAULT 'unknown'",
                 "package_version": "TEXT NOT NULL DEFAULT 'unknown'"}
#: what a row written before the version columns existed reads
UNKNOWN_VERSION = "unknown"


@dataclass
class EvalRecord:
    """One logged evaluation (``design`` and ``metrics`` are plain dicts)."""

    run_id: str
    step: int
    design: dict[str, Any]
    metrics: dict[str, float]
    valid: bool = True
    violations: list[str] = field(default_factory=list)
    env_id: str = ""
    simulator: str = ""
    fidelity: str = ""
    workload: str = ""
    agent: str = ""
    seed: int | None = None
    wall_time_s: float = 0.0
    predicted: bool = False
    model_version: str = UNKNOWN_VERSION
    package_version: str = UNKNOWN_VERSION

    def as_row(self) -> tuple[Any, ...]:
        """The row in :data:`COLUMNS` order."""
        return (self.run_id, self.step, self.env_id, self.simulator, self.fidelity, self.workload,
                _dumps(self.design), _dumps(self.metrics), int(bool(self.valid)),
                json.dumps(list(self.violations)), self.agent, self.seed, self.wall_time_s,
                int(bool(self.predicted)), time.time(), self.model_version, self.package_version)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _dumps(mapping: Mapping[str, Any]) -> str:
    return json.dumps({k: _plain(v) for k, v in mapping.items()}, sort_keys=True)


def json_values(values: Any) -> list[str]:
    """Each value as the JSON text :func:`_dumps` writes for it inside an object (numpy scalars
    as Python ones, non-finite floats as ``null``); a float array is encoded without per-value
    type checks."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        texts = list(map(float.__repr__, values.astype(float).tolist()))
        for i in np.flatnonzero(~np.isfinite(values)).tolist():
            texts[i] = "null"
        return texts
    return [json.dumps(_plain(v)) for v in values]


def json_objects(columns: Mapping[str, list[str]], n: int) -> list[str]:
    """Row ``i`` of ``columns`` (each key's values already JSON texts, :func:`json_values`) as
    the text :func:`_dumps` writes for ``{key: value_i}``: the same sorted keys and separators,
    built from one template instead of one ``json.dumps`` per row."""
    keys = sorted(columns)
    if not keys:
        return ["{}"] * n
    template = "{" + ", ".join(json.dumps(k).replace("%", "%%") + ": %s" for k in keys) + "}"
    return [template % row for row in zip(*(columns[k] for k in keys))]


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:160] if lines else type(exc).__name__


def _migrate(db: sqlite3.Connection) -> None:
    """Add the columns an older store lacks (its rows take each column's default)."""
    have = {row[1] for row in db.execute("PRAGMA table_info(evaluations)")}
    for name, definition in ADDED_COLUMNS.items():
        if name not in have:
            db.execute(f"ALTER TABLE evaluations ADD COLUMN {name} {definition}")


@dataclass
class RowBlock:
    """Consecutive rows of one run (steps ``template.step``, ``template.step + 1`` …) that share
    every column of ``template`` but the design, metrics, validity and violations, which come
    already encoded as JSON texts: a planned sweep chunk built column-wise, cheap to send from a
    worker process and to insert."""

    template: EvalRecord
    designs: list[str]
    metrics: list[str]
    valid: list[bool]
    violations: list[str]

    def __len__(self) -> int:
        return len(self.designs)

    def rows(self) -> list[tuple[Any, ...]]:
        """The rows in :data:`COLUMNS` order."""
        (run_id, first, env_id, simulator, fidelity, workload, _, _, _, _, agent, seed, wall, predicted,
         created, model_version, package_version) = self.template.as_row()
        return [(run_id, step, env_id, simulator, fidelity, workload, design, metrics, int(ok), violations,
                 agent, seed, wall, predicted, created, model_version, package_version)
                for step, design, metrics, ok, violations in
                zip(range(first, first + len(self)), self.designs, self.metrics, self.valid, self.violations)]


#: the columns a record takes as they are stored (JSON columns, flags and the row's time aside)
_PLAIN = tuple(k for k in COLUMNS if k not in ("design", "metrics", "violations", "valid", "predicted", "created_at"))
#: what a metric value may decode to (JSON numbers, true/false, null for a non-finite value)
_NUMBER_TYPES = frozenset({int, float, bool, type(None)})
#: JSON texts decoded per ``json.loads`` call by :func:`_json_column`
_JSON_CHUNK = 4096


@dataclass
class _Table:
    """Rows of the store column by column (values as stored), with the JSON columns decoded."""

    columns: dict[str, list[Any]]
    designs: list[dict[str, Any]]
    metrics: list[dict[str, Any]]
    violations: list[list[str]]


def _json_column(texts: list[Any], kind: type) -> list[Any] | None:
    """``texts`` decoded, a chunk of them per ``json.loads`` call (one JSON array of the texts); None
    unless every text is one JSON value of ``kind`` (a text that is not, or two values in one text,
    makes the array fail to parse or change its length)."""
    out: list[Any] = []
    for i in range(0, len(texts), _JSON_CHUNK):
        part = texts[i:i + _JSON_CHUNK]
        try:
            values = json.loads("[" + ",".join(part) + "]")
        except (TypeError, ValueError):
            return None
        if len(values) != len(part) or any(type(v) is not kind for v in values):
            return None
        out += values
    return out


def _numbers(steps: list[Any], metrics: list[dict[str, Any]]) -> bool:
    """Every step an integer and every metric value a number (or null)."""
    return all(type(s) is int for s in steps) and {type(v) for m in metrics for v in m.values()} <= _NUMBER_TYPES


class RunStore:
    """A SQLite run store (``path`` is created when missing; ``:memory:`` for tests)."""

    def __init__(self, path: str | Path, timeout_s: float = 60.0):
        self.path = str(path)
        if self.path != ":memory:":
            parent = Path(self.path).parent
            if not parent.exists():
                raise ConfigError(f"store: directory {str(parent)!r} does not exist")
        self._db = self._open(timeout_s)

    def _open(self, timeout_s: float) -> sqlite3.Connection:
        """Connect, switch to WAL and create the schema, retrying while another process does the same.

        SQLite's busy handler does not cover every lock taken while a fresh file is switched to WAL
        (the journal-mode change and WAL recovery can answer "database is locked" at once), so
        writers starting together on a new store retry here until ``timeout_s``.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            db = None
            try:
                db = sqlite3.connect(self.path, timeout=timeout_s, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                # NORMAL in WAL mode: a committed transaction survives a killed process.
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute("BEGIN IMMEDIATE")
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                _migrate(db)
                db.execute("COMMIT")
                return db
            except sqlite3.DatabaseError as exc:
                if db is not None:
                    db.close()
                busy = isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))
                if not busy or time.monotonic() > deadline:
                    raise ConfigError(f"store: {self.path!r} is not a usable SQLite run store ({exc})") from None
                time.sleep(0.01 + 0.04 * random.random())

    # -- writing ---------------------------------------------------------------------------
    def log(self, record: EvalRecord) -> bool:
        """Insert one row; returns False when (run id, step) was already there."""
        return self.log_many([record]) == 1

    def log_many(self, records: Iterable[EvalRecord]) -> int:
        """Insert rows in one transaction (all or none); returns how many were new."""
        return self._insert([r.as_row() for r in records])

    def log_block(self, block: RowBlock) -> int:
        """Insert a :class:`RowBlock` in one transaction (all or none); returns how many were new."""
        return self._insert(block.rows())

    def _insert(self, rows: list[tuple[Any, ...]]) -> int:
        if not rows:
            return 0
        placeholders = ",".join("?" * len(COLUMNS))
        with self._transaction():
            before = self._db.total_changes
            self._db.executemany(
                f"INSERT OR IGNORE INTO evaluations ({','.join(COLUMNS)}) VALUES ({placeholders})", rows)
            return self._db.total_changes - before

    def register_run(self, run_id: str, config: Mapping[str, Any]) -> None:
        with self._transaction():
            self._db.execute("INSERT OR IGNORE INTO runs (run_id, config, created_at) VALUES (?, ?, ?)",
                             (run_id, json.dumps(config, sort_keys=True, default=str), time.time()))

    def _transaction(self) -> Any:
        db = self._db

        class _Tx:
            def __enter__(self) -> None:
                db.execute("BEGIN IMMEDIATE")

            def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
                db.execute("ROLLBACK" if exc_type else "COMMIT")

        return _Tx()

    # -- reading ---------------------------------------------------------------------------
    def steps(self, run_id: str) -> set[int]:
        """Steps already logged for ``run_id`` (what a resumed sweep skips)."""
        return {r[0] for r in self._db.execute("SELECT step FROM evaluations WHERE run_id = ?", (run_id,))}

    def count(self, run_id: str | None = None) -> int:
        if run_id is None:
            return self._db.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
        return self._db.execute("SELECT COUNT(*) FROM evaluations WHERE run_id = ?", (run_id,)).fetchone()[0]

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """SQLite's errors and undecodable text while reading as one :class:`ConfigError` line."""
        try:
            yield
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            raise ConfigError(f"store {self.path!r}: cannot be read ({_first_line(exc)}; a damaged file)") from None

    def runs(self) -> list[str]:
        with self._reading():
            return [r[0] for r in self._db.execute("SELECT DISTINCT run_id FROM evaluations ORDER BY run_id")]

    def run_config(self, run_id: str) -> dict[str, Any] | None:
        with self._reading():
            row = self._db.execute("SELECT config FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return self._json(row[0], dict, f"run {run_id!r} config") if row else None

    def records(self, run_id: str | None = None, env_id: str | None = None) -> list[EvalRecord]:
        """The rows as records; a damaged row (bad JSON, wrong types) is one :class:`ConfigError`
        naming the store, run, step and column, never a traceback or a silently skipped row."""
        t = self._table(run_id, env_id)
        c = t.columns
        return [EvalRecord(design=design, metrics=metrics, violations=violations, valid=bool(ok), predicted=bool(pred),
                           **dict(zip(_PLAIN, values)))
                for design, metrics, violations, ok, pred, *values in
                zip(t.designs, t.metrics, t.violations, c["valid"], c["predicted"], *(c[k] for k in _PLAIN))]

    def read(self, run_id: str | None = None, env_id: str | None = None) -> Any:
        """A pandas DataFrame: one row per evaluation, design parameters as ``d.NAME`` columns
        and metrics as ``m.NAME`` columns beside the raw JSON (the texts as stored)."""
        import pandas as pd

        t = self._table(run_id, env_id)
        if not t.designs:
            return pd.DataFrame([])
        c = t.columns
        base = {k: [bool(x) for x in c[k]] if k in ("valid", "predicted") else t.violations if k == "violations"
                else c[k] for k in COLUMNS if k not in ("design", "metrics", "created_at")}
        frame = pd.DataFrame(base | {"design": c["design"], "metrics": c["metrics"]})
        designs = pd.DataFrame(t.designs).add_prefix("d.")
        metrics = pd.DataFrame(t.metrics).add_prefix("m.")
        return pd.concat([frame, designs, metrics], axis=1)

    def _table(self, run_id: str | None, env_id: str | None) -> _Table:
        """The rows column by column, JSON columns decoded and checked (see :meth:`records`)."""
        where, args = self._where(run_id, env_id)
        with self._reading():
            rows = self._db.execute(f"SELECT {','.join(COLUMNS)} FROM evaluations{where} ORDER BY run_id, step",
                                    args).fetchall()
        columns = {k: list(v) for k, v in zip(COLUMNS, zip(*rows))} if rows else {k: [] for k in COLUMNS}
        designs, metrics = _json_column(columns["design"], dict), _json_column(columns["metrics"], dict)
        violations = _json_column(columns["violations"], list)
        if designs is None or metrics is None or violations is None or not _numbers(columns["step"], metrics):
            designs, metrics, violations = self._decode_rows(rows)
        return _Table(columns, designs, metrics, violations)

    def _decode_rows(self, rows: list[tuple[Any, ...]]) -> tuple[list[Any], list[Any], list[Any]]:
        """The JSON columns decoded row by row, checked as :meth:`records` says: the slow path, taken
        when the chunked decoding fails, to name the first damaged row (or to read texts it cannot
        join, such as JSON stored as a blob)."""
        designs, metrics, violations = [], [], []
        for row in rows:
            d = dict(zip(COLUMNS, row))
            at = f"run {d['run_id']!r} step {d['step']}"
            designs.append(self._json(d["design"], dict, f"{at} design"))
            metrics.append(self._json(d["metrics"], dict, f"{at} metrics"))
            violations.append(self._json(d["violations"], list, f"{at} violations"))
            bad = [k for k, v in metrics[-1].items() if type(v) not in _NUMBER_TYPES]
            if bad or type(d["step"]) is not int:
                field = f"metrics.{bad[0]}" if bad else "step"
                raise ConfigError(f"store {self.path!r}: {at} {field}: not a number (a damaged row)")
        return designs, metrics, violations

    def _json(self, text: Any, kind: type, at: str) -> Any:
        """A JSON column's value, which must decode to ``kind``."""
        try:
            value = json.loads(text)
        except (TypeError, ValueError):
            value = None
        if not isinstance(value, kind):
            raise ConfigError(f"store {self.path!r}: {at}: not a JSON {kind.__name__} (a damaged row)")
        return value

    def export(self, path: str | Path, run_id: str | None = None) -> Path:
        """Write the rows to ``.csv`` or ``.parquet`` (by the file's suffix)."""
        path = Path(path)
        df = self.read(run_id)
        if path.suffix == ".csv":
            df.to_csv(path, index=False)
        elif path.suffix == ".parquet":
            df.to_parquet(path, index=False)
        else:
            raise ConfigError.bad_value("export format", path.suffix or path.name, [".csv", ".parquet"])
        return path

    @staticmethod
    def _where(run_id: str | None, env_id: str | None) -> tuple[str, tuple[Any, ...]]:
        clauses, args = [], []
        if run_id is not None:
            clauses.append("run_id = ?")
            args.append(run_id)
        if env_id is not None:
            clauses.append("env_id = ?")
            args.append(env_id)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(args)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
