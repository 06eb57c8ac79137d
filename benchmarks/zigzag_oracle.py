"""ZigZag oracle: run ZigZag's own pipeline (LOMA temporal-mapping search + cost model) and dump per-layer results.

Run with the ZigZag interpreter, not archgym's (imports only zigzag, the standard library and numpy):

    /work/zigzag-venv/bin/python benchmarks/zigzag_oracle.py                 # all 9 (hardware, network) pairs
    /work/zigzag-venv/bin/python benchmarks/zigzag_oracle.py --hw tpu_like --net resnet18 --max-layers 2

Writes benchmarks/data/zigzag/<hw>-<net>.json. For every layer it records the best LOMA candidate by energy and
the best by latency (ZigZag's MinimalEnergyStage / MinimalLatencyStage tie-breaks), each with its spatial and
temporal mapping, latency split, energy split and per-level per-operand access counts, plus the spread (min,
median, max) of energy and latency over every candidate LOMA evaluated. Field meanings: docs/zigzag-schema.md.
"""

from __future__ import annotations

import argparse
import copy
import importlib.metadata
import itertools
import json
import logging
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import zigzag
from zigzag.cost_model.cost_model import CostModelEvaluation
from zigzag.mapping.data_movement import DataDirection, DataMoveAttr
from zigzag.mapping.temporal_mapping import TemporalMappingType
from zigzag.stages.evaluation.cost_model_evaluation import CostModelStage
from zigzag.stages.main import MainStage
from zigzag.stages.mapping.spatial_mapping_generation import SpatialMappingGeneratorStage
from zigzag.stages.mapping.temporal_mapping_generator_stage import TemporalMappingGeneratorStage
from zigzag.stages.parser.accelerator_parser import AcceleratorParserStage
from zigzag.stages.parser.onnx_model_parser import ONNXModelParserStage
from zigzag.stages.parser.workload_parser import WorkloadParserStage
from zigzag.stages.stage import Stage, StageCallable
from zigzag.stages.workload_iterator import WorkloadStage
from zigzag.utils import open_yaml

INPUTS = Path(zigzag.__file__).parent / "inputs"
OUT_DIR = Path(__file__).parent / "data" / "zigzag"

# hardware name -> mapping file shipped with ZigZag (eyeriss_like ships no mapping; ZigZag's default.yaml is used)
HARDWARE = {"tpu_like": "tpu_like", "eyeriss_like": "default", "edge_tpu_like": "edge_tpu_like"}
NETWORKS = ("resnet18", "mobilenetv2", "bert_layer")

# ZigZag's API defaults (zigzag/api.py get_hardware_performance_zigzag), kept explicit and recorded in the output
SETTINGS = {
    "loma_lpf_limit": 6,
    "temporal_mapping_type": "uneven",
    "nb_mappings_generated": 3,
    "enable_mix_spatial_mapping_generation": False,
    "access_same_data_considered_as_no_access": True,
}

# Direction order of every 4-vector in the output (ZigZag's DataDirection enum order)
DIRECTIONS = [d.value for d in DataDirection]


def bert_layer(seq: int = 128, d_model: int = 768, heads: int = 12, ffn: int = 3072) -> list[dict[str, Any]]:
    """One BERT-base encoder layer as ZigZag GEMM layers (ZigZag's own ONNX Gemm/MatMul convention:
    O[d][k] += I[d][c] * W[c][k], D = tokens; attention adds a head dimension H and has no constant operand)."""
    prec = {"I": 8, "W": 8, "O": 16, "O_final": 8}  # ZigZag's ONNX defaults: 8-bit, partial sums 2x activation
    d_head = d_model // heads

    def linear(idx: int, name: str, c: int, k: int) -> dict[str, Any]:
        return {
            "id": idx, "name": name, "operator_type": "Gemm",
            "equation": "O[d][k]+=I[d][c]*W[c][k]",
            "loop_dims": ["D", "C", "K"], "loop_sizes": [seq, c, k],
            "operand_precision": dict(prec), "operand_source": {"I": max(idx - 1, 0), "W": idx},
        }

    def matmul(idx: int, name: str, c: int, k: int, sources: tuple[int, int]) -> dict[str, Any]:
        return {
            "id": idx, "name": name, "operator_type": "Gemm",
            "equation": "O[h][d][k]+=I[h][d][c]*W[h][c][k]",
            "loop_dims": ["H", "D", "C", "K"], "loop_sizes": [heads, seq, c, k],
            "operand_precision": dict(prec), "operand_source": {"I": sources[0], "W": sources[1]},
        }

    return [
        linear(0, "qkv", d_model, 3 * d_model),
        matmul(1, "attn_scores", d_head, seq, (0, 0)),  # Q (seq x d_head) . K^T (d_head x seq), per head
        matmul(2, "attn_values", seq, d_head, (1, 0)),  # P (seq x seq) . V (seq x d_head), per head
        linear(3, "proj", d_model, d_model),
        linear(4, "ffn_up", d_model, ffn),
        linear(5, "ffn_down", ffn, d_model),
    ]


