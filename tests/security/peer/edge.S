/*
 * The peer's edge code (tests/security/sec.h, enum sec_edge): the last page
 * of the user half, 0x00007ffffffff000, linked there by peer.ld, ends in
 * an instruction after which rip is 0x0000800000000000, the first
 * non-canonical address. Returning to that rip with SYSRET faults in ring
 * 0 on Intel CPUs, and so does IRETQ (SDM Vol. 2A, IRET: #GP(0) for a
 * non-canonical return rip): the kernel must instead end the task with a
 * fault line. The peer jumps here on CMD_EDGE and never comes back.
 *
 *   secpeer  ... popfq; mov %ecx, %ss; syscall      (SEC_EDGE_NOP undefined)
 *   secedge  ... popfq; nop                         (SEC_EDGE_NOP defined)
 *
 * popfq may set TF: the single-step trap comes after the instruction
 * following popfq (SDM Vol. 3B §18.3.1.4), and mov ss delays it by one more
 * instruction (the shadow, SDM Vol. 3A §6.8.3), so with TF set the syscall
 * is entered with a debug trap pending: CVE-2018-8897's way of taking #DB
 * in ring 0 on the kernel's first instruction with the user's GS.
 *
 * The middle-of-the-text variants do the same away from the edge.
 */
#define SYS_YIELD         1
#define SYS_CALL          5
#define SYS_NOTIFY_SIGNAL 8
#define SYS_NOTIFY_WAIT   9
#define RFLAGS_TF         0x100
#define SEC_KERNEL_RSP    0xffffffff80101000 /* sec.h */

    .section .edge, "ax"
edge_start:
    .globl edge_syscall
edge_syscall:
#ifndef SEC_EDGE_NOP
    movl $SYS_YIELD, %eax
    jmp edge_last
#else
    ud2
#endif

    /* rdi = a notification nobody signals: the wait ends by the timer. */
    .globl edge_syscall_wait
edge_syscall_wait:
#ifndef SEC_EDGE_NOP
    movl $SYS_NOTIFY_WAIT, %eax
    movl $30, %r12d
    jmp edge_last
#else
    ud2
#endif

    /* rdi = an endpoint our server thread answers: the reply comes by
     * the fast path (fastpath.S), which must refuse the return too. */
    .globl edge_call
edge_call:
#ifndef SEC_EDGE_NOP
    movl $SYS_CALL, %eax
    xorl %esi, %esi       /* info: label 0, no words, no handle */
    movq $2000, %r12      /* timeout, ms */
    jmp edge_last
#else
    ud2
#endif

    /* rdi = our notification: the signal's fast path (fastpath_sched.S)
     * returns to its caller at once. */
    .globl edge_signal
edge_signal:
#ifndef SEC_EDGE_NOP
    movl $SYS_NOTIFY_SIGNAL, %eax
    movl $1, %esi
    jmp edge_last
#else
    ud2
#endif

    .globl edge_movss_tf
edge_movss_tf:
#ifndef SEC_EDGE_NOP
    movl $SYS_YIELD, %eax
    movl %ss, %ecx
    pushfq
    orq $RFLAGS_TF, (%rsp)
    jmp edge_tail
#else
    ud2
#endif

    .globl edge_movss
edge_movss:
#ifndef SEC_EDGE_NOP
    movl $SYS_YIELD, %eax
    movl %ss, %ecx
    pushfq
    jmp edge_tail
#else
    ud2
#endif

    .globl edge_fall_off
edge_fall_off:
#ifdef SEC_EDGE_NOP
    jmp edge_last
#else
    ud2
#endif

    .globl edge_tf_last
edge_tf_last:
#ifdef SEC_EDGE_NOP
    pushfq
    orq $RFLAGS_TF, (%rsp)
    jmp edge_tail
#else
    ud2
#endif

#ifndef SEC_EDGE_NOP
    .org edge_start + 0xffb, 0xcc
edge_tail:
    popfq                 /* 1 byte */
    movl %ecx, %ss        /* 2 bytes */
edge_last:
    syscall               /* 2 bytes: the next rip is 0x0000800000000000 */
#else
    .org edge_start + 0xffe, 0xcc
edge_tail:
    popfq                 /* 1 byte */
edge_last:
    nop                   /* 1 byte: the next rip is 0x0000800000000000 */
#endif
    /* peer.ld asserts that this section is exactly one page. */

    .text
    /* TF set, then a syscall: the kernel runs with the trap pending (or
     * not, as the CPU has it); back in user mode the nop traps (#DB) and
     * the task is killed. */
    .globl edge_tf_syscall
edge_tf_syscall:
    pushfq
    orq $RFLAGS_TF, (%rsp)
    movl $SYS_YIELD, %eax
    popfq
    syscall
    nop
1:  jmp 1b

    /* The same behind a mov ss shadow. */
    .globl edge_movss_tf_mid
edge_movss_tf_mid:
    movl %ss, %ecx
    pushfq
    orq $RFLAGS_TF, (%rsp)
    movl $SYS_YIELD, %eax
    popfq
    movl %ecx, %ss
    syscall
    nop
1:  jmp 1b

    /* CVE-2018-8897 with the stack pointer aimed at the kernel: IRETQ sets
     * TF and rsp at once (the trap comes after the instruction after it,
     * the mov ss, whose shadow carries it over the syscall), so the
     * kernel's entry starts with a debug trap pending and rsp in the
     * kernel's text, where a #DB frame pushed without a stack switch would
     * land (or fault, killing the kernel). Back in user mode, TF traps
     * after the nop and the task is killed. */
    .globl edge_movss_tf_krsp
edge_movss_tf_krsp:
    movl %ss, %ecx
    movabsq $SEC_KERNEL_RSP, %rdx
    leaq 2f(%rip), %rsi
    pushq %rcx            /* ss */
    pushq %rdx            /* rsp */
    pushfq
    orq $RFLAGS_TF, (%rsp)
    movl %cs, %edi
    pushq %rdi            /* cs */
    pushq %rsi            /* rip */
    movl $SYS_YIELD, %eax
    iretq
2:  movl %ecx, %ss
    syscall
    nop
1:  jmp 1b

    .section .note.GNU-stack, "", @progbits
