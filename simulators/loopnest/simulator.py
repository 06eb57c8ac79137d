"""``LoopNestSimulator`` (family ``loopnest``): systolic-array hardware under the loop-nest model.

The hardware parameters are the systolic family's (array, dataflow, three SRAMs, DRAM
bandwidth; ``dataflow="flex"`` lets every layer pick its own unrolling); each layer is mapped
Timeloop/ZigZag-style (:mod:`.cost`). Mapping modes:

``auto``       the simulator searches every layer's mapping exhaustively over
               :class:`~.mapping.LayerMappings` for ``mapping_objective`` (edp, energy, latency);
``per-layer``  the mapping of each loop layer is design knobs: ``L.dataflow``, ``L.order_in``,
               ``L.order_out`` (stationarity orders), ``L.hold`` (fill / tile) and ``L.tile_<DIM>``
               (tile-ladder steps) —
               every value legal, so random designs are valid unless they break the area budget.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from archgym.errors import ConfigError
from archgym.metrics import Result, derive
from archgym.space import DesignSpace, Param, categorical, ordinal
from archgym.workload import Workload
from simulators.common.family import Designs, Family, ModelOutput, loop
from simulators.loopnest import cost, search
from simulators.loopnest.bounds import BOUNDS
from simulators.loopnest.hardware import DATAFLOWS, SYSTOLIC_SPATIAL, Hardware, systolic
from simulators.loopnest.mapping import HOLDS, ORDER_NAMES, TILE_LEVELS, LayerMappings
from simulators.loopnest.problem import DIMS, LoopLayer, from_op
from simulators.systolic.hardware import PRESETS, SystolicConfig
from simulators.systolic.space import area_constraint, hardware_params

HW_KEYS = ("rows", "cols", "dataflow", "ifmap_kb", "filter_kb", "ofmap_kb", "dram_bw", "word_bytes",
           "clock_mhz", "tech")


def loop_layers(workload: Workload) -> list[LoopLayer]:
    """Every MAC-bearing operator's loop nests, in workload order."""
    return [layer for op in workload.layers for layer in from_op(op)]


def hardware_from_design(design: Mapping[str, Any], dataflow: str | None = None) -> Hardware:
    """The loop-nest machine of a systolic design (``dataflow`` overrides the design's)."""
    missing = [k for k in HW_KEYS if k not in design and not (k == "dataflow" and dataflow)]
    if missing:
        raise ConfigError(f"loopnest design: missing parameter {missing[0]!r}")
    df = dataflow or str(design["dataflow"])
    if df not in DATAFLOWS:
        raise ConfigError.bad_value("dataflow", df, DATAFLOWS)
    flows = tuple(SYSTOLIC_SPATIAL) if df == "flex" else (df,)
    return systolic(f"systolic-{df}", int(design["rows"]), int(design["cols"]), float(design["ifmap_kb"]),
                    float(design["filter_kb"]), float(design["ofmap_kb"]), float(design["dram_bw"]),
                    int(design["word_bytes"]), float(design["clock_mhz"]), str(design["tech"]), flows)


