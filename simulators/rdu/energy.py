"""Energy per operation and per byte moved, by memory tier (pJ).

Values from the AttAcc ``ENERGY_TABLE`` (FGDRAM, MICRO'17) transcribed in docs/references.md §1.2.6:
ALU 0.32 pJ/op; an HBM read pays all six path terms 0.11+0.44+1.01+1.23+0.5+0.3 = 3.59 pJ/bit;
on-chip SRAM ~ an L1 access 1.28 pJ/B; a chip-to-chip link ~ NVLink 10.4 pJ/B. DDR4 access and
I/O ≈ 20 pJ/bit is a commonly quoted figure [unverified]. They describe 7 nm-class parts; older
nodes (Plasticine, 28 nm) are underestimated.
"""

from __future__ import annotations

from simulators.common import dram

PJ_PER_OP = 0.32                 # one FLOP (half a MAC)
PJ_PER_SRAM_BYTE = 1.28          # PMU read or write
PJ_PER_HBM_BYTE = 8 * (dram.PJ_PER_BIT_ACT_PRE + dram.PJ_PER_BIT_CELL_RW + dram.PJ_PER_BIT_BG_MUX
                       + dram.PJ_PER_BIT_GLOBAL_IO + dram.PJ_PER_BIT_TSV + dram.PJ_PER_BIT_INTERPOSER)  # 28.7 pJ/B
PJ_PER_DDR_BYTE = 20.0 * 8       # 160 pJ/B [unverified]
PJ_PER_LINK_BYTE = 10.4          # inter-socket link
