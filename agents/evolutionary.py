"""Genetic algorithm and NSGA-II through pymoo's ask/tell interface, on value-index arrays.

Every free parameter is one integer variable (its value index); pymoo's vectorised operators work
on the whole population at once. Ordered parameters (int, pow2, ordinal) get SBX crossover and
polynomial mutation with rounding; categorical parameters get uniform crossover and random-reset
mutation (:class:`_IndexSBX`, :class:`_IndexPM`), so no order is invented for them. One-value
parameters are not shown to pymoo. The initial population is sampled from the feasible designs.
The agent remembers every result: an offspring that was already evaluated is answered from memory
and costs no budget; once the population has converged (only known offspring for
``stale_generations`` generations) the budget goes to random feasible immigrants.

(pymoo's mixed-variable machinery — one dict per individual, pairwise duplicate checks in Python
— cost 15–60 s per 1,000 evaluations, far more than the simulator; the array form is the same
search with per-generation vector operations.)

NSGA-II (Deb et al., IEEE TEC 2002) optimises ``objectives`` jointly (each one's cost, e.g.
log10 latency, log10 energy, log10 area); with one objective it is a GA with rank-and-crowding
survival. Invalid designs get a violated inequality constraint, which pymoo's constraint
domination ranks after every feasible design.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from pydantic import Field
from pymoo.operators.crossover.sbx import SBX
from pymoo.operators.mutation.pm import PM

from agents.base import Agent
from archgym.config import StrictModel
from archgym.metrics import Result
from archgym.space import Design

#: matings pymoo tries per generation to find offspring that are not duplicates of the population
#: (its default, 100, spent ~0.2 s a generation once the population had converged; at 10 nearly
#: every generation still used all 10, ~20 ms each). 2 gave the same regret as 10 on
#: systolic-resnet18-edp and pim-gpt2decode-edp (GA and NSGA-II, seeds 0-2, 1,000 evaluations) at
#: a third of the framework time; the agent's stale-generation and immigrant logic handles
#: convergence, and a generation with no new offspring counts as stale.
MATING_TRIES = 2


class EvolutionConfig(StrictModel):
    """``pop_size`` individuals, ``n_offsprings`` per generation (default: pop_size);
    ``crossover_prob_var``/``crossover_eta``: SBX per-variable probability and distribution index;
    ``mutation_eta``: polynomial-mutation index (higher = smaller steps); ``mutation_prob_var``:
    per-variable mutation probability (default 1/d); ``selection``: parent selection;
    ``stale_generations``: generations of already-known offspring before the agent proposes random
    feasible immigrants instead (a converged population would otherwise spend nothing)."""

    pop_size: int = Field(default=20, ge=2, le=100_000)
    n_offsprings: int | None = Field(default=None, ge=1, le=100_000)
    crossover_prob_var: float = Field(default=0.5, ge=0, le=1)
    crossover_eta: float = Field(default=15.0, gt=0)
    mutation_eta: float = Field(default=20.0, gt=0)
    mutation_prob_var: float | None = Field(default=None, gt=0, le=1)
    selection: Literal["tournament", "random"] = "tournament"
    stale_generations: int = Field(default=20, ge=1, le=1_000_000)
    batch_size: int = Field(default=20, ge=1, le=100_000)


class _PymooAgent(Agent):
    """Shared ask/tell bridge to a pymoo algorithm (subclasses build the algorithm)."""

    Config = EvolutionConfig
    multi_objective = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._free = [j for j, p in enumerate(self.space.params) if p.size > 1]
        self._memory: dict[tuple[int, ...], tuple[np.ndarray, float]] = {}
        self._pop: Any = None  # the generation being evaluated
        self._pop_keys: list[tuple[int, ...]] = []
        self._queue: list[tuple[int, ...]] = []
        self._stale = 0  # generations in a row whose offspring were all known
        self._algorithm = self._build()

    # -- pymoo plumbing ------------------------------------------------------------------------
    def _operators(self) -> dict[str, Any]:
        """Sampling and mating (selection, crossover, mutation, duplicate elimination) for pymoo."""
        from pymoo.core.duplicate import DefaultDuplicateElimination
        from pymoo.core.mating import Mating
        from pymoo.operators.repair.rounding import RoundingRepair

        hp = self.hp
        categorical = np.array([self.space.params[j].kind == "categorical" for j in self._free], dtype=bool)
        mating = Mating(self._tournament() if hp.selection == "tournament" else _random_selection(),
                        _IndexSBX(categorical, prob_var=hp.crossover_prob_var, eta=hp.crossover_eta,
                                  vtype=float, repair=RoundingRepair()),
                        _IndexPM(categorical, eta=hp.mutation_eta, prob_var=hp.mutation_prob_var,
                                 vtype=float, repair=RoundingRepair()),
                        eliminate_duplicates=DefaultDuplicateElimination(), n_max_iterations=MATING_TRIES)
        return {"sampling": self.sample_feasible(hp.pop_size)[:, self._free].astype(float), "mating": mating,
                "eliminate_duplicates": True}

    def _setup(self, algorithm: Any) -> Any:
        from pymoo.core.problem import Problem

        n_obj = len(self.objectives) if self.multi_objective else 1
        upper = (self.space.nvec[self._free] - 1).astype(float)
        problem = Problem(n_var=len(self._free), n_obj=n_obj, n_ieq_constr=1, xl=np.zeros_like(upper), xu=upper,
                          vtype=int)
        algorithm.setup(problem, seed=self.seed, termination=("n_eval", 1 << 62), verbose=False)
        return algorithm

    def _build(self) -> Any:
        raise NotImplementedError

    def _tournament(self) -> Any:
        raise NotImplementedError

    def _keys(self, X: np.ndarray) -> list[tuple[int, ...]]:
        """Full index rows (as tuples) of a population's ``X``."""
        rows = np.zeros((len(X), len(self.space)), dtype=np.int64)
        rows[:, self._free] = np.rint(X).astype(np.int64)
        return [tuple(r) for r in rows.tolist()]

    # -- ask / tell ------------------------------------------------------------------------------
    def ask(self, n: int) -> list[Design]:
        # once converged, one generation per ask (not stale_generations) keeps watching for news
        tries = 1 if self._stale >= self.hp.stale_generations else self.hp.stale_generations
        for _ in range(tries):
            if self._queue:
                break
            if self._pop is not None:  # every member of the generation is known: tell pymoo
                self._finish_generation()
            self._pop = self._algorithm.ask()
            if self._pop is None or len(self._pop) == 0:   # no offspring new to the population
                self._pop, self._stale = None, self._stale + 1
                continue
            self._pop_keys = self._keys(self._pop.get("X"))
            self._queue = list(dict.fromkeys(k for k in self._pop_keys if k not in self._memory))
            self._stale = 0 if self._queue else self._stale + 1
        if not self._queue:  # converged: offspring are all known, so spend the budget on immigrants
            return self._immigrants(n)
        out, self._queue = self._queue[:n], self._queue[n:]
        return self.designs(np.array(out))

    def _immigrants(self, n: int) -> list[Design]:
        idx = [tuple(int(v) for v in row) for row in self.sample_feasible(4 * n)]
        fresh = list(dict.fromkeys(k for k in idx if k not in self._memory))[:n]
        return self.designs(np.array(fresh)) if fresh else []

    def tell(self, designs: Sequence[Design], results: Sequence[Result]) -> None:
        costs = self.cost_matrix(results) if self.multi_objective else self.costs(results)[:, None]
        for d, r, c in zip(designs, results, costs):
            key = tuple(int(v) for v in self.space.to_indices(d))
            self._memory[key] = (np.asarray(c, dtype=float), 0.0 if r.valid else 1.0)
        if self._pop is not None and not self._queue and all(k in self._memory for k in self._pop_keys):
            self._finish_generation()

    def _finish_generation(self) -> None:
        F = np.array([self._memory[k][0] for k in self._pop_keys])
        G = np.array([[self._memory[k][1]] for k in self._pop_keys])
        self._pop.set("F", F, "G", G)
        self._algorithm.tell(infills=self._pop)
        self._pop, self._pop_keys = None, []


