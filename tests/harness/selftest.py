#!/usr/bin/env python3
"""Host self-test of the boot-test harness; needs no QEMU.

Usage: python3 tests/harness/selftest.py [-v]

Unit-tests the serial line/step matching of mica_qemu.py (fed with bytes),
the TESTS/BENCH report checks and the QEMU command line; the screen parts:
parsing Mica's font from font8x16.c, decoding text from a synthetic RGB
framebuffer drawn with that font and from VGA text memory, PPM parsing, the
PNG writer, the screen-row matching and its scroll tracking, and the
key-to-QKeyCode mapping; runs mica_qemu.py end to end against fake QEMUs
(Python scripts: one speaking serial on stdin/stdout, one with no serial and
a QMP socket with a screen and a keyboard), and mica_bochs.py against a
fake Bochs on its COM1 socket; and checks that
make_bad_modules.py writes the intended ELF files.
"""

import contextlib
import io
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
import mica_bochs as mb  # noqa: E402
import mica_qemu as mq  # noqa: E402

import importlib.util  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "mica_trace", os.path.join(HERE, "..", "..", "tools", "mica-trace.py"))
mt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mt)


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

    def test_qmp_command(self):
        step = mq.parse_step("qmp=inject-nmi")
        self.assertEqual((step.kind, step.path), ("qmp", "inject-nmi"))

    def test_bad_steps(self):
        for text in ["expect", "bogus=1", "expect=(", "expect-count=x:a", "expect-count=0:a",
                     "exit=no", "qmp=", "qmp=inject nmi", "qmp=Bad"]:
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
        line = ("BENCH name=ipc_call iters=1000 cycles_median=812 ns_median=300"
                " unit=instructions overhead=9")
        self.assertEqual(mq.check_bench(["x", line]), ([line], []))
        self.assertNotEqual(mq.check_bench(["x"])[1], [])
        self.assertNotEqual(mq.check_bench(["BENCH name=x iters=1"])[1], [])
        # The unit and the overhead are part of the line (SPEC §8).
        old = "BENCH name=ipc_call iters=1000 cycles_median=812 ns_median=300"
        self.assertNotEqual(mq.check_bench([old])[1], [])
        self.assertNotEqual(mq.check_bench([old + " unit=cycles overhead=9"])[1], [])
        # Throughput figures have a form of their own.
        tp = "BENCH name=ipc_throughput cpus=2 iters=48000 calls_per_s=120000"
        self.assertEqual(mq.check_bench([tp]), ([tp], []))
        self.assertNotEqual(mq.check_bench([tp.replace(" cpus=2", "")])[1], [])


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

    def test_no_serial_command_has_qmp(self):
        args = mq.parse_args(["--iso", self.iso, "--no-serial", "--step", "screen=x",
                              "--machine", "q35"])
        self.assertTrue(mq.needs_qmp(args))
        cmd = mq.qemu_command(args, None, "/tmp/q/qmp.sock")
        self.assertEqual(cmd[3:5], ["-machine", "q35"])
        self.assertEqual(cmd[cmd.index("-serial") + 1], "none")
        self.assertEqual(cmd[cmd.index("-monitor") + 1], "none")
        self.assertEqual(cmd[cmd.index("-qmp") + 1], "unix:/tmp/q/qmp.sock,server=on,wait=off")
        plain = mq.parse_args(["--iso", self.iso, "--step", "expect=x"])
        self.assertFalse(mq.needs_qmp(plain))
        self.assertNotIn("-qmp", mq.qemu_command(plain, None))
        self.assertNotIn("-machine", mq.qemu_command(plain, None))
        with_key = mq.parse_args(["--iso", self.iso, "--step", "key=a", "--step", "expect=x"])
        self.assertTrue(mq.needs_qmp(with_key))

    def test_no_serial_refuses_serial_steps(self):
        for extra in (["--step", "expect=x"], ["--step", "send=x"], ["--tests-summary"],
                      ["--step", "exit=0", "--bench"]):
            with self.assertRaises(SystemExit, msg=extra), \
                    contextlib.redirect_stderr(io.StringIO()):
                mq.parse_args(["--iso", self.iso, "--no-serial", "--step", "exit=0"] + extra)

    def test_boot_media(self):
        args = mq.parse_args(["--iso", self.iso, "--step", "expect=x", "--boot-media", "usb"])
        cmd = mq.qemu_command(args, None)
        self.assertNotIn("-cdrom", cmd)
        self.assertIn(f"if=none,id=stick,format=raw,readonly=on,file={self.iso}", cmd)
        self.assertIn("usb-storage,bus=xhci.0,drive=stick,bootindex=0", cmd)
        args = mq.parse_args(["--iso", self.iso, "--step", "expect=x", "--boot-media", "ide"])
        cmd = mq.qemu_command(args, None)
        self.assertNotIn("-cdrom", cmd)
        self.assertEqual(cmd[-4:], ["-drive", "if=ide,index=0,media=disk,format=raw,"
                                    f"snapshot=on,file={self.iso}", "-boot", "c"])
        self.assertEqual(mq.boot_media_args("usb", "/a,b.iso")[1],
                         "if=none,id=stick,format=raw,readonly=on,file=/a,,b.iso")

    def test_bad_font_is_a_usage_error(self):
        with self.assertRaises(SystemExit), contextlib.redirect_stderr(io.StringIO()):
            mq.parse_args(["--iso", self.iso, "--step", "screen=x", "--font", self.iso])

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
out.write(b"BENCH name=x iters=1 cycles_median=2 ns_median=3 unit=tsc overhead=1\\r\\nmica> "); out.flush()
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


