"""Architecture spaces by name: ``SPACES`` and :func:`get_space` (docs/nas.md)."""

from __future__ import annotations

from archgym.errors import UnknownNameError
from nas.archs import Arch, ArchSpace
from nas.cell import CellSpace
from nas.mbv2 import MBV2Space

__all__ = ["SPACES", "Arch", "ArchSpace", "get_space"]

SPACES: dict[str, ArchSpace] = {s.name: s for s in (CellSpace(), MBV2Space())}


def get_space(name: str) -> ArchSpace:
    """The space called ``name``."""
    if name not in SPACES:
        raise UnknownNameError(f"architecture space: {name!r} is not known; known: {', '.join(SPACES)}")
    return SPACES[name]
