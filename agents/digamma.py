"""A DiGamma-style genetic algorithm for hardware × per-layer mapping spaces (Kao, Pellauer,
Parashar and Krishna, "DiGamma", DATE 2022, arXiv 2201.11220).

The genome is the design's value indices, read as blocks: the hardware knobs (names without a
dot) and one block per layer (``LAYER.dataflow``, ``LAYER.order_in`` … ``LAYER.tile_<DIM>``).
The operators respect that structure, on pymoo's operator interfaces:

* :class:`BlockCrossover` passes whole blocks: each child takes the hardware from one parent and
  every layer's mapping, whole, from one parent or the other (a layer's tiles and orders only make
  sense together, so they are never mixed knob by knob);
* :class:`MappingMutation` mutates one hardware knob with probability ``hw_mutation`` and, in
  about ``layer_mutations`` layers per child, one mapping knob: a tile or an ordered hardware knob
  moves one ladder step, a loop order or dataflow is drawn anew.

Survival, tournament selection and duplicate elimination are pymoo's GA; the ask/tell bridge,
memory of evaluated designs and immigrants are :class:`agents.evolutionary.GeneticAlgorithm`'s.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from agents.evolutionary import GeneticAlgorithm
from archgym.config import StrictModel


class DiGammaConfig(StrictModel):
    """``pop_size`` individuals, ``n_offsprings`` per generation (default: pop_size);
    ``crossover_prob``: chance a mating recombines blocks (else the parents are copied);
    ``hw_mutation``: chance a child gets one hardware knob mutated; ``layer_mutations``: expected
    layers per child with one mapping knob mutated; ``stale_generations``/``batch_size`` as the GA's."""

    pop_size: int = Field(default=20, ge=2, le=100_000)
    n_offsprings: int | None = Field(default=None, ge=1, le=100_000)
    crossover_prob: float = Field(default=0.9, ge=0, le=1)
    hw_mutation: float = Field(default=0.5, ge=0, le=1)
    layer_mutations: float = Field(default=2.0, gt=0)
    stale_generations: int = Field(default=20, ge=1, le=1_000_000)
    batch_size: int = Field(default=20, ge=1, le=100_000)


def _blocks(names: list[str]) -> list[np.ndarray]:
    """Genome positions grouped: the hardware knobs first, then one block per layer prefix."""
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        prefix = name.rpartition(".")[0] if "." in name else ""
        groups.setdefault(prefix, []).append(i)
    hardware = groups.pop("", [])
    return [np.array(hardware, dtype=np.int64), *(np.array(v, dtype=np.int64) for v in groups.values())]


def _crossover_class() -> type:
    from pymoo.core.crossover import Crossover

    class BlockCrossover(Crossover):
        """Two parents → two children exchanging whole blocks (hardware, one layer's mapping)."""

        def __init__(self, blocks: list[np.ndarray], prob: float):
            super().__init__(2, 2, prob=prob)
            self.blocks = blocks

        def _do(self, problem: Any, X: np.ndarray, *args: Any, random_state: Any = None,
                **kwargs: Any) -> np.ndarray:
            _, n_matings, _ = X.shape
            out = np.copy(X)
            for block in self.blocks:
                swap = random_state.random(n_matings) < 0.5
                out[0][np.ix_(swap, block)] = X[1][np.ix_(swap, block)]
                out[1][np.ix_(swap, block)] = X[0][np.ix_(swap, block)]
            return out

    return BlockCrossover


def _mutation_class() -> type:
    from pymoo.core.mutation import Mutation

    class MappingMutation(Mutation):
        """One hardware knob (chance ``hw``) and one knob in ~``layers`` layer blocks per child:
        ordered knobs move one step, categorical ones are drawn anew."""

        def __init__(self, blocks: list[np.ndarray], sizes: np.ndarray, ordered: np.ndarray,
                     hw: float, layers: float):
            super().__init__(prob=1.0)
            self.blocks, self.sizes, self.ordered = blocks, sizes, ordered
            self.hw = hw
            self.layer_prob = min(1.0, layers / max(1, len(blocks) - 1))

        def _do(self, problem: Any, X: np.ndarray, *args: Any, random_state: Any = None,
                **kwargs: Any) -> np.ndarray:
            X = np.array(X, dtype=np.int64)
            for row in X:
                for b, block in enumerate(self.blocks):
                    chance = self.hw if b == 0 else self.layer_prob
                    if len(block) and random_state.random() < chance:
                        self._step(row, int(random_state.choice(block)), random_state)
            return X

        def _step(self, row: np.ndarray, j: int, rng: Any) -> None:
            size = int(self.sizes[j])
            if self.ordered[j]:
                row[j] = int(np.clip(row[j] + rng.choice((-1, 1)), 0, size - 1))
            else:
                row[j] = (row[j] + 1 + int(rng.integers(size - 1))) % size   # any other value

    return MappingMutation


class DiGammaGA(GeneticAlgorithm):
    """GA with block crossover and mapping-aware mutation (see the module docstring)."""

    name = "digamma"
    Config = DiGammaConfig

    def _build(self) -> Any:
        from pymoo.algorithms.soo.nonconvex.ga import GA

        params = [self.space.params[j] for j in self._free]
        sizes = np.array([p.size for p in params], dtype=np.int64)
        ordered = np.array([p.kind != "categorical" for p in params], dtype=bool)
        blocks = _blocks([p.name for p in params])
        hp = self.hp
        return self._setup(GA(
            pop_size=hp.pop_size, n_offsprings=hp.n_offsprings,
            sampling=self.sample_feasible(hp.pop_size)[:, self._free].astype(float),
            selection=self._tournament(), crossover=_crossover_class()(blocks, hp.crossover_prob),
            mutation=_mutation_class()(blocks, sizes, ordered, hp.hw_mutation, hp.layer_mutations),
            eliminate_duplicates=True))
