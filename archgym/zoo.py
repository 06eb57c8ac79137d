"""The built-in workload zoo: CNNs at 224×224 ImageNet resolution and transformer models.

Shapes follow the original papers: ResNet (He et al., CVPR'16, Table 1), MobileNetV2
(Sandler et al., CVPR'18, Table 2), VGG16 (Simonyan & Zisserman, ICLR'15, config D),
BERT-base (Devlin et al., NAACL'19: L=12, H=768, A=12), GPT-2 small (Radford et al. 2019:
12 layers, d=768, 12 heads, vocab 50257), LLaMA-7B (Touvron et al. 2023, Table 2: d=4096,
32 heads, 32 layers, SwiGLU FFN 11008, vocab 32000).
"""

from __future__ import annotations

from collections.abc import Callable

import networkx as nx

from archgym.errors import ConfigError
from archgym.workload import MAX_DIM, Op, Workload

#: the most transformer layers a zoo model may be asked for (``layers=``): 8× the deepest published
#: decoder (LLaMA-3.1 405B, 126 layers); the graph grows with it (10⁵ layers did not finish in 15 CPU s)
MAX_LAYERS = 1024
#: each zoo option's largest value (docs/robustness.md): batch, sequence and context lengths become
#: operator dimensions, so they share the operator bound; every option is at least 1
OPTION_BOUNDS = {"batch": MAX_DIM, "seq": MAX_DIM, "ctx": MAX_DIM, "layers": MAX_LAYERS}


