#!/usr/bin/env python3
"""Check one suite of the in-guest tests in a serial log.

Usage: check_suite.py LOG SUITE
       check_suite.py LOG --all

The in-guest runner (tests/guest) prints one line per test,
`TEST <suite>.<name> PASS|FAIL|SKIP [detail]`, at the start of a serial
line, and closes with `TESTS: <n> passed, <n> failed`.  With SUITE this
passes when LOG holds at least one line of SUITE and none of them is FAIL;
with --all, when every TEST line of any suite passed or was skipped and
the summary is there and agrees with the lines.  It prints the lines it
judged either way.  It is how one QEMU run (guest.bios) shows up in CTest
as one test per suite.

Exit status: 0 pass, 1 fail, 2 usage or unreadable log.
"""

import re
import sys

LINE_RE = re.compile(r"^TEST (\S+)\.(\S+) (PASS|FAIL|SKIP)(?: (.*))?$")
SUMMARY_RE = re.compile(r"^TESTS: (\d+) passed, (\d+) failed$")


def suite_lines(text, suite):
    """The (line, outcome) pairs of `suite` (None: every suite) in the log,
    and the summaries seen as (passed, failed)."""
    found, summaries = [], []
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        match = LINE_RE.match(line)
        if match and suite in (None, match.group(1)):
            found.append((line, match.group(3)))
        elif line.startswith("TEST ") and suite is None:
            found.append((line, "MALFORMED"))
        summary = SUMMARY_RE.match(line)
        if summary:
            summaries.append((int(summary.group(1)), int(summary.group(2))))
    return found, summaries


def check(text, suite):
    """Returns (lines to show, error or None); suite None checks all."""
    found, summaries = suite_lines(text, suite)
    name = suite if suite else "any suite"
    if not found:
        return [], f"no 'TEST {suite + '.' if suite else ''}' lines in the log"
    counts = {o: sum(1 for _, x in found if x == o)
              for o in ("PASS", "FAIL", "SKIP", "MALFORMED")}
    shown = [line for line, _ in found]
    shown.append(f"{name}: {counts['PASS']} passed, {counts['FAIL']} failed, "
                 f"{counts['SKIP']} skipped")
    errors = []
    if counts["FAIL"]:
        errors.append(f"{counts['FAIL']} test(s) of {name} failed")
    if counts["MALFORMED"]:
        errors.append(f"{counts['MALFORMED']} malformed TEST line(s)")
    if suite is None:
        if len(summaries) != 1:
            errors.append(f"{len(summaries)} 'TESTS:' summary lines, want 1")
        elif summaries[0] != (counts["PASS"], counts["FAIL"]):
            errors.append(f"summary says {summaries[0][0]} passed, {summaries[0][1]} "
                          f"failed but the lines say {counts['PASS']} and "
                          f"{counts['FAIL']}")
    return shown, "; ".join(errors) or None


def main(argv):
    if len(argv) != 3:
        print("\n".join(__doc__.strip().splitlines()[2:4]), file=sys.stderr)
        return 2
    path, suite = argv[1], (None if argv[2] == "--all" else argv[2])
    try:
        with open(path, encoding="utf-8", errors="replace") as log:
            text = log.read()
    except OSError as err:
        print(f"check_suite: cannot read {path}: {err}", file=sys.stderr)
        return 2
    shown, error = check(text, suite)
    for line in shown:
        print(line)
    if error:
        print(f"FAIL: {error}")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
