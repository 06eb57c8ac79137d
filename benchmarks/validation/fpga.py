"""FPGA family: Zhang'15, Angel-Eye, FINN CNV (docs/references.md §3.4) against the model.

FINN CNV's per-layer folding is the public one of finn-examples
(``build/bnn-pynq/folding_config/cnv-w1a1_folding_config.json``, built at ``synth_clk_period_ns=10``);
only the PE/SIMD numbers are used, no code.
"""

from __future__ import annotations

from functools import cache

from archgym.metrics import Result
from archgym.simulator import get_simulator
from archgym.workload import Workload
from benchmarks.validation import Check, Family
from simulators.fpga.reference_nets import alexnet_conv, finn_cnv, vgg16_svd
from simulators.fpga.space import TM_VALUES, TN_VALUES

#: finn-examples cnv-w1a1 folding: MVAU layer → (PE, SIMD)
FINN_EXAMPLES_CNV_FOLDING = {"conv1": (16, 3), "conv2": (32, 32), "conv3": (16, 32), "conv4": (16, 32),
                             "conv5": (4, 32), "conv6": (1, 32), "fc1": (1, 4), "fc2": (1, 8), "fc3": (5, 1)}
ZC706_DSP = 900
FINN_SRC = ("Umuroglu et al., FINN, FPGA'17 abstract: CNV on ZC706, 21,906 images/s at 283 µs, < 25 W (F1)")
ANGEL_SRC = "Qiu et al., Angel-Eye (FPGA'16) abstract: VGG16-SVD on ZC706, 16-bit, 150 MHz (F3)"


def _sim():
    return get_simulator("fpga")


def _run(wl: Workload, device: str, mapping: str = "auto", **knobs: object) -> Result:
    """Evaluate the space's default design for ``device`` with ``knobs`` set."""
    sim = _sim()
    return sim.evaluate({**sim.space(wl, device, mapping=mapping).default(), "device": device, **knobs}, wl)


def zhang15(metric: str) -> float:
    """Zhang'15's engine <Tm, Tn> = <64, 7>, FP32, 100 MHz on VC707, AlexNet conv layers."""
    r = _run(alexnet_conv(), "vc707", precision="fp32", style="tiled", tm=64, tn=7, buf_kib=256, clock_mhz=100)
    return float(r.metrics[metric])


@cache
def angel_eye(conv_only: bool) -> tuple[float, float]:
    """GOP/s range over tiled engines (``tm ≥ tn ≥ 4`` from the space) using 50–100 % of the ZC706's
    DSPs at one 16-bit MAC per DSP: the paper's engine size is not used."""
    wl = vgg16_svd(conv_only=conv_only)
    vals = []
    for tm in TM_VALUES:
        for tn in TN_VALUES:
            if ZC706_DSP // 2 <= tm * tn <= ZC706_DSP and tm >= tn >= 4:
                r = _run(wl, "zc706", precision="int16", style="tiled", tm=tm, tn=tn, buf_kib=64, clock_mhz=150)
                if r.valid:
                    vals.append(r.metrics["throughput_ops_per_s"] / 1e9)
    return min(vals), max(vals)


