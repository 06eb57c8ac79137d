"""Regressors behind proxy cost models, each saved as JSON + arrays (never a pickle).

``rf``   scikit-learn ``RandomForestRegressor`` (multi-output);
``gbm``  scikit-learn ``GradientBoostingRegressor`` (one per target);
``mlp``  a torch MLP on standardised inputs/outputs (CPU, or CUDA when available);
``gp``   a BoTorch ``SingleTaskGP`` (Matérn-5/2 ARD) with predictive uncertainty.

Trees are exported to flat arrays (children, feature, threshold, leaf value) and evaluated by
:class:`TreeEnsemble` with numpy, all trees and designs at once; torch and GP weights go through
``safetensors``. Every model maps features ``X (n, d)`` to log10 targets ``Y (n, t)``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from archgym.errors import ConfigError

MODEL_KINDS = ("rf", "gbm", "mlp", "gp")


class Regressor(ABC):
    """Multi-output regressor with a pickle-free state: ``(json-able dict, name → float array)``."""

    kind: str = ""

    @abstractmethod
    def fit(self, x: np.ndarray, y: np.ndarray, seed: int = 0) -> Regressor: ...

    @abstractmethod
    def predict(self, x: np.ndarray) -> np.ndarray:
        """Mean prediction ``(n, t)``."""

    def predict_std(self, x: np.ndarray) -> np.ndarray | None:
        """Predictive standard deviation ``(n, t)`` where the model has one."""
        return None

    @abstractmethod
    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]: ...

    @classmethod
    @abstractmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> Regressor: ...


# -- trees -----------------------------------------------------------------------------------------

class TreeEnsemble:
    """Flat arrays of many binary regression trees, evaluated level by level for all trees at once.

    Leaves point to themselves, so ``depth`` steps of ``node ← left/right[node]`` reach every leaf.
    As in scikit-learn, a sample goes left when ``float32(x[feature]) <= threshold``.
    """

    def __init__(self, left: np.ndarray, right: np.ndarray, feature: np.ndarray, threshold: np.ndarray,
                 value: np.ndarray, roots: np.ndarray, depth: int):
        self.left, self.right, self.feature = left.astype(np.int64), right.astype(np.int64), feature.astype(np.int64)
        self.threshold, self.value = threshold.astype(np.float64), value.astype(np.float64)
        self.roots, self.depth = roots.astype(np.int64), int(depth)

    @classmethod
    def from_sklearn(cls, trees: list[Any]) -> TreeEnsemble:
        lefts, rights, feats, thrs, vals, roots = [], [], [], [], [], []
        offset, depth = 0, 0
        for est in trees:
            t = est.tree_
            idx = np.arange(t.node_count)
            leaf = t.children_left < 0
            lefts.append(np.where(leaf, idx, t.children_left) + offset)
            rights.append(np.where(leaf, idx, t.children_right) + offset)
            feats.append(np.where(leaf, 0, t.feature))
            thrs.append(np.where(leaf, 0.0, t.threshold))
            vals.append(t.value[:, :, 0])
            roots.append(offset)
            offset += t.node_count
            depth = max(depth, int(t.max_depth))
        return cls(np.concatenate(lefts), np.concatenate(rights), np.concatenate(feats),
                   np.concatenate(thrs), np.concatenate(vals), np.array(roots), depth)

    def leaf_values(self, x: np.ndarray) -> np.ndarray:
        """``(trees, n, outputs)`` leaf values reached by each sample in each tree."""
        x32 = np.asarray(x, dtype=np.float32)
        n = x32.shape[0]
        node = np.repeat(self.roots[:, None], n, axis=1)
        cols = np.arange(n)[None, :]
        for _ in range(self.depth):
            go_left = x32[cols, self.feature[node]] <= self.threshold[node]
            node = np.where(go_left, self.left[node], self.right[node])
        return self.value[node]

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}left": self.left, f"{prefix}right": self.right, f"{prefix}feature": self.feature,
                f"{prefix}threshold": self.threshold, f"{prefix}value": self.value, f"{prefix}roots": self.roots,
                f"{prefix}depth": np.array([self.depth])}

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray], prefix: str) -> TreeEnsemble:
        return cls(a[f"{prefix}left"], a[f"{prefix}right"], a[f"{prefix}feature"], a[f"{prefix}threshold"],
                   a[f"{prefix}value"], a[f"{prefix}roots"], int(a[f"{prefix}depth"][0]))


class RandomForest(Regressor):
    """Random forest (scikit-learn), one multi-output forest for all targets."""

    kind = "rf"

    def __init__(self, n_estimators: int = 200, min_samples_leaf: int = 1, max_features: float = 0.5, **_: Any):
        self.params = {"n_estimators": int(n_estimators), "min_samples_leaf": int(min_samples_leaf),
                       "max_features": float(max_features)}
        self.trees: TreeEnsemble | None = None

    def fit(self, x: np.ndarray, y: np.ndarray, seed: int = 0) -> RandomForest:
        from sklearn.ensemble import RandomForestRegressor

        rf = RandomForestRegressor(**self.params, random_state=seed, n_jobs=1).fit(x, y)
        self.trees = TreeEnsemble.from_sklearn(list(rf.estimators_))
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.trees.leaf_values(x).mean(axis=0)

    def predict_std(self, x: np.ndarray) -> np.ndarray:
        """Spread of the trees (a cheap uncertainty proxy)."""
        return self.trees.leaf_values(x).std(axis=0)

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {"params": self.params}, self.trees.arrays("rf.")

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> RandomForest:
        out = cls(**meta["params"])
        out.trees = TreeEnsemble.from_arrays(arrays, "rf.")
        return out


class GradientBoosting(Regressor):
    """Gradient-boosted trees (scikit-learn, squared error), one ensemble per target."""

    kind = "gbm"

    def __init__(self, n_estimators: int = 400, learning_rate: float = 0.05, max_depth: int = 6,
                 subsample: float = 0.8, **_: Any):
        self.params = {"n_estimators": int(n_estimators), "learning_rate": float(learning_rate),
                       "max_depth": int(max_depth), "subsample": float(subsample)}
        self.ensembles: list[TreeEnsemble] = []
        self.init: list[float] = []

    def fit(self, x: np.ndarray, y: np.ndarray, seed: int = 0) -> GradientBoosting:
        from sklearn.ensemble import GradientBoostingRegressor

        self.ensembles, self.init = [], []
        for j in range(y.shape[1]):
            gbm = GradientBoostingRegressor(**self.params, random_state=seed).fit(x, y[:, j])
            self.ensembles.append(TreeEnsemble.from_sklearn(list(gbm.estimators_[:, 0])))
            self.init.append(float(np.asarray(gbm.init_.predict(x[:1])).reshape(-1)[0]))
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        lr = self.params["learning_rate"]
        return np.stack([b + lr * e.leaf_values(x)[:, :, 0].sum(axis=0)
                         for b, e in zip(self.init, self.ensembles)], axis=1)

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays: dict[str, np.ndarray] = {}
        for j, e in enumerate(self.ensembles):
            arrays.update(e.arrays(f"gbm{j}."))
        return {"params": self.params, "init": self.init}, arrays

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> GradientBoosting:
        out = cls(**meta["params"])
        out.init = [float(v) for v in meta["init"]]
        out.ensembles = [TreeEnsemble.from_arrays(arrays, f"gbm{j}.") for j in range(len(out.init))]
        return out


# -- neural network --------------------------------------------------------------------------------

def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class MLP(Regressor):
    """A fully connected network (SiLU) on standardised features and targets, trained with AdamW
    and a cosine learning-rate schedule; CUDA when available, CPU otherwise."""

    kind = "mlp"

    def __init__(self, hidden: int = 256, layers: int = 3, epochs: int = 100, lr: float = 3e-3,
                 batch_size: int = 128, weight_decay: float = 1e-5, **_: Any):
        self.params = {"hidden": int(hidden), "layers": int(layers), "epochs": int(epochs), "lr": float(lr),
                       "batch_size": int(batch_size), "weight_decay": float(weight_decay)}
        self.net: Any = None
        self.stats: dict[str, np.ndarray] = {}

    def _build(self, d: int, t: int) -> Any:
        import torch

        h, mods, width = self.params["hidden"], [], d
        for _ in range(self.params["layers"]):
            mods += [torch.nn.Linear(width, h), torch.nn.SiLU()]
            width = h
        mods.append(torch.nn.Linear(width, t))
        return torch.nn.Sequential(*mods)

    def fit(self, x: np.ndarray, y: np.ndarray, seed: int = 0) -> MLP:
        import torch

        torch.manual_seed(seed)
        dev = _device()
        self.stats = {"x_mean": x.mean(0), "x_std": np.maximum(x.std(0), 1e-8),
                      "y_mean": y.mean(0), "y_std": np.maximum(y.std(0), 1e-8)}
        xt = torch.as_tensor((x - self.stats["x_mean"]) / self.stats["x_std"], dtype=torch.float32, device=dev)
        yt = torch.as_tensor((y - self.stats["y_mean"]) / self.stats["y_std"], dtype=torch.float32, device=dev)
        self.net = self._build(x.shape[1], y.shape[1]).to(dev)
        opt = torch.optim.AdamW(self.net.parameters(), lr=self.params["lr"], weight_decay=self.params["weight_decay"])
        n, bs = len(xt), min(self.params["batch_size"], len(xt))
        steps = self.params["epochs"] * max(n // bs, 1)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=self.params["lr"], total_steps=steps)
        gen = torch.Generator(device="cpu").manual_seed(seed)
        for _ in range(self.params["epochs"]):
            perm = torch.randperm(n, generator=gen).to(dev)
            for s in range(max(n // bs, 1)):
                idx = perm[s * bs:(s + 1) * bs]
                loss = torch.nn.functional.mse_loss(self.net(xt[idx]), yt[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
        self.net = self.net.cpu().eval()
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        import torch

        with torch.no_grad():
            z = self.net(torch.as_tensor((x - self.stats["x_mean"]) / self.stats["x_std"],
                                         dtype=torch.float32)).numpy().astype(float)
        return z * self.stats["y_std"] + self.stats["y_mean"]

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays = {f"mlp.{k}": v.detach().cpu().numpy() for k, v in self.net.state_dict().items()}
        arrays.update({f"stats.{k}": v for k, v in self.stats.items()})
        return {"params": self.params}, arrays

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> MLP:
        import torch

        out = cls(**meta["params"])
        out.stats = {k.split(".", 1)[1]: v for k, v in arrays.items() if k.startswith("stats.")}
        out.net = out._build(len(out.stats["x_mean"]), len(out.stats["y_mean"]))
        out.net.load_state_dict({k.split(".", 1)[1]: torch.as_tensor(v) for k, v in arrays.items()
                                 if k.startswith("mlp.")})
        out.net.eval()
        return out


# -- Gaussian process ------------------------------------------------------------------------------

class GaussianProcess(Regressor):
    """BoTorch ``SingleTaskGP`` (inputs normalised, outputs standardised), one GP per target in a
    batch; at most ``max_points`` training rows (a random subset) keep the O(n³) fit bounded."""

    kind = "gp"

    def __init__(self, max_points: int = 1500, maxiter: int = 200, **_: Any):
        self.params = {"max_points": int(max_points), "maxiter": int(maxiter)}
        self.model: Any = None
        self.train: dict[str, np.ndarray] = {}

    @staticmethod
    def _build(x: np.ndarray, y: np.ndarray) -> Any:
        import torch
        from botorch.models import SingleTaskGP
        from botorch.models.transforms import Normalize, Standardize

        xt, yt = torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y, dtype=torch.float64)
        return SingleTaskGP(xt, yt, input_transform=Normalize(x.shape[1]), outcome_transform=Standardize(y.shape[1]))

    def fit(self, x: np.ndarray, y: np.ndarray, seed: int = 0) -> GaussianProcess:
        from botorch.fit import fit_gpytorch_mll
        from gpytorch.mlls import ExactMarginalLogLikelihood

        rng = np.random.default_rng(seed)
        if len(x) > self.params["max_points"]:
            keep = np.sort(rng.choice(len(x), self.params["max_points"], replace=False))
            x, y = x[keep], y[keep]
        self.train = {"x": np.asarray(x, float), "y": np.asarray(y, float)}
        self.model = self._build(self.train["x"], self.train["y"])
        fit_gpytorch_mll(ExactMarginalLogLikelihood(self.model.likelihood, self.model),
                         optimizer_kwargs={"options": {"maxiter": self.params["maxiter"]}})
        self.model.eval()
        return self

    def _posterior(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import torch

        out_m, out_s = [], []
        with torch.no_grad():
            for start in range(0, len(x), 4096):
                post = self.model.posterior(torch.as_tensor(x[start:start + 4096], dtype=torch.float64))
                out_m.append(post.mean.numpy())
                out_s.append(post.variance.clamp_min(0).sqrt().numpy())
        return np.concatenate(out_m), np.concatenate(out_s)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self._posterior(x)[0]

    def predict_std(self, x: np.ndarray) -> np.ndarray:
        return self._posterior(x)[1]

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays = {f"gp.{k}": v.detach().cpu().numpy() for k, v in self.model.state_dict().items()}
        arrays.update({"train.x": self.train["x"], "train.y": self.train["y"]})
        return {"params": self.params}, arrays

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> GaussianProcess:
        import torch

        out = cls(**meta["params"])
        out.train = {"x": arrays["train.x"], "y": arrays["train.y"]}
        out.model = cls._build(out.train["x"], out.train["y"])
        out.model.load_state_dict({k.split(".", 1)[1]: torch.as_tensor(v) for k, v in arrays.items()
                                   if k.startswith("gp.")})
        out.model.eval()
        return out


REGRESSORS: dict[str, type[Regressor]] = {"rf": RandomForest, "gbm": GradientBoosting, "mlp": MLP,
                                          "gp": GaussianProcess}


def make_regressor(kind: str, **params: Any) -> Regressor:
    if kind not in REGRESSORS:
        raise ConfigError.bad_value("model", kind, MODEL_KINDS)
    return REGRESSORS[kind](**params)