def _r(x: float) -> float | int:
    """Integers stay integers; floats keep 6 significant digits (JSON stays small, ratios stay exact enough)."""
    if isinstance(x, int) or float(x).is_integer():
        return int(x)
    return float(f"{x:.6g}")


def _loops(levels: list[list[tuple[Any, Any]]]) -> list[list[list[Any]]]:
    return [[[str(dim), _r(size)] for dim, size in level] for level in levels]


def _per_operand(cme: CostModelEvaluation) -> dict[str, Any]:
    """Per layer operand, per memory level (innermost first): name, word accesses, elements moved, precision, energy."""
    out: dict[str, Any] = {}
    mapping = cme.mapping
    links = cme.layer.memory_operand_links
    for layer_op in cme.layer.layer_operands:
        mem_op = links.layer_to_mem_op(layer_op)
        levels = []
        for lv in range(mapping.mem_level[layer_op]):
            umdm = mapping.unit_mem_data_movement[layer_op][lv]
            amount = umdm.get_attribute(DataMoveAttr.DATA_TRANS_AMOUNT_PER_PERIOD)
            count = umdm.get_attribute(DataMoveAttr.DATA_TRANS_PERIOD_COUNT)
            prec = umdm.get_attribute(DataMoveAttr.DATA_PRECISION)
            units = mapping.spatial_mapping.unit_count[layer_op][lv + 1]
            acc = cme.memory_word_access[layer_op][lv]
            energy = cme.mem_energy_breakdown_further[layer_op][lv]
            levels.append({
                "mem": cme.accelerator.get_memory_level(mem_op, lv).name,
                "word_access": [_r(acc.get(d)) for d in DataDirection],
                "elem_moved": [_r(amount.get(d) * count.get(d) * units) for d in DataDirection],
                "precision": [_r(prec.get(d)) for d in DataDirection],
                "energy_pj": [_r(energy.get(d)) for d in DataDirection],
                "mem_util": _r(cme.mem_utili_individual[layer_op][lv]),
            })
        out[str(layer_op)] = {"mem_op": str(mem_op), "levels": levels}
    return out


def summarise(cme: CostModelEvaluation) -> dict[str, Any]:
    """The compact record of one cost-model evaluation (units: cycles, pJ, words/elements)."""
    tm = cme.temporal_mapping
    ops = cme.layer.layer_operands
    order = [[str(dim), _r(size)] for level in tm.mapping_dic_origin[ops[0]] for dim, size in level]
    stalls = {
        cme.mem_level_list[i].name: {port: _r(v) for port, v in ports.items() if v}
        for i, ports in enumerate(cme.stall_slack_comb_collect)
    }
    return {
        "spatial_mapping": {str(oa): {str(d): _r(f) for d, f in m.items()} for oa, m in cme.layer.spatial_mapping.items()},
        "spatial_per_level": {str(op): _loops(cme.spatial_mapping.mapping_dict_origin[op]) for op in ops},
        "spatial_per_level_int": {str(op): _loops(cme.spatial_mapping_int.mapping_dict_origin[op]) for op in ops},
        "loop_order": order,
        "temporal_mapping": {str(op): _loops(tm.mapping_dic_origin[op]) for op in ops},
        "temporal_mapping_stationary": {str(op): _loops(tm.mapping_dic_stationary[op]) for op in ops},
        "latency": {
            "ideal_cycle": _r(cme.ideal_cycle),
            "ideal_temporal_cycle": _r(cme.ideal_temporal_cycle),
            "stall_slack_comb": _r(cme.stall_slack_comb),
            "onloading": _r(cme.data_onloading_cycle),
            "offloading": _r(cme.data_offloading_cycle),
            "systolic_drain": _r(cme.systolic_drain_cycle),
            "total0": _r(cme.latency_total0),
            "total1": _r(cme.latency_total1),
            "total2": _r(cme.latency_total2),
        },
        "stall_slack_per_port": {m: p for m, p in stalls.items() if p},
        "utilization": {
            "spatial": _r(cme.mac_spatial_utilization),
            "with_stalls": _r(cme.mac_utilization0),
            "with_onloading": _r(cme.mac_utilization1),
            "with_offloading": _r(cme.mac_utilization2),
        },
        "energy_pj": {"mac": _r(cme.mac_energy), "mem": _r(cme.mem_energy), "total": _r(cme.energy_total)},
        "operands": _per_operand(cme),
    }


