#!/usr/bin/env python3
"""Screenshots of the Mica shell for the documentation.

Usage: python3 tests/harness/screenshots.py [--iso build/mica.iso]
           [--firmware bios|uefi ...] [--out-dir docs/images] [--serial]
           [--qemu ...] [--ovmf-code ...] [--ovmf-vars ...]

Boots the ISO with mica_qemu.py once per firmware (BIOS, then UEFI), with no
serial port, as a VirtualBox user without one meets Mica; types a short
session on the PS/2 keyboard (help, echo, ps), waits for each answer on the
screen, saves the screen as <out-dir>/shell-<firmware>.png and types halt.
--serial keeps a COM1 in the machine (the session is still typed on the
keyboard and checked on the screen).  `cmake --build build --target
screenshots` runs this on build/mica.iso and writes docs/images/.

Exit status: 0 when every image was written, 1 otherwise.
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import mica_qemu  # noqa: E402

ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))

# Each command, then what shows that its answer is complete on the screen.
SESSION = [
    ("help", [r"^mica> $"]),
    ("echo hello from Mica", [r"^hello from Mica$", r"^mica> $"]),
    ("ps", [r"^ +[0-9]+ shell ", r"^mica> $"]),
]
TIMEOUT = {"bios": 90, "uefi": 150}


def session_steps(image):
    steps = ["screen=^mica> $"]
    for command, answers in SESSION:
        steps.append(f"key={command}\n")
        steps += [f"screen={regex}" for regex in answers]
    steps += [f"screenshot={image}", "key=halt\n", "exit=0"]
    return steps


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iso", default=os.path.join(ROOT, "build", "mica.iso"))
    parser.add_argument("--firmware", action="append", choices=["bios", "uefi"],
                        help="firmware to boot under (repeatable; default both)")
    parser.add_argument("--out-dir", default=os.path.join(ROOT, "docs", "images"))
    parser.add_argument("--serial", action="store_true",
                        help="give the machine a COM1 (not shown; the session still "
                             "goes through keyboard and screen)")
    parser.add_argument("--qemu", default="qemu-system-x86_64")
    parser.add_argument("--ovmf-code", default="/usr/share/OVMF/OVMF_CODE.fd")
    parser.add_argument("--ovmf-vars", default="/usr/share/OVMF/OVMF_VARS.fd")
    args = parser.parse_args(argv)
    failed = []
    for firmware in args.firmware or ["bios", "uefi"]:
        image = os.path.join(args.out_dir, f"shell-{firmware}.png")
        harness = ["--iso", args.iso, "--firmware", firmware, "--qemu", args.qemu,
                   "--ovmf-code", args.ovmf_code, "--ovmf-vars", args.ovmf_vars,
                   "--timeout", str(TIMEOUT[firmware])]
        harness += [] if args.serial else ["--no-serial"]
        for step in session_steps(image):
            harness += ["--step", step]
        print(f"screenshots: {firmware} -> {image}", flush=True)
        if mica_qemu.main(harness) != 0:
            failed.append(firmware)
    if failed:
        print(f"screenshots: failed under {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
