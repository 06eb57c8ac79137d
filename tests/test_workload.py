"""Workloads: zoo shapes match the papers, loaders and the shorthand read what they should."""

import pytest

from archgym.errors import ConfigError
from archgym.workload import Gemm, get_workload, load_onnx, load_scalesim_topology
from archgym.zoo import ZOO

# Published multiply-accumulate counts (single 224×224 image / one sequence), in GMAC.
# ResNet-18 1.8, ResNet-50 4.1 (He et al. CVPR'16 Table 1 "FLOPs" are MACs), VGG16 15.5,
# MobileNetV2 0.300 (Sandler et al. CVPR'18 Table 4: 300M multiply-adds).
PUBLISHED_GMAC = {"resnet18": 1.8, "resnet50": 4.1, "vgg16": 15.5, "mobilenetv2": 0.300}


@pytest.mark.parametrize("name, gmac", PUBLISHED_GMAC.items())
def test_cnn_mac_counts_match_papers(name, gmac):
    assert get_workload(name).total_macs / 1e9 == pytest.approx(gmac, rel=0.03)


def test_every_zoo_entry_builds_a_dag():
    for name in ZOO:
        w = get_workload(name)
        assert len(w.layers) > 0 and w.total_macs > 0


def test_transformer_parameters_match_models():
    # Weights of the linear layers: GPT-2 small has 85M in its 12 blocks; LLaMA-7B 6.5B (32 blocks).
    gpt2 = get_workload("gpt2-decode")
    block_weights = sum(op.weight_elems for op in gpt2.layers if op.name.startswith("L") and op.kind == "gemv")
    assert block_weights == 12 * (4 * 768**2 + 8 * 768**2)  # per block: 4d² attention + 8d² FFN
    llama = get_workload("llama7b-decode")
    linear = sum(op.weight_elems for op in llama.layers if op.kind == "gemv")
    assert linear / 1e9 == pytest.approx(6.61, rel=0.02)  # 6.5B blocks + 0.13B head


def test_decode_kwargs():
    w = get_workload("gpt2-decode:ctx=1024,batch=4")
    attn = next(op for op in w.layers if op.kind == "attention")
    assert attn.dims["Lkv"] == 1024 and attn.dims["B"] == 4
    with pytest.raises(ConfigError, match="option"):
        get_workload("gpt2-decode:foo=1")


def test_resnet_skip_connections_in_graph():
    w = get_workload("resnet18")
    add = w.graph.nodes["conv3_1_add"]["op"]
    assert add.kind == "eltwise" and w.graph.in_degree("conv3_1_add") == 2


def test_shorthand_gemm_and_conv_lowering():
    (g,) = get_workload("gemm:M=512,N=256,K=128").layers[0].gemms()
    assert g == Gemm(512, 128, 256)
    conv = get_workload("conv2d:H=56,W=56,C=64,K=128,R=3,S=3,stride=2,pad=1").layers[0]
    assert conv.out_hw == (28, 28) and conv.gemms() == [Gemm(28 * 28, 9 * 64, 128)]
    (gv,) = get_workload("gemv:M=6144,K=2048").layers[0].gemms()
    assert gv == Gemm(1, 2048, 6144)


@pytest.mark.parametrize("spec, message", [
    ("nonsense", "workload: 'nonsense' is not known"),
    ("gemm:M=1,N=2", "gemm needs dimension(s) K"),
    ("gemm:M=x,N=2,K=3", "M must be an integer"),
    ("gemm:M=0,N=2,K=3", "dimension M must be ≥ 1"),
    ("missing.csv", "does not exist"),
])
def test_bad_workloads_give_one_line(spec, message):
    with pytest.raises(ConfigError) as err:
        get_workload(spec)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_scalesim_topology_conv_and_gemm(tmp_path):
    conv = tmp_path / "net.csv"
    conv.write_text("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
                    "Conv1, 230, 230, 7, 7, 3, 64, 2,\nFC, 1, 1, 1, 1, 512, 1000, 1,\n")
    w = load_scalesim_topology(conv)
    assert [op.name for op in w.layers] == ["Conv1", "FC"]
    assert w.layers[0].gemms() == [Gemm(112 * 112, 7 * 7 * 3, 64)]
    gemm = tmp_path / "gemm.csv"
    gemm.write_text("Layer, M, N, K,\ng1, 128, 64, 256,\n")
    assert load_scalesim_topology(gemm).layers[0].gemms() == [Gemm(128, 256, 64)]


def test_onnx_loader(tmp_path):
    onnx = pytest.importorskip("onnx")
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    w1 = numpy_helper.from_array(np.zeros((16, 3, 3, 3), np.float32), "w1")
    w2 = numpy_helper.from_array(np.zeros((16 * 8 * 8, 10), np.float32), "w2")
    shape = numpy_helper.from_array(np.array([1, -1], np.int64), "shape")
    nodes = [helper.make_node("Conv", ["x", "w1"], ["c"], name="conv", pads=[1, 1, 1, 1], strides=[2, 2]),
             helper.make_node("Relu", ["c"], ["r"], name="relu"),
             helper.make_node("Reshape", ["r", "shape"], ["f"], name="flat"),
             helper.make_node("MatMul", ["f", "w2"], ["y"], name="fc")]
    graph = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], [w1, w2, shape])
    path = tmp_path / "tiny.onnx"
    onnx.save(helper.make_model(graph), str(path))
    w = load_onnx(path)
    assert [op.kind for op in w.ops] == ["conv2d", "eltwise", "eltwise", "gemm"]
    conv = w.ops[0]
    assert conv.out_hw == (8, 8) and conv.gemms() == [Gemm(64, 27, 16)]
    assert w.ops[-1].gemms() == [Gemm(1, 1024, 10)]
    assert list(w.graph.predecessors("fc")) == ["flat"]
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(ConfigError, match="not a readable ONNX model"):
        get_workload(str(bad))
