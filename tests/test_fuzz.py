"""Fuzzing every input format: generated CLI arguments, sweep/agent YAML, SCALE-Sim topology and
config files, ONNX files, proxy folders, env actions and run stores. Each input must give a clean
one-line error or a sane result — never a traceback, a hang or silent nonsense
(:mod:`tests.fuzz_support` classifies). Few examples here (CI); ``benchmarks/fuzz.py`` runs many
more (``ARCHGYM_FUZZ_EXAMPLES``) and tabulates the outcomes.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz_support import expect, run_call, run_cli

ROOT = Path(__file__).resolve().parent.parent
SMALL_GEMM = "gemm:M=64,N=64,K=64"


def fuzz_settings(n: int) -> settings:
    """``n`` examples (or ``ARCHGYM_FUZZ_EXAMPLES``), no deadline, reproducible in CI."""
    return settings(max_examples=int(os.environ.get("ARCHGYM_FUZZ_EXAMPLES", n)), deadline=None,
                    derandomize="ARCHGYM_FUZZ_EXAMPLES" not in os.environ, database=None,
                    suppress_health_check=list(HealthCheck))


@functools.lru_cache(maxsize=None)
def scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="archgym-fuzz-"))


def _file(name: str, data: str | bytes) -> Path:
    path = scratch() / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
    return path


# -- hostile values --------------------------------------------------------------------------------
TOKENS = ["-1", "0", "1", "2", "64", "1e12", "16777217", "9223372036854775808", "-9223372036854775809",
          "nan", "inf", "-inf", "0.5", "0.9", "", " ", "abc", "1,2", "../../x", "/tmp", "\x00", "é", "[]", "{}",
          "null", "true", "-0", "1_000", "0x10", "4294967296"]
token = st.one_of(st.sampled_from(TOKENS), st.integers(-2**70, 2**70).map(str),
                  st.floats(allow_nan=True, allow_infinity=True).map(repr), st.text(max_size=8))
yaml_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(), st.text(max_size=8),
              st.sampled_from([0, -1, 1, 2, 10**6 + 1, 2**63, "nope", "", "../x"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6)


def _finite_metrics(metrics: dict[str, Any]) -> bool:
    return all(isinstance(v, (int, float)) and math.isfinite(v) for v in metrics.values())


def _sane_result(r: Any) -> bool:
    """A valid result has finite, non-negative metrics, positive time and energy, utilisation ≤ 1 and readable
    per-layer rows; an invalid one names why."""
    if not isinstance(r.valid, bool):
        return False
    if not r.valid:
        return bool(r.violations) and all(isinstance(v, str) and v for v in r.violations)
    m = r.metrics
    return (_finite_metrics(m) and all(v >= 0 for v in m.values()) and m["latency_s"] > 0
            and m.get("energy_j", 1) > 0 and m.get("utilization", 0) <= 1 + 1e-9
            and isinstance(r.layers, list))            # per-layer rows are built when read


# -- CLI arguments ---------------------------------------------------------------------------------
SIMS = ["systolic", "pim", "rdu", "fpga", "nope", "proxy:/nonexistent"]
WORKLOADS = ["resnet18", SMALL_GEMM, "gpt2-decode:ctx=64", "bert-base:seq=999999999", "gemm:M=1e12,N=1,K=1",
             "conv2d:H=0,W=8,C=1,K=1,R=1,S=1", "nope", "x.onnx", "../../etc/passwd.csv", "gemv:M=16777216,K=16777216"]


def _sane_simulate(rc: int, out: str) -> bool:
    doc = json.loads(out)
    if not doc["valid"]:
        return bool(doc["violations"])
    m = {k: v for k, v in doc.items() if k not in ("valid", "violations", "design", "info", "layers")}
    return _finite_metrics(m) and m["latency_s"] > 0 and m["energy_j"] > 0 and m.get("utilization", 0) <= 1 + 1e-9


@fuzz_settings(25)
@given(sim=st.sampled_from(SIMS), workload=st.one_of(st.sampled_from(WORKLOADS), token),
       sets=st.lists(st.tuples(st.sampled_from(["rows", "cols", "dram_bw", "ifmap_kb", "clock_mhz", "channels",
                                                "n_pcu", "tm", "style", "dataflow", "nope", ""]), token), max_size=2),
       extra=st.lists(st.sampled_from(["--fidelity", "cycle", "--mapping", "per-layer", "--preset", "nope",
                                       "--layers", "--bogus"]), max_size=2))
def test_fuzz_simulate_arguments(sim: str, workload: str, sets: list[tuple[str, str]], extra: list[str]) -> None:
    if "--fidelity" in extra and workload != SMALL_GEMM:
        extra = [e for e in extra if e not in ("--fidelity", "cycle")]
    argv = ["simulate", sim, "--workload", workload, "--json", *extra]
    for k, v in sets:
        argv += ["--set", f"{k}={v}"]
    outcome, detail = run_cli("CLI", argv, _sane_simulate)
    expect(outcome, ("clean error", "sane result"), argv, detail)


@fuzz_settings(25)
@given(flag=st.sampled_from(["--seeds", "--budget", "--workers", "--trials", "--json", "--markdown", "--agent-budget"]),
       value=st.one_of(token, st.sampled_from(["/tmp", "/nonexistent/dir/x.json", str(ROOT / "README.md") + "/x"])))
def test_fuzz_bench_flags(flag: str, value: str) -> None:
    outcome, detail = run_cli("CLI", ["bench", "--list", flag, value])
    expect(outcome, ("clean error", "sane result"), flag, value, detail)


@fuzz_settings(20)
@given(budget=st.one_of(st.sampled_from(["1", "2", "3"]), token), seed=token, agent=st.sampled_from(["random", "ga", "sa", "nope"]),
       hp=st.lists(st.tuples(st.sampled_from(["population", "mutation_rate", "t0", "nope"]), token), max_size=2),
       objective=st.sampled_from(["edp", "min:nope", "log:latency_s=nan", "max:utilization", "target:latency_s=-1", ""]))
def test_fuzz_search_arguments(budget: str, seed: str, agent: str, hp: list[tuple[str, str]], objective: str) -> None:
    if budget.strip().lstrip("+").isdigit() and int(budget) > 3:      # a valid large budget is just slow
        budget = "3"
    argv = ["search", "--env", "archgym/Systolic-v1", "--workload", SMALL_GEMM, "--agent", agent,
            "--budget", budget, "--seed", seed, "--objective", objective, "--set", *(f"{k}={v}" for k, v in hp)]
    outcome, detail = run_cli("CLI", argv)
    expect(outcome, ("clean error", "sane result"), argv, detail)


# -- sweep and agent YAML --------------------------------------------------------------------------
TEMPLATE: dict[str, Any] = {"name": "fz", "simulator": "systolic", "workload": SMALL_GEMM, "strategy": "random",
                            "budget": 4, "batch_size": 4, "seed": 0, "objectives": ["latency_s", "energy_j"],
                            "space": {"values": {"rows": [32, 64]}}}
FIELDS = ["name", "simulator", "workload", "workloads", "strategy", "budget", "batch_size", "seed", "objectives",
          "constraints", "space", "space.values.rows", "space.fix", "space.ranges", "fidelity", "mapping",
          "preset", "strategy.config", "nope"]
RAW = [b"\xff\xfe\x00garbage", b"", b"[1, 2", b"a: &a [*a]\n", b"[" * 5000 + b"]" * 5000,
       b"".join(b"l%d: &l%d [%s]\n" % (i, i, b",".join([b"*l%d" % (i - 1) if i else b"1"] * 9)) for i in range(9))]


def _set_path(doc: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted path, replacing whatever non-mapping is on the way by a mapping."""
    keys = path.split(".")
    node = doc
    for k in keys[:-1]:
        if not isinstance(node.get(k), dict):
            node[k] = {"name": node[k]} if k == "strategy" and isinstance(node.get(k), str) else {}
        node = node[k]
    node[keys[-1]] = value


