"""The versioned accuracy tables shipped in ``nas/data`` (docs/nas.md): one JSON per (space, task)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from archgym.errors import ConfigError, UnknownNameError
from nas.archs import Arch
from nas.space import get_space

#: bump when the recipe, a space's networks or a task's data change (the numbers change)
TABLE_VERSION = 1
FORMAT = "archgym-nas-table"
DATA = Path(__file__).resolve().parent / "data"
SPLITS = ("train", "valid", "test")


def table_path(space: str, task: str, root: Path = DATA) -> Path:
    return root / f"{space}-{task}.json"


class AccuracyTable:
    """Measured accuracy per architecture: the mean over the seeds trained."""

    def __init__(self, data: dict[str, Any]):
        if data.get("format") != FORMAT or data.get("version") != TABLE_VERSION:
            raise ConfigError.bad_value("accuracy table format/version", (data.get("format"), data.get("version")),
                                        [(FORMAT, TABLE_VERSION)])
        self.data = data
        self.space = get_space(data["space"])
        self.task: str = data["task"]
        self._rows: dict[str, dict[str, Any]] = data["archs"]

    @classmethod
    def load(cls, path: str | Path) -> AccuracyTable:
        return cls(json.loads(Path(path).read_text()))

    def __len__(self) -> int:
        return len(self._rows)

    def archs(self) -> list[Arch]:
        """The architectures measured, in the order they were trained."""
        return [self.space.parse(k) for k in self._rows]

    def covers(self, arch: Arch) -> bool:
        return arch.key in self._rows

    def row(self, arch: Arch) -> dict[str, Any]:
        """The raw record: per-seed accuracies, wall and CPU time, parameters, epochs."""
        if arch.key not in self._rows:
            raise UnknownNameError(f"{self.space.name}-{self.task} table: {arch.key!r} was not trained; "
                                   "allowed: an architecture of .archs(), or source='predictor' / 'train'")
        return self._rows[arch.key]

    def accuracy(self, arch: Arch, split: str = "test") -> float:
        """Mean accuracy (fraction) over the seeds on ``split``."""
        if split not in SPLITS:
            raise ConfigError.bad_value("split", split, SPLITS)
        return float(np.mean(self.row(arch)[split]))

    def accuracies(self, split: str = "test") -> np.ndarray:
        """Mean accuracy of every architecture, in :meth:`archs` order."""
        return np.array([self.accuracy(a, split) for a in self.archs()])


@cache
def get_table(space: str, task: str) -> AccuracyTable:
    """The shipped table of ``space`` on ``task`` (cached)."""
    path = table_path(space, task)
    if not path.exists():
        have = sorted(p.stem for p in DATA.glob("*.json"))
        raise UnknownNameError(f"accuracy table: {space}-{task} is not shipped; shipped: {', '.join(have)}")
    return AccuracyTable.load(path)
