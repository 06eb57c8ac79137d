"""``DesignEnv``: any archgym simulator as a Gymnasium environment.

Two formulations:

``one-shot`` (ArchGym) — an action is a whole design, ``MultiDiscrete(space.nvec)`` of value
    indices; every step evaluates one design and returns ``reward = −objective.cost``; the
    episode is truncated after ``episode_length`` steps.
``sequential`` (ConfuciuX) — each step fixes one parameter (in space order) with a
    ``Discrete(max nvec)`` action; action ``a`` picks value index ``a·n // max_n`` of a parameter
    with ``n`` values (so every action is legal and uniform actions give uniform values); the
    reward is 0 until the last parameter is fixed, then the design is evaluated and the episode
    terminates with ``−objective.cost``.

Observations: see :mod:`envs.observation`. ``info`` carries ``design``, raw ``metrics`` (names
carry units), ``valid``, ``violations``, ``cost``, ``predicted`` (proxy backend) and
``evaluated`` (False at reset and on the intermediate steps of sequential mode, where
``cost`` is 0 and ``metrics`` empty). An invalid design (or a
malformed action: wrong shape, NaN, ±inf, out of range, not a number, or fractional — 0.9 is
rejected, never rounded or floored) is never an exception: it costs ``objective.invalid_cost``
and ``violations`` names why (``action_shape``, ``action_out_of_range:PARAM``). ``action_masks()`` serves sb3-contrib's MaskablePPO (see :mod:`envs.masks` for what
can be masked). Every evaluation goes through an :class:`~archgym.evaluator.Evaluator`, which
logs it to a :class:`~archgym.store.RunStore` when ``store=`` is given.
"""

from __future__ import annotations

import operator
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from archgym.errors import ConfigError
from archgym.evaluator import Evaluator, computed, result_rows
from archgym.metrics import Objective, Result, derive
from archgym.simulator import Simulator, get_simulator
from archgym.space import Design
from archgym.store import RunStore
from archgym.workload import Workload, get_workload
from envs.masks import MaskModel
from envs.observation import DEFAULT_OBS_METRICS, ObservationBuilder

MODES = ("one-shot", "sequential")
OBS_TYPES = ("box", "dict")
INITIAL = ("default", "random")

#: small, fast default workload per simulator family
DEFAULT_WORKLOADS: dict[str, str] = {
    "systolic": "resnet18",
    "pim": "gpt2-decode:ctx=128",
    "rdu": "bert-base:seq=128",
    "fpga": "resnet18",
    "dram": "trace:pattern=random,n=2048,rw=0.3,gap=4",
    "toy": "gemm:M=64,N=64,K=64",
}
FALLBACK_WORKLOAD = "gemm:M=256,N=256,K=256"
DEFAULT_EPISODE_LENGTH = 16


