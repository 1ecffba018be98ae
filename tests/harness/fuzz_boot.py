#!/usr/bin/env python3
"""Boots Mica and runs the in-guest syscall fuzzer from the shell.

Usage: fuzz_boot.py HARNESS_ARGS...   (passed on to mica_qemu.py)

The seed is new on every run (from the clock) unless MICA_FUZZ_SEED is set,
and it is printed first, so a failure can be replayed exactly:

    MICA_FUZZ_SEED=<seed> ctest --test-dir build -R shell.fuzz -V

or by typing `fuzz <seed> <calls>` at the mica> prompt. MICA_FUZZ_CALLS
sets the number of random calls (default 20000).
"""

import os
import subprocess
import sys
import time


def main():
    seed = int(os.environ.get("MICA_FUZZ_SEED", str(int(time.time() * 1000) % (1 << 32))))
    calls = int(os.environ.get("MICA_FUZZ_CALLS", "20000"))
    print(f"fuzz_boot: seed={seed} calls={calls} (replay with MICA_FUZZ_SEED={seed})",
          flush=True)
    harness = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mica_qemu.py")
    steps = [
        "expect=^mica: ready boot_ms=",
        "expect=^mica> ",
        "send=fuzz %d %d\n" % (seed, calls),
        "expect=^fuzz: seed=%d calls=%d$" % (seed, calls),
        "expect=^fuzz: heartbeat calls=",
        "expect=^fuzz: done seed=%d " % seed,
        "expect=^fuzz: seed=%d calls=[0-9]+ ok=[0-9]+ errors=[0-9]+$" % seed,
        # Everything the fuzzer made went back to the kernel when it exited.
        r"expect=^fuzz: kernel held before=([0-9]+) after=\1 KiB$",
        "expect=^mica> ",
        "send=echo still alive\n",
        "expect=^still alive$",
        "send=ps\n",
        "expect=^ +[0-9]+ console ",
        "expect=^mica> ",
    ]
    args = [sys.executable, harness] + sys.argv[1:]
    for s in steps:
        args += ["--step", s]
    return subprocess.call(args)


if __name__ == "__main__":
    sys.exit(main())
