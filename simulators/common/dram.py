"""DRAM organisation and timing presets, bandwidth identities and per-bit access energies.

All timings are stored in **nanoseconds** (converted from the source's clock cycles × tCK in
:func:`_timing`, so every preset line can be checked against its source's cycle counts).
Organisation is per channel (pseudo-channel for HBM): banks, bank groups, row (page) size,
column access width (bus width × burst length) and data rate.

Sources (cycle counts transcribed in docs/references.md §1.2.4, marked [V] there):
[DS3]   DRAMsim3 ``HBM2_8Gb_x128.ini`` via NeuPIMs NewtonSim.
[PIMS]  Samsung PIMSimulator ``HBM2_samsung_2M_16B_x64.ini`` (parameters only; its code is not used).
[ATT]   AttAcc ``HBM3-PIM.cpp`` / ``ramulator_wrapper.py`` (HBM3 5.2 Gb/s, tCK 0.769 ns).
[AIM]   aim_simulator ``GDDR6.cpp`` (GDDR6-AiM 16 Gb/s, tCK 0.57 ns).
[GPIM]  AMD GeniePIM ``Inputs/Configs/config.in`` (LPDDR5X, values in ns).
[R2]    Ramulator 2.0 DDR4-2400R.
[JEDEC] Values marked [U] are typical JEDEC-datasheet numbers recalled, not re-verified here
        (tRTW derived as CL + BL/2 + 2 − CWL where the source gives none).
Energy: AttAcc ``ENERGY_TABLE`` (from O'Connor et al., "Fine-grained DRAM", MICRO'17), pJ/bit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archgym.errors import UnknownNameError

#: [ATT]/FGDRAM energy per bit by hierarchy level (pJ/bit)
PJ_PER_BIT_ACT_PRE = 0.11      # cell activate + precharge, per bit of the opened row
PJ_PER_BIT_CELL_RW = 0.44      # cell read/write, per bit accessed
PJ_PER_BIT_BG_MUX = 1.01       # column decoder → bank-group mux
PJ_PER_BIT_GLOBAL_IO = 1.23    # bank-group mux → global I/O
PJ_PER_BIT_TSV = 0.5           # through-silicon via (stacked DRAM only)
PJ_PER_BIT_INTERPOSER = 0.3    # interposer link (HBM only)


@dataclass(frozen=True)
class DRAMTiming:
    """One DRAM standard at one speed: organisation per channel and timings in ns."""

    name: str
    tck_ns: float            # command clock period
    data_rate_gbps: float    # per pin
    bus_bits: int            # data pins per channel (pseudo-channel)
    burst: int               # burst length
    banks: int               # banks per channel
    bank_groups: int
    row_bytes: int           # row (page) size per bank
    tRCD: float
    tRP: float
    tRAS: float
    tCCD_S: float
    tCCD_L: float
    tRRD_S: float
    tRRD_L: float
    tFAW: float
    tWTR: float              # write-to-read turnaround (long)
    tRTW: float              # read-to-write turnaround
    tWR: float               # write recovery before precharge
    tREFI: float
    tRFC: float
    #: off-chip I/O energy beyond the bank-group mux, pJ/bit (PHY + channel)
    io_pj_per_bit: float
    source: str
    notes: tuple[str, ...] = field(default=())

    @property
    def col_bits(self) -> int:
        """Bits moved by one column access (bus width × burst length)."""
        return self.bus_bits * self.burst

    @property
    def channel_bw_gbs(self) -> float:
        """External peak bandwidth of one channel, GB/s: ``bus_bits · data_rate / 8``."""
        return self.bus_bits * self.data_rate_gbps / 8.0

    @property
    def refresh_derate(self) -> float:
        """Fraction of time a bank is available: ``1 − tRFC / tREFI``."""
        return 1.0 - self.tRFC / self.tREFI

    @property
    def host_read_pj_per_bit(self) -> float:
        """Energy of reading one bit out to the host (cell + BG mux + global I/O + off-chip)."""
        return PJ_PER_BIT_CELL_RW + PJ_PER_BIT_BG_MUX + PJ_PER_BIT_GLOBAL_IO + self.io_pj_per_bit

    @property
    def act_pj(self) -> float:
        """Energy of one row activation + precharge: 0.11 pJ per bit of the row."""
        return PJ_PER_BIT_ACT_PRE * self.row_bytes * 8


def _timing(name: str, tck_ns: float, cycles: dict[str, float], ns: dict[str, float] | None = None,
            **org: object) -> DRAMTiming:
    """Build a preset from cycle counts (× tCK) and/or values already in ns."""
    values = {k: v * tck_ns for k, v in cycles.items()}
    values.update(ns or {})
    return DRAMTiming(name=name, tck_ns=tck_ns, **org, **values)  # type: ignore[arg-type]


DRAM_PRESETS: dict[str, DRAMTiming] = {
    # HBM2 at 2.4 Gb/s (Aquabolt-XL, the HBM-PIM base die): [PIMS] cycle counts, tCK 0.833 ns
    # (2.4 Gb/s DDR → 1.2 GHz). Pseudo-channel 64 b × BL4 = 256 b column, 1 KB row [DS3].
    "hbm2": _timing(
        "hbm2", 1 / 1.2,
        {"tRCD": 14, "tRP": 14, "tRAS": 33, "tCCD_S": 2, "tCCD_L": 4, "tRRD_S": 4, "tRRD_L": 6, "tFAW": 16,
             "tWTR": 9, "tRTW": 18, "tREFI": 3900, "tRFC": 350},
        {"tWR": 15.0},
        data_rate_gbps=2.4, bus_bits=64, burst=4, banks=16, bank_groups=4, row_bytes=1024,
        io_pj_per_bit=PJ_PER_BIT_TSV + PJ_PER_BIT_INTERPOSER,
        source="Samsung PIMSimulator HBM2_samsung_2M_16B_x64.ini timings (tRCD 14, tRP 14, tRAS 33, "
               "tCCD 2/4, tRRD 4/6, tXAW 16, tWTR 9, tREFI 3900, tRFC 350 cycles) at 2.4 Gb/s "
               "(Samsung Aquabolt-XL); 1 KB page (DRAMsim3 HBM2 / NeuPIMs); energy AttAcc/FGDRAM",
        notes=("tRTW (18) and tWR (15 ns) are [U] JEDEC-typical values",)),
    # HBM3 5.2 Gb/s [ATT]: tCK 0.769 ns, pseudo-channel 32 b × BL8 = 256 b column.
    "hbm3": _timing(
        "hbm3", 1 / 1.3,  # 0.769 ns (5.2 Gb/s DDR at WCK 2.6 GHz, CK 1.3 GHz)
        {"tRCD": 19, "tRP": 19, "tRAS": 45, "tCCD_S": 2, "tCCD_L": 4, "tRRD_S": 2, "tRRD_L": 4, "tFAW": 39,
             "tWTR": 11, "tRTW": 14, "tREFI": 5070},
        {"tRFC": 350.0, "tWR": 15.0},
        data_rate_gbps=5.2, bus_bits=32, burst=8, banks=32, bank_groups=8, row_bytes=1024,
        io_pj_per_bit=PJ_PER_BIT_TSV + PJ_PER_BIT_INTERPOSER,
        source="AttAcc HBM3-PIM.cpp (HBM3_8Gb_2R: 2 ranks × 4 BG × 4 banks per pseudo-channel; "
               "tRCD/tRP 19, tRAS 45, tCCD 2/4, tRRD 2/4, tFAW 39, tWTR 8/11, tREFI 5070 cycles; "
               "tCK 0.769 ns from ramulator_wrapper.py); energy AttAcc/FGDRAM",
        notes=("tRFC 350 ns, tRTW 14 cycles and tWR 15 ns are [U] JEDEC-typical values",)),
    # GDDR6 16 Gb/s [AIM]: tCK 0.57 ns; x16 channel × BL16 = 256 b column; 2 KB row (1 K × 2 B).
    "gddr6": _timing(
        "gddr6", 0.57,
        {"tRCD": 26, "tRP": 26, "tRAS": 53, "tCCD_S": 4, "tCCD_L": 6, "tRRD_S": 7, "tRRD_L": 7, "tFAW": 28,
             "tWTR": 11, "tRTW": 14, "tREFI": 3333, "tRFC": 210},
        {"tWR": 15.0},
        data_rate_gbps=16.0, bus_bits=16, burst=16, banks=16, bank_groups=4, row_bytes=2048,
        io_pj_per_bit=4.0,
        source="aim_simulator GDDR6.cpp (GDDR6-AiM 16 Gb/s, 1.35 V: tRCD 26, tRP 26, tRAS 53, "
               "tCCD 4/6, tRRD 7, tFAW 28, tWTR 9/11, tREFI 3333, tRFC 210 cycles at 0.57 ns); "
               "org 4 BG × 4 banks, 16K rows × 1K columns × 2 B",
        notes=("tRTW 14 cycles, tWR 15 ns and the 4 pJ/bit off-chip I/O energy are [U]",)),
    # LPDDR5X 8533 Mb/s [GPIM] (timings already in ns); x16 channel × BL16 = 256 b column, 2 KB row.
    "lpddr5x": _timing(
        "lpddr5x", 0.9375, {},
        {"tRCD": 18.0, "tRP": 21.0, "tRAS": 42.0, "tCCD_S": 4.266667 / 2, "tCCD_L": 4.266667, "tRRD_S": 5.0,
             "tRRD_L": 5.0, "tFAW": 20.0, "tWTR": 12.0, "tRTW": 18.13333333, "tWR": 18.0, "tREFI": 3906.0, "tRFC": 280.0},
        data_rate_gbps=8.533, bus_bits=16, burst=16, banks=16, bank_groups=4, row_bytes=2048,
        io_pj_per_bit=2.5,
        source="AMD GeniePIM config.in LPDDR5X (tRP 21, tRCD 18, tCCD_L 4.267, tRAS 42, tRTW 18.13, "
               "tWTR 12 ns); 16 banks, 2 KB rows",
        notes=("tCCD_S, tRRD, tFAW, tWR, tREFI 3.9 µs, tRFC 280 ns and 2.5 pJ/bit I/O are [U]",)),
    # DDR4-2400R [R2]: tCK 0.833 ns; rank of 8 × x8 chips = 64 b × BL8 = 512 b column, 8 KB row.
    "ddr4": _timing(
        "ddr4", 1 / 1.2,
        {"tRCD": 16, "tRP": 16, "tRAS": 39, "tCCD_S": 4, "tCCD_L": 6, "tRRD_S": 4, "tRRD_L": 6, "tFAW": 26,
             "tWTR": 9, "tRTW": 10, "tWR": 18, "tREFI": 9360, "tRFC": 420},
        data_rate_gbps=2.4, bus_bits=64, burst=8, banks=16, bank_groups=4, row_bytes=8192,
        io_pj_per_bit=10.0,
        source="Ramulator2 DDR4-2400R (CL 16, tRCD 16, tRP 16, tRAS 39, tCCD 4/6, tWTR 3/9 cycles); "
               "rank of 8 × x8 8 Gb chips",
        notes=(("tRRD 4/6, tFAW 26, tWR 18, tREFI 7.8 µs, tRFC 350 ns, tRTW = CL+BL/2+2−CWL and "
                "10 pJ/bit DIMM I/O are [U] JEDEC-typical values"),)),
}


def get_dram(name: str) -> DRAMTiming:
    """A DRAM timing preset by name (``hbm2``, ``hbm3``, ``gddr6``, ``lpddr5x``, ``ddr4``)."""
    if name not in DRAM_PRESETS:
        raise UnknownNameError(f"DRAM preset: {name!r} is not known; allowed: {', '.join(DRAM_PRESETS)}")
    return DRAM_PRESETS[name]
