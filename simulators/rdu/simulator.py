"""``RDUSimulator``: the reconfigurable-dataflow family behind ``archgym simulate rdu`` and ``RDU-v2``."""

from __future__ import annotations

import math
import weakref
from collections.abc import Mapping as MappingABC
from collections.abc import Sequence
from functools import partial
from typing import Any, NamedTuple

import numpy as np

from archgym.space import DesignSpace
from archgym.workload import Workload
from simulators.common.family import Designs, Family, ModelOutput
from simulators.rdu import analytical, cut_table, cycle, cycle_search, section_table, single
from simulators.rdu import analytical_kernel as ak
from simulators.rdu import mapping as mp
from simulators.rdu.bounds import BOUNDS
from simulators.rdu.candidate_rows import CandidateRows
from simulators.rdu.hardware import HW_PARAMS, PRESETS, RDUConfig, area_mm2
from simulators.rdu.kernels import KernelGraph, lower
from simulators.rdu.space import build_space, pcu_grid

_CONSTS = ("word_bytes", "process_nm", "reconfig_us")
#: designs per cycle-level pass: its candidate models hold ~10 KB per candidate on a 31-kernel
#: network and ~60 candidates per design after pruning (docs/cycle-batch.md), ~150 MB a pass
CYCLE_CHUNK = 256
#: candidates per design the analytical mapper models first (lowest floors); the rest only where
#: a floor does not exceed the best latency among them (docs/single-eval.md, RDU: measured)
ANALYTICAL_PROBE = 16


