"""Memory-controller knobs: ArchGym's DRAMSys set (same names and value sets), address mapping and
command-queue size, and their integer codes for the vectorised models.

ArchGym's value sets (its ``policy.json`` mcconfig as the agents search them):
PagePolicy {Open, OpenAdaptive, Closed, ClosedAdaptive}; Scheduler {Fifo, FrFcfs, FrFcfsGrp};
SchedulerBuffer {Bankwise, ReadWrite, Shared}; RequestBufferSize (RL: powers of two 1–128);
RespQueue {Fifo, Reorder}; RefreshPolicy {NoRefresh, AllBank} (PerBank added here);
RefreshMaxPostponed and RefreshMaxPulledin {1, 2, 4, 8}; Arbiter {Simple, Fifo, Reorder};
MaxActiveTransactions (powers of two 1–128). Added: AddressMapping (DRAMsim3's 12-character
strings, most significant field first). The command-queue size is RequestBufferSize: the depth of
each scheduler buffer, which DRAMsim3 calls ``cmd_queue_size`` (its ``trans_queue_size`` is
MaxActiveTransactions).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

POW2_1_128 = (1, 2, 4, 8, 16, 32, 64, 128)

#: knob → allowed values (categorical ones are coded by their position)
KNOBS: dict[str, tuple[Any, ...]] = {
    "PagePolicy": ("Open", "OpenAdaptive", "Closed", "ClosedAdaptive"),
    "Scheduler": ("Fifo", "FrFcfs", "FrFcfsGrp"),
    "SchedulerBuffer": ("Bankwise", "ReadWrite", "Shared"),
    "RequestBufferSize": POW2_1_128,
    "RespQueue": ("Fifo", "Reorder"),
    "RefreshPolicy": ("NoRefresh", "AllBank", "PerBank"),
    "RefreshMaxPostponed": (1, 2, 4, 8),
    "RefreshMaxPulledin": (1, 2, 4, 8),
    "Arbiter": ("Simple", "Fifo", "Reorder"),
    "MaxActiveTransactions": POW2_1_128,
    "AddressMapping": ("rochrababgco", "rorabgbachco", "rochrabgbaco", "rorabachcobg"),
}

#: ArchGym's DRAMSys knobs (the ten its agents search)
ARCHGYM_KNOBS = ("PagePolicy", "Scheduler", "SchedulerBuffer", "RequestBufferSize", "RespQueue",
                 "RefreshPolicy", "RefreshMaxPostponed", "RefreshMaxPulledin", "Arbiter",
                 "MaxActiveTransactions")

#: a DRAMsim3-like default controller (open page, FR-FCFS, per-bank queues of 8, 32 transactions)
DEFAULTS: dict[str, Any] = {
    "PagePolicy": "Open", "Scheduler": "FrFcfs", "SchedulerBuffer": "Bankwise", "RequestBufferSize": 8,
    "RespQueue": "Reorder", "RefreshPolicy": "AllBank", "RefreshMaxPostponed": 1, "RefreshMaxPulledin": 1,
    "Arbiter": "Simple", "MaxActiveTransactions": 32, "AddressMapping": "rochrababgco",
}

CATEGORICAL = tuple(k for k, v in KNOBS.items() if isinstance(v[0], str))


@dataclass(frozen=True)
class Knobs:
    """Integer-coded knob columns, each an int64 array over designs (categoricals by index)."""

    page: np.ndarray
    sched: np.ndarray
    buffer: np.ndarray
    buf_size: np.ndarray
    resp: np.ndarray
    refresh: np.ndarray
    postpone: np.ndarray
    pullin: np.ndarray
    arbiter: np.ndarray
    max_active: np.ndarray
    mapping: np.ndarray

    def __len__(self) -> int:
        return len(self.page)

    def row(self, i: int) -> tuple[int, ...]:
        """Design ``i``'s codes in field order (the cycle kernel's scalar arguments)."""
        return tuple(int(getattr(self, f)[i]) for f in _FIELDS)


_FIELDS = ("page", "sched", "buffer", "buf_size", "resp", "refresh", "postpone", "pullin", "arbiter",
           "max_active", "mapping")
_FIELD_OF = dict(zip(KNOBS, _FIELDS, strict=True))


def encode(design: Mapping[str, Any], n: int) -> Knobs:
    """Code a design dict or columns (name → array of length ``n``) that has every knob, each value allowed:
    :mod:`simulators.dram.bounds`, which ``Family._model`` checks (with the required parameters) before the
    model calls this."""
    import pandas as pd

    cols: dict[str, np.ndarray] = {}
    for knob, allowed in KNOBS.items():
        raw = np.asarray(design[knob], dtype=object).reshape(-1)
        raw = np.broadcast_to(raw, (n,)) if raw.size == 1 else raw
        if knob in CATEGORICAL:
            cols[_FIELD_OF[knob]] = np.asarray(pd.Categorical(raw, categories=allowed).codes, dtype=np.int64)
        else:
            cols[_FIELD_OF[knob]] = raw.astype(np.int64)
    return Knobs(**cols)
