"""Agents: the ask/tell contract every agent passes, the budget protocol, exact optima and regret,
Pareto/hypervolume, the benchmark JSON and its plots, hyperparameter sweeps, and the CLI."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from agents.base import History, run
from agents.bench import bench, evals_to, markdown, write_json
from agents.hpsweep import draw, sample_configs
from agents.pareto import hypervolume, normaliser, pareto_mask
from agents.registry import AGENTS, load_agent_config, make_agent
from agents.tasks import TASKS, Task, optimum
from archgym.app.cli import main
from archgym.errors import ConfigError
from archgym.evaluator import Evaluator
from archgym.metrics import Objective
from archgym.workload import get_workload

sys.path.insert(0, str(Path(__file__).parent))
from toy_simulator import ToySimulator

warnings.filterwarnings("ignore")
GEMM = "gemm:M=64,N=64,K=64"
CLASSIC = ["random", "sa", "ga", "nsga2"]


def toy_evaluator(mapping: str = "shared", objective: str = "edp") -> Evaluator:
    sim, wl = ToySimulator(), get_workload(GEMM)
    return Evaluator(sim, wl, sim.space(wl, mapping=mapping), Objective.parse(objective))


@pytest.mark.parametrize("name", CLASSIC)
def test_agent_contract_and_budget(name):
    ev = toy_evaluator()
    agent = make_agent(name, ev.space, ev.objective, seed=3)
    asked = agent.ask(5)
    assert 1 <= len(asked) <= 5
    for d in asked:
        assert ev.space.validate(d) == d
    agent.tell(asked, ev.evaluate(asked))
    ev2 = toy_evaluator()
    history = run(make_agent(name, ev2.space, ev2.objective, seed=3), ev2, budget=37, batch_size=6)
    assert history.evaluations == ev2.evaluations == 37
    assert np.all(np.diff(history.best_so_far) <= 0)
    again = run(make_agent(name, ev2.space, ev2.objective, seed=3), toy_evaluator(), budget=37, batch_size=6)
    assert again.costs == history.costs, "same seed, same run"



@pytest.mark.parametrize("name", ["ga", "nsga2"])
def test_evolution_on_a_tiny_space_exhausts_it_without_error(name):
    """pymoo finds no offspring new to a converged population of a tiny space: the agent counts the
    generation as stale and spends the budget on immigrants until every design is evaluated."""
    sim, wl = ToySimulator(), get_workload(GEMM)
    space = sim.space(wl, mapping="shared")
    free = [p for p in space.params if p.size > 1]
    small = space.restrict(fix={p.name: p.values[0] for p in free[2:]},
                           values={p.name: p.values[:2] for p in free[:2]})
    ev = Evaluator(sim, wl, small, Objective.parse("edp"))
    history = run(make_agent(name, small, ev.objective, seed=0, config={"pop_size": 2}), ev, budget=50)
    assert history.evaluations == 4 and len({tuple(sorted(d.items())) for d in history.designs}) == 4

def test_learned_agents_beat_random_on_toy():
    def final(name: str, seed: int) -> float:
        ev = toy_evaluator()
        return run(make_agent(name, ev.space, ev.objective, seed=seed), ev, budget=150).best[2]

    rand = np.median([final("random", s) for s in range(3)])
    for name in ("sa", "ga"):
        assert np.median([final(name, s) for s in range(3)]) <= rand


def test_bo_single_and_multi_objective_tiny():
    ev = toy_evaluator()
    cfg = {"n_init": 6, "pool_size": 64, "mc_samples": 16, "batch_size": 3, "fit_maxiter": 20}
    h = run(make_agent("bo", ev.space, ev.objective, seed=0, config=cfg), ev, budget=15)
    assert h.evaluations == 15 and len({tuple(sorted(d.items())) for d in h.designs}) == 15
    ev = toy_evaluator()
    agent = make_agent("bo", ev.space, ev.objective, seed=0, config={**cfg, "mo_pool_size": 32},
                       objectives=["min:latency_s", "min:energy_j"])
    assert run(agent, ev, budget=12).evaluations == 12


def test_bo_refits_hyperparameters_only_as_the_data_grows(monkeypatch):
    import botorch.fit

    real, sizes = botorch.fit.fit_gpytorch_mll, []

    def counting(mll, **kw):
        sizes.append(mll.model.train_inputs[0].shape[-2])
        return real(mll, **kw)

    monkeypatch.setattr(botorch.fit, "fit_gpytorch_mll", counting)
    cfg = {"n_init": 6, "pool_size": 64, "mc_samples": 16, "batch_size": 2, "fit_maxiter": 20}
    for growth in (1.0, 1.5):
        sizes.clear()
        ev = toy_evaluator()
        run(make_agent("bo", ev.space, ev.objective, seed=0, config={**cfg, "refit_growth": growth}), ev, budget=20)
        if growth == 1.0:
            assert sizes == list(range(6, 20, 2))  # every ask
        else:
            assert sizes == [6, 10, 16]  # 6, then once 1.5 × the last fit's points are in


def test_bo_models_metric_budgets_instead_of_penalising_them():
    sim, wl = ToySimulator(), get_workload(GEMM)
    space = sim.space(wl, mapping="shared")
    every = sim.evaluate_batch(list(space.enumerate()), wl, "analytical").metrics
    bound = float(np.quantile(every["area_mm2"], 0.3))
    best = every["latency_s"][every["area_mm2"] <= bound].min()
    objective = Objective("minimize", metric="latency_s", constraints={"area_mm2": bound})
    cfg = {"n_init": 6, "pool_size": 64, "mc_samples": 16, "batch_size": 2, "fit_maxiter": 20}

    def regret(model_constraints: bool, seed: int) -> float:
        agent = make_agent("bo", space, objective, seed=seed, config={**cfg, "model_constraints": model_constraints})
        h = run(agent, Evaluator(sim, wl, space, objective), budget=20)
        if model_constraints:
            assert agent._model_targets().shape == (20, 2)   # unpenalised latency + log10(area / bound)
        values, _ = h.metric_matrix(["latency_s", "area_mm2"])
        return values[values[:, 1] <= bound, 0].min() / best - 1

    modelled = [regret(True, s) for s in (0, 1)]
    penalised = [regret(False, s) for s in (0, 1)]
    assert np.median(modelled) < np.median(penalised)


def test_bo_models_rejected_designs_apart_from_costs(monkeypatch):
    """Designs the simulator rejects (toy: SRAM below the reduction operand's 64 rows) are not given
    a cost: the cost GP fits valid designs only, a validity GP fits all of them, and BO proposes
    rejected designs less often than the space holds them."""
    import botorch.fit

    real, fits = botorch.fit.fit_gpytorch_mll, []

    def counting(mll, **kw):
        fits.append((mll.model.train_inputs[0].shape[-2], len(agent._X), sum(agent._ok)))
        return real(mll, **kw)

    monkeypatch.setattr(botorch.fit, "fit_gpytorch_mll", counting)
    sim, wl = ToySimulator(), get_workload("gemm:M=64,N=64,K=8192")
    space = sim.space(wl, mapping="shared")
    rejected = 1 - sim.evaluate_batch(list(space.enumerate()), wl, "analytical").valid.mean()
    assert 0.3 < rejected < 0.9
    ev = Evaluator(sim, wl, space, Objective.parse("edp"))
    cfg = {"n_init": 6, "pool_size": 64, "mc_samples": 16, "batch_size": 2, "fit_maxiter": 20, "refit_growth": 1.0}
    agent = make_agent("bo", space, ev.objective, seed=0, config=cfg)
    h = run(agent, ev, budget=30)
    cost_fits = [n for n, total, ok in fits if n == ok < total]
    validity_fits = [n for n, total, ok in fits if n == total > ok]
    assert cost_fits and validity_fits and len(cost_fits) + len(validity_fits) == len(fits)
    modelled = [r.valid for r in h.results[-15:]]   # proposals of the GPs (the random start comes first)
    assert 1 - np.mean(modelled) < rejected


def test_bo_pool_acquisition_equals_botorchs_analytic_one():
    """The pool's first pick is scored on (n, d) candidates with BoTorch's LogEI / LogCEI formulas:
    the same values as BoTorch's own acquisitions on (n, 1, d)."""
    import torch
    from botorch.acquisition.analytic import LogConstrainedExpectedImprovement, LogExpectedImprovement
    from botorch.models import SingleTaskGP

    from agents.bayesian import log_constrained_ei

    g = torch.Generator().manual_seed(0)
    X, Y = torch.rand(30, 4, generator=g, dtype=torch.double), torch.randn(30, 3, generator=g, dtype=torch.double)
    cand = torch.rand(50, 4, generator=g, dtype=torch.double)
    with torch.no_grad():
        model = SingleTaskGP(X, Y).eval()
        ours = log_constrained_ei(model, Y[:, 0].max())(cand)
        theirs = LogConstrainedExpectedImprovement(model, best_f=Y[:, 0].max(), objective_index=0,
                                                   constraints={1: (None, 0.0), 2: (None, 0.0)})(cand.unsqueeze(1))
        assert torch.allclose(ours, theirs, atol=1e-9)
        plain = SingleTaskGP(X, Y[:, :1]).eval()
        ours = log_constrained_ei(plain, Y[:, 0].max())(cand)
        assert torch.allclose(ours, LogExpectedImprovement(plain, best_f=Y[:, 0].max())(cand.unsqueeze(1)), atol=1e-9)


def test_nsga2_optimises_several_objectives():
    ev = toy_evaluator()
    agent = make_agent("nsga2", ev.space, ev.objective, seed=0, objectives=["min:latency_s", "min:area_mm2"])
    h = run(agent, ev, budget=60)
    values, ok = h.metric_matrix(["latency_s", "area_mm2"])
    assert ok.sum() > 10 and pareto_mask(np.log10(values[ok])).sum() >= 2


def test_agent_configs_and_errors():
    for name in AGENTS:
        assert isinstance(load_agent_config(name), dict)  # every YAML validates
    ev = toy_evaluator()
    with pytest.raises(ConfigError, match="agent: 'nope' is not known"):
        make_agent("nope", ev.space, ev.objective)
    with pytest.raises(ConfigError, match="pop_size"):
        make_agent("ga", ev.space, ev.objective, config={"pop_size": 1})
    with pytest.raises(ConfigError, match="unknown field"):
        make_agent("random", ev.space, ev.objective, config={"colour": "red"})
    with pytest.raises(ConfigError, match="budget"):
        run(make_agent("random", ev.space, ev.objective), ev, budget=0)


def test_history_empty_best_is_an_error():
    with pytest.raises(ConfigError):
        History().best  # noqa: B018


SMALL = Task("test-systolic-small", "systolic", "gemm:M=256,N=256,K=256", "edp", preset="scalesim",
             restrict={"values": {"rows": [16, 32, 64], "cols": [16, 32], "ifmap_kb": [32, 64],
                                  "filter_kb": [32, 64], "dram_bw": [4, 10]}},
             constraints={"area_mm2": 1.0}, objectives=("min:latency_s", "min:energy_j", "min:area_mm2"))


def test_exact_optimum_matches_brute_force():
    opt = optimum(SMALL)
    ev = SMALL.evaluator()
    designs = list(ev.space.enumerate())
    costs = ev.costs(ev.evaluate(designs))
    assert opt.size == len(designs)
    assert opt.cost == pytest.approx(costs.min())
    assert ev.costs(ev.evaluate([opt.design]))[0] == pytest.approx(opt.cost)
    assert opt.regret(opt.cost) == pytest.approx(0.0)
    assert np.all(opt.regret(costs) >= -1e-12)
    assert opt.regret(opt.cost + np.log10(1.05)) == pytest.approx(0.05)
    # the enumerated front is the Pareto set of all valid designs
    results = ev.evaluate(designs)
    F = np.log10([[r.metrics[m] for m in ("latency_s", "energy_j", "area_mm2")] for r in results if r.valid])
    assert len(opt.front) == pareto_mask(F).sum()


def test_pareto_mask_and_hypervolume():
    rng = np.random.default_rng(0)
    F = rng.random((200, 3))
    dominated = np.array([np.any(np.all(F <= f, axis=1) & np.any(F < f, axis=1)) for f in F])
    assert np.array_equal(pareto_mask(F), ~dominated)
    front = F[pareto_mask(F)]
    ideal, nadir = normaliser(front)
    full = hypervolume(front, ideal, nadir)
    assert 0 < hypervolume(front[:3], ideal, nadir) < full
    assert hypervolume(np.vstack([front, F]), ideal, nadir) == pytest.approx(full)


def test_evals_to_target():
    assert evals_to(np.array([0.5, 0.2, 0.04, 0.0])) == 3
    assert evals_to(np.array([0.5, 0.2])) is None


def test_bench_json_markdown_and_plots(tmp_path):
    TASKS[SMALL.id] = SMALL
    try:
        report = bench([SMALL.id], ["random", "ga"], seeds=2, budget=30)
    finally:
        TASKS.pop(SMALL.id)
    entry = report["tasks"][SMALL.id]
    for name in ("random", "ga"):
        a = entry["agents"][name]
        assert set(a["regret_pct"]) == {"25", "30"}
        assert 0 <= a["regret_pct"]["30"]["q25"] <= a["regret_pct"]["30"]["median"] <= a["regret_pct"]["30"]["q75"]
        assert 0 <= a["hv_ratio"]["q25"] <= a["hv_ratio"]["median"] <= 1 + 1e-9
        assert len(a["runs"]) == 2
    # 30 random designs already dominate part of the exact front's box (GA's 30 may not)
    assert entry["agents"]["random"]["hv_ratio"]["median"] > 0
    assert "| random |" in markdown(report)
    path = write_json(report, tmp_path / "bench.json")
    from agents.plots import plot_bench

    pngs = plot_bench(path, tmp_path / "plots")
    assert {p.name for p in pngs} == {f"regret_{SMALL.id}.png", f"pareto_{SMALL.id}.png"}
    assert all(p.stat().st_size > 1000 for p in pngs)


def test_sweep_ranges():
    rng = np.random.default_rng(0)
    for _ in range(20):
        c = draw({"a": [1, 2], "b": {"low": 0.001, "high": 0.1, "log": True}, "n": {"low": 2, "high": 9}}, rng)
        assert c["a"] in (1, 2) and 0.001 <= c["b"] <= 0.1 and isinstance(c["n"], int) and 2 <= c["n"] <= 9
    with pytest.raises(ConfigError, match="sweep.x"):
        draw({"x": {"low": 3, "high": 1}}, rng)
    configs = sample_configs("ga", 4)
    assert configs[0] == load_agent_config("ga") and len(configs) == 4


def test_cli_search_and_bench(capsys, tmp_path):
    assert main(["search", "--task", "systolic-gemm1024-latency", "--agent", "random", "--budget", "12",
                 "--json", "--store", str(tmp_path / "runs.db")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["evaluations"] == 12 and out["regret_pct"] >= 0
    assert main(["bench", "--list"]) == 0
    assert "systolic-resnet18-edp" in capsys.readouterr().out
    assert main(["bench", "--agents", "nope"]) == 2
    assert "allowed" in capsys.readouterr().err


@pytest.mark.parametrize("task_id", [t for t in TASKS if TASKS[t].simulator not in ("systolic", "loopnest")])
def test_family_task_optimum_agrees_with_single_evaluations(task_id):
    """The enumerated (batched) optimum of each PIM/RDU/FPGA/DRAM task is reproduced by the scalar
    path, and no sampled design beats it (the coopt tasks' 8–47 s enumerations are covered on small
    networks by tests/test_coopt.py, their batch path by tests/test_loopnest.py)."""
    task = TASKS[task_id]
    opt = optimum(task)
    ev = task.evaluator()
    assert opt.size == ev.space.size <= 10**7
    assert ev.costs(ev.evaluate([opt.design]))[0] == pytest.approx(opt.cost, rel=1e-6, abs=1e-9)
    sample = ev.space.sample(200, np.random.default_rng(1))
    assert ev.costs(ev.evaluate(sample)).min() >= opt.cost - 1e-9
