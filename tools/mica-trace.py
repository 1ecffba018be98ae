#!/usr/bin/env python3
"""Turn the TRACE lines of a Mica serial log into pictures.

Usage: mica-trace.py LOG [--json OUT.json] [--svg OUT.svg] [--png OUT.png]
                         [--check] [--title TEXT]

LOG holds the output of the shell's `trace dump` (docs/tracing.md): one line
per event recorded by the kernel's IPC flight recorder,

  TRACE t=<tsc> cpu=<n> ev=<kind> from=<task> to=<task> label=<hex> len=<n>
        badge=<hex> ep=<n> seq=<n> from_id=<n> to_id=<n> from_th=<n> to_th=<n>

(one line), found anywhere in a line, so a raw serial log will do.

--json   a Chrome trace-event file (Perfetto, chrome://tracing): a track per
         task, a slice per event, a flow arrow per message.
--svg    a sequence diagram: a lifeline per task, an arrow per message
         (call, reply, send, notify, page fault, interrupt), time downwards.
--png    the same as a PNG, through rsvg-convert or ImageMagick's convert if
         one is installed (the SVG is written next to it either way).
--check  checks the events: every line well formed, numbered without a gap,
         time never going back, every call answered by a reply to the same
         thread before that thread calls again, no reply without a call;
         and, with --json, the file written: it loads as JSON, every event
         has the fields of its phase, every flow arrow has both ends, and
         there are as many call slices as reply slices.
         Exits 1 on the first problem (printed), 0 when all hold.

Python 3 standard library only.
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
from xml.sax.saxutils import escape

LINE_RE = re.compile(
    r"TRACE t=(?P<t>\d+) cpu=(?P<cpu>\d+) ev=(?P<ev>[a-z]+) from=(?P<src>\S+) to=(?P<dst>\S+)"
    r" label=0x(?P<label>[0-9a-f]+) len=(?P<len>\d+) badge=0x(?P<badge>[0-9a-f]+)"
    r" ep=(?P<ep>\d+) seq=(?P<seq>\d+) from_id=(?P<src_id>\d+) to_id=(?P<dst_id>\d+)"
    r" from_th=(?P<src_th>\d+) to_th=(?P<dst_th>\d+)\s*$")
KINDS = ("call", "reply", "send", "recv", "notify", "fault", "switch", "irq")
MESSAGES = ("call", "reply", "send", "notify", "fault", "irq")  # drawn as arrows

# Names of the labels of mica's protocols (libc-mini/include/mica/*.h), for
# the pictures only.
LABELS = {
    0x100: "NS_REGISTER", 0x101: "NS_LOOKUP", 0x102: "NS_BOOT_CAP", 0x103: "NS_SYSTEM",
    0x104: "NS_READY", 0x105: "NS_SPAWN", 0x106: "NS_BOOT_MS",
    0x200: "CON_WRITE", 0x201: "CON_READ", 0x202: "CON_INPUT",
    0x300: "MEM_HELLO", 0x301: "MEM_ALLOC", 0x302: "MEM_FREE", 0x303: "MEM_LAZY",
    0x304: "MEM_STATS", 0x305: "MEM_TASK_USE",
    0xfffffff0: "PAGE_FAULT", 0xfffffff1: "CRASH",
}
IRQS = {1: "keyboard", 4: "COM1"}
# Status codes (include/mica/abi.h MICA_ERRORS), for replies.
STATUS = {0: "OK", -1: "EINVAL", -2: "EBADH", -3: "ERIGHTS", -4: "ETYPE", -5: "EFAULT",
          -6: "ENOMEM", -7: "ETIMEOUT", -8: "EAGAIN", -9: "EDEAD", -10: "ENOSYS",
          -11: "ENOENT", -12: "EBUSY", -13: "ERANGE", -14: "ELOST"}


def parse(path):
    """The events of LOG in order, and the lines that look like TRACE lines
    but are not well formed."""
    events, bad = [], []
    with open(path, encoding="utf-8", errors="replace") as log:
        for raw in log:
            at = raw.find("TRACE t=")
            if at < 0:
                continue
            line = raw[at:].rstrip("\r\n")
            match = LINE_RE.match(line)
            if not match or match.group("ev") not in KINDS:
                bad.append(line)
                continue
            e = match.groupdict()
            for key in ("t", "cpu", "len", "ep", "seq", "src_id", "dst_id", "src_th", "dst_th"):
                e[key] = int(e[key])
            e["label"] = int(e["label"], 16)
            e["badge"] = int(e["badge"], 16)
            events.append(e)
    return events, bad


def status_of(e):
    """A reply's label as the signed status it is."""
    return e["label"] - (1 << 32) if e["label"] >= 1 << 31 else e["label"]


