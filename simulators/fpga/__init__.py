"""FPGA DNN-accelerator family: device catalog, resource model, streaming/tiled/hybrid performance
models (analytical and tile/stream-granularity cycle-level)."""

from simulators.fpga.simulator import FPGASimulator

__all__ = ["FPGASimulator"]
