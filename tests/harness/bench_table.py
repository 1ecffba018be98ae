#!/usr/bin/env python3
"""Print the benchmark figures of one or more runs as a Markdown table.

Usage: bench_table.py LOG [LOG...]

Each LOG is a serial log of a run of the shell's `bench` command (the
boot test writes one: build/tests/bench/bench.bios.serial.log) or the
output of `ctest -L bench -V`; the lines read are

  BENCH name=<name> iters=<n> cycles_median=<n> ns_median=<n>

wherever they appear in a line (ctest -V puts "33: " before them). If a log
holds several runs, its last line for each name counts.

With one log the table shows its figures; with several, each figure is the
median over the logs (the middle one of three), and a column per log shows
the ns of each. After the table come the ratios the design aims at
(docs/performance.md): ipc_rtt against null_syscall, ipc_rtt_4k against
ipc_rtt, and the boot time. Nothing is judged: the script always exits 0
when it found figures, 1 when a log has none.
"""

import re
import statistics
import sys

BENCH_RE = re.compile(r"BENCH name=(\S+) iters=(\d+) cycles_median=(\d+) ns_median=(\d+)\s*$")
ORDER = ["null_syscall", "ipc_rtt", "ipc_rtt_4k", "notify_rtt", "ctx_switch", "page_map",
         "boot"]
# (numerator, denominator, target): the ratios of cycles the design aims at.
RATIOS = [("ipc_rtt", "null_syscall", 3.0), ("ipc_rtt_4k", "ipc_rtt", 2.0)]
BOOT_TARGET_MS = 20


def read_log(path):
    """{name: (iters, cycles, ns)} of one log; the last line of a name wins."""
    figures = {}
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            match = BENCH_RE.search(line)
            if match:
                name, iters, cycles, ns = match.groups()
                figures[name] = (int(iters), int(cycles), int(ns))
    return figures


def names_of(runs):
    """Known names in their usual order, then any others as found."""
    seen = [name for run in runs for name in run]
    return [n for n in ORDER if n in seen] + sorted(set(seen) - set(ORDER))


def median_of(runs, name, field):
    values = [run[name][field] for run in runs if name in run]
    return int(statistics.median_low(values)) if values else None


def show(value):
    return "-" if value is None else str(value)


def table(runs):
    """The Markdown lines of the figures table."""
    several = len(runs) > 1
    head = ["name", "iters", "cycles (median)", "ns (median)"]
    if several:
        head += [f"ns run {i + 1}" for i in range(len(runs))]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in names_of(runs):
        row = [name] + [show(median_of(runs, name, f)) for f in range(3)]
        if several:
            row += [show(run[name][2]) if name in run else "-" for run in runs]
        lines.append("| " + " | ".join(row) + " |")
    return lines


def ratios(runs):
    """Lines on the ratios and the boot time, against their targets."""
    lines = []
    for num, den, target in RATIOS:
        a, b = median_of(runs, num, 1), median_of(runs, den, 1)
        if a is None or not b:
            continue
        lines.append(f"- {num} / {den} = {a / b:.1f} (target <= {target:g})")
    boot_ns = median_of(runs, "boot", 2)
    if boot_ns is not None:
        lines.append(f"- boot = {boot_ns // 1000000} ms (target <= {BOOT_TARGET_MS} ms)")
    return lines


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    runs = [read_log(path) for path in argv]
    for path, run in zip(argv, runs):
        if not run:
            print(f"bench_table: no BENCH lines in {path}", file=sys.stderr)
            return 1
    out = table(runs)
    extra = ratios(runs)
    if extra:
        out += [""] + extra
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