def check(events, bad):
    """The first problem found, or None."""
    if bad:
        return f"malformed line: {bad[0]!r}"
    if not events:
        return "no TRACE lines"
    waiting = {}  # caller thread -> the call it waits on
    for prev, e in zip([None] + events, events):
        if prev is not None and e["seq"] != prev["seq"] + 1:
            return f"events {prev['seq']} and {e['seq']}: numbers not consecutive"
        if prev is not None and e["t"] < prev["t"]:
            return f"event {e['seq']}: time goes back"
        if e["ev"] in ("call", "fault"):  # a fault is a call to the pager
            if e["src_th"] in waiting:
                return f"event {e['seq']}: thread {e['src_th']} calls again before its reply"
            waiting[e["src_th"]] = e
        elif e["ev"] == "reply":
            call = waiting.pop(e["dst_th"], None)
            if call is None:
                return f"event {e['seq']}: a reply to thread {e['dst_th']}, which made no call"
            # The kernel ends a call itself on a timeout or a lost reply.
            by_kernel = e["src_id"] == 0 and status_of(e) < 0
            if call["dst_id"] != e["src_id"] and not by_kernel:
                return (f"event {e['seq']}: the reply comes from {e['src']}, "
                        f"the call (event {call['seq']}) went to {call['dst']}")
    if waiting:
        call = min(waiting.values(), key=lambda c: c["seq"])
        return f"event {call['seq']}: a call of {call['src']} to {call['dst']} never answered"
    return None