class LoopNestSimulator(Family):
    """Systolic arrays under a Timeloop/ZigZag-style loop-nest model: per-operand register, SRAM
    and DRAM hierarchy, searched per-layer mappings (spatial unrolling, tiling, loop order)."""

    name = "loopnest"
    version = "1"
    fidelities = ("analytical",)
    default_preset = "scalesim"
    parameters = tuple(k for k in HW_KEYS if k != "dataflow")   # dataflow: shared or per layer
    bounds = BOUNDS

    def presets(self) -> dict[str, SystolicConfig]:
        return dict(PRESETS)

    def space(self, workload: Workload, preset: str | None = None, mapping: str = "auto") -> DesignSpace:
        cfg = self.preset(preset)
        mapping = self.check_mapping(mapping)
        if mapping == "shared":
            raise ConfigError("loopnest mapping: 'shared' is not offered; allowed: auto, per-layer")
        params: list[Param] = [p for p in hardware_params(cfg, with_dataflow=False)]
        cons = (area_constraint(cfg),) if cfg.area_budget_mm2 > 0 else ()
        if mapping == "auto":
            params.insert(2, categorical("dataflow", DATAFLOWS, default=cfg.dataflow,
                                         doc="spatial unrolling: ws/os/is, or flex (per layer)"))
            params.append(categorical("mapping_objective", search.MAPPING_OBJECTIVES, default="edp",
                                      doc="what each layer's mapping search minimises"))
            return DesignSpace(tuple(params), cons, f"loopnest-{cfg.name}-auto")
        for layer in loop_layers(workload):
            params += layer_params(layer.name, cfg.dataflow)
        return DesignSpace(tuple(params), cons, f"loopnest-{cfg.name}-per-layer")

    # -- evaluation ---------------------------------------------------------------------------------
    def model(self, designs: Designs, workload: Workload, fidelity: str) -> ModelOutput:
        """``auto``: design by design, each hardware point's layer searches a few array calls
        (memoised per hardware); ``per-layer``: every (design, layer) mapping of a batch through
        the cost model at once, one call per hardware point."""
        layers = _mac_layers(workload)
        if f"{layers[0].name}.order_in" not in designs:
            return loop(designs, lambda design: self._evaluate_one(design, workload, fidelity))
        first = designs.rows[0]
        out = _per_layer_batch(designs.rows, layers)
        out.layers = lambda: self._evaluate_one(first, workload, fidelity).layers
        out.info = lambda: {"model": "loopnest"}
        return out

    def _evaluate_one(self, design: Mapping[str, Any], workload: Workload, fidelity: str) -> Result:
        layers = _mac_layers(workload)
        per_layer = f"{layers[0].name}.order_in" in design
        rows = []
        if per_layer:
            for layer in layers:
                df = _layer_dataflow(design, layer)
                hw = _hardware(_hw_key(design, df))
                costs = search.evaluate_code(layer, hw, 0, _layer_code(design, layer))
                rows.append(_layer_row(layer, hw, costs, {"dataflow": df}))
        else:
            key = _hw_key(design, None)
            hw = _hardware(key)
            found = _best_all(layers, key, str(design.get("mapping_objective", "edp")))
            for layer, res in zip(layers, found):
                rows.append(_layer_row(layer, hw, res.costs, _mapping_info(hw, res)))
        return _network_result(rows, hw, {"fidelity": fidelity, "model": "loopnest"})

    def evaluate_machine(self, hw: Hardware, workload: Workload, objective: str = "edp") -> Result:
        """Every layer's best mapping on a fixed machine (e.g. a ZigZag hardware file)."""
        layers = _mac_layers(workload)
        rows = [_layer_row(layer, hw, res.costs, _mapping_info(hw, res))
                for layer, res in zip(layers, search.best_mappings(layers, hw, objective))]
        return _network_result(rows, hw, {"fidelity": "analytical", "model": "loopnest", "machine": hw.name})


def _per_layer_batch(rows: list[Mapping[str, Any]], layers: list[LoopLayer]) -> ModelOutput:
    """Network metrics of per-layer-mode designs: all their layer mappings costed together, one
    cost-model call (in chunks) per hardware point."""
    n = len(rows)
    cycles, energy, dram = np.zeros(n), np.zeros(n), np.zeros(n)
    area, clock, pes = np.zeros(n), np.zeros(n), np.zeros(n)
    fits = np.ones(n, dtype=bool)
    flows = list(SYSTOLIC_SPATIAL)
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, d in enumerate(rows):
        groups.setdefault(_hw_key(d, "flex"), []).append(i)
    for key, members in groups.items():
        hw = _hardware(key)
        idx = np.array(members)
        dram_mems = [mi for mi, m in enumerate(hw.memories) if m.is_dram]
        blocks: list[cost.Block] = []
        owners: list[np.ndarray] = []
        for layer in layers:
            space = LayerMappings(layer, hw)
            codes = np.array([_layer_code(rows[i], layer) for i in members])
            options = np.array([flows.index(_layer_dataflow(rows[i], layer)) for i in members])
            for o in np.unique(options):
                sel = np.flatnonzero(options == o)
                dims, facs, cap = space.decode(int(o), codes[sel, 0], codes[sel, 1], codes[sel, 2], codes[sel, 3:])
                blocks.append(cost.Block(layer, dims, facs, cap, space.spatial[int(o)]))
                owners.append(idx[sel])
        owner = np.concatenate(owners)
        bits = np.concatenate([np.broadcast_to(np.array(b.layer.bits[:3], dtype=np.float64), (len(b.dims), 3))
                               for b in blocks])
        for sl, c in cost.evaluate_blocks(blocks, hw, search.CHUNK):
            who = owner[sl]
            np.add.at(cycles, who, c.cycles)
            np.add.at(energy, who, c.energy_pj * 1e-12)
            np.add.at(dram, who, _dram_bytes(c.reads, c.writes, bits[sl], dram_mems))
            np.logical_and.at(fits, who, c.valid)
        area[idx], clock[idx], pes[idx] = hw.area_mm2(), hw.clock_hz, hw.pes
    metrics = _metrics(cycles, energy, dram, float(sum(layer.macs for layer in layers)), area, clock, pes)
    return ModelOutput(metrics, {"mapping_does_not_fit": ~fits})


