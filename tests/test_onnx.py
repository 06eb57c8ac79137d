"""ONNX workloads (issue 21, point 6): shape-only loading (a model whose weights sit in a missing
external data file loads), and docs/onnx.md's recipe end to end: a torch model exported with the
pinned torch, read as a workload, simulated."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from archgym import get_simulator, get_workload
from archgym.workload import Gemm, load_onnx

onnx = pytest.importorskip("onnx")
torch = pytest.importorskip("torch")


class TinyNet(torch.nn.Module):
    """Two convolutions and a linear layer: 16·3·9·32² + 32·16·9·16² + 8192·10 MACs."""

    MACS = 16 * 3 * 9 * 32 * 32 + 32 * 16 * 9 * 16 * 16 + 32 * 16 * 16 * 10

    def __init__(self) -> None:
        super().__init__()
        self.c1 = torch.nn.Conv2d(3, 16, 3, padding=1)
        self.c2 = torch.nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.fc = torch.nn.Linear(32 * 16 * 16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.relu(self.c2(torch.relu(self.c1(x)))).flatten(1))


def _check_tinynet(path: Path) -> None:
    """The exported TinyNet reads as its three MAC layers and simulates."""
    w = get_workload(str(path))
    assert [op.kind for op in w.layers] == ["conv2d", "conv2d", "gemm"]
    assert w.total_macs == TinyNet.MACS
    assert w.layers[1].out_hw == (16, 16) and w.layers[-1].gemms() == [Gemm(1, 8192, 10)]
    sim = get_simulator("systolic")
    result = sim.evaluate(sim.design_for(w, "scalesim"), w)
    assert result.valid and result.metrics["latency_s"] > 0


def test_external_weights_are_not_needed(tmp_path: Path) -> None:
    """A model saved with its weights in an external file loads with that file and without it."""
    path = tmp_path / "net.onnx"
    torch.onnx.export(TinyNet().eval(), (torch.randn(1, 3, 32, 32),), str(path), dynamo=False)
    model = onnx.load(str(path))
    onnx.save_model(model, str(path), save_as_external_data=True, location="net.onnx.data")
    data = tmp_path / "net.onnx.data"
    assert data.stat().st_size > 4 * 8192 * 10                          # the weights went there
    with_weights = load_onnx(path)
    data.unlink()
    without = load_onnx(path)
    assert [(op.kind, op.dims) for op in without.ops] == [(op.kind, op.dims) for op in with_weights.ops]
    _check_tinynet(path)


def test_recipe_legacy_exporter_without_onnxscript(tmp_path: Path) -> None:
    """docs/onnx.md's fallback: the TorchScript exporter (``dynamo=False``) needs no onnxscript."""
    path = tmp_path / "net.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)      # torch ≥ 2.9 calls it legacy
        torch.onnx.export(TinyNet().eval(), (torch.randn(1, 3, 32, 32),), str(path), dynamo=False)
    _check_tinynet(path)


@pytest.mark.slow
def test_recipe_dynamo_exporter(tmp_path: Path) -> None:
    """docs/onnx.md's recipe: torch's default (torch.export-based) exporter, with onnxscript from the
    ``onnx`` extra; weights saved to an external file."""
    pytest.importorskip("onnxscript", reason="the dynamo exporter needs onnxscript: pip install -e '.[onnx]'")
    program = torch.onnx.export(TinyNet().eval(), (torch.randn(1, 3, 32, 32),), dynamo=True, verbose=False)
    path = tmp_path / "net.onnx"
    program.save(str(path), external_data=True)
    _check_tinynet(path)


@pytest.mark.parametrize("name", ["resnet18", "mobilenetv2"])
def test_zigzag_shipped_models_load_without_their_weights_files(name: str) -> None:
    """ZigZag ships resnet18.onnx / mobilenetv2.onnx whose weights point at absent external files;
    they load, and match the zoo's networks layer for layer."""
    zigzag = pytest.importorskip("zigzag", reason="ZigZag is a dev dependency")
    path = Path(zigzag.__file__).parent / "inputs" / "workload" / f"{name}.onnx"
    model = onnx.load(str(path), load_external_data=False)
    locations = {e.value for i in model.graph.initializer for e in i.external_data if e.key == "location"}
    assert locations and not any((path.parent / loc).exists() for loc in locations)
    w, zoo = load_onnx(path), get_workload(name)
    assert [op.gemms() for op in w.layers] == [op.gemms() for op in zoo.layers]
