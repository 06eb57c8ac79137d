"""BO with several objectives (docs/bayesian.md, "Third pass"): ordered × one-hot product features,
one per-objective EI pick per objective once ``extreme_after`` designs are in, and the agent's
one-thread BLAS."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

from agents.base import run
from agents.bayesian import BayesianOptimization
from agents.registry import make_agent
from archgym.evaluator import Evaluator
from archgym.metrics import Objective
from archgym.workload import get_workload

sys.path.insert(0, str(Path(__file__).parent))
from toy_simulator import ToySimulator

warnings.filterwarnings("ignore")
CFG = {"n_init": 6, "mo_pool_size": 32, "batch_size": 3, "fit_maxiter": 20}
OBJECTIVES = ["min:latency_s", "min:energy_j"]


def _evaluator() -> Evaluator:
    sim, wl = ToySimulator(), get_workload("gemm:M=64,N=64,K=64")
    return Evaluator(sim, wl, sim.space(wl, mapping="shared"), Objective.parse("edp"))


def test_product_features_are_every_ordered_column_times_every_one_hot_column():
    ev = _evaluator()
    plain = make_agent("bo", ev.space, ev.objective, config={"mo_product_features": False}, objectives=OBJECTIVES)
    both = make_agent("bo", ev.space, ev.objective, config={"mo_product_features": True}, objectives=OBJECTIVES)
    single = make_agent("bo", ev.space, ev.objective, config={"mo_product_features": True})
    idx = plain.sample_feasible(20)
    base, full = plain._features(idx), both._features(idx)
    assert np.array_equal(single._features(idx), base)   # one objective: no products
    n_ord, n_cat = int((~plain._cat).sum()), base.shape[1] - int((~plain._cat).sum())
    assert n_ord == 5 and n_cat == 3      # toy: rows, cols, sram, clock, tile; dataflow one-hot
    assert np.array_equal(full[:, : base.shape[1]], base)
    products = full[:, base.shape[1]:].reshape(len(idx), n_ord, n_cat)
    assert np.array_equal(products, base[:, :n_ord, None] * base[:, None, n_ord:])


def _extreme_picks(after: int, budget: int) -> list[tuple[int, int]]:
    """(evaluations so far, objective) of each per-objective EI pick of a toy run."""
    ev = _evaluator()
    agent = make_agent("bo", ev.space, ev.objective, seed=0, config={**CFG, "extreme_after": after},
                       objectives=OBJECTIVES)
    assert isinstance(agent, BayesianOptimization)
    picks: list[tuple[int, int]] = []
    select = agent._select

    def spy(pool: np.ndarray, q: int) -> list[int]:
        before = agent._extreme_done.copy()
        chosen = select(pool, q)
        picks.extend((len(agent._X), int(j)) for j in np.flatnonzero(agent._extreme_done & ~before))
        return chosen

    agent._select = spy   # type: ignore[method-assign]
    assert run(agent, ev, budget).evaluations == budget
    return picks


def test_each_objective_gets_one_extreme_pick_once_enough_designs_are_in():
    picks = _extreme_picks(after=9, budget=21)
    assert sorted(j for _, j in picks) == [0, 1]   # once per objective
    assert all(n >= 9 for n, _ in picks) and len({n for n, _ in picks}) == 2   # one per ask, not before
    assert _extreme_picks(after=0, budget=12) == []


def test_the_extreme_pick_maximises_one_objectives_ei_alone():
    """``_single_objective_ei`` is BoTorch's LogEI of each output over its best, less log of the
    output's observed spread."""
    import torch
    from botorch.acquisition.analytic import LogExpectedImprovement
    from botorch.models import SingleTaskGP

    from agents.bayesian import _single_objective_ei

    g = torch.Generator().manual_seed(0)
    X, Y = torch.rand(25, 3, generator=g, dtype=torch.double), torch.randn(25, 2, generator=g, dtype=torch.double)
    cand = torch.rand(40, 3, generator=g, dtype=torch.double)
    with torch.no_grad():
        model = SingleTaskGP(X, Y).eval()
        ours = _single_objective_ei(model, Y)(cand)
        for j in range(2):
            alone = model.subset_output([j])
            theirs = LogExpectedImprovement(alone, best_f=Y[:, j].max())(cand.unsqueeze(1)) - Y[:, j].std().log()
            assert torch.allclose(ours[:, j], theirs, atol=1e-8)


def test_the_agent_runs_blas_on_one_thread_and_restores_it():
    from threadpoolctl import threadpool_info

    from agents.bayesian import _one_thread

    before = [i["num_threads"] for i in threadpool_info()]
    with _one_thread():
        assert all(i["num_threads"] == 1 for i in threadpool_info())
    assert [i["num_threads"] for i in threadpool_info()] == before
