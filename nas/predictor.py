"""An accuracy predictor fitted on a measured table, for architectures the table lacks (docs/nas.md).

Features: each choice one-hot, plus counts derived from the (pruned) network: log₁₀ parameters,
log₁₀ MACs at the trained resolution, whether the input reaches the output at all, the number of
convolutions per kernel size (dense and depthwise apart), pools and adds, and the longest chain of
convolutions. Architectures whose networks are equal thus share every derived feature.
Model: scikit-learn's gradient-boosted trees.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
from scipy.stats import kendalltau

from nas.archs import Arch, ArchSpace
from nas.graph import Net
from nas.space import get_space
from nas.table import AccuracyTable, get_table

#: gradient boosting settings (assumed: sklearn defaults but more, shallower, subsampled trees)
MODEL = {"n_estimators": 300, "max_depth": 3, "learning_rate": 0.05, "subsample": 0.8, "random_state": 0}


def features(space: ArchSpace, archs: Sequence[Arch]) -> np.ndarray:
    """``(len(archs), n_features)`` float array."""
    for arch in archs:
        space.check(arch)
    return np.array([_row(space.name, arch.key) for arch in archs])


@cache
def _row(space_name: str, key: str) -> tuple[float, ...]:
    """One architecture's features (cached: folds and refits reuse them)."""
    space = get_space(space_name)
    arch = space.parse(key)
    codes = space.encode(arch)
    onehot = [float(c == i) for c, opts in zip(codes, space.choices.values()) for i in range(len(opts))]
    net, work = space.net(arch), space.workload(arch)
    return (*onehot, np.log10(net.params()), np.log10(max(work.total_macs, 1)),
            float(net.input_reaches_output()), *_counts(net))


def _counts(net: Net) -> list[float]:
    """Convolutions by kernel size (dense, depthwise), pools, adds, longest convolution chain."""
    nodes = net.pruned().nodes
    convs = [n for n in nodes if n.kind == "conv"]
    depth: dict[str, int] = {}
    for n in nodes:
        depth[n.name] = max((depth[i] for i in n.inputs), default=0) + (n.kind == "conv")
    return [*(float(sum(c.k == k and (c.groups > 1) == dw for c in convs)) for k in (1, 3, 5) for dw in (False, True)),
            float(sum(n.kind == "pool" for n in nodes)), float(sum(n.kind == "add" and len(n.inputs) > 1 for n in nodes)),
            float(depth[nodes[-1].name])]


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


def holdout_tau(table: AccuracyTable, split: str = "test", folds: int = 5, seed: int = 0) -> tuple[float, int]:
    """Kendall τ between measured and predicted accuracy where every architecture is predicted by a
    model fitted without it (``folds``-fold cross-validation, random folds), and how many."""
    archs = table.archs()
    fold = np.random.default_rng(seed).permutation(len(archs)) % folds
    pred = np.empty(len(archs))
    for f in range(folds):
        fit = [a for a, g in zip(archs, fold) if g != f]
        pred[fold == f] = AccuracyPredictor(table, fit, split).predict([a for a, g in zip(archs, fold) if g == f])
    return float(kendalltau([table.accuracy(a, split) for a in archs], pred).statistic), len(archs)


@cache
def get_predictor(space: str, task: str, split: str = "test") -> AccuracyPredictor:
    """The predictor fitted on the whole shipped table of ``space`` on ``task`` (cached)."""
    return AccuracyPredictor(get_table(space, task), split=split)
