"""The compiled one-design paths of tiled, streaming and hybrid FPGA designs (simulators/fpga/single.py) equal the
batch path (model.analyze over a batch of every style) to the bit: metrics, violations, info, and through
``evaluate`` the layer rows; designs they do not take go the general way with the general errors."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from numba import typeof

from archgym.errors import ConfigError
from archgym.workload import get_workload
from simulators.fpga import FPGASimulator, single
from simulators.fpga.devices import DEVICES
from simulators.fpga.precision import PRECISIONS
from simulators.fpga.simulator import _table

SIM = FPGASimulator()


def _bits(v: float) -> bytes:
    """The float's bytes (NaN equal to NaN, -0.0 told from 0.0)."""
    return struct.pack("<d", v)


#: the ends of some knobs' bounds (simulators/fpga/bounds.py)
_EDGES = {"tm": (1, 1 << 16), "tn": (1, 1 << 16), "buf_kib": (1, 1 << 22), "clock_mhz": (1e-3, 1e4), "util_cap": (1e-6, 1.0)}


def _designs(workload: str, n: int, seed: int, mapping: str = "auto") -> list[dict]:
    """``n`` sampled designs of every style on every device and precision, a third of each style, with every
    weight placement, FIFO depth, reconfiguration and group count 1-4, and odd values among them (the ends of
    the tiles', buffers', clock's and cap's bounds); ``mapping="shared"``: with the ``sched_*`` knobs,
    ``"per-layer"``: with them and every MAC stage's ``pe_*``/``simd_*``."""
    rng = np.random.default_rng(seed)
    out = []
    for i, d in enumerate(SIM.space(get_workload(workload), None, mapping).sample(n, seed)):
        d = dict(d, device=str(rng.choice(list(DEVICES))), precision=str(rng.choice(list(PRECISIONS))))
        d["style"] = ("tiled", "streaming", "hybrid")[i % 3]
        d["reconfig"] = ("intar", "partial")[i % 2]
        d["groups"] = (1, 2, 3, 4)[i % 4]
        d["weight_mem"] = ("auto", "on-chip", "off-chip", "auto")[i % 4]
        d["fifo_depth"] = (0, 2, 64, 4096, 0)[i % 5]
        if i % 7 == 0:      # an end of the knob's bounds (0, NaN, 1e300 are ConfigErrors: tests/test_design_bounds.py)
            key = str(rng.choice(["tm", "tn", "buf_kib", "clock_mhz", "util_cap"]))
            d[key] = _EDGES[key][i % 2]
        out.append(d)
    return out


def _rows(result: object) -> str:
    """The layer rows as text, or the error reading them raised (a NaN tile has no int)."""
    try:
        return repr(list(result.layers))  # type: ignore[attr-defined]
    except ValueError as exc:
        return f"ValueError: {exc}"


@pytest.mark.parametrize("workload,mapping", [("resnet18", "auto"), ("mobilenetv2", "auto"),
                                              ("gpt2-decode", "auto"), ("resnet18", "shared"),
                                              ("mobilenetv2", "per-layer")])
def test_one_equals_its_batch_row(workload: str, mapping: str) -> None:
    wl = get_workload(workload)
    designs = _designs(workload, 90, 11, mapping)
    batch = SIM.evaluate_batch(designs, wl)
    table = _table(wl)
    for i, d in enumerate(designs):
        got = single.one(table, d)
        assert got is not None
        metrics, violations, info = got
        for k, v in metrics.items():
            assert type(v) is float and _bits(v) == _bits(float(batch.metrics[k][i])), (i, k)
        assert sorted(k for k, v in violations.items() if v) == sorted(
            v for v in batch.violations[i] if not v.startswith("non_finite:"))
        r = SIM.evaluate(d, wl)
        assert [_bits(v) for v in r.metrics.values()] == [_bits(float(batch.metrics[k][i])) for k in r.metrics]
        assert r.violations == batch.violations[i] and r.valid == bool(batch.valid[i])
        general = SIM.evaluate(dict(d, tm=np.float64(d["tm"])), wl)    # a numpy value: the general way
        assert repr(r.info) == repr(general.info) == repr({"fidelity": "analytical", **info})
        assert _rows(r) == _rows(general)


@pytest.mark.parametrize("key,value", [("tm", np.int64(8)), ("tm", "8"), ("tm", True), ("tm", 2**60),
                                       ("groups", 2.0), ("fifo_depth", "x"), ("reconfig", 3), ("sched_0", "bogus"),
                                       ("sched_0", np.str_("auto")), ("pe_conv1", 2),
                                       ("groups", 0), ("groups", 65), ("device", np.str_("zcu102"))])
def test_odd_values_take_the_general_way(key: str, value: object) -> None:
    wl = get_workload("resnet18")
    d = _designs("resnet18", 1, 0)[0]
    d[key] = value
    assert single.one(_table(wl), d) is None


def test_unknown_device_is_the_general_error() -> None:
    d = dict(_designs("resnet18", 1, 0)[0], style="tiled", device="nope")
    with pytest.raises(ConfigError, match="device: 'nope' is not allowed"):
        SIM.evaluate(d, get_workload("resnet18"))


@pytest.mark.parametrize("groups", [0, -1])
def test_hybrid_without_groups_is_an_error(groups: int) -> None:
    """A hybrid cut into fewer than one group is a one-line error (the group kernels would index out of
    bounds), in a batch too; other styles do not read ``groups``."""
    wl = get_workload("resnet18")
    d = dict(_designs("resnet18", 1, 0)[0], style="hybrid", groups=groups)
    for call in (lambda: SIM.evaluate(d, wl), lambda: SIM.evaluate_batch([dict(d, groups=2), d], wl)):
        with pytest.raises(ConfigError, match=f"groups: {groups} is not allowed"):
            call()
    assert SIM.evaluate(dict(d, style="tiled", groups=0), wl).metrics["latency_s"] > 0


def test_kernel_arguments_keep_their_types(monkeypatch: pytest.MonkeyPatch) -> None:
    """``single._entry`` types a kernel's arguments once per stage table and then calls its compiled code without
    numba's dispatch, which would read arguments of other types wrongly: every call of a kernel, over every
    style, mapping (default, ``sched_*``, per-layer folds), workload and knob given as int or float, passes the
    same types."""
    seen: dict[str, set[tuple[object, ...]]] = {}
    entry = single._entry

    def spy(table: object, kernel: object, args: tuple[object, ...]) -> object:
        seen.setdefault(kernel.__name__, set()).add(tuple(typeof(a) for a in args))  # type: ignore[attr-defined]
        return entry(table, kernel, args)  # type: ignore[arg-type]

    monkeypatch.setattr(single, "_entry", spy)
    for workload, mapping in [("resnet18", "auto"), ("resnet18", "shared"), ("mobilenetv2", "per-layer"),
                              ("gpt2-decode", "auto")]:
        wl = get_workload(workload)
        for i, d in enumerate(_designs(workload, 24, 5, mapping)):
            if i % 2:                 # a knob given as a float in some designs, an int in others
                d = dict(d, clock_mhz=float(d["clock_mhz"]), tm=float(d["tm"]))
            assert single.one(_table(wl), d) is not None
    assert sorted(seen) == ["hybrid_one", "streaming_one", "tiled_one"]
    assert {k: len(v) for k, v in seen.items()} == {"hybrid_one": 1, "streaming_one": 1, "tiled_one": 1}
