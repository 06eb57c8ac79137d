"""RDU family: published figures of Plasticine and SambaNova parts (docs/references.md §2.3) against the model."""

from __future__ import annotations

import math
from functools import cache

from archgym.simulator import get_simulator
from archgym.workload import Workload, get_workload
from archgym.zoo import _transformer
from benchmarks.validation import Check, Family

SN_BLOG = ("SambaNova blog 'Why SambaNova's SN40L chip is the best for inference' (2024-09-10), Table 1: "
           "user output tokens/s, 16-bit, measured by artificialanalysis.ai")
#: Llama 3.1 shapes (Meta model cards): layers, d_model, heads, FFN (SwiGLU), vocabulary
LLAMA31 = {"8b": (32, 4096, 32, 14336), "70b": (80, 8192, 64, 28672), "405b": (126, 16384, 128, 53248)}


def _sim():
    return get_simulator("rdu")


def _peak_tflops(preset: str) -> float:
    sim = _sim()
    wl = get_workload("gemm:M=64,N=64,K=64")
    return sim.evaluate(sim.space(wl, preset).default(), wl).metrics["peak_ops_per_s"] / 1e12


def _sram_mib(preset: str) -> float:
    return _sim().preset(preset).sram_bytes / 2**20


def _block(spec: str) -> Workload:
    """The first decoder/encoder layer of a zoo transformer."""
    full = get_workload(spec)
    return Workload(f"{spec}/L0", full.graph.subgraph([n for n in full.graph if n.startswith("L0_")]).copy())


@cache
def fusion_speedup(spec: str, preset: str = "sn40l") -> float:
    """Unfused (one kernel per section, DFModel KERNEL_BY_KERNEL, best tile) ÷ fused (default mapper)."""
    sim = _sim()
    wl = _block(spec)
    fused = sim.evaluate(sim.space(wl, preset).default(), wl).metrics["latency_s"]
    shared = sim.space(wl, preset, mapping="shared")
    unfused = min(sim.evaluate({**shared.default(), "fusion": "off", "tile_rows": t}, wl).metrics["latency_s"]
                  for t in shared["tile_rows"].values)
    return unfused / fused


def llama_tokens_per_s(size: str, sockets: tuple[int, ...]) -> tuple[float, float]:
    """Batch-1 decode tokens/s of Llama 3.1 ``size`` (2K context) on SN40L over ``sockets`` counts."""
    layers, d, heads, ffn = LLAMA31[size]
    wl = _transformer(f"llama3.1-{size}-decode", layers, d, heads, ffn, 1, 1, 2048, vocab=128256, gated=True,
                      embed_in=True)
    sim = _sim()
    rates = [1.0 / sim.evaluate({**sim.space(wl, "sn40l").default(), "sockets": s}, wl).metrics["latency_s"]
             for s in sockets]
    return min(rates), max(rates)


FUSION_MODELS = ("gpt2-prefill:seq=1024", "bert-base:seq=512", "gpt2-prefill:seq=256")

FAMILY = Family("rdu", "Reconfigurable dataflow units (Plasticine, SambaNova SN10/SN30/SN40L). Peak-FLOPS "
                "and SRAM rows are identities of the preset parameters (consistency checks); the SN40L "
                "serving and fusion rows are measured or reported behaviour the parameters were not "
                "derived from.")
