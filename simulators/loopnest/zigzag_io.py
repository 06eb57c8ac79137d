"""ZigZag's hardware and mapping YAML files as loop-nest :class:`~.hardware.Hardware`.

Schema and semantics: docs/zigzag-schema.md. Memories are read in file order (innermost first);
``memory_operand_links`` (default ``O: O, W: I2, I: I1``) names which memory operand is which
layer operand; ``r_cost``/``w_cost`` are pJ per access of the port's ``bandwidth_max`` bits, so
per bit they are divided by it; ``served_dimensions`` become served axes; an operand's top memory
is its DRAM. The mapping file's ``default`` entry gives the spatial unrolling (dims and their
factors per array dim). ZigZag has no clock: 1 GHz is assumed, so latencies in cycles compare.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from archgym.config import read_yaml
from archgym.errors import ConfigError
from simulators.loopnest.hardware import INF_BITS, Hardware, Memory, SpatialOption
from simulators.loopnest.problem import DIMS

DEFAULT_LINKS = {"O": "O", "W": "I2", "I": "I1"}


def _load(path: str | Path, what: str) -> Any:
    """A ZigZag YAML file through the core's safe reader (size, UTF-8, alias and nesting limits)."""
    try:
        return read_yaml(path)
    except ConfigError as exc:
        raise ConfigError(f"{what}: {exc}") from None


def load_mapping(path: str | Path | None, layer: str = "default") -> dict[str, Any]:
    """The mapping entry for ``layer`` (else ``default``); ZigZag's K32 × C32 when no file."""
    if path is None:
        return {"spatial_mapping": {"D1": ["K, 32"], "D2": ["C, 32"]}, "memory_operand_links": DEFAULT_LINKS}
    entries = _load(path, "zigzag mapping")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError(f"zigzag mapping: {Path(path).name} must be a list of entries with a name")
    by_name = {str(e.get("name")): e for e in entries}
    entry = by_name.get(layer) or by_name.get("default")
    if entry is None:
        raise ConfigError(f"zigzag mapping: {Path(path).name} has no entry named {layer!r} or 'default'")
    return entry


def load_hardware(path: str | Path, mapping: str | Path | None = None) -> Hardware:
    """The accelerator of a ZigZag hardware YAML, unrolled as its mapping file's default entry."""
    doc = _load(path, "zigzag hardware")
    name = Path(path).name
    if not isinstance(doc, dict) or not isinstance(doc.get("memories"), dict) or "operational_array" not in doc:
        raise ConfigError(f"zigzag hardware: {name} needs 'memories' and 'operational_array'")
    entry = load_mapping(mapping)
    links = {**DEFAULT_LINKS, **(entry.get("memory_operand_links") or {})}
    to_layer = {mem_op: layer_op for layer_op, mem_op in links.items()}
    array_doc = doc["operational_array"]
    axes_names = [str(d) for d in array_doc.get("dimensions", [])]
    sizes = [int(v) for v in array_doc.get("sizes", [])]
    if not axes_names or len(axes_names) != len(sizes) or min(sizes) < 1:
        raise ConfigError(f"zigzag hardware: {name}.operational_array needs matching dimensions and sizes ≥ 1")

    raw = list(doc["memories"].items())
    tops = {}
    for i, (_, m) in enumerate(raw):
        for op in m.get("operands", []):
            tops[op] = i
    memories = []
    for i, (mname, m) in enumerate(raw):
        memories.append(_memory(name, str(mname), m, to_layer, axes_names, is_top=all(tops[o] == i for o in m["operands"])))
    hierarchy = {x: tuple(i for i, m in enumerate(memories) if x in m.operands) for x in ("W", "I", "O")}
    spatial = _spatial(name, entry.get("spatial_mapping") or {}, axes_names)
    mac_pj = float(array_doc.get("unit_energy", 0.0))
    systolic = tuple(axes_names.index(str(d)) for d in array_doc.get("systolic_dimensions", []) or []
                     if str(d) in axes_names)
    return Hardware(str(doc.get("name", name)), tuple(sizes), tuple(memories), hierarchy, (spatial,), mac_pj,
                    float(array_doc.get("unit_area", 0.0)) * 1e-6, 1e9, f"ZigZag hardware file {name}",
                    psum_reads_every_write=True, systolic_axes=systolic, fractional_unrolling=True)


def _memory(file: str, mname: str, m: dict[str, Any], to_layer: dict[str, str], axes: list[str],
            is_top: bool) -> Memory:
    where = f"zigzag hardware: {file}.memories.{mname}"
    try:
        operands = tuple(to_layer[o] for o in m["operands"])
        size = float(m["size"])
        r_cost, w_cost = float(m["r_cost"]), float(m["w_cost"])
        ports = m["ports"]
    except KeyError as exc:
        raise ConfigError(f"{where}: missing or unknown {exc.args[0]!r}") from None
    if not isinstance(ports, list) or not ports:
        raise ConfigError(f"{where}.ports: a list of ports is needed")
    # costs are per access of one port's bandwidth_max bits; parallel ports add up for time
    # (ZigZag combines per-port stalls with a max, so ports work at once)
    max_read_bw = max((float(p["bandwidth_max"]) for p in ports if p.get("type") in ("read", "read_write")),
                      default=0.0)
    max_write_bw = max((float(p["bandwidth_max"]) for p in ports if p.get("type") in ("write", "read_write")),
                       default=0.0)
    read_bw = sum(float(p["bandwidth_max"]) for p in ports if p.get("type") in ("read", "read_write"))
    write_bw = sum(float(p["bandwidth_max"]) for p in ports if p.get("type") in ("write", "read_write"))
    if read_bw <= 0 or write_bw <= 0 or not math.isfinite(size) or size <= 0:
        raise ConfigError(f"{where}: needs a read and a write port with bandwidth_max > 0 and a size > 0 bits")
    # ZigZag rounds each trip up to bandwidth_min-bit words (docs/zigzag-schema.md §4)
    read_word = min((float(p.get("bandwidth_min", 0)) for p in ports if p.get("type") in ("read", "read_write")),
                    default=0.0)
    write_word = min((float(p.get("bandwidth_min", 0)) for p in ports if p.get("type") in ("write", "read_write")),
                     default=0.0)
    served = tuple(axes.index(d) for d in m.get("served_dimensions", []) or [] if d in axes)
    shared = any(p.get("type") == "read_write" for p in ports) and len(ports) == 1
    return Memory(mname, operands, INF_BITS if is_top else size, r_cost / max_read_bw, w_cost / max_write_bw,
                  read_bw, write_bw, served, shared, float(m.get("area", 0.0)), read_word, write_word)


def _spatial(file: str, mapping: dict[str, Any], axes: list[str]) -> SpatialOption:
    dims: list[tuple[str, ...]] = []
    caps: list[tuple[int, ...]] = []
    for axis in axes:
        names, limits = [], []
        for item in mapping.get(axis, []) or []:
            dim, _, factor = str(item).partition(",")
            dim = dim.strip()
            if dim not in DIMS:
                raise ConfigError.bad_value(f"zigzag mapping spatial_mapping.{axis}", dim, DIMS)
            names.append(dim)
            limits.append(int(factor) if factor.strip() else 1 << 30)
        dims.append(tuple(names))
        caps.append(tuple(limits))
    return SpatialOption(f"zigzag:{file}", tuple(dims), tuple(caps))
