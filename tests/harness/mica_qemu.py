#!/usr/bin/env python3
"""Boot a Mica ISO in headless QEMU (TCG) and drive/check it through its
serial console (COM1 on QEMU's stdio) or, like a VirtualBox user without a
serial port, through the screen and the PS/2 keyboard.

The run is a list of ordered steps:

  --step expect=REGEX        wait for a serial line matching REGEX
                             (re.search); only output after the previous
                             expect's match is scanned; the current
                             incomplete line counts too, so a prompt such as
                             'mica> ' can be matched; a regex ending in '$'
                             matches complete lines only
  --step expect-count=N:RE   wait for N more serial lines matching RE
  --step send=TEXT           type TEXT on COM1 ('\\n' becomes a carriage return)
  --step exit=CODE|any       wait for QEMU to exit by itself; isa-debug-exit
                             makes QEMU exit with (value << 1) | 1, an ACPI
                             power-off with 0
  --step key=TEXT            type TEXT on the PS/2 keyboard (QMP send-key, US
                             layout): letters, digits, space and the
                             punctuation of a US keyboard, with shift for
                             capitals and shifted symbols; '\\n' (or a real
                             newline) is Return, '\\t' Tab, '\\b' Backspace;
                             each key is held 40 ms, keys are 60 ms apart
  --step screen=REGEX        wait until a row of the screen matches REGEX
                             (re.search), reading the screen every 0.3 s
                             until the run's deadline; see "Reading the
                             screen" below for what a row is and which rows
                             count
  --step screenshot=PATH     save the screen as a PNG now
  --step qmp=COMMAND         run a QMP command without arguments now, e.g.
                             qmp=inject-nmi (an NMI on every CPU)

Forbidden patterns (default ^PANIC: and ^UBSAN:, both lifted by --allow-panic)
fail the run as soon as a serial line matching one arrives (with --no-serial:
as soon as a screen row read for a step matches one).  --tests-summary
checks the in-kernel test report, --bench echoes BENCH lines (both need
serial).  A QEMU process is never left behind: it is killed after the last
step, on timeout, on errors and on Ctrl-C/SIGTERM, and it gets SIGKILL if
this script itself is killed.

Machine options: --firmware bios|uefi (UEFI: OVMF in pflash, with a private
copy of the variable store), --machine TYPE (QEMU's -machine, e.g. q35),
--memory, --cpu (e.g. 'qemu64,-nx'), --smp, --extra-arg=-foo, and
--boot-media for how the ISO is attached:
  cdrom  the CD drive, booted first (-cdrom ISO -boot d); the default
  usb    a USB mass-storage stick on an xHCI controller, bootindex 0
         (the hybrid ISO boots from its MBR/GPT like a dd'ed stick)
  ide    the first IDE hard disk (-boot c), snapshot=on so that the ISO
         file is never written

No serial port (--no-serial): QEMU gets '-serial none', so the guest finds
no UART at COM1 (its registers read 0xff); the steps are then key, screen,
screenshot and exit (expect and send are refused).  On failure the harness
prints the last screen text instead of the serial log, and --log writes the
final screen text.

Screen and keyboard go through QMP on a unix socket in a private temporary
directory (-qmp unix:PATH,server=on,wait=off; 'qmp_capabilities' first),
which the harness adds whenever a key, screen, screenshot or qmp step,
--screenshot or --no-serial is given (with or without serial).

Reading the screen:
  - QMP 'screendump' gives the displayed picture (PPM).  720x400 and
    640x400 are how QEMU shows VGA text mode: the text is then the 80x25
    (character, attribute) cells at physical 0xB8000 (QMP 'pmemsave');
    bytes 0x20..0x7E read as themselves, 0 as a blank, others as '?'.
  - Any other size is a linear framebuffer, on which Mica's renderer
    (libc-mini/src/screen.c) draws 8x16 cells from the top-left pixel, no
    margin.  Each cell is decoded with Mica's own font (--font, default
    libc-mini/src/font8x16.c, parsed from its C source): the cell's
    background is its top-left pixel (no glyph has ink there), the pixels
    of any other colour are its ink, and the cell is the character whose
    glyph has exactly that ink.  Colours do not matter; the placeholder
    glyph and cells that match no glyph (GRUB's or the firmware's own
    drawing) read as '?'.
Screen rows are matched without their trailing blanks, and a row that has
trailing blanks may also match as ending in one blank: 'screen=^mica> $'
is a prompt with nothing typed after it, 'screen=^hello$' ignores the
padding.  Like expect, a screen step only sees what follows the previous
screen step's match: the rest of the matched row after the match, and the
rows below it.  When the screen scrolls, the matched row moves up; each
read finds by how many rows as the smallest shift k such that every row of
the screen as it was at the previous match reappears k rows higher with at
most text appended (only the row with the cursor grows).  If the matched
row has scrolled off, or the screen was cleared or redrawn, the whole
screen counts as new.  (A screen whose every row repeats with some period,
e.g. the same command run a dozen times, can make the shift come out too
small; then a match may be missed, never an old one taken.)  The first
screen step sees the whole screen.

--screenshot PATH saves a PNG of the screen at the end of the run (also on
failure): after the last step, before QEMU is stopped; if QEMU has exited
by then (exit=), the last screen read is used.  PNGs come from QMP
'screendump' with format=png, or, if QEMU cannot write PNG, from the PPM
through this script's own PNG writer.

Example:
  mica_qemu.py --iso build/mica.iso --firmware uefi \\
      --step 'expect=^mica: ready boot_ms=\\d+' \\
      --step 'expect=mica> ' --step 'send=help\\n' --step 'expect=mica> '
  mica_qemu.py --iso build/mica.iso --no-serial --screenshot shell.png \\
      --step 'screen=^mica> ' --step 'key=echo hi\\n' --step 'screen=^hi$' \\
      --step 'key=halt\\n' --step exit=0

Exit status: 0 when every step passed, 1 on failure, 2 on usage errors.
"""

