#!/usr/bin/env python3
"""Check that attacks whose task must die of a fault have their fault line.

Usage: check_fault_lines.py LOG SUITE.NAME...

The attack suite (tests/security) prints `TEST <suite>.<name> ...` after
each attack. For each SUITE.NAME given, the log must hold that TEST line,
and between it and the TEST line before it a kernel fault line for one of
the suite's helper tasks: `mica: fault task=secpeer ...` or `task=secedge`
(the kernel's promise: a task it kills for a fault is reported in one
line). It prints the fault line it found for each test.

Exit status: 0 pass, 1 fail, 2 usage or unreadable log.
"""

import re
import sys

TEST_RE = re.compile(r"^TEST (\S+\.\S+) (PASS|FAIL|SKIP)")
FAULT_RE = re.compile(r"^mica: fault task=sec(peer|edge) vector=\d+ ")


def check(text, wanted):
    """Returns a list of (test, fault line or None, found test line)."""
    faults_since, seen = [], {}
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if FAULT_RE.match(line):
            faults_since.append(line)
            continue
        match = TEST_RE.match(line)
        if match:
            seen[match.group(1)] = faults_since[-1] if faults_since else None
            faults_since = []
    return [(name, seen.get(name), name in seen) for name in wanted]


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8", errors="replace") as log:
            text = log.read()
    except OSError as err:
        print(f"check_fault_lines: cannot read {argv[1]}: {err}", file=sys.stderr)
        return 2
    bad = 0
    for name, fault, found in check(text, argv[2:]):
        if not found:
            print(f"FAIL {name}: no TEST line")
            bad += 1
        elif not fault:
            print(f"FAIL {name}: no 'mica: fault task=secpeer|secedge' line before it")
            bad += 1
        else:
            print(f"ok   {name}: {fault}")
    print("PASS" if not bad else f"FAIL: {bad} attack(s) without their fault line")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
