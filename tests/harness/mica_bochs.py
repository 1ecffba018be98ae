#!/usr/bin/env python3
"""Boot a Mica ISO in Bochs and drive/check it through COM1, with the
steps of mica_qemu.py (expect=, expect-count=, send=, exit=).

Why Bochs: QEMU's TCG has no x2APIC (CPUID.01H:ECX bit 21 stays clear),
so the kernel's x2APIC mode (MSR registers, 32-bit ids, the one-write
ICR) would never run in a test; nor does TCG deliver a debug trap in ring
0 or fault SYSRET there as Intel CPUs do. Bochs emulates both on its
Intel models (the default, tigerlake, also has SMEP and SMAP), with
several CPUs, under its own BIOS, which boots the hybrid ISO from the CD
as a PC BIOS does.

The machine: an i440FX PC with the ISO on the first IDE channel's CD
drive, --memory MiB, --cpus CPUs of --cpu-model, the display on Bochs's
RFB (VNC) library, which needs no terminal and waits for no viewer
(timeout=0). COM1 is a TCP socket: this script listens on 127.0.0.1 at a
free port and Bochs connects to it as it starts (mode=socket-client).
Time is the instruction count (clock: sync=none, ips), so idle spells
cost nothing. Debian's Bochs is built with its debugger, which would
stop at the first instruction; its command file says 'c' (continue).

Bochs exits by itself when the guest powers off through ACPI (PIIX4 PM
registers, S5), but it does so through its panic path ('>>PANIC<< ACPI
control: soft power off', status 1, with 'panic: action=fatal'); this
script reports that exit as status 0, so 'exit=0' works as under QEMU,
and any other exit with Bochs's own status. Bochs's own log is printed
on failure; --bochs-log keeps it.

Example:
  mica_bochs.py --iso build/mica.iso --cpus 2 \\
      --step 'expect=^mica: lapic mode=x2apic$' --step 'expect=^mica> ' \\
      --step 'send=halt\\n' --step exit=0

Exit status: 0 when every step passed, 1 on failure, 2 on usage errors.
"""

import argparse
import os
import selectors
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mica_qemu import (DEFAULT_FORBID, PANIC_FORBID, Console, Runner,  # noqa: E402
                       SerialMachine, StepFailure, _checked_regex, _die_with_parent_hook,
                       final_checks, parse_step)

BOCHS_STEPS = ("expect", "send", "exit")
POWER_OFF = "ACPI control: soft power off"  # Bochs 2.7, iodev/acpi.cc
CONNECT_TIMEOUT = 30.0  # seconds for Bochs to connect to COM1's socket
KILL_GRACE = 5.0

BOCHSRC = """\
megs: {memory}
romimage: file={bios}
vgaromimage: file={vgabios}
pci: enabled=1, chipset=i440fx
ata0-master: type=cdrom, path="{iso}", status=inserted
boot: cdrom
cpu: model={model}, count={cpus}, ips={ips}
clock: sync=none
com1: enabled=1, mode=socket-client, dev=127.0.0.1:{port}
display_library: rfb, options="timeout=0"
speaker: enabled=0
log: {log}
panic: action=fatal
error: action=report
info: action=ignore
debug: action=ignore
"""


class BochsProcess:
    """The Bochs process as Runner sees it (poll, wait, returncode), with
    the ACPI power-off's exit status read as 0."""

    def __init__(self, popen, output):
        self.popen = popen
        self.output = output  # Bochs's stdout and stderr, a file

    def _status(self, raw):
        if raw == 1:
            self.output.seek(0)
            if POWER_OFF in self.output.read().decode(errors="replace"):
                return 0
        return raw

    def poll(self):
        raw = self.popen.poll()
        return None if raw is None else self._status(raw)

    def wait(self, timeout=None):
        return self._status(self.popen.wait(timeout))

    @property
    def returncode(self):
        return self.poll()


class Bochs(SerialMachine):
    """A running Bochs whose COM1 is a TCP connection to this script; the
    rest of what Runner expects (proc, exited, stop) as mica_qemu.Qemu has
    it."""

    name = "Bochs"

    def __init__(self, cmd, console, listener):
        self.console = console
        self.qmp = None
        self.stderr = tempfile.TemporaryFile()
        self.start = time.monotonic()
        try:
            popen = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.stderr,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     preexec_fn=_die_with_parent_hook())
        except OSError as err:
            raise StepFailure(f"cannot start {cmd[0]}: {err}") from None
        self.popen = popen
        self.proc = BochsProcess(popen, self.stderr)
        self.sock = self._accept(listener)
        self.sock.setblocking(False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.sock, selectors.EVENT_READ)
        self.eof = False

    def _accept(self, listener):
        deadline = time.monotonic() + CONNECT_TIMEOUT
        listener.settimeout(0.2)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise StepFailure(f"Bochs exited (status {self.proc.returncode}) before "
                                  "it connected COM1")
            try:
                conn, _ = listener.accept()
                return conn
            except socket.timeout:
                continue
        raise StepFailure(f"Bochs did not connect COM1 within {CONNECT_TIMEOUT:.0f} s")

    def read_serial(self):
        try:
            return self.sock.recv(65536)
        except BlockingIOError:
            return None
        except OSError:
            return b""

    def write_serial(self, data):
        try:
            self.sock.sendall(data)
        except OSError:
            raise StepFailure("Bochs closed COM1") from None

    def exited(self):
        if self.proc.poll() is None:
            return False
        if not self.eof:  # what it wrote before it went
            self.pump(0.2)
            if not self.eof:
                self.eof = True
                self.console.finish()
        return True

    def stop(self):
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(KILL_GRACE)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self.exited()

    def close(self):
        self.stop()
        self.selector.close()
        self.sock.close()

    def stderr_text(self):
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")


