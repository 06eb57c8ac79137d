"""Device and precision constants of ``D`` designs, one entry per design, so that one analysis covers a
batch that mixes FPGAs and precisions.

Every model reads these arrays where it read an :class:`~simulators.fpga.devices.FPGADevice` field or a
:class:`~simulators.fpga.precision.Precision` attribute: the same float operations on the same values,
element by element, so each design's numbers are those of a batch of its own device and precision.
No constant is defined here: the values come from ``devices.py``, ``precision.py`` and ``power.py``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from archgym.errors import ConfigError
from simulators.common.lazy import cached
from simulators.fpga import power
from simulators.fpga.devices import DEVICES, FPGADevice
from simulators.fpga.precision import PRECISIONS, Precision

RESOURCES = ("dsp", "bram18k", "uram", "lut", "ff")


@dataclass(frozen=True)
class Fabric:
    """``(D,)`` arrays (dicts: one per resource) of each design's device and precision constants."""

    bits: np.ndarray                    # weight/activation width, float
    is_float: np.ndarray                # floating-point arithmetic
    fp_lut_per_lane: np.ndarray         # extra LUTs per floating-point lane, float
    macs_per_slice: np.ndarray          # MACs per DSP slice of the device's type; 0: LUT multipliers
    has_uram: np.ndarray                # the device has URAM
    user: dict[str, np.ndarray]         # resource -> the user's budget, float
    lut: np.ndarray                     # device LUTs (partial-reconfiguration bitstream size), float
    clock_max_mhz: np.ndarray
    offchip_gbps: np.ndarray
    offchip_gib: np.ndarray
    static_w: np.ndarray
    dram_pj_per_byte: np.ndarray        # power.DRAM_PJ_PER_BYTE of the device's memory kind
    dynamic_uw_per_mhz: dict[str, np.ndarray]   # power.DYNAMIC_UW_PER_MHZ of the device's node
    codes: np.ndarray                   # each design's (device, precision) column of :func:`_catalog`, int

    @cached
    def uses_dsp(self) -> np.ndarray:
        """MACs on DSP slices (else LUT multipliers)."""
        return self.macs_per_slice > 0

    @cached
    def slice_divisor(self) -> np.ndarray:
        """``macs_per_slice`` where the MACs use DSPs, 1 elsewhere (a divisor that never is 0)."""
        return np.where(self.uses_dsp, self.macs_per_slice, 1.0)

    @cached
    def users(self) -> np.ndarray:
        """``user`` as one ``(RESOURCES, D)`` array (:func:`stacked`)."""
        return stacked(self.user)

    @cached
    def col(self) -> Fabric:
        """The same constants as ``(D, 1)`` columns, to broadcast against ``(D, stages)`` arrays."""
        return self._map(lambda a: a[:, None])

    def take(self, rows: np.ndarray) -> Fabric:
        """The constants of designs ``rows`` (ascending, distinct: all of them is this fabric)."""
        if len(rows) == len(self.bits):
            return self
        return _columns(self.codes[rows])

    def _map(self, fn: Callable[[np.ndarray], np.ndarray]) -> Fabric:
        """``fn`` applied to every array."""
        def part(v: Any) -> Any:
            return {k: fn(a) for k, a in v.items()} if isinstance(v, dict) else fn(v)

        return Fabric(**{f.name: part(getattr(self, f.name)) for f in fields(self)})

    @classmethod
    def of(cls, devices: Sequence[str], precisions: Sequence[str]) -> Fabric:
        """The constants of designs on ``devices`` (names) with ``precisions`` (names), one of each per design."""
        pairs = list(zip(devices, precisions))
        codes = {key: _code(*key) for key in set(pairs)}
        if len(pairs) == 1:
            return _single(codes[pairs[0]])
        return _columns(np.array([codes[k] for k in pairs], dtype=np.int64))


def stacked(per_resource: dict[str, np.ndarray]) -> np.ndarray:
    """``(RESOURCES, D)`` from resource -> ``(D,)``, in :data:`RESOURCES` order."""
    return np.stack([per_resource[r] for r in RESOURCES])


