"""Hostile design values at a proxy backend: a value the proxy cannot read as its training did (a
word or a list where it saw numbers, a list where it saw categories) is out of domain, never a raw
exception (docs/proxies.md, docs/robustness.md "Proxy backends")."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from archgym.simulator import get_simulator
from archgym.store import RunStore
from archgym.workload import get_workload
from cost_models.data import collect, load_dataset
from cost_models.proxy import ProxyModel

WORKLOAD = "gemm:M=64,N=64,K=64"


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A small random-forest proxy of the systolic family and one of its training designs."""
    store = RunStore(tmp_path_factory.mktemp("px") / "runs.db")
    collect(store, "systolic", [WORKLOAD], 40, seed=0)
    data = load_dataset(store)
    model = ProxyModel.fit(data, ["latency_s", "energy_j"], "rf", n_estimators=3)
    return model.save(tmp_path_factory.mktemp("px") / "rf"), dict(data.designs[0])


@pytest.mark.parametrize(("name", "value"), [("rows", "abc"), ("rows", ""), ("cols", [8]), ("ifmap_kb", []),
                                             ("dram_bw", {}), ("dataflow", [8]), ("dataflow", {})])
def test_unreadable_values_are_out_of_domain(proxy: tuple[Path, dict[str, Any]], name: str, value: Any) -> None:
    folder, base = proxy
    sim, wl = get_simulator(f"proxy:{folder}"), get_workload(WORKLOAD)
    design = dict(base, **{name: value})
    for result in (sim.evaluate(design, wl), sim.evaluate_batch([base, design], wl).row(1)):
        assert not result.valid and result.violations[0].startswith(f"out_of_domain:{name}=")   # raw ValueError before
    assert sim.evaluate_batch([base, design], wl).valid.tolist() == [True, False]


def test_flagged_unreadable_values_answer_without_raising(proxy: tuple[Path, dict[str, Any]]) -> None:
    folder, base = proxy
    sim, wl = get_simulator(f"proxy:{folder}?out_of_domain=flag"), get_workload(WORKLOAD)
    result = sim.evaluate(dict(base, rows="abc", dataflow=[8]), wl)
    assert {v.split("=")[0] for v in result.violations} >= {"out_of_domain:rows", "out_of_domain:dataflow"}
    assert not result.valid or all(math.isfinite(v) for v in result.metrics.values())
