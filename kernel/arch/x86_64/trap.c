/*
 * trap_dispatch(): where every interrupt and exception lands. Device vectors
 * go to their registered handler; an exception in user mode goes to the
 * generic fault code (task/fault.c: the pager for a page fault, else the
 * end of the task); an exception in the kernel is a broken invariant and
 * ends in a full report (vector, error code, RIP, CR2, the registers and a
 * backtrace) on serial and screen. Two kernel faults are the user's doing
 * and end only the task: a bad pointer in a user copy (uaccess.S), and
 * IRETQ refusing a user frame (isr.S).
 */
#include "arch/x86_64/trap.h"

#include <mica/abi.h>

#include "arch.h"
#include "arch/x86_64/backtrace.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/percpu.h"
#include "kernel.h"
#include "lib/klog.h"
#include "arch/x86_64/pic.h"
#include "task/fault.h"
#include "sched/lock.h"
#include "task/task.h"

static irq_handler_fn handlers[256];

static const char *const exception_names[32] = {"#DE divide error",
                                                "#DB debug",
                                                "NMI",
                                                "#BP breakpoint",
                                                "#OF overflow",
                                                "#BR bound range",
                                                "#UD invalid opcode",
                                                "#NM device not available",
                                                "#DF double fault",
                                                "coprocessor segment overrun",
                                                "#TS invalid TSS",
                                                "#NP segment not present",
                                                "#SS stack-segment fault",
                                                "#GP general protection",
                                                "#PF page fault",
                                                "reserved 15",
                                                "#MF x87 floating-point",
                                                "#AC alignment check",
                                                "#MC machine check",
                                                "#XM SIMD floating-point",
                                                "#VE virtualization",
                                                "#CP control protection",
                                                "reserved 22",
                                                "reserved 23",
                                                "reserved 24",
                                                "reserved 25",
                                                "reserved 26",
                                                "reserved 27",
                                                "#HV hypervisor injection",
                                                "#VC VMM communication",
                                                "#SX security",
                                                "reserved 31"};

void trap_set_handler(uint8_t vector, irq_handler_fn fn)
{
    handlers[vector] = fn;
}

static void dump_registers(const struct trap_frame *f)
{
    kprintf("  rip=%016llx cs=%04llx rflags=%016llx\n", (unsigned long long)f->rip,
            (unsigned long long)f->cs, (unsigned long long)f->rflags);
    kprintf("  rsp=%016llx ss=%04llx cr2=%016llx cr3=%016llx\n",
            (unsigned long long)f->rsp, (unsigned long long)f->ss,
            (unsigned long long)read_cr2(), (unsigned long long)read_cr3());
    const uint64_t *r = &f->r15;
    static const char *const names[15] = {"r15", "r14", "r13", "r12", "r11",
                                          "r10", "r9",  "r8",  "rbp", "rdi",
                                          "rsi", "rdx", "rcx", "rbx", "rax"};
    for (int i = 14; i >= 0; i--)
        kprintf("  %-3s=%016llx%s", names[i], (unsigned long long)r[i],
                (i % 3 == 0) ? "\n" : "");
}

__attribute__((noreturn)) static void kernel_exception(struct trap_frame *f)
{
    const char *what = exception_names[f->vector];
    uint64_t cr2 = read_cr2();
    console_reclaim_screen();
    klog_take_back();
    if ((f->vector == VEC_PF || f->vector == VEC_DF) && backtrace_is_stack_guard(cr2))
        kprintf("PANIC: kernel stack overflow (guard page %#llx hit), %s\n",
                (unsigned long long)cr2, what);
    else
        kprintf("PANIC: kernel exception %s\n", what);
    kprintf("  vector=%llu error=%#llx rip=%#llx cr2=%#llx\n",
            (unsigned long long)f->vector, (unsigned long long)f->error,
            (unsigned long long)f->rip, (unsigned long long)cr2);
    dump_registers(f);
    backtrace_print(f->rip, f->rbp);
    arch_halt();
}

