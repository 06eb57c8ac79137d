"""The registered ``archgym/`` environment ids: one generic factory, one entry per family × mapping.

``import archgym`` registers them with Gymnasium through string entry points
(``"envs.design_env:DesignEnv"``), so the core names the environments without importing the
``envs`` layer, which loads only when an id is made. Gymnasium 1.x no longer loads
``gymnasium.envs`` entry-point plugins, so registration happens on import.
"""

from __future__ import annotations

from dataclasses import dataclass

NAMESPACE = "archgym"


@dataclass(frozen=True)
class EnvEntry:
    """One registered id: which simulator family and which mapping mode."""

    name: str
    simulator: str
    mapping: str
    doc: str
    #: bumped whenever the family's dynamics change (its model version); tests keep them in step
    version: int = 0
    #: the env class (``"module:Class"``) and its vector twin (None: Gymnasium's default wrapper)
    entry_point: str = "envs.design_env:DesignEnv"
    vector_entry_point: str | None = "envs.vector:DesignVectorEnv"

    @property
    def id(self) -> str:
        return f"{NAMESPACE}/{self.name}-v{self.version}"


ENTRIES: tuple[EnvEntry, ...] = (
    EnvEntry("Systolic", "systolic", "auto",
             "systolic array hardware; each layer's mapping chosen by the simulator's heuristic", 1),
    EnvEntry("SystolicMapping", "systolic", "per-layer", "systolic hardware × per-layer mapping co-optimisation", 1),
    EnvEntry("PIM", "pim", "auto", "processing-in-memory hardware (HBM-PIM / GDDR6-AiM class)"),
    EnvEntry("PIMMapping", "pim", "per-layer", "PIM hardware × per-layer mapping"),
    EnvEntry("RDU", "rdu", "auto", "reconfigurable dataflow unit hardware (SN10/SN40L class)", 2),
    EnvEntry("RDUMapping", "rdu", "per-layer", "RDU hardware × per-kernel sectioning and PCU shares", 2),
    EnvEntry("FPGA", "fpga", "auto", "FPGA accelerator (Alveo / Zynq devices)", 1),
    EnvEntry("FPGAMapping", "fpga", "per-layer", "FPGA hardware × per-layer parallelism", 1),
    EnvEntry("DRAM", "dram", "auto", "DRAM memory controller (DRAMSys/ArchGym knobs, address mapping) on a trace"),
    EnvEntry("LoopNest", "loopnest", "auto",
             "systolic hardware on the loop-nest model; every layer's mapping searched exhaustively"),
    EnvEntry("LoopNestMapping", "loopnest", "per-layer",
             "loop-nest hardware × per-layer mapping (unrolling, stationarity orders, tiles)"),
    EnvEntry("NASAIC", "loopnest", "auto", "networks of several tasks × heterogeneous sub-accelerators "
             "(OS/WS/RS templates on the loop-nest model): accuracy under latency/energy/area specs", 0,
             "envs.nasaic:NASAICEnv", None),
    EnvEntry("HWNAS", "loopnest", "auto", "one task's network × one accelerator (OS/WS/RS template on the "
             "loop-nest model): accuracy under latency/energy/area specs", 0, "envs.nasaic:HWNASEnv", None),
)

ENV_IDS: list[str] = [e.id for e in ENTRIES]


def entry(env_id: str) -> EnvEntry:
    """The entry of ``env_id``; an unknown id is an :class:`~archgym.errors.UnknownNameError`."""
    for e in ENTRIES:
        if e.id == env_id:
            return e
    from archgym.errors import UnknownNameError

    raise UnknownNameError(f"env: {env_id!r} is not known; allowed: {', '.join(ENV_IDS)}")


def register_all() -> None:
    """Register every entry with Gymnasium (idempotent)."""
    import gymnasium as gym

    for e in ENTRIES:
        if e.id in gym.registry:
            continue
        gym.register(e.id, entry_point=e.entry_point, vector_entry_point=e.vector_entry_point,
                     kwargs={"simulator": e.simulator, "mapping": e.mapping, "env_id": e.id},
                     disable_env_checker=False, order_enforce=True)
