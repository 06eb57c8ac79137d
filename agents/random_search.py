"""Random search: uniform samples of the space (the baseline every agent must beat)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from agents.base import Agent
from archgym.config import StrictModel
from archgym.metrics import Result
from archgym.space import Design


class RandomConfig(StrictModel):
    """``feasible_only``: sample only designs that satisfy the space constraints (they are known
    before simulating); ``unique``: never propose a design twice; ``batch_size``: designs per ask."""

    feasible_only: bool = True
    unique: bool = True
    batch_size: int = 16


class RandomSearch(Agent):
    """Uniform random sampling of the design space."""

    name = "random"
    Config = RandomConfig

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._seen: set[tuple[int, ...]] = set()

    def ask(self, n: int) -> list[Design]:
        out: list[np.ndarray] = []
        for _ in range(100):
            idx = self.sample_feasible(2 * n) if self.hp.feasible_only else self.space.sample_indices(2 * n, self.rng)
            for row in idx:
                key = tuple(int(i) for i in row)
                if self.hp.unique and key in self._seen:
                    continue
                self._seen.add(key)
                out.append(row)
                if len(out) == n:
                    return self.designs(np.array(out))
            if self.hp.unique and len(self._seen) >= self.space.size:
                break
        return self.designs(np.array(out)) if out else []

    def tell(self, designs: Sequence[Design], results: Sequence[Result]) -> None:
        """Random search learns nothing."""
