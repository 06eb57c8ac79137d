"""SCALE-Sim v3's file formats: ``.cfg`` configs, topology CSVs, and the three reports.

Config keys read (section ``architecture_presets``): ArrayHeight, ArrayWidth, IfmapSramSzkB,
FilterSramSzkB, OfmapSramSzkB, Dataflow, Bandwidth; ``[layout]`` IfmapSRAMBankBandwidth and
FilterSRAMBankBandwidth (SCALE-Sim's read-port bandwidths in USER mode; default: Bandwidth);
``[run_presets]`` InterfaceBandwidth (USER or CALC); ``[general]`` run_name. SCALE-Sim's word
size is 1 byte. Topologies: conv rows (name, IFMAP H, W, Filter H, W, Channels, Num Filter,
Strides) — a layer whose name contains ``DP`` is depth-wise and runs as one single-channel
layer per channel, as in SCALE-Sim — or GEMM rows (Layer, M, N, K).
"""

from __future__ import annotations

import configparser
import csv
import re
from dataclasses import dataclass
from pathlib import Path

from archgym.config import MAX_CONFIG_BYTES
from archgym.errors import ConfigError
from archgym.workload import MAX_DIM, MAX_MACS, Gemm, read_text, topology_integers
from simulators.systolic.bounds import MAX_ARRAY_SIDE, MAX_SRAM_KB, MAX_WORDS_PER_CYCLE
from simulators.systolic.cycle import GemmTiming, gemm_timing
from simulators.systolic.hardware import DATAFLOWS
from simulators.systolic.scalesim_memory import ConvGeometry

#: bounds on SCALE-Sim inputs beyond :data:`~archgym.workload.MAX_DIM` (docs/robustness.md)
CONFIG_MAX = {"ArrayHeight": MAX_ARRAY_SIDE, "ArrayWidth": MAX_ARRAY_SIDE, "IfmapSramSzkB": MAX_SRAM_KB,
              "FilterSramSzkB": MAX_SRAM_KB, "OfmapSramSzkB": MAX_SRAM_KB, "Bandwidth": MAX_WORDS_PER_CYCLE,
              "IfmapSRAMBankBandwidth": MAX_WORDS_PER_CYCLE, "FilterSRAMBankBandwidth": MAX_WORDS_PER_CYCLE}
MAX_LAYERS = 100_000
RUN_NAME = re.compile(r"[A-Za-z0-9_. -]{1,128}")


@dataclass(frozen=True)
class ScaleSimConfig:
    run_name: str
    rows: int
    cols: int
    ifmap_kb: int
    filter_kb: int
    ofmap_kb: int
    dataflow: str
    bandwidth: int          # ofmap port, words/cycle
    ifmap_bw: int           # ifmap read port
    filter_bw: int          # filter read port
    user_bandwidth: bool


def read_config(path: str | Path) -> ScaleSimConfig:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"scalesim config: file {str(path)!r} does not exist")
    cp = configparser.ConfigParser(interpolation=None)   # values are read as written ("%" is no syntax)
    try:
        cp.read_string(read_text(path, MAX_CONFIG_BYTES), str(path))
    except configparser.Error as exc:
        raise ConfigError(f"{path}: not a SCALE-Sim config ({exc.__class__.__name__})") from None

    def get(section: str, key: str, default: str | None = None) -> str:
        if cp.has_option(section, key):
            return cp.get(section, key).strip()
        if default is None:
            raise ConfigError(f"{path}: [{section}] {key}: missing")
        return default

    def integer(section: str, key: str, default: str | None = None) -> int:
        raw = get(section, key, default)
        try:
            value = int(raw.split(",")[0])
        except ValueError:
            raise ConfigError(f"{path}: [{section}] {key}: expected an integer, got {raw!r}") from None
        high = CONFIG_MAX.get(key, MAX_DIM)
        if not 1 <= value <= high:
            raise ConfigError.bad_value(f"{path}: [{section}] {key}", value, f"an integer in [1, {high}]")
        return value

    arch = "architecture_presets"
    df = get(arch, "Dataflow").lower()
    if df not in DATAFLOWS:
        raise ConfigError.bad_value(f"{path}: [{arch}] Dataflow", df, DATAFLOWS)
    mode = get("run_presets", "InterfaceBandwidth", "USER").upper()
    if mode not in ("USER", "CALC"):
        raise ConfigError.bad_value(f"{path}: [run_presets] InterfaceBandwidth", mode, ("USER", "CALC"))
    bw = integer(arch, "Bandwidth", "10")
    return ScaleSimConfig(
        run_name=_run_name(get("general", "run_name", path.stem).strip('"'), path),
        rows=integer(arch, "ArrayHeight"), cols=integer(arch, "ArrayWidth"),
        ifmap_kb=integer(arch, "IfmapSramSzkB"), filter_kb=integer(arch, "FilterSramSzkB"),
        ofmap_kb=integer(arch, "OfmapSramSzkB"), dataflow=df, bandwidth=bw,
        ifmap_bw=integer("layout", "IfmapSRAMBankBandwidth", str(bw)),
        filter_bw=integer("layout", "FilterSRAMBankBandwidth", str(bw)),
        user_bandwidth=mode == "USER")


