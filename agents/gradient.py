"""A DOSA-style gradient agent for hardware × per-layer mapping spaces of the loop-nest model
(Hong, Huang, Dinh, Subedar, Shao, "DOSA: Differentiable Model-Based One-Loop Search for DNN
Accelerators", MICRO 2023).

It searches the flat co-optimisation space (:func:`agents.coopt_tasks.flat_task`: hardware knobs
plus ``LAYER.dataflow``/``order_in``/``order_out``/``hold``/``tile_<DIM>``) by gradient descent on
the relaxed path of the cost model (:mod:`simulators.loopnest.relaxed`), relaxing:

* each layer's tiling: per dim, the inner trip count ``T**u``, ``u ∈ [0, 1]`` (log space);
* the hardware sizes (array rows/cols, SRAM sizes): a continuous coordinate over each knob's value
  index (log₂ of the size for the power-of-two grids); the cost is interpolated multilinearly
  between the machines at the surrounding grid corners, each evaluated on the relaxed model;
* each layer's dataflow: a softmax over ws/os/is mixing the layer's relaxed energy and latency.

The loss is the objective's own cost (log₁₀ of the metric, or the weighted log sum for EDP) plus
its constraint penalties (area interpolated like the cost). Adam descends; every ``round_every``
steps the point is rounded to a legal design (nearest hardware value, nearest ladder step, argmax
dataflow) and returned for an exact evaluation. Loop orders and ``hold`` are not relaxed: each
start keeps its own; starts alternate between random designs and the incumbent with a few layers'
orders redrawn.

Cost accounting: ``inner_units`` counts every relaxed row evaluated (one layer × one dataflow ×
one corner machine per step: the same cost-model formulas as an exact evaluation) and
``gradient_steps`` the steps; :mod:`agents.formulations` charges ``inner_units`` in the budget
beside the exact evaluations (docs/coopt.md: how DOSA counts samples).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from pydantic import Field

from agents.base import Agent
from archgym.config import StrictModel
from archgym.errors import ConfigError
from archgym.metrics import Result
from archgym.space import Design
from simulators.loopnest import cost, search
from simulators.loopnest.hardware import SYSTOLIC_SPATIAL, Hardware
from simulators.loopnest.mapping import HOLDS, ORDER_NAMES, LayerMappings
from simulators.loopnest.problem import DIMS, LoopLayer
from simulators.loopnest.relaxed import nearest_levels, relaxed_loops
from simulators.loopnest.simulator import hardware_from_design, loop_layers

#: hardware knobs relaxed (sizes); others keep the start design's value
SIZE_KNOBS = ("rows", "cols", "filter_kb", "ifmap_kb", "ofmap_kb")
FLOWS = tuple(SYSTOLIC_SPATIAL)
#: metrics the relaxed model gives, from a machine's summed energy (pJ) and cycles
RELAXED_METRICS = ("energy_j", "latency_s", "cycles")
#: Adam's default moment decay rates and epsilon (Kingma & Ba, ICLR 2015)
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8


class GradientConfig(StrictModel):
    """``lr``: Adam step size; ``round_every``: gradient steps between roundings (one exact
    evaluation each); ``steps_per_start``: steps before a restart; ``incumbent_restarts``: every
    other restart from the best design so far with ``redraw_layers`` layers' loop orders redrawn;
    ``order_search``: at each rounding, re-choose every layer's loop orders and hold on the exact
    model (charged to ``inner_units``)."""

    lr: float = Field(default=0.1, gt=0, le=10)
    round_every: int = Field(default=5, ge=1, le=10_000)
    steps_per_start: int = Field(default=40, ge=1, le=1_000_000)
    incumbent_restarts: bool = True
    order_search: bool = True
    redraw_layers: int = Field(default=2, ge=0, le=10_000)
    batch_size: int = Field(default=1, ge=1, le=10_000)


class _Start:
    """One descent: the start design, its fixed knobs and the relaxed variables."""

    def __init__(self, base: Design, layers: list[LoopLayer], x: torch.Tensor, u: torch.Tensor,
                 logits: torch.Tensor, lr: float):
        self.base, self.x, self.u, self.logits = dict(base), x, u, logits
        self.lr = lr
        self.moments = [(torch.zeros_like(v), torch.zeros_like(v)) for v in (x, u, logits)]
        self.steps = 0
        self.set_orders(base, layers)

    def set_orders(self, design: Design, layers: list[LoopLayer]) -> None:
        """Take ``design``'s loop orders and holds: per (layer, dataflow) row, the order indices and
        the cut cap (hold = tile: the inner loops only; the relaxed loops are not compacted)."""
        knobs = [[ORDER_NAMES.index(str(design[f"{ly.name}.{k}"])) for k in ("order_in", "order_out")] for ly in layers]
        self.orders = np.repeat(np.array(knobs, dtype=np.int64), len(FLOWS), axis=0)
        tile = [HOLDS.index(str(design[f"{ly.name}.hold"])) == 1 for ly in layers]
        self.caps = np.repeat(np.where(tile, len(DIMS), -1), len(FLOWS))
        self.base.update({k: v for k, v in design.items() if k.endswith((".order_in", ".order_out", ".hold"))})

    def adam(self) -> None:
        """One Adam step (Kingma & Ba 2015, default betas) on the variables' gradients; written out
        because ``torch.optim`` imports torch's compiler stack (~9 s here) for three tensors."""
        with torch.no_grad():
            for v, (m, s) in zip((self.x, self.u, self.logits), self.moments):
                g = v.grad if v.grad is not None else torch.zeros_like(v)
                m.mul_(ADAM_BETAS[0]).add_((1 - ADAM_BETAS[0]) * g)
                s.mul_(ADAM_BETAS[1]).add_((1 - ADAM_BETAS[1]) * g * g)
                m_hat = m / (1 - ADAM_BETAS[0] ** (self.steps + 1))
                s_hat = s / (1 - ADAM_BETAS[1] ** (self.steps + 1))
                v.sub_(self.lr * m_hat / (torch.sqrt(s_hat) + ADAM_EPS))
                v.grad = None


