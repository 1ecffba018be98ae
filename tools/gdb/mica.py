"""gdb commands for Mica: one session for the kernel and every server.

Loaded by build/mica.gdb (`cmake --build build --target debug`, then
`gdb -x build/mica.gdb` in another terminal); docs/debugging.md walks
through it.

  mica tasks               the kernel's task table: id, name, state, CPU,
                           address space (CR3), threads
  mica task NAME           NAME's symbols (its ELF, at its link addresses),
                           its main thread's user registers and a backtrace
                           of its user stack
  mica break NAME SYMBOL   a breakpoint at SYMBOL of server NAME that stops
                           only when NAME runs there (every server is linked
                           at the same addresses, so the address alone would
                           stop in any of them)
  mica bt                  a backtrace from here through the syscall into the
                           user code of the running task (or, in user mode,
                           of the task's frames)

Every server's code lives at the same virtual addresses, each in its own
address space; QEMU's breakpoints under TCG are checked on the virtual
address, whatever CR3 says, which is what makes `mica break` work.
"""

import os

import gdb

BUILD = os.environ.get("MICA_BUILD", "build")  # set by build/mica.gdb
PHYSMAP = 0xFFFF800000000000
STATES = {0: "free", 1: "ready", 2: "running", 3: "blocked", 4: "dead"}
REASONS = {0: "", 1: "send", 2: "recv", 3: "reply", 4: "notify", 5: "sleep"}
_loaded = {}  # server name -> its ELF, whose symbols gdb has
# Where the kernel is entered from user mode (syscall.S, isr.S, fastpath*.S).
ENTRIES = {"syscall_entry", "syscall_general", "syscall_frame_built", "syscall_frame_built_locked", "isr_common",
           "fast_call", "fast_reply_recv", "fast_yield", "fast_notify_signal",
           "fast_notify_wait", "fast_fallback"}


def _u64(v):
    return int(v) & 0xFFFFFFFFFFFFFFFF