def _sane_sweep(rc: int, out: str) -> bool:
    m = re.search(r"(\d+) feasible.*Pareto set (\d+)", out)
    return rc == 0 and m is not None and not (int(m[1]) > 0 and int(m[2]) == 0)


@fuzz_settings(6)
@given(edits=st.lists(st.tuples(st.sampled_from(FIELDS), yaml_value), max_size=2),
       agent=st.sampled_from([None, "ga", "sa", "random"]), raw=st.one_of(st.none(), st.sampled_from(RAW)),
       cut=st.integers(0, 400))
def test_fuzz_sweep_yaml(edits: list[tuple[str, Any]], agent: str | None, raw: bytes | None, cut: int) -> None:
    doc = json.loads(json.dumps(TEMPLATE))
    if agent:
        doc["strategy"] = {"name": agent, "config": {}}
    for path, value in edits:
        if path == "budget" and isinstance(value, int) and not isinstance(value, bool) and 4 < value <= 10**6:
            value = 4                                   # a valid large budget is just slow
        _set_path(doc, path, value)
    text = raw if raw is not None else yaml.safe_dump(doc).encode()[: cut if cut > 200 else None]
    path = _file("sweep.yaml", text)
    db = scratch() / "sweep.db"
    outcome, detail = run_cli("sweep/agent YAML", ["sweep", str(path), "--store", str(db), "--workers", "1",
                                                   "--no-progress"], _sane_sweep)
    expect(outcome, ("clean error", "sane result"), text[:300], detail)


