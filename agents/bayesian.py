"""Bayesian optimisation with BoTorch over a finite mixed design space.

Model: a Gaussian process (``SingleTaskGP``) on the free parameters. Ordered parameters (int, pow2,
ordinal) enter as their value index scaled to [0, 1] (a continuous kernel over the ordering);
categorical parameters enter one-hot (one [0, 1] column per category; Garrido-Merchán and
Hernández-Lobato, Neurocomputing 2020), never as ordered codes. (``MixedSingleTaskGP``'s
categorical kernel was the previous choice: its sum-and-product kernel made each marginal-
likelihood evaluation ~10× dearer and half of BO's time went to fitting it.) With several
objectives every ordered input times every one-hot input joins them (``mo_product_features``), so
a category can change how the ordered parameters act, not only shift the function (on
systolic-resnet18-pareto the dataflow decides which array shapes are good; docs/bayesian.md,
"Third pass"; with one objective they were mixed on the benchmark tasks and tripled the CPU of
nasaic-cell-digits2). Outputs are standardised negative costs (costs are log10 metrics, so the GP
models log-latency / log-EDP …).

Acquisition: log expected improvement (Ament et al., NeurIPS 2023) for one objective, expected
hypervolume improvement (EHVI) for several (docs/bayesian.md). Because the space is finite and constrained, the acquisition is maximised
over a discrete candidate pool rather than by gradients on a relaxation: a fresh random sample of
feasible designs plus every one-parameter neighbour of the best designs so far, minus the designs
already evaluated. A batch of ``n`` designs is chosen greedily, each pick added as a pending
point before the next (the "sequential greedy" batch of BoTorch's ``optimize_acqf_discrete``).
With one objective the pool's first pick is scored in closed form (analytic ``LogExpectedImprovement``
/ ``LogConstrainedExpectedImprovement``: the exact value that quasi-MC ``qLogEI`` estimates at
q = 1, one posterior pass over the pool and no samples); the later picks of a batch need the
joint posterior with the pending points and use quasi-MC ``qLogEI`` on a shortlist.

With several objectives every pick is scored by analytic EHVI (Yang et al., J. Glob. Optim. 2019)
over a box decomposition of the observed front (``FastNondominatedPartitioning``): the simulators
are deterministic, so the observed front is exact and the noisy variant's integration over
baseline samples buys nothing. Later picks of a batch use the Kriging believer (Ginsbourger et
al. 2010): the GP conditioned on its mean at the pending picks, which join the front. (qLogNEHVI
re-decomposed the front for each of 32 samples at every pick: 196 CPU s per 100 evaluations on
systolic-resnet18-pareto; benchmarks/results/bo_speed.md.) The pool's neighbours are those of
random members of the observed Pareto front. EHVI credits nothing beyond its reference point (the
worst observed values less 10 % of their range), so the front's extremes are never sought: once
``extreme_after`` designs are in, the last pick of each ask maximises one objective's expected
improvement alone, once per objective (three picks in a run with three objectives).

Speed (issue 17; profile of PIM-GPT-2 at 100 evaluations on the loaded 2-core machine: 77 % in
L-BFGS marginal-likelihood fits, 23 % in quasi-MC scoring of the pool): the GP work is a few
hundred points, where torch's intra-op threads only contend with each other and with other
processes, so BO runs torch and the BLAS libraries (scipy's L-BFGS) on one thread; the cost and
every budget share one batched multi-output ``SingleTaskGP`` (one Cholesky and one L-BFGS run for all outputs, not a
``ModelListGP`` fitted output by output); each fit starts from the previous fit's hyperparameters
and is capped at ``fit_maxiter`` L-BFGS iterations; and the hyperparameters are re-fitted only
once the training set has grown by ``refit_growth`` (25 %) since the last fit, the GP otherwise
conditioning the last fit's hyperparameters on the new points (about 10 fits per 100 evaluations
instead of 23).

Invalid results (the simulator rejected the design) are not costs: the cost GP is fitted on valid
designs only, and once any design was rejected a second GP regresses validity (−1 valid, +1
rejected) and every acquisition is weighted by P(valid) (Gelbart et al., UAI 2014). Giving rejected
designs the worst valid cost, as before, taught the GP that whole regions were bad: on
fpga-gpt2decode-edp a third of the int4 designs are rejected, int4 holds the optimum, and BO
stayed at int8 (287 % regret on seed 0; now 0 %).

Metric budgets of a single objective (``area_mm2 ≤ 2``) are modelled, not folded into the cost:
one GP on the unpenalised cost and one per budget on ``log10(metric / bound)``, combined by
qLogEI's constraint weighting (expected improvement over the best feasible design × probability
of feasibility; Gardner et al., ICML 2014). A penalty added to the cost puts a cliff at the
budget's edge that a smooth GP cannot fit, and the optimum usually sits on that edge.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import numpy as np
from pydantic import Field

from agents.base import Agent
from agents.pareto import pareto_mask
from archgym.config import StrictModel
from archgym.metrics import Result
from archgym.space import Design

#: candidates re-scored for the 2nd…q-th pick of a batch (the best by single-point acquisition)
SHORTLIST = 64

#: linear_operator's warning when a Cholesky factorisation needed diagonal jitter (``A not p.d.,
#: added jitter of …``): routine for GPs on a discrete grid, where designs repeat or nearly do
JITTER_MESSAGE = r"A not p\.d\., added jitter"


@contextmanager
def routine_jitter_quiet() -> Iterator[None]:
    """Silence exactly linear_operator's jitter ``NumericalWarning`` (every other warning passes):
    it is the GP's own numerical safeguard, not something a user can act on (issue 21)."""
    from linear_operator.utils.warnings import NumericalWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=JITTER_MESSAGE, category=NumericalWarning)
        yield


