#!/usr/bin/env python3
"""Checks that an ISO is a hybrid BIOS + UEFI image.

Usage: check_iso.py XORRISO ISO

Asks xorriso for the El Torito boot catalogue and fails unless it lists one
BIOS and one UEFI boot image (the two entries grub-mkrescue makes when both
grub-pc-bin and grub-efi-amd64-bin are installed).
"""

import re
import subprocess
import sys


def main():
    xorriso, iso = sys.argv[1], sys.argv[2]
    out = subprocess.run([xorriso, "-indev", iso, "-report_el_torito", "plain"],
                         capture_output=True, text=True, check=False)
    report = out.stdout + out.stderr
    platforms = re.findall(r"^El Torito boot img :\s+\d+\s+(\S+)\s+y", report, re.M)
    print(f"check_iso: {iso}: bootable El Torito images for {platforms}")
    if "BIOS" in platforms and "UEFI" in platforms:
        return 0
    print(report)
    print("check_iso: FAIL: want both a BIOS and a UEFI El Torito boot image")
    return 1


if __name__ == "__main__":
    sys.exit(main())
