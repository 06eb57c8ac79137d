"""A bounded memo for workload-only quantities the models derive (one helper for every family)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

_V = TypeVar("_V")


def remember(store: dict[Any, Any], key: Any, build: Callable[[], _V], limit: int) -> _V:
    """``store[key]``, built by ``build()`` on a miss; a store already holding ``limit`` entries is
    emptied first, so it never grows past ``limit`` (a bound on memory, whatever the designs)."""
    if key not in store:
        if len(store) >= limit:
            store.clear()
        store[key] = build()
    value: _V = store[key]
    return value