def check_chrome(path):
    """The first problem of a Chrome trace file written here, or None."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as err:
        return f"{path}: {err}"
    events = doc.get("traceEvents") if isinstance(doc, dict) else None
    if not isinstance(events, list) or not events:
        return f"{path}: no traceEvents"
    need = {"M": ("name", "pid", "tid", "args"), "X": ("name", "pid", "tid", "ts", "dur"),
            "s": ("id", "pid", "tid", "ts"), "f": ("id", "pid", "tid", "ts", "bp")}
    flows, slices = {}, {"call": 0, "reply": 0}
    for i, ev in enumerate(events):
        ph = ev.get("ph") if isinstance(ev, dict) else None
        if ph not in need or any(k not in ev for k in need[ph]):
            return f"{path}: event {i} is not a well-formed {ph!r} event: {ev!r}"
        if ph in "sf":
            flows.setdefault(ev["id"], []).append(ph)
        if ph == "X" and ev.get("cat") in slices:
            slices[ev["cat"]] += 1
    for fid, ends in flows.items():
        if sorted(ends) != ["f", "s"]:
            return f"{path}: flow {fid} has ends {ends}"
    if slices["call"] != slices["reply"]:
        return f"{path}: {slices['call']} call slices but {slices['reply']} reply slices"
    return None


def label_text(e):
    if e["ev"] == "irq":
        return f"IRQ {e['label']} ({IRQS.get(e['label'], 'line')})"
    if e["ev"] == "reply":
        status = status_of(e)
        text = STATUS.get(status, f"status {status}")
    elif e["ev"] == "notify":
        text = f"bits 0x{e['badge']:x}"
    elif e["ev"] == "fault":
        text = f"fault at 0x{e['badge']:x}"
    else:
        text = LABELS.get(e["label"], f"0x{e['label']:x}")
    return text + (f" +{e['len']} B" if e["len"] else "")


def lane_of(e, end):
    """The lifeline an event's end is on: a task by name, the kernel for
    interrupts (split by line)."""
    if end == "src" and e["ev"] == "irq":
        return IRQS.get(e["label"], f"IRQ {e['label']}")
    name = e["src"] if end == "src" else e["dst"]
    return "kernel" if name in ("kernel", "-") else name


def chrome(events):
    """A Chrome trace-event document (JSON object format)."""
    t0 = events[0]["t"] if events else 0
    lanes, out = {}, []

    def tid(name):
        if name not in lanes:
            lanes[name] = len(lanes) + 1
            out.append({"ph": "M", "name": "thread_name", "pid": 1, "tid": lanes[name],
                        "args": {"name": name}})
        return lanes[name]

    for e in events:
        ts = (e["t"] - t0) / 1000.0  # TSC ticks / 1000: microseconds at 1 GHz
        src = tid(lane_of(e, "src"))
        args = {k: e[k] for k in ("seq", "label", "len", "badge", "ep", "src_th", "dst_th")}
        name = f"{e['ev']} {label_text(e)}"
        out.append({"ph": "X", "name": name, "cat": e["ev"], "pid": 1, "tid": src,
                    "ts": ts, "dur": 1, "args": args})
        if e["ev"] in MESSAGES and e["dst"] != "-":
            dst = tid(lane_of(e, "dst"))
            out.append({"ph": "X", "name": name, "cat": e["ev"], "pid": 1, "tid": dst,
                        "ts": ts + 0.5, "dur": 1, "args": args})
            out.append({"ph": "s", "id": e["seq"], "name": e["ev"], "cat": e["ev"],
                        "pid": 1, "tid": src, "ts": ts})
            out.append({"ph": "f", "bp": "e", "id": e["seq"], "name": e["ev"],
                        "cat": e["ev"], "pid": 1, "tid": dst, "ts": ts + 0.5})
    return {"traceEvents": out, "displayTimeUnit": "ns",
            "otherData": {"source": "mica flight recorder", "unit": "TSC ticks / 1000"}}


STYLE = {  # colour, dash pattern
    "call": ("#1f5fbf", ""), "reply": ("#1f7f3f", "6,4"), "send": ("#7f3fbf", ""),
    "notify": ("#bf7f00", "2,3"), "fault": ("#bf1f1f", ""), "irq": ("#555555", "2,3"),
}


def svg(events, title):
    """A sequence diagram: lanes left to right in order of appearance."""
    lanes = []
    for e in events:
        for end in ("src", "dst"):
            if end == "dst" and (e["ev"] not in MESSAGES or e["dst"] == "-"):
                continue
            lane = lane_of(e, end)
            if lane not in lanes:
                lanes.append(lane)
    rows = [e for e in events if e["ev"] in MESSAGES or e["ev"] == "switch"]
    col, top, step, left = 170, 70, 26, 90
    width = left + col * max(len(lanes), 1)
    height = top + step * (len(rows) + 1) + 20
    x = {lane: left + col * i + col // 2 - 40 for i, lane in enumerate(lanes)}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="monospace" font-size="11">',
           '<defs><marker id="a" markerWidth="8" markerHeight="8" refX="7" refY="3" '
           'orient="auto"><path d="M0,0 L7,3 L0,6 z" fill="context-stroke"/></marker></defs>',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="10" y="20" font-size="14">{escape(title)}</text>']
    for lane in lanes:
        out.append(f'<text x="{x[lane]}" y="{top - 22}" text-anchor="middle" '
                   f'font-weight="bold">{escape(lane)}</text>')
        out.append(f'<line x1="{x[lane]}" y1="{top - 14}" x2="{x[lane]}" y2="{height - 10}" '
                   'stroke="#999" stroke-dasharray="3,3"/>')
    t0 = rows[0]["t"] if rows else 0
    for i, e in enumerate(rows):
        y = top + step * (i + 1)
        out.append(f'<text x="6" y="{y + 4}" fill="#777">+{(e["t"] - t0) // 1000}k</text>')
        src = x[lane_of(e, "src")]
        if e["ev"] == "switch":  # a tick on the lifeline that gets the CPU
            lane = lane_of(e, "dst")
            if lane in x:
                out.append(f'<rect x="{x[lane] - 4}" y="{y - 4}" width="8" height="8" '
                           f'fill="#ccc"><title>switch to {escape(lane)}</title></rect>')
            continue
        colour, dash = STYLE[e["ev"]]
        if e["ev"] == "reply" and status_of(e) < 0:
            colour = "#bf1f1f"  # a call that failed, or ended without an answer
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        text = escape(f"{e['ev']} {label_text(e)}")
        if e["dst"] == "-":
            out.append(f'<circle cx="{src}" cy="{y}" r="4" fill="{colour}"/>')
            out.append(f'<text x="{src + 8}" y="{y - 4}" fill="{colour}">{text}</text>')
            continue
        dst = x[lane_of(e, "dst")]
        if dst == src:  # to itself: a small loop
            out.append(f'<path d="M{src},{y - 6} h30 v12 h-28" fill="none" '
                       f'stroke="{colour}"{dash_attr} marker-end="url(#a)"/>')
            out.append(f'<text x="{src + 34}" y="{y + 4}" fill="{colour}">{text}</text>')
            continue
        out.append(f'<line x1="{src}" y1="{y}" x2="{dst}" y2="{y}" stroke="{colour}"'
                   f'{dash_attr} stroke-width="1.5" marker-end="url(#a)"/>')
        mid = (src + dst) // 2
        out.append(f'<text x="{mid}" y="{y - 4}" text-anchor="middle" '
                   f'fill="{colour}">{text}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def to_png(svg_path, png_path):
    """Renders the SVG with rsvg-convert or ImageMagick; False if neither."""
    if shutil.which("rsvg-convert"):
        cmd = ["rsvg-convert", "-o", png_path, svg_path]
    elif shutil.which("convert"):
        cmd = ["convert", svg_path, png_path]
    else:
        return False
    return subprocess.run(cmd, check=False, capture_output=True).returncode == 0


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log")
    parser.add_argument("--json")
    parser.add_argument("--svg")
    parser.add_argument("--png")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--title", default="mica: IPC flight recorder")
    args = parser.parse_args(argv)
    events, bad = parse(args.log)
    if args.check:
        problem = check(events, bad)
        if problem:
            print(f"FAIL: {problem}")
            return 1
        counts = {k: sum(e["ev"] == k for e in events) for k in KINDS}
        print(f"ok: {len(events)} events, " +
              ", ".join(f"{n} {k}" for k, n in counts.items() if n))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(chrome(events), out, indent=1)
        problem = check_chrome(args.json) if args.check else None
        if problem:
            print(f"FAIL: {problem}")
            return 1
    svg_path = args.svg or (args.png[:-4] + ".svg" if args.png else None)
    if svg_path:
        with open(svg_path, "w", encoding="utf-8") as out:
            out.write(svg(events, args.title))
    if args.png and not to_png(svg_path, args.png):
        print("mica-trace: no SVG converter (rsvg-convert, convert): PNG left out",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
