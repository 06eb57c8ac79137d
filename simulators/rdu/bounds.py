"""Allowed values of the RDU hardware parameters and constants (docs/robustness.md, "Design values at the
simulator API"). Memory capacities and HBM bandwidth may be 0 (no HBM tier: a preset's ``hbm_gb = 0``,
``hbm_bw_gbs = 0``; the model flags what does not fit) and so may the program load; every other value
divides or scales a time, or counts units the mapper divides work over."""

from __future__ import annotations

from simulators.common.domain import Bound, Choices, Domain

#: the shared mapping space's categorical knobs (simulators/rdu/space.py, read by simulator.py's _knobs)
FUSION = ("on", "off")
PCU_ALLOC = ("balanced", "proportional", "equal")

#: [A] capacity in GB and bandwidth in GB/s: up to 10⁶ (1 PB, 1 PB/s)
_SIZE = Bound(0, 1e6)
_RATE = Bound(0, 1e6, low_inclusive=False)
#: [A] PCUs / PMUs per socket: 2¹⁶, 25× the spaces' largest (2560)
_UNITS = Bound(1, 1 << 16, integer=True)

BOUNDS: dict[str, Domain] = {
    "n_pcu": _UNITS,
    "n_pmu": _UNITS,
    "lanes": Bound(1, 1024, integer=True),          # [A] the spaces' largest is 64
    "stages": Bound(1, 1024, integer=True),         # [A] the spaces' largest is 8
    "pmu_kib": Bound(1, 1 << 20, integer=True),     # [A] 1 GiB per PMU
    "clock_mhz": Bound(0, 100_000, low_inclusive=False),   # [A] up to 100 GHz
    "hbm_gb": _SIZE,
    "hbm_bw_gbs": _SIZE,
    "ddr_gb": _SIZE,
    "ddr_bw_gbs": _RATE,
    "sockets": Bound(1, 1024, integer=True),        # [A] 128× the largest preset (8); arrays grow with it
    "link_gbs": _RATE,
    "word_bytes": Bound(1, 8, integer=True),        # [A] up to FP64
    "process_nm": Bound(1, 1000, integer=True),     # [A]
    "reconfig_us": Bound(0, 1e6),                   # [A] up to 1 s per section
    # mapping knobs (optional)
    "tile_rows": Bound(1, 1 << 24, integer=True),   # [A] rows per tile: 16 M, past any zoo layer's rows
    "tp": Bound(1, 1024, integer=True),             # [D] a tensor-parallel degree divides the sockets (≤ 1024)
    "buffer_depth": Bound(1, 64, integer=True),     # [A] tiles per FIFO: 16× the space's largest (4)
    # [D] kernels per section: the mapper caps a section at n_pcu kernels, itself ≤ 2¹⁶
    "max_section": Bound(1, 1 << 16, integer=True),
    "cut@*": Bound(0, 1, integer=True),             # [D] a flag: 1 starts a new section before the kernel
    # [A] a kernel's relative PCU weight: 250× the space's range (0.25 … 4) each way; only ratios matter
    "share@*": Bound(0.001, 1000),
    # [D] categorical knobs: the model's own choices (fusion took any value as valid, pcu_alloc a KeyError)
    "fusion": Choices(FUSION),
    "pcu_alloc": Choices(PCU_ALLOC),
}
