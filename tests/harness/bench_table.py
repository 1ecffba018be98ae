#!/usr/bin/env python3
"""Print the benchmark figures of one or more runs as Markdown tables.

Usage: bench_table.py LOG [LOG...]

Each LOG is a serial log of a run of the shell's `bench` command (the
boot tests write them: build/tests/bench/bench.bios.serial.log for plain
TCG, bench.bios_icount.serial.log under -icount shift=0) or the output of
`ctest -L bench -V`; the lines read are

  BENCH name=<name> iters=<n> cycles_median=<n> ns_median=<n>
        unit=<instructions|tsc> overhead=<n>

(one line) wherever they appear in a line (ctest -V puts "33: " before
them), and the throughput lines

  BENCH name=ipc_throughput cpus=<n> iters=<calls> calls_per_s=<n>

(bench.smp2_bios: one per CPU count). If a log holds several runs, its
last line for each name (and CPU count) counts.

The runs are grouped by unit, and each group gets a table: with one run
its figures, with several the median over the runs and a column per run.
After the TSC table come the ratios the design first aimed at; after the
instructions table, each figure against its goal (docs/performance.md)
with the seL4 and Linux counts measured the same way. Last comes a table
of the throughput figures, each with its ratio to one CPU's. Nothing is judged:
the script exits 0 when it found figures, 1 when a log has none.
"""

import re
import statistics
import sys

BENCH_RE = re.compile(
    r"BENCH name=(\S+) iters=(\d+) cycles_median=(\d+) ns_median=(\d+)"
    r" unit=(instructions|tsc) overhead=(\d+)\s*$"
)
THROUGHPUT_RE = re.compile(
    r"BENCH name=ipc_throughput cpus=(\d+) iters=(\d+) calls_per_s=(\d+)\s*$")
ORDER = ["null_syscall", "ipc_rtt", "ipc_rtt_xcpu", "ipc_rtt_4k", "notify_rtt", "ctx_switch", "page_map",
         "boot"]
# (numerator, denominator, target): ratios of TSC cycles (plain TCG).
RATIOS = [("ipc_rtt", "null_syscall", 3.0), ("ipc_rtt_4k", "ipc_rtt", 2.0)]
BOOT_TARGET_MS = 20
# Goals in instructions (-icount shift=0): name -> (goal, reference). A goal
# given as a string names another figure it adds to.
GOALS = {
    "null_syscall": (60, "Linux 6.1: 341"),
    "ipc_rtt": (205, "seL4 13.0.0 Call + ReplyRecv: 409; Linux pipe round trip: 12,992"),
    "ipc_rtt_4k": (("ipc_rtt", 1200), "-"),
    "notify_rtt": (500, "seL4 signal to a higher-priority thread: 682 one way"),
    "ctx_switch": (150, "seL4 thread yield: 267; Linux yield round trip: 4,455"),
}


def read_log(path):
    """{name: (iters, cycles, ns, unit, overhead)}; the last line of a name wins."""
    figures = {}
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            match = BENCH_RE.search(line)
            if match:
                name, iters, cycles, ns, unit, overhead = match.groups()
                figures[name] = (int(iters), int(cycles), int(ns), unit, int(overhead))
    return figures


def read_throughput(path):
    """{cpus: calls_per_s}; the last line of a CPU count wins."""
    figures = {}
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            match = THROUGHPUT_RE.search(line)
            if match:
                figures[int(match.group(1))] = int(match.group(3))
    return figures


def throughput_table(runs):
    """The Markdown lines of the throughput figures: the median over the
    runs that have each CPU count, and its ratio to the one-CPU figure."""
    counts = sorted({n for run in runs for n in run})
    medians = {n: int(statistics.median_low([run[n] for run in runs if n in run]))
               for n in counts}
    lines = ["| cpus | calls/s (median) | x cpus=1 |", "|---|---|---|"]
    for n in counts:
        base = medians.get(1)
        ratio = f"{medians[n] / base:.2f}" if base else "-"
        lines.append(f"| {n} | {medians[n]} | {ratio} |")
    return lines


def unit_of(run):
    units = {fig[3] for fig in run.values()}
    return units.pop() if len(units) == 1 else "mixed"


def names_of(runs):
    """Known names in their usual order, then any others as found."""
    seen = [name for run in runs for name in run]
    return [n for n in ORDER if n in seen] + sorted(set(seen) - set(ORDER))


def median_of(runs, name, field):
    values = [run[name][field] for run in runs if name in run]
    return int(statistics.median_low(values)) if values else None


def show(value):
    return "-" if value is None else str(value)


def table(runs, unit):
    """The Markdown lines of one unit's figures table."""
    several = len(runs) > 1
    head = ["name", "iters", f"{unit} (median, overhead subtracted)", "ns (median)",
            "overhead"]
    if several:
        head += [f"run {i + 1}" for i in range(len(runs))]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in names_of(runs):
        row = [name] + [show(median_of(runs, name, f)) for f in (0, 1, 2, 4)]
        if several:
            row += [show(run[name][1]) if name in run else "-" for run in runs]
        lines.append("| " + " | ".join(row) + " |")
    return lines


def ratios(runs):
    """Lines on the TSC ratios and the boot time, against their targets."""
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


def goals(runs):
    """The instruction figures against their goals."""
    lines = ["| figure | Mica | goal | met | measured the same way |", "|---|---|---|---|---|"]
    for name, (goal, reference) in GOALS.items():
        mine = median_of(runs, name, 1)
        if isinstance(goal, tuple):
            base = median_of(runs, goal[0], 1)
            limit = None if base is None else base + goal[1]
            goal_text = f"<= {goal[0]} + {goal[1]}" + ("" if limit is None else f" = {limit}")
        else:
            limit, goal_text = goal, f"<= {goal}"
        met = "-" if mine is None or limit is None else ("yes" if mine <= limit else "no")
        lines.append(f"| {name} | {show(mine)} | {goal_text} | {met} | {reference} |")
    return lines


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    runs = [read_log(path) for path in argv]
    throughput = [read_throughput(path) for path in argv]
    for path, run in zip(argv, runs):
        if not run:
            print(f"bench_table: no BENCH lines in {path}", file=sys.stderr)
            return 1
    out = []
    for unit in ("tsc", "instructions", "mixed"):
        group = [run for run in runs if unit_of(run) == unit]
        if not group:
            continue
        if out:
            out.append("")
        title = {"tsc": "TSC cycles (plain TCG: host time, compare code paths only)",
                 "instructions": "Instructions (-icount shift=0: exact)",
                 "mixed": "Runs that mix units"}[unit]
        out += [f"### {title}", ""] + table(group, unit)
        extra = ratios(group) if unit == "tsc" else goals(group) if unit == "instructions" else []
        if extra:
            out += [""] + extra
    throughput = [run for run in throughput if run]
    if throughput:
        out += ["", "### IPC throughput (client/server pairs, one per CPU)", ""]
        out += throughput_table(throughput)
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
