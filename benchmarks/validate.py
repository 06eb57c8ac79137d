"""Write ``docs/validation.md`` (model figures against published ones, one table per family) and
``docs/provenance.md`` (where every preset parameter comes from) from ``benchmarks/validation/``.

Run: ``.venv/bin/python benchmarks/validate.py`` (``make validate``); with SCALE-Sim's Python in
``ARCHGYM_SCALESIM_PYTHON`` (``make validate-scalesim``) the live SCALE-Sim rows are filled in.
The tests (``tests/test_*_validation.py``) assert the same rows with the same tolerances.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.provenance import header, stamp
from benchmarks.validation import Family, Outcome, evaluate, fmt, fpga, pim, rdu, systolic
from benchmarks.validation.provenance import FAMILIES as PROVENANCE
from benchmarks.validation.provenance import entries, preset_params

FAMILIES: tuple[Family, ...] = (systolic.FAMILY, pim.FAMILY, rdu.FAMILY, fpga.FAMILY)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def family_table(fam: Family, outcomes: list[Outcome]) -> list[str]:
    indep = [o for o in outcomes if o.check.independent]
    ran = [o for o in indep if o.passed is not None]
    counts = (f"Independent rows: {len(indep)} ({sum(bool(o.passed) for o in ran)} within tolerance, "
              f"{sum(o.status == 'known miss' for o in ran)} known misses, {len(indep) - len(ran)} not run); "
              f"consistency checks: {len(outcomes) - len(indep)}.")
    header = ("| id | figure | source | configuration | published | model | error | tolerance | independent | "
              "status | note |")
    lines = [f"## {fam.name}", "", fam.intro, "", counts, "", header, "|" + "---|" * 11]
    for o in outcomes:
        c = o.check
        err = "—" if o.error is None else f"{o.error:+.1%}"
        kind = "yes" if c.independent else "no: consistency check"
        lines.append("| " + " | ".join(_cell(x) for x in (
            c.key, c.figure, c.source, c.config, fmt(o.published), fmt(o.model), err, f"±{c.tolerance:.0%}",
            kind, o.status, c.note)) + " |")
    return lines + [""]


def prefetch_section() -> list[str]:
    config = next(iter(systolic.SCALESIM_CONFIGS))
    split = systolic.prefetch_split(config)
    text = ("`archgym scalesim` prints the sum of SCALE-Sim's *Total Cycles* (compute + stall, given as "
            "the index of each layer's last cycle); `archgym simulate --fidelity scalesim` reports "
            "end-to-end `cycles`, which add each layer's prologue (the active halves of the buffers "
            "prefetched before the first fold), its epilogue (the final ofmap drain) and 1 (a count, not "
            "an index). SCALE-Sim's own *Total Cycles (incl. prefetch)* is that end-to-end count minus 2 "
            "per layer. All three are exact reproductions of SCALE-Sim; they measure different spans, so "
            "the prefetch-and-drain share is the difference (large when buffers are big, since the "
            f"prologue loads whole operands). On the {config} files of the systolic table:")
    return ["## The two SCALE-Sim totals", "", text, "",
            "| quantity | cycles |", "|---|---|",
            *[f"| {k} | {v:,} |" for k, v in split.items()], ""]


def provenance_doc() -> list[str]:
    kinds = ("Kinds: **datasheet** (vendor table), **paper** (the design's publication), **config** (a public "
             "tool's configuration file: DFModel, GeniePIM, AttAcc, CENT, SCALE-Sim, FINN), **derived** (how, "
             "and from which validation figure — such a figure is then a consistency check only), "
             "**assumed** (no source). Sources of each preset: its `source` string in the simulator package.")
    lines = ["# Preset parameter provenance", "", header(stamp()), "", kinds, ""]
    for fam in PROVENANCE:
        lines += [f"## {fam}", ""]
        for preset, params in preset_params(fam).items():
            rec = entries(fam, preset)
            lines += [f"### {preset}", "", "| parameter | kind | derived how | derived from figure |",
                      "|---|---|---|---|"]
            for p in params:
                kind, how, keys = rec.get(p, ("UNRECORDED", "", ()))
                lines.append(f"| {p} | {kind} | {_cell(how)} | {', '.join(keys)} |")
            lines.append("")
    return lines


def main() -> None:
    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)
    available = systolic.scalesim_available()
    scalesim = "available" if available else "not available (SCALE-Sim rows not run: `make validate-scalesim`)"
    legend = ("Each row compares a model figure with a published one. **Independent** rows use figures "
             "no model parameter was derived from (see `docs/provenance.md`); **consistency checks** "
             "(identities of the preset parameters, figures a parameter was derived from, or a formula "
             "the model shares with its source) are listed but never count as validation. A **known "
             "miss** is reported as it is, not tuned away; its test asserts that it still misses. "
             "Ranges (`lo–hi`) are the model over a parameter the source does not state; a published "
             "range or bound (`≥`) must contain the model. Error is relative to the nearest end.")
    lines = ["# Validation", "", f"{header(stamp())} SCALE-Sim {scalesim}.", "", legend, ""]
    for fam in FAMILIES:
        outcomes = [evaluate(c, lambda _: available) for c in fam.checks]
        lines += family_table(fam, outcomes)
        print(f"{fam.name}: " + ", ".join(f"{o.check.key} {o.status}" for o in outcomes))
    lines += prefetch_section()
    (docs / "validation.md").write_text("\n".join(lines))
    (docs / "provenance.md").write_text("\n".join(provenance_doc()))
    print(f"wrote {docs / 'validation.md'} and {docs / 'provenance.md'}")


if __name__ == "__main__":
    main()
