"""The RDU analytical model's fast paths give the numbers of the plain numpy they replaced, to the
bit: the compiled segment maximum (``np.maximum.at``), the compiled pipeline-fill path (the
per-kernel loop it replaced). The compiled model against the array path, and a row against its batch:
``tests/test_rdu_analytical_kernel.py``."""

from __future__ import annotations

import numpy as np
import pytest

from archgym.simulator import get_simulator
from archgym.workload import get_workload
from simulators.rdu import analytical
from simulators.rdu.kernels import KernelGraph


def _reference_longest_path(kg: KernelGraph, section: np.ndarray, step_s: np.ndarray) -> np.ndarray:
    """The per-kernel numpy loop the compiled fill path replaced."""
    path = np.array(step_s, dtype=float)
    preds: list[list[int]] = [[] for _ in range(len(kg))]
    for a, b in zip(kg.edge_src.tolist(), kg.edge_dst.tolist()):
        preds[b].append(a)
    for k, ps in enumerate(preds):
        if ps:
            same = section[:, ps] == section[:, [k]]
            path[:, k] += np.where(same, path[:, ps], 0.0).max(axis=1)
    return path


def test_max_at_is_ufunc_at():
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 50, 2000)
    vals = rng.normal(size=2000)
    vals[rng.integers(0, 2000, 5)] = np.nan
    want = np.zeros(50)
    with np.errstate(invalid="ignore"):
        np.maximum.at(want, idx, vals)
    got = np.zeros(50)
    analytical._max_at(got, idx, vals)
    assert np.isnan(want).any() and (want == 0).sum() < 50
    assert got.tobytes() == want.tobytes()


@pytest.mark.parametrize("workload", ["resnet18", "bert-base:seq=128"])
def test_fill_path_is_the_reference_loop(workload):
    kg = get_simulator("rdu").kernel_graph(get_workload(workload))
    rng = np.random.default_rng(1)
    flags = rng.random((40, len(kg))) < 0.3
    flags[:, 0] = False
    section = np.cumsum(flags, axis=1).astype(np.int64)
    step_s = rng.random((40, len(kg))) * 1e-6
    got = analytical._longest_path(kg, section, step_s)
    want = _reference_longest_path(kg, section, step_s)
    assert got.tobytes() == want.tobytes() and (got > step_s).any()
