#!/usr/bin/env python3
"""Checks that docs/abi.md documents every syscall and status of abi.h.

Usage: check_abi_doc.py ABI_H ABI_MD

Reads the X-macro lists MICA_SYSCALLS and MICA_ERRORS of the header and
fails, naming what is missing, unless every SYS_<name> and MICA_<name>
appears in the document with its number.
"""

import re
import sys


def entries(text, macro):
    block = text[text.index(f"#define {macro}"):]
    block = block[:block.index("\n\n")]
    return re.findall(r'X\((-?\d+), (\w+), "', block)


def main():
    header = open(sys.argv[1], encoding="utf-8").read()
    doc = open(sys.argv[2], encoding="utf-8").read()
    missing = []
    for number, name in entries(header, "MICA_SYSCALLS"):
        if not re.search(rf"\|\s*{number}\s*\|\s*`SYS_{name}`", doc):
            missing.append(f"SYS_{name} ({number})")
    for number, name in entries(header, "MICA_ERRORS"):
        if not re.search(rf"\|\s*{number}\s*\|\s*`MICA_{name}`", doc):
            missing.append(f"MICA_{name} ({number})")
    if missing:
        print("check_abi_doc: docs/abi.md lacks: " + ", ".join(missing))
        return 1
    print("check_abi_doc: every syscall and status code is documented")
    return 0


if __name__ == "__main__":
    sys.exit(main())