def run(args, out=sys.stdout):
    console = Console(args.forbid)
    workdir = tempfile.mkdtemp(prefix="mica-bochs-")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    bochs = None
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        rc = os.path.join(workdir, "bochsrc")
        log = args.bochs_log or os.path.join(workdir, "bochs.log")
        with open(rc, "w", encoding="utf-8") as f:
            f.write(BOCHSRC.format(memory=args.memory, bios=args.bios, vgabios=args.vgabios,
                                   iso=os.path.abspath(args.iso), model=args.cpu_model,
                                   cpus=args.cpus, ips=args.ips,
                                   port=listener.getsockname()[1], log=log))
        cmds = os.path.join(workdir, "debugger-commands")
        with open(cmds, "w", encoding="utf-8") as f:
            f.write("c\n")
        cmd = [args.bochs, "-q", "-f", rc, "-rc", cmds]
        out.write(f"mica_bochs: {shlex.join(cmd)}\n")
        with open(rc, encoding="utf-8") as f:
            out.write("".join(f"  | {line}" for line in f))
        out.flush()
        deadline = time.monotonic() + args.timeout
        bochs = Bochs(cmd, console, listener)
        Runner(bochs, deadline, out).run(args.step)
        bochs.stop()
        final_checks(args, console, out)
        out.write(f"PASS: {len(args.step)} steps in {bochs.elapsed():.2f}s\n")
        return 0
    except StepFailure as err:
        if bochs:
            bochs.stop()
        out.write(f"FAIL: {err}\n")
        out.write(f"---- serial log ----\n{console.log()}\n---- end of serial log ----\n")
        if bochs:
            out.write(f"---- bochs output ----\n{bochs.stderr_text()}---- end ----\n")
        try:
            with open(log, encoding="utf-8", errors="replace") as f:
                tail = f.readlines()[-40:]
            out.write("---- bochs log (last lines) ----\n" + "".join(tail) + "---- end ----\n")
        except (OSError, NameError):
            pass
        return 1
    finally:
        if bochs:
            bochs.close()
        listener.close()
        shutil.rmtree(workdir, ignore_errors=True)
        if args.log:
            with open(args.log, "w", encoding="utf-8") as f:
                f.write(console.log() + "\n")
        out.flush()


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Boot a Mica ISO in Bochs and check COM1.")
    parser.add_argument("--iso", required=True)
    parser.add_argument("--bochs", default="bochs")
    parser.add_argument("--bios", default="/usr/share/bochs/BIOS-bochs-latest")
    parser.add_argument("--vgabios", default="/usr/share/bochs/VGABIOS-lgpl-latest")
    parser.add_argument("--memory", type=int, default=128, help="MiB")
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--cpu-model", default="tigerlake",
                        help="a Bochs CPU model; the default has x2APIC, SMEP and SMAP")
    parser.add_argument("--ips", type=int, default=100_000_000,
                        help="emulated instructions per emulated second")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds for the whole run")
    parser.add_argument("--step", type=parse_step, action="append", default=[],
                        help="expect=REGEX | expect-count=N:REGEX | send=TEXT | exit=CODE|any")
    parser.add_argument("--forbid", action="append", default=[], type=_checked_regex,
                        help="fail as soon as a line matches (added to ^PANIC: and ^UBSAN:)")
    parser.add_argument("--tests-summary", action="store_true",
                        help="check the TEST lines and the 'TESTS: n passed, m failed' summary")
    parser.add_argument("--log", help="write the whole serial log to this file")
    parser.add_argument("--bochs-log", help="keep Bochs's own log in this file")
    args = parser.parse_args(argv)
    args.bench = False
    args.forbid += DEFAULT_FORBID + [PANIC_FORBID]
    if args.tests_summary and not (args.step and args.step[-1].kind == "exit"):
        args.step.append(parse_step(r"expect=^TESTS: \d+ passed, \d+ failed"))
    if not args.step:
        parser.error("give at least one --step")
    bad = [str(s) for s in args.step if s.kind not in BOCHS_STEPS]
    if bad:
        parser.error(f"Bochs has no screen or keyboard steps here: {', '.join(bad)}")
    for path in (args.iso, args.bios, args.vgabios):
        if not os.path.isfile(path):
            parser.error(f"no such file: {path}")
    if not shutil.which(args.bochs):
        parser.error(f"no Bochs at {args.bochs!r} (Debian: apt-get install bochs bochsbios "
                     "vgabios)")
    return args


def main(argv=None):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))
    try:
        return run(args)
    except KeyboardInterrupt:
        print("mica_bochs: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
