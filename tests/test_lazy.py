"""``simulators.common.lazy.cached``: computed once per instance on first read, then an instance attribute."""

from __future__ import annotations

from dataclasses import dataclass

from simulators.common.lazy import cached


@dataclass(frozen=True)
class _Box:
    x: int

    @cached
    def double(self) -> list[int]:
        """Twice x, in a fresh list (so identity shows whether it was recomputed)."""
        calls.append(self.x)
        return [2 * self.x]


calls: list[int] = []


def test_computed_once_per_instance_even_when_frozen() -> None:
    calls.clear()
    a, b = _Box(1), _Box(3)
    first = a.double
    assert first == [2] and a.double is first and calls == [1]
    assert b.double == [6] and calls == [1, 3]
    assert vars(a)["double"] is first


def test_class_access_gives_the_descriptor() -> None:
    assert isinstance(_Box.double, cached)
    assert _Box.double.__doc__ is not None and _Box.double.__doc__.startswith("Twice x")
