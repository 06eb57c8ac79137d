"""DRAMPower-style energy: per-command energies from IDD currents, plus background and refresh.

All energies here are in DRAMsim3's unit, V·mA·cycles (= pJ when tCK = 1 ns; multiply by tCK in ns
for pJ), per rank (``devices_per_rank`` chips act together):

  ACT+PRE  VDD·(IDD0·tRC − (IDD3N·tRAS + IDD2N·tRP))     RD  VDD·(IDD4R − IDD3N)·burst
  REF      VDD·(IDD5AB − IDD3N)·tRFC                      WR  VDD·(IDD4W − IDD3N)·burst
  REFpb    max(VDD·(IDD5PB − IDD3N)·tRFCb, REF / banks)   (the second term where no IDD5PB is given)
  background per cycle: VDD·IDD3N with any bank of the rank open, VDD·IDD2N with all closed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulators.dram.devices import Device


@dataclass(frozen=True)
class CommandEnergy:
    """Energy increments of one device type (V·mA·cycles per rank)."""

    act: float
    read: float
    write: float
    ref: float
    refb: float
    act_standby: float  # per cycle
    pre_standby: float  # per cycle


def command_energy(d: Device) -> CommandEnergy:
    n = d.devices_per_rank * d.VDD
    ref = n * (d.IDD5AB - d.IDD3N) * d.tRFC
    return CommandEnergy(
        act=n * (d.IDD0 * d.tRC - (d.IDD3N * d.tRAS + d.IDD2N * d.tRP)),
        read=n * (d.IDD4R - d.IDD3N) * d.burst_cycles, write=n * (d.IDD4W - d.IDD3N) * d.burst_cycles,
        ref=ref, refb=max(n * (d.IDD5PB - d.IDD3N) * d.tRFCb, ref / d.banks),
        act_standby=n * d.IDD3N, pre_standby=n * d.IDD2N)


def total_energy(e: CommandEnergy, acts: np.ndarray, reads: np.ndarray, writes: np.ndarray, refs: np.ndarray,
                 refbs: np.ndarray, active_cycles: np.ndarray, idle_cycles: np.ndarray) -> np.ndarray:
    """Total energy (V·mA·cycles) from command counts and rank-cycles in each standby state."""
    return (acts * e.act + reads * e.read + writes * e.write + refs * e.ref + refbs * e.refb
            + active_cycles * e.act_standby + idle_cycles * e.pre_standby)