# -- SCALE-Sim topologies and configs, ONNX ---------------------------------------------------------
HEADERS = ["Layer, M, N, K,", "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
           "Num Filter, Strides,", "", "garbage"]
small = st.integers(1, 64).map(str)
cell = st.one_of(small, small, small, st.sampled_from(TOKENS))          # mostly valid: reach the models
topology = st.tuples(st.sampled_from(HEADERS),
                     st.lists(st.tuples(st.sampled_from(["L", "DP1", "", "a,b"]), st.lists(cell, max_size=8)), max_size=3))


def _csv(header: str, rows: list[tuple[str, list[str]]]) -> str:
    return "\n".join([header, *(", ".join([name, *cells]) + "," for name, cells in rows)]) + "\n"


@fuzz_settings(40)
@given(text=topology, binary=st.one_of(st.none(), st.binary(max_size=64)))
def test_fuzz_topology_workloads(text: tuple[str, list[tuple[str, list[str]]]], binary: bytes | None) -> None:
    from archgym.simulator import get_simulator
    from archgym.workload import get_workload

    path = _file("topo.csv", binary if binary is not None else _csv(*text))
    sim = get_simulator("systolic")

    def load_and_run() -> Any:
        wl = get_workload(str(path))
        return sim.evaluate(sim.space(wl).default(), wl)

    outcome, detail = run_call("topology/ONNX files", str(path.read_bytes()[:200]), load_and_run, _sane_result)
    expect(outcome, ("clean error", "sane result"), detail)


CFG = (ROOT / "configs/scalesim/scale.cfg").read_text()


@fuzz_settings(30)
@given(text=topology, key=st.sampled_from(["run_name", "ArrayHeight", "IfmapSramSzkB", "Bandwidth", "Dataflow", None]),
       value=st.one_of(token, st.sampled_from(["../../escape", "/tmp/abs", "a/b", "..", "ws"])))
def test_fuzz_scalesim_files(text: tuple[str, list[tuple[str, list[str]]]], key: str | None, value: str) -> None:
    cfg = CFG if key is None else re.sub(rf"^({key}\s*[:=]).*$", lambda m: f"{m[1]} {value}", CFG, flags=re.M)
    out = scratch() / "scalesim-out"
    argv = ["scalesim", "-c", str(_file("s.cfg", cfg)), "-t", str(_file("s.csv", _csv(*text))), "-o", str(out), "-q"]

    def inside(rc: int, _: str) -> bool:       # reports never leave -o
        return rc == 0 and all(p.resolve().is_relative_to(out.resolve()) for p in out.rglob("*.csv"))

    outcome, detail = run_cli("topology/ONNX files", argv, inside)
    shutil.rmtree(out, ignore_errors=True)
    expect(outcome, ("clean error", "sane result"), argv, detail)


