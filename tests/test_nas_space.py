"""Architecture spaces (nas/): choices, encodings, and workloads that are the networks trained."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from archgym.errors import ConfigError, UnknownNameError
from archgym.simulator import get_simulator
from nas.models import GraphModule
from nas.space import SPACES, Arch, get_space

RNG = np.random.default_rng(7)
SAMPLES = {name: space.sample(RNG, 4) for name, space in SPACES.items()}
CASES = [(name, a) for name, archs in SAMPLES.items() for a in archs]


def test_sizes_and_enumeration():
    assert get_space("cell").size == 5**3 and get_space("mbv2").size == (2 * 3 * 2 * 3) ** 3
    keys = [a.key for a in get_space("cell").enumerate()]
    assert len(keys) == len(set(keys)) == 125


@pytest.mark.parametrize(("name", "arch"), CASES)
def test_encode_decode_parse_round_trip(name, arch):
    space = get_space(name)
    codes = space.encode(arch)
    assert codes.dtype == np.int64 and codes.shape == (len(space.choices),)
    assert space.decode(codes) == arch and space.parse(arch.key) == arch


def test_bad_names_and_values_are_one_line_errors():
    with pytest.raises(UnknownNameError, match="'resnet'.*known: cell, mbv2"):
        get_space("resnet")
    cell = get_space("cell")
    with pytest.raises(ConfigError, match="edge01 index: 5"):
        cell.decode([5, 0, 0])
    with pytest.raises(ConfigError, match="cell.edge12: 'conv7x7'"):
        cell.parse("cell:skip|skip|conv7x7")
    with pytest.raises(ConfigError, match="arch.space: 'mbv2'"):
        cell.encode(Arch("mbv2", ("skip",) * 3))


def test_stratified_sample_is_distinct_and_balanced_per_block():
    space = get_space("mbv2")
    archs = space.stratified(np.random.default_rng(0), 12)
    assert len(set(archs)) == 12
    codes = np.stack([space.encode(a) for a in archs[:6]])
    for col, opts in zip(codes.T, space.choices.values()):
        assert np.bincount(col, minlength=len(opts)).tolist() == [6 // len(opts)] * len(opts)


def _torch_macs(model: torch.nn.Module, resolution: int) -> int:
    """MACs of the model's convolutions and linear layers, counted from their outputs by hooks."""
    macs = []

    def hook(mod: torch.nn.Module, _inp: object, out: torch.Tensor) -> None:
        if isinstance(mod, torch.nn.Conv2d):
            k = mod.kernel_size[0] * mod.kernel_size[1] * mod.in_channels // mod.groups
            macs.append(out.numel() * k)
        elif isinstance(mod, torch.nn.Linear):
            macs.append(out.numel() * mod.in_features)

    for mod in model.modules():
        mod.register_forward_hook(hook)
    model.eval()
    model(torch.zeros(1, 1, resolution, resolution))
    return sum(macs)


@pytest.mark.parametrize(("name", "arch"), CASES)
def test_workload_is_the_trained_network(name, arch):
    space = get_space(name)
    model = GraphModule(space.net(arch))
    work = space.workload(arch)
    assert work.total_macs == _torch_macs(model, space.resolution)
    assert space.net(arch).params() == sum(p.numel() for p in model.parameters())
    assert {op.kind for op in work.ops} <= {"conv2d", "gemm", "eltwise"}
    big = space.workload(arch, resolution=4 * space.resolution)
    fc = 32 * 10 if name == "mbv2" else 16 * 10
    assert big.total_macs - fc == 16 * (work.total_macs - fc)  # convs scale with the pixel count


def test_cell_edges_follow_nas_bench_201():
    cell = get_space("cell")

    def kinds(key: str) -> list[str]:
        return [op.name for op in cell.workload(cell.parse(key)).ops]

    assert kinds("cell:none|skip|none") == ["stem", "reduce1", "gap", "fc"]  # cells are identities
    assert not cell.net(cell.parse("cell:skip|none|none")).input_reaches_output()
    assert cell.net(cell.parse("cell:none|skip|none")).input_reaches_output()
    two = kinds("cell:conv3x3|avgpool3x3|conv1x1")
    assert {"cell0_e01", "cell0_e02", "cell0_e12", "cell0_n2", "cell1_n2"} <= set(two)  # n2 sums two edges


@pytest.mark.parametrize("family", ["systolic", "loopnest", "fpga"])
def test_every_family_evaluates_a_sampled_architecture(family):
    sim = get_simulator(family)
    for name in SPACES:
        work = get_space(name).workload(SAMPLES[name][0])
        result = sim.evaluate(sim.design_for(work), work)
        assert result.valid and result.metrics["latency_s"] > 0