def describe_layer(layer: Any) -> dict[str, Any]:
    """Loop dimensions, relations, padding, precisions and operand links of a ZigZag LayerNode."""
    return {
        "id": layer.id,
        "name": layer.name,
        "type": layer.type,
        "equation": layer.equation.data,
        "loop_dims": {str(d): int(s) for d, s in layer.layer_dim_sizes.items()},
        "dimension_relations": [str(r) for r in layer.dimension_relations],
        "pr_dim_sizes": {str(d): int(s) for d, s in layer.pr_layer_dim_sizes.items()},
        "padding": {str(d): list(p) for d, p in layer.padding.data.items()},
        "operand_precision": {str(op): int(p) for op, p in layer.operand_precision.data.items()},
        "memory_operand_links": {str(op): str(m) for op, m in layer.memory_operand_links.data.items()},
        "constant_operands": [str(op) for op in layer.constant_operands],
        "total_mac_count": int(layer.total_mac_count),
        "operand_size_elem": {str(op): _r(s) for op, s in layer.operand_size_elem.items()},
    }


def _spread(values: list[float]) -> dict[str, float | int]:
    return {"min": _r(min(values)), "median": _r(statistics.median(values)), "max": _r(max(values))}


def _better_energy(a: CostModelEvaluation, b: CostModelEvaluation | None) -> bool:
    """ZigZag's MinimalEnergyStage rule (energy, then latency)."""
    return b is None or (a.energy_total, a.latency_total2) < (b.energy_total, b.latency_total2)


def _better_latency(a: CostModelEvaluation, b: CostModelEvaluation | None) -> bool:
    """ZigZag's MinimalLatencyStage rule (latency, then energy)."""
    return b is None or (a.latency_total2, a.energy_total) < (b.latency_total2, b.energy_total)


@dataclass
class Recorder:
    """Per-run store of layer records; travels down ZigZag's stages as the `recorder` keyword."""

    mapping_names: set[str]  # layer names the mapping file has entries for (ZigZag matches names first)
    records: list[dict[str, Any]] = field(default_factory=list)
    done: dict[str, tuple[dict[str, Any], CostModelEvaluation]] = field(default_factory=dict)

    def key(self, layer: Any) -> str:
        """Everything ZigZag's search and cost model read from a layer, except its id (and its name, unless the
        mapping file has an entry of that name)."""
        desc = describe_layer(layer)
        named = desc["name"] in self.mapping_names
        return json.dumps({k: v for k, v in desc.items() if k != "id" and (named or k != "name")}, sort_keys=True)