class _GraphBuilder:
    """Adds operators and edges; remembers the last node so chains read naturally."""

    def __init__(self) -> None:
        self.g = nx.DiGraph()
        self.last: str | None = None

    def add(self, op: Op, after: str | list[str | None] | None = "last") -> str:
        preds = [self.last] if after == "last" else ([after] if isinstance(after, str) else after or [])
        self.g.add_node(op.name, op=op)
        for p in preds:
            if p is not None:
                self.g.add_edge(p, op.name)
        self.last = op.name
        return op.name

    def conv(self, name: str, hw: int, c: int, k: int, r: int, stride: int = 1, groups: int = 1,
             n: int = 1, after: str | list[str | None] | None = "last") -> tuple[str, int]:
        op = Op(name, "conv2d", {"N": n, "C": c, "K": k, "H": hw, "W": hw, "R": r, "S": r,
                                 "stride": stride, "pad": r // 2, "groups": groups})
        return self.add(op, after), op.out_hw[0]

    def elt(self, name: str, elems: int, ops: int = 1, inputs: int = 1,
            after: str | list[str | None] | None = "last") -> str:
        return self.add(Op(name, "eltwise", {"E": elems, "ops": ops, "inputs": inputs}), after)


def resnet18(batch: int = 1) -> Workload:
    return _resnet("resnet18", [2, 2, 2, 2], bottleneck=False, n=batch)


def resnet50(batch: int = 1) -> Workload:
    return _resnet("resnet50", [3, 4, 6, 3], bottleneck=True, n=batch)


def _resnet(name: str, blocks: list[int], bottleneck: bool, n: int) -> Workload:
    b = _GraphBuilder()
    _, hw = b.conv("conv1", 224, 3, 64, 7, stride=2, n=n)
    hw = (hw + 2 - 3) // 2 + 1
    b.elt("maxpool", n * 64 * hw * hw, ops=9)
    c_in, expansion = 64, 4 if bottleneck else 1
    for stage, (count, width) in enumerate(zip(blocks, [64, 128, 256, 512]), start=2):
        for i in range(count):
            stride = 2 if (i == 0 and stage > 2) else 1
            entry, p = b.last, f"conv{stage}_{i + 1}"
            c_out = width * expansion
            if bottleneck:
                b.conv(f"{p}a", hw, c_in, width, 1, n=n)
                _, out = b.conv(f"{p}b", hw, width, width, 3, stride=stride, n=n)
                b.conv(f"{p}c", out, width, c_out, 1, n=n)
            else:
                _, out = b.conv(f"{p}a", hw, c_in, width, 3, stride=stride, n=n)
                b.conv(f"{p}b", out, width, width, 3, n=n)
            main = b.last
            skip = entry
            if stride != 1 or c_in != c_out:
                skip, _ = b.conv(f"{p}_down", hw, c_in, c_out, 1, stride=stride, n=n, after=entry)
            b.elt(f"{p}_add", n * c_out * out * out, inputs=2, after=[main, skip])
            c_in, hw = c_out, out
    b.elt("avgpool", n * c_in * hw * hw)
    b.add(Op("fc", "gemm", {"M": n, "K": c_in, "N": 1000}))
    return Workload(name, b.g)


def mobilenetv2(batch: int = 1) -> Workload:
    b = _GraphBuilder()
    n = batch
    _, hw = b.conv("conv1", 224, 3, 32, 3, stride=2, n=n)
    c_in = 32
    # (expansion t, output channels c, repeats n, stride s) — Sandler et al., Table 2.
    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
    block = 0
    for t, c, reps, s in settings:
        for i in range(reps):
            block += 1
            stride = s if i == 0 else 1
            entry, p, hidden = b.last, f"block{block}", c_in * t
            if t != 1:
                b.conv(f"{p}_expand", hw, c_in, hidden, 1, n=n)
            _, out = b.conv(f"{p}_dw", hw, hidden, hidden, 3, stride=stride, groups=hidden, n=n)
            b.conv(f"{p}_project", out, hidden, c, 1, n=n)
            if stride == 1 and c_in == c:
                b.elt(f"{p}_add", n * c * out * out, inputs=2, after=[b.last, entry])
            c_in, hw = c, out
    b.conv("conv_last", hw, c_in, 1280, 1, n=n)
    b.elt("avgpool", n * 1280 * hw * hw)
    b.add(Op("fc", "gemm", {"M": n, "K": 1280, "N": 1000}))
    return Workload("mobilenetv2", b.g)


def vgg16(batch: int = 1) -> Workload:
    b = _GraphBuilder()
    hw, c_in, i = 224, 3, 0
    for stage, (width, reps) in enumerate([(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)], start=1):
        for r in range(reps):
            i += 1
            b.conv(f"conv{stage}_{r + 1}", hw, c_in, width, 3, n=batch)
            c_in = width
        hw //= 2
        b.elt(f"pool{stage}", batch * width * hw * hw, ops=4)
    k = c_in * hw * hw
    for j, out in enumerate([4096, 4096, 1000], start=6):
        b.add(Op(f"fc{j}", "gemm", {"M": batch, "K": k, "N": out}))
        k = out
    return Workload("vgg16", b.g)


def _transformer(name: str, layers: int, d: int, heads: int, ffn: int, batch: int, q_len: int,
                 kv_len: int, vocab: int = 0, gated: bool = False, embed_in: bool = False) -> Workload:
    """Decoder/encoder stack: per layer QKV, attention, softmax, projection, FFN, norms."""
    b = _GraphBuilder()
    tokens = batch * q_len
    decode = q_len == 1

    def linear(nm: str, k: int, m: int, after: str | list[str | None] | None = "last") -> str:
        if decode:
            return b.add(Op(nm, "gemv", {"M": m, "K": k, "B": batch}), after)
        return b.add(Op(nm, "gemm", {"M": tokens, "K": k, "N": m}), after)

    if embed_in:
        b.elt("embed", tokens * d, inputs=2, after=None)
    for i in range(layers):
        p = f"L{i}"
        entry = b.last
        b.elt(f"{p}_ln1", tokens * d, ops=5)
        linear(f"{p}_qkv", d, 3 * d)
        b.add(Op(f"{p}_attn", "attention", {"B": batch, "H": heads, "Lq": q_len, "Lkv": kv_len, "D": d // heads}))
        b.elt(f"{p}_softmax", batch * heads * q_len * kv_len, ops=5)
        linear(f"{p}_proj", d, d)
        mid = b.elt(f"{p}_add1", tokens * d, inputs=2, after=[b.last] + ([entry] if entry else []))
        b.elt(f"{p}_ln2", tokens * d, ops=5)
        if gated:
            gate = linear(f"{p}_ffn_gate", d, ffn)
            up = linear(f"{p}_ffn_up", d, ffn, after=f"{p}_ln2")
            b.elt(f"{p}_swiglu", tokens * ffn, ops=5, inputs=2, after=[gate, up])
        else:
            linear(f"{p}_ffn_up", d, ffn)
            b.elt(f"{p}_gelu", tokens * ffn, ops=8)
        linear(f"{p}_ffn_down", ffn, d)
        b.elt(f"{p}_add2", tokens * d, inputs=2, after=[b.last, mid])
    if vocab:
        b.elt("ln_f", tokens * d, ops=5)
        if decode:
            linear("lm_head", d, vocab)
        else:  # prefill: only the last token's logits are needed for the next token
            b.add(Op("lm_head", "gemm", {"M": batch, "K": d, "N": vocab}))
    return Workload(name, b.g)


def bert_base(seq: int = 128, batch: int = 1) -> Workload:
    return _transformer("bert-base", 12, 768, 12, 3072, batch, seq, seq, embed_in=True)


def gpt2_prefill(seq: int = 512, batch: int = 1) -> Workload:
    return _transformer("gpt2-prefill", 12, 768, 12, 3072, batch, seq, seq, vocab=50257, embed_in=True)


def gpt2_decode(ctx: int = 512, batch: int = 1) -> Workload:
    return _transformer("gpt2-decode", 12, 768, 12, 3072, batch, 1, ctx, vocab=50257, embed_in=True)


def llama7b_decode(ctx: int = 2048, batch: int = 1, layers: int = 32) -> Workload:
    return _transformer("llama7b-decode", layers, 4096, 32, 11008, batch, 1, ctx, vocab=32000,
                        gated=True, embed_in=True)


ZOO: dict[str, Callable[..., Workload]] = {
    "resnet18": resnet18,
    "resnet50": resnet50,
    "mobilenetv2": mobilenetv2,
    "vgg16": vgg16,
    "bert-base": bert_base,
    "gpt2-prefill": gpt2_prefill,
    "gpt2-decode": gpt2_decode,
    "llama7b-decode": llama7b_decode,
}


def build(name: str, **kwargs: int) -> Workload:
    """Build a zoo workload; keyword arguments (``batch``, ``seq``, ``ctx``, ``layers``) as allowed."""
    fn = ZOO[name]
    allowed = list(fn.__code__.co_varnames[: fn.__code__.co_argcount])
    unknown = [k for k in kwargs if k not in allowed]
    if unknown:
        raise ConfigError.bad_value(f"workload {name} option", unknown[0], allowed)
    for key, value in kwargs.items():
        if not 1 <= value <= OPTION_BOUNDS[key]:
            raise ConfigError.bad_value(key, value, f"an integer in 1 … {OPTION_BOUNDS[key]}", where=f"workload {name}")
    return fn(**kwargs)
