"""Genetic algorithm and NSGA-II through pymoo's ask/tell interface, on mixed variables.

Ordered parameters (int, pow2, ordinal) are pymoo ``Integer`` variables over their value indices
(SBX crossover and polynomial mutation with rounding); categorical parameters are pymoo
``Choice`` variables (uniform crossover, random-choice mutation), so no order is invented for
them. One-value parameters are not shown to pymoo. The initial population is sampled from the
feasible designs. The agent remembers every result: an offspring that was already evaluated is
answered from memory and costs no budget; once the population has converged (only known
offspring for ``stale_generations`` generations) the budget goes to random feasible immigrants.

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

from agents.base import Agent
from archgym.config import StrictModel
from archgym.metrics import Result
from archgym.space import Design


class EvolutionConfig(StrictModel):
    """``pop_size`` individuals, ``n_offsprings`` per generation (default: pop_size);
    ``crossover_prob_var``/``crossover_eta``: SBX per-variable probability and distribution index;
    ``mutation_eta``: polynomial-mutation index (higher = smaller steps); ``mutation_prob_var``:
    per-variable mutation probability (default 1/d); ``selection``: parent selection;
    ``stale_generations``: generations of already-known offspring before the agent proposes random
    feasible immigrants instead (a converged population would otherwise spend nothing)."""

    pop_size: int = Field(default=20, ge=2)
    n_offsprings: int | None = Field(default=None, ge=1)
    crossover_prob_var: float = Field(default=0.5, ge=0, le=1)
    crossover_eta: float = Field(default=15.0, gt=0)
    mutation_eta: float = Field(default=20.0, gt=0)
    mutation_prob_var: float | None = Field(default=None, gt=0, le=1)
    selection: Literal["tournament", "random"] = "tournament"
    stale_generations: int = Field(default=20, ge=1)
    batch_size: int = Field(default=20, ge=1)


class _PymooAgent(Agent):
    """Shared ask/tell bridge to a pymoo algorithm (subclasses build the algorithm)."""

    Config = EvolutionConfig
    multi_objective = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._free = [j for j, p in enumerate(self.space.params) if p.size > 1]
        self._memory: dict[tuple[int, ...], tuple[np.ndarray, float]] = {}
        self._pop: Any = None  # the generation being evaluated
        self._keys: list[tuple[int, ...]] = []
        self._queue: list[tuple[int, ...]] = []
        self._algorithm = self._build()

    # -- pymoo plumbing ------------------------------------------------------------------------
    def _variables(self) -> dict[str, Any]:
        from pymoo.core.variable import Choice, Integer

        out: dict[str, Any] = {}
        for j in self._free:
            p = self.space.params[j]
            out[p.name] = Choice(options=list(range(p.size))) if p.kind == "categorical" \
                else Integer(bounds=(0, p.size - 1))
        return out

    def _mating(self) -> Any:
        from pymoo.core.mixed import MixedVariableDuplicateElimination, MixedVariableMating
        from pymoo.core.variable import Choice, Integer
        from pymoo.operators.crossover.sbx import SBX
        from pymoo.operators.crossover.ux import UX
        from pymoo.operators.mutation.pm import PM
        from pymoo.operators.mutation.rm import ChoiceRandomMutation
        from pymoo.operators.repair.rounding import RoundingRepair
        from pymoo.operators.selection.rnd import RandomSelection

        hp = self.hp
        crossover = {Integer: SBX(prob_var=hp.crossover_prob_var, eta=hp.crossover_eta, vtype=float,
                                  repair=RoundingRepair()), Choice: UX()}
        mutation = {Integer: PM(eta=hp.mutation_eta, prob_var=hp.mutation_prob_var, vtype=float,
                                repair=RoundingRepair()),
                    Choice: ChoiceRandomMutation(prob_var=hp.mutation_prob_var)}
        selection = self._tournament() if hp.selection == "tournament" else RandomSelection()
        return MixedVariableMating(selection=selection, crossover=crossover, mutation=mutation,
                                   eliminate_duplicates=MixedVariableDuplicateElimination())

    def _initial_population(self) -> Any:
        from pymoo.core.population import Population

        idx = self.sample_feasible(self.hp.pop_size)
        return Population.new("X", [self._to_x(row) for row in idx])

    def _setup(self, algorithm: Any) -> Any:
        from pymoo.core.problem import Problem

        n_obj = len(self.objectives) if self.multi_objective else 1
        problem = Problem(vars=self._variables(), n_obj=n_obj, n_ieq_constr=1)
        algorithm.setup(problem, seed=self.seed, termination=("n_eval", 1 << 62), verbose=False)
        return algorithm

    def _build(self) -> Any:
        raise NotImplementedError

    def _tournament(self) -> Any:
        raise NotImplementedError

    def _to_x(self, row: np.ndarray) -> dict[str, int]:
        return {self.space.params[j].name: int(row[j]) for j in self._free}

    def _from_x(self, x: dict[str, Any]) -> tuple[int, ...]:
        row = np.zeros(len(self.space), dtype=np.int64)
        for j in self._free:
            row[j] = int(x[self.space.params[j].name])
        return tuple(int(v) for v in row)

    # -- ask / tell ------------------------------------------------------------------------------
    def ask(self, n: int) -> list[Design]:
        for _ in range(self.hp.stale_generations):
            if self._queue:
                break
            if self._pop is not None:  # every member of the generation is known: tell pymoo
                self._finish_generation()
            self._pop = self._algorithm.ask()
            self._keys = [self._from_x(x) for x in self._pop.get("X")]
            self._queue = list(dict.fromkeys(k for k in self._keys if k not in self._memory))
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
        if self._pop is not None and not self._queue and all(k in self._memory for k in self._keys):
            self._finish_generation()

    def _finish_generation(self) -> None:
        F = np.array([self._memory[k][0] for k in self._keys])
        G = np.array([[self._memory[k][1]] for k in self._keys])
        self._pop.set("F", F, "G", G)
        self._algorithm.tell(infills=self._pop)
        self._pop, self._keys = None, []


class GeneticAlgorithm(_PymooAgent):
    """pymoo's mixed-variable GA (fitness survival) on the scalar objective cost."""

    name = "ga"

    def _build(self) -> Any:
        from pymoo.core.mixed import MixedVariableDuplicateElimination, MixedVariableGA

        algorithm = MixedVariableGA(pop_size=self.hp.pop_size, n_offsprings=self.hp.n_offsprings,
                                    sampling=self._initial_population(), mating=self._mating(),
                                    eliminate_duplicates=MixedVariableDuplicateElimination())
        return self._setup(algorithm)

    def _tournament(self) -> Any:
        from pymoo.algorithms.soo.nonconvex.ga import comp_by_cv_and_fitness
        from pymoo.operators.selection.tournament import TournamentSelection

        return TournamentSelection(func_comp=comp_by_cv_and_fitness)


class NSGA2Agent(_PymooAgent):
    """pymoo's NSGA-II over ``objectives`` (one or several), mixed variables."""

    name = "nsga2"
    multi_objective = True

    def _build(self) -> Any:
        from pymoo.algorithms.moo.nsga2 import NSGA2, RankAndCrowding
        from pymoo.core.mixed import MixedVariableDuplicateElimination

        algorithm = NSGA2(pop_size=self.hp.pop_size, n_offsprings=self.hp.n_offsprings,
                          sampling=self._initial_population(), mating=self._mating(),
                          eliminate_duplicates=MixedVariableDuplicateElimination(),
                          survival=RankAndCrowding())
        return self._setup(algorithm)

    def _tournament(self) -> Any:
        from pymoo.algorithms.moo.nsga2 import binary_tournament
        from pymoo.operators.selection.tournament import TournamentSelection

        return TournamentSelection(func_comp=binary_tournament)
