#!/usr/bin/env python3
"""Check that the kernel's IPC fast path is observably the general path.

Usage: check_fastpath.py ON_LOG OFF_LOG

ON_LOG is the serial log of the in-guest suite run as it boots (the fast
path on), OFF_LOG that of the same run with mica.fastpath=off. In each,
the fastpath suite prints

  TEST fastpath.sequence PASS digest=<hex> general=<n>

where the digest covers every result of a fixed sequence of calls,
replies, notifications and yields (tests/guest/testsuite/test_fastpath.c)
and n counts those syscalls of the runner that the kernel's general path
served. Passes when both lines are there and PASS, the digests are equal,
and the general path served at most half as many with the fast path on as
with it off (where it serves them all): so the first run did take the fast
paths, for most of the sequence. Exit status: 0 pass, 1 fail, 2 usage.
"""

import re
import sys

LINE_RE = re.compile(r"^TEST fastpath\.sequence (PASS|FAIL|SKIP)(?: (.*))?$")
DETAIL_RE = re.compile(r"digest=([0-9a-f]{16}) general=(\d+)")


def result(path):
    """(outcome, digest, general, line) of the sequence's line, or None."""
    with open(path, encoding="utf-8", errors="replace") as log:
        for raw in log:
            match = LINE_RE.match(raw.strip())
            if not match:
                continue
            detail = DETAIL_RE.search(match.group(2) or "")
            if match.group(1) != "PASS" or not detail:
                return (match.group(1), None, None, raw.strip())
            return ("PASS", detail.group(1), int(detail.group(2)), raw.strip())
    return None


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    on, off = result(argv[0]), result(argv[1])
    problems = []
    for name, res in (("fast path on", on), ("fast path off", off)):
        if res is None:
            problems.append(f"{name}: no TEST fastpath.sequence line")
        elif res[0] != "PASS" or res[1] is None:
            problems.append(f"{name}: {res[3]}")
    if not problems:
        print(f"fast path on:  {on[3]}")
        print(f"fast path off: {off[3]}")
        if on[1] != off[1]:
            problems.append(f"digests differ: {on[1]} (on) vs {off[1]} (off)")
        if off[2] == 0:
            problems.append("fast path off, but the general path served nothing")
        elif on[2] * 2 > off[2]:
            problems.append(f"fast path on, but the general path served {on[2]} of "
                            f"{off[2]}: the fast paths took less than half")
    for problem in problems:
        print(f"FAIL: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