@functools.lru_cache(maxsize=None)
def onnx_bytes() -> bytes:
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])
    w = helper.make_tensor("w", TensorProto.FLOAT, [16, 8], [0.0] * 128)
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "g", [x], [y], [w])
    return onnx.helper.make_model(graph).SerializeToString()


@fuzz_settings(30)
@given(cut=st.integers(0, 400), flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=4))
def test_fuzz_onnx_files(cut: int, flips: list[tuple[int, int]]) -> None:
    from archgym.simulator import get_simulator
    from archgym.workload import get_workload

    data = bytearray(onnx_bytes()[:cut] if cut < len(onnx_bytes()) else onnx_bytes())
    for pos, byte in flips:
        if data:
            data[pos % len(data)] = byte
    path = _file("m.onnx", bytes(data))
    sim = get_simulator("systolic")

    def load_and_run() -> Any:
        wl = get_workload(str(path))
        return sim.evaluate(sim.space(wl).default(), wl)

    outcome, detail = run_call("topology/ONNX files", (cut, flips), load_and_run, _sane_result)
    expect(outcome, ("clean error", "sane result"), detail)


# -- proxy folders ---------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def proxy_folder() -> Path:
    from archgym.store import RunStore
    from cost_models.data import collect, load_dataset
    from cost_models.proxy import ProxyModel

    store = RunStore(scratch() / "proxy-runs.db")
    collect(store, "systolic", [SMALL_GEMM], 40, fidelity="analytical", preset="scalesim", seed=0)
    return ProxyModel.fit(load_dataset(store), ["latency_s", "energy_j"], "rf", n_estimators=3).save(scratch() / "px")


JSON_PATHS = ["format", "targets", "meta", "meta.simulator", "meta.model", "meta.fidelity", "meta.mapping",
              "meta.offsets", "meta.preset", "regressor", "regressor.params", "regressor.params.n_estimators",
              "features", "features.names", "features.params", "features.feature_set"]
ARRAYS = ["rf.left", "rf.right", "rf.feature", "rf.threshold", "rf.value", "rf.roots", "rf.depth"]
array_value = st.sampled_from([np.array([np.nan]), np.array([np.inf]), np.array([10**12]), np.array([-1]),
                               np.zeros((0,)), np.full((3, 2), 400.0), np.array([1e308]), np.zeros((2, 2, 2))])


@fuzz_settings(15)
@given(edits=st.lists(st.tuples(st.sampled_from(JSON_PATHS), yaml_value), max_size=2),
       arrays=st.lists(st.tuples(st.sampled_from(ARRAYS), array_value), max_size=2),
       damage=st.sampled_from([None, "truncate-json", "truncate-weights", "no-weights", "not-utf8"]))
def test_fuzz_proxy_folders(edits: list[tuple[str, Any]], arrays: list[tuple[str, np.ndarray]], damage: str | None) -> None:
    from safetensors.numpy import load_file, save_file

    from archgym.simulator import get_simulator
    from archgym.workload import get_workload

    d = scratch() / "px-fuzz"
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(proxy_folder(), d)
    doc = json.loads((d / "proxy.json").read_text())
    for path, value in edits:
        _set_path(doc, path, value)
    (d / "proxy.json").write_text(json.dumps(doc))
    if arrays:
        weights = dict(load_file(str(d / "weights.safetensors")))
        weights.update({k: np.ascontiguousarray(v) for k, v in arrays})
        save_file(weights, str(d / "weights.safetensors"))
    if damage == "truncate-json":
        (d / "proxy.json").write_bytes((d / "proxy.json").read_bytes()[:100])
    elif damage == "truncate-weights":
        (d / "weights.safetensors").write_bytes((d / "weights.safetensors").read_bytes()[:100])
    elif damage == "no-weights":
        (d / "weights.safetensors").unlink()
    elif damage == "not-utf8":
        (d / "proxy.json").write_bytes(b"\xff" + (d / "proxy.json").read_bytes())
    wl = get_workload(SMALL_GEMM)

    def load_and_run() -> Any:
        sim = get_simulator(f"proxy:{d}")
        return sim.evaluate(sim.space(wl).default(), wl)

    outcome, detail = run_call("proxy folders", (edits, [k for k, _ in arrays], damage), load_and_run, _sane_result)
    expect(outcome, ("clean error", "sane result"), detail)


