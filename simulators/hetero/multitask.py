"""Several tasks' networks on K heterogeneous sub-accelerators: per-task latency, total energy,
area and power for whole batches of designs, gathered from per-task :class:`~.tables.Table` s.

A design picks, per task, one network (a row of that task's table) and the sub-accelerator it runs
on, and for each of the K slots one sub-accelerator configuration (a column of the tables). Slots
run in parallel; networks that share a slot run one after another, so a task's latency is the sum
of the latencies of every network on its slot (one inference of each task per frame). Energy is
the sum over tasks; area the sum over the slots that run a network (an idle slot is not built);
power is energy over the frame (the slowest slot).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from archgym.errors import ConfigError
from simulators.hetero.tables import Table


def combine(tables: Sequence[Table], nets: np.ndarray, slots: np.ndarray, assign: np.ndarray
            ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Metrics of ``n`` designs and whether every network's mappings fit.

    Args:
        tables: one per task, all over the same sub-accelerator configurations (columns).
        nets: ``(n, T)`` row of each task's network in its table.
        slots: ``(n, K)`` configuration (column) of each slot.
        assign: ``(n, T)`` slot each task runs on.
    Returns ``({"latency_s": (n, T), "energy_j", "area_mm2", "power_w", "frame_s": (n,)}, valid (n,))``.
    """
    nets, slots, assign = (np.atleast_2d(np.asarray(a, dtype=np.int64)) for a in (nets, slots, assign))
    n, t = nets.shape
    if len(tables) != t or assign.shape != (n, t) or len(slots) != n:
        raise ConfigError(f"hetero: {len(tables)} tables for designs of {t} tasks, assign {assign.shape}, "
                          f"slots {slots.shape}")
    k = slots.shape[1]
    if assign.size and (assign.min() < 0 or assign.max() >= k):
        raise ConfigError.bad_value("hetero assign", int(assign.max()), f"a slot 0..{k - 1}")
    rows = np.arange(n)
    config = slots[rows[:, None], assign]                                        # (n, T) column per task
    own = np.stack([tb.latency_s[nets[:, i], config[:, i]] for i, tb in enumerate(tables)], axis=1)
    energy = np.stack([tb.energy_j[nets[:, i], config[:, i]] for i, tb in enumerate(tables)], axis=1)
    valid = np.asarray(np.stack([tb.valid[nets[:, i], config[:, i]] for i, tb in enumerate(tables)], axis=1)
                       .all(axis=1))
    together = assign[:, :, None] == assign[:, None, :]                          # (n, T, T)
    latency = (together * own[:, None, :]).sum(axis=2)
    used = (assign[:, :, None] == np.arange(k)).any(axis=1)                      # (n, K)
    area = (tables[0].area_mm2[slots] * used).sum(axis=1)
    frame = latency.max(axis=1)
    total = energy.sum(axis=1)
    return {"latency_s": latency, "energy_j": total, "area_mm2": area, "frame_s": frame,
            "power_w": total / frame}, valid
