"""DRAM devices: JEDEC timings (in clock cycles), organisation and IDD currents.

A :class:`Device` is built from DRAMsim3-style ``[dram_structure]``/``[timing]``/``[power]``/
``[system]`` key-value sections by :func:`device_from_ini`, the one path shared by the presets and
by ``archgym dramsim3`` (which reads a user's DRAMsim3 ``.ini``). Keys a file omits take DRAMsim3's
own defaults (``Config::Init*Params``), so a DRAMsim3 config means the same thing here.

Every preset's numbers and their source are listed in ``docs/dram.md``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from archgym.errors import ConfigError, UnknownNameError

PROTOCOLS = ("DDR3", "DDR4", "LPDDR4", "GDDR5", "GDDR5X", "GDDR6", "HBM", "HBM2")

#: DRAMsim3's defaults for keys a config file leaves out (configuration.cc)
_DEFAULTS: dict[str, dict[str, float]] = {
    "dram_structure": {"bankgroups": 2, "banks_per_group": 2, "rows": 1 << 16, "columns": 1 << 10,
                       "device_width": 8, "BL": 8},
    "timing": {"tCK": 1.0, "AL": 0, "CL": 12, "CWL": 12, "tCCD_L": 6, "tCCD_S": 4, "tRTRS": 2, "tRTP": 5,
               "tWTR_L": 5, "tWTR_S": 5, "tWR": 10, "tRP": 10, "tRRD_L": 4, "tRRD_S": 4, "tRAS": 24,
               "tRCD": 10, "tRFC": 74, "tRFCb": 20, "tREFI": 7800, "tREFIb": 1950, "tFAW": 50, "tPPD": 0,
               "t32AW": 330, "tRCDRD": 24, "tRCDWR": 20},
    "power": {"VDD": 1.2, "IDD0": 48, "IDD2P": 25, "IDD2N": 34, "IDD3P": 37, "IDD3N": 43, "IDD4W": 123,
              "IDD4R": 135, "IDD5AB": 250, "IDD5PB": 5, "IDD6x": 31},
    "system": {"channel_size": 1024, "channels": 1, "bus_width": 64},
}


@dataclass(frozen=True)
class Device:
    """One DRAM part and channel organisation; timings in command-clock cycles, currents in mA."""

    name: str
    protocol: str
    tck_ns: float
    # organisation (per channel)
    channels: int
    ranks: int
    bankgroups: int
    banks_per_group: int
    rows: int
    columns: int          # physical columns (device-width units), as DRAMsim3 regularises them
    device_width: int
    bus_width: int
    BL: int
    burst_cycles: int     # data-bus cycles one burst occupies
    # timing (cycles)
    CL: int
    CWL: int
    AL: int
    tRCDRD: int
    tRCDWR: int
    tRP: int
    tRAS: int
    tRFC: int
    tRFCb: int
    tREFI: int
    tREFIb: int
    tRRD_S: int
    tRRD_L: int
    tWTR_S: int
    tWTR_L: int
    tFAW: int
    t32AW: int
    tWR: int
    tRTP: int
    tCCD_S: int
    tCCD_L: int
    tRTRS: int
    tPPD: int
    # power (per device): volts and milliamps
    VDD: float
    IDD0: float
    IDD2N: float
    IDD2P: float
    IDD3N: float
    IDD3P: float
    IDD4R: float
    IDD4W: float
    IDD5AB: float
    IDD5PB: float
    IDD6x: float
    source: str = ""

    # -- derived -------------------------------------------------------------------------------
    @property
    def banks(self) -> int:
        """Banks per rank."""
        return self.bankgroups * self.banks_per_group

    @property
    def tRC(self) -> int:
        return self.tRAS + self.tRP

    @property
    def RL(self) -> int:
        return self.AL + self.CL

    @property
    def WL(self) -> int:
        return self.AL + self.CWL

    @property
    def devices_per_rank(self) -> int:
        return self.bus_width // self.device_width

    @property
    def request_bytes(self) -> int:
        """Bytes moved by one read or write burst (bus width × burst length)."""
        return self.bus_width // 8 * self.BL

    @property
    def peak_bw_gbs(self) -> float:
        """Peak data bandwidth of all channels, GB/s: one burst per ``burst_cycles``."""
        return self.channels * self.request_bytes / (self.burst_cycles * self.tck_ns)

    @property
    def page_bytes(self) -> int:
        return self.columns * self.device_width // 8

    @property
    def field_widths(self) -> dict[str, int]:
        """Address bits of each field (``ch ra bg ba ro co``), as DRAMsim3's SetAddressMapping."""
        return {"ch": _log2(self.channels), "ra": _log2(self.ranks), "bg": _log2(self.bankgroups),
                "ba": _log2(self.banks_per_group), "ro": _log2(self.rows),
                "co": _log2(self.columns) - _log2(self.BL)}


