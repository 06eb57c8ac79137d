"""Learning tasks on data that ships inside installed packages (no download; docs/nas.md).

``digits``      scikit-learn's ``load_digits`` (UCI optical digits: 1,797 8×8 images, 16 grey
                levels, 10 classes).
``digits-rot``  the same images, each turned by a multiple of 90° drawn once with a fixed seed;
                the label is the rotation (4 classes: self-supervised rotation prediction, Gidaris
                et al., ICLR'18). 6/9 and 0/8 make some rotations ambiguous, so its ceiling is
                below 100%.
Splits are fixed (seed 0, stratified): 1,000 train, 397 valid, 400 test.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from archgym.errors import UnknownNameError

SPLIT_SEED = 0
N_TRAIN, N_VALID = 1000, 397


@dataclass(frozen=True)
class Task:
    """A task's images (float32, ``(n, 1, 8, 8)``, scaled to [0, 1]) and labels, split."""

    name: str
    classes: int
    x: dict[str, np.ndarray]
    y: dict[str, np.ndarray]


TASKS = ("digits", "digits-rot")


@cache
def get_task(name: str) -> Task:
    """Load task ``name`` (cached)."""
    from sklearn.datasets import load_digits  # type: ignore[import-untyped]
    from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]

    if name not in TASKS:
        raise UnknownNameError(f"task: {name!r} is not known; known: {', '.join(TASKS)}")
    data = load_digits()
    x = (data.images / 16.0).astype(np.float32)[:, None]
    y = data.target.astype(np.int64)
    classes = 10
    if name == "digits-rot":
        y = np.random.default_rng(SPLIT_SEED).integers(4, size=len(x))
        x = np.stack([np.rot90(img, k, axes=(1, 2)) for img, k in zip(x, y)]).copy()
        classes = 4
    idx = np.arange(len(x))
    train, rest = train_test_split(idx, train_size=N_TRAIN, stratify=y, random_state=SPLIT_SEED)
    valid, test = train_test_split(rest, train_size=N_VALID, stratify=y[rest], random_state=SPLIT_SEED)
    parts = {"train": train, "valid": valid, "test": test}
    return Task(name, classes, {k: x[v] for k, v in parts.items()}, {k: y[v] for k, v in parts.items()})
