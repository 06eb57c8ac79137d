"""One exact comparison for the equivalence tests: values equal in type and bits, recursively."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def assert_same(x: Any, y: Any, at: str) -> None:
    """Equal type and value: floats by their bits (NaN equals NaN, 0.0 differs from -0.0), arrays by
    dtype, shape and bytes, dicts with their keys in the same order, lists and tuples entry by entry."""
    assert type(x) is type(y), f"{at}: {type(x).__name__} vs {type(y).__name__}"
    if isinstance(x, float):
        assert (math.isnan(x) and math.isnan(y)) or x.hex() == y.hex(), f"{at}: {x!r} vs {y!r}"
    elif isinstance(x, np.ndarray):
        assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes(), f"{at}: {x} vs {y}"
    elif isinstance(x, dict):
        assert list(x) == list(y), f"{at}: keys {list(x)} vs {list(y)}"
        for k in x:
            assert_same(x[k], y[k], f"{at}.{k}")
    elif isinstance(x, (list, tuple)):
        assert len(x) == len(y), f"{at}: {len(x)} vs {len(y)} entries"
        for i, (u, v) in enumerate(zip(x, y)):
            assert_same(u, v, f"{at}[{i}]")
    else:
        assert x == y, f"{at}: {x!r} vs {y!r}"
