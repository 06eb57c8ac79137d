"""``cached``: an attribute computed on first read and then kept in the instance, like
``functools.cached_property`` but without its lock.

On Python 3.11 ``functools.cached_property`` takes an ``RLock`` on every first read (Python 3.12 removed
it), about 1 µs each: objects built once per evaluation (:class:`simulators.pim.gemv.Hardware` reads five
such attributes) paid several µs for them. Like 3.12's, this descriptor stores the value in the instance's
``__dict__`` (so later reads never reach it, and it works on frozen dataclasses); two threads reading the
same new attribute at once may both compute it, which is harmless for the pure values it holds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

_T = TypeVar("_T")


class cached(Generic[_T]):
    """Decorator: the method's value on first read, stored as the instance attribute of the same name."""

    def __init__(self, fn: Callable[[Any], _T]) -> None:
        self.fn = fn
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> cached[_T]: ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> _T: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> cached[_T] | _T:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.fn(obj)
        return value