@functools.cache
def _code(device: str, precision: str) -> int:
    """Column of (``device``, ``precision``) in :func:`_catalog`; unknown names are a ``ConfigError`` (and are
    not kept: the cache holds the catalog's pairs only)."""
    if device not in DEVICES:
        raise ConfigError.bad_value("device", device, DEVICES)
    if precision not in PRECISIONS:
        raise ConfigError.bad_value("precision", precision, PRECISIONS)
    return list(DEVICES).index(device) * len(PRECISIONS) + list(PRECISIONS).index(precision)


@functools.cache
def every_pair() -> Fabric:
    """The constants of every (device, precision) pair of the catalog, pair ``_code(device, precision)`` at
    that column (built in one gather, once)."""
    return _columns(np.arange(len(DEVICES) * len(PRECISIONS), dtype=np.int64))


@functools.cache
def _single(code: int) -> Fabric:
    """The constants of one design on catalog column ``code`` (a single evaluation's, kept with their derived
    arrays: read them, never write them)."""
    return _columns(np.array([code], dtype=np.int64))._map(_read_only)


def _read_only(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def _constants(dev: FPGADevice, prec: Precision) -> dict[str, Any]:
    """One design's constants, as the models read them from ``dev`` and ``prec``."""
    return {"bits": float(prec.bits), "is_float": prec.is_float, "fp_lut_per_lane": float(prec.fp_lut_per_lane),
            "macs_per_slice": float(prec.macs_per_slice(dev.dsp_type)), "has_uram": dev.uram > 0,
            "user": {r: float(dev.user(r)) for r in RESOURCES}, "lut": float(dev.lut),
            "clock_max_mhz": float(dev.clock_max_mhz), "offchip_gbps": float(dev.offchip_gbps),
            "offchip_gib": float(dev.offchip_gib), "static_w": float(dev.static_w),
            "dram_pj_per_byte": power.DRAM_PJ_PER_BYTE[dev.offchip_kind],
            "dynamic_uw_per_mhz": dict(power.DYNAMIC_UW_PER_MHZ[dev.process_nm])}


#: how :func:`_catalog`'s rows make a :class:`Fabric`: (field, its resource keys or None, whether a flag row)
_Plan = list[tuple[str, tuple[str, ...] | None, bool]]


@functools.cache
def _catalog() -> tuple[np.ndarray, np.ndarray, _Plan]:
    """Every (device, precision) pair's constants, one column per pair, device-major (column ``device ·
    len(PRECISIONS) + precision``): the float constants as the rows of one matrix and the flags as the rows of
    another, one row per field of :class:`Fabric` in field order (a dict field: one per resource), and the plan
    :func:`_columns` rebuilds the fields by."""
    pairs = [_constants(dev, prec) for dev in DEVICES.values() for prec in PRECISIONS.values()]
    floats: list[np.ndarray] = []
    flags: list[np.ndarray] = []
    plan: _Plan = []
    for f in fields(Fabric):
        if f.name == "codes":
            continue
        first = pairs[0][f.name]
        if isinstance(first, dict):
            plan.append((f.name, tuple(first), False))
            floats += [np.array([p[f.name][k] for p in pairs]) for k in first]
            continue
        column = np.array([p[f.name] for p in pairs])
        plan.append((f.name, None, column.dtype == bool))
        (flags if column.dtype == bool else floats).append(column)
    return np.stack(floats), np.stack(flags), plan


def _columns(codes: np.ndarray) -> Fabric:
    """The constants of designs on catalog columns ``codes`` ``(D,)``: one gather per matrix, each field a row."""
    floats, flags, plan = _catalog()
    f, b = iter(np.take(floats, codes, axis=1)), iter(np.take(flags, codes, axis=1))   # C order: contiguous rows
    kw: dict[str, Any] = {name: {k: next(f) for k in keys} if keys is not None else next(b) if is_flag else next(f)
                          for name, keys, is_flag in plan}
    return Fabric(codes=codes, **kw)
