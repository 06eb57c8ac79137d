"""The run store: every evaluation is one row, keyed by (run id, step).

Backed by SQLite in WAL mode: embedded, safe against a process killed at any moment (a row
is either committed whole or absent), and readable while another process writes. Writes are
idempotent on (run id, step): re-logging a step that is already there changes nothing, so a
resumed sweep neither loses nor repeats rows.

Every row says what produced it: simulator, fidelity, the simulator's model version for that
fidelity (:meth:`archgym.simulator.Simulator.model_version`) and the archgym package version.

Schema 2 (``PRAGMA user_version``) stores a row's metrics as plain little-endian float64 bytes,
their names once per *metric set* (table ``metric_sets``, referenced by the row's ``metric_set``);
NaN is a metric the row does not have, ±inf one that was not finite (read as ``None``, as the
JSON ``null`` of schema 1). Stores written before are migrated in place on open, in one
transaction: missing columns and tables are added, and old rows (``metric_set`` NULL) keep their
metrics as JSON text and read as before. ``docs/store.md`` has the layout and its measurements.
"""

from __future__ import annotations

import gc
import json
import math
import random
import sqlite3
import struct
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, repeat
from numbers import Real
from pathlib import Path
from typing import Any

import numpy as np
from typing_extensions import Self

from archgym.errors import ConfigError

#: the layout this code writes (``PRAGMA user_version``); 0 and 1 are the JSON-metrics layouts before it
SCHEMA_VERSION = 2

SCHEMA = """
CREATE TABLE IF NOT EXISTS evaluations (
    run_id      TEXT    NOT NULL,
    step        INTEGER NOT NULL,
    env_id      TEXT    NOT NULL DEFAULT '',
    simulator   TEXT    NOT NULL DEFAULT '',
    fidelity    TEXT    NOT NULL DEFAULT '',
    workload    TEXT    NOT NULL DEFAULT '',
    design      TEXT    NOT NULL,
    metrics     BLOB    NOT NULL,
    valid       INTEGER NOT NULL,
    violations  TEXT    NOT NULL DEFAULT '[]',
    agent       TEXT    NOT NULL DEFAULT '',
    seed        INTEGER,
    wall_time_s REAL    NOT NULL DEFAULT 0,
    predicted   INTEGER NOT NULL DEFAULT 0,
    created_at  REAL    NOT NULL,
    model_version   TEXT NOT NULL DEFAULT 'unknown',
    package_version TEXT NOT NULL DEFAULT 'unknown',
    metric_set  INTEGER,
    PRIMARY KEY (run_id, step)
);
CREATE TABLE IF NOT EXISTS runs (
    run_id     TEXT PRIMARY KEY,
    config     TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS metric_sets (
    set_id INTEGER PRIMARY KEY,
    names  TEXT NOT NULL UNIQUE
);
"""

COLUMNS = ("run_id", "step", "env_id", "simulator", "fidelity", "workload", "design", "metrics", "valid",
           "violations", "agent", "seed", "wall_time_s", "predicted", "created_at", "model_version",
           "package_version", "metric_set")
#: columns added after the first schema: name → definition used to migrate an older store
ADDED_COLUMNS = {"model_version": "TEXT NOT NULL DEFAULT 'unknown'",
                 "package_version": "TEXT NOT NULL DEFAULT 'unknown'",
                 "metric_set": "INTEGER"}
#: what a row written before the version columns existed reads
UNKNOWN_VERSION = "unknown"
_INF = math.inf
#: metric value types packed without a check (anything else must be a numbers.Real or None)
_FLOATS = frozenset({float, int, bool, np.float64, np.float32, np.int64, np.int32})


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

    def as_row(self, metrics: bytes, metric_set: int) -> tuple[Any, ...]:
        """The row in :data:`COLUMNS` order, with its metrics already packed (:func:`pack_metrics`)
        as metric set ``metric_set``."""
        return (self.run_id, self.step, self.env_id, self.simulator, self.fidelity, self.workload,
                _dumps(self.design), metrics, int(bool(self.valid)), json.dumps(list(self.violations)), self.agent,
                self.seed, self.wall_time_s, int(bool(self.predicted)), time.time(), self.model_version,
                self.package_version, metric_set)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _dumps(mapping: Mapping[str, Any]) -> str:
    return json.dumps({k: _plain(v) for k, v in mapping.items()}, sort_keys=True)


