#!/usr/bin/env python3
"""The README's run command, typed in a terminal by a person.

Runs `cmake --workflow --preset run` (or run-uefi) in a new pseudo-terminal
with the source directory as working directory, the way a person types it
into a shell, and checks that the terminal is Mica's serial console:

  1. `mica> ` appears (after configure, the no-op build and the boot);
  2. `echo hi from the terminal` typed key by key, then Enter, is answered
     with the line `hi from the terminal`;
  3. `halt` prints `mica: power off` (or, with --quit ctrl-a-x, Ctrl-a x
     makes QEMU print `QEMU: Terminated`) and the command ends with
     status 0;
  4. the run script said which accelerator it used in exactly one
     `mica-run:` line: KVM, or TCG with the reason (no /dev/kvm, /dev/kvm
     not writable, the probe failed, MICA_ACCEL); when /dev/kvm is writable
     and TCG was chosen on its own, the line names the probe's failure;
  5. no `qemu-system-x86_64: ` message (warnings) reached the terminal.

On failure it prints the whole transcript, control characters escaped;
--log FILE keeps it in any case. Exit status 0 on success, 1 on failure,
2 for usage errors.

  run_pty.py --source DIR [--preset run|run-uefi] [--quit halt|ctrl-a-x]
             [--cmake cmake] [--timeout s] [--log FILE]
"""

import argparse
import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time

KEY_DELAY = 0.05           # seconds between keys, like a fast typist
EXIT_TIMEOUT = 60          # seconds from quitting to the end of the command
COMMAND_TEXT = "echo hi from the terminal"
ANSWER_RE = re.compile(r"\n\r*hi from the terminal\r*\n")
PROMPT = "mica> "
RUN_LINE_RE = re.compile(r"mica-run: (?!checking KVM\.\.\. )[^\r\n]*")
ACCEPTED = [
    ("kvm", re.compile(r"mica-run: KVM works here; using KVM ")),
    ("probe", re.compile(r"mica-run: KVM does not work here \(probe: [^)]+\); using TCG ")),
    ("no-kvm", re.compile(r"mica-run: no /dev/kvm; using TCG ")),
    ("kvm-denied", re.compile(r"mica-run: /dev/kvm is not readable and writable by you; using TCG ")),
    ("forced", re.compile(r"mica-run: using (KVM|TCG) \(MICA_ACCEL=(kvm|tcg)\)$")),
]
QEMU_NOISE_RE = re.compile(r"qemu-system-[a-z0-9_]+: [^\r\n]*")


class Failure(Exception):
    pass