# -- env actions -----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def make_env(mode: str) -> Any:
    from envs.design_env import DesignEnv

    return DesignEnv("systolic", SMALL_GEMM, mode=mode)


number = st.one_of(st.integers(-2**70, 2**70), st.floats(allow_nan=True, allow_infinity=True),
                   st.sampled_from([0, 1, 2, 0.9, -0.0, True, None, "a", 1 + 1j, 2**63, 2**64]))
DTYPES = [None, np.int64, np.float64, np.float32, np.uint64, np.bool_, object, np.complex128, str]


@fuzz_settings(60)
@given(mode=st.sampled_from(["one-shot", "sequential"]), values=st.lists(number, min_size=0, max_size=12),
       dtype=st.sampled_from(DTYPES), shape=st.sampled_from(["flat", "row", "scalar", "as-list"]))
def test_fuzz_env_actions(mode: str, values: list[Any], dtype: Any, shape: str) -> None:
    env = make_env(mode)
    env.reset(seed=0)

    def act() -> Any:
        try:
            a = np.array(values, dtype=dtype) if shape != "as-list" else values
        except (TypeError, ValueError, OverflowError):
            a = values                       # not representable in that dtype: pass the list itself
        if shape == "row" and isinstance(a, np.ndarray):
            a = a.reshape(1, -1)
        if shape == "scalar":
            a = values[0] if values else None
        return env.step(a)

    def sane(step: Any) -> bool:
        obs, reward, _, _, info = step
        return isinstance(reward, float) and math.isfinite(reward) and isinstance(info["valid"], bool) \
            and env.observation_space.contains(obs)

    outcome, detail = run_call("env step()", (mode, values, dtype, shape), act, sane)
    expect(outcome, ("sane result",), detail)


# -- run stores ------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def store_file() -> Path:
    from archgym.app.cli import main

    path = scratch() / "good.db"
    cfg = _file("store.yaml", yaml.safe_dump(TEMPLATE))
    assert main(["sweep", str(cfg), "--store", str(path), "--workers", "1", "--no-progress"]) == 0
    return path


@fuzz_settings(15)
@given(column=st.sampled_from(["design", "metrics", "violations", "config"]),
       text=st.one_of(st.text(max_size=20), st.sampled_from(['{"latency_s": "x"}', "[1]", "{bad", "null", '"s"',
                                                            '{"latency_s": 1e999}', "{}", "[]"])),
       flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=3))
def test_fuzz_run_stores(column: str, text: str, flips: list[tuple[int, int]]) -> None:
    from archgym.store import RunStore

    path = scratch() / "fuzz.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copy(store_file(), path)
    with sqlite3.connect(path) as db:
        table = "runs" if column == "config" else "evaluations"
        db.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = 1", (text,))
    data = bytearray(path.read_bytes())
    for pos, byte in flips:
        data[pos % len(data)] = byte
    path.write_bytes(bytes(data))

    def read() -> Any:
        store = RunStore(path)
        frame = store.read()
        for run in store.runs():
            store.run_config(run)
        return frame

    outcome, detail = run_call("corrupted stores", (column, text, flips), read, lambda frame: frame is not None)
    expect(outcome, ("clean error", "sane result"), detail)


@pytest.fixture(scope="module", autouse=True)
def _cleanup() -> Any:
    yield
    shutil.rmtree(scratch(), ignore_errors=True)


# -- designs at the simulator API ------------------------------------------------------------------
FAMILIES = ("systolic", "loopnest", "pim", "fpga", "rdu", "dram")
design_value = st.one_of(number, st.text(max_size=6), st.sampled_from(["os", "ws", "is", "auto", "", [], {}, 10**12]))