def pack_metrics(record: EvalRecord) -> tuple[tuple[str, ...], bytes]:
    """The record's metric names (sorted) and values as little-endian float64 bytes; a value that
    is None or not finite is stored as inf (read back as None, as JSON's ``null`` was)."""
    names = tuple(sorted(record.metrics))
    values = [record.metrics[k] for k in names]
    if not all(type(v) in _FLOATS for v in values):
        for k, v in zip(names, values):
            if v is not None and not isinstance(v, Real):
                raise ConfigError(f"store: run {record.run_id!r} step {record.step} metrics.{k}: {v!r} is not a number")
        values = [_INF if v is None else v for v in values]
    floats = [float(v) for v in values]
    if not all(map(math.isfinite, floats)):
        floats = [v if math.isfinite(v) else _INF for v in floats]
    return names, struct.pack(f"<{len(floats)}d", *floats)


def json_values(values: Iterable[Any]) -> list[str]:
    """Each value as the JSON text :func:`_dumps` writes for it inside an object (numpy scalars
    as Python ones, non-finite floats as ``null``)."""
    return [json.dumps(_plain(v)) for v in values]


def json_members(key: str, texts: Iterable[str]) -> list[str]:
    """Each JSON value text as the member ``"key": text`` of an object, as :func:`_dumps` writes it."""
    prefix = json.dumps(key) + ": "
    return [prefix + text for text in texts]


def json_objects(members: Mapping[str, Sequence[str]], n: int) -> list[str]:
    """Row ``i`` of ``members`` (key → each row's member text, :func:`json_members`) as the text
    :func:`_dumps` writes for that row's object: members in sorted key order, joined once per row
    instead of one ``json.dumps`` per row."""
    if not members:
        return ["{}"] * n
    return ["{" + ", ".join(row) + "}" for row in zip(*(members[k] for k in sorted(members)))]


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block (the collector's state before is restored).

    Building many objects that live on (the rows of a 100,000-row read) triggers several
    collections of CPython's oldest generation, each walking every live container object: about
    as much time as the work itself (``docs/store.md``). Reference counting still frees what is
    not in a cycle; cycles made meanwhile are collected once the collector runs again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:160] if lines else type(exc).__name__