def _tasks():
    """(task value, its name) for every task slot in use."""
    table = gdb.parse_and_eval("tasks")
    count = int(table.type.sizeof // table[0].type.sizeof)
    out = []
    for i in range(count):
        t = table[i]
        if bool(t["used"]):
            out.append((t, t["name"].string()))
    return out


def _task_named(name):
    live = [(t, n) for t, n in _tasks() if n == name and not bool(t["dead"])]
    if not live:
        raise gdb.GdbError(f"no live task named {name!r} (see `mica tasks`)")
    return live[-1][0]


def _cpu_index():
    """The CPU gdb has selected: QEMU's gdbstub gives each CPU a thread, in
    the order the kernel numbers them (arch_cpus[], percpu.c)."""
    try:
        n = gdb.selected_thread().num - 1
    except (AttributeError, gdb.error):
        n = 0
    online = int(gdb.parse_and_eval("arch_cpus_online"))
    return n if 0 <= n < online else 0


def _current_thread():
    return gdb.parse_and_eval(f"arch_cpus[{_cpu_index()}].current")


def _current_task_name():
    th = _current_thread()
    if _u64(th) == 0 or _u64(th["task"]) == 0:
        return "kernel"
    return th["task"]["name"].string()


def _elf_of(name):
    """The ELF a task runs: its module's (crasher-pf runs crasher.elf, ...)."""
    for candidate in (name, name.split("-")[0]):
        path = os.path.join(BUILD, "servers", candidate, candidate + ".elf")
        if os.path.exists(path):
            return path
        path = os.path.join(BUILD, "iso", "boot", candidate + ".elf")
        if os.path.exists(path):
            return path
    raise gdb.GdbError(f"no ELF for {name!r} under {BUILD}")


def _load_symbols(name):
    """Makes NAME's symbols the user-space ones gdb knows (one at a time:
    all servers share their addresses)."""
    elf = _elf_of(name)
    for other, path in list(_loaded.items()):
        if other != name:
            gdb.execute(f"remove-symbol-file {path}", to_string=True)
            del _loaded[other]
    if name not in _loaded:
        gdb.execute(f"add-symbol-file {elf}", to_string=True)
        _loaded[name] = elf
    return elf


def _read_phys(pa, n):
    return bytes(gdb.selected_inferior().read_memory(PHYSMAP + pa, n))


def _q(b, i=0):
    return int.from_bytes(b[i:i + 8], "little")


def _translate(cr3, va):
    """va in the address space whose PML4 is at cr3, through the kernel's
    physical map (SDM Vol. 3A §4.5: 4-level paging); None if unmapped."""
    table = cr3 & ~0xFFF
    for level, shift in enumerate((39, 30, 21, 12)):
        entry = _q(_read_phys(table + ((va >> shift) & 0x1FF) * 8, 8))
        if not entry & 1:
            return None
        if level in (1, 2) and entry & 0x80:  # a 1 GiB or 2 MiB page
            size = 1 << shift
            return (entry & 0x000FFFFFFFFFF000 & ~(size - 1)) | (va & (size - 1))
        table = entry & 0x000FFFFFFFFFF000
    return table | (va & 0xFFF)


def _read_user(cr3, va, n):
    pa = _translate(cr3, va)
    if pa is None:
        return None
    return _read_phys(pa, n)


def _symbol(addr):
    try:
        text = gdb.execute(f"info symbol {addr:#x}", to_string=True).strip()
    except gdb.error:
        return "?"
    return "?" if text.startswith("No symbol") else text.split(" in section")[0]


def _user_backtrace(cr3, rip, rbp, limit=24, rsp=None):
    """Frames of a user stack by its frame-pointer chain (every server is
    built with -fno-omit-frame-pointer). At a function's first instruction
    its frame is not set up yet: its caller is the return address at rsp."""
    frames = [(rip, _symbol(rip))]
    if rsp is not None and " + " not in frames[0][1]:
        words = _read_user(cr3, rsp, 8)
        if words is not None and _q(words):
            frames.append((_q(words), _symbol(_q(words))))
    for _ in range(limit):
        if rbp == 0 or rbp >= 0x800000000000:
            break
        words = _read_user(cr3, rbp, 16)
        if words is None:
            break
        rbp, ret = _q(words), _q(words, 8)
        if ret == 0:
            break
        frames.append((ret, _symbol(ret)))
    return frames


def _user_frame(thread):
    """The user registers a thread left in its trap frame."""
    top = _u64(thread["kstack_top"])
    frame = gdb.parse_and_eval(f"*(struct trap_frame *){top - 22 * 8:#x}")
    return {r: _u64(frame[r]) for r in ("rip", "rsp", "rbp", "rax", "rdi", "rsi")}


class Mica(gdb.Command):
    """Mica commands: mica tasks | mica task NAME | mica break NAME SYMBOL | mica bt"""

    def __init__(self):
        super().__init__("mica", gdb.COMMAND_USER, gdb.COMPLETE_NONE, True)


class MicaTasks(gdb.Command):
    """List the kernel's tasks: id, name, state, CPU, address space."""

    def __init__(self):
        super().__init__("mica tasks", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        print(f"{'id':>4}  {'name':<16} {'state':<14} {'cpu':<4} {'cr3':<12} threads")
        for t, name in _tasks():
            threads = [t["threads"][k] for k in range(8) if _u64(t["threads"][k])]
            main = threads[0] if threads else None
            if bool(t["dead"]):
                state = "dead"
            elif main is not None:
                state = STATES.get(int(main["state"]), "?")
                reason = REASONS.get(int(main["reason"]), "")
                state += f" ({reason})" if reason and state == "blocked" else ""
            else:
                state = "?"
            running = [int(th["cpu"]) for th in threads if int(th["state"]) == 2]
            cpu = ",".join(str(c) for c in running) if running else "-"
            print(f"{int(t['id']):>4}  {name:<16} {state:<14} {cpu:<4} "
                  f"{_u64(t['vm']):#012x} {len(threads)}")


class MicaTask(gdb.Command):
    """mica task NAME: its symbols, its user registers, its user stack."""

    def __init__(self):
        super().__init__("mica task", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        name = arg.strip()
        t = _task_named(name)
        elf = _load_symbols(name)
        main = t["threads"][0]
        regs = _user_frame(main)
        if _u64(_current_thread()) == _u64(main) and int(gdb.parse_and_eval("$cs")) & 3:
            regs = {r: _u64(gdb.parse_and_eval("$" + r)) for r in regs}
        print(f"task {int(t['id'])} {name}: symbols of {elf}")
        print("  " + "  ".join(f"{r}={v:#x}" for r, v in regs.items()))
        for i, (addr, sym) in enumerate(_user_backtrace(_u64(t["vm"]), regs["rip"],
                                                        regs["rbp"], rsp=regs["rsp"])):
            print(f"  #{i} {addr:#018x} in {sym}")


class TaskBreakpoint(gdb.Breakpoint):
    """Stops only when the named task is the one running."""

    def __init__(self, spec, task):
        super().__init__(spec, gdb.BP_BREAKPOINT, internal=False)
        self.mica_task = task

    def stop(self):
        return _current_task_name() == self.mica_task


class MicaBreak(gdb.Command):
    """mica break NAME SYMBOL: break at SYMBOL of server NAME, in NAME only."""

    def __init__(self):
        super().__init__("mica break", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        parts = arg.split()
        if len(parts) != 2:
            raise gdb.GdbError("usage: mica break NAME SYMBOL")
        name, symbol = parts
        _load_symbols(name)
        addr = int(gdb.parse_and_eval(f"(unsigned long)&{symbol}"))
        TaskBreakpoint(f"*{addr:#x}", name)
        print(f"breakpoint at {symbol} ({addr:#x}), stopping in {name} only")


class MicaBt(gdb.Command):
    """mica bt: the kernel frames (if in the kernel) and the running task's
    user frames below them, through its trap frame."""

    def __init__(self):
        super().__init__("mica bt", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        name = _current_task_name()
        in_user = int(gdb.parse_and_eval("$cs")) & 3 == 3
        if name != "kernel":
            _load_symbols(name)
        if not in_user:
            print("kernel:")
            frame, i = gdb.newest_frame(), 0
            while frame is not None and i < 32:
                fn = frame.name() or "??"
                sal = frame.find_sal()
                where = f" at {sal.symtab.filename}:{sal.line}" if sal.symtab else ""
                print(f"  #{i} {frame.pc():#018x} in {fn}{where}")
                if fn in ENTRIES:  # below it is user state, not kernel frames
                    break
                frame, i = frame.older(), i + 1
            if name == "kernel":
                return
            regs = _user_frame(_current_thread())
            print(f"{name} (user mode, from its trap frame):")
        else:
            regs = {r: _u64(gdb.parse_and_eval("$" + r)) for r in ("rip", "rbp", "rsp")}
            print(f"{name} (user mode):")
        cr3 = _u64(_current_thread()["task"]["vm"])
        frames = _user_backtrace(cr3, regs["rip"], regs["rbp"], rsp=regs["rsp"])
        for i, (addr, sym) in enumerate(frames):
            print(f"  #{i} {addr:#018x} in {sym}")


Mica()
MicaTasks()
MicaTask()
MicaBreak()
MicaBt()