def _log2(n: int) -> int:
    return int(math.log2(n)) if n > 0 else 0


def _merged(sections: Mapping[str, Mapping[str, object]], section: str) -> dict[str, object]:
    return {**_DEFAULTS.get(section, {}), **dict(sections.get(section, {}))}


def _int(section: dict[str, object], key: str, where: str) -> int:
    try:
        return int(float(str(section[key])))
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"{where}: {key}: {section[key]!r} is not a number") from None


def _float(section: dict[str, object], key: str, where: str) -> float:
    try:
        value = float(str(section[key]))
    except ValueError:
        raise ConfigError(f"{where}: {key}: {section[key]!r} is not a number") from None
    if not (value >= 0 and value < float("inf")):
        raise ConfigError.bad_value(f"{where} {key}", value, "a finite number ≥ 0")
    return value


def device_from_ini(sections: Mapping[str, Mapping[str, object]], name: str = "custom",
                    source: str = "") -> Device:
    """A :class:`Device` from DRAMsim3 config sections (missing keys take DRAMsim3's defaults)."""
    ds, tm = _merged(sections, "dram_structure"), _merged(sections, "timing")
    pw, sy = _merged(sections, "power"), _merged(sections, "system")
    protocol = str(ds.get("protocol", "DDR3"))
    if protocol not in PROTOCOLS:
        raise ConfigError.bad_value(f"{name}: [dram_structure] protocol", protocol, PROTOCOLS)
    i = {k: _int(ds, k, f"{name} [dram_structure]") for k in _DEFAULTS["dram_structure"]}
    t = {k: _int(tm, k, f"{name} [timing]") for k in _DEFAULTS["timing"] if k != "tCK"}
    s = {k: _int(sy, k, f"{name} [system]") for k in _DEFAULTS["system"]}
    tck = _float(tm, "tCK", f"{name} [timing]")
    power = {k: _float(pw, k, f"{name} [power]") for k in _DEFAULTS["power"]}
    negative = [k for k, v in t.items() if v < 0]
    if negative:
        raise ConfigError.bad_value(f"{name}: [timing] {negative[0]}", t[negative[0]], "cycles ≥ 0")
    if tck <= 0:
        raise ConfigError.bad_value(f"{name}: [timing] tCK", tck, "ns > 0")
    if s["bus_width"] < 8 or s["bus_width"] < i["device_width"] or s["channel_size"] < 1:
        raise ConfigError(f"{name}: [system] bus_width {s['bus_width']} must be ≥ 8 and ≥ device_width "
                          f"{i['device_width']}, channel_size ≥ 1")
    if str(ds.get("bankgroup_enable", "true")).lower() in ("false", "0", "no"):
        i["banks_per_group"] *= i["bankgroups"]
        i["bankgroups"] = 1
    gddr, hbm = protocol.startswith("GDDR"), protocol.startswith("HBM")
    bl = i["BL"]
    burst = {"GDDR5": bl // 4, "GDDR5X": bl // 8, "GDDR6": bl // 16}.get(protocol, bl // 2)
    columns = i["columns"] * (bl if gddr else 2 if hbm else 1)
    for key in ("bankgroups", "banks_per_group", "rows", "columns", "BL", "device_width"):
        if i[key] < 1 or (key != "device_width" and i[key] & (i[key] - 1)):
            raise ConfigError(f"{name}: [dram_structure] {key}: {i[key]} must be a power of two ≥ 1")
    if s["channels"] < 1 or s["channels"] & (s["channels"] - 1):
        raise ConfigError(f"{name}: [system] channels: {s['channels']} must be a power of two ≥ 1")
    devices = max(s["bus_width"] // i["device_width"], 1)
    page = columns * i["device_width"] // 8
    megs_per_rank = page * (i["rows"] // 1024) // 1024 * i["bankgroups"] * i["banks_per_group"] * devices
    ranks = max(s["channel_size"] // megs_per_rank, 1) if megs_per_rank else 1
    ranks = 1 << _log2(ranks)
    rcd_rd, rcd_wr = (t["tRCDRD"], t["tRCDWR"]) if (gddr or hbm) else (t["tRCD"] - t["AL"],) * 2
    if burst < 1:
        raise ConfigError(f"{name}: [dram_structure] BL: {bl} gives {burst} data-bus cycles; allowed: BL ≥ 2")
    bg1 = i["bankgroups"] == 1  # DRAMsim3 uses the _S values when bank groups are disabled
    return Device(
        name=name, protocol=protocol, tck_ns=tck, channels=s["channels"], ranks=ranks,
        bankgroups=i["bankgroups"], banks_per_group=i["banks_per_group"], rows=i["rows"], columns=columns,
        device_width=i["device_width"], bus_width=s["bus_width"], BL=bl, burst_cycles=burst,
        CL=t["CL"], CWL=t["CWL"], AL=t["AL"], tRCDRD=rcd_rd, tRCDWR=rcd_wr, tRP=t["tRP"], tRAS=t["tRAS"],
        tRFC=t["tRFC"], tRFCb=t["tRFCb"], tREFI=t["tREFI"], tREFIb=t["tREFIb"], tRRD_S=t["tRRD_S"],
        tRRD_L=t["tRRD_S"] if bg1 else t["tRRD_L"], tWTR_S=t["tWTR_S"], tWTR_L=t["tWTR_S"] if bg1 else t["tWTR_L"],
        tFAW=t["tFAW"], t32AW=t["t32AW"] if gddr else 0, tWR=t["tWR"], tRTP=t["tRTP"], tCCD_S=t["tCCD_S"],
        tCCD_L=t["tCCD_S"] if bg1 else t["tCCD_L"], tRTRS=t["tRTRS"],
        tPPD=t["tPPD"] if (gddr or protocol == "LPDDR4") else 0,
        **power, source=source)


def _preset(name: str, source: str, structure: dict[str, object], timing: dict[str, object],
            power: dict[str, object], system: dict[str, object]) -> Device:
    return device_from_ini({"dram_structure": structure, "timing": timing, "power": power, "system": system},
                           name, source)


#: the shipped devices (values and sources tabulated in docs/dram.md)
PRESETS: dict[str, Device] = {d.name: d for d in (
    _preset("ddr3-1600", "DRAMsim3 configs/DDR3_8Gb_x8_1600.ini; "
            "its 'REFI' key is read as tREFI = 6240 (7.8 µs)",
            {"protocol": "DDR3", "bankgroups": 1, "banks_per_group": 8, "rows": 65536, "columns": 2048,
             "device_width": 8, "BL": 8},
            {"tCK": 1.25, "AL": 0, "CL": 11, "CWL": 8, "tRCD": 11, "tRP": 11, "tRAS": 28, "tRFC": 280,
             "tRFCb": 140, "tREFI": 6240, "tRRD_S": 6, "tRRD_L": 6, "tWTR_S": 6, "tWTR_L": 6, "tFAW": 32, "tWR": 12,
             "tRTP": 6, "tCCD_S": 4, "tCCD_L": 4, "tRTRS": 1},
            {"VDD": 1.35, "IDD0": 67, "IDD2P": 11, "IDD2N": 36, "IDD3P": 36, "IDD3N": 51, "IDD4W": 125,
             "IDD4R": 125, "IDD5AB": 245, "IDD6x": 24},
            {"channel_size": 16384, "channels": 1, "bus_width": 64}),
    _preset("ddr4-2400", "DRAMsim3 configs/DDR4_8Gb_x8_2400.ini",
            {"protocol": "DDR4", "bankgroups": 4, "banks_per_group": 4, "rows": 65536, "columns": 1024,
             "device_width": 8, "BL": 8},
            {"tCK": 0.83, "AL": 0, "CL": 17, "CWL": 12, "tRCD": 17, "tRP": 17, "tRAS": 39, "tRFC": 420,
             "tRFCb": 210, "tREFI": 9360, "tRRD_S": 4, "tRRD_L": 6, "tWTR_S": 3, "tWTR_L": 9, "tFAW": 26, "tWR": 18,
             "tRTP": 9, "tCCD_S": 4, "tCCD_L": 6, "tRTRS": 1},
            {"VDD": 1.2, "IDD0": 48, "IDD2P": 25, "IDD2N": 34, "IDD3P": 37, "IDD3N": 43, "IDD4W": 123,
             "IDD4R": 135, "IDD5AB": 250, "IDD6x": 30},
            {"channel_size": 16384, "channels": 1, "bus_width": 64}),
    _preset("lpddr4-3200", "JESD209-4 LPDDR4-3200 timings in ns converted at tCK 0.625 ns (RL 28, WL 14, "
            "tRCD/tRPpb 18, tRAS 42, tRRD 10, tFAW 40, tWTR 10, tRTP 7.5, tWR 18, tREFI 3.9 µs, "
            "tRFCab 280, tRFCpb 140 ns) [U]; currents from DRAMsim3 LPDDR4_8Gb_x16_2400.ini",
            {"protocol": "LPDDR4", "bankgroups": 1, "banks_per_group": 8, "rows": 65536, "columns": 1024,
             "device_width": 16, "BL": 16},
            {"tCK": 0.625, "AL": 0, "CL": 28, "CWL": 14, "tRCD": 29, "tRP": 29, "tRAS": 68, "tRFC": 448,
             "tRFCb": 224, "tREFI": 6246, "tREFIb": 781, "tRRD_S": 16, "tRRD_L": 16, "tWTR_S": 16,
             "tWTR_L": 16, "tFAW": 64, "tWR": 29, "tRTP": 12, "tCCD_S": 8, "tCCD_L": 8, "tRTRS": 1, "tPPD": 4},
            {"VDD": 1.2, "IDD0": 80, "IDD2P": 25, "IDD2N": 34, "IDD3P": 41, "IDD3N": 47, "IDD4W": 228,
             "IDD4R": 243, "IDD5AB": 280, "IDD5PB": 45, "IDD6x": 30},
            {"channel_size": 8192, "channels": 1, "bus_width": 64}),
    _preset("gddr6", "DRAMsim3 configs/GDDR6_8Gb_x16.ini (8Gb x16, 16 Gb/s class; bank groups disabled); "
            "tRTP from its tRTP_L",
            {"protocol": "GDDR6", "bankgroups": 4, "banks_per_group": 4, "rows": 16384, "columns": 128,
             "device_width": 16, "BL": 16, "bankgroup_enable": "false"},
            {"tCK": 0.66, "CL": 24, "CWL": 16, "tRCDRD": 24, "tRCDWR": 20, "tRP": 24, "tRAS": 54,
             "tRFC": 126, "tREFI": 11862, "tRRD_S": 9, "tRRD_L": 9, "tWTR_S": 7, "tWTR_L": 7, "tFAW": 32,
             "tWR": 16, "tRTP": 3, "tCCD_S": 3, "tCCD_L": 4, "tRTRS": 1, "tPPD": 2, "t32AW": 420,
             "tRFCb": 30, "tREFIb": 238},
            {"VDD": 1.35, "IDD0": 71, "IDD2P": 45, "IDD2N": 60, "IDD3P": 50, "IDD3N": 61, "IDD4W": 231,
             "IDD4R": 248, "IDD5AB": 286, "IDD5PB": 45, "IDD6x": 35},
            {"channel_size": 4096, "channels": 1, "bus_width": 128}),
    _preset("hbm2", "DRAMsim3 configs/HBM2_8Gb_x128.ini (8 channels × 128 b, 2 Gb/s); tRTP from its tRTP_L",
            {"protocol": "HBM2", "bankgroups": 4, "banks_per_group": 4, "rows": 32768, "columns": 64,
             "device_width": 128, "BL": 4},
            {"tCK": 1.0, "CL": 14, "CWL": 4, "tRCDRD": 14, "tRCDWR": 14, "tRP": 14, "tRAS": 34, "tRFC": 260,
             "tRFCb": 130, "tREFI": 3900, "tREFIb": 128, "tRRD_S": 4, "tRRD_L": 6, "tWTR_S": 6, "tWTR_L": 8, "tFAW": 30,
             "tWR": 16, "tRTP": 6, "tCCD_S": 1, "tCCD_L": 2, "tRTRS": 1},
            {"VDD": 1.2, "IDD0": 65, "IDD2P": 28, "IDD2N": 40, "IDD3P": 40, "IDD3N": 55, "IDD4W": 500,
             "IDD4R": 390, "IDD5AB": 250, "IDD6x": 31},
            {"channel_size": 1024, "channels": 8, "bus_width": 128}),
)}


def get_device(name: str) -> Device:
    if name not in PRESETS:
        raise UnknownNameError(f"dram device: {name!r} is not known; allowed: {', '.join(PRESETS)}")
    return PRESETS[name]