def _mac_layers(workload: Workload) -> list[LoopLayer]:
    """The workload's loop layers; a workload without MAC layers is a one-line error."""
    layers = loop_layers(workload)
    if not layers:
        raise ConfigError(f"workload {workload.name}: no MAC layers to map")
    return layers


def _layer_dataflow(design: Mapping[str, Any], layer: LoopLayer) -> str:
    """A per-layer design's unrolling for ``layer`` (its own knob, else the shared one, else ws)."""
    return str(design.get(f"{layer.name}.dataflow", design.get("dataflow", "ws")))


def _layer_code(design: Mapping[str, Any], layer: LoopLayer) -> np.ndarray:
    """A per-layer design's mapping knobs for ``layer`` as a :class:`~.mapping.LayerMappings` code."""
    return np.array([ORDER_NAMES.index(str(design[f"{layer.name}.order_in"])),
                     ORDER_NAMES.index(str(design[f"{layer.name}.order_out"])),
                     HOLDS.index(str(design.get(f"{layer.name}.hold", "fill"))),
                     *(int(design[f"{layer.name}.tile_{d}"]) for d in DIMS)])


def layer_params(layer: str, default_dataflow: str) -> list[Param]:
    """The per-layer mapping knobs of one loop layer."""
    p = [categorical(f"{layer}.dataflow", tuple(SYSTOLIC_SPATIAL), default=default_dataflow),
         categorical(f"{layer}.order_in", ORDER_NAMES, default="WI",
                     doc="inner loops: first operand stationary, then the second"),
         categorical(f"{layer}.order_out", ORDER_NAMES, default="WI", doc="outer loops' stationarity"),
         categorical(f"{layer}.hold", HOLDS, default="fill",
                     doc="memories below DRAM: as much as fits, or just the inner tile")]
    p += [ordinal(f"{layer}.tile_{d}", tuple(range(TILE_LEVELS)), default=TILE_LEVELS // 2,
                  doc=f"inner tile of {d}: ladder step (0 = 1, top = all)") for d in DIMS]
    return p


def _hw_key(design: Mapping[str, Any], dataflow: str | None) -> tuple[Any, ...]:
    missing = [k for k in HW_KEYS if k not in design and not (k == "dataflow" and dataflow)]
    if missing:
        raise ConfigError(f"loopnest design: missing parameter {missing[0]!r}")
    return tuple(dataflow if (k == "dataflow" and dataflow) else design[k] for k in HW_KEYS)


@functools.lru_cache(maxsize=256)
def _hardware(key: tuple[Any, ...]) -> Hardware:
    return hardware_from_design(dict(zip(HW_KEYS, key)))


#: memo of the pure per-layer search: (layer shape, hardware key, objective) → LayerResult
_SEARCHED: OrderedDict[tuple[Any, ...], search.LayerResult] = OrderedDict()
_SEARCHED_MAX = 8192


