#!/usr/bin/env python3
"""Boot a Mica ISO in headless QEMU (TCG) and drive/check its serial console.

The run is a list of ordered steps, checked against the COM1 output:

  --step expect=REGEX        wait for a line matching REGEX (re.search); only
                             output after the previous step's match is
                             scanned; the current incomplete line counts too,
                             so a prompt such as 'mica> ' can be matched;
                             a regex ending in '$' matches complete lines only
  --step expect-count=N:RE   wait for N more lines matching RE
  --step send=TEXT           type TEXT ('\\n' becomes a carriage return)
  --step exit=CODE|any       wait for QEMU to exit by itself; isa-debug-exit
                             makes QEMU exit with (value << 1) | 1

Forbidden patterns (default ^PANIC: and ^UBSAN:, both lifted by --allow-panic)
fail the run as soon as a line matching one arrives.  --tests-summary checks the in-kernel test report,
--bench echoes BENCH lines.  A QEMU process is never left behind: it is
killed after the last step, on timeout, on errors and on Ctrl-C/SIGTERM, and
it gets SIGKILL if this script itself is killed.

Example:
  mica_qemu.py --iso build/mica.iso --firmware uefi \\
      --step 'expect=^mica: ready boot_ms=\\d+' \\
      --step 'expect=mica> ' --step 'send=help\\n' --step 'expect=mica> '

Exit status: 0 when every step passed, 1 on failure, 2 on usage errors.
"""

import argparse
import codecs
import ctypes
import os
import re
import selectors
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

DEFAULT_FORBID = [r"^UBSAN:"]
PANIC_FORBID = r"^PANIC:"
SEND_CHAR_DELAY = 0.003
KILL_GRACE = 3.0
ANSI_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()#][0-9A-Za-z]|\x1b[@-Z\\-_]")
TEST_RE = re.compile(r"^TEST (\S+) (PASS|FAIL|SKIP)(?: (.*))?$")
TESTS_RE = re.compile(r"^TESTS: (\d+) passed, (\d+) failed$")
BENCH_RE = re.compile(r"^BENCH name=\S+ iters=\d+ cycles_median=\d+ ns_median=\d+$")


class StepFailure(Exception):
    """A step (or a global check) failed; the message says why."""


class Step:
    """One ordered step: kind is 'expect', 'send' or 'exit'."""

    def __init__(self, kind, text, regex=None, count=1, code=None, payload=b""):
        self.kind = kind
        self.text = text
        self.regex = regex
        self.count = count
        self.code = code
        self.payload = payload

    def __str__(self):
        return self.text


def parse_step(text):
    """Parse a --step argument; raise argparse.ArgumentTypeError if bad."""
    kind, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"step {text!r} has no '='")
    if kind == "expect":
        return Step("expect", text, regex=_compile(value))
    if kind == "expect-count":
        count, colon, regex = value.partition(":")
        if not colon or not count.isdigit() or int(count) < 1:
            raise argparse.ArgumentTypeError(f"expect-count wants N:REGEX, got {value!r}")
        return Step("expect", text, regex=_compile(regex), count=int(count))
    if kind == "send":
        return Step("send", text, payload=_payload(value))
    if kind == "exit":
        return Step("exit", text, code=_parse_exit_code(value))
    raise argparse.ArgumentTypeError(f"unknown step kind {kind!r}")


def _payload(value):
    """Turn a send= value into the bytes a terminal would send."""
    return value.replace("\\n", "\r").replace("\n", "\r").encode()


def _compile(regex):
    try:
        return re.compile(regex)
    except re.error as err:
        raise argparse.ArgumentTypeError(f"bad regex {regex!r}: {err}") from None


def _parse_exit_code(value):
    if value == "any":
        return None
    try:
        return int(value, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"exit wants an integer or 'any', got {value!r}") from None


class Expectation:
    """Progress of one expect step: where to scan next and matches so far."""

    def __init__(self, regex, count=1):
        self.regex = regex
        self.count = count
        self.next_line = None
        self.found = 0
        self.matched_line = None


