#!/usr/bin/env python3
"""Host self-test of the boot-test harness; needs no QEMU.

Usage: python3 tests/harness/selftest.py [-v]

Unit-tests the serial line/step matching of mica_qemu.py (fed with bytes),
the TESTS/BENCH report checks and the QEMU command line; runs mica_qemu.py
end to end against a fake QEMU (a Python script speaking on stdin/stdout);
and checks that make_bad_modules.py writes the intended ELF files.
"""

import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import make_bad_modules as mbm  # noqa: E402
import mica_qemu as mq  # noqa: E402


def expectation(regex, count=1):
    return mq.Expectation(re.compile(regex), count)


class ConsoleTest(unittest.TestCase):
    def test_lines_across_chunks_and_utf8(self):
        console = mq.Console()
        for byte in "mica: bööt\r\nsecond\r\n".encode():
            console.feed(bytes([byte]))
        self.assertEqual(console.lines, ["mica: bööt", "second"])

    def test_bad_bytes_replaced_and_escapes_stripped(self):
        console = mq.Console()
        console.feed(b"\x1b[H\x1b[J\x1b[1;1Hmica: \xffok\n")
        self.assertEqual(console.lines, ["mica: \ufffdok"])

    def test_expect_across_chunk_boundary(self):
        console = mq.Console()
        exp = expectation(r"^mica: ready boot_ms=\d+$")
        console.feed(b"mica: rea")
        self.assertFalse(console.advance(exp))
        console.feed(b"dy boot_ms=12\n")
        self.assertTrue(console.advance(exp))
        self.assertEqual(exp.matched_line, "mica: ready boot_ms=12")

    def test_partial_line_prompt(self):
        console = mq.Console()
        console.feed(b"mica: ready boot_ms=1\nmica> ")
        self.assertTrue(console.advance(expectation(r"^mica> ")))
        console.feed(b"help\r\nhelp text\nmica> ")
        self.assertTrue(console.advance(expectation(r"help text")))
        self.assertTrue(console.advance(expectation(r"mica> ")))

    def test_end_anchor_needs_complete_line(self):
        console = mq.Console()
        exp = expectation(r"^mica: ready boot_ms=\d+$")
        console.feed(b"mica: ready boot_ms=4")
        self.assertFalse(console.advance(exp))  # "47" may still be coming
        console.feed(b"7\n")
        self.assertTrue(console.advance(exp))
        self.assertEqual(exp.matched_line, "mica: ready boot_ms=47")

    def test_only_output_after_previous_match(self):
        console = mq.Console()
        console.feed(b"A one\nB\nA two\n")
        self.assertTrue(console.advance(expectation("B")))
        exp = expectation("^A (.*)")
        self.assertTrue(console.advance(exp))
        self.assertEqual(exp.matched_line, "A two")
        self.assertFalse(console.advance(expectation("^A")))

    def test_rest_of_same_line_is_after_match(self):
        console = mq.Console()
        console.feed(b"mica> help\n")
        self.assertTrue(console.advance(expectation("mica> ")))
        self.assertTrue(console.advance(expectation("help")))
        self.assertFalse(console.advance(expectation("mica> ")))

    def test_expect_count(self):
        console = mq.Console()
        exp = expectation("result=rejected", 3)
        console.feed(b"x result=rejected\nresult=ok\nresult=rejected\n")
        self.assertFalse(console.advance(exp))
        console.feed(b"y result=rejec")
        self.assertFalse(console.advance(exp))
        console.feed(b"ted\nmore\n")
        self.assertTrue(console.advance(exp))
        self.assertEqual(exp.matched_line, "y result=rejected")
        self.assertEqual(console.cursor[0], 3)

    def test_forbid_on_complete_line(self):
        console = mq.Console([r"^PANIC:"])
        console.feed(b"ok\nPANIC: page fa")
        self.assertIsNone(console.violation)
        console.feed(b"ult\n")
        self.assertEqual(console.violation, ("^PANIC:", "PANIC: page fault"))

    def test_forbid_anchor_and_final_partial(self):
        console = mq.Console([r"^PANIC:"])
        console.feed(b"echo PANIC: not at start\n")
        self.assertIsNone(console.violation)
        console.feed(b"PANIC: no newline")
        console.finish()
        self.assertEqual(console.violation, ("^PANIC:", "PANIC: no newline"))

    def test_log(self):
        console = mq.Console()
        console.feed(b"a\r\nb\nmica> ")
        self.assertEqual(console.log(), "a\nb\nmica> ")


