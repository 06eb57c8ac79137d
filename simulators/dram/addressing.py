"""Address mapping: byte address → (channel, rank, bank group, bank, row, column), DRAMsim3's scheme.

A mapping is 12 characters naming the six fields ``ch ra bg ba ro co`` from the most significant
to the least; the low ``log2(request bytes)`` bits are dropped first (``Config::AddressMapping``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from archgym.errors import ConfigError
from simulators.dram.devices import Device

FIELDS = ("ch", "ra", "bg", "ba", "ro", "co")


@dataclass(frozen=True)
class Decoded:
    """Per-request fields; ``bank`` is the flat bank index within its channel (rank-major)."""

    channel: np.ndarray
    bank: np.ndarray
    bankgroup: np.ndarray
    rank: np.ndarray
    row: np.ndarray
    column: np.ndarray


def check_mapping(mapping: str) -> str:
    tokens = [mapping[i:i + 2] for i in range(0, len(mapping), 2)]
    if len(mapping) != 12 or sorted(tokens) != sorted(FIELDS):
        raise ConfigError.bad_value("address_mapping", mapping, "12 characters: each of ch ra bg ba ro co once")
    return mapping


def decode(addr: np.ndarray, device: Device, mapping: str) -> Decoded:
    """Split byte addresses into fields (vectorised)."""
    tokens = [check_mapping(mapping)[i:i + 2] for i in range(0, 12, 2)]
    widths = device.field_widths
    shift = int(np.log2(device.request_bytes))
    a = np.asarray(addr, dtype=np.uint64) >> np.uint64(shift)
    out: dict[str, np.ndarray] = {}
    pos = 0
    for token in reversed(tokens):
        out[token] = ((a >> np.uint64(pos)) & np.uint64((1 << widths[token]) - 1)).astype(np.int64)
        pos += widths[token]
    bank = (out["ra"] * device.banks + out["bg"] * device.banks_per_group + out["ba"])
    return Decoded(out["ch"], bank, out["bg"], out["ra"], out["ro"], out["co"])
