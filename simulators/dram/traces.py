"""Request traces: generators, readers/writers of DRAMsim3, DRAMSys ``.stl`` and Ramulator files, and
the :class:`TraceWorkload` that carries a trace through archgym's workload API.

A trace is three arrays: byte address, is-write flag and arrival cycle (the earliest cycle at
which the request may enter the controller, in DRAM command-clock cycles, as in DRAMsim3).
Workload specs: ``trace:pattern=stream,n=4096,rw=0.3,gap=2,seed=0`` (patterns below) or
``trace:file=PATH`` (format from the suffix: ``.stl`` DRAMSys, ``.ramulator`` Ramulator, anything
else DRAMsim3). A DNN workload becomes a trace with :func:`trace_from_workload`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from archgym.errors import ConfigError
from archgym.workload import Workload, is_file, parse_kv, read_text, shown

PATTERNS = ("stream", "strided", "random", "bursty", "multistream")
MAX_REQUESTS = 10_000_000  # bound on generated or read requests, checked before work starts
#: a trace file's largest size: MAX_REQUESTS lines of ~100 bytes (a DRAMsim3 line is < 50)
MAX_TRACE_BYTES = 1 << 30
#: each generator option's allowed integers (docs/robustness.md): arrival cycles (n·gap, n/burst·idle)
#: stay inside int64 and addresses (n·stride, n·line, streams·2²⁸, span) inside uint64
GENERATOR_BOUNDS = {"n": (1, MAX_REQUESTS), "gap": (0, 1 << 32), "idle": (0, 1 << 32), "seed": (0, (1 << 32) - 1),
                    "line": (1, 1 << 20), "stride": (1, 1 << 32), "span": (1, 1 << 48), "burst": (1, MAX_REQUESTS),
                    "streams": (1, 1024)}


@dataclass(frozen=True)
class Trace:
    """Requests in arrival order: ``addr`` (uint64 bytes), ``is_write`` (bool), ``cycle`` (int64)."""

    addr: np.ndarray
    is_write: np.ndarray
    cycle: np.ndarray
    name: str = "trace"

    def __post_init__(self) -> None:
        if not (len(self.addr) == len(self.is_write) == len(self.cycle)):
            raise ConfigError(f"trace {self.name}: addr, is_write and cycle differ in length")
        if len(self.cycle) and np.any(np.diff(self.cycle) < 0):
            raise ConfigError(f"trace {self.name}: cycles must be non-decreasing")

    def __len__(self) -> int:
        return len(self.addr)


class TraceWorkload(Workload):
    """A workload that is a DRAM request trace (no operators)."""

    def __init__(self, trace: Trace):
        super().__init__(trace.name, nx.DiGraph())
        self.trace = trace

    def __repr__(self) -> str:
        return f"TraceWorkload({self.name!r}, {len(self.trace)} requests)"

    def features(self) -> dict[str, float]:
        t = self.trace
        n = max(len(t), 1)
        return {"log10_requests": float(np.log10(n)), "write_fraction": float(np.mean(t.is_write)) if len(t) else 0.0,
                "log10_span_cycles": float(np.log10(max(int(t.cycle[-1]) if len(t) else 1, 1)))}


# -- generators ------------------------------------------------------------------------------------

def generate(pattern: str, n: int = 4096, rw: float = 0.0, gap: int = 0, seed: int = 0, line: int = 64,
             stride: int = 4096, span: int = 1 << 30, burst: int = 64, idle: int = 512,
             streams: int = 3) -> Trace:
    """Synthetic trace of ``n`` requests (``line`` bytes each); ``rw`` is the write fraction and
    ``gap`` the cycles between arrivals.

    ``stream``       consecutive lines; ``strided`` every ``stride`` bytes; ``random`` uniform
    lines over ``span`` bytes; ``bursty`` consecutive lines in bursts of ``burst`` requests
    ``idle`` cycles apart; ``multistream`` ``streams`` interleaved sequential streams 256 MiB apart,
    the last one written (a GEMM tile's A, B reads and C writes).
    """
    if pattern not in PATTERNS:
        raise ConfigError.bad_value("trace pattern", shown(str(pattern)), PATTERNS)
    if not 0.0 <= rw <= 1.0:
        raise ConfigError.bad_value("trace rw", rw, "a write fraction in [0, 1]")
    given = {"n": n, "gap": gap, "idle": idle, "seed": seed, "line": line, "stride": stride, "span": span,
             "burst": burst, "streams": streams}
    for key, value in given.items():
        lo, hi = GENERATOR_BOUNDS[key]
        if not lo <= value <= hi:
            raise ConfigError.bad_value(f"trace {key}", value, f"an integer in {lo} … {hi}")
    if span < line:
        raise ConfigError.bad_value("trace span", span, f"at least line ({line})")
    rng = np.random.default_rng(seed)
    i = np.arange(n, dtype=np.uint64)
    cycle = np.arange(n, dtype=np.int64) * gap
    is_write = rng.random(n) < rw
    if pattern == "stream":
        addr = i * np.uint64(line)
    elif pattern == "strided":
        addr = (i * np.uint64(stride)) % np.uint64(span)
    elif pattern == "random":
        addr = rng.integers(0, span // line, n).astype(np.uint64) * np.uint64(line)
    elif pattern == "bursty":
        addr = i * np.uint64(line)
        cycle = (np.arange(n, dtype=np.int64) // burst) * (burst * gap + idle) + (np.arange(n) % burst) * gap
    else:
        which = np.arange(n) % streams
        addr = (which.astype(np.uint64) << np.uint64(28)) + (i // np.uint64(streams)) * np.uint64(line)
        is_write = which == streams - 1 if streams > 1 else is_write
    name = f"{pattern}-n{n}-rw{rw:g}-gap{gap}"
    return Trace(addr.astype(np.uint64), np.asarray(is_write, dtype=bool), cycle, name)


def trace_from_workload(workload: Workload, line: int = 64, max_requests: int = 200_000) -> Trace:
    """The DRAM request stream of a DNN run layer by layer: per GEMM (``A[m×k]·B[k×n]``), its
    weights, activations and outputs as three interleaved sequential streams in proportion to
    their sizes (reads of A and B, writes of C), scaled down to at most ``max_requests``."""
    sizes = [tuple(max(-(-elems * op.word_bytes // line), 1) for elems in
                   (g.m * g.k * g.repeat, g.k * g.n * g.repeat, g.m * g.n * g.repeat))
             for op in workload.layers for g in op.gemms()]
    total = sum(sum(s) for s in sizes)
    if total == 0:
        raise ConfigError(f"workload {workload.name}: has no operators with DRAM traffic")
    scale = min(1.0, max_requests / total)
    addrs, writes = [], []
    base = 0
    for abc in sizes:
        counts = [max(int(c * scale), 1) for c in abc]
        for stream, count in enumerate(counts):
            pos = (np.arange(count) + 0.5) / count  # interleave streams by relative progress
            addrs.append(np.stack([pos, base + stream * (1 << 28) + np.arange(count) * line], axis=1))
            writes.append(np.full(count, stream == 2))
        base += 3 << 28
    order = np.concatenate([a[:, 0] + k for k, a in enumerate(addrs)]).argsort(kind="stable")
    addr = np.concatenate([a[:, 1] for a in addrs])[order].astype(np.uint64)
    is_write = np.concatenate(writes)[order]
    return Trace(addr, is_write, np.zeros(len(addr), dtype=np.int64), f"{workload.name}-dram")


# -- files -----------------------------------------------------------------------------------------

_DS3 = re.compile(r"^\s*(0[xX][0-9a-fA-F]+|\d+)\s+(\S+)\s+(\d+)\s*$")
_STL = re.compile(r"^\s*\(?(\d+)\)?\s*:\s*(\w+)\s+(0[xX][0-9a-fA-F]+|\d+)")
_RAM = re.compile(r"^\s*(0[xX][0-9a-fA-F]+|\d+)\s+([RrWw])\w*\s*$")
_WRITES = {"WRITE", "write", "P_MEM_WR", "BOFF", "W", "w"}


def _parse(lines: list[str], pattern: re.Pattern[str], fields: tuple[int, int, int | None], path: str,
           fmt: str) -> tuple[list[int], list[bool], list[int]]:
    addr: list[int] = []
    wr: list[bool] = []
    cyc: list[int] = []
    for num, raw in enumerate(lines, 1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        m = pattern.match(text)
        if not m:
            raise ConfigError(f"trace {path}: line {num}: {raw.strip()!r} is not a {fmt} trace line")
        a, op, c = fields
        addr.append(_field(m[a], 1 << 64, f"trace {path}: line {num}: address"))
        wr.append(m[op] in _WRITES)
        cyc.append(_field(m[c], 1 << 63, f"trace {path}: line {num}: cycle") if c is not None else len(cyc))
        if len(addr) > MAX_REQUESTS:
            raise ConfigError(f"trace {path}: more than {MAX_REQUESTS} requests")
    return addr, wr, cyc


def _field(text: str, limit: int, where: str) -> int:
    """A trace line's address (hex ``0x…`` or decimal) or cycle, below ``limit`` (uint64 / int64)."""
    value = int(text, 16) if text[:2].lower() == "0x" else int(text)
    if value >= limit:
        raise ConfigError.bad_value(where, value, f"below {limit}")
    return value


def read_trace(path: str | Path, fmt: str | None = None) -> Trace:
    """Read a DRAMsim3 (``0xADDR READ|WRITE CYCLE``), DRAMSys ``.stl`` (``CYCLE: read|write 0xADDR``)
    or Ramulator (``0xADDR R|W``, one request a cycle) trace."""
    path = Path(path)
    if not is_file(path):
        raise ConfigError(f"trace: file {shown(str(path))!r} does not exist")
    fmt = fmt or {".stl": "dramsys", ".ramulator": "ramulator"}.get(path.suffix.lower(), "dramsim3")
    formats = {"dramsim3": (_DS3, (1, 2, 3)), "dramsys": (_STL, (3, 2, 1)), "ramulator": (_RAM, (1, 2, None))}
    if fmt not in formats:
        raise ConfigError.bad_value("trace format", shown(fmt), formats)
    pattern, fields = formats[fmt]
    addr, wr, cyc = _parse(read_text(path, MAX_TRACE_BYTES).splitlines(), pattern, fields, str(path), fmt)
    if not addr:
        raise ConfigError(f"trace {path}: no requests")
    cycles = np.asarray(cyc, dtype=np.int64)
    if np.any(np.diff(cycles) < 0):
        raise ConfigError(f"trace {path}: cycles must be non-decreasing")
    return Trace(np.asarray(addr, dtype=np.uint64), np.asarray(wr, dtype=bool), cycles, path.stem)


def write_dramsim3(trace: Trace, path: str | Path) -> None:
    """Write ``trace`` in DRAMsim3's format (``0xADDR READ|WRITE CYCLE``)."""
    ops = np.where(trace.is_write, "WRITE", "READ")
    with Path(path).open("w") as fh:
        fh.writelines(f"{a:#x} {o} {c}\n" for a, o, c in zip(trace.addr.tolist(), ops.tolist(),
                                                             trace.cycle.tolist(), strict=True))


# -- the workload spec -----------------------------------------------------------------------------

_INT_KEYS = ("n", "gap", "seed", "line", "stride", "span", "burst", "idle", "streams")


def from_spec(args: str) -> TraceWorkload:
    """``pattern=stream,n=4096,…`` or ``file=PATH[,format=dramsys]`` → a :class:`TraceWorkload`."""
    where = f"workload trace:{shown(args)}"
    kv = parse_kv(args, where)
    if "file" in kv:
        extra = sorted(set(kv) - {"file", "format"})
        if extra:
            raise ConfigError.bad_value("trace file option", extra[0], ("file", "format"))
        return TraceWorkload(read_trace(kv["file"], kv.get("format")))
    allowed = ("pattern", "rw", *_INT_KEYS)
    unknown = sorted(set(kv) - set(allowed))
    if unknown:
        raise ConfigError.bad_value("trace option", unknown[0], allowed)
    kwargs: dict[str, Any] = {}
    for key, value in kv.items():
        if key == "pattern":
            continue
        try:
            kwargs[key] = float(value) if key == "rw" else int(value, 0)
        except ValueError:
            raise ConfigError(f"{where}: {key} must be a number, got {shown(value)!r}") from None
    return TraceWorkload(generate(kv.get("pattern", "random"), **kwargs))


def as_trace(workload: Workload) -> Trace:
    """The trace of a :class:`TraceWorkload`, or the derived DRAM stream of a DNN workload."""
    return workload.trace if isinstance(workload, TraceWorkload) else trace_from_workload(workload)