def _hostile(design: dict[str, Any], edits: list[tuple[int, Any]], extra: str | None) -> None:
    """Set the parameters ``edits`` picks (by position among the sorted names) to their values, then remove
    one of them (``extra="missing"``) or add an unknown one (``"unknown"``)."""
    names = sorted(design)
    for where, value in edits:
        design[names[where % len(names)]] = value
    if extra == "missing":
        design.pop(names[edits[0][0] % len(names)])
    elif extra == "unknown":
        design["no_such_knob"] = 1


@fuzz_settings(40)
@given(family=st.sampled_from(FAMILIES), mapping=st.sampled_from(["auto", "shared", "per-layer"]),
       pick=st.integers(0, 2), edits=st.lists(st.tuples(st.integers(0, 10**6), design_value), min_size=1, max_size=3),
       extra=st.sampled_from([None, "missing", "unknown"]), batch=st.booleans())
def test_fuzz_simulator_designs(family: str, mapping: str, pick: int, edits: list[tuple[int, Any]], extra: str | None,
                                batch: bool) -> None:
    """The default design with hostile values for some of its parameters, one design or a batch of
    one, at any fidelity: a one-line error or a sane result (bounds: docs/robustness.md)."""
    from archgym.simulator import get_simulator
    from archgym.workload import get_workload

    sim, workload = get_simulator(family), get_workload(SMALL_GEMM)
    fidelity = sim.fidelities[pick % len(sim.fidelities)]
    design: dict[str, Any] = {}

    def evaluate() -> Any:
        design.update(sim.space(workload, None, mapping).default())     # loopnest offers no "shared"
        _hostile(design, edits, extra)
        return (sim.evaluate_batch([design], workload, fidelity).row(0) if batch
                else sim.evaluate(design, workload, fidelity))

    outcome, detail = run_call("simulator designs", (family, mapping, fidelity, batch, design), evaluate, _sane_result)
    expect(outcome, ("clean error", "sane result"), detail)


# -- workload specs --------------------------------------------------------------------------------
WORKLOAD_KEYS = {"resnet18": ["batch"], "mobilenetv2": ["batch"], "bert-base": ["seq", "batch"],
                 "gpt2-prefill": ["seq", "batch"], "gpt2-decode": ["ctx", "batch"],
                 "llama7b-decode": ["ctx", "batch", "layers"], "conv2d": ["N", "C", "K", "H", "W", "R", "S", "stride",
                                                                          "pad", "groups"],
                 "gemm": ["M", "N", "K"], "gemv": ["M", "K", "B"], "attention": ["B", "H", "Lq", "Lkv", "D"],
                 "eltwise": ["E", "ops", "inputs"],
                 "trace": ["pattern", "n", "rw", "gap", "seed", "line", "stride", "span", "burst", "idle", "streams",
                           "file", "format"]}
WORKLOAD_VALUES = ["1", "2", "3", "8", "16", "64", "128", "0", "-1", "nan", "inf", "1e12", "1.5", "", " ", "٣",
                   "1_000", "0x10", "1000000000", str(2**31), str(2**31 + 1), str(2**63), "9" * 5000, "stream",
                   "random", "bursty", "multistream", "strided", "nope", "é", "1\n2", "/dev/null", "/etc", "/nonexistent",
                   "dramsys", "ramulator"]
small_count = st.integers(1, 128).map(str)            # mostly valid options: reach the models
workload_value = st.one_of(small_count, small_count, small_count, st.sampled_from(WORKLOAD_VALUES),
                           st.integers(-2**70, 2**70).map(str), st.integers(0, 2**20).map(str), token)