def _run_name(name: str, path: Path) -> str:
    """``run_name`` names the reports' folder under the output folder: one plain path component,
    so reports never leave it (``../x``, ``/abs``, ``a/b`` are refused)."""
    if not RUN_NAME.fullmatch(name) or name in (".", ".."):
        raise ConfigError.bad_value(f"{path}: [general] run_name", name,
                                    "1-128 letters, digits, '_', '-', '.' or spaces (one folder name, not a path)")
    return name


def read_topology(path: str | Path, gemm: bool | None = None) -> list[tuple[str, Gemm]]:
    """Layers as (name, Gemm(m = ofmap pixels, k = window, n = filters)); ``gemm=None`` detects
    the GEMM format from the header (``Layer, M, N, K``)."""
    return [(name, g) for name, g, _ in read_layers(path, gemm)]


def read_layers(path: str | Path, gemm: bool | None = None) -> list[tuple[str, Gemm, ConvGeometry | None]]:
    """:func:`read_topology` plus each conv layer's geometry (None for GEMM rows), which SCALE-Sim's
    buffers need: its conv-mode ifmap repeats im2col addresses."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"scalesim topology: file {str(path)!r} does not exist")
    rows = [[c.strip() for c in r] for r in csv.reader(read_text(path).splitlines())]
    rows = [[c for c in r if c != ""] for r in rows if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise ConfigError(f"{path}: no layers (empty, or a header and no rows); allowed: at least one layer row")
    if gemm is None:
        gemm = [h.lower() for h in rows[0][1:4]] == ["m", "n", "k"]
    out: list[tuple[str, Gemm, ConvGeometry | None]] = []
    for lineno, row in enumerate(rows[1:], start=2):
        nums = topology_integers(row[1:] if gemm else row[1:8], f"{path}:{lineno}")
        small = [v for v in nums if not 1 <= v <= MAX_DIM]
        if small:
            raise ConfigError.bad_value(f"{path}:{lineno}: dimension", small[0], f"an integer in [1, {MAX_DIM}]")
        if gemm:
            if len(nums) < 3:
                raise ConfigError(f"{path}:{lineno}: GEMM rows need M, N, K")
            m, n, k = nums[:3]
            out.append((row[0], _bounded(Gemm(m, k, n), 1, f"{path}:{lineno}"), None))
            continue
        if len(nums) < 7:
            raise ConfigError(f"{path}:{lineno}: conv rows need IFMAP H, W, Filter H, W, Channels, Num Filter, Strides")
        h, w, r, s, c, k, stride = nums[:7]
        if r > h or s > w:
            raise ConfigError(f"{path}:{lineno}: filter {r}×{s} larger than ifmap {h}×{w}")
        if "DP" in row[0]:   # one single-channel layer per channel, as SCALE-Sim runs it
            geometry = ConvGeometry(h, w, 1, r, s, stride, round_up=True)
            g = _bounded(Gemm(geometry.p * geometry.q, r * s, k), c, f"{path}:{lineno}")
            _count(len(out) + c, path)
            out.extend((f"{row[0]}Channel_{i}", g, geometry) for i in range(c))
        else:
            geometry = ConvGeometry(h, w, c, r, s, stride, round_up=True)
            out.append((row[0], _bounded(Gemm(geometry.p * geometry.q, r * s * c, k), 1, f"{path}:{lineno}"),
                        geometry))
        _count(len(out), path)
    return out


def _count(layers: int, path: Path) -> None:
    if layers > MAX_LAYERS:
        raise ConfigError.bad_value(f"{path}: layers", layers, f"at most {MAX_LAYERS} "
                                    "(a depth-wise row runs one layer per channel)")


def _bounded(g: Gemm, copies: int, where: str) -> Gemm:
    """``g`` when ``copies`` of it stay within :data:`~archgym.workload.MAX_MACS`."""
    if g.macs * copies > MAX_MACS:
        raise ConfigError.bad_value(f"{where}: MACs", g.macs * copies, f"at most {MAX_MACS}")
    return g


MEMORY_MODELS = ("scalesim", "fold")


def simulate(cfg: ScaleSimConfig, layers: list[tuple[str, Gemm]], memory: str = "scalesim",
             convs: list[ConvGeometry | None] | None = None) -> list[GemmTiming]:
    """Cycle-level timing of each layer on the configured array (fold order as SCALE-Sim).

    ``memory="scalesim"`` takes DRAM reads and stalls from SCALE-Sim's own buffer behaviour
    (:mod:`.scalesim_memory`, exact at every SRAM size; conv layers need their geometry in
    ``convs``, from :func:`read_layers`); ``"fold"`` keeps the fold-level model of :mod:`.cycle`
    (the default ``cycle`` fidelity; equal when operands fit)."""
    if memory not in MEMORY_MODELS:
        raise ConfigError.bad_value("memory", memory, MEMORY_MODELS)
    convs = convs or [None] * len(layers)
    return [gemm_timing(g, cfg.rows, cfg.cols, cfg.dataflow, cfg.ifmap_kb, cfg.filter_kb, cfg.ofmap_kb,
                        cfg.bandwidth, 1, "col", cfg.ifmap_bw, cfg.filter_bw, memory=memory, conv=conv)
            for (_, g), conv in zip(layers, convs)]


COMPUTE_HEADER = ("LayerID, Total Cycles (incl. prefetch), Total Cycles, Stall Cycles, Overall Util %, "
                  "Mapping Efficiency %, Compute Util %,")
BANDWIDTH_HEADER = ("LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, "
                    "Avg IFMAP DRAM BW, Avg FILTER DRAM BW, Avg OFMAP DRAM BW,")
DETAIL_HEADER = ("LayerID, SRAM IFMAP Start Cycle, SRAM IFMAP Stop Cycle, SRAM IFMAP Reads, "
                 "SRAM Filter Start Cycle, SRAM Filter Stop Cycle, SRAM Filter Reads, "
                 "SRAM OFMAP Start Cycle, SRAM OFMAP Stop Cycle, SRAM OFMAP Writes, "
                 "DRAM IFMAP Start Cycle, DRAM IFMAP Stop Cycle, DRAM IFMAP Reads, "
                 "DRAM Filter Start Cycle, DRAM Filter Stop Cycle, DRAM Filter Reads, "
                 "DRAM OFMAP Start Cycle, DRAM OFMAP Stop Cycle, DRAM OFMAP Writes,")


def report_rows(cfg: ScaleSimConfig, layers: list[tuple[str, Gemm]], timings: list[GemmTiming]
                ) -> dict[str, list[list[float]]]:
    """Rows of COMPUTE_REPORT, BANDWIDTH_REPORT and DETAILED_ACCESS_REPORT (SCALE-Sim's columns).

    Start/stop cycles of the SRAM streams are approximated by the first and last compute cycle;
    DRAM read streams end at cycle −1 when the operand fits its buffer (all prefetched)."""
    out: dict[str, list[list[float]]] = {"compute": [], "bandwidth": [], "detail": []}
    pe = cfg.rows * cfg.cols
    for lid, ((_, g), t) in enumerate(zip(layers, timings)):
        total = t.cycles - 1                      # SCALE-Sim: index of the last cycle
        incl = t.prologue_cycles + total + t.epilogue_cycles - 1
        util = 100.0 * g.m * g.k * g.n / (total * pe) if total > 0 else 0.0
        out["compute"].append([lid, incl, total, t.stall_cycles, util, 100 * t.mapping_efficiency,
                               100 * t.compute_util])
        i_start, f_start = -t.ifmap_prologue_cycles, -t.filter_prologue_cycles
        i_stop = max(-1, total if t.dram_ifmap_reads > t.ifmap_prologue_cycles * cfg.ifmap_bw else -1)
        f_stop = max(-1, total if t.dram_filter_reads > t.filter_prologue_cycles * cfg.filter_bw else -1)
        o_stop = total + t.epilogue_cycles - 1
        o_start = o_stop - (t.dram_ofmap_writes + cfg.bandwidth - 1) // cfg.bandwidth + 1
        denom = max(total, 1)
        out["bandwidth"].append([
            lid, t.sram_ifmap_reads / denom, t.sram_filter_reads / denom, t.sram_ofmap_writes / denom,
            t.dram_ifmap_reads / (i_stop - i_start + 1), t.dram_filter_reads / (f_stop - f_start + 1),
            t.dram_ofmap_writes / max(o_stop - o_start + 1, 1)])
        out["detail"].append([
            lid, 0, total, t.sram_ifmap_reads, 0, total, t.sram_filter_reads, 0, total, t.sram_ofmap_writes,
            i_start, i_stop, t.dram_ifmap_reads, f_start, f_stop, t.dram_filter_reads,
            o_start, o_stop, t.dram_ofmap_writes])
    return out


def write_reports(outdir: str | Path, cfg: ScaleSimConfig, layers: list[tuple[str, Gemm]],
                  timings: list[GemmTiming]) -> Path:
    """Write the reports under ``outdir/run_name/`` (SCALE-Sim's layout); returns that folder."""
    folder = Path(outdir) / cfg.run_name
    folder.mkdir(parents=True, exist_ok=True)
    rows = report_rows(cfg, layers, timings)
    for name, header, key in (("COMPUTE_REPORT.csv", COMPUTE_HEADER, "compute"),
                              ("BANDWIDTH_REPORT.csv", BANDWIDTH_HEADER, "bandwidth"),
                              ("DETAILED_ACCESS_REPORT.csv", DETAIL_HEADER, "detail")):
        with (folder / name).open("w") as fh:
            fh.write(header + "\n")
            for r in rows[key]:
                fh.write(", ".join(_fmt(v) for v in r) + ",\n")
    return folder


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))
