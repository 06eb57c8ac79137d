"""The access-count rules of docs/zigzag-schema.md §4, executed and checked against the ZigZag oracle data.

For every (non-duplicate) layer record in benchmarks/data/zigzag/*.json, re-derive each operand's per-level
element moves and word accesses from the recorded mapping and the hardware YAML in tests/data/zigzag/, and compare
with what ZigZag computed. Needs only the standard library and PyYAML (archgym's venv):

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


def derive_operand(layer: Layer, op: str, rec: dict[str, Any], ports: Callable[[int, str], tuple[int, int]],
                   total_cycles: float) -> list[tuple[list[float], list[int]]]:
    """Per memory level of `op`: (elements moved, word accesses) in DIRECTIONS order (§4)."""
    temporal, mac_st = merge_down(layer, op, [[tuple(x) for x in lv] for lv in rec["temporal_mapping"][op]])
    spatial: list[Loops] = [[tuple(x) for x in lv] for lv in rec["spatial_per_level"][op]]
    n = len(temporal)
    prec = layer.rec["operand_precision"]

    def period(m: int) -> float:  # temporal loops at levels <= m; below level 0: mac_st (inputs) or 1 (outputs)
        return prod(s for lv in temporal[: m + 1] for _, s in lv) if m >= 0 else (1 if op == "O" else mac_st)

    def tile(m: int) -> int:
        return 1 if m < 0 else round(layer.footprint(op, [x for lv in temporal[: m + 1] + spatial[: m + 1] for x in lv]))

    def boost(m: int) -> int:
        return round(layer.footprint(op, [x for lv in spatial[: m + 1] for x in lv])
                     / layer.footprint(op, [x for lv in spatial[:m] for x in lv]))

    def inst(m: int) -> int:
        return round(round(prod(s for lv in spatial[m + 1:] for _, s in lv), 3))

    def psum(m: int) -> bool:
        ir = [s for lv in temporal[m:] + spatial[m + 1:] for d, s in lv if not layer.relevant("O", d) and s > 1]
        return m < n and bool(ir)

    levels = []
    for m in range(n):
        moves: dict[str, tuple[float, float, int]] = {}  # direction -> (amount per period, period, precision)
        if op != "O":
            moves["rd_out_to_low"] = (tile(m - 1) * boost(m), period(m - 1), prec[op])
            moves["wr_in_by_high"] = (tile(m), period(m), prec[op])
        else:
            moves["wr_in_by_low"] = (int(tile(m - 1) * boost(m)), period(m - 1), prec["O" if psum(m) else "O_final"])
            if psum(m):
                moves["rd_out_to_low"] = moves["wr_in_by_low"]
            moves["rd_out_to_high"] = (tile(m), period(m), prec["O" if psum(m + 1) else "O_final"])
            if psum(m + 1):
                moves["wr_in_by_high"] = moves["rd_out_to_high"]
        if m == n - 1:  # the top level talks to nobody above (mapping.py:670-677)
            moves.pop("rd_out_to_high", None)
            moves.pop("wr_in_by_high", None)
        elems, words = [], []
        for direction in DIRECTIONS:
            amount, per, bits = moves.get(direction, (0, 1, 0))
            count = total_cycles // per
            elems.append(amount * count * inst(m))
            if amount:
                bw_min, bw_max = ports(m, direction)
                words.append(int(ceil(amount * bits / bw_min) * (bw_min / bw_max) * count * inst(m)))
            else:
                words.append(0)
        levels.append((elems, words))
    return levels


def check_file(path: Path, show: bool) -> tuple[int, int, int]:
    """Returns (records, exact, within 2%) over both recorded mappings of every non-duplicate layer."""
    doc = json.loads(path.read_text())
    hw = yaml.safe_load((HARDWARE / Path(doc["hardware"]).name).read_text())
    total = exact = close = 0
    for record in doc["layers"]:
        if "duplicate_of" in record:
            continue
        layer = Layer(record["layer"])
        for which in ("best_energy", "best_latency"):
            rec = record[which]
            cycles = prod(s for lv in rec["temporal_mapping"]["O"] for _, s in lv)
            for op, data in rec["operands"].items():
                def ports(m: int, direction: str, data: dict[str, Any] = data) -> tuple[int, int]:
                    want = f"{data['mem_op']}, {ALLOCATION_CODE[direction]}"
                    port = next(p for p in hw["memories"][data["levels"][m]["mem"]]["ports"] if want in p["allocation"])
                    return port["bandwidth_min"], port["bandwidth_max"]

                for m, (elems, words) in enumerate(derive_operand(layer, op, rec, ports, cycles)):
                    got = data["levels"][m]
                    total += 1
                    same = [round(e) for e in elems] == got["elem_moved"] and words == got["word_access"]
                    exact += same
                    close += all(abs(a - b) <= 0.02 * max(b, 1) + 1 for a, b in
                                 zip(elems + words, got["elem_moved"] + got["word_access"]))
                    if show and not same:
                        print(path.name, layer.rec["name"], which, op, got["mem"], "elems",
                              [round(e) for e in elems], got["elem_moved"], "words", words, got["word_access"])
    return total, exact, close


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path, help="oracle JSON files (default: all)")
    ap.add_argument("--show", action="store_true", help="print every record that is not reproduced exactly")
    args = ap.parse_args()
    totals = [0, 0, 0]
    for path in args.files or sorted(DATA.glob("*.json")):
        result = check_file(path, args.show)
        totals = [t + r for t, r in zip(totals, result)]
        print(f"{path.name}: {result[1]}/{result[0]} exact, {result[2]}/{result[0]} within 2%")
    print(f"all: {totals[1]}/{totals[0]} level-operand records exact, {totals[2]}/{totals[0]} within 2%")


if __name__ == "__main__":
    main()