class RDUSimulator(Family):
    """Reconfigurable dataflow units (Plasticine, SambaNova SN10/SN30/SN40L): sectioned dataflow
    pipelines of PCUs and PMUs over an SRAM/HBM/DDR hierarchy, DFModel-style analytical model and a
    tile-level discrete-event model."""

    name = "rdu"
    default_preset = "sn40l"
    version = "3"
    parameters = (*HW_PARAMS, *_CONSTS)
    bounds = BOUNDS

    def __init__(self) -> None:
        self._graphs: weakref.WeakKeyDictionary[Workload, KernelGraph] = weakref.WeakKeyDictionary()

    # -- contract ---------------------------------------------------------------------------------
    def presets(self) -> dict[str, RDUConfig]:
        return dict(PRESETS)

    def kernel_graph(self, workload: Workload) -> KernelGraph:
        """The workload lowered to kernels (memoised per workload object)."""
        kg = self._graphs.get(workload)
        if kg is None:
            kg = self._graphs[workload] = lower(workload)
        return kg

    def space(self, workload: Workload, preset: str | None = None, mapping: str = "auto") -> DesignSpace:
        cfg = self.preset(preset)
        mapping = self.check_mapping(mapping)
        self.check_workload(workload)         # a trace has no operators to lower
        kg = self.kernel_graph(workload)
        name = f"rdu-{cfg.name}-{mapping}"
        if mapping != "per-layer":
            return build_space(cfg, kg, mapping, name)
        best = self._auto_mappings([{**cfg.design(), **_consts(cfg)}], kg, "analytical")[0][0][0]
        return build_space(cfg, kg, mapping, name, np.r_[0, np.diff(best.section)], best.tile)

    def model(self, designs: Designs, workload: Workload, fidelity: str) -> ModelOutput:
        """Analytical: one vectorised pass over all designs (mappings may differ per design: the
        mappers run per distinct hardware key, memoised). Cycle: the same pass, then the tile-level
        simulation of each design's sections, :data:`CYCLE_CHUNK` designs at a time."""
        one = designs.one
        if fidelity == "analytical" and one is not None and "tile_rows" not in one and _plain(one):
            kg = self.kernel_graph(workload)
            picked = single.choose(_built_key(one, kg), one, _hardware([one]), kg)
            if picked is not None:
                return _one_output(*picked, kg, one)
        consts = {k: designs.single(k) for k in _CONSTS}
        rows = designs.rows
        if fidelity == "cycle" and designs.n > CYCLE_CHUNK:
            parts = [rows[i:i + CYCLE_CHUNK] for i in range(0, designs.n, CYCLE_CHUNK)]
            return _joined([self.model(Designs(self.name, p), workload, fidelity) for p in parts],
                           [len(p) for p in parts])
        kg = self.kernel_graph(workload)
        maps, model, known = self._mappings(rows, kg, fidelity)
        times: list[np.ndarray] = []
        if fidelity == "cycle":
            times = [t if t is not None else cycle.section_times(model, i, (kg.edge_src, kg.edge_dst))
                     for i, t in enumerate(known)]
        cols = {k: designs.column(k) for k in _AREA}
        return self._output(maps, model, kg, cols, consts, times)

    def _output(self, maps: Sequence[mp.Mapping], model: analytical.Model, kg: KernelGraph,
                cols: MappingABC[str, Any], consts: MappingABC[str, Any], times: list[np.ndarray]) -> ModelOutput:
        """The model output of designs mapped to ``maps`` with analytical ``model``: its metrics (cycle
        level: from the simulated section ``times``), the area of the :data:`_AREA` columns ``cols``
        (arrays, or one design's numbers) at ``consts``' process and word size, design 0's info and layers."""
        metrics: dict[str, Any] = dict(model.metrics)
        if times:
            metrics = cycle.metrics(model, np.stack(times), kg.total_flops)
        metrics["area_mm2"] = area_mm2(cols, int(consts["process_nm"]), int(consts["word_bytes"]))
        return ModelOutput(metrics, model.violations, lambda: _sections(model, kg, times[0] if times else model.ii[0]),
                           lambda: _info(maps[0], kg, model.pmu_used[0], model.act_in_hbm[0], model.weight_hbm_frac[0]))

    # -- mapping ----------------------------------------------------------------------------------
    def _mappings(self, designs: Sequence[MappingABC[str, Any]], kg: KernelGraph, fidelity: str
                  ) -> tuple[list[mp.Mapping], analytical.Model, list[np.ndarray | None]]:
        """Each design's mapping, their analytical model, and the section times the cycle-level
        mapper already simulated (None where it did not). When every design is auto-mapped the
        model's rows are taken from the mapper's pass over the candidates, not recomputed."""
        auto = [i for i, d in enumerate(designs) if "tile_rows" not in d]
        chosen, cand_model, known = self._auto_mappings([designs[i] for i in auto], kg, fidelity)
        if cand_model is not None and len(auto) == len(designs) and all(j >= 0 for _, j in chosen):
            return [m for m, _ in chosen], cand_model.take(np.array([j for _, j in chosen], dtype=np.int64)), known
        picked = {i: (m, t) for i, (m, _), t in zip(auto, chosen, known)}
        out = [picked[i][0] if i in picked else _explicit_mapping(d, kg) for i, d in enumerate(designs)]
        times = [picked[i][1] if i in picked else None for i in range(len(designs))]
        return out, self._mapped_model(designs, kg, out), times

    def _auto_mappings(self, designs: Sequence[MappingABC[str, Any]], kg: KernelGraph, fidelity: str
                       ) -> tuple[list[tuple[mp.Mapping, int]], analytical.Model | None, list[np.ndarray | None]]:
        """The default mapper: greedy capacity cuts + balanced PCUs for each tile size, TP degree
        and section-length cap; the valid candidate with the lowest latency at ``fidelity`` wins
        (:meth:`_analytical_choice`; cycle level: those :func:`cycle_search.prune` keeps).
        Returns each design's (mapping, row in the returned model, or -1 for a smaller PCU
        budget's split, :meth:`_fewer_pcus`), that model, and at cycle level the winner's
        simulated section times."""
        if fidelity != "cycle":
            picks, winners = self._analytical_choice(designs, kg)
            return picks, winners, [None] * len(designs)
        if not designs:
            return [], None, []
        memo: cycle.Memo = {}     # simulated sections, shared by all the cycle-level searches below
        built, cands = _candidate_rows(designs, kg)
        own = [b.cands for b in built]
        # drop the candidates a coarser bound proves slower than a few simulated
        hw = _hardware(designs)
        keep = cycle_search.prune(designs, kg, own, [b.terms for b in built],
                                  partial(self._scored, designs, hw, kg, cands), memo)
        rows = [i for i, c in enumerate(keep) for _ in c]
        if not rows:
            return [], None, []
        model, score = self._scored(designs, hw, kg, cands, keep)
        groups = _grouped(rows, len(designs))
        edges = (kg.edge_src, kg.edge_dst)
        bound = cycle.lower_bound(model, kg)
        finite = np.isfinite(score).tolist()
        valid = [[j for j in group if finite[j]] for group in groups]
        found = iter(cycle.best_candidates(model, bound, [v for v in valid if v], edges, memo))
        tile = cands.tiles(cands.flat(keep)[0]).tolist()
        chosen: list[tuple[mp.Mapping, int]] = []
        known: list[np.ndarray | None] = []
        for i, v in enumerate(valid):
            j, times = next(found) if v else (min(groups[i], key=lambda j: score[j]), None)
            chosen.append((mp.Mapping(model.section[j], model.pcu[j], tile[j], cut_table.DEPTH, int(model.tp[j])), j))
            known.append(times)
        self._fewer_pcus(designs, hw, kg, cands, keep, groups, model, bound, chosen, known, memo)
        return chosen, model, known

    def _analytical_choice(self, designs: Sequence[MappingABC[str, Any]], kg: KernelGraph
                           ) -> tuple[list[tuple[mp.Mapping, int]], analytical.Model | None]:
        """The analytical mapper: the valid candidate with the lowest analytical latency (the first
        of equals). The :data:`ANALYTICAL_PROBE` lowest floors (:func:`cycle_search.design_floors`,
        at most the analytical latency: docs/single-eval.md) are modelled first; then, only where
        some other candidate's floor does not exceed the best valid latency found (``1e-9``
        margin; all of them without one), those. Returns each design's (mapping, its row in the
        returned model) and that model (both passes' rows)."""
        if not designs:
            return [], None
        built, rows_of = _candidate_rows(designs, kg)
        cands = [b.cands for b in built]
        fl = cycle_search.design_floors(designs, [b.terms for b in built])
        hw = _hardware(designs)
        first = [sorted(np.argsort(f, kind="stable")[:ANALYTICAL_PROBE].tolist()) for f in fl]
        model, score = self._scored(designs, hw, kg, rows_of, first)
        at = 0
        best: list[float] = []
        for js in first:
            best.append(float(score[at:at + len(js)].min()))
            at += len(js)
        rest = [sorted(set(np.flatnonzero(f <= b * (1 + 1e-9)).tolist()) - set(js)) if np.isfinite(b)
                else sorted(set(range(len(f))) - set(js)) for f, b, js in zip(fl, best, first)]
        picked = [js + more for js, more in zip(first, rest)]
        if any(rest):
            more, more_score = self._scored(designs, hw, kg, rows_of, rest)
            joined = model.blank(len(score) + len(more_score))
            joined.put(0, model)
            joined.put(len(score), more)
            model, score = joined, np.concatenate([score, more_score])
        row = {(i, j): r for r, (i, j) in enumerate((i, j) for part in (first, rest)
                                                     for i, js in enumerate(part) for j in js)}
        chosen = []
        for i, js in enumerate(picked):
            j = min(js, key=lambda j: (score[row[i, j]], j))
            chosen.append((cands[i][j], row[i, j]))
        return chosen, model

    def _scored(self, designs: Sequence[MappingABC[str, Any]], hw: np.ndarray, kg: KernelGraph,
                cands: CandidateRows, picked: Sequence[Sequence[int]]) -> tuple[analytical.Model, np.ndarray]:
        """The model of candidates ``picked[i]`` of each design ``i`` (in that order; ``hw``: their
        :func:`_hardware`; ``cands``: their :func:`_candidate_rows`) and their scores: latency, ``inf``
        where a constraint is violated."""
        flat, owner = cands.flat(picked)
        model = analytical.evaluate_block(kg, hw[:, owner], int(designs[0]["word_bytes"]),
                                          float(designs[0]["reconfig_us"]) * 1e-6, *cands.arrays(flat))
        bad = np.stack(list(model.violations.values())).any(axis=0)
        return model, np.where(bad, np.inf, model.metrics["latency_s"])

    def _fewer_pcus(self, designs: Sequence[MappingABC[str, Any]], hw: np.ndarray, kg: KernelGraph,
                    cands: CandidateRows, keep: list[list[int]], groups: list[list[int]], model: analytical.Model,
                    bound: np.ndarray, chosen: list[tuple[mp.Mapping, int]], known: list[np.ndarray | None],
                    memo: cycle.Memo) -> None:
        """Extend the cycle-level choice (in place) to the rest of :meth:`_cycle_candidates`, the
        smaller PCU budgets' splits, keeping it the exact minimum (lowest candidate among equals).
        Fewer PCUs never lower a kernel's step, its first read, its way out or a section's DRAM,
        link or setup time, so a split's :func:`cycle.lower_bound` is at least that of its own
        budget's split of the same cut less the pipeline transfers (their groups follow the
        section times): a cut whose own bound, so reduced, exceeds the best simulated latency is
        skipped with all its smaller splits. Of the others, a split whose floor before splitting
        (:func:`cycle_search.split_floor_terms`) or after (the :class:`SectionTable`'s chains)
        exceeds the best latency cannot beat it, nor one whose bound from those chains and its own
        budget's row (:func:`cycle_search.split_bounds`) does; the rest are modelled together and tried
        in order of bound. ``hw``: the designs' :func:`_hardware`; ``cands``: their :func:`_candidate_rows`."""
        edges = (kg.edge_src, kg.edge_dst)
        floor_hw = cycle_search.floor_hardware(designs)
        best = [math.nan] * len(designs)       # the best simulated latency of each design with one
        open_rows: list[list[int]] = []
        own_rows: list[int] = []                # the model row of each open row (its own budget's split)
        reach = (bound - model.t_p2p).tolist()
        for i, times in enumerate(known):
            if times is not None:
                best[i] = lat = float(times.sum() + model.t_p2p[chosen[i][1]])
            opened = [] if times is None else [(r, j) for r, j in zip(keep[i], groups[i]) if reach[j] <= lat * (1 + 1e-9)]
            open_rows.append([r for r, _ in opened])
            own_rows.extend(j for _, j in opened)
        p_i, p_b, p_u = _split_pairs(np.array([int(d["n_pcu"]) for d in designs]), np.array(list(map(len, open_rows))))
        if not p_i.size:
            return
        at = np.cumsum([0, *map(len, open_rows)])   # open row u of design i: row at[i] + u of `cuts`
        flat, owner = cands.flat(open_rows)
        cuts, slot, entry = cands.cut_set(flat)
        columns = {k: [int(d[k]) for d in designs] for k in ("lanes", "stages")}
        lanes, stages = (np.array(columns[k])[owner][:, None] for k in ("lanes", "stages"))
        p_row = at[p_i] + p_u
        pre = cycle_search.split_floor_terms(kg, cuts, lanes, stages, designs[0]["word_bytes"])
        pre = pre[:, p_row]
        pre[0] /= p_b
        best_of = np.array(best)
        ok = cycle_search.below(floor_hw, pre, p_i, best_of)
        p_i, p_b, p_row = p_i[ok], p_b[ok], p_row[ok]
        if not p_i.size:
            return
        table = section_table.table(kg)
        slot, entry = slot[p_row], entry[p_row]
        span = int(p_b.max()) + 1
        combos, which = np.unique(p_i * span + p_b, return_inverse=True)   # a split per design and budget
        split = np.array([table.split_id(columns["lanes"][i], columns["stages"][i], b)
                          for i, b in zip(*(v.tolist() for v in np.divmod(combos, span)))], dtype=np.int64)[which.ravel()]
        chains = table.chains(slot, split)
        pcu = table.pcu(entry, split)
        differs = np.flatnonzero((pcu != table.pcu(entry, cands.splits[p_i])).any(axis=1))   # not an own candidate
        cut_row = (flat - cands.start[owner])[p_row]
        # the first of each design's repeats of a cut split the same way
        key = np.ascontiguousarray(np.column_stack([p_i[differs], cut_row[differs], pcu[differs]]))
        _, first = np.unique(key.view(np.dtype((np.void, key.itemsize * key.shape[1]))).ravel(), return_index=True)
        sel = differs[np.sort(first)]
        post = np.stack([chains[sel], pre[1][sel], pre[2][sel]])
        sel = sel[cycle_search.below(floor_hw, post, p_i[sel], best_of)]
        reach_split = cycle_search.split_bounds(table.slot_chains(slot[sel], split[sel]), hw[ak.CLOCK, p_i[sel]], model,
                                                np.array(own_rows, dtype=np.int64)[p_row[sel]])
        sel = sel[reach_split <= best_of[p_i[sel]] * (1 + 1e-9)]
        if not sel.size:
            return
        ex_i, ex_row = p_i[sel], p_row[sel]
        more = analytical.evaluate_block(kg, hw[:, ex_i], int(designs[0]["word_bytes"]),
                                         float(designs[0]["reconfig_us"]) * 1e-6, cuts.section[ex_row], pcu[sel],
                                         cuts.tile[ex_row, 0], np.full(sel.size, 2.0), cuts.tp[ex_row, 0])
        fine = np.logical_not(np.stack(list(more.violations.values())).any(axis=0)).tolist()
        more_bound = cycle.lower_bound(more, kg)
        rows: dict[int, list[int]] = {}
        for j, i in enumerate(ex_i.tolist()):
            if fine[j] and more_bound[j] <= best[i] * (1 + 1e-9):
                rows.setdefault(i, []).append(j)
        for i, (j, times) in zip(rows, cycle.best_candidates(more, more_bound, list(rows.values()), edges, memo)):
            if float(times.sum() + more.t_p2p[j]) < best[i]:
                chosen[i] = (mp.Mapping(more.section[j], more.pcu[j], int(cuts.tile[ex_row[j], 0]), 2,
                                        int(cuts.tp[ex_row[j], 0])), -1)
                known[i] = times

    def _candidates(self, d: MappingABC[str, Any], kg: KernelGraph) -> mp.Candidates:
        """Every cut of :func:`mp.ladder_cuts` (a fixed ladder of SRAM budgets) per tile size, TP
        degree and section-length cap, each with balanced PCUs: more PMUs only add cuts (and no
        cut's weight tiling grows), more PCUs only shorten every kernel's step, so the best
        candidate's analytical latency never grows with either (issue 20)."""
        return _built_key(d, kg).cands

    def _floor_terms_many(self, designs: Sequence[MappingABC[str, Any]], kg: KernelGraph) -> list[np.ndarray]:
        """:func:`cycle_search.floor_terms` of every design's :meth:`_candidates` (:func:`_built_key`)."""
        return [_built_key(d, kg).terms for d in designs]

    def _cycle_candidates(self, d: MappingABC[str, Any], kg: KernelGraph) -> list[mp.Mapping]:
        """:meth:`_candidates` of ``d``, then :meth:`_smaller_splits` of all their cuts. For ``P1``
        in :func:`pcu_grid` with at least as many PCUs as kernels (the cuts then do not depend on
        ``n_pcu``) and any ``P2 > P1`` the candidates of ``P2`` contain those of ``P1``, each valid
        on both with the same simulated latency (only a mapping's PCUs depend on ``n_pcu``), so the
        simulated minimum never grows with more PCUs (issue 20: first come, first served is not
        monotone in a kernel's PCUs). The cycle-level mapper searches them lazily (:meth:`_fewer_pcus`)."""
        own = self._candidates(d, kg)
        return [*own, *self._smaller_splits(d, kg, own)]

    def _smaller_splits(self, d: MappingABC[str, Any], kg: KernelGraph, cuts: Sequence[mp.Mapping]
                        ) -> list[mp.Mapping]:
        """Balanced splits of the cuts of ``cuts`` (tile and TP kept) for every ``n_pcu`` of
        :func:`pcu_grid` below ``d``'s, largest budget first, without repeats or ``d``'s own
        candidates (one balanced split of them all: :func:`mp.balanced_many`)."""
        budgets = [b for b in sorted((p for p in pcu_grid() if p < int(d["n_pcu"])), reverse=True) for _ in cuts]
        if not budgets:
            return []
        triples = [(m.section, m.tile, m.tp) for _ in range(len(budgets) // len(cuts)) for m in cuts]
        own = self._candidates(d, kg)
        seen: set[tuple[Any, ...]] = set()
        out = []
        for m in mp.balanced_many(kg, d, triples, 2, budgets):
            if (key := m.key()) not in seen and m not in own:
                seen.add(key)
                out.append(m)
        return out

    def _mapped_model(self, designs: Sequence[MappingABC[str, Any]], kg: KernelGraph,
               maps: Sequence[mp.Mapping]) -> analytical.Model:
        """The analytical model of mapping ``maps[j]`` on design ``designs[j]``, every ``j``."""
        return analytical.evaluate(*self._inputs(
            designs, kg, np.stack([m.section for m in maps]), np.stack([m.pcu for m in maps]),
            np.array([m.tile for m in maps]), np.array([m.depth for m in maps]), np.array([m.tp for m in maps])))

    def _inputs(self, designs: Sequence[MappingABC[str, Any]], kg: KernelGraph, section: np.ndarray, pcu: np.ndarray,
                tile: np.ndarray, depth: np.ndarray, tp: np.ndarray
                ) -> tuple[KernelGraph, dict[str, np.ndarray], int, float, np.ndarray, np.ndarray, np.ndarray,
                           np.ndarray, np.ndarray]:
        """The arguments of :func:`analytical.evaluate` for mapping row ``j`` (``section``, ``pcu``,
        ``tile``, ``depth``, ``tp``) on design ``designs[j]``, every ``j``."""
        distinct: dict[int, MappingABC[str, Any]] = {}     # a design repeats once per candidate
        for d in designs:
            distinct.setdefault(id(d), d)
        at = {key: j for j, key in enumerate(distinct)}
        rows = np.array([at[id(d)] for d in designs], dtype=np.int64)
        hw = {k: np.array([float(d[k]) for d in distinct.values()])[rows] for k in HW_PARAMS}
        first = designs[0]
        return kg, hw, int(first["word_bytes"]), float(first["reconfig_us"]) * 1e-6, section, pcu, tile, depth, tp


#: the row of ``weight_hbm_frac`` in :func:`.analytical_kernel.rows`' ``out_row``
_HBM_FRAC = ak.ROW_FIELDS.index("weight_hbm_frac")


def _one_output(m: mp.Mapping, out: single.Outputs, kg: KernelGraph, design: MappingABC[str, Any]) -> ModelOutput:
    """:meth:`RDUSimulator._output` of one auto-mapped ``design`` from :func:`.single.choose`'s mapping ``m``
    and outputs ``out``: its metrics and violations as the Python floats and bools
    :func:`simulators.common.family._row` takes as they are (one ``tolist`` each, not one conversion per
    one-entry array); its :class:`.analytical.Model` is made only for its layers."""
    out_f, _, _, out_row, flags = out
    metrics: dict[str, Any] = dict(zip(ak.METRICS, out_row[len(ak.ROW_FIELDS):, 0].tolist()))
    metrics["area_mm2"] = float(area_mm2(design, int(design["process_nm"]), int(design["word_bytes"])))

    def layers() -> list[dict[str, Any]]:
        model = single.model(m, out)
        return _sections(model, kg, model.ii[0])

    return ModelOutput(metrics, dict(zip(ak.FLAGS[1:], flags[1:, 0].tolist())), layers,
                       lambda: _info(m, kg, out_f[ak.PMU_USED, 0], flags[ak.IN_HBM, 0], out_row[_HBM_FRAC, 0]))


def _info(m: mp.Mapping, kg: KernelGraph, pmu: np.ndarray, in_hbm: Any, hbm_frac: Any) -> dict[str, Any]:
    """Design 0's ``info``: its mapping ``m`` with each section's PMUs ``pmu``, the activations' tier (HBM
    when ``in_hbm``) and the weights' HBM fraction ``hbm_frac``."""
    return {"mapping": m.describe(kg, pmu), "act_tier": "hbm" if in_hbm else "ddr",
            "weight_hbm_fraction": float(hbm_frac)}


def _joined(outs: Sequence[ModelOutput], sizes: Sequence[int]) -> ModelOutput:
    """The model outputs of consecutive chunks of ``sizes`` designs as one (layers and info: the first's)."""
    def cat(key: str, field: str) -> np.ndarray:
        return np.concatenate([np.broadcast_to(getattr(o, field)[key], (n,)) for o, n in zip(outs, sizes)])

    return ModelOutput({k: cat(k, "metrics") for k in outs[0].metrics},
                       {k: cat(k, "violations") for k in outs[0].violations}, outs[0].layers, outs[0].info)


#: the columns of :func:`.hardware.area_mm2`
_AREA = ("n_pcu", "n_pmu", "lanes", "stages", "pmu_kib")


def _plain(design: MappingABC[str, Any]) -> bool:
    """Whether every hardware and constant value of ``design`` is a Python int or float (not a numpy scalar):
    its numbers read as a batch's one-entry columns would. Their range is the bounds' (:mod:`.bounds`,
    checked before the model), so no candidate's latency is NaN (:mod:`.single`'s search)."""
    return all(type(design[k]) in (int, float) for k in RDUSimulator.parameters)


def _split_pairs(n_pcu: np.ndarray, n_open: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (design, PCU budget, open row) of :meth:`RDUSimulator._fewer_pcus`: for each design ``i`` with
    ``n_open[i]`` open cut rows, every budget of :func:`pcu_grid` below its ``n_pcu[i]``, largest first,
    with each of its rows, in that order."""
    grid = np.array(sorted(pcu_grid(), reverse=True), dtype=np.int64)
    design, budget = np.nonzero((grid[None, :] < n_pcu[:, None]) & (n_open[:, None] > 0))
    count = n_open[design]
    row = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    return np.repeat(design, count), np.repeat(grid[budget], count), row


def _hardware(designs: Sequence[MappingABC[str, Any]]) -> np.ndarray:
    """``(len(HW), D)``: the columns of :data:`.analytical_kernel.HW` of ``designs`` (floats)."""
    return cycle_search.columns(designs, ak.HW)


def _candidate_key(d: MappingABC[str, Any]) -> tuple[Any, ...]:
    """What :meth:`RDUSimulator._candidates` depend on: the SRAM ladder's top and the PCU, lane,
    stage, socket and word-size columns."""
    return ("auto", mp.ladder_top(mp.sram_bytes(d)),
            *(int(d[k]) for k in ("n_pcu", "lanes", "stages", "sockets", "word_bytes")))


class Built(NamedTuple):
    """A hardware key's candidates (:meth:`RDUSimulator._candidates`), their floor terms, and where their PCUs
    lie in the kernel graph's :class:`SectionTable`: the cut set's view and the key's split; and the
    cuts' ids in the kernel graph's :class:`.cut_table.CutTable`."""

    cands: mp.Candidates
    terms: np.ndarray
    view: section_table.CutView
    split: int
    ids: np.ndarray


def _built_key(d: MappingABC[str, Any], kg: KernelGraph) -> Built:
    """One design's key's :class:`Built`, memoised in ``kg.memo`` per hardware key (:func:`_candidate_key`): its
    cut set (:func:`_cut_rows`, memoised per cut key) split into balanced PCUs with each section chain from the
    kernel graph's :class:`SectionTable` (every distinct section computed once per lanes, stages and PCU
    budget)."""
    key = _candidate_key(d)
    if key not in kg.memo:
        sections = section_table.table(kg)
        cuts, view, ids = _cut_rows(d, kg)
        split, chains = cut_table.table(kg, int(d["word_bytes"])).chains(
            ids, view, *(int(d[k]) for k in ("lanes", "stages", "n_pcu")))
        kg.memo[key] = Built(mp.Candidates(cuts, partial(sections.cut_pcu, view, split), 2),
                             np.stack([chains, view.n_sections, view.weights]), view, split, ids)
    built: Built = kg.memo[key]
    return built


def _candidate_rows(designs: Sequence[MappingABC[str, Any]], kg: KernelGraph) -> tuple[list[Built], CandidateRows]:
    """Each design's :class:`Built` and their candidates as one :class:`CandidateRows` (one word size
    per batch)."""
    built = [_built_key(d, kg) for d in designs]
    return built, CandidateRows(kg, int(designs[0]["word_bytes"]), [b.ids for b in built], [b.split for b in built])


def _cut_rows(d: MappingABC[str, Any], kg: KernelGraph) -> tuple[mp.CutSet, section_table.CutView, np.ndarray]:
    """The distinct ``(cut, tile, tp)`` of :meth:`RDUSimulator._candidates` for ``d``, stacked, their view in
    the kernel graph's :class:`SectionTable` and their ids in its :class:`.cut_table.CutTable`
    (:meth:`.cut_table.CutTable.cut_set`); memoised in ``kg.memo`` per what they depend on (SRAM ladder
    top, section-length limits, sockets, word size)."""
    sram, sockets, wb = mp.sram_bytes(d), int(d["sockets"]), int(d["word_bytes"])
    limits = tuple(mp.section_limit(kg, d, max_len) for max_len in (None, 8))
    top = mp.ladder_top(sram)
    key = ("cuts", top, *limits, sockets, wb)
    if key not in kg.memo:
        kg.memo[key] = cut_table.table(kg, wb).cut_set(top, limits, sockets)
    cuts: tuple[mp.CutSet, section_table.CutView, np.ndarray] = kg.memo[key]
    return cuts


def _grouped(rows: Sequence[int], n: int) -> list[list[int]]:
    """For each of ``n`` designs, the positions ``j`` with ``rows[j]`` equal to it (in order)."""
    groups: list[list[int]] = [[] for _ in range(n)]
    for j, i in enumerate(rows):
        groups[i].append(j)
    return groups


def _explicit_mapping(d: MappingABC[str, Any], kg: KernelGraph) -> mp.Mapping:
    """The mapping spelled out by a ``shared`` or ``per-layer`` design."""
    # integers ≥ 1 by the RDU bounds, checked first (a depth-0 FIFO would deadlock the cycle model's credit
    # loop, a 0 tile or TP degree divide by zero)
    tile, depth, tp = (int(d[k]) for k in ("tile_rows", "buffer_depth", "tp"))
    wb = int(d["word_bytes"])
    if f"cut@{kg.names[-1]}" in d or len(kg) == 1 and f"share@{kg.names[0]}" in d:
        flags = np.array([0] + [int(d[f"cut@{n}"]) for n in kg.names[1:]])
        shares = np.array([float(d[f"share@{n}"]) for n in kg.names])
        return mp.build(kg, d, wb, tile, depth, tp, flags, "share", shares=shares)
    cuts = "unfused" if d["fusion"] == "off" else "greedy"
    alloc = {"balanced": "balanced", "proportional": "share", "equal": "equal"}[d["pcu_alloc"]]
    return mp.build(kg, d, wb, tile, depth, tp, cuts, alloc, int(d["max_section"]))


def _sections(model: analytical.Model, kg: KernelGraph, times: np.ndarray) -> list[dict[str, Any]]:
    """Per-section breakdown of design 0 (the ``Result.layers`` of one evaluation)."""
    out = []
    for s in np.flatnonzero(model.used[0]):
        idx = np.flatnonzero(model.section[0] == s)
        parts = {"compute": model.t_comp[0, s], "memory": model.t_dram[0, s], "network": model.t_net[0, s]}
        out.append({
            "section": int(s), "kernels": [kg.names[i] for i in idx], "n_kernels": int(idx.size),
            "n_tile": int(model.n_tile[0, s]), "pcu": int(model.pcu_used[0, s]), "pmu": int(model.pmu_used[0, s]),
            "latency_s": float(times[s]), "compute_s": float(parts["compute"]),
            "memory_s": float(parts["memory"]), "network_s": float(parts["network"]),
            "setup_s": float(model.t_setup[0, s]), "bound": max(parts, key=parts.__getitem__),
            "dram_bytes": float(model.act_b[0, s] + model.weights_b[0, s]),
            "weight_tiling": int(model.weight_tiling[0, s]), "flops": float(kg.flops[idx].sum()),
        })
    return out


def _consts(cfg: RDUConfig) -> dict[str, Any]:
    return {"word_bytes": cfg.word_bytes, "process_nm": cfg.process_nm, "reconfig_us": cfg.reconfig_s * 1e6}