import argparse
import codecs
import collections
import ctypes
import json
import os
import re
import selectors
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

DEFAULT_FORBID = [r"^UBSAN:"]
PANIC_FORBID = r"^PANIC:"
SEND_CHAR_DELAY = 0.003
KILL_GRACE = 3.0
ANSI_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()#][0-9A-Za-z]|\x1b[@-Z\\-_]")
TEST_RE = re.compile(r"^TEST (\S+) (PASS|FAIL|SKIP)(?: (.*))?$")
TESTS_RE = re.compile(r"^TESTS: (\d+) passed, (\d+) failed$")
# A latency figure, or a throughput one (ipc_throughput: one line per CPU count).
BENCH_RE = re.compile(
    r"^BENCH name=\S+ (iters=\d+ cycles_median=\d+ ns_median=\d+ unit=(instructions|tsc) overhead=\d+"
    r"|cpus=\d+ iters=\d+ calls_per_s=\d+)$"
)

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_FONT = os.path.normpath(os.path.join(HERE, "..", "..", "libc-mini", "src",
                                             "font8x16.c"))
KEY_HOLD_MS = 40        # send-key hold time
KEY_DELAY = 0.06        # seconds from one key to the next
SCREEN_POLL = 0.3       # seconds between screen reads
QMP_TIMEOUT = 15.0      # seconds for one QMP command (a screendump under TCG)
QMP_CONNECT = 10.0      # seconds for QEMU to open its QMP socket
TEXT_MODE_SIZES = {(720, 400), (640, 400)}  # how QEMU displays VGA text mode
EGA_TEXT_BASE = 0xB8000
EGA_COLS, EGA_ROWS = 80, 25
FONT_WIDTH, FONT_HEIGHT = 8, 16
SERIAL_KINDS = {"expect", "send"}
QMP_KINDS = {"key", "screen", "screenshot", "qmp"}


class StepFailure(Exception):
    """A step (or a global check) failed; the message says why."""


class Step:
    """One ordered step: kind is 'expect', 'send', 'exit', 'key', 'screen',
    'screenshot' or 'qmp'."""

    def __init__(self, kind, text, regex=None, count=1, code=None, payload=b"", keys=(),
                 path=None):
        self.kind = kind
        self.text = text
        self.regex = regex
        self.count = count
        self.code = code
        self.payload = payload
        self.keys = keys
        self.path = path

    def __str__(self):
        return self.text.replace("\n", "\\n")


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
    if kind == "key":
        try:
            keys = keys_for_text(value.replace("\\n", "\n").replace("\\t", "\t")
                                 .replace("\\b", "\b"))
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
        if not keys:
            raise argparse.ArgumentTypeError("key= wants some text to type")
        return Step("key", text, keys=keys)
    if kind == "screen":
        return Step("screen", text, regex=_compile(value))
    if kind == "qmp":
        if not re.fullmatch(r"[a-z][a-z0-9-]*", value):
            raise argparse.ArgumentTypeError(f"qmp= wants a QMP command name, got {value!r}")
        return Step("qmp", text, path=value)
    if kind == "screenshot":
        if not value:
            raise argparse.ArgumentTypeError("screenshot= wants a file name")
        return Step("screenshot", text, path=value)
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


# ---- The PS/2 keyboard (QMP send-key, QKeyCode names, US layout) --------