# ---- Screen, keyboard and QMP parts ---------------------------------------

FONT = mq.Font.load(mq.DEFAULT_FONT)
WHITE, GREY, BLACK, BLUE = b"\xff\xff\xff", b"\xaa\xaa\xaa", b"\0\0\0", b"\0\0\xaa"


def render_rgb(font, lines, width, height, colours=lambda row, col: (GREY, BLACK)):
    """A width x height RGB picture with lines drawn in 8x16 cells from the
    top-left corner the way libc-mini/src/screen.c draws them; colours gives
    each cell's (foreground, background).  Pixels outside the cells are
    left a colour of their own (dark red)."""
    pixels = bytearray(b"\x40\0\0" * (width * height))
    for row in range(height // 16):
        text = lines[row] if row < len(lines) else ""
        for col in range(width // 8):
            fg, bg = colours(row, col)
            glyph = font.glyph(text[col] if col < len(text) else " ")
            for y in range(16):
                for x in range(8):
                    offset = ((row * 16 + y) * width + col * 8 + x) * 3
                    pixels[offset:offset + 3] = fg if glyph[y] & (0x80 >> x) else bg
    return bytes(pixels)


def read_png(data):
    """(width, height, RGB bytes) of a PNG as png_bytes writes it (one
    IDAT, filter type 0 on every row); checks the chunk CRCs."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "PNG signature"
    pos, chunks = 8, []
    while pos < len(data):
        length, = mq.struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        crc, = mq.struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == mq.zlib.crc32(kind + body) & 0xFFFFFFFF, f"CRC of {kind}"
        chunks.append((kind, body))
        pos += 12 + length
    assert [k for k, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"], chunks
    width, height, depth, colour, comp, filt, interlace = mq.struct.unpack(">IIBBBBB",
                                                                           chunks[0][1])
    assert (depth, colour, comp, filt, interlace) == (8, 2, 0, 0, 0)
    raw = mq.zlib.decompress(chunks[1][1])
    stride = width * 3 + 1
    assert len(raw) == stride * height
    assert all(raw[y * stride] == 0 for y in range(height))
    return width, height, b"".join(raw[y * stride + 1:(y + 1) * stride] for y in range(height))


FAKE_BOCHS = """\
import os, socket, sys
rc = sys.argv[sys.argv.index("-f") + 1]
with open(rc) as f:
    conf = f.read()
port = int(conf.split("dev=127.0.0.1:")[1].split()[0])
mode = {mode!r}
com1 = socket.create_connection(("127.0.0.1", port))
com1.sendall(b"mica: lapic mode=x2apic\\r\\nmica> ")
line = b""
while not line.endswith(b"\\r"):
    line += com1.recv(1)
com1.sendall(line + b"\\nmica: power off\\r\\n")
com1.close()
if mode == "poweroff":
    print("[ACPI  ] ACPI control: soft power off")
sys.exit(1)
"""


class BochsEndToEndTest(unittest.TestCase):
    """mica_bochs.py against a fake Bochs that connects to its COM1 socket
    and, on 'halt', leaves as Bochs does on an ACPI power-off (status 1 and
    its message) or as on a crash (status 1, no message)."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.files = {}
        for name in ("fake.iso", "bios", "vgabios"):
            self.files[name] = os.path.join(self.tmp.name, name)
            open(self.files[name], "w").close()

    def tearDown(self):
        self.tmp.cleanup()

    def harness(self, mode, *steps):
        fake = os.path.join(self.tmp.name, "fake-bochs")
        with open(fake, "w") as f:
            f.write(f"#!{sys.executable}\n" + FAKE_BOCHS.format(mode=mode))
        os.chmod(fake, 0o755)
        cmd = [sys.executable, os.path.join(HERE, "mica_bochs.py"),
               "--iso", self.files["fake.iso"], "--bios", self.files["bios"],
               "--vgabios", self.files["vgabios"], "--bochs", fake, "--timeout", "10"]
        for step in steps:
            cmd += ["--step", step]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return result.returncode, result.stdout + result.stderr

    SESSION = ("expect=^mica: lapic mode=x2apic$", "expect=^mica> ", r"send=halt\n",
               "expect=^mica: power off", "exit=0")

    def test_power_off_is_status_0(self):
        status, out = self.harness("poweroff", *self.SESSION)
        self.assertEqual(status, 0, out)
        self.assertIn("Bochs exit status 0", out)

    def test_other_exit_keeps_its_status(self):
        status, out = self.harness("crash", *self.SESSION)
        self.assertEqual(status, 1, out)
        self.assertIn("Bochs exit status 1, expected 0", out)

    def test_screen_steps_refused(self):
        status, out = self.harness("poweroff", "screen=^mica> ")
        self.assertEqual(status, 2, out)
        self.assertIn("no screen or keyboard steps", out)


class FontTest(unittest.TestCase):
    def test_every_glyph_parsed_and_distinct(self):
        self.assertEqual(len(FONT.glyphs), 96)
        self.assertEqual(FONT.glyph("A"), FONT.glyphs["A"])
        self.assertEqual(FONT.glyph("\x01"), FONT.glyphs[None])
        self.assertEqual(len(FONT.by_bitmap), 96, "two glyphs look the same")
        # The glyph for 'H' as drawn in font8x16.c: two stems, one bar.
        self.assertEqual(FONT.glyphs["H"][2], 0b11000110)
        self.assertEqual(FONT.glyphs[" "], (0,) * 16)

    def test_top_left_pixel_is_never_ink(self):
        # The decoder takes a cell's top-left pixel as its background.
        for ch, rows in FONT.glyphs.items():
            self.assertFalse(rows[0] & 0x80, repr(ch))

    def test_parse_errors(self):
        with open(mq.DEFAULT_FONT) as f:
            source = f.read()
        with self.assertRaisesRegex(ValueError, "0x41"):
            mq.Font.parse(source.replace("/* 0x41 'A' */", "/* gone */"))
        with self.assertRaisesRegex(ValueError, "rows"):
            mq.Font.parse(source.replace("R o o o o o o o o,", "", 1))
        with self.assertRaisesRegex(ValueError, "placeholder"):
            mq.Font.parse(source.replace("/* placeholder", "/* nothing"))


class DecodeTest(unittest.TestCase):
    ALL = "".join(chr(c) for c in range(0x20, 0x7F))

    def test_rgb_round_trip_any_colours(self):
        lines = [self.ALL[:40], self.ALL[40:80], self.ALL[80:] + " mica> ", "", "x" * 40]
        width, height = 40 * 8 + 5, 5 * 16 + 7  # a margin that holds no whole cell
        palette = [(GREY, BLACK), (BLACK, GREY), (WHITE, BLUE), (BLUE, WHITE)]
        pixels = render_rgb(FONT, lines, width, height,
                            lambda row, col: palette[(row + col) % 4])
        decoded = mq.RgbDecoder(FONT).decode(width, height, pixels)
        self.assertEqual(decoded, [line.ljust(40) for line in lines])

    def test_unknown_and_placeholder_cells(self):
        pixels = bytearray(render_rgb(FONT, ["\x01ab"], 32, 16))
        pixels[(5 * 32 + 17) * 3] = 0x12  # ink of 'b' in a third colour: still ink
        pixels[(0 * 32 + 27) * 3:(0 * 32 + 27) * 3 + 3] = WHITE  # ink in row 0 of ' '
        self.assertEqual(mq.RgbDecoder(FONT).decode(32, 16, bytes(pixels)), ["?ab?"])
        pixels[(1 * 32 + 19) * 3] = 0x12  # background of 'b' in a third colour
        self.assertEqual(mq.RgbDecoder(FONT).decode(32, 16, bytes(pixels)), ["?a??"])

    def test_cache_gives_same_answer(self):
        decoder = mq.RgbDecoder(FONT)
        pixels = render_rgb(FONT, ["abab"], 32, 16)
        self.assertEqual(decoder.decode(32, 16, pixels), ["abab"])
        self.assertEqual(len(decoder.cache), 2)
        self.assertEqual(decoder.decode(32, 16, pixels), ["abab"])

    def test_ega(self):
        memory = bytearray(b" \x07" * 80 * 25)
        for i, byte in enumerate(b"mica> \x00\xc4ok"):
            memory[i * 2] = byte
        memory[80 * 2 * 24] = ord("z")
        lines = mq.decode_ega(bytes(memory))
        self.assertEqual(len(lines), 25)
        self.assertEqual(lines[0], "mica>  ?ok".ljust(80))
        self.assertEqual(lines[24], "z".ljust(80))

    def test_ppm(self):
        data = b"P6\n# made by hand\n2 1\n255\n" + b"\x01\x02\x03\x04\x05\x06"
        self.assertEqual(mq.parse_ppm(data), (2, 1, b"\x01\x02\x03\x04\x05\x06"))
        for bad in [b"P5\n2 1\n255\n" + b"\0" * 6, b"P6\n2 1\n255\n\0", b"P6\n2 1\n65535\n",
                    b"P6 2"]:
            with self.assertRaises(ValueError, msg=bad):
                mq.parse_ppm(bad)

    def test_png_round_trip(self):
        width, height = 7, 3
        pixels = bytes((x * 31 + y * 7 + c) & 255 for y in range(height)
                       for x in range(width) for c in range(3))
        self.assertEqual(read_png(mq.png_bytes(width, height, pixels)), (width, height, pixels))
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "x.png")
            mq.write_png(path, width, height, pixels)
            with open(path, "rb") as f:
                self.assertEqual(read_png(f.read())[2], pixels)


class KeysTest(unittest.TestCase):
    def test_mapping(self):
        self.assertEqual(mq.keys_for_text("eA 9\n"),
                         [["e"], ["shift", "a"], ["spc"], ["9"], ["ret"]])
        self.assertEqual(mq.keys_for_text("-_./=,"),
                         [["minus"], ["shift", "minus"], ["dot"], ["slash"], ["equal"],
                          ["comma"]])
        self.assertEqual(mq.keys_for_text('!"?|~\t\b'),
                         [["shift", "1"], ["shift", "apostrophe"], ["shift", "slash"],
                          ["shift", "backslash"], ["shift", "grave_accent"], ["tab"],
                          ["backspace"]])

    def test_every_printable_ascii_has_a_key(self):
        chords = mq.keys_for_text(DecodeTest.ALL)
        self.assertEqual(len(chords), 95)
        self.assertEqual(len({tuple(c) for c in chords}), 95)

    def test_key_step(self):
        self.assertEqual(mq.parse_step(r"key=ls\n").keys, [["l"], ["s"], ["ret"]])
        self.assertEqual(mq.parse_step("key=a\n").keys, [["a"], ["ret"]])
        for bad in ["key=", "key=caf\u00e9", "key=\x01"]:
            with self.assertRaises(mq.argparse.ArgumentTypeError, msg=bad):
                mq.parse_step(bad)

    def test_screen_steps(self):
        self.assertEqual(mq.parse_step("screen=^a$").regex.pattern, "^a$")
        self.assertEqual(mq.parse_step("screenshot=x.png").path, "x.png")
        for bad in ["screen=(", "screenshot="]:
            with self.assertRaises(mq.argparse.ArgumentTypeError, msg=bad):
                mq.parse_step(bad)


def screen(*rows, width=20, height=6):
    return [row.ljust(width) for row in rows] + [" " * width] * (height - len(rows))


class ScreenCursorTest(unittest.TestCase):
    def find(self, cursor, regex, lines):
        return cursor.search(re.compile(regex), lines)

    def test_trailing_blanks(self):
        cursor = mq.ScreenCursor()
        lines = screen("boot", "mica> ", "hello")
        self.assertEqual(self.find(mq.ScreenCursor(), "^mica> $", lines), 1)
        self.assertEqual(self.find(mq.ScreenCursor(), "^hello$", lines), 2)
        self.assertIsNone(self.find(mq.ScreenCursor(), "^hello  ", lines))
        self.assertIsNone(self.find(cursor, "^x{20} $", screen("x" * 20)))  # no blank left

    def test_rest_of_row_then_rows_below(self):
        cursor = mq.ScreenCursor()
        lines = screen("boot", "mica> echo hi", "hi", "mica> ")
        self.assertEqual(self.find(cursor, "^mica> ", lines), 1)
        self.assertEqual(self.find(cursor, "echo hi", lines), 1)  # same row, after the prompt
        self.assertIsNone(self.find(cursor, "boot", lines))       # above
        self.assertEqual(self.find(cursor, "^hi$", lines), 2)
        self.assertEqual(self.find(cursor, "^mica> $", lines), 3)
        self.assertIsNone(self.find(cursor, "^mica> ", lines))    # that prompt is used up

    def test_row_grows_after_match(self):
        cursor = mq.ScreenCursor()
        self.assertEqual(self.find(cursor, "^mica> $", screen("boot", "mica> ")), 1)
        later = screen("boot", "mica> ps", "  1 init", "mica> ")
        self.assertEqual(self.find(cursor, "ps", later), 1)
        self.assertEqual(self.find(cursor, "^mica> $", later), 3)

    def test_scrolling(self):
        cursor = mq.ScreenCursor()
        first = screen("a", "b", "c", "mica> ", height=4)
        self.assertEqual(self.find(cursor, "^mica> $", first), 3)
        # Two rows of output after the typed command: the screen moved up 2.
        moved = screen("c", "mica> echo x", "x", "mica> ", height=4)
        self.assertEqual(mq.scroll_shift([r.rstrip() for r in first],
                                         [r.rstrip() for r in moved]), 2)
        self.assertIsNone(self.find(mq.ScreenCursor(), "^q", moved))
        self.assertEqual(self.find(cursor, "^mica> $", moved), 3)  # not row 1

    def test_scrolled_off_or_cleared(self):
        cursor = mq.ScreenCursor()
        self.assertEqual(self.find(cursor, "^mica> $", screen("a", "mica> ", height=3)), 1)
        # Up by one row: the used prompt is now row 0; by two: it is gone.
        self.assertEqual(self.find(mq.ScreenCursor(), "^mica> $",
                                   screen("mica> ", "new", "mica> ", height=3)), 0)
        self.assertEqual(self.find(cursor, "^mica> $",
                                   screen("mica> ", "new", "mica> ", height=3)), 2)
        cursor = mq.ScreenCursor()
        self.find(cursor, "^mica> $", screen("a", "mica> ", height=3))
        self.assertEqual(self.find(cursor, "^mica> $", screen("zzz", "mica> ", height=3)), 1)
        # A screen of another size (a mode switch) is all new.
        cursor = mq.ScreenCursor()
        self.assertEqual(self.find(cursor, "b", screen("a", "b", height=3)), 1)
        self.assertEqual(self.find(cursor, "a", screen("a", "b", "c", height=4)), 0)


FAKE_QMP_QEMU = """\
import json, os, socket, sys, threading
sys.path.insert(0, {here!r})
import mica_qemu as mq
import selftest
with open({pidfile!r}, "w") as f:
    f.write(str(os.getpid()))
mode = {mode!r}
argv = sys.argv[1:]
assert argv[argv.index("-serial") + 1] == "none"
path = argv[argv.index("-qmp") + 1].split(",")[0][len("unix:"):]
cols, rows = (80, 25) if mode == "text" else (40, 5)
lines = ["fake firmware", "PANIC: fake" if mode == "panic" else "", "mica> "]
font = mq.Font.load(mq.DEFAULT_FONT)
LETTERS = {{"spc": " ", "minus": "-", "dot": ".", "slash": "/", "equal": "=", "comma": ","}}

def key(chord):
    # Type chord; True when it powers the machine off.
    shift = chord[0] == "shift"
    name = chord[-1]
    if name == "ret":
        command = lines[-1][len("mica> "):]
        if command == "halt":
            return True
        lines.extend(["you typed " + command, "mica> "])
    else:
        ch = LETTERS.get(name, name)
        lines[-1] += ch.upper() if shift and ch.isalpha() else ("_" if shift else ch)
    del lines[:-rows]
    return False

def dump(filename, fmt="ppm"):
    if mode == "text":
        width, height, pixels = 720, 400, b"\\x11" * (720 * 400 * 3)
    else:
        width, height = cols * 8, rows * 16
        pixels = selftest.render_rgb(font, lines, width, height)
    with open(filename, "wb") as f:
        if fmt == "png":
            f.write(mq.png_bytes(width, height, pixels))
        else:
            f.write(b"P6\\n%d %d\\n255\\n" % (width, height) + pixels)

server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(1)
conn, _ = server.accept()
stream = conn.makefile("rwb")
def say(message):
    stream.write(json.dumps(message).encode() + b"\\r\\n")
    stream.flush()
say({{"QMP": {{"version": {{}}, "capabilities": []}}}})
for raw in stream:
    request = json.loads(raw)
    name, args = request["execute"], request.get("arguments", {{}})
    say({{"event": "FAKE", "data": {{}}}})
    if name == "screendump":
        if args.get("format", "ppm") == "png" and mode == "rgb":
            say({{"error": {{"class": "GenericError", "desc": "Parameter 'format' is unexpected"}}}})
            continue
        dump(args["filename"], args.get("format", "ppm"))
    elif name == "pmemsave":
        assert (args["val"], args["size"]) == (0xB8000, 4000)
        memory = bytearray(b" \\x07" * 2000)
        for row, line in enumerate(lines):
            for col, ch in enumerate(line[:80]):
                memory[(row * 80 + col) * 2] = ord(ch)
        with open(args["filename"], "wb") as f:
            f.write(memory)
    elif name == "send-key":
        if key([k["data"] for k in args["keys"]]):
            threading.Timer(0.5, os._exit, [0]).start()  # the guest powers off later
    elif name != "qmp_capabilities":
        say({{"error": {{"class": "CommandNotFound", "desc": name}}}})
        continue
    say({{"return": {{}}}})
"""


class NoSerialEndToEndTest(unittest.TestCase):
    """mica_qemu.py --no-serial against a fake QEMU with a QMP socket, a
    screen (RGB through the font, or VGA text memory) and a keyboard."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.iso = os.path.join(self.tmp.name, "fake.iso")
        open(self.iso, "w").close()
        self.pidfile = os.path.join(self.tmp.name, "pid")

    def tearDown(self):
        self.tmp.cleanup()

    def harness(self, mode, *extra, timeout="10"):
        fake = os.path.join(self.tmp.name, "fake-qemu")
        with open(fake, "w") as f:
            f.write(f"#!{sys.executable}\n" +
                    FAKE_QMP_QEMU.format(here=HERE, pidfile=self.pidfile, mode=mode))
        os.chmod(fake, 0o755)
        cmd = [sys.executable, os.path.join(HERE, "mica_qemu.py"), "--iso", self.iso,
               "--qemu", fake, "--timeout", timeout, "--no-serial", *extra]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        return result.returncode, result.stdout

    def session(self, mode):
        log = os.path.join(self.tmp.name, "screen.log")
        shot = os.path.join(self.tmp.name, "shots", "end.png")
        mid = os.path.join(self.tmp.name, "mid.png")
        status, out = self.harness(
            mode, "--log", log, "--screenshot", shot,
            "--step", "screen=^mica> $", "--step", r"key=echo Hi_there\n",
            "--step", "screen=^you typed echo Hi_there$", "--step", "screen=^mica> $",
            "--step", f"screenshot={mid}", "--step", r"key=halt\n", "--step", "exit=0")
        self.assertEqual(status, 0, out)
        self.assertIn("PASS: 7 steps", out)
        with open(log) as f:
            self.assertIn("mica> echo Hi_there\nyou typed echo Hi_there\nmica> halt", f.read())
        for path in (shot, mid):
            with open(path, "rb") as f:
                width, height, _ = read_png(f.read())
        return width, height

    def test_rgb_session(self):
        self.assertEqual(self.session("rgb"), (320, 80))
        self.assert_fake_gone()

    def test_text_session(self):
        self.assertEqual(self.session("text"), (720, 400))

    def test_no_second_match_on_used_prompt(self):
        status, out = self.harness("rgb", "--step", "screen=^mica> ", "--step", "screen=^mica> ",
                                   timeout="2")
        self.assertEqual(status, 1)
        self.assertIn("step 2/2 (screen=^mica> ) failed: timeout", out)
        self.assertIn("---- screen (rgb 320x80) ----\nfake firmware\n\nmica>\n", out)
        self.assertNotIn("serial log", out)
        self.assert_fake_gone()

    def test_forbid_on_screen(self):
        status, out = self.harness("panic", "--step", "screen=never")
        self.assertEqual(status, 1)
        self.assertIn("forbidden pattern '^PANIC:' on the screen: 'PANIC: fake'", out)

    def assert_fake_gone(self):
        with open(self.pidfile) as f:
            pid = int(f.read())
        with self.assertRaises(ProcessLookupError):
            os.kill(pid, 0)


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


def trace_line(seq, ev, src, dst, src_id, dst_id, src_th, dst_th, t=None, label=0x200):
    return (f"TRACE t={1000 + 10 * seq if t is None else t} cpu=0 ev={ev} from={src} "
            f"to={dst} label=0x{label:x} len=0 badge=0x0 ep=3 seq={seq} from_id={src_id} "
            f"to_id={dst_id} from_th={src_th} to_th={dst_th}")


class TraceToolTest(unittest.TestCase):
    """tools/mica-trace.py: its checks must catch what they name."""

    CALL = trace_line(0, "call", "shell", "console", 4, 3, 7, 5)
    REPLY = trace_line(1, "reply", "console", "shell", 3, 4, 5, 7)

    def run_check(self, lines):
        fd, path = tempfile.mkstemp(suffix=".log")
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(lines) + "\n")
        try:
            events, bad = mt.parse(path)
            return mt.check(events, bad)
        finally:
            os.unlink(path)

    def test_call_and_reply(self):
        self.assertIsNone(self.run_check(["noise", "[x] " + self.CALL, self.REPLY]))

    def test_problems_found(self):
        cases = {
            "unanswered call": [self.CALL],
            "reply without call": [self.REPLY.replace("seq=1", "seq=0")],
            "reply from elsewhere": [self.CALL, self.REPLY.replace("from_id=3", "from_id=9")],
            "gap in numbers": [self.CALL, self.REPLY.replace("seq=1", "seq=2")],
            "time going back": [self.CALL, self.REPLY.replace("t=1010", "t=900")],
            "malformed": [self.CALL, self.REPLY.replace(" len=0", "")],
            "second call first": [self.CALL, trace_line(1, "call", "shell", "console",
                                                         4, 3, 7, 5)],
            "nothing": [],
        }
        for name, lines in cases.items():
            self.assertIsNotNone(self.run_check(lines), name)

    def test_pictures(self):
        fd, path = tempfile.mkstemp(suffix=".log")
        with os.fdopen(fd, "w") as f:
            f.write(self.CALL + "\n" + self.REPLY + "\n")
        out = path + ".json"
        try:
            events, _ = mt.parse(path)
            with open(out, "w") as f:
                mt.json.dump(mt.chrome(events), f)
            self.assertIsNone(mt.check_chrome(out))
            picture = mt.svg(events, "t")
            self.assertIn("CON_WRITE", picture)
            self.assertEqual(picture.count("<line x1"), 2 + 2)  # 2 lifelines, 2 arrows
        finally:
            os.unlink(path)
            os.unlink(out)


if __name__ == "__main__":
    unittest.main()
