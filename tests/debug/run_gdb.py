#!/usr/bin/env python3
"""The debug test: gdb in batch mode against QEMU's gdb stub.

Usage: run_gdb.py BUILD_DIR SOURCE_DIR [QEMU]

Boots BUILD_DIR/mica.iso under TCG with QEMU waiting for gdb (-S, a free
TCP port), runs gdb -batch with the project's gdb commands
(tools/gdb/mica.py), and checks what gdb printed:

  - `mica break console do_write` is set by name and is hit, in the
    console, by the shell's writes; `echo hi` is typed at the shell, and
    the stop that carries its `hi` is a write of the shell (the request's
    badge is the shell's task id);
  - `mica tasks` lists init, memory, console and shell;
  - the backtraces there (gdb's own `bt` with the console's symbols, and
    `mica bt`) name console functions: do_write, handle, the server loop,
    main;
  - `mica task shell` loads the shell's symbols and walks its user stack
    (it waits in a call to the console) down to main;
  - first, stopped in the kernel's sys_debug_write (init's first log
    line), `mica bt` walks the kernel frames to the syscall entry and on
    through the trap frame into init's user frames, down to main.

Exit status 0 when all hold, 1 otherwise (gdb's output is printed).
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    build, source = argv[0], argv[1]
    if not shutil.which("gdb"):
        print("FAIL: gdb is not installed (.ci/install-deps.sh installs it)")
        return 1
    qemu_bin = argv[2] if len(argv) > 2 else "qemu-system-x86_64"
    port = free_port()
    serial_port = free_port()
    qemu = subprocess.Popen(
        [qemu_bin, "-accel", "tcg", "-cpu", "max", "-smp", "1", "-m", "128M",
         "-display", "none", "-no-reboot", "-monitor", "none",
         "-serial", f"tcp:127.0.0.1:{serial_port},server=on,wait=off",
         "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
         "-cdrom", os.path.join(build, "mica.iso"), "-boot", "d",
         "-S", "-gdb", f"tcp:127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    script = f"""set pagination off
set confirm off
set architecture i386:x86-64
file {build}/kernel/mica.elf
python import os; os.environ["MICA_BUILD"] = "{build}"
source {source}/tools/gdb/mica.py
target remote 127.0.0.1:{port}
break sys_debug_write
continue
echo ==kernel-bt==\\n
mica bt
echo ==kernel-end==\\n
delete
mica break console do_write
python
import socket
serial = None
for _ in range(20):
    gdb.execute("continue")
    if serial is None:  # the shell is up: type at it (COM1 is a socket)
        serial = socket.create_connection(("127.0.0.1", {serial_port}))
        serial.sendall(b"echo hi\\r")
    rq = gdb.parse_and_eval("rq")
    n = int(rq["msg"]["info"]) >> 32 & 0x1fff
    text = bytes(gdb.selected_inferior().read_memory(int(rq["ipc"]), n))
    print("==write==", text)
    if text.startswith(b"hi"):
        break
end
echo ==tasks==\\n
mica tasks
echo ==badge==\\n
print/x rq->badge
echo ==bt==\\n
bt 6
echo ==mica-bt==\\n
mica bt
echo ==task==\\n
mica task shell
echo ==end==\\n
"""
    with tempfile.NamedTemporaryFile("w", suffix=".gdb", delete=False) as f:
        f.write(script)
        path = f.name
    try:
        out = subprocess.run(["gdb", "-nx", "-batch", "-x", path], capture_output=True,
                             text=True, timeout=150)
        text = out.stdout + out.stderr
    except subprocess.TimeoutExpired as err:
        text = (err.stdout or b"").decode() if isinstance(err.stdout, bytes) else (err.stdout or "")
        text += "\n(gdb timed out)"
    finally:
        os.unlink(path)
        qemu.kill()
        qemu.wait()
    print(text)
    problems = []
    tasks = text.split("==tasks==")[-1].split("==badge==")[0] if "==tasks==" in text else ""
    rows = {m.group(2): int(m.group(1))
            for m in re.finditer(r"^\s*(\d+)\s+(\S+)\s", tasks, re.M)}
    for name in ("init", "memory", "console", "shell"):
        if name not in rows:
            problems.append(f"mica tasks does not list {name}")
    if not re.search(r"breakpoint at do_write \(0x[0-9a-f]+\), stopping in console only",
                     text):
        problems.append("the breakpoint was not set by name")
    if not re.search(r"^Breakpoint \d+, .*do_write", text, re.M):
        problems.append("the breakpoint on do_write was not hit")
    if not re.search(r"^==write== b'hi\\n'", text, re.M):
        problems.append("the breakpoint did not stop at the shell's echo of `echo hi`")
    badge = re.search(r"==badge==\s*\$\d+ = (0x[0-9a-f]+)", text)
    if not badge or "shell" not in rows or int(badge.group(1), 16) & 0xFFFFFFFF != rows["shell"]:
        problems.append("the write that stopped it was not the shell's")
    bt = text.split("==bt==")[-1].split("==mica-bt==")[0] if "==bt==" in text else ""
    for fn in ("do_write", "server_run"):
        if fn not in bt:
            problems.append(f"gdb's backtrace does not name {fn}")
    mbt = text.split("==mica-bt==")[-1].split("==task==")[0] if "==mica-bt==" in text else ""
    for fn in ("do_write", "handle", "server_run", "main"):
        if f" in {fn}" not in mbt:
            problems.append(f"mica bt does not name {fn}")
    task = text.split("==task==")[-1].split("==end==")[0] if "==task==" in text else ""
    if not re.search(r"task \d+ shell: symbols of .*shell\.elf", task) or " in main" not in task:
        problems.append("mica task shell does not show the shell's stack down to main")
    kbt = text.split("==kernel-bt==")[-1].split("==kernel-end==")[0] \
        if "==kernel-bt==" in text else ""
    if not re.search(r"in sys_debug_write .*\n(.*in syscall_dispatch_locked .*\n)?.*in syscall_dispatch .*\n.*in syscall_frame_built", kbt) \
            or not re.search(r"\(user mode, from its trap frame\):\n.*in mica_raw_syscall", kbt) \
            or " in main + " not in kbt:
        problems.append("mica bt in the kernel does not go through the syscall into user frames")
    for p in problems:
        print(f"FAIL: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
