/*
 * Thread state on x86_64: the initial kernel stack of a new thread, the
 * MSR setup for SYSCALL/SYSRET
 * (SDM Vol. 3A §5.8.8), and the accessors generic code uses to read syscall
 * arguments and write results in a struct trap_frame.
 */
#include <mica/abi.h>

#include "arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/trap.h"

extern char syscall_entry[], thread_first_entry[];

#define RFLAGS_IF       (1ull << 9)
#define RFLAGS_RESERVED (1ull << 1)
/* FMASK: the rflags bits SYSCALL clears for the kernel (SDM Vol. 2B,
 * SYSCALL): IF (no interrupts until the frame is built), DF, TF, AC, and
 * NT and IOPL, which would otherwise stay as the user left them. A task
 * may set NT with POPF, and IRETQ with NT set raises #GP(0) in 64-bit mode
 * (SDM Vol. 2A, IRET): every IRETQ of the kernel — this thread's, or that
 * of the thread it switches to — would fault in ring 0. */
#define RFLAGS_TF   (1ull << 8)
#define RFLAGS_DF   (1ull << 10)
#define RFLAGS_IOPL (3ull << 12)
#define RFLAGS_NT   (1ull << 14)
#define RFLAGS_AC   (1ull << 18)
#define SYSCALL_FMASK                                                                    \
    (RFLAGS_IF | RFLAGS_TF | RFLAGS_DF | RFLAGS_IOPL | RFLAGS_NT | RFLAGS_AC)

void syscall_init(void)
{
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    /* STAR[47:32] = kernel CS (SS = +8); STAR[63:48] + 16 = user CS, + 8 =
     * user SS (SDM Vol. 2B, SYSRET), which gdt.c's order satisfies. */
    wrmsr(MSR_STAR, ((uint64_t)(SEL_UDATA - 8 - 3) << 48) | ((uint64_t)SEL_KCODE << 32));
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    wrmsr(MSR_FMASK, SYSCALL_FMASK);
    wrmsr(MSR_KERNEL_GS_BASE, 0); /* GS_BASE is the per-CPU block (percpu.c) */
}

uint64_t arch_thread_prepare(uint64_t kstack_top, uint64_t entry, uint64_t user_rsp,
                             uint64_t arg)
{
    struct trap_frame *f = (struct trap_frame *)(kstack_top - sizeof(*f));
    *f = (struct trap_frame){
        .rdi = arg,
        .rip = entry,
        .cs = SEL_UCODE,
        .rflags = RFLAGS_IF | RFLAGS_RESERVED,
        .rsp = user_rsp,
        .ss = SEL_UDATA,
    };
    /* Below the frame: what arch_switch pops (six callee-saved registers)
     * and returns to. */
    uint64_t *sp = (uint64_t *)f;
    *--sp = (uint64_t)thread_first_entry;
    for (int i = 0; i < 6; i++)
        *--sp = 0;
    return (uint64_t)sp;
}

extern char fast_resume[];

uint64_t arch_resume_sp(uint64_t kstack_top)
{
    /* What arch_switch pops (six callee-saved registers, unused) and
     * returns to, below the frame, as arch_thread_prepare lays out. */
    uint64_t *sp = (uint64_t *)(kstack_top - sizeof(struct trap_frame));
    *--sp = (uint64_t)fast_resume;
    return (uint64_t)(sp - 6);
}

size_t arch_trap_frame_size(void)
{
    return sizeof(struct trap_frame);
}

void arch_thread_set_arg2(struct trap_frame *f, uint64_t v)
{
    f->rsi = v;
}

uint64_t arch_syscall_number(const struct trap_frame *f)
{
    return f->rax;
}

uint64_t arch_syscall_arg(const struct trap_frame *f, int i)
{
    switch (i) {
    case 0:
        return f->rdi;
    case 1:
        return f->rsi;
    case 2:
        return f->rdx;
    case 3:
        return f->r10;
    case 4:
        return f->r8;
    case 5:
        return f->r9;
    default:
        return f->r12;
    }
}

void arch_syscall_set_status(struct trap_frame *f, int64_t status)
{
    f->rax = (uint64_t)status;
}

void arch_syscall_set_second(struct trap_frame *f, uint64_t value)
{
    f->rdi = value;
}

int64_t arch_syscall_status(const struct trap_frame *f)
{
    return (int64_t)f->rax;
}

void arch_msg_from_frame(const struct trap_frame *f, struct mica_msg *m)
{
    m->info = f->rsi;
    m->w[0] = f->rdx;
    m->w[1] = f->r10;
    m->w[2] = f->r8;
    m->w[3] = f->r9;
}

void arch_msg_to_frame(struct trap_frame *f, uint64_t badge, const struct mica_msg *m)
{
    f->rdi = badge;
    f->rsi = m->info;
    f->rdx = m->w[0];
    f->r10 = m->w[1];
    f->r8 = m->w[2];
    f->r9 = m->w[3];
}