class LayerRecordStage(Stage):
    """Sits under WorkloadStage: runs one layer's whole search, records it and yields the best-latency CME.
    A layer identical to an earlier one (same dims, relations, padding, precisions, links) reuses its result,
    marked with `duplicate_of`: ZigZag's search and cost model are deterministic."""

    def __init__(self, list_of_callables: list[StageCallable], *, layer: Any, recorder: Recorder, **kwargs: Any):
        super().__init__(list_of_callables, layer=layer, **kwargs)
        self.layer = layer
        self.recorder = recorder

    def run(self) -> Iterator[tuple[CostModelEvaluation, Any]]:
        key = self.recorder.key(self.layer)
        if key in self.recorder.done:
            first, cme = self.recorder.done[key]
            self.recorder.records.append({
                **first, "layer": describe_layer(self.layer), "duplicate_of": first["layer"]["name"]})
            yield cme, None
            return
        start, cpu_start = time.perf_counter(), time.process_time()
        sub = self.list_of_callables[0](self.list_of_callables[1:], **self.kwargs)
        best_e: CostModelEvaluation | None = None
        best_l: CostModelEvaluation | None = None
        energies: list[float] = []
        latencies: list[float] = []
        n_spatial = 0
        for cme, (_, stats) in sub.run():
            n_spatial += 1
            energies += stats["energies"]
            latencies += stats["latencies"]
            if _better_energy(stats["best_energy"], best_e):
                best_e = stats["best_energy"]
            if _better_latency(stats["best_latency"], best_l):
                best_l = stats["best_latency"]
        assert best_e is not None and best_l is not None
        record = {
            "layer": describe_layer(self.layer),
            "wall_time_s": round(time.perf_counter() - start, 3),
            "cpu_time_s": round(time.process_time() - cpu_start, 3),
            "candidates": {
                "n_temporal": len(energies),
                "n_spatial": n_spatial,
                "energy_pj": _spread(energies),
                "latency_cycles": _spread(latencies),
            },
            "best_energy": summarise(best_e),
            "best_latency": summarise(best_l),
        }
        self.recorder.records.append(record)
        self.recorder.done[key] = (record, best_l)
        yield best_l, None


class CandidateStatsStage(Stage):
    """Sits above the temporal-mapping generator: sees every LOMA candidate of one spatial mapping."""

    def run(self) -> Iterator[tuple[CostModelEvaluation, Any]]:
        sub = self.list_of_callables[0](self.list_of_callables[1:], **self.kwargs)
        best_e: CostModelEvaluation | None = None
        best_l: CostModelEvaluation | None = None
        energies: list[float] = []
        latencies: list[float] = []
        for cme, _ in sub.run():
            energies.append(cme.energy_total)
            latencies.append(cme.latency_total2)
            if _better_energy(cme, best_e):
                best_e = cme
            if _better_latency(cme, best_l):
                best_l = cme
        assert best_l is not None
        yield best_l, {"energies": energies, "latencies": latencies, "best_energy": best_e, "best_latency": best_l}


def run_zigzag(accelerator: str, mapping: str, workload: Any, max_layers: int | None = None
               ) -> tuple[list[dict[str, Any]], float, float]:
    """ZigZag's API pipeline with the recording stages inserted; returns (layer records, wall s, CPU s)."""
    parser = ONNXModelParserStage if isinstance(workload, str) and workload.endswith(".onnx") else WorkloadParserStage
    recorder = Recorder({entry["name"] for entry in WorkloadParserStage.parse_mapping_data(mapping)})

    class LimitedWorkloadStage(WorkloadStage):
        def run(self) -> Iterator[tuple[Any, Any]]:
            for i, item in enumerate(super().run()):
                yield item
                if max_layers is not None and i + 1 >= max_layers:
                    return

    stages = [
        parser,
        AcceleratorParserStage,
        LimitedWorkloadStage,
        LayerRecordStage,
        SpatialMappingGeneratorStage,
        CandidateStatsStage,
        TemporalMappingGeneratorStage,
        CostModelStage,
    ]
    start, cpu_start = time.perf_counter(), time.process_time()
    MainStage(
        stages,
        accelerator=accelerator,
        workload=workload,
        mapping=mapping,
        recorder=recorder,
        loma_lpf_limit=SETTINGS["loma_lpf_limit"],
        loma_show_progress_bar=False,
        nb_mappings_generated=SETTINGS["nb_mappings_generated"],
        enable_mix_spatial_mapping_generation=SETTINGS["enable_mix_spatial_mapping_generation"],
        access_same_data_considered_as_no_access=SETTINGS["access_same_data_considered_as_no_access"],
        temporal_mapping_type=TemporalMappingType(SETTINGS["temporal_mapping_type"]),
    ).run()
    return recorder.records, time.perf_counter() - start, time.process_time() - cpu_start


