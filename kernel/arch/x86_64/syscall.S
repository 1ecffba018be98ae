/*
 * The `syscall` entry (SDM Vol. 2B, SYSCALL): the CPU saved the user rip in
 * rcx and rflags in r11, masked rflags with IA32_FMASK (IF, TF, DF, AC, NT
 * off: thread.c) and loaded the kernel CS/SS from STAR, but left rsp as
 * the user's. swapgs brings in the per-CPU block (struct cpu in thread.c),
 * which holds the kernel stack top, then the same struct trap_frame as an
 * interrupt is built, so that scheduling and fault handling see one kind of
 * saved state.
 *
 * The way back restores every register from the frame (so a syscall that
 * blocks and resumes later, or whose results IPC wrote into the frame,
 * needs nothing special) and leaves with SYSRET, which is much cheaper than
 * IRETQ. SYSRET with a non-canonical rcx raises #GP(0) in ring 0 on Intel
 * CPUs, after the user's stack pointer has been loaded here (SDM Vol. 2B,
 * SYSRET, "Protected Mode Exceptions"); IRETQ to a non-canonical rip
 * faults in ring 0 as well (SDM Vol. 2A, IRET, "64-Bit Mode Exceptions").
 * The user rip is whatever follows the `syscall` the task ran, so a
 * `syscall` as the last instruction of the user half returns to
 * 0x0000800000000000: such a return takes neither instruction, and the
 * task ends with a fault line (trap_refuse_return). SYSRET checks nothing
 * else that a task controls: rsp is loaded as it is (a bad one faults in
 * ring 3, at the task's first push), and rflags come from r11 masked with
 * 0x3c7fd7, so IOPL, VM and RF cannot be set through it.
 */
#include "arch/x86_64/fastpath.h"
#include "arch/x86_64/frame.inc"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/percpu.h"

    .text
    .global syscall_entry
syscall_entry:
    swapgs
    /* A number past the table is refused here, before any frame
     * (registers untouched but rax), unless the return address needs the
     * general path's check. The others go where syscall_entries says:
     * CALL and REPLY_RECV to the fast path (fastpath.S), which builds
     * the frame itself if it must fall back, the rest on to the general
     * path below. */
    cmpq $NR_COUNT, %rax
    jae bad_number
    jmp *syscall_entries(, %rax, 8)
    .global syscall_general
syscall_general:
    movq %rsp, %gs:CPU_USER_RSP
    movq %gs:CPU_KERNEL_RSP, %rsp
    pushq $SEL_UDATA
    pushq %gs:CPU_USER_RSP
    pushq %r11
    pushq $SEL_UCODE
    pushq %rcx
    pushq $0
    pushq $FRAME_SYSCALL_VECTOR
    PUSH_GPRS
    .global syscall_frame_built
syscall_frame_built:
    cld
    movq %rsp, %rdi
    xorl %ebp, %ebp
    call syscall_dispatch
    jmp syscall_return

    /* A fast path that fell back holding the kernel lock. */
    .global syscall_frame_built_locked
syscall_frame_built_locked:
    cld
    movq %rsp, %rdi
    xorl %ebp, %ebp
    call syscall_dispatch_locked

    .global syscall_return
syscall_return:
    movq FRAME_RIP(%rsp), %rcx
    movq $USER_TOP, %rax
    cmpq %rax, %rcx
    ja user_return_refused
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    addq $8, %rsp /* rcx: the user rip goes there below */
    popq %rbx
    popq %rax
    addq $16, %rsp /* vector, error code */
    movq (%rsp), %rcx     /* rip */
    movq 16(%rsp), %r11   /* rflags */
    movq 24(%rsp), %rsp   /* user stack; interrupts stay off until SYSRET */
    movl $0, kernel_lock(%rip) /* sched/lock.h: the last store in the kernel */
    swapgs
    sysretq

bad_number:
    movabsq $USER_TOP, %rax
    cmpq %rax, %rcx
    ja 1f
    movq $STATUS_ENOSYS, %rax
    swapgs
    sysretq
1:  movq $NR_COUNT, %rax  /* the number was past the table too */
    jmp syscall_general