@st.composite
def workload_specs(draw: Any) -> str:
    """A zoo name, a shorthand or a trace with a few options (its own, unknown or repeated), or raw text."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.one_of(st.text(max_size=30), st.sampled_from(["", ":", "resnet18:", "x" * 10_000, "resnet18\n",
                                                                      "gemm:M=1,,N=1,K=1", "ｒｅｓｎｅｔ18"])))
    base = draw(st.sampled_from(sorted(WORKLOAD_KEYS)))
    own = st.sampled_from(WORKLOAD_KEYS[base])
    keys = st.one_of(own, own, own, st.sampled_from(["", "nope", "é", "batch", "M M"]))
    pairs = draw(st.lists(st.tuples(keys, workload_value), max_size=4))
    return f"{base}:" + ",".join(f"{k}={v}" for k, v in pairs)


@fuzz_settings(30)
@given(spec=workload_specs(), family=st.sampled_from(FAMILIES), via=st.sampled_from(["api", "api", "cli"]))
def test_fuzz_workload_specs(spec: str, family: str, via: str) -> None:
    """A hostile workload spec, parsed and evaluated with the family's default design at the analytical
    fidelity: a one-line error or a sane result, in bounded time (bounds: docs/robustness.md)."""
    from archgym.simulator import get_simulator
    from archgym.workload import get_workload

    if via == "cli":
        outcome, detail = run_cli("workload specs", ["simulate", family, "--workload", spec, "--json"], _sane_simulate)
    else:
        def evaluate() -> Any:
            sim, workload = get_simulator(family), get_workload(spec)
            return sim.evaluate(sim.space(workload).default(), workload, "analytical")

        outcome, detail = run_call("workload specs", (family, spec[:200]), evaluate, _sane_result)
    expect(outcome, ("clean error", "sane result"), spec[:200], detail)


# -- designs at a proxy backend --------------------------------------------------------------------
PROXY_KINDS = {"rf": {"n_estimators": 3}, "gbm": {"n_estimators": 5, "max_depth": 2},
               "mlp": {"epochs": 2, "hidden": 8, "layers": 1}, "gp": {"max_points": 30, "maxiter": 5}}


@functools.cache
def family_proxy(family: str, kind: str) -> Path:
    """A small proxy of ``family`` (40 analytical rows on one small workload) fitted as ``kind``."""
    from archgym.store import RunStore
    from cost_models.data import collect, load_dataset
    from cost_models.proxy import ProxyModel

    if (family, kind) == ("systolic", "rf"):
        return proxy_folder()
    store = RunStore(scratch() / f"proxy-{family}-{kind}.db")
    collect(store, family, [SMALL_GEMM], 40, fidelity="analytical", seed=0)
    model = ProxyModel.fit(load_dataset(store), ["latency_s", "energy_j"], kind, **PROXY_KINDS[kind])
    return model.save(scratch() / f"px-{family}-{kind}")


@fuzz_settings(25)
@given(family=st.sampled_from(["systolic", "pim", "fpga", "rdu", "dram"]), kind=st.sampled_from(sorted(PROXY_KINDS)),
       flag=st.booleans(), edits=st.lists(st.tuples(st.integers(0, 10**6), design_value), min_size=1, max_size=3),
       extra=st.sampled_from([None, "missing", "unknown"]), batch=st.booleans())
def test_fuzz_proxy_designs(family: str, kind: str, flag: bool, edits: list[tuple[int, Any]], extra: str | None,
                            batch: bool) -> None:
    """A proxy backend given the default design with hostile values (as test_fuzz_simulator_designs gives the
    families): a one-line error or valid=False with out_of_domain:… (docs/proxies.md); flagged, a sane result."""
    from archgym.simulator import get_simulator
    from archgym.workload import get_workload

    if not os.environ.get("ARCHGYM_FUZZ_EXAMPLES"):
        family, kind = "systolic", "rf"              # CI: one fitted proxy (fits cost seconds)
    folder = family_proxy(family, kind)
    sim = get_simulator(f"proxy:{folder}" + ("?out_of_domain=flag" if flag else ""))
    workload = get_workload(SMALL_GEMM)
    design: dict[str, Any] = dict(sim.space(workload).default())
    _hostile(design, edits, extra)

    def evaluate() -> Any:
        return sim.evaluate_batch([design], workload).row(0) if batch else sim.evaluate(design, workload)

    def sane(result: Any) -> bool:
        outside = any(v.startswith("out_of_domain:") for v in result.violations)
        return _sane_result(result) and (flag or not result.valid or not outside)

    outcome, detail = run_call("proxy designs", (family, kind, flag, batch, design), evaluate, sane)
    expect(outcome, ("clean error", "sane result"), detail)
