"""The FPGA tiled engine (Zhang FPGA'15) is one fixed mapping of the loop-nest model.

Zhang's engine keeps a ``Tm × Tn`` MAC array (spatial K × C), tiles outputs ``Tr × Tc`` into
on-chip buffers and loops, outer to inner, over row tiles, column tiles, M-tiles and N-tiles. As a
loop nest — inner loops FX, FY, OX(Tc), OY(Tr) inside three buffers, then C, K, OX, OY tiles at
DRAM — the loop-nest cost model must give the same off-chip traffic as the FPGA family's CTC
formula, for the tiles the FPGA model chose: two models written apart, checked against each other.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from archgym.workload import get_workload
from simulators.fpga.devices import DEVICES
from simulators.fpga.layers import lower
from simulators.fpga.precision import PRECISIONS
from simulators.fpga.tiled import tiled
from simulators.loopnest import cost
from simulators.loopnest.hardware import INF_BITS, Hardware, Memory, SpatialOption, spatial_factors
from simulators.loopnest.problem import D, from_op


def _zhang_machine(tm: int, tn: int) -> Hardware:
    both = (0, 1)
    buf = [Memory(f"{x.lower()}_buf", (x,), 1e12, 0.0, 0.0, 1.0, 1.0, both) for x in ("W", "I", "O")]
    dram = Memory("dram", ("W", "I", "O"), INF_BITS, 0.0, 0.0, 1.0, 1.0, both)
    return Hardware("zhang", (tm, tn), (*buf, dram), {"W": (0, 3), "I": (1, 3), "O": (2, 3)},
                    (SpatialOption("kc", (("K",), ("C",))),), 0.0, 0.0, 1e8)


@pytest.mark.parametrize("spec,tm,tn,buf_kib", [
    ("conv2d:C=32,K=64,H=16,W=16,R=3,S=3,pad=1", 16, 8, 3),            # Tr = 8 of 16 rows
    ("conv2d:C=32,K=64,H=16,W=16,R=3,S=3,pad=1", 16, 8, 1),            # Tr = 2
    ("conv2d:C=16,K=32,H=28,W=28,R=5,S=5,stride=2,pad=2", 8, 4, 3),    # whole 14×14 output
    ("conv2d:C=64,K=64,H=8,W=8,R=1,S=1", 32, 16, 1),
])
def test_tiled_engine_traffic_equals_the_loop_nest_model(spec: str, tm: int, tn: int, buf_kib: float) -> None:
    wl = get_workload(spec)
    table = lower(wl)
    prec = next(iter(PRECISIONS.values()))
    dev = next(iter(DEVICES.values()))
    engine = tiled(table, dev, prec, np.array([float(tm)]), np.array([float(tn)]), np.array([float(buf_kib)]),
                   np.array([1e9]))
    i = int(table.mac_idx[0])
    tr, tc = int(engine.tr[0, i]), int(engine.tc[0, i])
    # Zhang's CTC model fetches the zero padding with every input tile: compare on the padded input
    layer = replace(from_op(wl.layers[0])[0], padding=(0, 0), input_size=None)
    assert layer.size("OY") % tr == 0 and layer.size("OX") % tc == 0   # Zhang counts padded tiles in full
    hw = _zhang_machine(tm, tn)
    spatial = spatial_factors(hw.spatial[0], hw.array, layer.sizes)
    k_t = -(-layer.size("K") // int(spatial[0, D["K"]]))
    c_t = -(-layer.size("C") // int(spatial[1, D["C"]]))
    loops = [("FX", layer.size("FX")), ("FY", layer.size("FY")), ("OX", tc), ("OY", tr),
             ("C", c_t), ("K", k_t), ("OX", layer.size("OX") // tc), ("OY", layer.size("OY") // tr)]
    dims = np.array([[D[d] for d, _ in loops]])
    facs = np.array([[f for _, f in loops]])
    inside = 4                                          # the three buffers hold the inner four loops
    c = cost.evaluate(layer, hw, spatial, dims, facs, cuts=np.array([[inside, inside, inside, len(loops)]]))
    loopnest_bytes = float((c.reads[0, 3] + c.writes[0, 3]).sum()) * prec.bits / 8
    assert loopnest_bytes == pytest.approx(float(engine.dram_bytes[0, i]), rel=1e-9)
