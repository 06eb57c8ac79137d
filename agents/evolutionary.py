"""Genetic algorithm and NSGA-II through pymoo's ask/tell interface, on value-index arrays.

Every free parameter is one integer variable (its value index); pymoo's vectorised operators work
on the whole population at once. Ordered parameters (int, pow2, ordinal) get SBX crossover and
polynomial mutation with rounding; categorical parameters get uniform crossover and random-reset
mutation (:class:`_IndexSBX`, :class:`_IndexPM`), so no order is invented for them. One-value
parameters are not shown to pymoo. The initial population is sampled from the feasible designs.
The agent remembers every result, and mating (:class:`_ArrayMating`) proposes only designs it has
not evaluated; once the population has converged (no new offspring for ``stale_generations``
generations) the budget goes to random feasible immigrants, which are told to pymoo as a
generation, so survival lets in any better than the population and it breeds from them.

pymoo's mixed-variable machinery (one dict per individual, pairwise duplicate checks in Python)
cost 15–60 s per 1,000 evaluations, and its array GA still 1–8 s: its mating wraps every candidate
in an ``Individual``, and a converged population re-proposed evaluated designs, so ~700
generations ran per 1,000 evaluations. Here pymoo's selection, crossover, mutation and survival do
the search, but mating runs its operators on plain arrays with integer-code duplicate checks, and
the tournaments (:func:`_by_cv_then_fitness`, :func:`_by_dominance_then_crowding`) are pymoo's
rules vectorised (docs/evolutionary.md).

NSGA-II (Deb et al., IEEE TEC 2002) optimises ``objectives`` jointly (each one's cost, e.g.
log10 latency, log10 energy, log10 area); with one objective it is a GA with rank-and-crowding
survival. Invalid designs get a violated inequality constraint, which pymoo's constraint
domination ranks after every feasible design.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
from pydantic import Field
from pymoo.core.mating import Mating
from pymoo.core.variable import get
from pymoo.operators.crossover.sbx import SBX
from pymoo.operators.mutation.pm import PM

from agents.base import Agent
from archgym.config import StrictModel
from archgym.metrics import Result
from archgym.space import Design

#: candidates drawn per generation, in n_offsprings (pymoo's n_max_iterations mating rounds, drawn at
#: once; pymoo's default is 100); a generation with none new to the agent counts as stale. 2, the
#: earlier setting, is kept: it decides when the agent turns to immigrants (docs/evolutionary.md)
MATING_TRIES = 2
#: generations' candidates drawn by one mating; an empty mating counts as that many stale generations
GENERATIONS_PER_MATING = 5


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
        self._asked: list[tuple[Design, tuple[int, ...]]] = []  # the last ask's designs and their keys
        self._stale = 0  # generations in a row whose offspring were all known
        self._algorithm = self._build()

    # -- pymoo plumbing ------------------------------------------------------------------------
    def _operators(self) -> dict[str, Any]:
        """Sampling and mating (selection, crossover, mutation, duplicate elimination) for pymoo."""
        hp = self.hp
        categorical = np.array([self.space.params[j].kind == "categorical" for j in self._free], dtype=bool)
        mating = _ArrayMating(self._tournament() if hp.selection == "tournament" else _random_selection(),
                              _IndexSBX(categorical, prob_var=hp.crossover_prob_var, eta=hp.crossover_eta),
                              _IndexPM(categorical, eta=hp.mutation_eta, prob_var=hp.mutation_prob_var),
                              known=self._memory, keys=self._keys, n_max_iterations=MATING_TRIES)
        return {"sampling": self._initial_population(), "mating": mating, "eliminate_duplicates": False}

    def _initial_population(self) -> np.ndarray:
        """``pop_size`` random feasible designs' free columns, duplicates dropped (first kept)."""
        X = self.sample_feasible(self.hp.pop_size)[:, self._free]
        first = np.sort(np.unique(X, axis=0, return_index=True)[1])
        return X[first].astype(float)

    def _setup(self, algorithm: Any) -> Any:
        from pymoo.core.problem import Problem

        n_obj = len(self.objectives) if self.multi_objective else 1
        upper = (self.space.nvec[self._free] - 1).astype(float)
        problem = Problem(n_var=len(self._free), n_obj=n_obj, n_ieq_constr=1, xl=np.zeros_like(upper), xu=upper,
                          vtype=int)
        algorithm.setup(problem, seed=int(self.rng.integers(1 << 31)), termination=("n_eval", 1 << 62),
                        verbose=False)
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
        # once converged, one mating per ask (not up to stale_generations) keeps watching for news
        converged = self._stale >= self.hp.stale_generations
        while not self._queue:
            if self._pop is not None:  # every member of the generation is known: tell pymoo
                self._finish_generation()
            self._next_generation()
            if not self._queue and (converged or self._stale >= self.hp.stale_generations):
                break
        if not self._queue:  # converged: offspring are all known, so spend the budget on immigrants
            if self._pop is not None:  # a generation of known offspring (pymoo's own mating) is told first
                self._finish_generation()
            return self._immigrants(n)
        out, self._queue = self._queue[:n], self._queue[n:]
        return self._propose(out)

    def _next_generation(self) -> None:
        """Ask pymoo for offspring and queue those not evaluated yet; if there are none, count the
        generations the mating drew from as stale."""
        drawn = getattr(self._algorithm.mating, "generations", 1)
        self._pop = self._algorithm.ask()
        if self._pop is None or len(self._pop) == 0:   # no offspring new to the agent
            # pymoo's GA then flags itself terminated and would build a Result on every tell
            self._algorithm.termination.force_termination = False
            self._pop, self._stale = None, self._stale + drawn
            return
        self._pop_keys = self._keys(self._pop.get("X"))
        self._queue = list(dict.fromkeys(k for k in self._pop_keys if k not in self._memory))
        self._stale = 0 if self._queue else self._stale + drawn

    def _immigrants(self, n: int) -> list[Design]:
        """Up to ``n`` random feasible designs not evaluated yet, told to pymoo as a generation once
        evaluated: survival lets in any better than the population, which then breeds from them."""
        from pymoo.core.population import Population

        idx = [tuple(int(v) for v in row) for row in self.sample_feasible(4 * n)]
        fresh = list(dict.fromkeys(k for k in idx if k not in self._memory))[:n]
        if fresh:
            self._pop, self._pop_keys = Population.new("X", np.array(fresh, dtype=float)[:, self._free]), fresh
        return self._propose(fresh)

    def _propose(self, keys: list[tuple[int, ...]]) -> list[Design]:
        """The designs of ``keys``, remembered with them so that ``tell`` need not map them back."""
        designs = self.designs(np.array(keys)) if keys else []
        self._asked = list(zip(designs, keys))
        return designs

    def _told_keys(self, designs: Sequence[Design]) -> list[tuple[int, ...]]:
        """Keys of told designs: the last ask's when they are those very objects, else mapped back."""
        if len(designs) <= len(self._asked) and all(d is a for d, (a, _) in zip(designs, self._asked)):
            return [k for _, k in self._asked[:len(designs)]]
        return [tuple(int(v) for v in self.space.to_indices(d)) for d in designs]

    def tell(self, designs: Sequence[Design], results: Sequence[Result]) -> None:
        costs = self.cost_matrix(results) if self.multi_objective else self.costs(results)[:, None]
        for key, r, c in zip(self._told_keys(designs), results, costs):
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
        from pymoo.operators.selection.tournament import TournamentSelection

        return TournamentSelection(func_comp=_by_cv_then_fitness)