/* #NM: loads `area` (the running thread's) into the FPU (fpu.c). */
bool fpu_trap(void *area);
extern char uaccess_copy_start[], uaccess_copy_end[], uaccess_fixup[];
extern char user_iret[];

/* The page-fault error code (SDM Vol. 3A §4.7: P, W/R, U/S, I/D in bits
 * 0, 1, 2, 4) in the ABI's arch-neutral MICA_FAULT_* bits, which the
 * pager gets. */
static uint64_t fault_bits(uint64_t error)
{
    return ((error & (1u << 0)) ? MICA_FAULT_PRESENT : 0) |
           ((error & (1u << 1)) ? MICA_FAULT_WRITE : 0) |
           ((error & (1u << 2)) ? MICA_FAULT_USER : 0) |
           ((error & (1u << 4)) ? MICA_FAULT_EXEC : 0);
}

/* A fault inside the user-copy routine is the user's bad pointer, not a
 * kernel bug: resume at the fixup, which returns an error. */
static bool uaccess_fault(struct trap_frame *f)
{
    if (f->vector != VEC_PF && f->vector != VEC_GP)
        return false;
    if (f->rip < (uint64_t)uaccess_copy_start || f->rip > (uint64_t)uaccess_copy_end)
        return false;
    /* A page the task's pager backs lazily: let the pager map it, as if
     * the task itself had touched it (U bit set), then redo the copy. */
    /* rip 0: the kernel's own addresses are not the pager's business. */
    if (f->vector == VEC_PF &&
        task_resolve_fault(read_cr2(), fault_bits(f->error) | MICA_FAULT_USER, 0))
        return true;
    f->rip = (uint64_t)uaccess_fixup;
    return true;
}

/* The frame IRETQ pops (SDM Vol. 3A §6.14.2, figure 6-9). */
struct iret_frame {
    uint64_t rip, cs, rflags, rsp, ss;
};

/* IRETQ back to user mode faulted (#GP, #NP or #SS: SDM Vol. 2A, IRET,
 * "64-Bit Mode Exceptions"). That is the returning task's state, not the
 * kernel's: the fault arrived in ring 0 with rsp at the frame IRETQ was
 * popping, and isr.S has loaded the kernel's GS again. The task ends as if
 * it had faulted at the rip it was returning to. */
static void user_iret_fault(const struct trap_frame *f)
{
    bool iret_can_raise =
        f->vector == VEC_GP || f->vector == VEC_NP || f->vector == VEC_SS;
    if (f->rip != (uint64_t)user_iret || !iret_can_raise)
        return;
    const struct iret_frame *user = (const struct iret_frame *)f->rsp;
    task_fault((unsigned)f->vector, user->rip, 0, f->error);
}

void trap_refuse_return(struct trap_frame *f)
{
    /* The way back may come from a fast path of fastpath_sched.S, which
     * holds the kernel lock without having waited for the IPC fast paths
     * of other CPUs (sched/lock.h): ending the task touches what they do. */
    arch_fast_paths_wait();
    /* What SYSRET or IRETQ would have raised for this rip. */
    task_fault(VEC_GP, f->rip, 0, 0);
}

/* The same from an IPC fast path, which holds no kernel lock. */
void fast_refuse_return(struct trap_frame *f)
{
    kernel_lock_acquire();
    trap_refuse_return(f);
}

extern char syscall_entry[], isr_stubs[];

/* Whether rip is the first instruction of a way into the kernel: the
 * syscall entry or an interrupt stub (isr.S). */
static bool kernel_entry_start(uint64_t rip)
{
    uint64_t stubs = (uint64_t)isr_stubs;
    if (rip == (uint64_t)syscall_entry)
        return true;
    return rip >= stubs && rip < stubs + ISR_VECTORS * ISR_STUB_SIZE &&
           (rip - stubs) % ISR_STUB_SIZE == 0;
}

