"""Decoder token steps of the OPT family (and GPT-3 175B, which has OPT-175B's shapes).

Shapes from Zhang et al., "OPT: Open Pre-trained Transformer Language Models", 2022, Table 1
(layers, d_model, heads; FFN = 4·d_model, vocabulary 50272). One decode step per layer: fused QKV
projection ``gemv(M=3d, K=d)``, attention over ``ctx`` cached tokens, softmax, output projection
``gemv(d, d)``, FFN ``gemv(4d, d)`` and ``gemv(d, 4d)``, two layer norms, ReLU and residual adds;
then the LM head ``gemv(50272, d)``. The zoo's ``gpt2-decode`` and ``llama7b-decode`` cover GPT-2
and LLaMA-7B.
"""

from __future__ import annotations

from archgym.errors import ConfigError
from archgym.workload import Op, Workload

#: name → (layers, d_model, heads)
OPT_SIZES: dict[str, tuple[int, int, int]] = {
    "opt-125m": (12, 768, 12),
    "opt-350m": (24, 1024, 16),
    "opt-1.3b": (24, 2048, 32),
    "opt-2.7b": (32, 2560, 32),
    "opt-6.7b": (32, 4096, 32),
    "opt-13b": (40, 5120, 40),
    "opt-30b": (48, 7168, 56),
    "opt-66b": (64, 9216, 72),
    "opt-175b": (96, 12288, 96),
}
VOCAB = 50272


def opt_decode(size: str, ctx: int = 2048, batch: int = 1, layers: int | None = None,
               word_bytes: int = 2) -> Workload:
    """One decode step of ``size`` (``opt-1.3b`` …) with ``ctx`` cached tokens and ``batch`` sequences.

    ``layers`` truncates the stack (fast tests); the LM head is kept.
    """
    if size not in OPT_SIZES:
        raise ConfigError.bad_value("OPT size", size, OPT_SIZES)
    n_layers, d, heads = OPT_SIZES[size]
    n_layers = n_layers if layers is None else min(layers, n_layers)
    tokens = batch

    def gemv(name: str, m: int, k: int) -> Op:
        return Op(name, "gemv", {"M": m, "K": k, "B": batch}, word_bytes)

    def elt(name: str, elems: int, ops: int = 1, inputs: int = 1) -> Op:
        return Op(name, "eltwise", {"E": elems, "ops": ops, "inputs": inputs}, word_bytes)

    ops: list[Op] = []
    for i in range(n_layers):
        p = f"L{i}"
        ops += [elt(f"{p}_ln1", tokens * d, 5), gemv(f"{p}_qkv", 3 * d, d),
                Op(f"{p}_attn", "attention", {"B": batch, "H": heads, "Lq": 1, "Lkv": ctx, "D": d // heads},
                   word_bytes),
                elt(f"{p}_softmax", batch * heads * ctx, 5), gemv(f"{p}_proj", d, d),
                elt(f"{p}_add1", tokens * d, 1, 2), elt(f"{p}_ln2", tokens * d, 5),
                gemv(f"{p}_ffn_up", 4 * d, d), elt(f"{p}_relu", tokens * 4 * d),
                gemv(f"{p}_ffn_down", d, 4 * d), elt(f"{p}_add2", tokens * d, 1, 2)]
    ops += [elt("ln_f", tokens * d, 5), gemv("lm_head", VOCAB, d)]
    return Workload.chain(f"{size}-decode", ops)