def _best_all(layers: list[LoopLayer], key: tuple[Any, ...], objective: str) -> list[search.LayerResult]:
    """Each layer's searched mapping; shapes not yet searched on this hardware go in one batch. The
    memo is least-recently-used: the call's answers are gathered before anything is evicted."""
    shapes = [replace(layer, name="") for layer in layers]
    found: dict[LoopLayer, search.LayerResult] = {}
    for shape in dict.fromkeys(shapes):
        entry = (shape, key, objective)
        if entry in _SEARCHED:
            _SEARCHED.move_to_end(entry)
            found[shape] = _SEARCHED[entry]
    todo = [shape for shape in dict.fromkeys(shapes) if shape not in found]
    if todo:
        for shape, res in zip(todo, search.best_mappings(todo, _hardware(key), objective)):
            found[shape] = _SEARCHED[(shape, key, objective)] = res
        while len(_SEARCHED) > _SEARCHED_MAX:
            _SEARCHED.popitem(last=False)
    return [found[shape] for shape in shapes]


def _mapping_info(hw: Hardware, res: search.LayerResult) -> dict[str, Any]:
    return {"dataflow": hw.spatial[res.option].name, "candidates": res.candidates,
            "loops": _loops_text(res.dims, res.facs), "spatial": _spatial_text(res.spatial)}


def _layer_row(layer: LoopLayer, hw: Hardware, c: Any, info: dict[str, Any]) -> dict[str, Any]:
    reads, writes = c.reads[0], c.writes[0]
    access = {f"{m.name}.{x}": {"reads": float(reads[mi, xi]), "writes": float(writes[mi, xi])}
              for mi, m in enumerate(hw.memories) for xi, x in enumerate("WIO")
              if reads[mi, xi] or writes[mi, xi]}
    dram = [mi for mi, m in enumerate(hw.memories) if m.is_dram]
    dram_bytes = float(_dram_bytes(reads, writes, np.array(layer.bits[:3], dtype=float), dram))
    return {"name": layer.name, "valid": bool(c.valid[0]), "cycles": float(c.cycles[0]),
            "compute_cycles": float(c.compute_cycles[0]), "energy_j": float(c.energy_pj[0]) * 1e-12,
            "macs": layer.macs, "utilization": float(c.utilization[0]), "dram_bytes": dram_bytes,
            "accesses": access, **info}


def _dram_bytes(reads: np.ndarray, writes: np.ndarray, bits: np.ndarray, dram_mems: list[int]) -> Any:
    """Bytes moved to and from the DRAM levels: ``reads``/``writes`` are words per (memory, operand W/I/O)
    on the last two axes (a leading axis of mappings optional), ``bits`` the operands' word widths."""
    return sum(((reads[..., mi, :] + writes[..., mi, :]) * bits).sum(axis=-1) for mi in dram_mems) / 8.0


def _network_result(rows: list[dict[str, Any]], hw: Hardware, info: dict[str, Any]) -> Result:
    """One design's result from its layer rows (invalid when a layer's mapping does not fit)."""
    metrics = _metrics(sum(r["cycles"] for r in rows), sum(r["energy_j"] for r in rows),
                       sum(r["dram_bytes"] for r in rows), sum(r["macs"] for r in rows),
                       hw.area_mm2(), hw.clock_hz, hw.pes)
    valid = all(r["valid"] for r in rows)
    return Result(derive(metrics), valid, [] if valid else ["mapping_does_not_fit"], rows, info)


def _metrics(cycles: Any, energy_j: Any, dram_bytes: Any, macs: float, area_mm2: Any, clock_hz: Any,
             pes: Any) -> dict[str, Any]:
    """Network metrics from summed layer cycles, energy and DRAM bytes (scalars or per-design arrays)."""
    return {"latency_s": cycles / clock_hz, "energy_j": energy_j, "area_mm2": area_mm2, "cycles": cycles,
            "utilization": macs / (pes * cycles), "dram_bytes": dram_bytes,
            "throughput_ops": 2.0 * macs * clock_hz / cycles}


def _loops_text(dims: np.ndarray, facs: np.ndarray) -> str:
    """The temporal loops, inner → outer, as ``OX2 K4 …``."""
    return " ".join(f"{DIMS[d]}{int(f)}" for d, f in zip(dims, facs) if f > 1)


def _spatial_text(spatial: np.ndarray) -> str:
    return " | ".join("×".join(f"{DIMS[d]}{int(f)}" for d, f in enumerate(axis) if f > 1) or "-"
                      for axis in spatial)
