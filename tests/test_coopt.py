"""Co-optimisation tasks and the three formulations on a tiny workload (two identical 3×3 convs and
a 32³ GEMM as a 1×1 conv) and a tiny hardware space (8 machines)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agents.coopt_tasks import MAPPING_OBJECTIVE, build, flat_task
from agents.formulations import Ledger, flat, nested, successive
from agents.tasks import TASKS, optimum
from archgym.errors import ConfigError

HARDWARE = {"rows": [8, 16], "cols": [8, 16], "dataflow": ["ws", "flex"]}
TOPOLOGY = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
            "conv, 10, 10, 3, 3, 16, 16, 1,\n"
            "conv_again, 10, 10, 3, 3, 16, 16, 1,\n"
            "gemm, 32, 1, 1, 1, 32, 32, 1,\n")


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = Path(tmp_path_factory.mktemp("coopt")) / "tiny.csv"
    path.write_text(TOPOLOGY)
    return str(path)


def _task(topology: str, objective: str):
    return build(f"coopt-tiny-{MAPPING_OBJECTIVE[objective]}", topology, objective, HARDWARE)


def test_tasks_registered_with_matching_mapping_objective() -> None:
    coopt = [t for t in TASKS.values() if t.id.startswith("coopt-")]
    assert {t.workload for t in coopt} >= {"resnet18", "mobilenetv2", "bert-base:seq=128", "gpt2-decode:ctx=256"}
    for t in coopt:
        assert t.restrict["fix"]["mapping_objective"] == MAPPING_OBJECTIVE[t.objective]
        assert t.space().size == 72


def test_flat_task_has_the_same_machines() -> None:
    task = TASKS["coopt-resnet18-edp"]
    auto, joint = task.space(), flat_task(task).space()
    machine = [p.name for p in joint.params if "." not in p.name]
    assert set(machine) == {p.name for p in auto.params} - {"dataflow", "mapping_objective"}
    assert all(joint[n].values == auto[n].values for n in machine)
    assert set(joint[f"{n}.dataflow"].values for n in ("conv1", "fc")) == {("ws", "os", "is")}


def test_bad_objective_is_one_line_error(topology: str) -> None:
    with pytest.raises(ConfigError, match="coopt objective.*max:throughput"):
        build("x", topology, "max:throughput_ops", HARDWARE)


def test_no_joint_design_beats_the_energy_optimum(topology: str) -> None:
    """Energy is a sum over layers, so per-layer exhaustive search on the best machine is the exact
    joint optimum: no design of the flat (per-layer knob) space, sampled or heuristic, is below it."""
    task = _task(topology, "min:energy_j")
    opt = optimum(task)
    evaluator = flat_task(task).evaluator()
    designs = evaluator.space.sample(40, np.random.default_rng(0))
    results = evaluator.evaluate(designs)
    energies = [r.metrics["energy_j"] for r in results if r.valid]
    assert len(energies) > 30
    assert min(energies) >= opt.metrics["energy_j"] * (1 - 1e-9)
    heuristic = successive(task, budget=10**9).costs
    assert min(heuristic) >= opt.cost - 1e-12


def test_successive_visits_every_machine_then_searches_the_best(topology: str) -> None:
    task = _task(topology, "edp")
    trace = successive(task, budget=10**9)
    machines = task.space().size
    assert len(trace.costs) == machines + 1
    assert np.diff([0, *trace.spent[:machines]]).tolist() == [3] * machines   # one unit per layer
    rows = task.evaluator().evaluate([trace.designs[-1]])[0].layers
    assert trace.spent[-1] - trace.spent[-2] == rows[0]["candidates"] + rows[2]["candidates"]
    assert trace.designs[-1] == trace.designs[int(np.argmin(trace.costs[:machines]))]
    assert trace.costs[-1] <= min(trace.costs[:machines]) + 1e-12
    assert trace.costs[-1] >= optimum(task).cost - 1e-12
    short = successive(task, budget=5)
    assert len(short.costs) == 2 and short.best_at(5) == short.costs[0]


def test_nested_charges_the_inner_search_once_per_machine_and_shape(topology: str) -> None:
    task = _task(topology, "edp")
    evaluator = task.evaluator()
    per_machine = {}
    for hw in task.space().enumerate():
        rows = evaluator.evaluate([hw])[0].layers
        assert rows[0]["candidates"] == rows[1]["candidates"] > 1
        per_machine[tuple(hw[k] for k in ("rows", "cols", "dataflow"))] = rows[0]["candidates"] + rows[2]["candidates"]
    trace = nested(task, "random", budget=10**9, seed=1)
    assert len(trace.costs) == task.space().size              # random without repeats: every machine once
    expected = np.cumsum([per_machine[tuple(d[k] for k in ("rows", "cols", "dataflow"))] for d in trace.designs])
    assert trace.spent == expected.tolist()
    assert min(trace.costs) == pytest.approx(optimum(task).cost)
    budget = int(expected[2])
    cut = nested(task, "random", budget=budget, seed=1)
    assert cut.spent[-1] >= budget and cut.spent[-2] < budget
    assert cut.best_at(budget - 1) == min(cut.costs[:2])


def test_flat_charges_one_unit_per_layer(topology: str) -> None:
    task = _task(topology, "edp")
    trace = flat(task, "ga", budget=90, seed=0)
    assert trace.spent == list(range(3, 3 * len(trace.costs) + 1, 3))
    assert 90 <= trace.spent[-1] < 90 + 3 * 20
    assert np.isfinite(trace.best_at(90))


def test_ledger_refuses_auto_results_without_layer_rows(topology: str) -> None:
    task = _task(topology, "edp")
    hw = task.space().default()
    batch = task.evaluator().evaluate([hw, hw])           # batched: rows are dropped
    with pytest.raises(ConfigError, match="ledger: an auto-mode result without layer rows"):
        Ledger(task.workload_obj()).charge(hw, batch[0])


def test_digamma_operators_keep_layer_blocks_whole() -> None:
    from agents.digamma import _blocks, _crossover_class, _mutation_class

    names = ["rows", "cols", "a.b.order_in", "a.b.tile_K", "c.order_in", "c.tile_K"]
    blocks = _blocks(names)
    assert [b.tolist() for b in blocks] == [[0, 1], [2, 3], [4, 5]]
    rng = np.random.default_rng(0)
    parents = np.stack([np.zeros((50, 6), dtype=np.int64), np.ones((50, 6), dtype=np.int64)])
    children = _crossover_class()(blocks, 1.0)._do(None, parents, random_state=rng)
    for child in children.reshape(-1, 6):
        assert all(len(set(child[b].tolist())) == 1 for b in blocks)      # each block from one parent
    assert (children[0] + children[1] == 1).all()                          # the children complement
    sizes = np.array([3, 3, 6, 3, 6, 3])
    ordered = np.array([True, True, False, True, False, True])
    X = np.ones((200, 6), dtype=np.int64)
    mutated = _mutation_class()(blocks, sizes, ordered, hw=1.0, layers=2.0)._do(None, X, random_state=rng)
    changed = mutated != X
    assert changed[:, blocks[0]].sum(axis=1).tolist() == [1] * 200           # one hardware knob each
    assert all(changed[:, b].sum(axis=1).max() == 1 for b in blocks[1:])
    assert (np.abs(mutated - X)[:, ordered] <= 1).all() and (mutated >= 0).all()


def test_digamma_flat_search_spends_its_budget(topology: str) -> None:
    task = _task(topology, "edp")
    trace = flat(task, "digamma", budget=120, seed=0)
    assert 120 <= trace.spent[-1] < 120 + 3 * 20
    assert len({tuple(sorted(d.items())) for d in trace.designs}) == len(trace.designs)   # none paid twice
    assert np.isfinite(trace.best_at(120))
