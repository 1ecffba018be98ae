/*
 * Interrupt and exception entry stubs. Every vector has a stub at
 * isr_stubs + ISR_STUB_SIZE * vector (trap.h) that makes the stack uniform
 * (a zero where the CPU pushes no error code, SDM Vol. 3A §6.13), pushes
 * the vector number and joins isr_common, which saves the general
 * registers as a struct trap_frame (trap.h) and calls trap_dispatch().
 *
 * The way back to user mode, trap_return, is safe for any saved user
 * state. A user rip outside the user half never reaches IRETQ, which would
 * raise #GP(0) in ring 0 for a non-canonical one (SDM Vol. 2A, IRET,
 * "64-Bit Mode Exceptions"): trap_refuse_return ends the task instead. The
 * selectors in the frame are the kernel's own or the CPU's copy of the
 * user's (a task can load only the user selectors), and IA32_FMASK keeps
 * RFLAGS.NT off in the kernel (thread.c), so IRETQ has nothing else to
 * refuse; should it fault all the same, the fault is taken in ring 0 at
 * user_iret with the user's GS (SDM Vol. 3A §6.14.2: no stack switch),
 * which isr_common recognises, and trap.c turns it into the end of the
 * task, never a panic.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/frame.inc"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/trap.h"

    .text
    .global isr_stubs
    .balign ISR_STUB_SIZE
isr_stubs:
    .set vec, 0
    .rept ISR_VECTORS
    /* where the IDT looks; the assembler refuses it if a stub ran longer */
    .org isr_stubs + vec * ISR_STUB_SIZE, 0xcc
    /* Vectors with an error code: #DF #TS #NP #SS #GP #PF #AC #CP #VC #SX. */
    .if (vec == 8) || (vec >= 10 && vec <= 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    .else
    pushq $0
    .endif
    pushq $vec
    .if vec == VEC_DB
    jmp isr_debug
    .elseif vec == VEC_NMI
    jmp isr_nmi
    .elseif vec == VEC_DF
    jmp isr_double_fault
    .else
    jmp isr_common
    .endif
    .set vec, vec + 1
    .endr

isr_common:
    PUSH_GPRS
    /* Switch GS to the kernel's per-CPU base (SDM Vol. 2B, SWAPGS) when the
     * user's is loaded: coming from ring 3, or from the IRETQ at
     * user_iret, which runs after trap_return's swapgs. */
    testb $3, FRAME_CS(%rsp)
    jnz 0f
    leaq user_iret(%rip), %rax
    cmpq %rax, FRAME_RIP(%rsp)
    jne 1f
0:  swapgs
1:  cld
    /* The interrupted code may have been a user copy with SMAP opened
     * (AC set); the handler runs with it closed. IRETQ restores AC. */
    testb $1, smap_enabled(%rip)
    jz 3f
    clac
3:  movq %rsp, %rdi
    /* Frame pointer chain ends here for backtraces: link the interrupted
     * frame so a panic shows where the trap came from. */
    pushq FRAME_RIP(%rsp)     /* interrupted rip */
    pushq FRAME_RBP + 8(%rsp) /* interrupted rbp (one push ago) */
    movq %rsp, %rbp
    call trap_dispatch
    addq $16, %rsp
    .global trap_return
trap_return:
    testb $3, FRAME_CS(%rsp)
    jz 2f
    movq $USER_TOP, %rax
    cmpq %rax, FRAME_RIP(%rsp)
    ja user_return_refused
    movl $0, kernel_lock(%rip)  /* sched/lock.h: the last store in the kernel */
    swapgs
    POP_GPRS
    addq $16, %rsp
    .global user_iret
user_iret:
    iretq
2:  POP_GPRS
    addq $16, %rsp
    iretq

/* Calls `handler` with the frame and GS the kernel's, whatever CS says:
 * swapgs unless IA32_GS_BASE holds a kernel-half address already, and the
 * same swapgs again on the way back, which is IRETQ to where the trap came
 * from. rbx (kept by the call) remembers the swap. */
.macro PARANOID_CALL handler
    PUSH_GPRS
    cld
    testb $1, smap_enabled(%rip)
    jz 1f
    clac
1:  xorl %ebx, %ebx
    movl $MSR_GS_BASE, %ecx
    rdmsr
    testl %edx, %edx
    js 2f
    swapgs
    movl $1, %ebx
2:  movq %rsp, %rdi
    call \handler
    testl %ebx, %ebx
    jz 3f
    swapgs
3:  POP_GPRS
    addq $16, %rsp
    iretq
.endm

/*
 * #DB, on its own IST stack (idt.c). A task can make a debug trap arrive
 * in ring 0: with TF set by popf, the single-step trap comes after the
 * next instruction; if that is a mov ss or pop ss, its shadow (SDM Vol. 3A
 * §6.8.3) carries the trap over the one after, and if that one is a
 * syscall (or an int n through a gate ring 3 may use: Mica has none), the
 * trap is taken on the first instruction of the kernel's entry
 * (CVE-2018-8897): CS is the kernel's but GS is still the user's, and
 * after a syscall rsp is too, whatever the task left in it. Without its
 * own stack the CPU would push the #DB frame at that rsp, anywhere in the
 * kernel the task chose; without the check below the handler would run
 * with the task's GS as its per-CPU block.
 *
 * From ring 3 the trap is an ordinary one (a task single-stepping): the
 * frame moves from the IST stack to the thread's kernel stack, where the
 * CPU would have put it (rsp0, the same as CPU_KERNEL_RSP), and goes on
 * through isr_common as any trap from user mode, which may block or
 * switch threads there. CPU_USER_RSP is syscall_entry's scratch slot,
 * free here (interrupts are off, and no NMI handler uses it).
 *
 * From ring 0 it is one of those carried-over traps (the kernel sets no
 * breakpoint and never runs with TF): GS is the kernel's if IA32_GS_BASE
 * holds a kernel-half address (a task's GS base is always 0: thread.c),
 * else swapgs, and the same again on the way out; trap_kernel_debug checks
 * that the trap is what it must be and drops it. The entry then goes on
 * as if nothing had happened; the task's TF, saved in its rflags, traps
 * after its next instruction in user mode.
 */
isr_debug:
    testb $3, FRAME_CS - FRAME_VECTOR(%rsp)
    jz 1f
    swapgs
    movq %rax, %gs:CPU_USER_RSP
    movq %rsp, %rax
    movq %gs:CPU_KERNEL_RSP, %rsp
    pushq FRAME_SIZE - FRAME_VECTOR - 8(%rax)      /* ss */
    pushq FRAME_RSP - FRAME_VECTOR(%rax)
    pushq FRAME_RFLAGS - FRAME_VECTOR(%rax)
    pushq FRAME_CS - FRAME_VECTOR(%rax)
    pushq FRAME_RIP - FRAME_VECTOR(%rax)
    pushq $0
    pushq $VEC_DB
    movq %gs:CPU_USER_RSP, %rax
    swapgs
    jmp isr_common
1:  PARANOID_CALL trap_kernel_debug

/* NMI, on its own IST stack (idt.c): it can arrive anywhere, also where
 * CS and GS disagree (the first instruction of an entry, between the
 * exit's swapgs and its SYSRET or IRETQ), and never blocks or switches
 * threads: trap_nmi counts it, the timer tick reports it. */
isr_nmi:
    PARANOID_CALL trap_nmi

/* #DF, on its own IST stack: the panic report, with the kernel's GS even
 * if the fault it could not deliver came where CS and GS disagree. */
isr_double_fault:
    PARANOID_CALL trap_double_fault

    /* From here and syscall.S: rsp = a frame whose user rip lies outside
     * the user half, GS = the kernel's. */
    .global user_return_refused
user_return_refused:
    movq %rsp, %rdi
    call trap_refuse_return
    ud2