def _machine(wall: float, cpu: float) -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "loadavg_1min_end": round(os.getloadavg()[0], 2),
            "wall_time_s": round(wall, 2), "cpu_time_s": round(cpu, 2)}


def run_pair(hw: str, net: str, max_layers: int | None) -> dict[str, Any]:
    """Run ZigZag's pipeline for one (hardware, network) pair and return the JSON document."""
    mapping = str(INPUTS / "mapping" / f"{HARDWARE[hw]}.yaml")
    workload: Any = bert_layer() if net == "bert_layer" else str(INPUTS / "workload" / f"{net}.onnx")
    if max_layers is not None and net == "bert_layer":
        workload = workload[:max_layers]
    layers, wall, cpu = run_zigzag(str(INPUTS / "hardware" / f"{hw}.yaml"), mapping, workload, max_layers)
    return {
        "zigzag_version": importlib.metadata.version("zigzag-dse"),
        "hardware": f"zigzag/inputs/hardware/{hw}.yaml",
        "mapping": f"zigzag/inputs/mapping/{HARDWARE[hw]}.yaml",
        "workload": "bert_layer() in benchmarks/zigzag_oracle.py" if net == "bert_layer"
        else f"zigzag/inputs/workload/{net}.onnx",
        "settings": SETTINGS,
        "directions": DIRECTIONS,
        "units": {"energy": "pJ", "latency": "cycles", "word_access": "memory words of the port's bandwidth_max bits",
                  "elem_moved": "operand elements (at 'precision' bits each)"},
        "machine": _machine(wall, cpu),
        "n_unique_layers": sum("duplicate_of" not in r for r in layers),
        "totals": {
            "best_energy_pj": _r(sum(r["best_energy"]["energy_pj"]["total"] for r in layers)),
            "best_latency_cycles": _r(sum(r["best_latency"]["latency"]["total2"] for r in layers)),
        },
        "layers": layers,
    }


# Design sweep for ranking checks: tpu_like.yaml with these edits, mapping D1: K d1, D2: C d2
SWEEP_ARRAYS = [(8, 8), (16, 16), (32, 32), (64, 64), (128, 128), (16, 64), (64, 16), (32, 128), (128, 32),
                (256, 16), (16, 256), (64, 128), (128, 64)]
SWEEP_SRAM_BITS = [64 * 1024 * 8, 2 * 1024 * 1024 * 8]
SWEEP_DRAM_BW = [64, 256]


def resnet18_layer3_conv2() -> dict[str, Any]:
    """ResNet-18 layer3.x 3x3 conv (256 -> 256 channels, 14x14) in ZigZag's ONNX conv format (conv_parser.py)."""
    return {
        "id": 0, "name": "layer3_conv2", "operator_type": "Conv",
        "equation": "O[b][g][k][oy][ox]+=W[g][k][c][fy][fx]*I[b][g][c][iy][ix]",
        "loop_dims": ["B", "K", "G", "OX", "OY", "C", "FX", "FY"], "loop_sizes": [1, 256, 1, 14, 14, 256, 3, 3],
        "dimension_relations": ["ix=1*ox+1*fx", "iy=1*oy+1*fy"],
        "operand_precision": {"W": 8, "I": 8, "O_final": 8, "O": 16}, "operand_source": {"W": 0, "I": 0},
        "pr_loop_dims": ["IX", "IY"], "pr_loop_sizes": [14, 14], "padding": [[1, 1], [1, 1]],
    }


