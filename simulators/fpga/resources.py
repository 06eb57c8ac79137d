"""Resource arithmetic shared by both architecture styles (numpy, elementwise over designs).

Memory banding follows FINN-R (docs/references.md §3.3(A) "BRAM18 estimate", [V]): a memory of
``width`` bits × ``depth`` words occupies BRAM18s according to the aspect ratios a BRAM18 offers
(16K×1, 8K×2, 4K×4, 2K×9, 1K×18, 512×36); URAM288 is 4K×72. Shallow memories (≤ 64 words)
go to LUTRAM, as FINN's ``ram_style=distributed`` does: one LUT6 holds 64×1 bits.
Datapath LUTs use FINN-R's MVAU estimate ``300 + 1.1·PE·(mult + addertree + acc)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

LUTRAM_MAX_DEPTH = 64       # FINN: shallow memories become distributed RAM
URAM_MIN_DEPTH = 2048       # deeper memories prefer URAM where the device has it [heuristic]
FF_PER_LUT = 1.3            # FF:LUT ratio of pipelined HLS datapaths [U, typical post-route reports]
CONTROL_LUT = 300           # FINN-R constant per MVAU instance [V]
CLOCK_KNEE = 0.75           # utilisation above which routing congestion lowers fmax [V fpga_board_info UTIL 0.75]
CLOCK_SLOPE = 0.5           # fractional fmax loss per unit utilisation above the knee [fitted, see achieved_clock]


def ceil_div(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    if type(b) is float or type(b) is int:          # a constant divisor: no array round trip
        return np.ceil(a / max(float(b), 1e-12))
    return np.ceil(a / np.maximum(np.asarray(b, dtype=float), 1e-12))


#: FINN-R's BRAM18 aspect-ratio bands: widths up to 1, 2, 4, 9, then 18 or 36 bits, and the depth
#: and width of one BRAM18 in each (16K×1, 8K×2, 4K×4, 2K×9, 1K×18, 512×36)
BAND_EDGES = np.array([1.0, 2.0, 4.0, 9.0])
BAND_DEPTH = np.array([16384.0, 8192.0, 4096.0, 2048.0, 1024.0, 512.0])
BAND_WIDTH = np.array([1.0, 2.0, 4.0, 9.0, 18.0, 36.0])


def bram18_count(width_bits: ArrayLike, depth: ArrayLike) -> np.ndarray:
    """BRAM18s for a ``width × depth`` memory by FINN-R's width/depth bands: ``⌈depth/D⌉·⌈width/W⌉``
    with the band's ``D × W`` (memories over 18 bits use 1K×18 when deeper than 512 words)."""
    w = np.asarray(width_bits, dtype=float)
    d = np.asarray(depth, dtype=float)
    band = np.searchsorted(BAND_EDGES, w) + ((w > 18) & (d <= 512))
    out = np.ceil(d / BAND_DEPTH[band]) * np.ceil(w / BAND_WIDTH[band])
    return np.where((w > 0) & (d > 0), out, 0.0)


def uram_count(width_bits: ArrayLike, depth: ArrayLike) -> np.ndarray:
    """URAM288 blocks (4K × 72) for a ``width × depth`` memory."""
    w = np.asarray(width_bits, dtype=float)
    d = np.asarray(depth, dtype=float)
    return np.where((w > 0) & (d > 0), ceil_div(w, 72) * ceil_div(d, 4096), 0.0)


def memory(width_bits: ArrayLike, depth: ArrayLike, has_uram: ArrayLike,
           copies: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(BRAM18, URAM, LUT) for ``copies`` memories (default one) of ``width × depth``: LUTRAM when shallow,
    URAM when deep and available, BRAM18 otherwise."""
    w = np.asarray(width_bits, dtype=float)
    d = np.asarray(depth, dtype=float)
    shallow = d <= LUTRAM_MAX_DEPTH
    lut = np.where(shallow, w * ceil_div(d, 64), 0.0)
    if not np.any(has_uram):         # no URAM on any design's device: every deep memory is BRAM
        bram, uram = np.where(~shallow, bram18_count(w, d), 0.0), np.zeros(np.broadcast(w, d).shape)
    else:
        deep = (~shallow) & np.asarray(has_uram, dtype=bool) & (d >= URAM_MIN_DEPTH)
        uram = np.where(deep, uram_count(w, d), 0.0)
        bram = np.where(~shallow & ~deep, bram18_count(w, d), 0.0)
    if copies is None:               # one memory (× 1.0 would change no value)
        return bram, uram, lut
    return bram * copies, uram * copies, lut * copies


def acc_log(reduction: ArrayLike) -> np.ndarray:
    """The accumulator's growth bits for a reduction of ``reduction`` terms: ``ceil(log2(max(reduction, 2)))``."""
    return np.ceil(np.log2(np.maximum(np.asarray(reduction, dtype=float), 2)))


def acc_bits(bits: ArrayLike, is_float: ArrayLike, reduction: ArrayLike) -> np.ndarray:
    """Accumulator width: log2 of the reduction length plus both operand widths (FINN-R); the operand
    width for floating point. ``bits``/``is_float`` per design ``(D, 1)`` (or scalars), broadcast
    against ``reduction``."""
    bits = np.asarray(bits, dtype=float)
    fixed = acc_log(reduction) + 2 * bits
    return np.where(is_float, bits, fixed)


def datapath_lut(pe: ArrayLike, simd: ArrayLike, bits: ArrayLike, is_float: ArrayLike, fp_lut_per_lane: ArrayLike,
                 reduction: ArrayLike, uses_dsp: ArrayLike) -> np.ndarray:
    """FINN-R MVAU LUT estimate for a PE × SIMD unit (LUT multipliers when not on DSPs); the precision's
    ``bits``, ``is_float`` and ``fp_lut_per_lane`` broadcast against ``pe``/``simd``."""
    wa = 2.0 * np.asarray(bits, dtype=float)
    simd = np.asarray(simd, dtype=float)
    mult = np.where(uses_dsp, 0.0, simd * (2 * np.ceil(wa / 6) - 1) * wa)
    adder = wa * (2 * simd - 1)
    acc = acc_bits(bits, is_float, reduction)
    fp = fp_lut_per_lane * simd
    return CONTROL_LUT + 1.1 * np.asarray(pe, dtype=float) * (mult + adder + acc + fp)


def achieved_clock(target_mhz: ArrayLike, clock_max_mhz: ArrayLike, util: ArrayLike) -> np.ndarray:
    """Clock after place-and-route: the target, unless congestion caps it.

    ``f = min(target, f_max · (1 − CLOCK_SLOPE · max(0, u − CLOCK_KNEE)))`` with ``u`` the highest
    resource utilisation. Checked against three published designs (docs/references.md §3.3(A)): Angel-Eye
    closes 150 MHz on ZC706 at ≈ 0.89 utilisation (curve: 186 MHz ceiling); FINN closes 200 MHz on
    ZC706 at low utilisation (ceiling 200 MHz); DNNBuilder ≈ 235 MHz on KU115 near 0.85–0.9
    utilisation (curve: 232–238 MHz).
    """
    u = np.asarray(util, dtype=float)
    ceiling = np.asarray(clock_max_mhz, dtype=float) * (1.0 - CLOCK_SLOPE * np.clip(u - CLOCK_KNEE, 0.0, None))
    return np.minimum(np.asarray(target_mhz, dtype=float), np.maximum(ceiling, 1.0))