/* #DB in ring 0, from isr.S (isr_debug, on its IST stack, GS the kernel's
 * by now): a task's single-step trap carried into the kernel by a mov ss
 * or pop ss shadow, on the first instruction of an entry. It is dropped:
 * the entry goes on as if it had not come (TF is clear in the kernel:
 * FMASK, interrupt gates). Any other #DB in ring 0 is a kernel bug. */
void trap_kernel_debug(struct trap_frame *f)
{
    uint64_t dr6 = read_dr6();
    write_dr6(DR6_CLEAR); /* the CPU never clears it (SDM Vol. 3B §18.2.3) */
    if ((dr6 & DR6_BS) && kernel_entry_start(f->rip))
        return;
    kernel_exception(f);
}

/* A double fault is never the task's (SDM Vol. 3A §6.15, interrupt 8: an
 * abort): the kernel could not deliver a fault, on a stack run out (the
 * guard page) or worse. GS is the kernel's whatever the first fault hit. */
void trap_double_fault(struct trap_frame *f)
{
    kernel_exception(f);
}

/* An NMI: a watchdog, a hypervisor's "inject NMI", a chipset's error
 * signal. It may have interrupted anything, the kernel lock's holder or
 * kprintf among them, so it only counts; the task it interrupted goes on
 * (before, an NMI in ring 3 killed it and one in ring 0 was a panic). */
void trap_nmi(struct trap_frame *f)
{
    (void)f;
    struct cpu *c = this_cpu();
    __atomic_store_n(&c->nmis, c->nmis + 1, __ATOMIC_RELAXED);
}

void trap_nmi_report(void)
{
    struct cpu *c = this_cpu();
    uint32_t n = __atomic_load_n(&c->nmis, __ATOMIC_RELAXED);
    if (n == c->nmis_reported)
        return;
    c->nmis_reported = n;
    kprintf("mica: nmi cpu=%u count=%u\n", c->id, n);
}

static void trap_handle(struct trap_frame *f)
{
    if (f->vector < 32) {
        if (f->vector == VEC_NM && (f->cs & 3) &&
            fpu_trap(thread_fpu_area(thread_current())))
            return; /* lazy FPU switch (fpu.c) */
        if ((f->cs & 3) == 0) {
            if (uaccess_fault(f))
                return;
            user_iret_fault(f);
            kernel_exception(f);
        }
        if (f->vector == VEC_PF)
            task_page_fault((unsigned)f->vector, f->rip, read_cr2(),
                            fault_bits(f->error));
        else
            task_fault((unsigned)f->vector, f->rip, 0, f->error);
        return;
    }
    if (f->vector >= VEC_PIC_BASE && f->vector < VEC_PIC_BASE + 16) {
        pic_irq((unsigned)f->vector - VEC_PIC_BASE);
        return;
    }
    if (handlers[f->vector]) {
        handlers[f->vector](f);
        return;
    }
    if (f->vector != VEC_SPURIOUS)
        kprintf("mica: unexpected interrupt vector=%llu\n",
                (unsigned long long)f->vector);
}

/* The kernel lock around the handler (sched/lock.h): from user mode it is
 * taken here and given back on the way out (isr.S trap_return); in the
 * idle thread's wait (arch_idle_loop) it is taken and given back here; a
 * trap from the kernel otherwise (an exception in a syscall: a user copy)
 * comes with it held. The holder's requests are served first, without it:
 * the holder waits for them. */
void trap_dispatch(struct trap_frame *f)
{
    struct cpu *c = this_cpu();
    bool user = (f->cs & 3) != 0;
    bool idle = !user && c->idle_window;
    if (f->vector == VEC_IPI_REQUEST) {
        lapic_eoi();
        arch_cpu_poll();
        if (!user)
            return;
    }
    if (user) {
        kernel_enter();
    } else if (idle) {
        c->idle_window = false;
        kernel_lock_acquire();
    }
    trap_handle(f);
    if (idle) {
        c->idle_window = true;
        kernel_lock_release();
    }
}
