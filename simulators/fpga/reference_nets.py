"""Networks of the published FPGA results the validation tests reproduce (not in the zoo).

* AlexNet conv layers as Zhang et al. FPGA'15 ran them (Krizhevsky 2012: 227×227 input,
  conv2/4/5 in two groups) — 1.33 GFLOP.
* FINN's CNV (Umuroglu et al. FPGA'17, after BinaryNet): 32×32×3 CIFAR-10 input, unpadded 3×3
  convolutions 64-64 / pool / 128-128 / pool / 256-256, then FC 512-512-10.
* VGG16-SVD as Angel-Eye (Qiu et al. FPGA'16) ran it: VGG16's 13 conv layers, fc6 factorised by
  SVD to rank 500 (25088→500→4096), fc7 and fc8 unchanged.
"""

from __future__ import annotations

from archgym.workload import Op, Workload


def _conv(name: str, hw: int, c: int, k: int, r: int, stride: int = 1, pad: int = 0, groups: int = 1) -> Op:
    return Op(name, "conv2d", {"C": c, "K": k, "H": hw, "W": hw, "R": r, "S": r, "stride": stride, "pad": pad,
                               "groups": groups})


def alexnet_conv() -> Workload:
    return Workload.chain("alexnet-conv", [
        _conv("conv1", 227, 3, 96, 11, stride=4),
        _conv("conv2", 27, 96, 256, 5, pad=2, groups=2),
        _conv("conv3", 13, 256, 384, 3, pad=1),
        _conv("conv4", 13, 384, 384, 3, pad=1, groups=2),
        _conv("conv5", 13, 384, 256, 3, pad=1, groups=2),
    ])


def _pool(name: str, elems: int) -> Op:
    """2×2 max-pool: 4 comparisons per output element."""
    return Op(name, "eltwise", {"E": elems, "ops": 4})


def finn_cnv() -> Workload:
    return Workload.chain("finn-cnv", [
        _conv("conv1", 32, 3, 64, 3), _conv("conv2", 30, 64, 64, 3), _pool("pool1", 64 * 14 * 14),
        _conv("conv3", 14, 64, 128, 3), _conv("conv4", 12, 128, 128, 3), _pool("pool2", 128 * 5 * 5),
        _conv("conv5", 5, 128, 256, 3), _conv("conv6", 3, 256, 256, 3),
        Op("fc1", "gemm", {"M": 1, "K": 256, "N": 512}), Op("fc2", "gemm", {"M": 1, "K": 512, "N": 512}),
        Op("fc3", "gemm", {"M": 1, "K": 512, "N": 10}),
    ])


def vgg16_svd(conv_only: bool = False) -> Workload:
    ops: list[Op] = []
    hw, c = 224, 3
    for stage, (width, reps) in enumerate([(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)], start=1):
        for r in range(reps):
            ops.append(_conv(f"conv{stage}_{r + 1}", hw, c, width, 3, pad=1))
            c = width
        hw //= 2
        ops.append(Op(f"pool{stage}", "eltwise", {"E": width * hw * hw, "ops": 4}))
    if not conv_only:
        for name, k, n in [("fc6_u", 25088, 500), ("fc6_v", 500, 4096), ("fc7", 4096, 4096), ("fc8", 4096, 1000)]:
            ops.append(Op(name, "gemm", {"M": 1, "K": k, "N": n}))
    return Workload.chain("vgg16-svd" + ("-conv" if conv_only else ""), ops)
