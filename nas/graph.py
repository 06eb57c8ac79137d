"""A network as a small graph of layer nodes: the one description both the trained torch model
(:mod:`nas.models`) and the hardware workload (:func:`to_workload`) are built from, so the
architecture whose accuracy is measured is the architecture whose cost is simulated."""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from archgym.errors import ConfigError
from archgym.workload import Op, Workload

#: node kinds: ``input`` (the image), ``conv`` (k×k convolution, batch-norm folded in, its
#: activation fused), ``pool`` (3×3 average pool, stride 1), ``add`` (sum of the inputs),
#: ``zero`` (a node with no incoming edge: a constant zero tensor), ``gap`` (global average
#: pool), ``fc`` (the classifier)
KINDS = ("input", "conv", "pool", "add", "zero", "gap", "fc")
#: a conv node's activation: ``pre`` ReLU→conv→BN (NAS-Bench-201), ``post`` conv→BN→ReLU,
#: ``linear`` conv→BN (MobileNetV2's projection)
ACTS = ("pre", "post", "linear")


@dataclass(frozen=True)
class Node:
    """One layer: its kind, the nodes it reads and its channel counts."""

    name: str
    kind: str
    inputs: tuple[str, ...] = ()
    cin: int = 0
    cout: int = 0
    k: int = 1
    stride: int = 1
    groups: int = 1
    act: str = "post"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError.bad_value(f"{self.name}.kind", self.kind, KINDS)
        if self.act not in ACTS:
            raise ConfigError.bad_value(f"{self.name}.act", self.act, ACTS)


@dataclass(frozen=True)
class Net:
    """Nodes in topological order; the last one is the output."""

    name: str
    nodes: tuple[Node, ...]

    def pruned(self) -> Net:
        """The net without nodes the output does not depend on (a compiler drops them too)."""
        live = {self.nodes[-1].name}
        for node in reversed(self.nodes):
            if node.name in live:
                live.update(node.inputs)
        return Net(self.name, tuple(n for n in self.nodes if n.name in live))

    def input_reaches_output(self) -> bool:
        """Whether the output depends on the input (False when a ``zero`` node cuts every path)."""
        reached: set[str] = set()
        for node in self.nodes:
            if node.kind == "input" or (node.kind != "zero" and reached.intersection(node.inputs)):
                reached.add(node.name)
        return self.nodes[-1].name in reached

    def params(self) -> int:
        """Trainable parameters: conv weights and batch-norm scale/shift, fc weights and biases."""
        return sum(n.k * n.k * n.cin // n.groups * n.cout + 2 * n.cout if n.kind == "conv" else
                   (n.cin + 1) * n.cout if n.kind == "fc" else 0 for n in self.pruned().nodes)


def out_hw(node: Node, hw: int) -> int:
    """Output height/width of ``node`` on a ``hw``×``hw`` input (padding k // 2)."""
    if node.kind == "conv":
        return (hw + 2 * (node.k // 2) - node.k) // node.stride + 1
    return 1 if node.kind in ("gap", "fc") else hw


def to_workload(net: Net, resolution: int, name: str | None = None) -> Workload:
    """The net as archgym operators at batch 1 and a ``resolution``×``resolution`` input.

    ``input`` and ``zero`` nodes carry no operator; a node reading only those starts the graph. A
    ``zero`` node's input gives its shape only, but stays live: layers before it still run (no
    constant folding), as NAS-Bench-201 computes every edge.
    """
    g = nx.DiGraph()
    hw: dict[str, int] = {}
    chans: dict[str, int] = {}
    producers: dict[str, list[str]] = {}  # node → the operators whose outputs make it
    for node in net.pruned().nodes:
        src_hw = hw[node.inputs[0]] if node.inputs else resolution
        preds = [p for i in node.inputs for p in producers[i]]
        hw[node.name] = out_hw(node, src_hw)
        chans[node.name] = node.cout or (chans[node.inputs[0]] if node.inputs else 0)
        c = chans[node.name]
        op: Op | None = None
        if node.kind == "conv":
            op = Op(node.name, "conv2d", {"N": 1, "C": node.cin, "K": node.cout, "H": src_hw, "W": src_hw,
                                          "R": node.k, "S": node.k, "stride": node.stride,
                                          "pad": node.k // 2, "groups": node.groups})
        elif node.kind == "pool":
            op = Op(node.name, "eltwise", {"E": c * src_hw * src_hw, "ops": 9})
        elif node.kind == "add" and len(node.inputs) > 1:
            op = Op(node.name, "eltwise", {"E": c * src_hw * src_hw, "inputs": len(node.inputs)})
        elif node.kind == "gap":
            op = Op(node.name, "eltwise", {"E": c * src_hw * src_hw})
        elif node.kind == "fc":
            op = Op(node.name, "gemm", {"M": 1, "K": node.cin, "N": node.cout})
        if op is None:  # input, zero (its input gives only the shape), or a one-input add (identity)
            producers[node.name] = [] if node.kind == "zero" else preds
            continue
        g.add_node(op.name, op=op)
        g.add_edges_from((p, op.name) for p in dict.fromkeys(preds))
        producers[node.name] = [op.name]
    return Workload(name or net.name, g)