def _migrate(db: sqlite3.Connection, path: str) -> None:
    """Bring an older store to :data:`SCHEMA_VERSION` (inside the caller's transaction): add the
    columns it lacks (its rows take each column's default) and record the version."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise ConfigError(f"store {path!r}: schema version {version} is newer than this archgym reads "
                          f"(up to {SCHEMA_VERSION}); upgrade archgym")
    have = {row[1] for row in db.execute("PRAGMA table_info(evaluations)")}
    for name, definition in ADDED_COLUMNS.items():
        if name not in have:
            db.execute(f"ALTER TABLE evaluations ADD COLUMN {name} {definition}")
    if version < SCHEMA_VERSION:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


#: the columns a :class:`RowBlock`'s rows bind one by one, in :data:`COLUMNS` order; the values
#: they share are written into the block's INSERT as SQL literals (binding a string per row costs
#: more than SQLite's insert itself)
BLOCK_BOUND = ("step", "design", "metrics", "valid", "violations", "wall_time_s", "created_at")
#: rows per multi-row INSERT of a block: 7 bound values each, 896 per statement, under 999 (the
#: smallest SQLITE_MAX_VARIABLE_NUMBER, SQLite's before 3.32)
ROWS_PER_INSERT = 128
#: distinct shared-value sets whose block INSERTs a store keeps (one per run and metric set in a sweep)
BLOCK_SQL_CACHE = 64


@dataclass
class RowBlock:
    """Consecutive rows of one run (steps ``template.step``, ``template.step + 1`` …) that share
    every column of ``template`` but the design, metrics, validity and violations: a planned sweep
    chunk built column-wise, cheap to send from a worker process and to insert. ``metrics`` is an
    ``(n, len(metric_names))`` float array: NaN where a row has no such metric, ±inf for a value
    that was not finite."""

    template: EvalRecord
    designs: list[str]
    metric_names: tuple[str, ...]
    metrics: np.ndarray
    valid: list[bool]
    violations: list[str]

    def __len__(self) -> int:
        return len(self.designs)

    def shared(self, metric_set: int) -> dict[str, Any]:
        """The values every row shares (column → the template's value, its metrics as metric set
        ``metric_set``): the columns :data:`BLOCK_BOUND` does not name."""
        row = dict(zip(COLUMNS, self.template.as_row(b"", metric_set)))
        return {k: v for k, v in row.items() if k not in BLOCK_BOUND}

    def params(self) -> list[Any]:
        """Each row's values of the columns :data:`BLOCK_BOUND` names, row after row in one flat
        list (what a multi-row INSERT binds); the metrics packed, each row's bytes sliced by numpy."""
        n, width = len(self), 8 * len(self.metric_names)
        first = self.template.step
        packed = (np.ascontiguousarray(self.metrics, dtype="<f8").view(np.dtype((np.void, width))).ravel().tolist()
                  if width else [b""] * n)
        return list(chain.from_iterable(zip(range(first, first + n), self.designs, packed, map(int, self.valid),
                                            self.violations, repeat(self.template.wall_time_s), repeat(time.time()))))


#: the columns read back (neither records nor frames have the row's creation time)
_READ = tuple(k for k in COLUMNS if k != "created_at")
#: the columns every read decodes or names in its errors
_CORE = ("run_id", "step", "design", "metrics", "valid", "violations", "metric_set")
#: the other columns a frame may have (:meth:`RunStore.read`)
_EXTRA = tuple(k for k in _READ if k not in _CORE)
#: the columns a record takes as they are stored (JSON and packed columns, flags and the row's time aside)
_PLAIN = tuple(k for k in COLUMNS
               if k not in ("design", "metrics", "violations", "valid", "predicted", "created_at", "metric_set"))
#: what a metric value of a JSON row may decode to (JSON numbers, true/false, null for a non-finite value)
_NUMBER_TYPES = frozenset({int, float, bool, type(None)})
#: JSON texts decoded per ``json.loads`` call by :func:`_json_column`
_JSON_CHUNK = 4096


@dataclass
class _Metrics:
    """The metrics of a table's rows: packed rows grouped per metric set (row positions, names,
    ``(rows, names)`` values: NaN = the row has no such metric, ±inf = not finite), and the rows
    stored as JSON (schema 1) as their decoded dicts."""

    n: int
    groups: list[tuple[list[int], tuple[str, ...], np.ndarray]]
    dicts: dict[int, dict[str, Any]]

    def rows(self) -> list[dict[str, Any]]:
        """One dict per row, as :class:`EvalRecord` holds them (a non-finite value as None)."""
        out: list[Any] = [None] * self.n
        for i, d in self.dicts.items():
            out[i] = d
        for where, names, values in self.groups:
            finite = np.isfinite(values).all(axis=1).tolist()
            for i, row, clean in zip(where, values.tolist(), finite):
                out[i] = dict(zip(names, row)) if clean else {
                    k: v if math.isfinite(v) else None for k, v in zip(names, row) if not math.isnan(v)}
        return out

    def columns(self) -> dict[str, np.ndarray]:
        """Per metric name (sorted), its value in every row: NaN where a row has none or a
        non-finite one (what a DataFrame of :meth:`rows` holds)."""
        names = sorted({k for _, ns, _ in self.groups for k in ns} | {k for d in self.dicts.values() for k in d})
        out = {k: np.full(self.n, np.nan) for k in names}
        for where, ns, values in self.groups:
            at = np.asarray(where, dtype=np.int64)
            clean = np.where(np.isinf(values), np.nan, values)
            for j, k in enumerate(ns):
                out[k][at] = clean[:, j]
        for i, d in self.dicts.items():
            for k, v in d.items():
                out[k][i] = np.nan if v is None else v
        return out


