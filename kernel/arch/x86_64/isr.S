/*
 * Interrupt and exception entry stubs. Every vector has a 16-byte stub at
 * isr_stubs + 16 * vector that makes the stack uniform (a zero where the CPU
 * pushes no error code, SDM Vol. 3A §6.13), pushes the vector number and
 * joins isr_common, which saves the general registers as a struct trap_frame
 * (trap.h) and calls trap_dispatch().
 */
#include "arch/x86_64/frame.inc"

    .text
    .global isr_stubs
    .balign 16
isr_stubs:
    .set vec, 0
    .rept 256
    .balign 16
    /* Vectors with an error code: #DF #TS #NP #SS #GP #PF #AC #CP #VC #SX. */
    .if (vec == 8) || (vec >= 10 && vec <= 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    .else
    pushq $0
    .endif
    pushq $vec
    jmp isr_common
    .set vec, vec + 1
    .endr

isr_common:
    PUSH_GPRS
    /* From ring 3: switch GS to the kernel's per-CPU base (SDM Vol. 2B SWAPGS). */
    testb $3, 18 * 8(%rsp)
    jz 1f
    swapgs
1:  cld
    /* The interrupted code may have been a user copy with SMAP opened
     * (AC set); the handler runs with it closed. IRETQ restores AC. */
    testb $1, smap_enabled(%rip)
    jz 3f
    clac
3:  movq %rsp, %rdi
    /* Frame pointer chain ends here for backtraces: link the interrupted
     * frame so a panic shows where the trap came from. */
    pushq 17 * 8(%rsp)        /* interrupted rip */
    pushq 9 * 8(%rsp)         /* interrupted rbp (slot 8, one push ago) */
    movq %rsp, %rbp
    call trap_dispatch
    addq $16, %rsp
    .global trap_return
trap_return:
    testb $3, 18 * 8(%rsp)
    jz 2f
    swapgs
2:  POP_GPRS
    addq $16, %rsp
    iretq
