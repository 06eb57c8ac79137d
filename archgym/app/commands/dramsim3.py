"""``archgym dramsim3 CONFIG.ini -t TRACE -c CYCLES -o OUTDIR``: run DRAMsim3's own config and trace
files (``0xADDR READ|WRITE CYCLE``) through the command-level DRAM model and write a stats JSON
with DRAMsim3's key names, one object per channel, to OUTDIR/dramsim3.json (see
simulators.dram.dramsim3_io)."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("config", metavar="CONFIG.ini", help="DRAMsim3 config file")
    p.add_argument("-t", "--trace", required=True, metavar="TRACE", help="DRAMsim3 trace file")
    p.add_argument("-c", "--cycles", type=int, default=100000, metavar="CYCLES",
                   help="DRAM cycles to simulate (DRAMsim3's -c; default 100000)")
    p.add_argument("-o", "--output-dir", dest="outdir", default=".", metavar="OUTDIR",
                   help="folder for dramsim3.json")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")


def run(args: argparse.Namespace) -> int:
    from simulators.dram import dramsim3_io as io
    from simulators.dram.traces import read_trace

    cfg = io.read_config(args.config)
    per_channel = io.simulate(cfg, read_trace(args.trace, "dramsim3"), args.cycles)
    path = io.write_stats(per_channel, args.outdir)
    stats = io.aggregate(per_channel)
    if not args.quiet:
        print(f"{cfg.device.name}: {int(stats['num_reads_done'])} reads, {int(stats['num_writes_done'])} writes "
              f"in {args.cycles} cycles; {stats['average_bandwidth']:.2f} GB/s, "
              f"{stats['average_read_latency']:.1f} cycles read latency; stats in {path}")
    return 0
