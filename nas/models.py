"""The torch module of a :class:`nas.graph.Net` (what the accuracy tables train)."""

from __future__ import annotations

import torch
from torch import nn

from nas.graph import Net, Node


def _layer(node: Node) -> nn.Module:
    if node.kind == "conv":
        conv = nn.Conv2d(node.cin, node.cout, node.k, node.stride, node.k // 2, groups=node.groups, bias=False)
        bn = nn.BatchNorm2d(node.cout)
        if node.act == "pre":
            return nn.Sequential(nn.ReLU(), conv, bn)
        return nn.Sequential(conv, bn, nn.ReLU()) if node.act == "post" else nn.Sequential(conv, bn)
    if node.kind == "pool":
        return nn.AvgPool2d(3, 1, 1, count_include_pad=False)
    if node.kind == "fc":
        return nn.Linear(node.cin, node.cout)
    return nn.Identity()


class GraphModule(nn.Module):
    """Runs the (pruned) net's nodes in order; input ``(B, C, H, W)`` → logits ``(B, classes)``."""

    def __init__(self, net: Net):
        super().__init__()
        self.nodes = net.pruned().nodes
        self.layers = nn.ModuleDict({n.name: _layer(n) for n in self.nodes if n.kind in ("conv", "pool", "fc")})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: dict[str, torch.Tensor] = {}
        for node in self.nodes:
            if node.kind == "input":
                out[node.name] = x
                continue
            src = out[node.inputs[0]]
            if node.kind == "add":
                out[node.name] = torch.stack([out[i] for i in node.inputs]).sum(0)
            elif node.kind == "zero":
                out[node.name] = torch.zeros_like(src)
            elif node.kind == "gap":
                out[node.name] = src.mean(dim=(2, 3))
            else:
                out[node.name] = self.layers[node.name](src)
        return out[self.nodes[-1].name]
