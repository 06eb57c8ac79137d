"""An architecture's accuracy from the measured table, the predictor, or a live training run."""

from __future__ import annotations

import numpy as np

from archgym.errors import ConfigError
from nas.archs import Arch, ArchSpace
from nas.space import get_space
from nas.table import SPLITS, AccuracyTable, get_table, table_path

__all__ = ["SOURCES", "AccuracyTable", "accuracy"]

SOURCES = ("table", "predictor", "train")
_trained: dict[tuple[str, str, str], float] = {}


def accuracy(space: str | ArchSpace, arch: Arch, *, task: str = "digits", source: str = "table",
             split: str = "test") -> float:
    """Accuracy (fraction) of ``arch`` on ``task``: ``table`` — measured, mean over the table's seeds
    (an architecture it lacks is an error); ``predictor`` — fitted on that table; ``train`` — the
    table's value if it has one, otherwise trained now with the same recipe and seeds (minutes on
    one core; cached for the process)."""
    sp = get_space(space) if isinstance(space, str) else space
    sp.check(arch)
    if source not in SOURCES:
        raise ConfigError.bad_value("source", source, SOURCES)
    if split not in SPLITS:
        raise ConfigError.bad_value("split", split, SPLITS)
    if source == "predictor":
        from nas.predictor import get_predictor

        return float(get_predictor(sp.name, task, split).predict([arch])[0])
    if source == "table" or (table_path(sp.name, task).exists() and get_table(sp.name, task).covers(arch)):
        return get_table(sp.name, task).accuracy(arch, split)
    key = (arch.key, task, split)
    if key not in _trained:
        from nas.train import SEEDS, train

        _trained[key] = float(np.mean([train(arch, task, s)[split] for s in SEEDS]))
    return _trained[key]
