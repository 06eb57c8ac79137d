"""Feature vectors for proxy cost models: design parameters × workload → one row per design.

Three groups (all unitless numbers; counts are log-scaled):

* **design** — numeric parameters as ``log2`` (positive values spanning ≥ 4×, e.g. powers of two)
  or raw; categorical (non-numeric) parameters one-hot. A per-layer parameter ``LAYER.key``
  (co-optimisation spaces) becomes the MAC-weighted average over the workload's layers of the
  encoding of ``key``, so one model serves every mapping mode and every workload.
* **workload** — :meth:`archgym.workload.Workload.features` plus per-layer shape statistics
  (MAC-weighted mean / min / max of ``log2`` m, k, n of the lowered GEMMs).
* **derived** — PE count, total SRAM, array aspect, ideal compute cycles ``MACs / PEs``, and the
  *roofline* group (``feature_set="roofline"``): fold-count compute estimates of an R×C array for
  the three classic dataflows (SCALE-Sim's fold arithmetic, Samajdar et al. ISPASS 2020,
  Table I: ``⌈S_R/R⌉·⌈S_C/C⌉`` folds of ``T + R + C`` cycles), the one selected by the design's
  ``dataflow``, a buffer-fit DRAM-traffic estimate and a per-GEMM roofline.
  ``feature_set="basic"`` leaves the roofline group out (design + workload + simple derived
  features only); ``feature_set="multifidelity"`` adds to the roofline group the imitated
  simulator's own *analytical* metrics (log10), so the model learns the correction from the
  closed-form model to the cycle-level one (its cost per design is then the analytical model's).
  For a simulator that resolves a per-layer mapping choice itself (:data:`MF_CHOICES`: the
  systolic fold order), it also adds the *choice* group: the analytical energy and cycles with
  the choice forced to each alternative, and per near-tie threshold the energy swing if every
  layer whose alternatives are that close in cycles took the other one. The cycle-level model
  makes the same choice by its own timing, so it flips near-ties the analytical model resolves
  the other way — which moves energy far more than latency (the choice minimises cycles).

The :class:`FeatureSpec` is plain JSON, saved beside the model; :meth:`FeatureSpec.transform`
is vectorised over designs (numpy, one loop over the workload's GEMMs; the choice group calls the
analytical model once per distinct layer).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from archgym.errors import ConfigError
from archgym.space import DesignSpace
from archgym.workload import Workload

FEATURE_SETS = ("basic", "roofline", "multifidelity")
#: analytical metrics used as features by the ``multifidelity`` set (log10; ``+1`` for counts that may be 0)
MF_METRICS = ("latency_s", "energy_j", "cycles", "stall_cycles", "dram_bytes", "sram_bytes", "utilization")
#: per simulator: a per-layer parameter it resolves itself when set to :data:`AUTO`, and its alternatives
MF_CHOICES: dict[str, tuple[str, tuple[str, ...]]] = {"systolic": ("fold_order", ("col", "row"))}
#: relative cycle gaps up to which a layer's choice counts as a near-tie (the swing features)
MF_SWING_GAPS = (0.0, 1e-3, 1e-2, 5e-2, 0.2)
AUTO = "auto"
DATAFLOW_NAMES = ("os", "ws", "is")
_SRAM_SUFFIXES = ("_kb", "_kib")


@dataclass
class ParamSpec:
    """How one (base) design parameter is encoded."""

    key: str
    encoding: str                 # "log2" | "raw" | "onehot" | "const"
    values: list[Any] = field(default_factory=list)

    def columns(self) -> list[str]:
        if self.encoding == "onehot":
            return [f"d.{self.key}={v}" for v in self.values]
        if self.encoding == "const":
            return []
        return [f"d.{self.key}" + ("(log2)" if self.encoding == "log2" else "")]

    def encode(self, col: np.ndarray) -> np.ndarray:
        """``(n,)`` values → ``(n, len(columns))`` floats."""
        if self.encoding == "onehot":
            col = as_strings(col)
            return np.stack([(col == str(v)).astype(float) for v in self.values], axis=1)
        if self.encoding == "const":
            return np.zeros((len(col), 0))
        x = as_floats(col)
        return (np.log2(x) if self.encoding == "log2" else x)[:, None]


def _param_spec(key: str, kind: str, values: Sequence[Any]) -> ParamSpec:
    values = list(values)
    numeric = all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in values)
    if len(values) <= 1:
        return ParamSpec(key, "const", [_plain(v) for v in values])
    if kind == "categorical" or not numeric:
        return ParamSpec(key, "onehot", [_plain(v) for v in values])
    lo, hi = min(values), max(values)
    log = lo > 0 and (kind == "pow2" or hi / lo >= 4)
    return ParamSpec(key, "log2" if log else "raw", [_plain(v) for v in values])


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def base_key(name: str, layer_names: set[str]) -> str:
    """``LAYER.key`` → ``key`` when LAYER is a layer of the workload, else the name itself."""
    prefix, dot, rest = name.rpartition(".")
    return rest if dot and prefix in layer_names else name


@dataclass
class ChoiceSpec:
    """A per-layer mapping choice of the imitated simulator (``key``, set to :data:`AUTO` or
    absent when the simulator resolves it) and the alternatives it picks from."""

    key: str
    values: list[str]

    def columns(self) -> list[str]:
        return ([f"a.log10_{m}|{self.key}={v}" for m in ("energy_j", "cycles") for v in self.values]
                + [f"a.swing_energy_j|{self.key}|gap<={g:g}" for g in MF_SWING_GAPS])


@dataclass
class FeatureSpec:
    """The JSON-serialisable recipe that turns designs of one space family into features."""

    params: list[ParamSpec]
    feature_set: str = "roofline"
    names: list[str] = field(default_factory=list)
    simulator: str = ""
    choice: ChoiceSpec | None = None
    _cache: dict[int, dict[str, Any]] = field(default_factory=dict, repr=False, compare=False)

    def _static(self, workload: Workload) -> dict[str, Any]:
        """Per-workload quantities that do not depend on the design (cached per workload object)."""
        key = id(workload)
        hit = self._cache.get(key)
        if hit is None or hit["workload"] is not workload:
            if len(self._cache) > 64:
                self._cache.clear()
            hit = {"workload": workload, "features": _workload_features(workload), "gemms": _gemm_table(workload),
                   "weights": _layer_weights(workload), "macs": max(float(workload.total_macs), 1.0),
                   "word": float(np.mean([op.word_bytes for op in workload.layers])) if workload.layers else 1.0}
            if self.choice:  # one-layer workloads for the choice group
                hit["layers"] = _layer_workloads(workload, distinct=False)
                hit["distinct_layers"] = _layer_workloads(workload, distinct=True)
            self._cache[key] = hit
        return hit

    @classmethod
    def from_space(cls, space: DesignSpace, workload: Workload, feature_set: str = "roofline",
                   simulator: str = "") -> FeatureSpec:
        """Build the encoding of ``space``'s parameters (per-layer ones grouped by key);
        ``simulator`` (a registry name) is needed by the ``multifidelity`` set."""
        if feature_set not in FEATURE_SETS:
            raise ConfigError.bad_value("feature_set", feature_set, FEATURE_SETS)
        if feature_set == "multifidelity" and not simulator:
            raise ConfigError("feature_set: multifidelity needs the simulator whose analytical model it uses")
        layers = {op.name for op in workload.layers}
        seen: dict[str, ParamSpec] = {}
        for p in space.params:
            key = base_key(p.name, layers)
            if key not in seen:
                seen[key] = _param_spec(key, p.kind, p.values)
        choice = None
        if feature_set == "multifidelity" and simulator in MF_CHOICES:
            key, values = MF_CHOICES[simulator]
            choice = ChoiceSpec(key, list(values))
        spec = cls(list(seen.values()), feature_set, simulator=simulator, choice=choice)
        spec.names = spec._names(workload)
        return spec

    def to_json(self) -> dict[str, Any]:
        return {"params": [asdict(p) for p in self.params], "feature_set": self.feature_set, "names": self.names,
                "simulator": self.simulator, "choice": asdict(self.choice) if self.choice else None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FeatureSpec:
        """Inverse of :meth:`to_json` (specs saved before the choice group have none)."""
        if data.get("feature_set") not in FEATURE_SETS:
            raise ConfigError.bad_value("features.feature_set", data.get("feature_set"), FEATURE_SETS)
        choice = ChoiceSpec(**data["choice"]) if data.get("choice") else None
        return cls([ParamSpec(**p) for p in data["params"]], data["feature_set"], list(data["names"]),
                   str(data.get("simulator", "")), choice)

    # -- transform ----------------------------------------------------------------------------
    def _names(self, workload: Workload) -> list[str]:
        cols = [c for p in self.params for c in p.columns()]
        cols += [f"w.{k}" for k in _workload_features(workload)]
        cols += _DERIVED_BASIC + (_DERIVED_ROOFLINE if self.feature_set != "basic" else [])
        if self.feature_set == "multifidelity":
            cols += [f"a.log10_{m}" for m in MF_METRICS]
        if self.choice:
            cols += self.choice.columns()
        return cols

    def transform(self, columns: Mapping[str, Any] | Sequence[Mapping[str, Any]], workload: Workload) -> np.ndarray:
        """Features ``(n, len(names))`` of designs given as name → value array (or a list of dicts)."""
        if not isinstance(columns, Mapping):
            columns = to_columns(columns)
        n = len(next(iter(columns.values()))) if columns else 0
        static = self._static(workload)
        weights = static["weights"]
        parts = []
        for p in self.params:
            if p.encoding == "const":
                continue
            parts.append(_aggregate(p, columns, weights, n))
        wf = static["features"]
        parts.append(np.tile(np.array(list(wf.values()), dtype=float), (n, 1)))
        parts.append(self._derived(columns, workload, static, n))
        x = np.concatenate(parts, axis=1) if parts else np.zeros((n, 0))
        if self.names and x.shape[1] != len(self.names):
            raise ConfigError(f"proxy features: expected {len(self.names)} features, built {x.shape[1]}")
        return x

    def _derived(self, cols: Mapping[str, Any], workload: Workload, static: dict[str, Any], n: int) -> np.ndarray:
        rows = _numeric(cols, "rows", n)
        pcols = _numeric(cols, "cols", n)
        pes = rows * pcols
        sram_keys = [k for k in cols if k.endswith(_SRAM_SUFFIXES)]
        sram = sum((_numeric(cols, k, n) for k in sram_keys), np.zeros(n)) if sram_keys else np.ones(n)
        macs = static["macs"]
        out = [np.log2(pes), np.log2(np.maximum(sram, 1e-9)), np.log2(rows / pcols), np.log10(macs / pes)]
        if self.feature_set != "basic":
            out += self._roofline(cols, workload, static, rows, pcols, n)
        if self.feature_set == "multifidelity":
            out += self._analytical(cols, workload, n)
        if self.choice:
            out += self._choice_features(cols, static, n)
        return np.stack(out, axis=1)

    def _analytical(self, cols: Mapping[str, Any], workload: Workload, n: int) -> list[np.ndarray]:
        """log10 of the simulator's analytical metrics (its vectorised ``evaluate_batch``)."""
        from archgym.simulator import get_simulator

        sim = get_simulator(self.simulator)
        metrics = sim.evaluate_batch({k: np.broadcast_to(np.asarray(v), (n,)) for k, v in cols.items()},
                                     workload, "analytical").metrics
        with np.errstate(divide="ignore", invalid="ignore"):
            return [np.log10(np.asarray(metrics.get(m, np.full(n, np.nan)), dtype=float) + (m == "stall_cycles"))
                    for m in MF_METRICS]

    def _choice_features(self, cols: Mapping[str, Any], static: dict[str, Any], n: int) -> list[np.ndarray]:
        """The choice group (:class:`ChoiceSpec`): log10 of the analytical energy and cycles with
        the choice forced to each alternative, then the energy swings of near-tie layers."""
        per_layer_cols = {k.rpartition(".")[0] for k in cols} & {op.name for op in static["workload"].layers}
        layers, counts = static["layers" if per_layer_cols else "distinct_layers"]
        energy, cycles = self._per_layer_alternatives(cols, layers, n)     # (alternatives, layers, n)
        w = np.asarray(counts, dtype=float)[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = [np.log10((w * e).sum(0)) for e in energy] + [np.log10((w * c).sum(0)) for c in cycles]
            return out + _near_tie_swings(energy, cycles, w)

    def _per_layer_alternatives(self, cols: Mapping[str, Any], layers: Sequence[Workload],
                                n: int) -> tuple[np.ndarray, np.ndarray]:
        """Analytical energy and cycles ``(alternatives, layers, n)`` of each one-layer workload
        with the choice forced to each alternative where the design leaves it to the simulator (a
        design that fixes it keeps its value); one simulator call per layer for all alternatives."""
        from archgym.simulator import get_simulator

        sim = get_simulator(self.simulator)
        key, values = self.choice.key, self.choice.values
        a = len(values)
        stacked = {k: np.tile(np.broadcast_to(np.asarray(v), (n,)), a) for k, v in cols.items()}
        choice = np.repeat(np.array(values, dtype=object), n)
        energy, cycles = np.ones((a, len(layers), n)), np.ones((a, len(layers), n))
        for li, layer in enumerate(layers):
            own_key = f"{layer.layers[0].name}.{key}"
            own = np.asarray(stacked.get(own_key, stacked.get(key, np.full(a * n, AUTO)))).astype(str)
            forced = np.where(own == AUTO, choice, own).astype(object)
            m = sim.evaluate_batch({**stacked, key: forced, own_key: forced}, layer, "analytical").metrics
            energy[:, li] = np.asarray(m["energy_j"], dtype=float).reshape(a, n)
            cycles[:, li] = np.asarray(m["cycles"], dtype=float).reshape(a, n)
        return energy, cycles

    @staticmethod
    def _roofline(cols: Mapping[str, Any], workload: Workload, static: dict[str, Any], r: np.ndarray,
                  c: np.ndarray, n: int) -> list[np.ndarray]:
        """Fold-count, traffic and roofline estimates, vectorised as (GEMMs × designs) matrices."""
        g = static["gemms"]
        if g is None:
            return [np.zeros(n) for _ in _DERIVED_ROOFLINE]
        m, k, nn, rep, layer_idx = g
        r, c = r[None, :], c[None, :]
        spatial = {  # dataflow → (S_R, S_C, T): SCALE-Sim's mapping table (Samajdar et al. 2020, Tab. I)
            "os": (m, nn, k), "ws": (k, nn, m), "is": (k, m, nn)}
        per = np.stack([np.ceil(sr / r) * np.ceil(sc / c) * (t + r + c + (name != "os") * r)
                        for name, (sr, sc, t) in spatial.items()]) * rep     # (3, G, n)
        code = _dataflow_codes(cols, workload, layer_idx, per)               # (G, n)
        gi = np.arange(per.shape[1])[:, None]
        ni = np.arange(n)[None, :]
        chosen = per[code, gi, ni]
        sr = np.choose(code, [np.broadcast_to(v[0], code.shape) for v in spatial.values()])
        sc = np.choose(code, [np.broadcast_to(v[1], code.shape) for v in spatial.values()])
        row_f, col_f = np.ceil(sr / r), np.ceil(sc / c)
        word = static["word"]
        half = {b: _numeric(cols, f"{b}_kb", n)[None, :] * 1024 / word / 2 for b in ("ifmap", "filter", "ofmap")}
        a_words, b_words, o_words = m * k, k * nn, m * nn
        a_fit, b_fit = a_words <= half["ifmap"], b_words <= half["filter"]
        a_dram = a_words * np.where(a_fit, 1.0, col_f)
        b_dram = b_words * np.where(b_fit, 1.0, row_f)
        o_dram = o_words * np.where(code == 0, 1.0, row_f)
        bw = _numeric(cols, "dram_bw", n)[None, :] if "dram_bw" in cols else np.ones((1, n))
        mem = np.maximum(np.maximum(a_dram, b_dram), o_dram) / bw * rep
        dram = (a_dram + b_dram + o_dram) * rep
        sram = (a_words * col_f + b_words * row_f + o_words * row_f) * rep
        w = (m * k * nn * rep)[:, 0]
        w = w / w.sum()
        lg = np.log10
        return [lg(per[0].sum(0)), lg(per[1].sum(0)), lg(per[2].sum(0)), lg(per.min(axis=0).sum(0)),
                lg(chosen.sum(0)), lg(mem.sum(0)), lg(np.maximum(chosen, mem).sum(0)),
                lg(dram.sum(0)), lg(sram.sum(0)), w @ a_fit, w @ b_fit, w @ (o_words <= half["ofmap"])]


def _layer_workloads(workload: Workload, distinct: bool) -> tuple[list[Workload], list[int]]:
    """One-layer workloads of ``workload``'s layers and how many layers each stands for: every
    layer once, or (``distinct``) one per distinct list of GEMM shapes (layers the analytical
    model cannot tell apart when the design has no per-layer parameters)."""
    groups: dict[Any, list[Any]] = {}
    for op in workload.layers:
        sig = (op.word_bytes, tuple((g.m, g.k, g.n, g.repeat) for g in op.gemms())) if distinct else op.name
        groups.setdefault(sig, [op, 0])[1] += 1
    return ([Workload.chain(f"{workload.name}/{op.name}", [op]) for op, _ in groups.values()],
            [count for _, count in groups.values()])


def _near_tie_swings(energy: np.ndarray, cycles: np.ndarray, weight: np.ndarray) -> list[np.ndarray]:
    """Per threshold ``g`` of :data:`MF_SWING_GAPS`: ``log10(E'/E)``, where ``E`` is the energy
    with each layer on its fastest alternative (the analytical model's choice; first on ties)
    and ``E'`` the same with every layer whose runner-up is at most ``g`` slower switched to it.
    ``energy``/``cycles``: ``(alternatives, layers, n)``; ``weight``: ``(layers, 1)`` layer counts."""
    best = cycles.argmin(axis=0)[None]                                  # (1, L, n)
    runner = np.where(np.arange(len(cycles))[:, None, None] == best, np.inf, cycles).argmin(axis=0)[None]
    e_best, c_best = np.take_along_axis(energy, best, 0)[0], np.take_along_axis(cycles, best, 0)[0]
    e_next, c_next = np.take_along_axis(energy, runner, 0)[0], np.take_along_axis(cycles, runner, 0)[0]
    gap = (c_next - c_best) / np.maximum(c_best, 1e-30)
    total = np.maximum((weight * e_best).sum(0), 1e-300)
    return [np.log10(1.0 + (weight * (e_next - e_best) * (gap <= g)).sum(0) / total) for g in MF_SWING_GAPS]


def _gemm_table(workload: Workload) -> tuple[np.ndarray, ...] | None:
    """(m, k, n, repeat, layer index) of every lowered GEMM as ``(G, 1)`` float columns."""
    rows = [(g.m, g.k, g.n, g.repeat, i) for i, op in enumerate(workload.layers) for g in op.gemms()]
    if not rows:
        return None
    t = np.array(rows, dtype=float)
    return t[:, 0:1], t[:, 1:2], t[:, 2:3], t[:, 3:4], t[:, 4].astype(np.int64)


def _dataflow_codes(cols: Mapping[str, Any], workload: Workload, layer_idx: np.ndarray,
                    per: np.ndarray) -> np.ndarray:
    """Per-GEMM dataflow code (0/1/2 = os/ws/is) of each design: its ``dataflow`` (shared or
    per layer), or the fastest estimate when the design has none."""
    best = per.argmin(axis=0)
    if "dataflow" in cols and not any(f"{op.name}.dataflow" in cols for op in workload.layers):
        code = _codes(cols["dataflow"])
        return np.where(code[None, :] >= 0, code[None, :], best)
    out = best.copy()
    for li, op in enumerate(workload.layers):
        col = cols.get(f"{op.name}.dataflow", cols.get("dataflow"))
        if col is None:
            continue
        code = _codes(col)
        rows = layer_idx == li
        out[rows] = np.where(code[None, :] >= 0, code[None, :], best[rows])
    return out


_DERIVED_BASIC = ["x.log2_pes", "x.log2_sram_total", "x.log2_aspect", "x.log10_ideal_cycles"]
_DERIVED_ROOFLINE = ["x.log10_folds_os", "x.log10_folds_ws", "x.log10_folds_is", "x.log10_folds_best",
                     "x.log10_folds_chosen", "x.log10_mem_cycles", "x.log10_roofline_cycles",
                     "x.log10_dram_words", "x.log10_sram_words", "x.fit_ifmap", "x.fit_filter", "x.fit_ofmap"]


def to_columns(designs: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """Designs as name → one value per design (an object column where a value is a list or a dict)."""
    if not designs:
        return {}
    keys = list(designs[0])
    return {k: _column([d[k] for d in designs]) for k in keys}


def _column(values: list[Any]) -> np.ndarray:
    """One value per design: an object column where any is a string (numpy would make the numbers
    strings too) or where numpy would not give one entry per design (lists, dicts)."""
    try:
        col = np.array(values, dtype=object if any(isinstance(v, str) for v in values) else None)
    except ValueError:              # lists of different lengths
        col = None
    if col is None or col.shape != (len(values),):
        col = np.empty(len(values), dtype=object)
        for i, v in enumerate(values):
            col[i] = v
    return col


def as_floats(col: Any) -> np.ndarray:
    """``col`` as numpy reads it as floats; NaN for an entry it cannot read (a word, a list, a dict), a
    value outside every training range (:mod:`cost_models.domain`), so the proxy answers it out of domain."""
    try:
        return np.asarray(col, dtype=float)
    except (TypeError, ValueError):
        return np.array([_float(v) for v in np.asarray(col, dtype=object).ravel()]).reshape(np.shape(col))


def as_strings(col: Any) -> np.ndarray:
    """``col`` as numpy spells it as strings (``str(v)`` of an entry it cannot, a list or a dict)."""
    try:
        return np.asarray(col).astype(str)
    except ValueError:
        values = np.asarray(col, dtype=object)
        return np.array([str(v) for v in values.ravel()], dtype=str).reshape(values.shape)


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return math.nan


def _numeric(cols: Mapping[str, Any], key: str, n: int) -> np.ndarray:
    if key not in cols:
        return np.ones(n)
    return np.broadcast_to(as_floats(cols[key]), (n,)).astype(float)


def _codes(col: Any) -> np.ndarray:
    """Dataflow names → 0/1/2 (os/ws/is), −1 for anything else."""
    labels = as_strings(col)
    code = np.full(labels.shape, -1, dtype=np.int64)
    for i, name in enumerate(DATAFLOW_NAMES):
        code[labels == name] = i
    return code


def _layer_weights(workload: Workload) -> dict[str, float]:
    macs = {op.name: float(op.macs) for op in workload.layers}
    total = sum(macs.values()) or 1.0
    return {k: v / total for k, v in macs.items()}


def _aggregate(p: ParamSpec, cols: Mapping[str, Any], weights: dict[str, float], n: int) -> np.ndarray:
    """Encode ``p``: the shared column if present, else the MAC-weighted mean over per-layer columns."""
    if p.key in cols:
        return p.encode(np.broadcast_to(np.asarray(cols[p.key]), (n,)))
    per_layer = [(w, cols[f"{layer}.{p.key}"]) for layer, w in weights.items() if f"{layer}.{p.key}" in cols]
    if not per_layer:
        raise ConfigError(f"proxy features: design has no parameter {p.key!r} (nor LAYER.{p.key})")
    total = sum(w for w, _ in per_layer) or 1.0
    return sum(w * p.encode(np.asarray(c)) for w, c in per_layer) / total


def _workload_features(workload: Workload) -> dict[str, float]:
    """Workload-level features + MAC-weighted per-GEMM shape statistics (log2 m, k, n)."""
    out = dict(workload.features())
    gemms = [g for op in workload.layers for g in op.gemms()]
    if not gemms:
        gemms = [type("G", (), {"m": 1, "k": 1, "n": 1, "repeat": 1, "macs": 1})()]
    w = np.array([max(g.macs, 1) for g in gemms], dtype=float)
    w /= w.sum()
    for dim in ("m", "k", "n"):
        v = np.log2(np.array([max(getattr(g, dim), 1) for g in gemms], dtype=float))
        out[f"log2_{dim}_mean"] = float((w * v).sum())
        out[f"log2_{dim}_min"] = float(v.min())
        out[f"log2_{dim}_max"] = float(v.max())
    out["log2_gemms"] = math.log2(sum(g.repeat for g in gemms))
    return out