class Console:
    """Assembles serial bytes into lines, checks forbidden patterns and
    matches expectations.  Independent of QEMU so it can be unit-tested."""

    def __init__(self, forbid=()):
        self.forbid = [re.compile(f) for f in forbid]
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.lines = []
        self.raw_partial = ""
        self.violation = None
        self.cursor = (0, 0)

    @property
    def partial(self):
        return clean(self.raw_partial)

    def feed(self, data, final=False):
        """Add raw serial bytes; complete lines are checked for forbids."""
        text = self.decoder.decode(data, final).replace("\r", "")
        *complete, self.raw_partial = (self.raw_partial + text).split("\n")
        for line in complete:
            self._add_line(clean(line))

    def finish(self):
        """End of output: the incomplete last line becomes a line."""
        self.feed(b"", final=True)
        if self.raw_partial:
            self._add_line(self.partial)
            self.raw_partial = ""

    def _add_line(self, line):
        self.lines.append(line)
        if self.violation is None:
            for pattern in self.forbid:
                if pattern.search(line):
                    self.violation = (pattern.pattern, line)
                    break

    def advance(self, exp):
        """Scan new output for exp; on success move the cursor past the
        match and return True."""
        if exp.next_line is None:
            exp.next_line = self.cursor[0]
        while exp.next_line < len(self.lines):
            index = exp.next_line
            exp.next_line += 1
            match = self._search(exp.regex, self.lines[index], index)
            if match and self._count(exp, index, match, self.lines[index]):
                return True
        # A regex anchored at the line's end describes a whole line: only a
        # complete line can match it (the prompt, unanchored, can match
        # the incomplete one).
        if exp.regex.pattern.endswith("$"):
            return False
        index = len(self.lines)
        match = self._search(exp.regex, self.partial, index)
        if match and exp.found + 1 == exp.count:
            return self._count(exp, index, match, self.partial)
        return False

    def _search(self, regex, line, index):
        start = self.cursor[1] if index == self.cursor[0] else 0
        return regex.search(line, start)

    def _count(self, exp, index, match, line):
        exp.found += 1
        if exp.found < exp.count:
            return False
        exp.matched_line = line
        self.cursor = (index, match.end())
        return True

    def log(self):
        """The whole serial output seen so far, as text."""
        return "\n".join(self.lines + ([self.partial] if self.raw_partial else []))


def clean(line):
    """Drop terminal escape sequences (GRUB and OVMF emit them)."""
    return ANSI_RE.sub("", line)


def check_tests(lines):
    """Check the in-kernel test report.  Returns (report lines, errors)."""
    report, errors = [], []
    passed = failed = 0
    summaries = []
    for line in lines:
        if line.startswith("TEST "):
            match = TEST_RE.match(line)
            report.append(line)
            if not match:
                errors.append(f"malformed test line: {line!r}")
            elif match.group(2) == "FAIL":
                failed += 1
                errors.append(f"test failed: {line}")
            elif match.group(2) == "PASS":
                passed += 1
        elif line.startswith("TESTS:"):
            report.append(line)
            match = TESTS_RE.match(line)
            if match:
                summaries.append((int(match.group(1)), int(match.group(2))))
            else:
                errors.append(f"malformed summary line: {line!r}")
    errors += _check_summaries(summaries, passed, failed)
    return report, errors


def _check_summaries(summaries, passed, failed):
    if not summaries:
        return ["no 'TESTS: n passed, m failed' summary line"]
    errors = []
    total_passed = sum(s[0] for s in summaries)
    total_failed = sum(s[1] for s in summaries)
    if total_failed:
        errors.append(f"summary reports {total_failed} failed")
    if (total_passed, total_failed) != (passed, failed):
        errors.append(f"summary says {total_passed} passed, {total_failed} failed but "
                      f"{passed} PASS and {failed} FAIL lines were seen")
    return errors


def check_bench(lines):
    """Collect BENCH lines.  Returns (bench lines, errors)."""
    bench = [line for line in lines if line.startswith("BENCH")]
    errors = [f"malformed bench line: {line!r}" for line in bench if not BENCH_RE.match(line)]
    if not bench:
        errors.append("no BENCH lines")
    return bench, errors


