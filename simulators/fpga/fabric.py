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
        return self._map(lambda a: a[rows])

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
        return _catalog().take(np.array([codes[k] for k in pairs], dtype=np.int64))


def stacked(per_resource: dict[str, np.ndarray]) -> np.ndarray:
    """``(RESOURCES, D)`` from resource -> ``(D,)``, in :data:`RESOURCES` order."""
    return np.stack([per_resource[r] for r in RESOURCES])


def _code(device: str, precision: str) -> int:
    """Row of (``device``, ``precision``) in :func:`_catalog`; unknown names are a ``ConfigError``."""
    if device not in DEVICES:
        raise ConfigError.bad_value("device", device, DEVICES)
    if precision not in PRECISIONS:
        raise ConfigError.bad_value("precision", precision, PRECISIONS)
    return list(DEVICES).index(device) * len(PRECISIONS) + list(PRECISIONS).index(precision)


@functools.cache
def _single(code: int) -> Fabric:
    """The constants of one design on catalog row ``code`` (a single evaluation's, kept with their derived
    arrays: read them, never write them)."""
    return _catalog().take(np.array([code]))._map(_read_only)


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


@functools.cache
def _catalog() -> Fabric:
    """Every (device, precision) pair's constants, device-major (row ``device · len(PRECISIONS) + precision``)."""
    rows = [_constants(dev, prec) for dev in DEVICES.values() for prec in PRECISIONS.values()]

    def column(name: str) -> Any:
        first = rows[0][name]
        if isinstance(first, dict):
            return {k: np.array([r[name][k] for r in rows]) for k in first}
        return np.array([r[name] for r in rows])

    return Fabric(**{f.name: column(f.name) for f in fields(Fabric)})