class StepParseTest(unittest.TestCase):
    def test_send_turns_newline_into_cr(self):
        self.assertEqual(mq.parse_step(r"send=help\n").payload, b"help\r")
        self.assertEqual(mq.parse_step("send=a\nb").payload, b"a\rb")

    def test_exit_codes(self):
        self.assertEqual(mq.parse_step("exit=33").code, 33)
        self.assertEqual(mq.parse_step("exit=0x21").code, 33)
        self.assertIsNone(mq.parse_step("exit=any").code)

    def test_expect_count(self):
        step = mq.parse_step("expect-count=3:a:b")
        self.assertEqual((step.kind, step.count, step.regex.pattern), ("expect", 3, "a:b"))

    def test_bad_steps(self):
        for text in ["expect", "bogus=1", "expect=(", "expect-count=x:a", "expect-count=0:a",
                     "exit=no"]:
            with self.assertRaises(mq.argparse.ArgumentTypeError, msg=text):
                mq.parse_step(text)


class ReportTest(unittest.TestCase):
    GOOD = ["TEST mm.alloc PASS", "TEST mm.free SKIP no iommu", "noise",
            "TEST ipc.call PASS 12 cycles", "TESTS: 2 passed, 0 failed"]

    def test_tests_pass(self):
        report, errors = mq.check_tests(self.GOOD)
        self.assertEqual(errors, [])
        self.assertEqual(report, [line for line in self.GOOD if line != "noise"])

    def test_tests_failures(self):
        cases = {
            "fail line": ["TEST a.b FAIL x", "TESTS: 0 passed, 1 failed"],
            "m > 0": ["TEST a.b PASS", "TESTS: 1 passed, 1 failed"],
            "no summary": ["TEST a.b PASS"],
            "count mismatch": ["TEST a.b PASS", "TESTS: 2 passed, 0 failed"],
            "malformed test": ["TEST a.b MAYBE", "TESTS: 0 passed, 0 failed"],
            "malformed summary": ["TEST a.b PASS", "TESTS: 1 passed"],
        }
        for name, lines in cases.items():
            self.assertNotEqual(mq.check_tests(lines)[1], [], name)

    def test_bench(self):
        line = "BENCH name=ipc_call iters=1000 cycles_median=812 ns_median=300"
        self.assertEqual(mq.check_bench(["x", line]), ([line], []))
        self.assertNotEqual(mq.check_bench(["x"])[1], [])
        self.assertNotEqual(mq.check_bench(["BENCH name=x iters=1"])[1], [])


class ArgsTest(unittest.TestCase):
    def setUp(self):
        fd, self.iso = tempfile.mkstemp(suffix=".iso")
        os.close(fd)

    def tearDown(self):
        os.unlink(self.iso)

    def test_bios_command(self):
        args = mq.parse_args(["--iso", self.iso, "--step", "expect=x", "--extra-arg=-s"])
        cmd = mq.qemu_command(args, None)
        self.assertEqual(cmd[:3], ["qemu-system-x86_64", "-accel", "tcg"])
        self.assertIn("isa-debug-exit,iobase=0xf4,iosize=0x04", cmd)
        self.assertEqual(cmd[-5:], ["-cdrom", self.iso, "-boot", "d", "-s"])
        self.assertNotIn("-drive", cmd)

    def test_uefi_command_uses_vars_copy(self):
        args = mq.parse_args(["--iso", self.iso, "--firmware", "uefi", "--step", "expect=x",
                              "--ovmf-code", self.iso, "--ovmf-vars", self.iso])
        cmd = mq.qemu_command(args, "/tmp/copy.fd")
        self.assertIn(f"if=pflash,format=raw,unit=0,readonly=on,file={self.iso}", cmd)
        self.assertIn("if=pflash,format=raw,unit=1,file=/tmp/copy.fd", cmd)

    def test_forbid_defaults(self):
        args = mq.parse_args(["--iso", self.iso, "--step", "expect=x", "--forbid", "oops"])
        self.assertEqual(args.forbid, ["oops", "^UBSAN:", "^PANIC:"])
        args = mq.parse_args(["--iso", self.iso, "--step", "expect=x", "--allow-panic"])
        self.assertEqual(args.forbid, [])

    def test_tests_summary_waits_for_summary(self):
        args = mq.parse_args(["--iso", self.iso, "--tests-summary"])
        self.assertEqual([s.kind for s in args.step], ["expect"])
        args = mq.parse_args(["--iso", self.iso, "--tests-summary", "--step", "exit=any"])
        self.assertEqual([s.kind for s in args.step], ["exit"])