class NSGA2Agent(_PymooAgent):
    """pymoo's NSGA-II over ``objectives`` (one or several)."""

    name = "nsga2"
    multi_objective = True

    def _build(self) -> Any:
        from pymoo.algorithms.moo.nsga2 import NSGA2, RankAndCrowding

        return self._setup(NSGA2(pop_size=self.hp.pop_size, n_offsprings=self.hp.n_offsprings,
                                 survival=RankAndCrowding(), **self._operators()))

    def _tournament(self) -> Any:
        from pymoo.operators.selection.tournament import TournamentSelection

        return TournamentSelection(func_comp=_by_dominance_then_crowding)


class _ArrayMating(Mating):
    """pymoo's mating — its selection, crossover (two parents, two children, as SBX) and mutation,
    each result rounded to integer codes as pymoo's ``RoundingRepair`` does — on plain arrays,
    keeping only offspring that repeat neither each other, the population nor a design in ``known``.

    pymoo's own loop runs up to ``n_max_iterations`` rounds of ``n_offsprings`` candidates, wrapping
    each in an ``Individual`` and comparing them pairwise, which cost more than the simulator once a
    converged population mostly re-proposed evaluated designs; here the rounds' candidates are drawn
    at once and their integer codes (``keys``) looked up in sets.
    """

    def __init__(self, selection: Any, crossover: Any, mutation: Any, known: Mapping[tuple[int, ...], Any],
                 keys: Callable[[np.ndarray], list[tuple[int, ...]]], n_max_iterations: int) -> None:
        super().__init__(selection, crossover, mutation, n_max_iterations=n_max_iterations)
        self.known, self.keys = known, keys
        self._columns: _Columns | None = None  # the population last mated from
        self.generations = GENERATIONS_PER_MATING

    def do(self, problem: Any, pop: Any, n_offsprings: int, random_state: Any = None,
           **kwargs: Any) -> Any:
        from pymoo.core.population import Population

        if self._columns is None or self._columns.pop is not pop:
            self._columns = _Columns(pop)
        X = self._columns.get("X")
        seen = set(self.keys(X))
        found: list[np.ndarray] = []
        children = self._children(self._columns, problem, X, self.generations * self.n_max_iterations * n_offsprings,
                                  random_state, **kwargs)
        for key, row in zip(self.keys(children), children):
            if key not in seen and key not in self.known:
                seen.add(key)
                found.append(row)
        return Population.new("X", np.array(found[:n_offsprings], dtype=float).reshape(-1, problem.n_var))

    def _children(self, pop: _Columns, problem: Any, X: np.ndarray, n: int, random_state: Any,
                  **kwargs: Any) -> np.ndarray:
        """About ``n`` children: crossover with pymoo's per-mating probability (else the parents'
        copies), then mutation with its per-child probability, as ``Crossover.do``/``Mutation.do``."""
        cx, mut = self.crossover, self.mutation
        n_matings = math.ceil(n / cx.n_offsprings)
        parents = self.selection.do(problem, pop, n_matings, n_parents=cx.n_parents, to_pop=False,
                                    random_state=random_state, **kwargs)
        Xp = X[parents.T].astype(float)  # (parents, matings, variables)
        crossed = random_state.random(n_matings) < get(cx.prob, size=n_matings)
        children = np.where(crossed[:, None], np.around(cx._do(problem, Xp, random_state=random_state)), Xp)
        children = children.reshape(-1, X.shape[1])
        mutated = random_state.random(len(children)) <= get(mut.prob, size=len(children))
        return np.where(mutated[:, None], np.around(mut._do(problem, children, random_state=random_state)),
                        children)