_PLAIN_KEYS = {" ": "spc", "\n": "ret", "\t": "tab", "\b": "backspace", "-": "minus",
               "=": "equal", "[": "bracket_left", "]": "bracket_right", "\\": "backslash",
               ";": "semicolon", "'": "apostrophe", "`": "grave_accent", ",": "comma",
               ".": "dot", "/": "slash"}
_SHIFTED_KEYS = dict(zip('!@#$%^&*()_+{}|:"~<>?',
                         list("1234567890") + ["minus", "equal", "bracket_left",
                                               "bracket_right", "backslash", "semicolon",
                                               "apostrophe", "grave_accent", "comma", "dot",
                                               "slash"]))


def keys_for_text(text):
    """The key chords that type text: a list of QKeyCode lists, such as
    [['e'], ['shift', 'a'], ['ret']].  ValueError for a character that no
    key of a US keyboard types."""
    chords = []
    for ch in text:
        if ch.isascii() and (ch.islower() or ch.isdigit()):
            chords.append([ch])
        elif ch.isascii() and ch.isupper():
            chords.append(["shift", ch.lower()])
        elif ch in _PLAIN_KEYS:
            chords.append([_PLAIN_KEYS[ch]])
        elif ch in _SHIFTED_KEYS:
            chords.append(["shift", _SHIFTED_KEYS[ch]])
        else:
            raise ValueError(f"no key types {ch!r}")
    return chords


# ---- Reading the screen as text --------------------------------------------

_GLYPH_RE = re.compile(r"/\*\s*(0x[0-9A-Fa-f]{2}|placeholder)\b[^\n]*?\*/\s*\{(.*?)\}", re.S)
_GLYPH_ROW_RE = re.compile(r"\bR((?:\s+[oX]){8})")


class Font:
    """Mica's 8x16 font: glyphs maps a character (None for the placeholder)
    to its FONT_HEIGHT row bytes, bit 7 the leftmost pixel."""

    def __init__(self, glyphs):
        self.glyphs = glyphs
        self.by_bitmap = {}
        for ch, rows in glyphs.items():
            self.by_bitmap.setdefault(bytes(rows), "?" if ch is None else ch)

    @classmethod
    def parse(cls, source):
        """Parse font8x16.c: one '/* 0xNN ... */ { R o X ..., ... }' block
        per glyph and a '/* placeholder ... */' block.  ValueError if a
        glyph of 0x20..0x7E or the placeholder is missing or malformed."""
        glyphs = {}
        for name, body in _GLYPH_RE.findall(source):
            rows = [int(row.replace(" ", "").replace("\n", "").replace("\t", "")
                        .replace("X", "1").replace("o", "0"), 2)
                    for row in _GLYPH_ROW_RE.findall(body)]
            if len(rows) != FONT_HEIGHT:
                raise ValueError(f"glyph {name} has {len(rows)} rows, not {FONT_HEIGHT}")
            glyphs[None if name == "placeholder" else chr(int(name, 16))] = tuple(rows)
        missing = [f"0x{c:02x}" for c in range(0x20, 0x7F) if chr(c) not in glyphs]
        missing += [] if None in glyphs else ["placeholder"]
        if missing:
            raise ValueError(f"font has no glyph for {', '.join(missing)}")
        return cls(glyphs)

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as f:
            return cls.parse(f.read())

    def glyph(self, ch):
        """The rows drawn for ch (the placeholder for characters without one)."""
        return self.glyphs.get(ch, self.glyphs[None])


