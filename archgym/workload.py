"""Workloads: DNNs as ``networkx`` DAGs of typed operators.

Operator kinds and their dimensions (all integers, element counts, no units):

``conv2d``    N (batch), C (in channels), K (filters), H, W (input height/width *before*
              padding), R, S (filter height/width), stride, pad, groups.
              Output P = (H + 2·pad − R) // stride + 1, likewise Q.
``gemm``      M, N, K: ``A[M×K] · B[K×N]``; A is the activation operand, B the weights.
``gemv``      M (outputs), K (inputs), B (batch of input vectors, default 1):
              ``y[B×M] = x[B×K] · Wᵀ`` — the decode-time linear layer.
``attention`` B (batch), H (heads), Lq (query length), Lkv (key/value length), D (head dim):
              ``softmax(Q·Kᵀ)·V`` per head, two GEMMs whose second operand is the KV cache.
``eltwise``   E (elements), ops (operations per element), inputs (operand tensors).

Every MAC-bearing operator lowers to :class:`Gemm` s in the SCALE-Sim convention: ``m`` rows
of the activation operand (output pixels / tokens), ``k`` reduction, ``n`` columns of the
weight operand (filters / output features), repeated ``repeat`` times.
"""

from __future__ import annotations

import csv
import functools
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from archgym.errors import ConfigError, UnknownNameError

OP_KINDS = ("conv2d", "gemm", "gemv", "attention", "eltwise")
#: bounds every operator is checked against (docs/robustness.md): one dimension at most 2³¹ (an
#: element-wise operator's element count is a dimension: 12 heads × 2048² attention scores is
#: 5·10⁷), one operator at most 2⁵³ MACs (exact in float64; products of dimensions stay in int64)
MAX_DIM = 1 << 31
MAX_MACS = 1 << 53

_REQUIRED = {
    "conv2d": ("C", "K", "H", "W", "R", "S"),
    "gemm": ("M", "N", "K"),
    "gemv": ("M", "K"),
    "attention": ("H", "Lq", "Lkv", "D"),
    "eltwise": ("E",),
}
_DEFAULTS = {
    "conv2d": {"N": 1, "stride": 1, "pad": 0, "groups": 1},
    "gemm": {},
    "gemv": {"B": 1},
    "attention": {"B": 1},
    "eltwise": {"ops": 1, "inputs": 1},
}


@dataclass(frozen=True)
class Gemm:
    """``A[m×k] · B[k×n]`` executed ``repeat`` times (SCALE-Sim's M=ofmap px, K, N=filters)."""

    m: int
    k: int
    n: int
    repeat: int = 1

    @property
    def macs(self) -> int:
        return self.m * self.k * self.n * self.repeat


