"""DRAMsim3 compatibility: its ``.ini`` files in, its stats-JSON key names out (``archgym dramsim3``).

``[dram_structure]``, ``[timing]`` and ``[power]`` make the :class:`~simulators.dram.devices.Device`
(missing keys take DRAMsim3's defaults); ``[system]`` maps onto the controller:
``row_buf_policy`` OPEN_PAGE/CLOSE_PAGE → PagePolicy Open/Closed; ``queue_structure``
PER_BANK/PER_RANK → SchedulerBuffer Bankwise/Shared (one rank per channel: a per-rank queue is a
shared one); ``cmd_queue_size`` → RequestBufferSize; ``trans_queue_size`` → the transaction queue
in front of them (one queue here, where DRAMsim3 has a read queue and a write buffer);
``refresh_policy`` RANK_LEVEL_STAGGERED/RANK_LEVEL_SIMULTANEOUS → AllBank (every rank, staggered),
BANK_LEVEL_STAGGERED → PerBank; ``address_mapping`` as is. The scheduler is FR-FCFS with DRAMsim3's
cap of four row hits before a waiting precharge, one cycle from acceptance to scheduling, and
HBM's dual command issue. Not reproduced: its separate read/write queues with write draining,
write-to-read forwarding, and the quirks listed in docs/dram.md.
"""

from __future__ import annotations

import configparser
import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from archgym.errors import ConfigError
from simulators.dram import cycle
from simulators.dram.addressing import check_mapping, decode
from simulators.dram.devices import Device, device_from_ini
from simulators.dram.energy import command_energy, total_energy
from simulators.dram.traces import Trace

PAGE = {"OPEN_PAGE": 0, "CLOSE_PAGE": 2}
QUEUES = {"PER_BANK": 0, "PER_RANK": 2}
REFRESH = {"RANK_LEVEL_STAGGERED": 1, "RANK_LEVEL_SIMULTANEOUS": 1, "BANK_LEVEL_STAGGERED": 2}


@dataclass(frozen=True)
class DRAMsim3Config:
    device: Device
    mapping: str
    K: np.ndarray
    opts: cycle.KernelOptions


def _choice(system: dict[str, str], key: str, table: dict[str, int], default: str) -> int:
    value = system.get(key, default)
    if value not in table:
        raise ConfigError.bad_value(f"[system] {key}", value, table)
    return table[value]


def read_config(path: str | Path) -> DRAMsim3Config:
    """Parse a DRAMsim3 ``.ini`` into a device and controller settings."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"dramsim3 config: file {str(path)!r} does not exist")
    parser = configparser.ConfigParser(inline_comment_prefixes=(";", "#"), interpolation=None)  # as inih: no "%" syntax
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read(path)
    except configparser.Error as exc:
        raise ConfigError(f"dramsim3 config {path}: {str(exc).splitlines()[0]}") from None
    sections = {s: dict(parser[s]) for s in parser.sections()}
    device = device_from_ini(sections, path.stem, f"DRAMsim3 config {path.name}")
    system = sections.get("system", {})
    mapping = check_mapping(system.get("address_mapping", "chrobabgraco"))
    sizes = {}
    for key, default in (("cmd_queue_size", 16), ("trans_queue_size", 32)):
        try:
            sizes[key] = int(system.get(key, default))
        except ValueError:
            raise ConfigError(f"dramsim3 config: [system] {key}: {system[key]!r} is not an integer") from None
        if not 1 <= sizes[key] <= 4096:
            raise ConfigError.bad_value(f"[system] {key}", sizes[key], "1 … 4096")
    page = _choice(system, "row_buf_policy", PAGE, "OPEN_PAGE")
    queues = _choice(system, "queue_structure", QUEUES, "PER_BANK")
    refresh = _choice(system, "refresh_policy", REFRESH, "RANK_LEVEL_STAGGERED")
    # DRAMsim3 holds up to trans_queue_size transactions before its command queues (cmd_queue_size each)
    n_queues = device.ranks * device.banks if queues == 0 else device.ranks
    outstanding = sizes["trans_queue_size"] + sizes["cmd_queue_size"] * n_queues
    # refresh as DRAMsim3 does it: issued when due (postpone 1), never pulled in (0)
    codes = (page, 1, queues, sizes["cmd_queue_size"], 0, refresh, 1, 0, 0, outstanding, 0)
    opts = cycle.KernelOptions(front_delay=1, hit_cap=4, pending_cap=sizes["trans_queue_size"],
                                from_arrival=False, round_robin=True)
    return DRAMsim3Config(device, mapping, cycle.knob_vector(codes, device, opts), opts)


def simulate(cfg: DRAMsim3Config, trace: Trace, cycles: int) -> dict[str, dict[str, float]]:
    """Run ``cycles`` DRAM cycles of ``trace``: DRAMsim3's stats keys per channel (``"0"``, ``"1"``, …,
    as its JSON has them; ``total_energy`` in DRAMsim3's unit, V·mA·cycles)."""
    if cycles < 1:
        raise ConfigError.bad_value("cycles", cycles, "≥ 1")
    d = cfg.device
    one = replace(d, channels=1)
    dec = decode(trace.addr, d, cfg.mapping)
    energy_of = command_energy(one)
    stats: dict[str, dict[str, float]] = {}
    for ch in range(d.channels):
        sel = dec.channel == ch
        out = cycle.run((np.zeros(int(sel.sum()), np.int64), dec.bank[sel], dec.row[sel]), trace.cycle[sel],
                        trace.is_write[sel], one, cfg.K, cfg.opts, cycles)
        energy = float(total_energy(energy_of, *(np.float64(out[k]) for k in
                                                 ("acts", "reads", "writes", "refs", "refbs", "active_cycles",
                                                  "idle_cycles"))))
        done = out["reads"] + out["writes"]
        stats[str(ch)] = {
            "num_cycles": cycles, "num_reads_done": out["reads"], "num_writes_done": out["writes"],
            "num_read_cmds": out["reads"], "num_write_cmds": out["writes"], "num_act_cmds": out["acts"],
            "num_pre_cmds": out["pres"], "num_ref_cmds": out["refs"], "num_refb_cmds": out["refbs"],
            "num_read_row_hits": out["read_hits"], "num_write_row_hits": out["write_hits"],
            "average_read_latency": out["avg_read_latency"],
            "average_bandwidth": done * d.request_bytes / (cycles * d.tck_ns),
            "total_energy": energy, "average_power": energy / cycles}
    return stats


def aggregate(stats: dict[str, dict[str, float]]) -> dict[str, float]:
    """One row from per-channel stats: counts, bandwidth, energy and power summed, latency averaged
    over channels (applied alike to DRAMsim3's JSON and ours)."""
    first = next(iter(stats.values()))
    scalars = [k for k, v in first.items() if isinstance(v, (int, float))]  # DRAMsim3 also nests vectors
    out = {k: sum(float(c[k]) for c in stats.values()) for k in scalars}
    out["average_read_latency"] = float(np.mean([float(c["average_read_latency"]) for c in stats.values()]))
    out["num_cycles"] = float(first["num_cycles"])
    return out


def write_stats(stats: dict[str, dict[str, float]], outdir: str | Path, prefix: str = "dramsim3") -> Path:
    """Write ``OUTDIR/PREFIX.json`` (DRAMsim3's file name)."""
    folder = Path(outdir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{prefix}.json"
    path.write_text(json.dumps(stats, indent=2) + "\n")
    return path