class Terminal:
    """The master side of the pseudo-terminal the command runs in."""

    def __init__(self, argv, cwd, env):
        self.start = time.monotonic()
        self.data = bytearray()
        self.eof = False
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: a new session with the pty as its terminal
            try:
                os.chdir(cwd)
                os.execvpe(argv[0], argv, env)
            finally:
                os._exit(127)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.status = None

    def elapsed(self):
        return time.monotonic() - self.start

    def text(self):
        return self.data.decode("utf-8", errors="replace")

    def pump(self, timeout):
        """Read what the command wrote within timeout seconds."""
        if self.eof:
            time.sleep(max(0.0, min(timeout, 0.1)))
            return
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not ready:
            return
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: every process of the session closed the terminal
            chunk = b""
        if chunk:
            self.data += chunk
        else:
            self.eof = True

    def expect(self, regex, since, timeout, what):
        """Wait for regex in the output after offset since; returns the match."""
        deadline = time.monotonic() + timeout
        while True:
            match = regex.search(self.text(), since)
            if match:
                return match
            if self.exited():
                raise Failure(f"the command ended (status {self.status}) before {what}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure(f"no {what} within {timeout:.0f} s")
            self.pump(min(left, 0.2))

    def type(self, text):
        for ch in text:
            os.write(self.fd, ch.encode())
            time.sleep(KEY_DELAY)
            self.pump(0)

    def exited(self):
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
        return self.status is not None

    def wait_exit(self, timeout):
        deadline = time.monotonic() + timeout
        while not self.exited():
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure(f"the command did not end within {timeout} s of quitting")
            self.pump(min(left, 0.2))
        while not self.eof:  # what is left in the terminal
            self.pump(0.2)
        return self.status

    def kill(self):
        """Stop the whole session: cmake, make, the run script, QEMU."""
        if self.exited():
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                break
            for _ in range(30):
                if self.exited():
                    return
                self.pump(0.1)

    def close(self):
        try:
            os.close(self.fd)
        except OSError:
            pass


def escaped(text):
    """The transcript with control characters made visible (newlines kept)."""
    out = []
    for ch in text:
        if ch == "\n" or ch == "\t" or " " <= ch:
            out.append(ch)
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\x1b":
            out.append("\\e")
        else:
            out.append(f"\\x{ord(ch):02x}")
    return "".join(out)


def check_accel_line(text):
    """Returns a note on the accelerator line; raises Failure if it is wrong."""
    lines = [m.group(0) for m in RUN_LINE_RE.finditer(text)]
    if len(lines) != 1:
        raise Failure(f"expected exactly one mica-run: line, got {lines!r}")
    line = lines[0]
    kinds = [kind for kind, regex in ACCEPTED if regex.search(line)]
    if not kinds:
        raise Failure(f"the mica-run: line says neither KVM nor why not: {line!r}")
    kind = kinds[0]
    kvm_usable = os.path.exists("/dev/kvm") and os.access("/dev/kvm", os.R_OK | os.W_OK)
    if kind == "no-kvm" and os.path.exists("/dev/kvm"):
        raise Failure(f"/dev/kvm exists, yet: {line!r}")
    if kind == "kvm-denied" and kvm_usable:
        raise Failure(f"/dev/kvm is readable and writable, yet: {line!r}")
    if kind in ("kvm", "probe") and not kvm_usable:
        raise Failure(f"/dev/kvm is not usable, yet the probe ran: {line!r}")
    return line


def run(args, out):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "MICA_ACCEL",
                        "MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env.setdefault("TERM", "xterm")
    argv = [args.cmake, "--workflow", "--preset", args.preset]
    out.write(f"run_pty: in {args.source}: {' '.join(argv)}\n")
    term = Terminal(argv, args.source, env)
    try:
        try:
            prompt = term.expect(re.compile(re.escape(PROMPT)), 0, args.timeout, "`mica> ` prompt")
            out.write(f"  {term.elapsed():7.2f}s  prompt\n")
            term.type(COMMAND_TEXT)
            sent = len(term.text())
            term.type("\r")
            term.expect(ANSWER_RE, sent, 30, "answer `hi from the terminal`")
            out.write(f"  {term.elapsed():7.2f}s  echo answered\n")
            again = term.expect(re.compile(re.escape(PROMPT)), sent, 30, "prompt after echo")
            if args.quit == "halt":
                term.type("halt\r")
                term.expect(re.compile(r"mica: power off"), again.end(), 30, "`mica: power off`")
                out.write(f"  {term.elapsed():7.2f}s  power off\n")
            else:
                term.type("\x01x")  # Ctrl-a x: QEMU's mux console quits
                term.expect(re.compile(r"QEMU: Terminated"), again.end(), 30,
                            "`QEMU: Terminated` after Ctrl-a x")
                out.write(f"  {term.elapsed():7.2f}s  Ctrl-a x: QEMU terminated\n")
            status = term.wait_exit(EXIT_TIMEOUT)
            out.write(f"  {term.elapsed():7.2f}s  the command ended with status {status}\n")
            if status != 0:
                raise Failure(f"the command ended with status {status}, not 0")
            text = term.text()
            line = check_accel_line(text[:prompt.start()])
            out.write(f"  accelerator: {line}\n")
            noise = QEMU_NOISE_RE.findall(text)
            if noise:
                raise Failure(f"QEMU messages reached the terminal: {noise!r}")
        except Failure as failure:
            term.kill()
            out.write(f"FAIL: {failure}\n---- transcript ({term.elapsed():.1f} s) ----\n")
            out.write(escaped(term.text()))
            out.write("\n---- end of transcript ----\n")
            return 1
        out.write(f"PASS: {args.preset} in {term.elapsed():.1f} s\n")
        return 0
    finally:
        term.kill()
        term.close()
        if args.log:
            with open(args.log, "w", encoding="utf-8") as log:
                log.write(escaped(term.text()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True, help="the source directory (cwd)")
    parser.add_argument("--preset", default="run", choices=["run", "run-uefi"])
    parser.add_argument("--quit", default="halt", choices=["halt", "ctrl-a-x"],
                        help="end the session with `halt` or with Ctrl-a x")
    parser.add_argument("--cmake", default="cmake")
    parser.add_argument("--timeout", type=float, default=240,
                        help="seconds until the prompt (configure, build, probe, boot)")
    parser.add_argument("--log", help="write the transcript to this file")
    args = parser.parse_args()
    return run(args, sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