class RgbDecoder:
    """Turns an RGB picture drawn by Mica's renderer back into text.  Cells
    seen before are remembered by their pixels, so a screen costs little
    more than slicing it up."""

    CACHE_MAX = 65536

    def __init__(self, font):
        self.font = font
        self.cache = {}

    def decode(self, width, height, pixels):
        """Rows of text for a width x height picture of 3-byte RGB pixels."""
        stride = width * 3
        cell_bytes = FONT_WIDTH * 3
        if len(self.cache) > self.CACHE_MAX:
            self.cache.clear()
        lines = []
        for row in range(height // FONT_HEIGHT):
            top = row * FONT_HEIGHT * stride
            scanlines = [pixels[top + y * stride:top + (y + 1) * stride]
                         for y in range(FONT_HEIGHT)]
            chars = []
            for x in range(0, (width // FONT_WIDTH) * cell_bytes, cell_bytes):
                cell = b"".join(line[x:x + cell_bytes] for line in scanlines)
                ch = self.cache.get(cell)
                if ch is None:
                    ch = self.cache[cell] = self.decode_cell(cell)
                chars.append(ch)
            lines.append("".join(chars))
        return lines

    def decode_cell(self, cell):
        """One cell (FONT_HEIGHT rows of FONT_WIDTH RGB pixels): the
        character whose glyph's ink is exactly the pixels that differ from
        the top-left one, or '?'."""
        background = cell[:3]
        bitmap = bytearray(FONT_HEIGHT)
        for y in range(FONT_HEIGHT):
            bits = 0
            for x in range(FONT_WIDTH):
                offset = (y * FONT_WIDTH + x) * 3
                if cell[offset:offset + 3] != background:
                    bits |= 0x80 >> x
            bitmap[y] = bits
        return self.font.by_bitmap.get(bytes(bitmap), "?")


def decode_ega(memory, cols=EGA_COLS, rows=EGA_ROWS):
    """Rows of text of VGA text memory: (character, attribute) byte pairs."""
    def char(byte):
        if 0x20 <= byte <= 0x7E:
            return chr(byte)
        return " " if byte == 0 else "?"
    return ["".join(char(memory[(row * cols + col) * 2]) for col in range(cols))
            for row in range(rows)]


def parse_ppm(data):
    """(width, height, RGB bytes) of a binary PPM (P6, maxval 255)."""
    fields = []
    pos = 0
    while len(fields) < 4:
        while pos < len(data) and (data[pos:pos + 1].isspace() or data[pos:pos + 1] == b"#"):
            if data[pos:pos + 1] == b"#":
                pos = data.find(b"\n", pos)
                if pos < 0:
                    raise ValueError("PPM header ends in a comment")
            pos += 1
        end = pos
        while end < len(data) and not data[end:end + 1].isspace():
            end += 1
        if end == pos:
            raise ValueError("truncated PPM header")
        fields.append(data[pos:end])
        pos = end
    magic, width, height, maxval = fields
    if magic != b"P6" or not (width.isdigit() and height.isdigit()) or maxval != b"255":
        raise ValueError(f"not a P6 PPM with maxval 255: {b' '.join(fields)!r}")
    width, height = int(width), int(height)
    pixels = data[pos + 1:pos + 1 + width * height * 3]
    if len(pixels) != width * height * 3:
        raise ValueError(f"PPM has {len(pixels)} bytes of pixels, not {width * height * 3}")
    return width, height, pixels


def png_bytes(width, height, pixels):
    """A PNG (8-bit RGB, no interlace) of width x height 3-byte pixels."""
    stride = width * 3

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    raw = b"".join(b"\0" + pixels[y * stride:(y + 1) * stride] for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def write_png(path, width, height, pixels):
    with open(path, "wb") as f:
        f.write(png_bytes(width, height, pixels))


def scroll_shift(old, new):
    """How many rows the screen moved up from old to new (lists of rows
    without trailing blanks): the smallest k for which each row old[i]
    (i >= k) is a prefix of new[i - k].  len(old) when nothing fits, or
    the screens differ in size: then every row of new is new."""
    if len(old) != len(new):
        return len(old)
    for k in range(len(old) + 1):
        if all(new[i - k].startswith(old[i]) for i in range(k, len(old))):
            return k
    return len(old)


def search_row(regex, row, pos=0):
    """regex.search on a screen row from pos: without the row's trailing
    blanks, or, if it has some, with just one of them."""
    stripped = row.rstrip(" ")
    match = regex.search(stripped, pos)
    if match is None and len(stripped) < len(row):
        match = regex.search(stripped + " ", pos)
    return match


class ScreenCursor:
    """Where the previous screen match was, so that a screen step scans
    only what follows it (see the module docstring)."""

    def __init__(self):
        self.rows = None  # the screen at the previous match, trailing blanks stripped
        self.row = 0
        self.col = 0

    def start(self, lines):
        """(row, column) of lines where the scan starts."""
        if self.rows is None:
            return 0, 0
        row = self.row - scroll_shift(self.rows, [line.rstrip(" ") for line in lines])
        return (row, self.col) if row >= 0 else (0, 0)

    def search(self, regex, lines):
        """Find regex in lines (the screen's rows) after the previous match;
        on success remember the match and return its row index, else None."""
        first, col = self.start(lines)
        for index in range(first, len(lines)):
            match = search_row(regex, lines[index], col if index == first else 0)
            if match:
                self.rows = [line.rstrip(" ") for line in lines]
                self.row, self.col = index, match.end()
                return index
        return None


Screen = collections.namedtuple("Screen", "kind lines width height pixels")


def screen_text(screen):
    """The screen's rows without trailing blanks, trailing empty rows dropped."""
    return "\n".join(line.rstrip(" ") for line in screen.lines).rstrip("\n")


# ---- QMP -------------------------------------------------------------------

class QmpError(Exception):
    """A QMP command failed or the connection is gone."""


class Qmp:
    """A QMP client on a unix socket, one command at a time; events that
    arrive meanwhile are kept in events."""

    def __init__(self, path, alive, timeout=QMP_CONNECT):
        """Connect to QEMU's socket at path, waiting up to timeout seconds
        for QEMU to create it while alive() holds."""
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.buffer = b""
        self.events = []
        give_up = time.monotonic() + timeout
        while True:
            try:
                self.sock.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError) as err:
                if not alive() or time.monotonic() >= give_up:
                    self.sock.close()
                    raise QmpError(f"cannot connect to QMP at {path}: {err}") from None
                time.sleep(0.05)
        self.sock.settimeout(QMP_TIMEOUT)
        greeting = self._receive()
        if "QMP" not in greeting:
            raise QmpError(f"unexpected QMP greeting {greeting!r}")
        self.command("qmp_capabilities")

    def _receive(self):
        while True:
            while b"\n" not in self.buffer:
                try:
                    data = self.sock.recv(65536)
                except OSError as err:
                    raise QmpError(f"QMP: {err or 'timeout'}") from None
                if not data:
                    raise QmpError("QMP connection closed")
                self.buffer += data
            line, self.buffer = self.buffer.split(b"\n", 1)
            if line.strip():
                try:
                    return json.loads(line)
                except ValueError:
                    raise QmpError(f"bad QMP message {line!r}") from None

    def command(self, name, arguments=None):
        """Run one QMP command; its 'return' value, or QmpError."""
        message = {"execute": name}
        if arguments:
            message["arguments"] = arguments
        try:
            self.sock.sendall(json.dumps(message).encode() + b"\n")
        except OSError as err:
            raise QmpError(f"QMP: {err}") from None
        while True:
            reply = self._receive()
            if "event" in reply:
                self.events.append(reply)
            elif "error" in reply:
                error = reply["error"]
                raise QmpError(f"{name}: {error.get('desc', error)}")
            elif "return" in reply:
                return reply["return"]

    def send_keys(self, chord, hold_ms=KEY_HOLD_MS):
        """Press the keys of chord (QKeyCode names) together, then release."""
        self.command("send-key", {"keys": [{"type": "qcode", "data": k} for k in chord],
                                  "hold-time": hold_ms})

    def close(self):
        self.sock.close()


class ScreenReader:
    """Reads the guest's screen through QMP as a Screen (kind 'text' or
    'rgb', rows of text, and the displayed picture)."""

    def __init__(self, qmp, font, workdir):
        self.qmp = qmp
        self.decoder = RgbDecoder(font)
        self.ppm_path = os.path.join(workdir, "screen.ppm")
        self.vga_path = os.path.join(workdir, "vga-text.bin")

    def read(self):
        """The screen now; QmpError, or ValueError for a picture that cannot
        be parsed."""
        self.qmp.command("screendump", {"filename": self.ppm_path})
        with open(self.ppm_path, "rb") as f:
            width, height, pixels = parse_ppm(f.read())
        if (width, height) in TEXT_MODE_SIZES:
            size = EGA_COLS * EGA_ROWS * 2
            self.qmp.command("pmemsave", {"val": EGA_TEXT_BASE, "size": size,
                                          "filename": self.vga_path})
            with open(self.vga_path, "rb") as f:
                memory = f.read()
            if len(memory) != size:
                raise ValueError(f"pmemsave wrote {len(memory)} bytes, not {size}")
            return Screen("text", decode_ega(memory), width, height, pixels)
        return Screen("rgb", self.decoder.decode(width, height, pixels), width, height, pixels)

    def screenshot(self, path):
        """Save the screen as a PNG at path."""
        try:
            self.qmp.command("screendump", {"filename": path, "format": "png"})
            return
        except QmpError as err:
            if "format" not in str(err).lower() and "png" not in str(err).lower():
                raise
        screen = self.read()  # this QEMU cannot write PNG: convert the PPM
        write_png(path, screen.width, screen.height, screen.pixels)


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


def qemu_command(args, vars_copy, qmp_path=None):
    """The QEMU command line for args; vars_copy is the writable UEFI vars,
    qmp_path the unix socket for QMP (None: no QMP)."""
    cmd = [args.qemu, "-accel", "tcg"]
    if args.machine:
        cmd += ["-machine", args.machine]
    cmd += ["-cpu", args.cpu, "-smp", str(args.smp),
            "-m", args.memory, "-display", "none", "-vga", "std", "-no-reboot",
            "-serial", "none" if args.no_serial else "stdio", "-monitor", "none"]
    if qmp_path:
        cmd += ["-qmp", f"unix:{qmp_path},server=on,wait=off"]
    cmd += ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    cmd += boot_media_args(args.boot_media, args.iso)
    if args.firmware == "uefi":
        cmd += ["-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={args.ovmf_code}",
                "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}"]
    return cmd + args.extra_arg


def boot_media_args(media, iso):
    """QEMU arguments that attach the ISO as media (see --boot-media)."""
    if media == "cdrom":
        return ["-cdrom", iso, "-boot", "d"]
    drive = iso.replace(",", ",,")
    if media == "usb":
        return ["-drive", f"if=none,id=stick,format=raw,readonly=on,file={drive}",
                "-device", "qemu-xhci,id=xhci",
                "-device", "usb-storage,bus=xhci.0,drive=stick,bootindex=0"]
    if media == "ide":
        return ["-drive", f"if=ide,index=0,media=disk,format=raw,snapshot=on,file={drive}",
                "-boot", "c"]
    raise ValueError(f"unknown boot media {media!r}")


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


class SerialMachine:
    """What Runner needs of a running machine's serial port: reads into
    console as they come, writes a byte at a time. A subclass sets name
    (for messages), start, console, selector (registered for the port's
    input), eof, and gives read_serial() (bytes, b"" at the end, None if
    nothing is there after all) and write_serial(byte)."""

    def elapsed(self):
        return time.monotonic() - self.start

    def pump(self, timeout):
        """Read whatever serial output arrives within timeout seconds."""
        if self.eof:
            time.sleep(max(0.0, min(timeout, 0.05)))
            return
        if not self.selector.select(max(0.0, timeout)):
            return
        data = self.read_serial()
        if data is None:
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
            self.write_serial(bytes([byte]))
            self.pump_until(time.monotonic() + delay)


class Qemu(SerialMachine):
    """A running QEMU whose serial port is its stdin/stdout."""

    name = "QEMU"  # in the Runner's messages

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
        self.qmp = None

    def connect_qmp(self, path):
        """Open QMP on QEMU's unix socket at path."""
        try:
            self.qmp = Qmp(path, lambda: self.proc.poll() is None)
        except QmpError as err:
            raise StepFailure(str(err)) from None
        return self.qmp

    def read_serial(self):
        try:
            return os.read(self.out_fd, 65536)
        except BlockingIOError:
            return None

    def write_serial(self, data):
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise StepFailure("QEMU stopped reading its serial input") from None

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
        if self.qmp:
            self.qmp.close()
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
    """Runs the steps of one test against a Qemu, its Console and, when QMP
    is on, its screen (reader: a ScreenReader, else None).  screen_forbid
    are the forbidden patterns to check on screen rows (--no-serial)."""

    def __init__(self, qemu, deadline, out, reader=None, screen_forbid=()):
        self.qemu = qemu
        self.console = qemu.console
        self.deadline = deadline
        self.out = out
        self.reader = reader
        self.screen_forbid = [re.compile(f) for f in screen_forbid]
        self.cursor = ScreenCursor()
        self.last_screen = None

    def log_step(self, step, result=None):
        tail = f"  -> {result}" if result is not None else ""
        self.out.write(f"  {self.qemu.elapsed():7.2f}s  {step}{tail}\n")
        self.out.flush()

    def check_alive(self, what):
        check_violation(self.console)
        if time.monotonic() >= self.deadline:
            raise StepFailure(f"timeout while waiting for {what}")

    def expect(self, step):
        exp = Expectation(step.regex, step.count)
        while True:
            self.check_alive(step)
            if self.console.advance(exp):
                self.log_step(step, repr(exp.matched_line))
                return
            if self.qemu.exited():
                raise StepFailure(f"{self.qemu.name} exited (status {self.qemu.proc.returncode}) "
                                  f"before {step} matched ({exp.found} of {exp.count} seen)")
            self.qemu.pump(min(0.1, self.deadline - time.monotonic()))

    def wait_exit(self, step):
        next_read = time.monotonic()
        while not self.qemu.exited():
            self.check_alive(f"{self.qemu.name} to exit ({step})")
            if self.reader and time.monotonic() >= next_read:
                # Keep the last screen for the report, --log and --screenshot.
                self.read_screen(quiet=True)
                next_read = time.monotonic() + SCREEN_POLL
            self.qemu.pump(min(0.1, self.deadline - time.monotonic()))
        check_violation(self.console)
        status = self.qemu.proc.returncode
        self.log_step(step, f"{self.qemu.name} exit status {status}")
        if step.code is not None and status != step.code:
            raise StepFailure(f"{self.qemu.name} exit status {status}, expected {step.code}")

    def run(self, steps):
        actions = {"expect": self.expect, "send": self.send, "exit": self.wait_exit,
                   "key": self.key, "screen": self.screen, "screenshot": self.screenshot,
                   "qmp": self.qmp_command}
        for number, step in enumerate(steps, 1):
            try:
                actions[step.kind](step)
            except StepFailure as err:
                raise StepFailure(f"step {number}/{len(steps)} ({step}) failed: {err}") from None

    def send(self, step):
        self.check_alive(step)
        self.log_step(step)
        self.qemu.send(step.payload)

    def key(self, step):
        self.check_alive(step)
        self.log_step(step)
        for chord in step.keys:
            self.check_alive(step)
            try:
                self.qemu.qmp.send_keys(chord)
            except QmpError as err:
                raise StepFailure(f"send-key {'+'.join(chord)}: {err}") from None
            self.qemu.pump_until(time.monotonic() + KEY_DELAY)

    def qmp_command(self, step):
        self.check_alive(step)
        try:
            self.qemu.qmp.command(step.path)
        except QmpError as err:
            raise StepFailure(f"QMP {step.path}: {err}") from None
        self.log_step(step)

    def qemu_gone(self, grace=1.0):
        """Whether QEMU has exited or does within grace seconds (it closes
        QMP as it exits, so a failed command can mean a power-off)."""
        try:
            self.qemu.proc.wait(grace)
            return True
        except subprocess.TimeoutExpired:
            return False

    def read_screen(self, quiet=False, forbid=True):
        """Read the screen into last_screen and (forbid) check the screen
        forbids.  Returns the Screen, or None when QEMU has gone (or, quiet,
        on any failure to read)."""
        try:
            screen = self.reader.read()
        except (QmpError, ValueError, OSError) as err:
            if quiet or self.qemu_gone():
                return None
            raise StepFailure(f"cannot read the screen: {err}") from None
        self.last_screen = screen
        for pattern in self.screen_forbid if forbid else ():
            for line in screen.lines:
                if pattern.search(line.rstrip(" ")):
                    raise StepFailure(f"forbidden pattern {pattern.pattern!r} on the screen: "
                                      f"{line.rstrip(' ')!r}")
        return screen

    def screen(self, step):
        while True:
            self.check_alive(step)
            screen = self.read_screen()
            if screen:
                row = self.cursor.search(step.regex, screen.lines)
                if row is not None:
                    self.log_step(step, f"{screen.kind} row {row}: "
                                        f"{screen.lines[row].rstrip(' ')!r}")
                    return
            if self.qemu.exited() or screen is None:
                raise StepFailure(f"QEMU exited (status {self.qemu.proc.poll()}) "
                                  f"before {step} matched")
            self.qemu.pump_until(min(time.monotonic() + SCREEN_POLL, self.deadline))

    def screenshot(self, step):
        self.check_alive(step)
        self.save_screenshot(step.path)
        self.log_step(step, "saved")

    def save_screenshot(self, path):
        """A PNG of the screen at path: from QEMU if it still runs, else
        from the last screen read."""
        path = os.path.abspath(path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if self.qemu.proc.poll() is None:
            try:
                self.reader.screenshot(path)
                return
            except (QmpError, ValueError, OSError) as err:
                if not self.qemu_gone():
                    raise StepFailure(f"cannot save a screenshot: {err}") from None
        if self.last_screen is None:
            raise StepFailure("no screen to save: QEMU has exited and no screen was read")
        screen = self.last_screen
        write_png(path, screen.width, screen.height, screen.pixels)

    def finish(self, screenshot, failed=False):
        """At the end of the run, QEMU still up unless it exited: read the
        final screen (checked for forbids unless the run has already
        failed) and save the --screenshot."""
        if not self.reader:
            return
        if self.qemu.proc.poll() is None:
            self.read_screen(quiet=True, forbid=not failed)
        if screenshot:
            self.save_screenshot(screenshot)
            self.out.write(f"  screenshot: {os.path.abspath(screenshot)}\n")


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


def report_failure(out, err, args, console, qemu, screen):
    out.write(f"FAIL: {err}\n")
    if not args.no_serial:
        out.write(f"---- serial log ----\n{console.log()}\n---- end of serial log ----\n")
    if screen:
        out.write(f"---- screen ({screen.kind} {screen.width}x{screen.height}) ----\n"
                  f"{screen_text(screen)}\n---- end of screen ----\n")
    elif args.no_serial:
        out.write("---- screen: never read ----\n")
    stderr = qemu.stderr_text() if qemu else ""
    if stderr.strip():
        out.write(f"---- qemu stderr ----\n{stderr}---- end of qemu stderr ----\n")


def needs_qmp(args):
    return (args.no_serial or bool(args.screenshot) or
            any(step.kind in QMP_KINDS for step in args.step))


def run(args, out=sys.stdout):
    """Boot, run the steps, check; returns the process exit status."""
    console = Console([] if args.no_serial else args.forbid)
    qemu = runner = None
    vars_copy = make_vars_copy(args) if args.firmware == "uefi" else None
    workdir = tempfile.mkdtemp(prefix="mica-qmp-") if needs_qmp(args) else None
    qmp_path = os.path.join(workdir, "qmp.sock") if workdir else None
    try:
        cmd = qemu_command(args, vars_copy, qmp_path)
        out.write(f"mica_qemu: {shlex.join(cmd)}\n")
        out.flush()
        deadline = time.monotonic() + args.timeout
        qemu = Qemu(cmd, console)
        reader = ScreenReader(qemu.connect_qmp(qmp_path), args.screen_font,
                              workdir) if qmp_path else None
        runner = Runner(qemu, deadline, out, reader, args.forbid if args.no_serial else ())
        runner.run(args.step)
        runner.finish(args.screenshot)
        qemu.stop()
        final_checks(args, console, out)
        out.write(f"PASS: {len(args.step)} steps in {qemu.elapsed():.2f}s\n")
        return 0
    except StepFailure as err:
        if runner:
            try:
                runner.finish(args.screenshot, failed=True)
            except StepFailure as shot_err:
                out.write(f"mica_qemu: {shot_err}\n")
        if qemu:
            qemu.stop()
        report_failure(out, err, args, console, qemu, runner and runner.last_screen)
        return 1
    finally:
        if qemu:
            qemu.close()
        if vars_copy:
            os.unlink(vars_copy)
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)
        if args.log:
            write_log(args.log, args, console, runner and runner.last_screen)
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
    parser.add_argument("--smp", default="1",
                        help="QEMU's -smp: a count, or a topology such as 12,sockets=2,cores=6")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds for the whole run")
    parser.add_argument("--qemu", default="qemu-system-x86_64")
    parser.add_argument("--ovmf-code", default="/usr/share/OVMF/OVMF_CODE.fd")
    parser.add_argument("--ovmf-vars", default="/usr/share/OVMF/OVMF_VARS.fd")
    parser.add_argument("--machine", help="QEMU machine type, e.g. q35 (default: QEMU's pc)")
    parser.add_argument("--boot-media", choices=["cdrom", "usb", "ide"], default="cdrom",
                        help="attach the ISO as a CD (default), a USB stick or an IDE disk")
    parser.add_argument("--no-serial", action="store_true",
                        help="no COM1 (-serial none): drive the keyboard, read the screen")
    parser.add_argument("--screenshot", help="save a PNG of the screen at the end of the run")
    parser.add_argument("--font", default=DEFAULT_FONT,
                        help="Mica's font8x16.c, to read text off a framebuffer")
    parser.add_argument("--step", type=parse_step, action="append", default=[],
                        help="expect=REGEX | expect-count=N:REGEX | send=TEXT | exit=CODE|any"
                             " | key=TEXT | screen=REGEX | screenshot=PATH | qmp=COMMAND")
    parser.add_argument("--forbid", action="append", default=[], type=_checked_regex,
                        help="fail as soon as a line matches (added to ^PANIC: and ^UBSAN:)")
    parser.add_argument("--allow-panic", action="store_true",
                        help="the test expects a kernel report: do not forbid ^PANIC: or ^UBSAN:")
    parser.add_argument("--tests-summary", action="store_true",
                        help="check the TEST lines and the 'TESTS: n passed, m failed' summary")
    parser.add_argument("--bench", action="store_true", help="print BENCH lines; fail if none")
    parser.add_argument("--log", help="write the whole serial log (with --no-serial: the "
                                      "final screen text) to this file")
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
    if args.no_serial:
        serial = [str(step) for step in args.step if step.kind in SERIAL_KINDS]
        serial += ["--tests-summary"] if args.tests_summary else []
        serial += ["--bench"] if args.bench else []
        if serial:
            parser.error(f"--no-serial leaves nothing to read or type on: {', '.join(serial)}")
    args.screen_font = None
    if needs_qmp(args):
        try:
            args.screen_font = Font.load(args.font)
        except (OSError, ValueError) as err:
            parser.error(f"cannot load the font {args.font}: {err}")
    needed = [args.iso] + ([args.ovmf_code, args.ovmf_vars] if args.firmware == "uefi" else [])
    for path in needed:
        if not os.path.isfile(path):
            parser.error(f"no such file: {path}")


def write_log(path, args, console, screen):
    """The serial log, or with --no-serial the final screen's text."""
    if args.no_serial:
        text = screen_text(screen) if screen else "(the screen was never read)"
    else:
        text = console.log()
    with open(path, "w", encoding="utf-8") as log:
        log.write(text + "\n")


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