class DesignEnv(gym.Env):
    """Design-space exploration of ``simulator`` on ``workload`` under ``objective``.

    Args:
        simulator: a registered simulator name (``"systolic"`` …), ``"proxy:DIR"`` or an instance.
        workload: anything :func:`archgym.workload.get_workload` accepts (default per family).
        objective: an :class:`Objective`, a mapping, or a string (``"edp"``, ``"min:latency_s"`` …).
        fidelity: ``"analytical"`` or ``"cycle"`` (must be offered by the simulator).
        mode: ``"one-shot"`` or ``"sequential"``.
        episode_length: designs per episode in one-shot mode (default 16).
        preset: hardware preset whose values are the space's defaults.
        mapping: ``"auto"`` (hardware only), ``"shared"`` or ``"per-layer"`` (co-optimisation).
        backend: evaluate with another simulator (e.g. ``"proxy:DIR"``) over the same space.
        store: a :class:`RunStore` or a path to one; every evaluation is logged under ``run_id``.
        run_id: run id for the store (default: ``"<env name>-<random hex>"``).
        env_id, agent: recorded in each store row.
        obs_type: ``"box"`` (flat) or ``"dict"``.
        obs_metrics: metric names observed (default: the objective's + latency, energy, area, power).
        fix, values, ranges: narrow the space (:meth:`DesignSpace.restrict`).
        initial: the design shown at reset, ``"default"`` (the preset) or ``"random"``.
    """

    metadata: dict[str, Any] = {"render_modes": ["ansi"]}

    def __init__(self, simulator: str | Simulator = "systolic", workload: str | Workload | None = None,
                 objective: str | Mapping[str, Any] | Objective | None = "edp",
                 fidelity: str = "analytical", mode: str = "one-shot", episode_length: int | None = None,
                 preset: str | None = None, mapping: str = "auto", backend: str | Simulator | None = None,
                 store: RunStore | str | Path | None = None, run_id: str | None = None, env_id: str = "",
                 agent: str = "", obs_type: str = "box", obs_metrics: Sequence[str] | None = None,
                 fix: Mapping[str, Any] | None = None, values: Mapping[str, Sequence[Any]] | None = None,
                 ranges: Mapping[str, tuple[Any, Any]] | None = None, initial: str = "default",
                 render_mode: str | None = None):
        _check("mode", mode, MODES)
        _check("obs_type", obs_type, OBS_TYPES)
        _check("initial", initial, INITIAL)
        if render_mode is not None:
            _check("render_mode", render_mode, self.metadata["render_modes"])
        if mode == "sequential" and episode_length not in (None, 1):
            raise ConfigError("episode_length: applies to one-shot mode; a sequential episode is one design")
        length = DEFAULT_EPISODE_LENGTH if episode_length is None else int(episode_length)
        if length < 1:
            raise ConfigError.bad_value("episode_length", episode_length, "an integer ≥ 1")
        sim = get_simulator(backend if backend is not None else simulator)
        sim.check_fidelity(fidelity)
        family = simulator.name if isinstance(simulator, Simulator) else str(simulator)
        wl = get_workload(workload if workload is not None else DEFAULT_WORKLOADS.get(family, FALLBACK_WORKLOAD))
        space = sim.space(wl, preset, mapping)
        if fix or values or ranges:
            space = space.restrict(fix, values, ranges)
        self.mode, self.episode_length, self.initial, self.render_mode = mode, length, initial, render_mode
        self.preset, self.mapping = preset, mapping
        self.simulator, self.workload, self.space = sim, wl, space
        self.objective = Objective.parse(objective)
        if isinstance(store, (str, Path)):
            store = RunStore(store)
        name = env_id.split("/")[-1] if env_id else f"{sim.name}-{mode}"
        self.evaluator = Evaluator(sim, wl, space, self.objective, fidelity, store,
                                   run_id or f"{name}-{uuid.uuid4().hex[:8]}", env_id, agent)
        if store is not None:
            store.register_run(self.evaluator.run_id, {
                "env_id": env_id, "simulator": sim.name, "workload": wl.name, "fidelity": fidelity,
                "mode": mode, "mapping": mapping, "preset": preset, "objective": self.objective.describe()})
        reference = self._reference_metrics()
        missing = [m for m in self.objective.metrics_used if reference and m not in reference]
        if missing:
            raise ConfigError.bad_value("objective metric", missing[0], sorted(reference), where=sim.name)
        metric_names = list(obs_metrics) if obs_metrics else _unique(
            [*self.objective.metrics_used, *DEFAULT_OBS_METRICS])
        self.obs = ObservationBuilder(space, wl, metric_names, reference, mode == "sequential", obs_type)
        self.observation_space = self.obs.observation_space
        self.nvec = space.nvec
        self.max_n = int(self.nvec.max())
        self._sizes, self._shape = self.nvec.tolist(), self.nvec.shape
        self._row = ObservationRow(self.obs, self.nvec)
        if mode == "one-shot":
            self.action_space = spaces.MultiDiscrete(self.nvec)
        else:
            self.action_space = spaces.Discrete(self.max_n)
        self.masks = MaskModel(space)
        self._static_mask = np.concatenate(self.masks.static_masks())
        self.best: dict[str, Any] | None = None
        self._indices = space.to_indices(space.default())
        self._t = 0
        self._last: tuple[dict[str, float], bool, list[str]] | None = None   # metrics, valid, violations
        self._observed, self._valid = self.obs.observed_values(None), True  # as observed

    # -- gymnasium API -----------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[Any, dict[str, Any]]:
        super().reset(seed=seed)
        if seed is not None:
            self.evaluator.seed = seed
        self._t = 0
        self._forget()
        start = (options or {}).get("design")
        if start is not None:
            self._indices = self.space.to_indices(self.space.complete(start))
        elif self.initial == "random":
            self._indices = self.space.sample_indices(1, self.np_random)[0]
        else:
            self._indices = self.space.to_indices(self.space.default())
        return self._observation(), self._blank_info()

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        bad = self._apply_action(action)
        if bad is None:                 # sequential mode, parameters still to fix
            return self._observation(), 0.0, False, False, self._blank_info()
        if bad:
            return self._conclude(self._design(), {}, self.obs.observed_values({}), False, bad,
                                  self.objective.invalid_cost, False)
        done = self.evaluator.evaluate_one(self._indices.tolist())
        values = done.metrics                        # NaN: not computed
        metrics = computed(values)
        cost, observed = self._score(values, metrics, done.valid)
        return self._conclude(done.design, metrics, observed, done.valid, done.violations, cost, done.predicted)

    def action_masks(self) -> np.ndarray:
        """Boolean mask of legal actions (MaskablePPO). One-shot: concatenated per-dimension masks;
        sequential: a mask over ``Discrete(max_n)`` for the parameter chosen now."""
        if self.mode == "one-shot":
            return self._static_mask.copy()
        return self.sequential_mask(self._indices, self._t)

    def sequential_mask(self, indices: np.ndarray, t: int) -> np.ndarray:
        """Sequential mode's mask over ``Discrete(max_n)`` when parameters ``< t`` are fixed to
        ``indices`` (all legal once every parameter is fixed)."""
        if t >= len(self.space):
            return np.ones(self.max_n, dtype=bool)
        fixed = {j: int(indices[j]) for j in range(t)}
        allowed = self.masks.partial_mask(fixed, t)
        return allowed[self._value_index(np.arange(self.max_n), t)]

    def render(self) -> str | None:
        if self.render_mode != "ansi":
            return None
        lines = [f"{self.space.name} · {self.workload.name} · step {self._t}"]
        lines += [f"  {k} = {v}" for k, v in self._design().items()]
        if self._last is not None:
            metrics, valid, violations = self._last
            lines += [f"  {k}: {v:.4g}" for k, v in metrics.items()]
            lines.append(f"  valid: {valid} {' '.join(violations)}")
        return "\n".join(lines)

    # -- the two halves of a step ----------------------------------------------------------------
    def _apply_action(self, action: Any) -> list[str] | None:
        """Apply ``action``: ``[]`` when a design is now due for evaluation, the violations of a
        malformed action (out of range, fractional, NaN), or ``None`` when nothing is evaluated
        this step (sequential mode)."""
        if self.mode == "one-shot" and self._legal(action):
            self._indices = action.astype(np.int64)
            return []
        a = np.asarray(action).reshape(-1)
        if self.mode == "one-shot":
            if a.shape != self.nvec.shape:
                return ["action_shape"]
            idx, out = as_indices(a, self.nvec)
            if out.any():
                return [f"action_out_of_range:{self.space.names[j]}" for j in np.flatnonzero(out)]
            self._indices = idx
            return []
        idx, out = as_indices(a, np.array([self.max_n])) if a.shape == (1,) else (a, np.array([True]))
        if out.any():
            name = self.space.names[min(self._t, len(self.space) - 1)]
            self._t = len(self.space)
            return [f"action_out_of_range:{name}"]
        self._indices[self._t] = self._value_index(int(idx[0]), self._t)
        self._t += 1
        return [] if self._t == len(self.space) else None

    def _legal(self, action: Any) -> bool:
        """True for the common one-shot action that needs no conversion: an integer array of the
        right shape, every entry in range (anything else takes :func:`as_indices`' general path)."""
        if type(action) is not np.ndarray or action.dtype.kind not in "iu" or action.shape != self._shape:
            return False
        indices = action.tolist()
        return min(indices, default=0) >= 0 and all(map(operator.lt, indices, self._sizes))

    def _score(self, values: dict[str, float], metrics: dict[str, float], valid: bool) -> tuple[float, list[float]]:
        """The cost of an evaluated design's ``values`` (NaN: not computed) and its ``metrics`` (those
        computed) as observed: :meth:`Objective.cost_one` and :meth:`ObservationBuilder.observed_values`,
        the numpy log10s of both taken in one call."""
        terms, ratios = self.objective.log_terms(values), self.obs.ratios(metrics)
        both = terms + ratios if ratios is not None else terms
        logs = np.log10(both).tolist() if both else []
        k = len(terms)
        return (self.objective.cost_one(values, valid, logs[:k]),
                self.obs.observed_values(metrics, logs[k:] if ratios is not None else None))

    def _conclude(self, design: Design, metrics: dict[str, float], observed: list[float], valid: bool,
                  violations: Sequence[str], cost: float, predicted: bool
                  ) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        """Finish a step once ``design`` is evaluated (or rejected) with ``cost``, its ``metrics`` ``observed``."""
        self._last = (metrics, valid, list(violations))
        self._observed, self._valid = observed, valid
        if valid and (self.best is None or cost < self.best["cost"]):
            self.best = {"cost": cost, "design": design, "metrics": dict(metrics)}
        info = {"design": design, "metrics": dict(metrics), "valid": valid, "violations": list(violations),
                "cost": cost, "predicted": predicted, "evaluated": True}
        if self.mode == "one-shot":
            self._t += 1
            return self._observation(), -cost, False, self._t >= self.episode_length, info
        return self._observation(), -cost, True, False, info

    # -- batched evaluation ----------------------------------------------------------------------
    def evaluate_actions(self, actions: np.ndarray) -> tuple[np.ndarray, list[dict[str, Any]]]:
        """Evaluate many one-shot actions (``(n, d)`` indices) in one batched call, without
        changing the episode; returns rewards and infos (logged to the store like steps)."""
        idx, out = as_indices(np.atleast_2d(np.asarray(actions)), self.nvec)
        good = np.flatnonzero(~out.any(axis=1))
        evaluated = iter(result_rows(self.evaluator.evaluate_indices(idx[good]))) if len(good) else iter([])
        results = [next(evaluated) if not row.any() else
                   Result.invalid([f"action_out_of_range:{self.space.names[j]}" for j in np.flatnonzero(row)])
                   for row in out]
        costs = np.array([self.objective.cost(r) for r in results])
        infos = [{"design": None if row.any() else self.space.from_indices(i), "metrics": dict(r.metrics),
                  "valid": r.valid,
                  "violations": list(r.violations), "cost": c, "predicted": bool(r.info.get("predicted", False)),
                  "evaluated": True} for i, row, r, c in zip(idx, out, results, costs)]
        return -costs, infos

    # -- helpers ---------------------------------------------------------------------------
    def _reference_metrics(self) -> dict[str, float]:
        """Metrics of the preset design (the observation scale); not logged, not counted."""
        default = self.space.default()
        if self.space.violations(default):
            return {}
        fidelity = "analytical" if "analytical" in self.simulator.fidelities else self.evaluator.fidelity
        result = self.simulator.evaluate(default, self.workload, fidelity)
        return derive(result.metrics) if result.valid else {}

    def _blank_info(self) -> dict[str, Any]:
        """``info`` when nothing was evaluated (reset, intermediate sequential steps)."""
        return {"design": self._design(), "metrics": {}, "valid": True, "violations": [],
                "cost": 0.0, "predicted": False, "evaluated": False}

    def _value_index(self, action: Any, j: int) -> Any:
        return np.asarray(action) * int(self.nvec[j]) // self.max_n

    def _out_of_range(self, idx: np.ndarray, dims: np.ndarray) -> list[str]:
        bad = (idx < 0) | (idx >= self.nvec[dims])
        return [f"action_out_of_range:{self.space.names[j]}" for j in dims[bad]]

    def _design(self) -> Design:
        return self.space.from_indices(self._indices)

    def _forget(self) -> None:
        """No evaluation seen in this episode yet: metrics observed as 0.5, valid."""
        self._last = None
        self._observed, self._valid = self.obs.observed_values(None), True

    def _observation(self) -> Any:
        return self._row.write(self._indices.tolist(), self._observed, self._valid, self._t)