FAMILY.checks = [
    Check("R1-peak", "peak FP32 TFLOPS", "Prabhakar et al., Plasticine, ISCA'17 (R1)",
          "preset plasticine: 64 PCU × 16 lanes × 6 stages at 1 GHz", 12.3, lambda: _peak_tflops("plasticine"),
          0.01, False, "identity: geometry and clock come from the same paper as the peak",
          derived_from=("R1",)),
    Check("R2-peak", "peak BF16 TFLOPS (published '> 320')", "SambaNova SN10, Hot Chips 33 (R2)",
          "preset sn10: 640 PCU × 32×6 at 1.25 GHz (DFModel SN10 config)", (320.0, math.inf),
          lambda: _peak_tflops("sn10"), 0.0, True,
          "DFModel's 1.25 GHz gives 307.2 TFLOPS, below the vendor's '> 320': the DFModel clock or PCU "
          "geometry is not SN10's exact one; not tuned", known_miss=True),
    Check("SN30-peak", "peak BF16 TFLOPS", "SambaNova SN30 vendor figure 688 [unverified]",
          "preset sn30: 1280 PCU × 32×6 at 1.4 GHz", 688.0, lambda: _peak_tflops("sn30"), 0.01, False,
          "circular: the 1.4 GHz clock was derived from this peak", derived_from=("SN30-peak",)),
    Check("R3-peak", "peak BF16 TFLOPS", "SambaNova SN40L, Hot Chips 2024 (R3)",
          "preset sn40l: 1040 PCU × 32×6 at 1.6 GHz", 638.0, lambda: _peak_tflops("sn40l"), 0.01, False,
          "circular: the 1.6 GHz clock was derived from this peak (R3')", derived_from=("R3",)),
    Check("R1-sram", "on-chip SRAM, MiB", "Plasticine ISCA'17 (R1: 16 MB)", "64 PMU × 256 KiB", 16.0,
          lambda: _sram_mib("plasticine"), 0.0, False, "identity: PMU count and size from the same paper",
          derived_from=("R1",)),
    Check("R2-sram", "on-chip SRAM, MiB", "SN10 Hot Chips 33 (R2: 320 MB)", "640 PMU × 512 KiB", 320.0,
          lambda: _sram_mib("sn10"), 0.0, False, "circular: PMU size = 320 MB ÷ 640", derived_from=("R2",)),
    Check("R3-sram", "on-chip SRAM, MiB", "SN40L Hot Chips 2024 (R3: 520 MB)", "1040 PMU × 512 KiB", 520.0,
          lambda: _sram_mib("sn40l"), 0.0, False, "circular: PMU size carried over from SN10's 320 MB ÷ 640",
          derived_from=("R3",)),
    *[Check(f"R4-fusion-{spec.split(':')[0]}-{spec.split('=')[1]}", "fusion speed-up, unfused ÷ fused (×)",
            "Prabhakar et al., SN40L, arXiv 2405.07518: '2×–13× speedup from fusion' over models (R4)",
            f"one layer of {spec} on preset sn40l; fused = default mapper, unfused = one kernel per section at "
            "its best tile", (2.0, 13.0), (lambda s=spec: fusion_speedup(s)), 0.0, True,
            "the paper gives the range over its models, not per-model values: each model must land in it")
      for spec in FUSION_MODELS[:1]],
    *[Check(f"R4-fusion-{spec.split(':')[0]}-{spec.split('=')[1]}", "fusion speed-up, unfused ÷ fused (×)",
            "SN40L, arXiv 2405.07518 (R4: 2×–13×)", f"one layer of {spec} on preset sn40l, as above",
            (2.0, 13.0), (lambda s=spec: fusion_speedup(s)), 0.0, True,
            "below the published range on shorter sequences / encoders: unfused execution loses less "
            "when each section's DRAM round trip is small next to its compute; reported, not tuned",
            known_miss=True)
      for spec in FUSION_MODELS[1:]],
    Check("SN40L-llama405b", "Llama 3.1 405B decode, tokens/s per user", SN_BLOG + " (129 tok/s)",
          "16 × SN40L (one SambaRack), batch 1, 2K context, BF16 weights in HBM", 129.0,
          lambda: llama_tokens_per_s("405b", (16,)), 0.25, True,
          "±25 %: a served figure (serving stack, context length unknown). The model is bounded by "
          "16 × 1.6 TB/s HBM over 810 GB of weights (≤ 32 tok/s); the published rate needs ~4× fewer "
          "weight reads per token (speculative decoding is likely [unverified]): reported, not tuned",
          known_miss=True),
    Check("SN40L-llama70b", "Llama 3.1 70B decode, tokens/s per user", SN_BLOG + " (457 tok/s)",
          "8 or 16 × SN40L (socket count not published: range), batch 1, 2K context", 457.0,
          lambda: llama_tokens_per_s("70b", (8, 16)), 0.25, True,
          "±25 % as above; the HBM-bandwidth bound is ≈ 180 tok/s on 16 sockets, so the model misses "
          "for the same reason", known_miss=True),
    Check("SN40L-llama8b", "Llama 3.1 8B decode, tokens/s per user", SN_BLOG + " (1,042 tok/s)",
          "8 or 16 × SN40L (socket count not published: range), batch 1, 2K context", 1042.0,
          lambda: llama_tokens_per_s("8b", (8, 16)), 0.25, True,
          "±25 %: a served figure (serving stack, context length and socket count unknown)"),
]
