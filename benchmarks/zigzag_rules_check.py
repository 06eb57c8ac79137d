"""The cost-model rules of docs/zigzag-schema.md §4-5, executed and checked against the ZigZag oracle data.

For every (non-duplicate) layer record in benchmarks/data/zigzag/*.json, re-derive each operand's per-level
element moves and word accesses, energy, every port's stall/slack, on/off-loading, systolic drain and latency_total2 from
the recorded mapping and the hardware YAML in tests/data/zigzag/, and compare with what ZigZag computed. Needs only the standard library and PyYAML (archgym's venv):

    .venv/bin/python benchmarks/zigzag_rules_check.py                  # all oracle files
    .venv/bin/python benchmarks/zigzag_rules_check.py FILE.json --show  # print every inexact record
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from math import ceil, gcd, prod
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data" / "zigzag"
HARDWARE = ROOT / "tests" / "data" / "zigzag" / "hardware"
DIRECTIONS = ("rd_out_to_low", "wr_in_by_low", "rd_out_to_high", "wr_in_by_high")
ALLOCATION_CODE = {"rd_out_to_low": "tl", "wr_in_by_low": "fl", "rd_out_to_high": "th", "wr_in_by_high": "fh"}
Loops = list[tuple[str, float]]


class Layer:
    """Relevancy and footprints of one ZigZag layer record (§3)."""

    def __init__(self, rec: dict[str, Any]):
        self.rec = rec
        self.dims = {op: [d.upper() for d in re.findall(r"\[(\w+)\]", idx)]
                     for op, idx in re.findall(r"([A-Z])((?:\[\w+\])+)", rec["equation"])}
        self.rel: dict[str, tuple[int, str, int, str]] = {}
        for text in rec["dimension_relations"]:
            m = re.fullmatch(r"(\w+) = (\d+)\*(\w+) \+ (\d+)\*(\w+)", text)
            assert m, f"dimension relation {text!r} not of the form 'IX = s*OX + d*FX'"
            self.rel[m[1]] = (int(m[2]), m[3], int(m[4]), m[5])

    def relevant(self, op: str, dim: str) -> bool:
        """True if `dim` is relevant or partially relevant to operand `op`."""
        return dim in self.dims[op] or any(dim in (v[1], v[3]) for k, v in self.rel.items() if k in self.dims[op])

    def footprint(self, op: str, loops: Loops) -> float:
        """Elements of `op` touched by `loops` (sliding-window rule for pr dims on truncated factors, clipped to the
        unpadded size)."""
        cum: dict[str, float] = {}
        for dim, size in loops:
            cum[dim] = cum.get(dim, 1) * size
        size = 1.0
        for dim in self.dims[op]:
            if dim in self.rel:
                sa, a_dim, sb, b_dim = self.rel[dim]
                a, b, g = int(cum.get(a_dim, 1)), int(cum.get(b_dim, 1)), gcd(sa, sb)  # ZigZag truncates (layer_node.py:278)
                size *= min(self.rec["pr_dim_sizes"][dim], a * b - max(0, b - sa // g) * (a - sb // g))
            else:
                size *= cum.get(dim, 1)
        return size


def merge_down(layer: Layer, op: str, temporal: list[Loops]) -> tuple[list[Loops], float]:
    """Stationarity merge-down (temporal_mapping.py:61-111): returns the merged levels and mac_st."""
    prev = [list(level) for level in temporal]
    while True:
        merged: list[Loops] = [[] for _ in prev]
        rest = [list(level) for level in prev]
        mac_st = 1.0
        for lv, loops in enumerate(prev):
            for loop in loops:
                if layer.relevant(op, loop[0]):
                    merged[lv].extend(rest[lv])
                    break
                merged[max(lv - 1, 0)].append(loop)
                rest[lv].remove(loop)
                if lv == 0:
                    mac_st *= loop[1]
        if merged == prev:
            return merged, mac_st
        prev = merged


class OperandFlow:
    """One operand's transfers per memory level under a recorded mapping (§4): direction -> (amount, period, bits)."""

    def __init__(self, layer: Layer, op: str, rec: dict[str, Any], spatial_key: str = "spatial_per_level"):
        self.layer, self.op = layer, op
        self.temporal, self.mac_st = merge_down(layer, op, [[tuple(x) for x in lv] for lv in rec["temporal_mapping"][op]])
        self.spatial: list[Loops] = [[tuple(x) for x in lv] for lv in rec[spatial_key][op]]
        self.n = len(self.temporal)
        prec = layer.rec["operand_precision"]
        self.moves: list[dict[str, tuple[float, float, int]]] = []
        for m in range(self.n):
            moves: dict[str, tuple[float, float, int]] = {}
            if op != "O":
                moves["rd_out_to_low"] = (self.tile(m - 1) * self.boost(m), self.period(m - 1), prec[op])
                moves["wr_in_by_high"] = (self.tile(m), self.period(m), prec[op])
            else:
                bits = prec["O" if self.psum(m) else "O_final"]
                moves["wr_in_by_low"] = (int(self.tile(m - 1) * self.boost(m)), self.period(m - 1), bits)
                if self.psum(m):
                    moves["rd_out_to_low"] = moves["wr_in_by_low"]
                moves["rd_out_to_high"] = (self.tile(m), self.period(m), prec["O" if self.psum(m + 1) else "O_final"])
                if self.psum(m + 1):
                    moves["wr_in_by_high"] = moves["rd_out_to_high"]
            if m == self.n - 1:  # the top level talks to nobody above (mapping.py:670-677)
                moves.pop("rd_out_to_high", None)
                moves.pop("wr_in_by_high", None)
            self.moves.append(moves)

    def period(self, m: int) -> float:
        """Temporal loops at levels <= m; below level 0: mac_st (inputs) or 1 (outputs)."""
        if m < 0:
            return 1 if self.op == "O" else self.mac_st
        return prod(s for lv in self.temporal[: m + 1] for _, s in lv)

    def tile(self, m: int) -> int:
        loops = [x for lv in self.temporal[: m + 1] + self.spatial[: m + 1] for x in lv]
        return 1 if m < 0 else round(self.layer.footprint(self.op, loops))

    def boost(self, m: int) -> int:
        return round(self.layer.footprint(self.op, [x for lv in self.spatial[: m + 1] for x in lv])
                     / self.layer.footprint(self.op, [x for lv in self.spatial[:m] for x in lv]))

    def inst(self, m: int) -> int:
        return round(round(prod(s for lv in self.spatial[m + 1:] for _, s in lv), 3))

    def psum(self, m: int) -> bool:
        loops = self.temporal[m:] + self.spatial[m + 1:]
        return m < self.n and any(not self.layer.relevant("O", d) and s > 1 for lv in loops for d, s in lv)

    def top_loops(self, m: int, keep: Callable[[str], bool]) -> float:
        """Product of the outermost loops of level m (after merge-down) while `keep(dim)` holds."""
        size = 1.0
        for dim, factor in reversed(self.temporal[m]):
            if not keep(dim):
                break
            size *= factor
        return size

    def effective_utilization(self, m: int, mem_bits: int) -> float:
        """Tile bits of level m without its top relevant loops, over the memory size (mapping.py:309-329)."""
        bits = level_bits(self, m)
        strict_r = [d for d in self.layer.dims[self.op] if d not in self.layer.rel]
        return (self.tile(m) * bits // self.top_loops(m, lambda d: d in strict_r)) / mem_bits


def derive_counts(flow: OperandFlow, ports: Callable[[int, str], tuple[int, int]],
                  total_cycles: float) -> list[tuple[list[float], list[int]]]:
    """Per memory level: (elements moved, word accesses) in DIRECTIONS order (§4)."""
    levels = []
    for m, moves in enumerate(flow.moves):
        elems, words = [], []
        for direction in DIRECTIONS:
            amount, per, bits = moves.get(direction, (0, 1, 0))
            count = total_cycles // per
            elems.append(amount * count * flow.inst(m))
            if amount:
                bw_min, bw_max = ports(m, direction)
                words.append(int(ceil(amount * bits / bw_min) * (bw_min / bw_max) * count * flow.inst(m)))
            else:
                words.append(0)
        levels.append((elems, words))
    return levels


def derive_stalls(flows: dict[str, OperandFlow], flows_int: dict[str, OperandFlow], rec: dict[str, Any],
                  hw: dict[str, Any], total_cycles: float) -> dict[str, dict[str, float]]:
    """Per memory, per port: ZigZag's stall (+) / slack (-) cycles (§5, cost_model.py:635-807). The double-buffer
    test uses the fractional spatial mapping (`flows`), the transfers the integer one (`flows_int`)."""
    level_of = {(rec["operands"][op]["mem_op"], data["mem"]): (op, m)
                for op, flow in flows.items() for m, data in enumerate(rec["operands"][op]["levels"])}
    # double-buffer flags in ZigZag's operand order, shared memories summing their operands' utilisations
    shared_util: dict[str, float] = {}
    for op, flow in flows.items():
        for m, data in enumerate(rec["operands"][op]["levels"]):
            shared_util[data["mem"]] = shared_util.get(data["mem"], 0) + flow.effective_utilization(
                m, hw["memories"][data["mem"]]["size"])
    db: dict[str, list[bool]] = {}
    for op, flow in flows.items():
        db[op] = [False]
        for m, data in enumerate(rec["operands"][op]["levels"]):
            own = flow.effective_utilization(m, hw["memories"][data["mem"]]["size"])
            shared = shared_util[data["mem"]]
            db[op].append(shared <= 0.5 or own <= 1 - shared)
            if shared > 0.5 and own <= 1 - shared:
                shared_util[data["mem"]] += own
    result: dict[str, dict[str, float]] = {}
    for mem_name, mem in hw["memories"].items():
        for port in mem["ports"]:
            acts = []  # (real, allowed, period, count)
            for alloc in port["allocation"]:
                mem_op, code = alloc.split(", ")
                if (mem_op, mem_name) not in level_of:
                    continue
                op, m = level_of[(mem_op, mem_name)]
                flow = flows_int[op]
                direction = next(d for d, c in ALLOCATION_CODE.items() if c == code)
                if direction not in flow.moves[m]:
                    continue
                amount, per, bits = flow.moves[m][direction]
                count = total_cycles // per
                upper = direction.endswith("high")
                level = m + 1 if upper else m  # index into [MAC] + levels: the level being updated
                ir = (lambda d, op=op: not flows[op].layer.relevant(op, d))
                top_ir = flow.top_loops(level - 1, ir) if level > 0 else 1
                allowed = per if db[op][level] else int(per / top_ir)
                acts.append((ceil(amount * bits / port["bandwidth_max"]), allowed, per, count))
            if not acts:
                continue
            stalls = [(real - allowed) * (count - 1) for real, allowed, _, count in acts]
            if len(acts) == 1:
                value = stalls[0]
            else:
                windows = sum(allowed * (count - 1) for _, allowed, _, count in acts)
                value = sum(x for x in stalls if x > 0) + max(
                    0, sum(x for x in stalls if x <= 0) + windows - window_union(acts))
            if value:
                result.setdefault(mem_name, {})[port["name"]] = value
    return result


def derive_latency(flows: dict[str, OperandFlow], flows_int: dict[str, OperandFlow], rec: dict[str, Any],
                   hw: dict[str, Any], total_cycles: float, stall: float) -> dict[str, float]:
    """ZigZag's on-loading, off-loading, systolic drain and latency_total2 (§5, cost_model.py:809-1132)."""
    level_of = {(rec["operands"][op]["mem_op"], data["mem"]): (op, m)
                for op, flow in flows.items() for m, data in enumerate(rec["operands"][op]["levels"])}
    once: dict[str, tuple[float, bool]] = {}  # "<op><level>_<direction>" -> (cycles, port shared by I1 and I2)
    for mem_name, mem in hw["memories"].items():
        for port in mem["ports"]:
            shared = len({a.split(", ")[0] for a in port["allocation"]} & {"I1", "I2"}) > 1
            single, periodic = [], []
            for alloc in port["allocation"]:
                mem_op, code = alloc.split(", ")
                direction = next(d for d, c in ALLOCATION_CODE.items() if c == code)
                if (mem_op, mem_name) not in level_of or (mem_op == "O" and direction in ("rd_out_to_low", "wr_in_by_high")):
                    continue
                op, m = level_of[(mem_op, mem_name)]
                if direction not in flows_int[op].moves[m]:
                    continue
                amount, per, bits = flows_int[op].moves[m][direction]
                real = ceil(amount * bits / port["bandwidth_max"])
                entry = (op, m, direction, real, int(amount * bits / per))
                (single if total_cycles // per == 1 else periodic).append(entry)
            for op, m, direction, real, _ in periodic:
                once[f"{op}{m}_{direction}"] = (real, shared)
            if single:
                busy = sum(bw for *_, bw in periodic)
                surplus = max(0.0, (port["bandwidth_max"] - busy) / port["bandwidth_max"] * (total_cycles + stall))
                floor = [ceil(flows_int[op].tile(0) * level_bits(flows_int[op], 0) / port["bandwidth_max"])
                         for op, *_ in single]
                left = reduce_ordered([e[3] for e in single], floor, surplus)
                for (op, m, direction, *_), cycles in zip(single, left):
                    once[f"{op}{m}_{direction}"] = (cycles, shared)
    parts = {op: {"sep": 0.0, "shared": 0.0, "half": 0.0} for op in flows if op != "O"}
    for op, part in parts.items():
        for m in range(flows[op].n - 1):
            (c1, s1), (c2, s2) = once[f"{op}{m}_wr_in_by_high"], once[f"{op}{m + 1}_rd_out_to_low"]
            if s1 and s2:
                part["shared"] += max(c1, c2)
            elif not s1 and not s2:
                part["sep"] += max(c1, c2)
            else:
                part["half"] = max(c1, c2)  # assigned, not summed, as in ZigZag
    a, b = parts.values()  # two input operands (every layer here)
    onloading = min(x["shared"] + max(y["shared"] + y["half"] + y["sep"], x["half"] + x["sep"])
                    for x, y in ((a, b), (b, a)))
    offloading = sum(max(once[f"O{m}_rd_out_to_high"][0], once[f"O{m + 1}_wr_in_by_low"][0])
                     for m in range(flows["O"].n - 1))
    systolic = hw["operational_array"].get("systolic_dimensions", [])
    drain = sum(max(ceil(prod(f for f in rec["spatial_mapping"][d].values())) - 1, 0)
                for d in systolic if d in rec["spatial_mapping"])
    return {"onloading": onloading, "offloading": offloading, "systolic_drain": drain,
            "total2": total_cycles + stall + onloading + offloading + drain}


def level_bits(flow: OperandFlow, m: int) -> int:
    """Bits per element ZigZag uses for the data held at memory level m (O: psum flag of level m + 1, a quirk)."""
    prec = flow.layer.rec["operand_precision"]
    return prec[flow.op] if flow.op != "O" else prec["O" if flow.psum(m + 1) else "O_final"]


def reduce_ordered(cycles: list[float], floor: list[float], budget: float) -> list[float]:
    """Hide up to `budget` cycles, largest transfer first, never below `floor` (cost_model.py:1195-1231)."""
    left = list(cycles)
    for i in sorted(range(len(left)), key=lambda j: left[j], reverse=True):
        cut = min(max(0.0, left[i] - floor[i]), budget)
        left[i] -= cut
        budget -= cut
    return left


def window_union(acts: list[tuple[float, float, float, float]]) -> float:
    """Union of the ports' memory-updating windows (cost_model.py:396-439)."""
    for _, allowed, per, count in acts:
        if per == allowed:
            return per * count
    longest = max(acts, key=lambda a: a[2])
    used = [False] * int(longest[2])
    for _, allowed, per, _ in acts:
        for start in range(0, int(longest[2]), int(per)):
            for t in range(start, start + int(allowed)):
                used[t] = True
    return sum(used) * longest[3]


def check_file(path: Path, show: bool) -> tuple[int, int, int, int, int, int, int]:
    """Returns (level-operand records, exact, within 2%, mappings, mappings with exact per-port stalls, mappings
    with exact on/off-loading, drain and latency_total2, mappings with energy_total within 1e-5) over both recorded
    mappings of every non-duplicate layer."""
    doc = json.loads(path.read_text())
    hw = yaml.safe_load((HARDWARE / Path(doc["hardware"]).name).read_text())
    total = exact = close = stalls_total = stalls_exact = lat_total = lat_exact = energy_close = 0
    for record in doc["layers"]:
        if "duplicate_of" in record:
            continue
        layer = Layer(record["layer"])
        for which in ("best_energy", "best_latency"):
            rec = record[which]
            cycles = prod(s for lv in rec["temporal_mapping"]["O"] for _, s in lv)
            flows = {op: OperandFlow(layer, op, rec) for op in rec["operands"]}
            stalls_total += 1
            flows_int = {op: OperandFlow(layer, op, rec, "spatial_per_level_int") for op in rec["operands"]}
            stalls = derive_stalls(flows, flows_int, rec, hw, cycles)
            comb = max([0.0] + [v for ports in stalls.values() for v in ports.values()])
            stalls_exact += stalls == rec["stall_slack_per_port"] and comb == rec["latency"]["stall_slack_comb"]
            if show and stalls != rec["stall_slack_per_port"]:
                print(path.name, layer.rec["name"], which, "stalls", stalls, rec["stall_slack_per_port"])
            lat = derive_latency(flows, flows_int, rec, hw, cycles, comb)
            lat_total += 1
            lat_exact += all(lat[k] == rec["latency"][k] for k in lat)
            if show and any(lat[k] != rec["latency"][k] for k in lat):
                print(path.name, layer.rec["name"], which, "latency", lat, {k: rec["latency"][k] for k in lat})
            energy = hw["operational_array"]["unit_energy"] * prod(layer.rec["loop_dims"].values())
            for op, data in rec["operands"].items():
                def ports(m: int, direction: str, data: dict[str, Any] = data) -> tuple[int, int]:
                    want = f"{data['mem_op']}, {ALLOCATION_CODE[direction]}"
                    port = next(p for p in hw["memories"][data["levels"][m]["mem"]]["ports"] if want in p["allocation"])
                    return port["bandwidth_min"], port["bandwidth_max"]

                for m, (elems, words) in enumerate(derive_counts(flows[op], ports, cycles)):
                    got = data["levels"][m]
                    mem = hw["memories"][got["mem"]]
                    energy += sum(w * mem["r_cost" if d.startswith("rd") else "w_cost"] for w, d in zip(words, DIRECTIONS))
                    total += 1
                    same = [round(e) for e in elems] == got["elem_moved"] and words == got["word_access"]
                    exact += same
                    close += all(abs(a - b) <= 0.02 * max(b, 1) + 1 for a, b in
                                 zip(elems + words, got["elem_moved"] + got["word_access"]))
                    if show and not same:
                        print(path.name, layer.rec["name"], which, op, got["mem"], "elems",
                              [round(e) for e in elems], got["elem_moved"], "words", words, got["word_access"])
            energy_close += abs(energy - rec["energy_pj"]["total"]) <= 1e-5 * rec["energy_pj"]["total"]
    return total, exact, close, stalls_total, stalls_exact, lat_exact, energy_close


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path, help="oracle JSON files (default: all)")
    ap.add_argument("--show", action="store_true", help="print every record that is not reproduced exactly")
    args = ap.parse_args()
    totals = [0] * 7
    for path in args.files or sorted(DATA.glob("*-*.json")):
        if path.name.startswith("sweep-"):
            continue
        result = check_file(path, args.show)
        totals = [t + r for t, r in zip(totals, result)]
        print(f"{path.name}: counts {result[1]}/{result[0]} exact, {result[2]}/{result[0]} within 2%; "
              f"stalls {result[4]}/{result[3]} exact; latency {result[5]}/{result[3]} exact; "
              f"energy {result[6]}/{result[3]}")
    print(f"all: {totals[1]}/{totals[0]} level-operand records exact, {totals[2]}/{totals[0]} within 2%; "
          f"per-port stalls and stall_slack_comb exact on {totals[4]}/{totals[3]} mappings, "
          f"on/off-loading, drain and latency_total2 on {totals[5]}/{totals[3]}, energy_total (1e-5) on {totals[6]}/{totals[3]}")


if __name__ == "__main__":
    main()
