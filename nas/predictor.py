"""An accuracy predictor fitted on a measured table, for architectures the table lacks (docs/nas.md).

Features: each choice one-hot, plus counts derived from the network: log₁₀ parameters, log₁₀ MACs
at the trained resolution, MAC-bearing layers, and whether the input reaches the output at all.
Model: scikit-learn's gradient-boosted trees.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
from scipy.stats import kendalltau

from nas.archs import Arch, ArchSpace
from nas.table import AccuracyTable, get_table

#: gradient boosting settings (assumed: sklearn defaults but more, shallower, subsampled trees)
MODEL = {"n_estimators": 300, "max_depth": 3, "learning_rate": 0.05, "subsample": 0.8, "random_state": 0}


def features(space: ArchSpace, archs: Sequence[Arch]) -> np.ndarray:
    """``(len(archs), n_features)`` float array."""
    rows = []
    for arch in archs:
        codes = space.encode(arch)
        onehot = [float(c == i) for c, opts in zip(codes, space.choices.values()) for i in range(len(opts))]
        net, work = space.net(arch), space.workload(arch)
        rows.append([*onehot, np.log10(net.params()), np.log10(max(work.total_macs, 1)),
                     float(len(work.layers)), float(net.input_reaches_output())])
    return np.array(rows)


class AccuracyPredictor:
    """Gradient-boosted trees from :func:`features` to a split's mean accuracy."""

    def __init__(self, table: AccuracyTable, archs: Sequence[Arch] | None = None, split: str = "test"):
        from sklearn.ensemble import GradientBoostingRegressor  # type: ignore[import-untyped]

        self.space, self.split = table.space, split
        archs = list(table.archs() if archs is None else archs)
        self.model = GradientBoostingRegressor(**MODEL)
        self.model.fit(features(self.space, archs), [table.accuracy(a, split) for a in archs])

    def predict(self, archs: Sequence[Arch]) -> np.ndarray:
        """Predicted accuracy (fraction) of each architecture."""
        return np.asarray(self.model.predict(features(self.space, archs)), dtype=float)


def holdout_tau(table: AccuracyTable, split: str = "test", frac: float = 0.2, seed: int = 0) -> tuple[float, int]:
    """Kendall τ between measured and predicted accuracy on a random ``frac`` of the table held out
    of the fit, and the number held out."""
    archs = table.archs()
    order = np.random.default_rng(seed).permutation(len(archs))
    n_test = max(2, round(frac * len(archs)))
    test, fit = [archs[i] for i in order[:n_test]], [archs[i] for i in order[n_test:]]
    pred = AccuracyPredictor(table, fit, split).predict(test)
    tau = kendalltau([table.accuracy(a, split) for a in test], pred).statistic
    return float(tau), n_test


@cache
def get_predictor(space: str, task: str, split: str = "test") -> AccuracyPredictor:
    """The predictor fitted on the whole shipped table of ``space`` on ``task`` (cached)."""
    return AccuracyPredictor(get_table(space, task), split=split)