def qemu_command(args, vars_copy):
    """The QEMU command line for args; vars_copy is the writable UEFI vars."""
    cmd = [args.qemu, "-accel", "tcg", "-cpu", args.cpu, "-smp", str(args.smp),
           "-m", args.memory, "-display", "none", "-vga", "std", "-no-reboot",
           "-serial", "stdio", "-monitor", "none",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-cdrom", args.iso, "-boot", "d"]
    if args.firmware == "uefi":
        cmd += ["-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={args.ovmf_code}",
                "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}"]
    return cmd + args.extra_arg


def _die_with_parent_hook():
    """preexec_fn: have the kernel SIGKILL QEMU if this script dies."""
    parent = os.getpid()
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        prctl = None

    def hook():
        if prctl is not None:
            prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:
            os._exit(1)
    return hook


class Qemu:
    """A running QEMU whose serial port is its stdin/stdout."""

    def __init__(self, cmd, console):
        self.console = console
        self.stderr = tempfile.TemporaryFile()
        self.start = time.monotonic()
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self.stderr, start_new_session=True,
                                         preexec_fn=_die_with_parent_hook())
        except OSError as err:
            raise StepFailure(f"cannot start {cmd[0]}: {err}") from None
        self.out_fd = self.proc.stdout.fileno()
        os.set_blocking(self.out_fd, False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.out_fd, selectors.EVENT_READ)
        self.eof = False

    def elapsed(self):
        return time.monotonic() - self.start

    def pump(self, timeout):
        """Read whatever serial output arrives within timeout seconds."""
        if self.eof:
            time.sleep(max(0.0, min(timeout, 0.05)))
            return
        if not self.selector.select(max(0.0, timeout)):
            return
        try:
            data = os.read(self.out_fd, 65536)
        except BlockingIOError:
            return
        if data:
            self.console.feed(data)
        else:
            self.eof = True
            self.console.finish()

    def pump_until(self, when):
        while True:
            left = when - time.monotonic()
            if left <= 0:
                return
            self.pump(left)

    def send(self, payload, delay=SEND_CHAR_DELAY):
        """Type payload one byte at a time, reading output meanwhile."""
        for byte in payload:
            try:
                self.proc.stdin.write(bytes([byte]))
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError):
                raise StepFailure("QEMU stopped reading its serial input") from None
            self.pump_until(time.monotonic() + delay)

    def exited(self):
        return self.eof and self.proc.poll() is not None

    def stop(self):
        """Make sure QEMU is gone; keep any output it wrote before dying."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(KILL_GRACE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        deadline = time.monotonic() + 1.0
        while not self.eof and time.monotonic() < deadline:
            self.pump(deadline - time.monotonic())
        if not self.eof:
            self.console.finish()
            self.eof = True

    def close(self):
        self.stop()
        self.selector.close()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def stderr_text(self):
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")


class Runner:
    """Runs the steps of one test against a Qemu and its Console."""

    def __init__(self, qemu, deadline, out):
        self.qemu = qemu
        self.console = qemu.console
        self.deadline = deadline
        self.out = out

    def check_alive(self, what):
        check_violation(self.console)
        if time.monotonic() >= self.deadline:
            raise StepFailure(f"timeout while waiting for {what}")

    def expect(self, step):
        exp = Expectation(step.regex, step.count)
        while True:
            self.check_alive(step)
            if self.console.advance(exp):
                self.out.write(f"  {self.qemu.elapsed():7.2f}s  {step}  -> {exp.matched_line!r}\n")
                self.out.flush()
                return
            if self.qemu.exited():
                raise StepFailure(f"QEMU exited (status {self.qemu.proc.returncode}) "
                                  f"before {step} matched ({exp.found} of {exp.count} seen)")
            self.qemu.pump(min(0.1, self.deadline - time.monotonic()))

    def wait_exit(self, step):
        while not self.qemu.exited():
            self.check_alive(f"QEMU to exit ({step})")
            self.qemu.pump(min(0.1, self.deadline - time.monotonic()))
        check_violation(self.console)
        status = self.qemu.proc.returncode
        self.out.write(f"  {self.qemu.elapsed():7.2f}s  {step}  -> QEMU exit status {status}\n")
        if step.code is not None and status != step.code:
            raise StepFailure(f"QEMU exit status {status}, expected {step.code}")

    def run(self, steps):
        for number, step in enumerate(steps, 1):
            try:
                {"expect": self.expect, "send": self.send, "exit": self.wait_exit}[step.kind](step)
            except StepFailure as err:
                raise StepFailure(f"step {number}/{len(steps)} ({step}) failed: {err}") from None

    def send(self, step):
        self.check_alive(step)
        self.out.write(f"  {self.qemu.elapsed():7.2f}s  {step}\n")
        self.qemu.send(step.payload)


def check_violation(console):
    if console.violation:
        pattern, line = console.violation
        raise StepFailure(f"forbidden pattern {pattern!r} matched: {line!r}")


def final_checks(args, console, out):
    """Checks done once QEMU is gone: forbids, tests report, benchmarks."""
    check_violation(console)
    errors = []
    if args.tests_summary:
        report, test_errors = check_tests(console.lines)
        out.write("".join(f"  {line}\n" for line in report))
        errors += test_errors
    if args.bench:
        bench, bench_errors = check_bench(console.lines)
        out.write("".join(f"{line}\n" for line in bench))
        errors += bench_errors
    if errors:
        raise StepFailure("; ".join(errors))


def report_failure(out, err, console, qemu):
    out.write(f"FAIL: {err}\n---- serial log ----\n{console.log()}\n---- end of serial log ----\n")
    stderr = qemu.stderr_text() if qemu else ""
    if stderr.strip():
        out.write(f"---- qemu stderr ----\n{stderr}---- end of qemu stderr ----\n")


def run(args, out=sys.stdout):
    """Boot, run the steps, check; returns the process exit status."""
    console = Console(args.forbid)
    qemu = None
    vars_copy = make_vars_copy(args) if args.firmware == "uefi" else None
    try:
        cmd = qemu_command(args, vars_copy)
        out.write(f"mica_qemu: {shlex.join(cmd)}\n")
        out.flush()
        deadline = time.monotonic() + args.timeout
        qemu = Qemu(cmd, console)
        Runner(qemu, deadline, out).run(args.step)
        qemu.stop()
        final_checks(args, console, out)
        out.write(f"PASS: {len(args.step)} steps in {qemu.elapsed():.2f}s\n")
        return 0
    except StepFailure as err:
        if qemu:
            qemu.stop()
        report_failure(out, err, console, qemu)
        return 1
    finally:
        if qemu:
            qemu.close()
        if vars_copy:
            os.unlink(vars_copy)
        if args.log:
            write_log(args.log, console)
        out.flush()


def make_vars_copy(args):
    """A private, writable copy of the UEFI variable store."""
    fd, path = tempfile.mkstemp(prefix="mica-ovmf-vars-", suffix=".fd")
    os.close(fd)
    shutil.copyfile(args.ovmf_vars, path)
    return path


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Boot a Mica ISO in QEMU and check its serial console.")
    parser.add_argument("--iso", required=True)
    parser.add_argument("--firmware", choices=["bios", "uefi"], default="bios")
    parser.add_argument("--memory", default="128M")
    parser.add_argument("--cpu", default="max")
    parser.add_argument("--smp", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds for the whole run")
    parser.add_argument("--qemu", default="qemu-system-x86_64")
    parser.add_argument("--ovmf-code", default="/usr/share/OVMF/OVMF_CODE.fd")
    parser.add_argument("--ovmf-vars", default="/usr/share/OVMF/OVMF_VARS.fd")
    parser.add_argument("--step", type=parse_step, action="append", default=[],
                        help="expect=REGEX | expect-count=N:REGEX | send=TEXT | exit=CODE|any")
    parser.add_argument("--forbid", action="append", default=[], type=_checked_regex,
                        help="fail as soon as a line matches (added to ^PANIC: and ^UBSAN:)")
    parser.add_argument("--allow-panic", action="store_true",
                        help="the test expects a kernel report: do not forbid ^PANIC: or ^UBSAN:")
    parser.add_argument("--tests-summary", action="store_true",
                        help="check the TEST lines and the 'TESTS: n passed, m failed' summary")
    parser.add_argument("--bench", action="store_true", help="print BENCH lines; fail if none")
    parser.add_argument("--log", help="write the whole serial log to this file")
    parser.add_argument("--extra-arg", action="append", default=[], help="extra QEMU argument; write --extra-arg=-foo")
    args = parser.parse_args(argv)
    finish_args(parser, args)
    return args


def _checked_regex(text):
    _compile(text)
    return text


def finish_args(parser, args):
    """Apply defaults that depend on other options; validate files."""
    args.forbid += [] if args.allow_panic else DEFAULT_FORBID + [PANIC_FORBID]
    ends_with_exit = args.step and args.step[-1].kind == "exit"
    if args.tests_summary and not ends_with_exit:
        args.step.append(parse_step(r"expect=^TESTS: \d+ passed, \d+ failed"))
    if not args.step:
        parser.error("give at least one --step (or --tests-summary)")
    needed = [args.iso] + ([args.ovmf_code, args.ovmf_vars] if args.firmware == "uefi" else [])
    for path in needed:
        if not os.path.isfile(path):
            parser.error(f"no such file: {path}")


def write_log(path, console):
    with open(path, "w", encoding="utf-8") as log:
        log.write(console.log() + "\n")


def main(argv=None):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))
    try:
        return run(args)
    except KeyboardInterrupt:
        print("mica_qemu: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