def run_sweep(out: Path) -> Path:
    """ZigZag on len(SWEEP_ARRAYS) x len(SWEEP_SRAM_BITS) x len(SWEEP_DRAM_BW) tpu_like variants, one layer."""
    base = open_yaml(str(INPUTS / "hardware" / "tpu_like.yaml"))
    layer = resnet18_layer3_conv2()
    designs = []
    start, cpu_start = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        for (d1, d2), sram, dram_bw in itertools.product(SWEEP_ARRAYS, SWEEP_SRAM_BITS, SWEEP_DRAM_BW):
            hw = copy.deepcopy(base)
            hw["operational_array"]["sizes"] = [d1, d2]
            hw["memories"]["sram_2MB"]["size"] = sram
            hw["memories"]["dram"]["ports"][0].update(bandwidth_min=dram_bw, bandwidth_max=dram_bw)
            mapping = [{"name": "default", "spatial_mapping": {"D1": [f"K, {d1}"], "D2": [f"C, {d2}"]},
                        "memory_operand_links": {"O": "O", "W": "I2", "I": "I1"}}]
            hw_path, map_path = Path(tmp) / "hw.yaml", Path(tmp) / "map.yaml"
            hw_path.write_text(json.dumps(hw))  # JSON is YAML
            map_path.write_text(json.dumps(mapping))
            (rec,), _, cpu = run_zigzag(str(hw_path), str(map_path), [layer])
            designs.append({
                "array": [d1, d2], "sram_bits": sram, "dram_bw_bits": dram_bw, "cpu_time_s": round(cpu, 3),
                "candidates": rec["candidates"],
                **{which: {key: rec[which][key] for key in ("spatial_mapping", "loop_order", "temporal_mapping",
                                                             "latency", "energy_pj")}
                   for which in ("best_energy", "best_latency")},
            })
            print(f"array {d1}x{d2} sram {sram // 8192} KB dram {dram_bw} b/cc: "
                  f"{rec['best_latency']['latency']['total2']} cc, {rec['best_energy']['energy_pj']['total']:.4g} pJ")
    doc = {
        "zigzag_version": importlib.metadata.version("zigzag-dse"),
        "hardware": "zigzag/inputs/hardware/tpu_like.yaml with operational_array.sizes = array, "
                    "memories.sram_2MB.size = sram_bits, memories.dram port bandwidth_min = bandwidth_max = dram_bw_bits",
        "mapping": "one 'default' entry: spatial_mapping D1: [K, array[0]], D2: [C, array[1]]; "
                   "memory_operand_links O: O, W: I2, I: I1",
        "layer": layer,
        "settings": SETTINGS,
        "units": {"energy": "pJ", "latency": "cycles"},
        "machine": _machine(time.perf_counter() - start, time.process_time() - cpu_start),
        "designs": designs,
    }
    path = out / "sweep-tpu_like-resnet18_layer3_conv2.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({k: v for k, v in doc.items() if k != "designs"}, indent=1)[:-2] + ',\n "designs": [\n'
                    + ",\n".join(json.dumps(d, separators=(",", ":")) for d in designs) + "\n ]\n}\n")
    json.loads(path.read_text())
    return path


def dump(doc: dict[str, Any], path: Path) -> None:
    """Compact JSON: the header on its own lines, then one line per layer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    head = {k: v for k, v in doc.items() if k != "layers"}
    body = ",\n".join(json.dumps(r, separators=(",", ":")) for r in doc["layers"])
    text = json.dumps(head, indent=1)[:-2] + ',\n "layers": [\n' + body + "\n ]\n}\n"
    json.loads(text)  # the hand-joined document must still be valid JSON
    path.write_text(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hw", choices=sorted(HARDWARE), action="append", help="hardware (repeatable; default all)")
    ap.add_argument("--net", choices=NETWORKS, action="append", help="network (repeatable; default all)")
    ap.add_argument("--max-layers", type=int, default=None, help="only the first N layers (smoke runs)")
    ap.add_argument("--out", type=Path, default=OUT_DIR, help="output folder")
    ap.add_argument("--sweep", action="store_true", help="only the hardware-design sweep (ranking oracle)")
    args = ap.parse_args()
    logging.disable(logging.WARNING)  # ZigZag logs every layer at INFO and warns on each default-mapping fallback
    if args.sweep:
        print(run_sweep(args.out))
        return
    for hw in args.hw or list(HARDWARE):
        for net in args.net or list(NETWORKS):
            doc = run_pair(hw, net, args.max_layers)
            path = args.out / f"{hw}-{net}.json"
            dump(doc, path)
            print(f"{path}: {len(doc['layers'])} layers, {doc['machine']['wall_time_s']} s, "
                  f"energy {doc['totals']['best_energy_pj']:.4g} pJ, latency {doc['totals']['best_latency_cycles']} cc")


if __name__ == "__main__":
    main()