class ObservationRow:
    """One environment's observations, each built by one float32 conversion of a list of Python floats.

    The design, workload and ``fixed`` entries are looked up in tables that
    :meth:`ObservationBuilder.assemble` itself produced at construction (float32 values, read as the
    Python floats they are), so every entry is the builder's value, bit for bit; a step only gathers the
    design's entries and appends the observed metrics (Python floats in ``[0, 1]`` that round to the
    builder's float32 ones: :meth:`ObservationBuilder.observed_values`) and the valid flag. Each
    observation returned is a fresh array (replay buffers and callers may keep them).
    """

    def __init__(self, builder: ObservationBuilder, nvec: np.ndarray):
        d = len(nvec)
        rows = max(int(nvec.max()), d + 1)
        r = np.arange(rows)
        # row r: value index r in every dimension (clamped), the first r parameters fixed
        table = builder.assemble(np.minimum(r[:, None], nvec - 1),
                                 np.full((rows, len(builder.metrics)), 0.5, dtype=np.float32),
                                 np.ones(rows, dtype=bool),
                                 np.arange(d)[None, :] < r[:, None] if builder.sequential else None)
        if isinstance(table, dict):
            table = np.concatenate([table[k] for k in builder.parts], axis=1)
        ends = np.cumsum(list(builder.parts.values()))
        self.slices = {k: slice(int(end) - n, int(end)) for (k, n), end in zip(builder.parts.items(), ends)}
        # write() appends the parts in the builder's order: design, metrics, valid, workload, fixed
        assert list(builder.parts)[:4] == ["design", "metrics", "valid", "workload"], builder.parts
        design = table[:, self.slices["design"]]
        self.design: list[float] = np.concatenate([design[:n, j] for j, n in enumerate(nvec.tolist())]).tolist()
        self.offsets: list[int] = (np.cumsum(nvec) - nvec).tolist()   # where dimension j's entries start
        self.workload: list[float] = table[0, self.slices["workload"]].tolist()
        self.fixed: list[list[float]] | None = \
            table[:d + 1, self.slices["fixed"]].tolist() if builder.sequential else None
        self.kind = builder.kind

    def write(self, indices: Sequence[int], metrics: Sequence[float], valid: bool, t: int = 0
              ) -> np.ndarray | dict[str, np.ndarray]:
        """The observation of the design at value ``indices`` with observed ``metrics`` (``t``
        parameters fixed: sequential mode only), in the builder's part order."""
        design = self.design
        values = [design[o + i] for o, i in zip(self.offsets, indices)]
        values += metrics
        values.append(1.0 if valid else 0.0)
        values += self.workload
        if self.fixed is not None:
            values += self.fixed[t]
        row = np.array(values, dtype=np.float32)
        if self.kind == "dict":
            return {k: row[part].copy() for k, part in self.slices.items()}
        return row


