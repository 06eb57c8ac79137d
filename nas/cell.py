"""A NAS-Bench-201-like cell space, small enough to train exhaustively (docs/nas.md).

Macro skeleton (NAS-Bench-201, Dong & Yang, ICLR'20, Fig. 1, reduced to one cell per stage and
digits-scale widths): stem conv3×3 (C₁) → cell (C₁) → reduction conv3×3 stride 2 (C₂) → cell (C₂)
→ global average pool → fully connected. A cell has nodes 0 (its input), 1 and 2 (its output);
each of the edges 0→1, 0→2, 1→2 carries one operation from NAS-Bench-201's set; a node sums its
incoming edges. Both cells share one genotype, as in NAS-Bench-201.
"""

from __future__ import annotations

from typing import ClassVar

from nas.archs import Arch, ArchSpace
from nas.graph import Net, Node

OPS = ("none", "skip", "conv1x1", "conv3x3", "avgpool3x3")
EDGES = ((0, 1), (0, 2), (1, 2))
#: stage widths: NAS-Bench-201's 16/32 halved to 8/16 (assumed: digits are 8×8, 1 channel, and
#: the table must train ≥ 250 networks per hour on one core)
WIDTHS = (8, 16)


class CellSpace(ArchSpace):
    """5 operations on each of 3 edges: 125 architectures."""

    name = "cell"
    choices: ClassVar[dict[str, tuple[object, ...]]] = {f"edge{i}{j}": OPS for i, j in EDGES}
    resolution = 8
    in_channels = 1

    def net(self, arch: Arch, classes: int = 10) -> Net:
        """The network's layer graph."""
        ops = dict(zip(EDGES, self.named(arch).values()))
        nodes = [Node("input", "input", cout=self.in_channels),
                 Node("stem", "conv", ("input",), self.in_channels, WIDTHS[0], 3, act="linear")]
        prev = "stem"
        for s, c in enumerate(WIDTHS):
            if s:
                nodes.append(Node(f"reduce{s}", "conv", (prev,), WIDTHS[s - 1], c, 3, stride=2, act="pre"))
                prev = f"reduce{s}"
            prev = _cell(nodes, f"cell{s}", prev, c, ops)
        nodes += [Node("gap", "gap", (prev,), cout=WIDTHS[-1]),
                  Node("fc", "fc", ("gap",), WIDTHS[-1], classes)]
        return Net(arch.key, tuple(nodes))


def _cell(nodes: list[Node], p: str, entry: str, c: int, ops: dict[tuple[int, int], object]) -> str:
    """Append one cell's nodes reading ``entry``; return its output node's name."""
    names = {0: entry}
    for j in (1, 2):
        incoming = []
        for (i, jj), op in ops.items():
            if jj != j or op == "none":
                continue
            src, edge = names[i], f"{p}_e{i}{j}"
            if op == "skip":
                incoming.append(src)
            elif op == "avgpool3x3":
                nodes.append(Node(edge, "pool", (src,), cout=c))
                incoming.append(edge)
            else:
                k = 3 if op == "conv3x3" else 1
                nodes.append(Node(edge, "conv", (src,), c, c, k, act="pre"))
                incoming.append(edge)
        names[j] = f"{p}_n{j}"
        nodes.append(Node(names[j], "add" if incoming else "zero", tuple(incoming) or (entry,), cout=c))
    return names[2]