@dataclass
class Op:
    """One operator of a workload."""

    name: str
    kind: str
    dims: dict[str, int] = field(default_factory=dict)
    word_bytes: int = 1  # bytes per element of the operands (INT8 by default)

    def __post_init__(self) -> None:
        if self.kind not in OP_KINDS:
            raise ConfigError.bad_value(f"{self.name}.kind", self.kind, OP_KINDS)
        dims = {**_DEFAULTS[self.kind], **{k: int(v) for k, v in self.dims.items()}}
        missing = [d for d in _REQUIRED[self.kind] if d not in dims]
        if missing:
            raise ConfigError(f"{self.name}: {self.kind} needs dimension(s) {', '.join(missing)}")
        bad = [k for k, v in dims.items() if v < (0 if k == "pad" else 1)]
        if bad:
            raise ConfigError(f"{self.name}: dimension {bad[0]} must be ≥ 1, got {dims[bad[0]]}")
        big = [k for k, v in dims.items() if v > MAX_DIM]
        if big:
            raise ConfigError.bad_value(f"{self.name}: dimension {big[0]}", dims[big[0]], f"at most {MAX_DIM}")
        if self.kind == "conv2d":
            g = dims["groups"]
            if dims["C"] % g or dims["K"] % g:
                raise ConfigError(f"{self.name}: groups={g} must divide C={dims['C']} and K={dims['K']}")
            if dims["H"] + 2 * dims["pad"] < dims["R"] or dims["W"] + 2 * dims["pad"] < dims["S"]:
                raise ConfigError(f"{self.name}: filter {dims['R']}×{dims['S']} larger than padded input")
        self.dims = dims
        if self.macs > MAX_MACS:
            raise ConfigError.bad_value(f"{self.name}: MACs", self.macs, f"at most {MAX_MACS} (2⁵³) per operator")

    # -- shapes ------------------------------------------------------------------------------
    @property
    def out_hw(self) -> tuple[int, int]:
        d = self.dims
        p = (d["H"] + 2 * d["pad"] - d["R"]) // d["stride"] + 1
        q = (d["W"] + 2 * d["pad"] - d["S"]) // d["stride"] + 1
        return p, q

    def gemms(self) -> list[Gemm]:
        """The GEMMs this operator lowers to (empty for element-wise operators)."""
        d = self.dims
        if self.kind == "conv2d":
            p, q = self.out_hw
            g = d["groups"]
            return [Gemm(d["N"] * p * q, d["R"] * d["S"] * d["C"] // g, d["K"] // g, g)]
        if self.kind == "gemm":
            return [Gemm(d["M"], d["K"], d["N"])]
        if self.kind == "gemv":
            return [Gemm(d["B"], d["K"], d["M"])]
        if self.kind == "attention":
            heads = d["B"] * d["H"]
            return [Gemm(d["Lq"], d["D"], d["Lkv"], heads), Gemm(d["Lq"], d["Lkv"], d["D"], heads)]
        return []

    @property
    def macs(self) -> int:
        return sum(g.macs for g in self.gemms())

    @property
    def flops(self) -> int:
        """Floating-point (or integer) operations: 2 per MAC, ``ops`` per element-wise element."""
        if self.kind == "eltwise":
            return self.dims["E"] * self.dims["ops"]
        return 2 * self.macs

    @property
    def weight_elems(self) -> int:
        """Elements of the stationary/second operand read from memory (weights or KV cache)."""
        d = self.dims
        if self.kind == "conv2d":
            return d["R"] * d["S"] * d["C"] // d["groups"] * d["K"]
        if self.kind == "gemm":
            return d["K"] * d["N"]
        if self.kind == "gemv":
            return d["M"] * d["K"]
        if self.kind == "attention":
            return 2 * d["B"] * d["H"] * d["Lkv"] * d["D"]
        return 0

    @property
    def input_elems(self) -> int:
        d = self.dims
        if self.kind == "conv2d":
            return d["N"] * d["C"] * d["H"] * d["W"]
        if self.kind == "gemm":
            return d["M"] * d["K"]
        if self.kind == "gemv":
            return d["B"] * d["K"]
        if self.kind == "attention":
            return d["B"] * d["H"] * d["Lq"] * d["D"]
        return d["E"] * d["inputs"]

    @property
    def output_elems(self) -> int:
        d = self.dims
        if self.kind == "conv2d":
            p, q = self.out_hw
            return d["N"] * d["K"] * p * q
        if self.kind == "gemm":
            return d["M"] * d["N"]
        if self.kind == "gemv":
            return d["B"] * d["M"]
        if self.kind == "attention":
            return d["B"] * d["H"] * d["Lq"] * d["D"]
        return d["E"]

    @property
    def bytes_moved(self) -> int:
        """Compulsory traffic: every operand read once and the output written once."""
        return (self.weight_elems + self.input_elems + self.output_elems) * self.word_bytes

    @property
    def arithmetic_intensity(self) -> float:
        """Operations per byte of compulsory traffic."""
        return self.flops / max(self.bytes_moved, 1)

    def shorthand(self) -> str:
        return f"{self.kind}:" + ",".join(f"{k}={v}" for k, v in self.dims.items())


class Workload:
    """A DNN: a DAG of :class:`Op` (node attribute ``op``), iterated in a stable topological order."""

    def __init__(self, name: str, graph: nx.DiGraph):
        if not nx.is_directed_acyclic_graph(graph):
            raise ConfigError(f"workload {name}: the operator graph has a cycle")
        self.name = name
        self.graph = graph
        order = {n: i for i, n in enumerate(graph.nodes)}
        self._ops: list[Op] = [graph.nodes[n]["op"] for n in
                               nx.lexicographical_topological_sort(graph, key=lambda n: order[n])]

    @classmethod
    def chain(cls, name: str, ops: Sequence[Op]) -> Workload:
        """A workload whose operators run one after another."""
        g = nx.DiGraph()
        for op in ops:
            g.add_node(op.name, op=op)
        g.add_edges_from((a.name, b.name) for a, b in itertools.pairwise(ops))
        return cls(name, g)

    @property
    def ops(self) -> list[Op]:
        return list(self._ops)

    @property
    def layers(self) -> list[Op]:
        """Operators that carry MACs (what a systolic array executes), in order."""
        return [op for op in self._ops if op.kind != "eltwise"]

    @functools.cached_property
    def has_layers(self) -> bool:
        """Whether any operator carries MACs (a request trace or an element-wise shorthand has none)."""
        return any(op.kind != "eltwise" for op in self._ops)

    def __len__(self) -> int:
        return len(self._ops)

    def __repr__(self) -> str:
        return f"Workload({self.name!r}, {len(self)} ops, {self.total_macs / 1e9:.3f} GMAC)"

    @property
    def total_macs(self) -> int:
        return sum(op.macs for op in self._ops)

    @property
    def total_flops(self) -> int:
        return sum(op.flops for op in self._ops)

    @property
    def total_weight_bytes(self) -> int:
        return sum(op.weight_elems * op.word_bytes for op in self._ops if op.kind != "attention")

    def features(self) -> dict[str, float]:
        """Workload-level features for observations and proxy models (log-scaled counts)."""
        macs = max(self.total_macs, 1)
        moved = max(sum(op.bytes_moved for op in self._ops), 1)
        layers = self.layers or [Op("none", "eltwise", {"E": 1})]
        return {
            "log10_macs": math.log10(macs),
            "log10_bytes": math.log10(moved),
            "log10_weight_bytes": math.log10(max(self.total_weight_bytes, 1)),
            "log10_intensity": math.log10(2 * macs / moved),
            "n_layers": float(len(self.layers)),
            "frac_conv": sum(op.kind == "conv2d" for op in layers) / len(layers),
            "frac_gemv": sum(op.kind == "gemv" for op in layers) / len(layers),
        }


# -- the shorthand ------------------------------------------------------------------------------

_SHORTHAND = re.compile(r"^(?P<kind>[a-z0-9]+)\s*:\s*(?P<args>.*)$")


def shown(text: str, limit: int = 200) -> str:
    """``text`` as an error message quotes it: one line (escaped when it holds control characters)
    and at most ``limit`` characters."""
    line = text if text.isprintable() else repr(text)[1:-1]
    return line if len(line) <= limit else line[:limit] + "…"


def parse_kv(text: str, where: str) -> dict[str, str]:
    """Parse ``a=1,b=2`` into a dict of strings, one-line errors naming ``where`` (a key given twice is
    one: which value was meant is not known)."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        if "=" not in part:
            raise ConfigError(f"{shown(where)}: expected key=value, got {shown(part)!r}")
        key, value = (s.strip() for s in part.split("=", 1))
        if key in out:
            raise ConfigError(f"{shown(where)}: {shown(key)!r} is given twice; allowed: each key once")
        out[key] = value
    return out


def _int_dims(kv: dict[str, str], where: str) -> dict[str, int]:
    dims = {}
    for k, v in kv.items():
        try:
            dims[k] = int(v)
        except ValueError:
            raise ConfigError(f"{shown(where)}: {shown(k)} must be an integer, got {shown(v)!r}") from None
    return dims


def from_shorthand(spec: str) -> Workload:
    """``gemm:M=512,N=512,K=512`` and friends → a one-operator workload."""
    m = _SHORTHAND.match(spec.strip())
    if not m or m["kind"] not in OP_KINDS:
        raise ConfigError.bad_value("workload", shown(spec), f"a zoo name, a file, or one of {', '.join(OP_KINDS)}:K=V,…")
    kind = m["kind"]
    dims = _int_dims(parse_kv(m["args"], f"workload {spec}"), f"workload {spec}")
    allowed = set(_REQUIRED[kind]) | set(_DEFAULTS[kind])
    unknown = sorted(set(dims) - allowed)
    if unknown:
        raise ConfigError.bad_value(f"workload {kind} dimension", unknown[0], sorted(allowed))
    return Workload.chain(spec.strip(), [Op(kind, kind, dims)])


# -- SCALE-Sim topology files -----------------------------------------------------------------

def load_scalesim_topology(path: str | Path) -> Workload:
    """Read a SCALE-Sim topology CSV: conv format (``Layer name, IFMAP Height, IFMAP Width,
    Filter Height, Filter Width, Channels, Num Filter, Strides``) or GEMM format
    (``Layer, M, N, K``). SCALE-Sim's ifmap sizes already include padding, so pad = 0.
    """
    path = Path(path)
    rows = [[c.strip() for c in row] for row in csv.reader(read_text(path).splitlines())]
    rows = [[c for c in r if c != ""] for r in rows]
    rows = [r for r in rows if r]
    if not rows:
        raise ConfigError(f"{path}: empty topology file")
    header = [h.lower() for h in rows[0]]
    ops = []
    is_gemm = len(header) >= 4 and header[1:4] == ["m", "n", "k"]
    for lineno, row in enumerate(rows[1:], start=2):
        where = f"{path}:{lineno}"
        nums = topology_integers(row[1:], where)
        if is_gemm:
            if len(nums) < 3:
                raise ConfigError(f"{where}: GEMM rows need M, N, K")
            # SCALE-Sim GEMM mode: ifmap is M×K, filter is K×N (its gemm → conv conversion).
            ops.append(Op(row[0], "gemm", {"M": nums[0], "N": nums[1], "K": nums[2]}))
        else:
            if len(nums) < 7:
                raise ConfigError(f"{where}: conv rows need IFMAP H, W, Filter H, W, Channels, Num Filter, Strides")
            h, w, r, s, c, k, stride = nums[:7]
            ops.append(Op(row[0], "conv2d", {"H": h, "W": w, "R": r, "S": s, "C": c, "K": k, "stride": stride}))
    if not ops:
        raise ConfigError(f"{path}: no layers (a header and no rows); allowed: at least one layer row")
    return Workload.chain(path.stem, _unique_names(ops))


def is_file(path: str | Path) -> bool:
    """Whether ``path`` names a regular file (False for a name the OS refuses, e.g. too long)."""
    try:
        return Path(path).is_file()
    except OSError:
        return False


def read_text(path: Path, limit: int = 64 << 20) -> str:
    """A workload file's text: UTF-8, at most ``limit`` bytes (64 MiB), one-line errors."""
    size = path.stat().st_size
    if size > limit:
        raise ConfigError(f"{path}: size: {size} bytes is not allowed; allowed: at most {limit}")
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def topology_integers(cells: Sequence[str], where: str) -> list[int]:
    """A topology row's numbers: integers (``64`` or ``64.0``), never NaN, ±inf or fractions."""
    try:
        values = [float(v) for v in cells]
    except ValueError:
        values = [math.nan]
    if not all(math.isfinite(v) and v == int(v) for v in values):
        raise ConfigError(f"{where}: expected integers after the layer name, got {list(cells)}")
    return [int(v) for v in values]


def _unique_names(ops: list[Op]) -> list[Op]:
    seen: dict[str, int] = {}
    for op in ops:
        if op.name in seen:
            seen[op.name] += 1
            op.name = f"{op.name}_{seen[op.name]}"
        else:
            seen[op.name] = 0
    return ops


# -- ONNX -----------------------------------------------------------------------------------------

def load_onnx(path: str | Path, batch: int = 1) -> Workload:
    """Read Conv, Gemm and MatMul (and element-wise nodes) from an ONNX model's graph.

    Only shapes are read: weights are never loaded, so a model whose weights live in an external
    data file (``resnet18.onnx`` + ``resnet18.onnx.data``, as ``torch.onnx.export`` and ZigZag ship
    them) loads with or without that file; initializers give their shapes from their ``dims``.
    """
    try:
        import onnx
        from onnx import shape_inference
    except ImportError as exc:  # pragma: no cover - onnx is a dependency
        raise ConfigError("loading ONNX workloads needs the 'onnx' package") from exc
    path = Path(path)
    try:
        model = shape_inference.infer_shapes(onnx.load(str(path), load_external_data=False))
    except Exception as exc:  # noqa: BLE001 - onnx raises many types for malformed files
        raise ConfigError(f"{path}: not a readable ONNX model ({exc.__class__.__name__})") from None
    graph = model.graph
    shapes: dict[str, list[int]] = {}
    for vi in [*graph.input, *graph.value_info, *graph.output]:
        dims = [d.dim_value if d.HasField("dim_value") else batch for d in vi.type.tensor_type.shape.dim]
        shapes[vi.name] = dims
    for init in graph.initializer:
        shapes[init.name] = list(init.dims)

    g = nx.DiGraph()
    producer: dict[str, str] = {}
    for i, node in enumerate(graph.node):
        name = node.name or f"{node.op_type}_{i}"
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        op = _onnx_op(name, node, attrs, shapes)
        g.add_node(name, op=op)
        for tensor in node.input:
            if tensor in producer:
                g.add_edge(producer[tensor], name)
        for tensor in node.output:
            producer[tensor] = name
    workload = Workload(path.stem, g)
    if not workload.layers:
        raise ConfigError(f"{path}: no Conv, Gemm or MatMul nodes; allowed: an ONNX model with at least one")
    return workload


def _onnx_op(name: str, node: Any, attrs: dict[str, Any], shapes: dict[str, list[int]]) -> Op:
    def shape(i: int) -> list[int]:
        if i >= len(node.input) or node.input[i] not in shapes:
            raise ConfigError(f"ONNX node {name}: shape of input {i} unknown (run shape inference)")
        return shapes[node.input[i]]

    if node.op_type == "Conv":
        n, c, h, w = shape(0)
        k, _, r, s = shape(1)
        pads = list(attrs.get("pads", [0, 0, 0, 0]))
        stride = next(iter(attrs.get("strides", [1, 1])))
        return Op(name, "conv2d", {"N": n, "C": c, "K": k, "H": h, "W": w, "R": r, "S": s,
                                   "stride": stride, "pad": pads[0], "groups": attrs.get("group", 1)})
    if node.op_type in ("Gemm", "MatMul"):
        a, b = shape(0), shape(1)
        if attrs.get("transA", 0):
            a = a[::-1]
        if attrs.get("transB", 0):
            b = b[::-1]
        m = math.prod(a[:-1])
        return Op(name, "gemm", {"M": m, "K": a[-1], "N": b[-1]})
    out = node.output[0] if node.output else ""
    elems = math.prod(shapes.get(out) or (shapes.get(node.input[0]) if node.input else None) or [1])
    return Op(name, "eltwise", {"E": max(elems, 1), "inputs": max(len(node.input), 1)})


# -- the front door -------------------------------------------------------------------------------

#: workload scheme → "module:callable" taking the text after ``SCHEME:`` and returning a Workload
#: (imported on first use, like the simulator registry): request traces for the DRAM family.
WORKLOAD_SOURCES: dict[str, str] = {
    "trace": "simulators.dram.traces:from_spec",
}


def get_workload(spec: str | Workload) -> Workload:
    """Resolve a workload: a zoo name (``resnet18``, ``gpt2-decode:ctx=512``), a one-op
    shorthand (``gemm:M=512,N=512,K=512``), a SCALE-Sim topology ``.csv`` or an ``.onnx`` file."""
    if isinstance(spec, Workload):
        return spec
    from archgym import zoo

    spec = str(spec).strip()
    base, _, args = spec.partition(":")
    if base in zoo.ZOO:
        kwargs = _int_dims(parse_kv(args, f"workload {spec}"), f"workload {spec}")
        return zoo.build(base, **kwargs)
    suffix = Path(spec).suffix.lower()
    if suffix in (".csv", ".onnx"):
        if not is_file(spec):
            raise ConfigError(f"workload: file {shown(spec)!r} does not exist")
        return load_scalesim_topology(spec) if suffix == ".csv" else load_onnx(spec)
    if base in OP_KINDS:
        return from_shorthand(spec)
    if base in WORKLOAD_SOURCES:
        import importlib

        module_name, _, attr = WORKLOAD_SOURCES[base].partition(":")
        return getattr(importlib.import_module(module_name), attr)(args)
    raise UnknownNameError(
        f"workload: {shown(spec)!r} is not known; allowed: {', '.join(zoo.ZOO)}, "
        f"{'/'.join(OP_KINDS)}:K=V,…, {'/'.join(WORKLOAD_SOURCES)}:K=V,…, or a .csv/.onnx file")