class GradientDescent(Agent):
    """DOSA-style descent on the relaxed loop-nest model (see the module docstring)."""

    name = "gradient"
    Config = GradientConfig

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.layers: list[LoopLayer] = []
        self.inner_units = 0
        self.gradient_steps = 0
        self._seen: set[tuple[Any, ...]] = set()
        self._best: tuple[float, Design] | None = None
        self._start: _Start | None = None
        self._starts = 0
        self._machines: dict[tuple[Any, ...], Hardware] = {}
        self._spaces: dict[tuple[int, int], LayerMappings] = {}
        self._rows: dict[int, tuple[cost.Geometry, np.ndarray, np.ndarray]] = {}

    # -- setup --------------------------------------------------------------------------------------
    def bind(self, evaluator: Any) -> None:
        self.layers = loop_layers(evaluator.workload)
        if not self.layers or f"{self.layers[0].name}.order_in" not in self.space:
            raise ConfigError("agent gradient: needs a loop-nest space with per-layer mapping knobs "
                              "(mapping=per-layer, e.g. a coopt task's flat form)")
        obj = self.objective
        metrics = [obj.metric] if obj.kind == "minimize" else list(obj.weights) if obj.kind == "weighted_log" else []
        bad = [m for m in metrics if m not in RELAXED_METRICS] or ([] if metrics else [obj.kind])
        if bad:
            raise ConfigError.bad_value("agent gradient: objective metric", bad[0], RELAXED_METRICS)
        self._weights = {obj.metric: 1.0} if obj.kind == "minimize" else dict(obj.weights)
        self._knobs = [p for p in self.space.params if p.name in SIZE_KNOBS and p.size > 1]

    def _mappings(self, li: int, hw: Hardware) -> LayerMappings:
        key = (li, id(hw))     # machines are built once (self._machines), so their ids are stable
        if key not in self._spaces:
            self._spaces[key] = LayerMappings(self.layers[li], hw)
        return self._spaces[key]

    def _machine(self, base: Design, index: Sequence[int]) -> tuple[Design, Hardware]:
        """The start design with the relaxed knobs at value indices ``index``; its flexible machine."""
        design = {**base, **{p.name: p.values[i] for p, i in zip(self._knobs, index)}}
        key = tuple(sorted((k, str(v)) for k, v in design.items() if "." not in k))
        if key not in self._machines:
            self._machines[key] = hardware_from_design(design, "flex")
        return design, self._machines[key]

    def _new_start(self) -> _Start:
        self._starts += 1
        if self.hp.incumbent_restarts and self._best is not None and self._starts % 2 == 0:
            base = dict(self._best[1])
            for li in self.rng.choice(len(self.layers), min(self.hp.redraw_layers, len(self.layers)), replace=False):
                name = self.layers[int(li)].name
                for knob, values in (("order_in", ORDER_NAMES), ("order_out", ORDER_NAMES), ("hold", HOLDS)):
                    base[f"{name}.{knob}"] = values[int(self.rng.integers(len(values)))]
        else:
            base = self.designs(self.sample_feasible(1))[0]
        index = [p.index(base[p.name]) for p in self._knobs]
        _, hw = self._machine(base, index)
        u = np.full((len(self.layers), len(DIMS)), 0.5)
        logits = np.zeros((len(self.layers), len(FLOWS)))
        for li, layer in enumerate(self.layers):
            s = FLOWS.index(str(base[f"{layer.name}.dataflow"]))
            logits[li, s] = 1.0
            space = self._mappings(li, hw)
            t = space.temporal(s)
            for d, ladder in enumerate(space.ladders(s)):
                if t[d] > 1:
                    u[li, d] = np.log(ladder[int(base[f"{layer.name}.tile_{DIMS[d]}"])]) / np.log(t[d])
        return _Start(base, self.layers, torch.tensor(np.array(index, dtype=np.float64), requires_grad=True),
                      torch.tensor(u, requires_grad=True), torch.tensor(logits, requires_grad=True), self.hp.lr)

    # -- the relaxed loss -----------------------------------------------------------------------------
    def _corner(self, hw: Hardware) -> tuple[cost.Geometry, np.ndarray, np.ndarray]:
        """Every (layer, dataflow) row of a machine: geometry, unrolling, temporal trip counts."""
        key = id(hw)
        if key not in self._rows:
            spaces = [self._mappings(li, hw) for li in range(len(self.layers))]
            self._rows[key] = (cost.Geometry.of(self.layers, [len(FLOWS)] * len(self.layers)),
                               np.stack([sp.spatial[s] for sp in spaces for s in range(len(FLOWS))]),
                               np.stack([sp.temporal(s) for sp in spaces for s in range(len(FLOWS))]))
        return self._rows[key]

    def _corner_cost(self, st: _Start, hw: Hardware) -> torch.Tensor:
        """The objective's cost (without penalties) of one machine under the relaxed mappings."""
        geom, spatial, temporal = self._corner(hw)
        u = torch.repeat_interleave(st.u, len(FLOWS), dim=0)
        dims, facs = relaxed_loops(temporal, st.orders[:, 0], st.orders[:, 1], u)
        c = cost.evaluate_many(geom, hw, spatial, dims, facs, cap=st.caps)
        self.inner_units += len(dims)
        p = torch.softmax(st.logits, dim=1)
        energy = (p * c.energy_pj.reshape(len(self.layers), len(FLOWS))).sum()
        cycles = (p * c.cycles.reshape(len(self.layers), len(FLOWS))).sum()
        metric = {"energy_j": energy * 1e-12, "latency_s": cycles / hw.clock_hz, "cycles": cycles}
        return sum(w * torch.log10(metric[m]) for m, w in self._weights.items())

    def _step(self, st: _Start) -> None:
        """One Adam step on the relaxed loss, interpolated over the surrounding corner machines."""
        sizes = [p.size for p in self._knobs]
        low = [min(int(np.floor(float(v))), n - 2) for v, n in zip(st.x.detach(), sizes)]
        frac = st.x - torch.tensor(np.array(low, dtype=np.float64))
        loss = torch.zeros((), dtype=torch.float64)
        area = torch.zeros((), dtype=torch.float64)
        for corner in itertools.product((0, 1), repeat=len(sizes)):
            index = [lo + c for lo, c in zip(low, corner)]
            w = torch.prod(torch.where(torch.tensor(corner, dtype=torch.bool), frac, 1.0 - frac)) if sizes else 1.0
            _, hw = self._machine(st.base, index)
            loss = loss + w * self._corner_cost(st, hw)
            area = area + w * hw.area_mm2()
        metrics = {"area_mm2": area}
        for m, bound in self.objective.constraints.items():
            if m in metrics:
                loss = loss + self.objective.penalty * torch.relu(metrics[m] / bound - 1.0)
        loss.backward()
        st.adam()
        with torch.no_grad():
            st.u.clamp_(0.0, 1.0)
            st.x.copy_(torch.clamp(st.x, torch.zeros(len(sizes), dtype=torch.float64),
                                   torch.tensor([float(n - 1) for n in sizes], dtype=torch.float64)))
        st.steps += 1
        self.gradient_steps += 1

    def _round(self, st: _Start) -> Design:
        """The legal design nearest the relaxed point; the nearest feasible machine if that one is not."""
        x = st.x.detach().numpy()
        grid = [np.arange(p.size) for p in self._knobs]
        order = sorted(itertools.product(*grid), key=lambda i: float(np.sum((np.array(i) - x) ** 2)))
        for index in order:
            design, hw = self._machine(st.base, index)
            if not self.space.violations(design):
                break
        logits, u = st.logits.detach().numpy(), st.u.detach().numpy()
        for li, layer in enumerate(self.layers):
            s = int(np.argmax(logits[li]))
            design[f"{layer.name}.dataflow"] = FLOWS[s]
            for d, level in enumerate(nearest_levels(self._mappings(li, hw), s, u[li])):
                design[f"{layer.name}.tile_{DIMS[d]}"] = int(level)
        if self.hp.order_search:
            self._search_orders(st, design, hw)
        return design

    def _search_orders(self, st: _Start, design: Design, hw: Hardware) -> None:
        """Every layer's loop orders and hold re-chosen on the exact model for the rounded tiles:
        all 72 per layer, each layer the one minimising its first-order share of the objective
        (w_E·E_l/ΣE + w_T·T_l/ΣT, the gradient of the log cost); the start keeps the choice."""
        heads = np.array(list(itertools.product(range(len(ORDER_NAMES)), range(len(ORDER_NAMES)),
                                                range(len(HOLDS)))), dtype=np.int64)
        energy, cycles, now = [], [], []
        for layer in self.layers:
            tiles = [int(design[f"{layer.name}.tile_{d}"]) for d in DIMS]
            codes = np.concatenate([heads, np.tile(tiles, (len(heads), 1))], axis=1)
            c = search.evaluate_code(layer, hw, FLOWS.index(str(design[f"{layer.name}.dataflow"])), codes)
            self.inner_units += len(codes)
            energy.append(np.where(c.valid, c.energy_pj, np.inf))
            cycles.append(np.where(c.valid, c.cycles, np.inf))
            current = [ORDER_NAMES.index(str(design[f"{layer.name}.{k}"])) for k in ("order_in", "order_out")]
            now.append(int(np.flatnonzero((heads[:, :2] == current).all(axis=1)
                                          & (heads[:, 2] == HOLDS.index(str(design[f"{layer.name}.hold"]))))[0]))
        e_tot = sum(e[i] for e, i in zip(energy, now))
        t_tot = sum(t[i] for t, i in zip(cycles, now))
        w_e = sum(w for m, w in self._weights.items() if m == "energy_j")
        w_t = sum(w for m, w in self._weights.items() if m != "energy_j")
        for li, layer in enumerate(self.layers):
            best = heads[int(np.argmin(w_e * energy[li] / e_tot + w_t * cycles[li] / t_tot))]
            design[f"{layer.name}.order_in"], design[f"{layer.name}.order_out"] = (ORDER_NAMES[best[0]],
                                                                                 ORDER_NAMES[best[1]])
            design[f"{layer.name}.hold"] = HOLDS[best[2]]
        st.set_orders(design, self.layers)

    # -- ask / tell ---------------------------------------------------------------------------------
    def ask(self, n: int) -> list[Design]:
        if not self.layers:
            raise ConfigError("agent gradient: bind(evaluator) must come before ask (agents.base.run does it)")
        out: list[Design] = []
        for _ in range(100 * n):
            if self._start is None or self._start.steps >= self.hp.steps_per_start:
                self._start = self._new_start()
            for _ in range(self.hp.round_every):
                self._step(self._start)
            design = self._round(self._start)
            key = tuple(sorted((k, str(v)) for k, v in design.items()))
            if key not in self._seen:
                self._seen.add(key)
                out.append(design)
                if len(out) == n:
                    break
        return out

    def tell(self, designs: Sequence[Design], results: Sequence[Result]) -> None:
        for d, c in zip(designs, self.costs(results)):
            if self._best is None or c < self._best[0]:
                self._best = (float(c), dict(d))