@cache
def finn_cnv_max() -> dict[str, float]:
    """FINN's 'max' design: SetFolding at the largest lane budget whose design fits the ZC706 (200 MHz)."""
    best: dict[str, float] = {}
    for budget in sorted({tm * tn for tm in TM_VALUES for tn in TN_VALUES}):
        tm = min(t for t in TM_VALUES if budget % t == 0 and budget // t in TN_VALUES)
        r = _run(finn_cnv(), "zc706", precision="int1", style="streaming", tm=tm, tn=budget // tm, buf_kib=64,
                 clock_mhz=200)
        if r.valid:
            best = {"lanes": budget, **{k: float(v) for k, v in r.metrics.items()}}
    return best


def finn_examples_fps() -> float:
    """The model at finn-examples' per-layer folding, 100 MHz."""
    folding = {f"{kind}_{layer}": v for layer, pair in FINN_EXAMPLES_CNV_FOLDING.items()
               for kind, v in zip(("pe", "simd"), pair)}
    r = _run(finn_cnv(), "zc706", "per-layer", precision="int1", style="streaming", clock_mhz=100, **folding)
    return float(r.metrics["throughput_inf_per_s"])


def finn_estimate_fps() -> float:
    """FINN's own estimate for that folding: f / max_i (MH/PE)·(MW/SIMD)·pixels (``get_exp_cycles``)."""
    dims = {"conv1": (64, 27, 900), "conv2": (64, 576, 784), "conv3": (128, 576, 144), "conv4": (128, 1152, 100),
            "conv5": (256, 1152, 9), "conv6": (256, 2304, 1), "fc1": (512, 256, 1), "fc2": (512, 512, 1),
            "fc3": (10, 512, 1)}
    cycles = [mh // FINN_EXAMPLES_CNV_FOLDING[k][0] * (mw // FINN_EXAMPLES_CNV_FOLDING[k][1]) * pix
              for k, (mh, mw, pix) in dims.items()]
    return 100e6 / max(cycles)


FAMILY = Family("fpga", "FPGA accelerators. Engine sizes and foldings come from the papers or public "
                "files where they exist; where a paper does not state one, the row shows the model's "
                "range over the plausible values (or FINN's own rule for its 'max' design) instead of a "
                "value picked to match.")
FAMILY.checks = [
    Check("F4-gflops", "AlexNet conv GFLOPS", "Zhang et al., FPGA'15 abstract: 61.62 GFLOPS at 100 MHz on VC707 (F4)",
          "tiled engine <Tm, Tn> = <64, 7> as in the paper, FP32, 100 MHz, VC707", 61.62,
          lambda: zhang15("throughput_ops_per_s") / 1e9, 0.10, True,
          "±10 %: the paper's roofline model predicts its own board within a few per cent"),
    Check("F4-dsp", "DSP48E1 slices", "Zhang et al., FPGA'15: 2,240 DSPs", "64 × 7 FP32 MACs × 5 DSP",
          2240, lambda: zhang15("dsp"), 0.0, False, "identity: 5 DSP per FP32 MAC is the paper's own count",
          derived_from=("F4",)),
    Check("F3-conv", "VGG16-SVD conv layers GOP/s", ANGEL_SRC + ": 187.8 GOP/s",
          "tiled engines tm ≥ tn ≥ 4 using 450–900 DSPs (engine size not used), 150 MHz, ZC706", 187.8,
          lambda: angel_eye(True), 0.10, True,
          "range over engine sizes: the published figure must lie inside it (±10 %)"),
    Check("F3-full", "VGG16-SVD whole network GOP/s", ANGEL_SRC + ": 137.0 GOP/s", "as above, with the FC layers",
          137.0, lambda: angel_eye(False), 0.10, True, "range, as above"),
    Check("F1-fps", "CNV (W1A1) images/s", FINN_SRC,
          "FINN's 'max' design: SetFolding at the largest lane budget that fits the ZC706, 200 MHz", 21906.0,
          lambda: finn_cnv_max()["throughput_inf_per_s"], 0.10, True,
          "the model fits 16,384 binary MAC lanes on the ZC706 where FINN's CNV-max reached ~9,100 cycles "
          "per image: its LUT estimate (or routing limits it does not model) is optimistic; reported, "
          "not tuned. CNV-max's own folding is not public (finn-examples' PYNQ folding gives 6,104/s at "
          "200 MHz)", known_miss=True),
    Check("F1-latency", "CNV (W1A1) latency, µs", FINN_SRC, "as above", 283.0,
          lambda: finn_cnv_max()["latency_s"] * 1e6, 0.25, True,
          "±25 %: pipeline fill is modelled per row; misses with the throughput (a 2.5× wider pipeline "
          "fills faster)", known_miss=True),
    Check("F1-power", "CNV board power, W (published '< 25')", FINN_SRC, "as above", (0.0, 25.0),
          lambda: finn_cnv_max()["power_w"], 0.0, True, "an upper bound only"),
    Check("FINN-examples-fps", "CNV (W1A1) images/s at finn-examples' folding",
          "FINN get_exp_cycles on finn-examples cnv-w1a1_folding_config.json, 100 MHz",
          "per-layer PE/SIMD from that file", finn_estimate_fps(), finn_examples_fps, 0.0, False,
          "consistency: the model uses FINN's cycle formula, so this checks the folding is applied, not "
          "the model (no measured figure for this build was found)"),
]
