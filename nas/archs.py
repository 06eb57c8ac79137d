"""An architecture (a point of a space) and the base class of architecture spaces."""

from __future__ import annotations

import itertools
import math
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from archgym.errors import ConfigError
from archgym.workload import Workload
from nas.graph import Net, to_workload


@dataclass(frozen=True)
class Arch:
    """One architecture: the space's name and one value per choice, in the space's choice order."""

    space: str
    values: tuple[object, ...]

    @property
    def key(self) -> str:
        """A stable string, e.g. ``cell:conv3x3|skip|none``; the accuracy tables' key."""
        return f"{self.space}:" + "|".join(str(v) for v in self.values)


class ArchSpace(ABC):
    """A product of named discrete choices; each architecture builds a :class:`Workload`.

    Subclasses set ``name``, ``choices`` (choice name → allowed values, in order), ``resolution``
    (the input height/width the accuracy tables were trained at) and ``in_channels``, and implement
    :meth:`net`.
    """

    name: str
    choices: ClassVar[dict[str, tuple[object, ...]]]
    resolution: int
    in_channels: int

    @property
    def size(self) -> int:
        """Number of architectures in the space."""
        return math.prod(len(v) for v in self.choices.values())

    def enumerate(self) -> Iterator[Arch]:
        """Every architecture, in lexicographic order of the choice indices."""
        for values in itertools.product(*self.choices.values()):
            yield Arch(self.name, tuple(values))

    def sample(self, rng: np.random.Generator, n: int) -> list[Arch]:
        """``n`` architectures drawn uniformly (with replacement) from the space."""
        codes = np.stack([rng.integers(len(v), size=n) for v in self.choices.values()], axis=1)
        return [self.decode(c) for c in codes]

    def stratified(self, rng: np.random.Generator, n: int) -> list[Arch]:
        """``n`` distinct architectures in blocks of ``lcm`` (option counts): within each block every
        value of every choice appears equally often, so any prefix of whole blocks is balanced."""
        if not 0 < n <= self.size:
            raise ConfigError.bad_value(f"{self.name} sample size", n, f"1..{self.size}")
        block = math.lcm(*(len(v) for v in self.choices.values()))
        seen: dict[Arch, None] = {}
        while len(seen) < n:
            cols = [rng.permutation(np.repeat(np.arange(len(v)), block // len(v))) for v in self.choices.values()]
            archs = [self.decode(c) for c in np.stack(cols, axis=1)]
            if len(set(archs)) == block and not seen.keys() & set(archs):
                seen.update(dict.fromkeys(archs))
        return list(seen)[:n]

    def encode(self, arch: Arch) -> np.ndarray:
        """The index of each choice's value (int64, shape ``(len(choices),)``)."""
        self.check(arch)
        return np.array([opts.index(v) for opts, v in zip(self.choices.values(), arch.values)], dtype=np.int64)

    def decode(self, codes: Sequence[int] | np.ndarray) -> Arch:
        """The architecture whose choice indices are ``codes``."""
        if len(codes) != len(self.choices):
            raise ConfigError.bad_value(f"{self.name} codes length", len(codes), [len(self.choices)])
        values = []
        for (field, opts), c in zip(self.choices.items(), codes):
            if not 0 <= int(c) < len(opts):
                raise ConfigError.bad_value(f"{self.name}.{field} index", int(c), f"0..{len(opts) - 1}")
            values.append(opts[int(c)])
        return Arch(self.name, tuple(values))

    def parse(self, key: str) -> Arch:
        """The architecture whose :attr:`Arch.key` is ``key``."""
        space, _, rest = key.partition(":")
        if space != self.name:
            raise ConfigError.bad_value("arch key space", space, [self.name])
        texts = rest.split("|")
        if len(texts) != len(self.choices):
            raise ConfigError.bad_value(f"{self.name} key fields", len(texts), [len(self.choices)])
        codes = []
        for (field, opts), text in zip(self.choices.items(), texts):
            names = [str(o) for o in opts]
            if text not in names:
                raise ConfigError.bad_value(f"{self.name}.{field}", text, names)
            codes.append(names.index(text))
        return self.decode(codes)

    def check(self, arch: Arch) -> None:
        """Raise :class:`ConfigError` unless ``arch`` is a point of this space."""
        if arch.space != self.name:
            raise ConfigError.bad_value("arch.space", arch.space, [self.name])
        if len(arch.values) != len(self.choices):
            raise ConfigError.bad_value(f"{self.name} values length", len(arch.values), [len(self.choices)])
        for (field, opts), v in zip(self.choices.items(), arch.values):
            if v not in opts:
                raise ConfigError.bad_value(f"{self.name}.{field}", v, opts)

    def named(self, arch: Arch) -> dict[str, object]:
        """Choice name → value."""
        self.check(arch)
        return dict(zip(self.choices, arch.values))

    @abstractmethod
    def net(self, arch: Arch, classes: int = 10) -> Net:
        """The network's layer graph, what :mod:`nas.models` trains and :meth:`workload` costs."""

    def workload(self, arch: Arch, *, resolution: int | None = None, classes: int = 10) -> Workload:
        """The network as operators, batch 1, on a ``resolution``² input (default: the trained one)."""
        return to_workload(self.net(arch, classes), resolution or self.resolution)
