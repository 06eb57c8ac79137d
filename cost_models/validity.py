"""Validity classifier of a proxy: does the imitated simulator accept a design?

The regressor is fitted on valid rows only, so on its own a proxy would call every design valid
(issue 21: designs the simulator rejects for DSP/LUT/FF/URAM budgets came back ``valid=True``).
:class:`ValidityModel` is a scikit-learn ``GradientBoostingClassifier`` (log-loss) fitted on the
valid/invalid labels of all training rows, on the same features. It is exported like the
regressors: the boosted trees as flat arrays (:class:`~cost_models.models.TreeEnsemble`), the
initial log-odds and the learning rate as JSON; ``P(valid) = sigmoid(init + lr · Σ trees)``.
When every training row has one label the model is that constant (recorded, with the counts).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cost_models.models import TreeEnsemble

#: prefix of the classifier's arrays in ``weights.safetensors``
PREFIX = "validity."
#: hyperparameters (scikit-learn's defaults but for depth 4 and 200 trees, as for the regressors' scale)
PARAMS: dict[str, Any] = {"n_estimators": 200, "learning_rate": 0.1, "max_depth": 4, "subsample": 0.8}
#: predicted P(valid) below which a design is answered ``valid=False``
THRESHOLD = 0.5


class ValidityModel:
    """``P(valid | features)``: boosted trees, or a constant when training had one label."""

    def __init__(self, init: float, learning_rate: float, trees: TreeEnsemble | None, counts: dict[str, int]):
        self.init, self.learning_rate, self.trees, self.counts = float(init), float(learning_rate), trees, counts

    @classmethod
    def fit(cls, x: np.ndarray, valid: np.ndarray, seed: int = 0) -> ValidityModel:
        """Fit on features ``x`` and boolean labels ``valid``."""
        valid = np.asarray(valid, dtype=bool)
        counts = {"valid": int(valid.sum()), "invalid": int((~valid).sum())}
        if counts["valid"] == 0 or counts["invalid"] == 0:
            return cls(np.inf if counts["invalid"] == 0 else -np.inf, 0.0, None, counts)
        from sklearn.ensemble import GradientBoostingClassifier

        clf = GradientBoostingClassifier(**PARAMS, random_state=seed).fit(x, valid)
        trees = TreeEnsemble.from_sklearn(list(clf.estimators_[:, 0]))
        init = float(clf.decision_function(x[:1])[0]) - PARAMS["learning_rate"] * float(
            trees.leaf_values(x[:1])[:, 0, 0].sum())
        return cls(init, PARAMS["learning_rate"], trees, counts)

    def log_odds(self, x: np.ndarray) -> np.ndarray:
        if self.trees is None:
            return np.full(len(x), self.init)
        return self.init + self.learning_rate * self.trees.leaf_values(x)[:, :, 0].sum(axis=0)

    def probability(self, x: np.ndarray) -> np.ndarray:
        """``P(valid)`` of each row of ``x``."""
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-self.log_odds(x)))

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.probability(x) >= THRESHOLD

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """JSON part (``constant`` is the label when there are no trees) and the tree arrays."""
        meta: dict[str, Any] = {"counts": self.counts, "learning_rate": self.learning_rate, "threshold": THRESHOLD}
        if self.trees is None:
            return {**meta, "constant": bool(self.init > 0), "init": 0.0}, {}
        return {**meta, "constant": None, "init": self.init}, self.trees.arrays(PREFIX)

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> ValidityModel:
        if meta.get("constant") is not None:
            return cls(np.inf if meta["constant"] else -np.inf, 0.0, None, dict(meta["counts"]))
        return cls(meta["init"], meta["learning_rate"], TreeEnsemble.from_arrays(arrays, PREFIX), dict(meta["counts"]))


def accuracy(model: ValidityModel, x: np.ndarray, valid: np.ndarray) -> dict[str, float]:
    """Held-out accuracy, and the recall of each class (how many invalid designs it catches)."""
    valid = np.asarray(valid, dtype=bool)
    pred = model.predict(x)
    out: dict[str, float] = {"n": len(valid), "accuracy": float(np.mean(pred == valid)) if len(valid) else np.nan,
                             "n_invalid": int((~valid).sum())}
    out["invalid_recall"] = float(np.mean(~pred[~valid])) if (~valid).any() else float("nan")
    out["valid_recall"] = float(np.mean(pred[valid])) if valid.any() else float("nan")
    return out
