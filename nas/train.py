"""The fixed training recipe of the accuracy tables (docs/nas.md): torch on one CPU thread,
deterministic given the seed."""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from nas.archs import Arch
from nas.models import GraphModule
from nas.space import get_space
from nas.tasks import get_task


@dataclass(frozen=True)
class Recipe:
    """SGD with Nesterov momentum and a cosine learning rate, as NAS-Bench-201 (Dong & Yang,
    ICLR'20, §3.3: lr 0.1 → 0, momentum 0.9, weight decay 5·10⁻⁴, batch 256, 200 epochs), shortened
    to 4 epochs of batch 50 (80 steps) on the 1,000 training images (assumed, measured in
    docs/nas.md: 40 steps left networks under-trained and seed-dominated; 80 steps separate the
    architectures with seed-to-seed spread ≈ 1 point, at ~0.4–1.7 CPU-s per network)."""

    epochs: int = 4
    batch: int = 50
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4


RECIPE = Recipe()
#: the seeds every table trains each architecture with
SEEDS = (0, 1)


CL = torch.channels_last


def _images(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(x).contiguous(memory_format=CL)


def _accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    model.eval()
    with torch.no_grad():
        pred = model(_images(x)).argmax(1).numpy()
    return float((pred == y).mean())


def train(arch: Arch, task: str, seed: int, recipe: Recipe = RECIPE) -> dict[str, float]:
    """Train ``arch`` on ``task`` with ``seed``: accuracy (fraction) per split, parameter count,
    wall and CPU time (s)."""
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    data = get_task(task)
    start, cpu = time.perf_counter(), time.process_time()
    # channels-last: oneDNN's depthwise convolution is ~3x faster in it on CPU (measured, docs/nas.md)
    net = GraphModule(get_space(arch.space).net(arch, data.classes))
    model = net.to(memory_format=CL)  # type: ignore[call-overload]  # torch's stubs lack the keyword
    params = sum(p.numel() for p in model.parameters())
    x, y = _images(data.x["train"]), torch.from_numpy(data.y["train"])
    opt = torch.optim.SGD(model.parameters(), lr=recipe.lr, momentum=recipe.momentum, nesterov=True,
                          weight_decay=recipe.weight_decay)
    steps = recipe.epochs * math.ceil(len(x) / recipe.batch)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    gen = torch.Generator().manual_seed(seed)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(recipe.epochs):
        model.train()
        for idx in torch.randperm(len(x), generator=gen).split(recipe.batch):
            opt.zero_grad()
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()
            sched.step()
    result = {split: _accuracy(model, data.x[split], data.y[split]) for split in ("train", "valid", "test")}
    return {**result, "params": float(params), "wall_s": time.perf_counter() - start,
            "cpu_s": time.process_time() - cpu}


def recipe_dict(recipe: Recipe = RECIPE) -> dict[str, object]:
    """The recipe as the tables' header records it."""
    return {"optimizer": "SGD nesterov", "schedule": "cosine to 0 per step", **asdict(recipe)}