class GeneticAlgorithm(_PymooAgent):
    """pymoo's GA (fitness survival) on the scalar objective cost."""

    name = "ga"

    def _build(self) -> Any:
        from pymoo.algorithms.soo.nonconvex.ga import GA

        return self._setup(GA(pop_size=self.hp.pop_size, n_offsprings=self.hp.n_offsprings, **self._operators()))

    def _tournament(self) -> Any:
        from pymoo.algorithms.soo.nonconvex.ga import comp_by_cv_and_fitness
        from pymoo.operators.selection.tournament import TournamentSelection

        return TournamentSelection(func_comp=comp_by_cv_and_fitness)


class NSGA2Agent(_PymooAgent):
    """pymoo's NSGA-II over ``objectives`` (one or several)."""

    name = "nsga2"
    multi_objective = True

    def _build(self) -> Any:
        from pymoo.algorithms.moo.nsga2 import NSGA2, RankAndCrowding

        return self._setup(NSGA2(pop_size=self.hp.pop_size, n_offsprings=self.hp.n_offsprings,
                                 survival=RankAndCrowding(), **self._operators()))

    def _tournament(self) -> Any:
        from pymoo.algorithms.moo.nsga2 import binary_tournament
        from pymoo.operators.selection.tournament import TournamentSelection

        return TournamentSelection(func_comp=binary_tournament)


def _random_selection() -> Any:
    from pymoo.operators.selection.rnd import RandomSelection

    return RandomSelection()


class _IndexSBX(SBX):
    """SBX on the ordered columns, uniform crossover on the categorical ones."""

    def __init__(self, categorical: np.ndarray, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.categorical = categorical

    def _do(self, problem: Any, X: np.ndarray, *args: Any, random_state: Any = None, **kwargs: Any) -> Any:
        Xp = super()._do(problem, X, *args, random_state=random_state, **kwargs)
        cat = self.categorical
        if cat.any():
            swap = random_state.random((X.shape[1], int(cat.sum()))) < 0.5
            Xp[0][:, cat] = np.where(swap, X[1][:, cat], X[0][:, cat])
            Xp[1][:, cat] = np.where(swap, X[0][:, cat], X[1][:, cat])
        return Xp


class _IndexPM(PM):
    """Polynomial mutation on the ordered columns, random reset on the categorical ones."""

    def __init__(self, categorical: np.ndarray, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.categorical = categorical

    def _do(self, problem: Any, X: np.ndarray, *args: Any, random_state: Any = None, **kwargs: Any) -> Any:
        Xp = super()._do(problem, X, *args, random_state=random_state, **kwargs)
        cat = np.flatnonzero(self.categorical)
        if len(cat):
            hit = random_state.random((len(X), len(cat))) < self.get_prob_var(problem, size=len(X)).reshape(-1, 1)
            fresh = np.floor(random_state.random((len(X), len(cat))) * (problem.xu[cat] + 1))
            Xp[:, cat] = np.where(hit, fresh, X[:, cat])
        return Xp