def as_indices(a: np.ndarray, nvec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer indices from actions, and a mask of entries that are not integers in ``[0, nvec)``
    (NaN, ±inf, fractions such as 0.9, non-numbers and out-of-range values are flagged — rejected,
    never rounded, floored or cast)."""
    if a.dtype.kind in "biu":
        idx = a.astype(np.int64)
        return idx, (idx < 0) | (idx >= nvec)      # uint64 ≥ 2⁶³ wraps negative: flagged too
    x = _real(a)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(x) | (x != np.floor(x)) | (x < 0) | (x >= nvec)
    return np.where(bad, 0, x).astype(np.int64), bad


def _real(a: np.ndarray) -> np.ndarray:
    """Actions as floats; entries that are not real numbers (strings, None, complex) become NaN."""
    if a.dtype.kind == "f":
        return a.astype(float)
    if a.dtype.kind != "O":
        return np.full(a.shape, np.nan)
    ok = (int, float, np.integer, np.floating)
    return np.array([float(v) if isinstance(v, ok) else np.nan for v in a.reshape(-1)]).reshape(a.shape)


def _check(field: str, value: Any, allowed: Sequence[Any]) -> None:
    if value not in allowed:
        raise ConfigError.bad_value(field, value, allowed)


def _unique(names: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(names))