class BOConfig(StrictModel):
    """``n_init``: random feasible designs before the first model; ``pool_size``: random
    candidates per acquisition; ``neighbours_of``: how many of the best designs contribute all
    their one-parameter neighbours to the pool; ``mc_samples``: quasi-MC samples of the
    acquisition; ``max_train``: most recent+best points the GP is fitted on; ``fit_maxiter``:
    L-BFGS iterations of the marginal-likelihood fit; ``mo_pool_size``: random candidates
    with several objectives (a larger pool did worse on the pareto task: docs/bayesian.md); ``batch_size``:
    designs per ask; ``model_constraints``: one GP per metric budget of a single objective
    (EI × P(feasible)) instead of the objective's penalty in the modelled cost;
    ``refit_growth``: the GP hyperparameters are re-fitted once the training set has grown by
    this factor since the last fit (1 = every ask); in between, the last fit's hyperparameters
    are conditioned on the new data without an L-BFGS run; ``mo_product_features``: with several
    objectives, every ordered input times every one-hot input joins the GP inputs (a category can
    change how the ordered parameters act; docs/bayesian.md, "Third pass"); ``extreme_after``:
    with several objectives, once this many designs were evaluated, one pick of each ask
    maximises one objective's expected improvement alone, once per objective (0 = never): EHVI
    gives no credit beyond its reference point, so the front's extremes are otherwise never
    sought.

    Defaults sized for speed on 2 cores (profile: half the time in L-BFGS GP fits, half in
    scoring the pool with quasi-MC qLogEI): each GP fit starts from the previous fit's
    hyperparameters, so 25 iterations replace a cold 100; 32 quasi-MC samples and 500 random
    candidates (plus the best designs' neighbours) replace 128 and 2,000."""

    n_init: int = Field(default=10, ge=2, le=10_000)
    pool_size: int = Field(default=500, ge=16, le=100_000)
    neighbours_of: int = Field(default=5, ge=0, le=1_000)
    mc_samples: int = Field(default=32, ge=16, le=4_096)
    max_train: int = Field(default=400, ge=8, le=20_000)
    fit_maxiter: int = Field(default=25, ge=5, le=10_000)
    mo_pool_size: int = Field(default=500, ge=16, le=100_000)
    batch_size: int = Field(default=4, ge=1, le=100_000)
    model_constraints: bool = True
    refit_growth: float = Field(default=1.25, ge=1.0, le=100.0)
    mo_product_features: bool = True
    extreme_after: int = Field(default=50, ge=0, le=100_000)