FAKE_QEMU = """\
import os, sys, time
out = sys.stdout.buffer
with open({pidfile!r}, "w") as f:
    f.write(str(os.getpid()))
mode = {mode!r}
out.write(b"\\x1b[2Jmica: boot firmware=bios loader=\\"fake\\"\\r\\n"); out.flush()
if mode == "panic":
    out.write(b"PANIC: fake\\r\\n"); out.flush()
if mode == "hang":
    time.sleep(60)
out.write(b"TEST a.b PASS\\r\\nTESTS: 1 passed, 0 failed\\r\\n")
out.write(b"BENCH name=x iters=1 cycles_median=2 ns_median=3\\r\\nmica> "); out.flush()
line = b""
while not line.endswith(b"\\r"):
    line += os.read(0, 1)
out.write(line + b"\\nyou said " + line.strip() + b"\\r\\n"); out.flush()
sys.exit(33)
"""


class EndToEndTest(unittest.TestCase):
    """mica_qemu.py against a fake QEMU that talks on stdin/stdout."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.iso = os.path.join(self.tmp.name, "fake.iso")
        open(self.iso, "w").close()
        self.pidfile = os.path.join(self.tmp.name, "pid")

    def tearDown(self):
        self.tmp.cleanup()

    def harness(self, mode, *extra):
        fake = os.path.join(self.tmp.name, "fake-qemu")
        with open(fake, "w") as f:
            f.write(f"#!{sys.executable}\n" + FAKE_QEMU.format(pidfile=self.pidfile, mode=mode))
        os.chmod(fake, 0o755)
        cmd = [sys.executable, os.path.join(HERE, "mica_qemu.py"), "--iso", self.iso,
               "--qemu", fake, "--timeout", "5", *extra]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return result.returncode, result.stdout

    def assert_fake_gone(self):
        with open(self.pidfile) as f:
            pid = int(f.read())
        with self.assertRaises(ProcessLookupError):
            os.kill(pid, 0)

    def test_dialogue_and_exit(self):
        log = os.path.join(self.tmp.name, "serial.log")
        status, out = self.harness(
            "ok", "--tests-summary", "--bench", "--log", log,
            "--step", 'expect=^mica: boot firmware=bios loader="fake"$',
            "--step", "expect=^mica> ", "--step", r"send=hello\n",
            "--step", "expect=^you said hello$", "--step", "exit=33")
        self.assertEqual(status, 0, out)
        self.assertIn("TEST a.b PASS", out)
        self.assertIn("BENCH name=x", out)
        self.assertIn("PASS: 5 steps", out)
        with open(log) as f:
            self.assertIn("mica> hello\nyou said hello\n", f.read())

    def test_wrong_exit_status(self):
        status, out = self.harness("ok", "--step", "send=x\n", "--step", "exit=1")
        self.assertEqual(status, 1)
        self.assertIn("QEMU exit status 33, expected 1", out)
        self.assertIn("---- serial log ----", out)

    def test_forbid_stops_early(self):
        start = time.monotonic()
        status, out = self.harness("panic", "--step", "expect=never")
        self.assertEqual(status, 1)
        self.assertIn("forbidden pattern '^PANIC:'", out)
        self.assertLess(time.monotonic() - start, 4)
        self.assert_fake_gone()

    def test_timeout_kills_qemu(self):
        status, out = self.harness("hang", "--timeout", "1", "--step", "expect=never")
        self.assertEqual(status, 1)
        self.assertIn("step 1/1 (expect=never) failed: timeout", out)
        self.assert_fake_gone()

    def test_exit_before_match(self):
        status, out = self.harness("ok", "--step", "send=x\n", "--step", "expect=never")
        self.assertEqual(status, 1)
        self.assertIn("QEMU exited (status 33) before expect=never matched", out)


def parse_elf(image):
    """Header and first program header fields (at the good layout's offsets)."""
    fields = dict(zip(mbm.EHDR_FIELDS, mbm.EHDR.unpack_from(image, 0)))
    fields.update(zip(mbm.PHDR_FIELDS, mbm.PHDR.unpack_from(image, mbm.EHDR.size)))
    return fields


def wraps(start, size):
    return start + size >= 1 << 64


BAD = {  # name: (fields that differ from good.elf, check on the parsed fields)
    "bad-magic": ({"e_ident"}, lambda f: f["e_ident"][:4] != b"\x7fELF"),
    "bad-class32": ({"e_ident"}, lambda f: f["e_ident"][4] == 1),
    "bad-bigendian": ({"e_ident"}, lambda f: f["e_ident"][5] == 2),
    "bad-machine": ({"e_machine"}, lambda f: f["e_machine"] == 3),
    "bad-type-rel": ({"e_type"}, lambda f: f["e_type"] == 1),
    "bad-phentsize": ({"e_phentsize"}, lambda f: f["e_phentsize"] != 56),
    "bad-phdrs-eof": ({"e_phoff"}, lambda f: f["e_phoff"] < f["size"] < f["e_phoff"] + 56),
    "bad-phoff-overflow": ({"e_phoff"}, lambda f: wraps(f["e_phoff"], 56)),
    "bad-seg-eof": ({"p_filesz", "p_memsz"},
                    lambda f: f["size"] < f["p_offset"] + f["p_filesz"] < 1 << 64),
    "bad-seg-offset-overflow": ({"p_offset", "p_filesz", "p_memsz"},
                                lambda f: wraps(f["p_offset"], f["p_filesz"])),
    "bad-filesz": ({"p_memsz"}, lambda f: f["p_filesz"] > f["p_memsz"]),
    "bad-kernel-half": ({"e_entry", "p_vaddr", "p_paddr"},
                        lambda f: f["p_vaddr"] == f["e_entry"] == 0xFFFFFFFF80000000),
    "bad-wrap": ({"p_memsz"}, lambda f: wraps(f["p_vaddr"], f["p_memsz"])),
    "bad-wrap-high": ({"e_entry", "p_vaddr", "p_paddr", "p_memsz"},
                      lambda f: wraps(f["p_vaddr"], f["p_memsz"]) and f["e_entry"] == f["p_vaddr"]),
    "bad-noncanonical": ({"e_entry", "p_vaddr", "p_paddr", "p_memsz"},
                         lambda f: f["p_vaddr"] < 1 << 47 < f["p_vaddr"] + f["p_memsz"]),
    "bad-wx": ({"p_flags"}, lambda f: f["p_flags"] == 7),
    "bad-no-load": ({"p_type"}, lambda f: f["p_type"] == 0),
    "bad-entry": ({"e_entry"},
                  lambda f: not f["p_vaddr"] <= f["e_entry"] < f["p_vaddr"] + f["p_memsz"]),
}
TRUNCATED = {"bad-short": (0, 64), "bad-truncated-phdrs": (65, 120)}


class BadModulesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.out = cls.tmp.name
        mbm.main(["make_bad_modules.py", cls.out])
        cls.good = cls.read("good.elf")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    @classmethod
    def read(cls, name, mode="rb"):
        with open(os.path.join(cls.out, name), mode) as f:
            return f.read()

    def test_good_header(self):
        f = parse_elf(self.good)
        self.assertEqual(f["e_ident"][:6], b"\x7fELF\x02\x01")
        self.assertEqual((f["e_type"], f["e_machine"], f["e_phnum"], f["e_phentsize"]),
                         (2, 62, 1, 56))
        self.assertEqual((f["p_type"], f["p_flags"], f["p_vaddr"]), (1, 5, 0x400000))
        self.assertTrue(f["p_vaddr"] <= f["e_entry"] < f["p_vaddr"] + f["p_memsz"])
        code = self.good[f["p_offset"]:f["p_offset"] + f["p_filesz"]]
        self.assertEqual(code, mbm.CODE)
        self.assertEqual(code[-2:], bytes.fromhex("ebf7"))  # jmp back to the wait
        self.assertEqual(f["p_offset"] + f["p_filesz"], len(self.good))

    def test_each_bad_differs_as_intended(self):
        good = parse_elf(self.good)
        for name, (changed, check) in BAD.items():
            image = self.read(f"{name}.elf")
            fields = parse_elf(image)
            diff = {k for k in fields if fields[k] != good[k]}
            self.assertEqual(diff, changed, name)
            self.assertEqual(len(image), len(self.good), name)
            self.assertTrue(check(dict(fields, size=len(image))), name)

    def test_truncated(self):
        for name, (low, high) in TRUNCATED.items():
            image = self.read(f"{name}.elf")
            self.assertTrue(low < len(image) < high, name)
            self.assertEqual(image, self.good[:len(image)], name)

    def test_manifest_and_grub_cfg(self):
        names = sorted(BAD) + sorted(TRUNCATED)
        self.assertEqual(sorted(self.read("expected.txt", "r").split()), sorted(names))
        cfg = [line.split() for line in self.read("modules.cfg", "r").splitlines()
               if not line.startswith("#")]
        self.assertEqual(sorted(cfg), sorted(["module2", f"/boot/extra/{n}.elf", n]
                                             for n in names + ["good"]))
        files = sorted(f for f in os.listdir(self.out) if f.endswith(".elf"))
        self.assertEqual(files, sorted(f"{n}.elf" for n in names + ["good"]))

    def test_deterministic(self):
        with tempfile.TemporaryDirectory() as other:
            mbm.write_all(other)
            for name in os.listdir(self.out):
                with open(os.path.join(other, name), "rb") as f:
                    self.assertEqual(f.read(), self.read(name), name)


if __name__ == "__main__":
    unittest.main()