class _Columns:
    """A pymoo population's columns (``X``, ``F``, ``CV`` …), each read once: ``Population.get``
    visits every individual, and a converged population is mated from many times over."""

    def __init__(self, pop: Any) -> None:
        self.pop = pop
        self._read: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.pop)

    def get(self, name: str) -> np.ndarray:
        if name not in self._read:
            self._read[name] = self.pop.get(name)
        return self._read[name]


def _winners(a: np.ndarray, b: np.ndarray, a_wins: np.ndarray, b_wins: np.ndarray, random_state: Any) -> np.ndarray:
    """Per tournament, ``a`` or ``b`` by the masks; a coin toss where neither wins (pymoo's ``compare``)."""
    coin = random_state.random(len(a)) < 0.5
    return np.where(a_wins, a, np.where(b_wins, b, np.where(coin, a, b)))[:, None]


def _by_cv_then_fitness(pop: Any, P: np.ndarray, random_state: Any = None, **kwargs: Any) -> np.ndarray:
    """pymoo's ``comp_by_cv_and_fitness`` (GA binary tournament) on arrays: the smaller constraint
    violation wins when either side violates, else the smaller fitness; ties by coin toss."""
    cv, f = pop.get("CV")[:, 0], pop.get("F")[:, 0]
    a, b = P[:, 0], P[:, 1]
    infeasible = (cv[a] > 0) | (cv[b] > 0)
    va, vb = np.where(infeasible, cv[a], f[a]), np.where(infeasible, cv[b], f[b])
    return _winners(a, b, va < vb, vb < va, random_state)


def _by_dominance_then_crowding(pop: Any, P: np.ndarray, random_state: Any = None, **kwargs: Any) -> np.ndarray:
    """pymoo's NSGA-II ``binary_tournament`` (``comp_by_dom_and_crowding``) on arrays: the smaller
    constraint violation wins when either side violates, else the dominating side, else the larger
    crowding distance; ties by coin toss."""
    cv, F, crowding = pop.get("CV")[:, 0], pop.get("F"), pop.get("crowding").astype(float)
    a, b = P[:, 0], P[:, 1]
    infeasible = (cv[a] > 0) | (cv[b] > 0)
    a_some, b_some = np.any(F[a] < F[b], axis=1), np.any(F[b] < F[a], axis=1)
    a_dom, b_dom = a_some & ~b_some, b_some & ~a_some
    a_wins = np.where(infeasible, cv[a] < cv[b], a_dom | (~b_dom & (crowding[a] > crowding[b])))
    b_wins = np.where(infeasible, cv[b] < cv[a], b_dom | (~a_dom & (crowding[b] > crowding[a])))
    return _winners(a, b, a_wins, b_wins, random_state)


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