@dataclass
class _Table:
    """Rows of the store column by column (values as stored), with the JSON and packed columns decoded."""

    columns: dict[str, Sequence[Any]]
    designs: list[dict[str, Any]]
    metrics: _Metrics
    violations: list[list[str]]


def _json_lists(texts: Sequence[Any]) -> list[Any] | None:
    """:func:`_json_column` of JSON lists, the empty ones (most rows' violations) without decoding."""
    decoded = iter(_json_column([t for t in texts if t != "[]"], list) or ())
    out: list[Any] = [[] if t == "[]" else next(decoded, None) for t in texts]
    return None if None in out else out


def _json_column(texts: Sequence[Any], kind: type) -> list[Any] | None:
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


class RunStore:
    """A SQLite run store (``path`` is created when missing; ``:memory:`` for tests)."""

    def __init__(self, path: str | Path, timeout_s: float = 60.0):
        self.path = str(path)
        if self.path != ":memory:":
            parent = Path(self.path).parent
            if not parent.exists():
                raise ConfigError(f"store: directory {str(parent)!r} does not exist")
        #: metric set ids known committed (names → id); ids are never reused
        self._set_ids: dict[tuple[str, ...], int] = {}
        self._new_set_ids: dict[tuple[str, ...], int] = {}
        #: the INSERTs of blocks per distinct shared values (:meth:`_block_inserts`)
        self._block_sql: dict[tuple[Any, ...], tuple[str, str]] = {}
        self._db = self._open(timeout_s)

    def _open(self, timeout_s: float) -> sqlite3.Connection:
        """Connect, switch to WAL and create or migrate the schema, retrying while another process
        does the same.

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
                _migrate(db, self.path)
                db.execute("COMMIT")
                return db
            except ConfigError:
                assert db is not None
                db.close()
                raise
            except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:   # the latter: SQLite quoting corrupt bytes
                if db is not None:
                    db.close()
                busy = isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))
                if not busy or time.monotonic() > deadline:
                    reason = ("corrupted: SQLite's report of it is not UTF-8 text" if isinstance(exc, UnicodeDecodeError)
                              else " ".join(str(exc).split()))   # SQLite may quote a damaged schema, newlines and all
                    raise ConfigError(f"store: {self.path!r} is not a usable SQLite run store ({reason})") from None
                time.sleep(0.01 + 0.04 * random.random())

    # -- writing ---------------------------------------------------------------------------
    def log(self, record: EvalRecord) -> bool:
        """Insert one row; returns False when (run id, step) was already there."""
        return self.log_many([record]) == 1

    def log_many(self, records: Iterable[EvalRecord]) -> int:
        """Insert rows in one transaction (all or none); returns how many were new."""
        records = list(records)
        if not records:
            return 0
        packed = [pack_metrics(r) for r in records]
        with self._transaction():
            ids = self._metric_sets({names for names, _ in packed})
            return self._insert([r.as_row(blob, ids[names]) for r, (names, blob) in zip(records, packed)])

    def log_block(self, block: RowBlock) -> int:
        """Insert a :class:`RowBlock` in one transaction (all or none); returns how many were new."""
        return self.log_blocks([block])

    def log_blocks(self, blocks: Sequence[RowBlock]) -> int:
        """Insert :class:`RowBlock` s in one transaction (all or none); returns how many rows were new."""
        blocks = [b for b in blocks if len(b)]
        if not blocks:
            return 0
        with self._transaction():
            ids = self._metric_sets({b.metric_names for b in blocks})
            before = self._db.total_changes
            runs: dict[tuple[str, str], list[Any]] = {}   # blocks of one INSERT: their rows in one list
            for block in blocks:
                runs.setdefault(self._block_inserts(block.shared(ids[block.metric_names])), []).extend(block.params())
            width, row = len(BLOCK_BOUND) * ROWS_PER_INSERT, len(BLOCK_BOUND)
            for (many, one), params in runs.items():
                full = len(params) - len(params) % width
                for i in range(0, full, width):
                    self._db.execute(many, params[i:i + width])
                self._db.executemany(one, [params[i:i + row] for i in range(full, len(params), row)])
            return self._db.total_changes - before

    def _block_inserts(self, shared: dict[str, Any]) -> tuple[str, str]:
        """The INSERTs of :data:`ROWS_PER_INSERT` rows and of one row of a block whose rows share
        ``shared`` (column → value, written as SQL literals; the :data:`BLOCK_BOUND` columns bound),
        built once per distinct ``shared`` (keyed by each value's type too: 1 and 1.0 store differently)."""
        key = tuple((type(v), v) for v in shared.values())
        if key not in self._block_sql:
            if len(self._block_sql) >= BLOCK_SQL_CACHE:
                self._block_sql.clear()
            values = dict(zip(shared, self._literals(list(shared.values())))) | {k: "?" for k in BLOCK_BOUND}
            row = "(" + ",".join(values[k] for k in COLUMNS) + ")"
            head = f"INSERT OR IGNORE INTO evaluations ({','.join(COLUMNS)}) VALUES "
            self._block_sql[key] = (head + ",".join([row] * ROWS_PER_INSERT), head + row)
        return self._block_sql[key]

    def _insert(self, rows: list[tuple[Any, ...]]) -> int:
        """Insert ``rows`` (full rows in :data:`COLUMNS` order)."""
        before = self._db.total_changes
        self._db.executemany(f"INSERT OR IGNORE INTO evaluations ({','.join(COLUMNS)}) "
                             f"VALUES ({','.join('?' * len(COLUMNS))})", rows)
        return self._db.total_changes - before

    def _literals(self, values: list[Any]) -> list[str]:
        """Each value as an SQL literal that stores exactly it: a string as its UTF-8 bytes in hex
        cast to text (no quoting to get wrong), anything else as SQLite's own ``quote()`` writes it."""
        quoted = self._db.execute("SELECT " + ",".join(["quote(?)"] * len(values)), values).fetchone()
        return [f"CAST(X'{v.encode().hex()}' AS TEXT)" if type(v) is str else q for v, q in zip(values, quoted)]

    def _metric_sets(self, names: set[tuple[str, ...]]) -> dict[tuple[str, ...], int]:
        """The id of each set of metric names, added to ``metric_sets`` when new (inside the caller's
        write transaction; remembered once it commits)."""
        out = {}
        for key in names:
            if key not in self._set_ids:
                text = json.dumps(list(key))
                self._db.execute("INSERT OR IGNORE INTO metric_sets (names) VALUES (?)", (text,))
                self._new_set_ids[key] = self._db.execute(
                    "SELECT set_id FROM metric_sets WHERE names = ?", (text,)).fetchone()[0]
            out[key] = self._set_ids[key] if key in self._set_ids else self._new_set_ids[key]
        return out

    def register_run(self, run_id: str, config: Mapping[str, Any]) -> None:
        with self._transaction():
            self._db.execute("INSERT OR IGNORE INTO runs (run_id, config, created_at) VALUES (?, ?, ?)",
                             (run_id, json.dumps(config, sort_keys=True, default=str), time.time()))

    def _transaction(self) -> Any:
        store, db = self, self._db

        class _Tx:
            def __enter__(self) -> None:
                db.execute("BEGIN IMMEDIATE")

            def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
                try:
                    db.execute("ROLLBACK" if exc_type else "COMMIT")
                    if not exc_type:
                        store._set_ids.update(store._new_set_ids)
                finally:
                    store._new_set_ids.clear()

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
        return self._json(row[0], dict, f"store {self.path!r}: run {run_id!r} config") if row else None

    def records(self, run_id: str | None = None, env_id: str | None = None) -> list[EvalRecord]:
        """The rows as records; a damaged row (bad JSON or packed metrics, wrong types) is one
        :class:`ConfigError` naming the store, run, step and column, never a traceback or a
        silently skipped row."""
        with gc_paused():
            return self._records(run_id, env_id)

    def _records(self, run_id: str | None, env_id: str | None) -> list[EvalRecord]:
        t = self._table(run_id, env_id)
        c = t.columns
        return [EvalRecord(design=design, metrics=metrics, violations=violations, valid=bool(ok), predicted=bool(pred),
                           **dict(zip(_PLAIN, values)))
                for design, metrics, violations, ok, pred, *values in
                zip(t.designs, t.metrics.rows(), t.violations, c["valid"], c["predicted"], *(c[k] for k in _PLAIN))]

    def read(self, run_id: str | None = None, env_id: str | None = None,
             columns: Sequence[str] | None = None) -> Any:
        """A pandas DataFrame: one row per evaluation, with its run_id, step, valid and violations,
        design parameters as ``d.NAME`` columns (beside the design's JSON text as stored) and
        metrics as float ``m.NAME`` columns (NaN where a row has no such metric or a non-finite one),
        and the other stored ``columns`` (default: all of them; ``()`` for none, a faster read)."""
        extra = _EXTRA if columns is None else tuple(columns)
        for name in extra:
            if name not in _EXTRA:
                raise ConfigError.bad_value("store read column", name, _EXTRA)
        with gc_paused():
            return self._frame(run_id, env_id, extra)

    def _frame(self, run_id: str | None, env_id: str | None, extra: tuple[str, ...]) -> Any:
        import pandas as pd

        t = self._table(run_id, env_id, (*_CORE, *extra))
        if not t.designs:
            return pd.DataFrame([])
        c = t.columns
        base = {k: np.array(c[k], dtype=bool) if k in ("valid", "predicted") else t.violations if k == "violations"
                else c[k] for k in _READ if k in c and k not in ("design", "metrics", "metric_set")}
        frame = pd.DataFrame(base | {"design": c["design"]})
        designs = pd.DataFrame(t.designs).add_prefix("d.")
        metrics = pd.DataFrame(t.metrics.columns(), index=frame.index).add_prefix("m.")
        return pd.concat([frame, designs, metrics], axis=1)

    def _table(self, run_id: str | None, env_id: str | None, fetch: tuple[str, ...] = _READ) -> _Table:
        """The rows column by column (``fetch``: :data:`_CORE` and any others), JSON and packed columns
        decoded and checked (see :meth:`records`)."""
        where, args = self._where(run_id, env_id)
        with self._reading():
            rows = self._db.execute(f"SELECT {','.join(fetch)} FROM evaluations{where} ORDER BY run_id, step",
                                    args).fetchall()
            sets = dict(self._db.execute("SELECT set_id, names FROM metric_sets").fetchall())
        columns: dict[str, Sequence[Any]] = dict(zip(fetch, zip(*rows))) if rows else {k: () for k in fetch}
        designs, violations = _json_column(columns["design"], dict), _json_lists(columns["violations"])
        if designs is None or violations is None or any(type(s) is not int for s in columns["step"]):
            designs, violations = self._decode_rows(columns)
        return _Table(columns, designs, self._metrics(columns, sets), violations)

    def _at(self, columns: dict[str, Sequence[Any]], i: int) -> str:
        return f"store {self.path!r}: run {columns['run_id'][i]!r} step {columns['step'][i]}"

    def _decode_rows(self, columns: dict[str, Sequence[Any]]) -> tuple[list[Any], list[Any]]:
        """The design and violations columns decoded row by row, checked as :meth:`records` says:
        the slow path, taken when the chunked decoding fails, to name the first damaged row (or to
        read texts it cannot join, such as JSON stored as a blob)."""
        designs, violations = [], []
        for i, (step, design, violation) in enumerate(zip(columns["step"], columns["design"], columns["violations"])):
            if type(step) is not int:
                raise ConfigError(f"{self._at(columns, i)} step: not a number (a damaged row)")
            designs.append(self._json(design, dict, f"{self._at(columns, i)} design"))
            violations.append(self._json(violation, list, f"{self._at(columns, i)} violations"))
        return designs, violations

    def _metrics(self, columns: dict[str, Sequence[Any]], sets: dict[Any, Any]) -> _Metrics:
        """Every row's metrics: packed rows decoded per metric set with one ``np.frombuffer``, JSON
        rows (schema 1) as their dicts."""
        rows_of: dict[Any, list[int]] = {}
        for i, set_id in enumerate(columns["metric_set"]):
            rows_of.setdefault(set_id, []).append(i)
        json_rows = rows_of.pop(None, [])
        dicts = dict(zip(json_rows, self._json_metrics(columns, json_rows))) if json_rows else {}
        groups = [(at, names, self._unpack(columns, at, len(names))) for set_id, at in rows_of.items()
                  for names in [self._set_names(columns, at[0], set_id, sets)]]
        return _Metrics(len(columns["metrics"]), groups, dicts)

    def _set_names(self, columns: dict[str, Sequence[Any]], i: int, set_id: Any,
                   sets: dict[Any, Any]) -> tuple[str, ...]:
        """The metric names of ``set_id``, which row ``i`` references."""
        if type(set_id) is not int or set_id not in sets:
            raise ConfigError(f"{self._at(columns, i)} metric_set: {set_id!r} is no metric set of this store "
                              "(a damaged row)")
        try:
            names = json.loads(sets[set_id])
        except (TypeError, ValueError):
            names = None
        if not isinstance(names, list) or not all(type(k) is str for k in names) or len(set(names)) != len(names):
            raise ConfigError(f"store {self.path!r}: metric set {set_id}: names are not a JSON list of distinct "
                              "strings (a damaged store)")
        return tuple(names)

    def _unpack(self, columns: dict[str, Sequence[Any]], at: list[int], k: int) -> np.ndarray:
        """The ``(len(at), k)`` float64 metrics of rows ``at``, each ``k`` packed values."""
        blobs = [columns["metrics"][i] for i in at]
        if set(map(type, blobs)) != {bytes} or set(map(len, blobs)) != {8 * k}:
            bad = next(i for i, b in zip(at, blobs) if type(b) is not bytes or len(b) != 8 * k)
            raise ConfigError(f"{self._at(columns, bad)} metrics: not {k} packed float64 values (a damaged row)")
        if not k:
            return np.zeros((len(at), 0))
        return np.frombuffer(b"".join(blobs), dtype="<f8").reshape(len(at), k)

    def _json_metrics(self, columns: dict[str, Sequence[Any]], at: list[int]) -> list[dict[str, Any]]:
        """The JSON metrics of rows ``at`` (schema 1), each a dict of numbers (or null)."""
        texts = [columns["metrics"][i] for i in at]
        dicts = _json_column(texts, dict)
        if dicts is not None and {type(v) for m in dicts for v in m.values()} <= _NUMBER_TYPES:
            return dicts
        out = []
        for i, text in zip(at, texts):
            metrics = self._json(text, dict, f"{self._at(columns, i)} metrics")
            bad = [k for k, v in metrics.items() if type(v) not in _NUMBER_TYPES]
            if bad:
                raise ConfigError(f"{self._at(columns, i)} metrics.{bad[0]}: not a number (a damaged row)")
            out.append(metrics)
        return out

    def _json(self, text: Any, kind: type, at: str) -> Any:
        """A JSON column's value, which must decode to ``kind`` (``at`` names the store, row and column)."""
        try:
            value = json.loads(text)
        except (TypeError, ValueError):
            value = None
        if not isinstance(value, kind):
            raise ConfigError(f"{at}: not a JSON {kind.__name__} (a damaged row)")
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