class BayesianOptimization(Agent):
    """GP-based BO (BoTorch): LogEI / qLogEI (one objective) or analytic EHVI (several) over a discrete feasible pool."""

    name = "bo"
    Config = BOConfig

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._free = np.flatnonzero(self.space.nvec > 1)
        self._cat = np.array([self.space.params[j].kind == "categorical" for j in self._free], dtype=bool)
        self._X: list[np.ndarray] = []  # index rows
        self._Y: list[np.ndarray] = []  # costs (k objectives)
        self._ok: list[bool] = []
        self._seen: set[tuple[int, ...]] = set()
        objective = self.objectives[0]
        #: metric budgets modelled by their own GPs (single objective with constraints only)
        self._bounds = dict(objective.constraints) \
            if len(self.objectives) == 1 and self.hp.model_constraints else {}
        self._unpenalised = replace(objective, constraints={})
        self._Z: list[np.ndarray] = []  # [unpenalised cost, log10(metric / bound) …] per row
        #: per GP ("cost", "valid"): the last fit's kernel and likelihood hyperparameters, and the
        #: number of evaluations it was fitted after
        self._warm: dict[str, dict[str, Any]] = {}
        self._fitted_on: dict[str, int] = {}
        #: per objective: whether it had its EI pick (``extreme_after``)
        self._extreme_done = np.zeros(len(self.objectives), dtype=bool)

    # -- encoding -----------------------------------------------------------------------------
    def _features(self, idx: np.ndarray) -> np.ndarray:
        """Model inputs: ordered parameters in [0, 1], then each categorical one one-hot."""
        idx = np.atleast_2d(idx)[:, self._free]
        nvec = self.space.nvec[self._free]
        ordered = idx[:, ~self._cat] / np.maximum(nvec[~self._cat] - 1, 1)
        onehot = [np.eye(int(n))[idx[:, k]] for k, n in zip(np.flatnonzero(self._cat), nvec[self._cat])]
        if not (self.hp.mo_product_features and len(self.objectives) > 1 and onehot):
            return np.concatenate([ordered, *onehot], axis=1)
        cat = np.concatenate(onehot, axis=1)
        products = (ordered[:, :, None] * cat[:, None, :]).reshape(len(idx), -1)
        return np.concatenate([ordered, cat, products], axis=1)

    # -- ask / tell ----------------------------------------------------------------------------
    def ask(self, n: int) -> list[Design]:
        if sum(self._ok) < self.hp.n_init or len(self._free) == 0:
            return self.designs(self._fresh(self.sample_feasible(n)))
        pool = self._pool()
        if len(pool) == 0:
            return []
        with routine_jitter_quiet():
            chosen = self._select(pool, min(n, len(pool)))
        return self.designs(pool[chosen])

    def tell(self, designs: Sequence[Design], results: Sequence[Result]) -> None:
        costs = self.cost_matrix(results)
        for d, r, c in zip(designs, results, costs):
            row = self.space.to_indices(d)
            self._seen.add(tuple(int(v) for v in row))
            self._X.append(row)
            self._Y.append(c)
            self._ok.append(bool(r.valid) and bool(np.all(np.isfinite(c))))
            if self._bounds:
                self._Z.append(self._constraint_row(r))

    def _constraint_row(self, result: Result) -> np.ndarray:
        if not result.valid:
            return np.full(1 + len(self._bounds), np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            slack = [np.log10(result.metrics.get(m, np.nan) / b) for m, b in self._bounds.items()]
        return np.array([self._unpenalised.cost(result), *slack], dtype=float)

    def _fresh(self, idx: np.ndarray) -> np.ndarray:
        keep = [i for i, row in enumerate(idx) if tuple(int(v) for v in row) not in self._seen]
        return idx[keep]

    def _pool(self) -> np.ndarray:
        size = self.hp.pool_size if len(self.objectives) == 1 else self.hp.mo_pool_size
        parts = [self.sample_feasible(size)]
        if self.hp.neighbours_of:
            X, Y = np.array(self._X), self._train_targets()
            if len(self.objectives) == 1:
                order = np.argsort(-Y[:, 0])[: self.hp.neighbours_of]
            else:  # random members of the observed Pareto front
                order = self.rng.permutation(np.flatnonzero(pareto_mask(-Y)))[: self.hp.neighbours_of]
            for i in order:
                parts.append(self._neighbours(X[i]))
        pool = np.unique(np.concatenate(parts), axis=0)
        pool = pool[self.feasible(pool)]
        return self._fresh(pool)

    def _neighbours(self, row: np.ndarray) -> np.ndarray:
        out = []
        for j in self._free:
            for v in range(int(self.space.nvec[j])):
                if v != row[j]:
                    r = row.copy()
                    r[j] = v
                    out.append(r)
        return np.array(out, dtype=np.int64).reshape(-1, len(row))

    def _train_targets(self) -> np.ndarray:
        """Negative costs (BoTorch maximises); invalid rows get the worst valid value."""
        Y = -np.array(self._Y, dtype=float)
        ok = np.array(self._ok)
        worst = Y[ok].min(axis=0) if ok.any() else np.zeros(Y.shape[1])
        return np.where(ok[:, None], Y, worst[None, :])

    def _model_targets(self) -> np.ndarray:
        """What the cost GP fits: negative costs, or with modelled budgets the negative
        unpenalised cost then each budget's log10(metric / bound) (≤ 0 = met); NaN in the rows of
        invalid designs (the validity GP models those)."""
        Z = -np.array(self._Y, dtype=float) if not self._bounds else \
            np.array(self._Z, dtype=float) * np.r_[-1.0, np.ones(len(self._bounds))]
        return np.where(np.array(self._ok)[:, None], Z, np.nan)

    # -- model and acquisition -------------------------------------------------------------------
    def _select(self, pool: np.ndarray, q: int) -> list[int]:
        import torch

        torch.manual_seed(int(self.rng.integers(1 << 31)))
        X, Y = np.array(self._X), self._model_targets()
        if len(X) > self.hp.max_train:  # keep the best half and the most recent half
            best = np.argsort(-self._train_targets().sum(axis=1))[: self.hp.max_train // 2]
            recent = np.arange(len(X) - self.hp.max_train // 2, len(X))
            keep = np.unique(np.concatenate([best, recent]))
            X, Y = X[keep], Y[keep]
        ok = np.isfinite(Y).all(axis=1)
        with _one_thread(), torch.no_grad():
            tX = torch.tensor(self._features(X), dtype=torch.double)
            tY = torch.tensor(Y[ok], dtype=torch.double)
            with torch.enable_grad():
                model = self._fit("cost", tX[ok], tY)
                validity = None if ok.all() else \
                    self._fit("valid", tX, torch.tensor(np.where(ok, -1.0, 1.0)[:, None], dtype=torch.double))
            first, rescore = self._acquisition(model, tY)
            if validity is not None:
                first, rescore = _weighted_by_validity(first, rescore, validity)
            cand = torch.tensor(self._features(pool), dtype=torch.double)
            values = torch.cat([first(chunk) for chunk in cand.split(2048)])
            # later picks of a batch re-score only the shortlist of the best single-point values:
            # pending points only lower a candidate's value, so the rest rarely overtakes them
            shortlist = torch.topk(values, min(len(values), SHORTLIST)).indices
            due = self._extreme_due()
            extreme = int(due.any())
            chosen = [] if extreme and q == 1 else [int(shortlist[0])]
            while len(chosen) < q - extreme:
                again = rescore(cand[shortlist], cand[chosen])
                again[[k for k, i in enumerate(shortlist.tolist()) if i in chosen]] = -torch.inf
                chosen.append(int(shortlist[int(torch.argmax(again))]))
            if extreme:
                alone = _single_objective_ei(model, tY)(cand)[:, torch.as_tensor(due)]
                if validity is not None:
                    alone = alone + _log_valid(validity)(cand)[:, None]
                alone[chosen] = -torch.inf
                best = int(torch.argmax(alone))
                chosen.append(best // alone.shape[1])
                self._extreme_done[np.flatnonzero(due)[best % alone.shape[1]]] = True
        return chosen

    def _extreme_due(self) -> np.ndarray:
        """Mask of the objectives whose EI pick is due in this ask (``extreme_after``)."""
        due = len(self.objectives) > 1 and 0 < self.hp.extreme_after <= len(self._X)
        return due & ~self._extreme_done

    def _fit(self, key: str, tX: Any, tY: Any) -> Any:
        """One batched multi-output GP on every column of ``tY``, warm-started from the last fit
        of the GP named ``key`` and capped."""
        from botorch.exceptions import ModelFittingError
        from botorch.fit import fit_gpytorch_mll
        from botorch.models import SingleTaskGP
        from botorch.models.transforms.outcome import Standardize
        from gpytorch.mlls import ExactMarginalLogLikelihood

        model = SingleTaskGP(tX, tY, outcome_transform=Standardize(m=tY.shape[1]))
        mll = ExactMarginalLogLikelihood(model.likelihood, model)
        if key in self._warm:   # warm start: hyperparameters only (the outcome transform is the data's)
            model.load_state_dict(self._warm[key], strict=False)
            if len(self._X) < self.hp.refit_growth * self._fitted_on[key]:  # (all points: training is capped)
                return model.eval()
        self._fitted_on[key] = len(self._X)
        try:   # (an option batched L-BFGS does not know, such as maxfun, counts as a failed fit: 5 refits)
            fit_gpytorch_mll(mll, optimizer_kwargs={"options": {"maxiter": self.hp.fit_maxiter}})
        except ModelFittingError as exc:  # the GP keeps its prior hyperparameters
            warnings.warn(f"agent bo: GP fit failed ({exc}); using prior hyperparameters", stacklevel=2)
        self._warm[key] = {k: v.detach().clone() for k, v in model.state_dict().items()
                           if "outcome_transform" not in k}
        model.eval()
        return model

    def _acquisition(self, model: Any, tY: Any) -> tuple[Any, Rescore]:
        """The first pick's log acquisition (closed form) and how later picks of a batch are scored
        given the pending picks: quasi-MC qLogEI with one objective, Kriging believer with several."""
        import torch

        if len(self.objectives) > 1:
            return _hypervolume_acquisition(model, tY)
        from botorch.acquisition.logei import qLogExpectedImprovement
        from botorch.acquisition.objective import GenericMCObjective
        from botorch.sampling import SobolQMCNormalSampler

        sampler = SobolQMCNormalSampler(sample_shape=torch.Size([self.hp.mc_samples]))
        feasible = (tY[:, 1:] <= 0).all(dim=1)   # (no budgets: every row)
        best_f = tY[feasible, 0].max() if feasible.any() else tY[:, 0].min()
        budgets = range(1, tY.shape[1])
        return (log_constrained_ei(model, best_f),
                _with_pending(qLogExpectedImprovement(
                    model, best_f=best_f, sampler=sampler,
                    objective=GenericMCObjective(lambda samples, X=None: samples[..., 0]),
                    constraints=[lambda samples, k=k: samples[..., k] for k in budgets] or None)))


#: log acquisition values of candidates ``(n, d)`` given the pending picks ``(p, d)`` of the batch
Rescore = Callable[[Any, Any], Any]


def _mean_sigma(model: Any, X: Any) -> tuple[Any, Any]:
    """Posterior mean and standard deviation ``(n, m)`` of candidates ``X`` ``(n, d)``, taken as one
    batch of n points: only the covariance's diagonal is formed. (BoTorch's analytic acquisitions
    take ``(n, 1, d)``: n one-point batches, each building the kernel over the training set plus
    its point: 2–5× dearer, and 70 % of BO's time on nasaic-cell-digits2's 2,500-design pools.)"""
    posterior = model.posterior(X)
    return posterior.mean, posterior.variance.clamp_min(1e-12).sqrt()


def log_constrained_ei(model: Any, best_f: Any) -> Callable[[Any], Any]:
    """Log expected improvement of output 0 over ``best_f`` plus log P(output k ≤ 0) for every
    other output: BoTorch's ``LogExpectedImprovement`` / ``LogConstrainedExpectedImprovement``
    (constraints ``(None, 0)``), the same formulas, on ``(n, d)`` candidates."""
    from botorch.acquisition.analytic import _log_ei_helper
    from botorch.utils.probability.utils import log_ndtr

    def acqf(X: Any) -> Any:
        mean, sigma = _mean_sigma(model, X)
        log_ei = _log_ei_helper((mean[:, 0] - best_f) / sigma[:, 0]) + sigma[:, 0].log()
        return log_ei + log_ndtr(-mean[:, 1:] / sigma[:, 1:]).sum(dim=-1)
    return acqf


def _weighted_by_validity(first: Any, rescore: Rescore, validity: Any) -> tuple[Any, Rescore]:
    """Both acquisitions plus log P(valid): the validity GP regresses −1 (valid) / +1 (rejected by
    the simulator) and P(valid) = P(latent ≤ 0), the unknown-constraint weighting of Gelbart et
    al. (UAI 2014) with a regression GP in place of their classifier."""
    log_valid = _log_valid(validity)
    return (lambda X: first(X) + log_valid(X),
            lambda X, pending: rescore(X, pending) + log_valid(X))


def _log_valid(validity: Any) -> Callable[[Any], Any]:
    """log P(valid) of ``(n, d)`` candidates from the validity GP (latent ≤ 0 = valid)."""
    from botorch.utils.probability.utils import log_ndtr

    def log_valid(X: Any) -> Any:
        mean, sigma = _mean_sigma(validity, X)
        return log_ndtr(-mean / sigma)[:, 0]
    return log_valid


def _single_objective_ei(model: Any, tY: Any) -> Callable[[Any], Any]:
    """``(n, m)``: each candidate's log expected improvement of each objective alone over its best
    observed value, in units of that objective's observed spread: EI has no reference point, so
    it credits designs beyond the one EHVI measures from (the front's extremes)."""
    from botorch.acquisition.analytic import _log_ei_helper

    best, spread = tY.max(dim=0).values, tY.std(dim=0).clamp_min(1e-12)

    def acqf(X: Any) -> Any:
        mean, sigma = _mean_sigma(model, X)
        return _log_ei_helper((mean - best) / sigma) + (sigma / spread).log()
    return acqf


def _with_pending(acqf: Any) -> Rescore:
    """A quasi-MC acquisition scoring candidates jointly with the pending points."""
    def rescore(X: Any, pending: Any) -> Any:
        acqf.set_X_pending(pending)
        return acqf(X.unsqueeze(1))
    return rescore


def _hypervolume_acquisition(model: Any, tY: Any) -> tuple[Any, Rescore]:
    """Analytic EHVI over the observed front (deterministic simulators: observed values are exact),
    and Kriging-believer rescoring for later picks: the GP conditioned on its own mean at the
    pending picks, which also join the front."""
    import torch
    from botorch.acquisition.multi_objective.analytic import ExpectedHypervolumeImprovement
    from botorch.utils.multi_objective.box_decompositions.non_dominated import FastNondominatedPartitioning

    span = (tY.max(dim=0).values - tY.min(dim=0).values).clamp_min(1e-6)
    ref_point = tY.min(dim=0).values - 0.1 * span

    def log_ehvi(gp: Any, front: Any) -> Any:
        cells: Any = FastNondominatedPartitioning(ref_point, Y=front)  # (BoTorch's hint names the slow class)
        acqf = ExpectedHypervolumeImprovement(gp, ref_point.tolist(), cells)
        return lambda X: acqf(X.unsqueeze(1)).log()

    def rescore(X: Any, pending: Any) -> Any:
        believed = model.posterior(pending).mean
        fantasy = model.condition_on_observations(pending, believed)
        return log_ehvi(fantasy, torch.cat([tY, believed]))(X)

    return log_ehvi(model, tY), rescore


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run torch and the BLAS libraries (scipy's L-BFGS) on one thread (restored after): small GPs
    gain nothing from more, and idle OpenBLAS threads spin: a 27-input, 3-output GP fit took
    0.81 CPU s with scipy's two OpenBLAS threads and 0.23 s with one (same result)."""
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(before)
