#!/usr/bin/env python3
"""Boots Mica and runs the in-guest syscall fuzzer from the shell.

Usage: fuzz_boot.py [--calls N] [--workers W] HARNESS_ARGS...
       (the rest is passed on to mica_qemu.py)

The seed is new on every run (from the clock) unless MICA_FUZZ_SEED is set,
and it is printed first, so a failure can be replayed exactly:

    MICA_FUZZ_SEED=<seed> ctest --test-dir build -R shell.fuzz -V

or by typing `fuzz <seed> <calls>` at the mica> prompt. --calls (else
MICA_FUZZ_CALLS, else 20000) sets the number of random calls, of each
worker. --workers W > 1 runs the fuzzer on W threads at once, worker i
pinned to CPU i (boot with --smp W or more): each worker's `cpu=i` line
must come at the start and again at the end, with at least that many
calls made (`fuzz <seed> <calls> <W>` at the prompt).
"""

import argparse
import os
import subprocess
import sys
import time


def at_least(n):
    """A regex for the decimal numbers >= n (no leading zeros)."""
    digits = str(n)
    alternatives = [digits, "[1-9][0-9]{%d,}" % len(digits)]
    for i, d in enumerate(digits):
        if d != "9":
            rest = len(digits) - i - 1
            alternatives.append("%s[%d-9][0-9]{%d}" % (digits[:i], int(d) + 1, rest))
    return "(%s)" % "|".join(alternatives)


def main():
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--calls", type=int,
                        default=int(os.environ.get("MICA_FUZZ_CALLS", "20000")))
    parser.add_argument("--workers", type=int, default=1)
    ours, harness_args = parser.parse_known_args()
    seed = int(os.environ.get("MICA_FUZZ_SEED", str(int(time.time() * 1000) % (1 << 32))))
    calls, workers = ours.calls, ours.workers
    print(f"fuzz_boot: seed={seed} calls={calls} workers={workers} "
          f"(replay with MICA_FUZZ_SEED={seed})", flush=True)
    harness = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mica_qemu.py")
    if workers > 1:
        start = [
            "send=fuzz %d %d %d\n" % (seed, calls, workers),
            "expect=^fuzz: seed=%d calls=%d workers=%d$" % (seed, calls, workers),
        ]
        start += ["expect=^fuzz: worker %d cpu=%d$" % (i, i) for i in range(workers)]
        start.append("expect=^fuzz: heartbeat calls=")
        start += ["expect=^fuzz: worker %d done calls=%s cpu=%d$" % (i, at_least(calls), i)
                  for i in range(workers)]
    else:
        start = [
            "send=fuzz %d %d\n" % (seed, calls),
            "expect=^fuzz: seed=%d calls=%d$" % (seed, calls),
            "expect=^fuzz: heartbeat calls=",
        ]
    steps = [
        "expect=^mica: ready boot_ms=",
        "expect=^mica> ",
        *start,
        "expect=^fuzz: done seed=%d " % seed,
        "expect=^fuzz: seed=%d calls=%s ok=[0-9]+ errors=[0-9]+$" % (seed, at_least(calls * workers)),
        # Everything the fuzzer made went back to the kernel when it exited.
        r"expect=^fuzz: kernel held before=([0-9]+) after=\1 KiB$",
        "expect=^mica> ",
        "send=echo still alive\n",
        "expect=^still alive$",
        "send=ps\n",
        "expect=^ +[0-9]+ console ",
        "expect=^mica> ",
    ]
    args = [sys.executable, harness] + harness_args
    if workers > 1:
        # A worker that could not be pinned ends the run at once.
        args += ["--forbid", "^fuzz: worker [0-9]+ cpu=[0-9]+ unpinned"]
    for s in steps:
        args += ["--step", s]
    return subprocess.call(args)


if __name__ == "__main__":
    sys.exit(main())
