"""A MobileNetV2-style space (per stage: depth, width multiplier, kernel size, expansion).

Skeleton after MobileNetV2 (Sandler et al., CVPR'18, Table 2) and the per-stage choices of
ProxylessNAS / Once-for-All (depth, kernel 3/5, expansion), scaled to 8×8 inputs: stem conv3×3
→ three stages of inverted-residual blocks (expand 1×1 → depthwise k×k → linear project 1×1,
residual add when shape is kept) → conv1×1 head → global average pool → fully connected.
"""

from __future__ import annotations

from typing import ClassVar

from nas.archs import Arch, ArchSpace
from nas.graph import Net, Node

#: per stage: base output channels and the first block's stride. MobileNetV2's 16/24/32 halved
#: (assumed, digits-scale); strides 1, 2, 2 take 8×8 to 8, 4, 2
STAGES = ((8, 1), (12, 2), (16, 2))
STEM, HEAD = 8, 32  # stem and head widths (assumed, same scaling)
DEPTHS = (1, 2)
WIDTHS = (0.5, 0.75, 1.0)
KERNELS = (3, 5)
EXPANSIONS = (1, 3, 6)


def _channels(base: int, width: object) -> int:
    """``base × width`` rounded to a multiple of 2 (at least 2)."""
    return max(2, 2 * round(base * float(str(width)) / 2))


class MBV2Space(ArchSpace):
    """3 stages × (2 depths × 3 widths × 2 kernels × 3 expansions): 46,656 architectures."""

    name = "mbv2"
    choices: ClassVar[dict[str, tuple[object, ...]]] = {f"s{s}_{c}": opts for s in range(1, len(STAGES) + 1)
               for c, opts in (("depth", DEPTHS), ("width", WIDTHS), ("kernel", KERNELS),
                               ("expand", EXPANSIONS))}
    resolution = 8
    in_channels = 1

    def net(self, arch: Arch, classes: int = 10) -> Net:
        """The network's layer graph."""
        v = self.named(arch)
        nodes = [Node("input", "input", cout=self.in_channels),
                 Node("stem", "conv", ("input",), self.in_channels, STEM, 3)]
        prev, cin = "stem", STEM
        for s, (base, first_stride) in enumerate(STAGES, start=1):
            cout, k, t = _channels(base, v[f"s{s}_width"]), int(str(v[f"s{s}_kernel"])), int(str(v[f"s{s}_expand"]))
            for b in range(int(str(v[f"s{s}_depth"]))):
                stride, p, entry = first_stride if b == 0 else 1, f"s{s}b{b + 1}", prev
                hidden = cin * t
                if t != 1:
                    nodes.append(Node(f"{p}_expand", "conv", (prev,), cin, hidden, 1))
                    prev = f"{p}_expand"
                nodes.append(Node(f"{p}_dw", "conv", (prev,), hidden, hidden, k, stride, groups=hidden))
                nodes.append(Node(f"{p}_project", "conv", (f"{p}_dw",), hidden, cout, 1, act="linear"))
                prev = f"{p}_project"
                if stride == 1 and cin == cout:
                    nodes.append(Node(f"{p}_add", "add", (prev, entry), cout=cout))
                    prev = f"{p}_add"
                cin = cout
        nodes += [Node("head", "conv", (prev,), cin, HEAD, 1),
                  Node("gap", "gap", ("head",), cout=HEAD),
                  Node("fc", "fc", ("gap",), HEAD, classes)]
        return Net(arch.key, tuple(nodes))
