/*
 * The IPC fast path: CALL and REPLY_RECV taken straight from the syscall
 * entry (syscall.S jumps here, through its table syscall_entries, before
 * it builds a trap frame; YIELD and the notifications have theirs in
 * fastpath_sched.S, the steps they share are fastpath.inc), in the one
 * common case: the partner is already waiting for us, the message fits
 * the rules below, and the scheduler would pick the partner anyway. Then
 * the kernel does exactly what the general path (ipc/ipc.c, sched.c) would
 * do, in about ninety instructions each way:
 *
 *   1. save what survives a call of ours: rip (rcx), rflags (r11), rsp and
 *      the callee-saved rbx, rbp, r12..r15, into our trap frame's slots;
 *   2. check, changing nothing: the handle (bounds, type, rights), the
 *      endpoint, the partner, the message (no handle to transfer, payload
 *      at most MICA_IPC_PAYLOAD_MAX), no timeout, no ready thread above the
 *      partner's priority, no I/O-port bitmap on either side;
 *   3. copy the payload, if any, from our IPC buffer to the partner's
 *      (rep movsq, then the odd bytes: exactly len bytes, as ipc.c does);
 *   4. block ourselves as ipc.c would (BLOCK_REPLY on our partner for a
 *      call, BLOCK_RECV on the endpoint for reply_recv) with no kernel
 *      context but our frame (saved_rsp 0: sched.c resumes us through
 *      arch_resume_sp and fast_resume), so the general path can wake us
 *      like any thread;
 *   5. switch: current thread, kernel stack (per-CPU block and TSS rsp0),
 *      the lazy FPU's TS bit (fpu.c's rule), CR3 only when the address
 *      space changes;
 *   6. leave for the partner's user mode with its saved registers, the
 *      message registers passed through untouched (rsi = info, rdx r10 r8
 *      r9 = words), rdi = the badge (0 for a reply) and rax = MICA_OK.
 *
 * CALL and REPLY_RECV take no kernel lock (fastpath.inc FAST_ENTER; the
 * design is docs/architecture.md, "SMP"): they touch only threads of this
 * CPU, this CPU's state, and an endpoint's receiver queue, where a
 * receiver is taken only by its own CPU and an empty queue is claimed
 * with `lock cmpxchg`.
 *
 * Every way a running thread stops sets its saved_rsp: arch_switch (the
 * general path) to its kernel context, the fast paths to 0 (its frame).
 * A thread the fast path resumes straight to user mode may keep a stale
 * one meanwhile, which nothing reads while it runs.
 *
 * Anything else — a failed check of step 2 — goes to the general path
 * with the frame completed, nothing changed: fast_fallback. The general
 * path is the one complete implementation; this one must be observably
 * the same (tests/guest fastpath suite, run with mica.fastpath=off too).
 *
 * Registers on entry (syscall.S, after swapgs): rax = number, rdi = handle,
 * rsi = info, rdx r10 r8 r9 = words, r12 = timeout, rcx = user rip, r11 =
 * user rflags, rsp = user rsp; interrupts are off (FMASK).
 *
 * The partner may have blocked through the general path (its frame is
 * complete) or through here (only the slots of step 1 are valid): either
 * way step 6 reads only those slots. A thread blocked here and woken by
 * the general path (a timeout, a reply with a payload the fast path does
 * not take, its partner's death) is resumed through fast_resume, which
 * pops its frame as syscall_return does: rax holds the status sched_wake
 * wrote, the message registers what ipc.c delivered, and the others,
 * clobbered by the ABI, hold this thread's own earlier values, never
 * anybody else's.
 */
#include "arch/x86_64/fastpath.inc"

    .text

/* ---- CALL: ep handle rdi, message rsi..r9, r12 = timeout. */
    .global fast_call
fast_call:
    SAVE_CALLER
    FAST_ENTER call_fallback
    cmpq $-1, %r12                      /* MICA_WAIT_FOREVER only */
    jne call_fallback
    movq %gs:CPU_CURRENT, %rbx
    movq T_TASK(%rbx), %rbp
    ENDPOINT_HANDLE RIGHT_SEND, call_fallback
    movq H_OBJECT(%rax), %r13           /* the endpoint */
    cmpb $0, EP_DEAD(%r13)
    jne call_fallback
    movq EP_RECEIVERS(%r13), %r14       /* the receiver waiting there */
    testq %r14, %r14
    jz call_fallback
    cmpq $0, T_REPLY_TO(%r14)           /* it owes nobody a reply */
    jne call_fallback
    PARTNER_MAY_RUN call_fallback
    MESSAGE_FITS call_fallback
    /* From here on nothing fails. */
    COPY_PAYLOAD                        /* keeps rax, the handle slot */
    movq H_BADGE(%rax), %rdi
    movq T_NEXT(%r14), %rax             /* off the endpoint's queue */
    movq %rax, EP_RECEIVERS(%r13)
    movq %rbx, T_REPLY_TO(%r14)         /* it owes us the reply */
    movb $0, T_REPLY_GONE(%r14)
    movq %r14, T_CALLER_OF(%rbx)
    BLOCK_SELF BLOCK_REPLY_
    jmp fast_switch

/* ---- REPLY_RECV: ep handle rdi (RECV), the reply in rsi..r9. */
    .global fast_reply_recv
fast_reply_recv:
    SAVE_CALLER
    FAST_ENTER reply_recv_fallback
    cmpq $-1, %r12
    jne reply_recv_fallback
    movq %gs:CPU_CURRENT, %rbx
    movq T_REPLY_TO(%rbx), %r14         /* the caller we answer */
    testq %r14, %r14
    jz reply_recv_fallback
    cmpb $0, T_IN_FAULT(%r14)           /* a fault's answer is ipc.c's */
    jne reply_recv_fallback
    movq T_TASK(%rbx), %rbp
    ENDPOINT_HANDLE RIGHT_RECV, reply_recv_fallback
    movq H_OBJECT(%rax), %r13
    /* No sender waits (recv would take it; only the general path queues
     * senders, so this stays true), no other receiver (we would queue
     * behind it): both queues empty. */
    cmpq $0, EP_SENDERS(%r13)
    jne reply_recv_fallback
    cmpb $0, EP_DEAD(%r13)
    jne reply_recv_fallback
    PARTNER_MAY_RUN reply_recv_fallback
    MESSAGE_FITS reply_recv_fallback
    /* The last check, and the first change: we become the endpoint's
     * receiver if it has none, in one atomic step, for another CPU's
     * fast path may do the same at once (fastpath.S's opening comment). */
    xorl %eax, %eax
    movq $0, T_NEXT(%rbx)               /* we wait on the endpoint */
    lock cmpxchgq %rbx, EP_RECEIVERS(%r13)
    jne reply_recv_fallback
    COPY_PAYLOAD
    xorl %edi, %edi                     /* a reply carries badge 0 */
    movq $0, T_REPLY_TO(%rbx)
    movq $0, T_CALLER_OF(%r14)
    movq %r13, T_WAITING_ON(%rbx)
    BLOCK_SELF BLOCK_RECV_
    /* fall through */

/* ---- Steps 5 and 6: run r14 (task r15) in place of rbx (task rbp);
 * rdi..r9 hold what it receives. */
fast_switch:
    SWITCH_TO
    /* Its rip came from its own syscall (it waits in one): below 2^48,
     * and in the user half unless bit 47 is set (a `syscall` as the last
     * instruction of the user half: syscall.S). */
    movq F(RIP)(%rsp), %rcx
    btq $47, %rcx
    jc fast_refused
    movq F(RFLAGS)(%rsp), %r11
    movq F(RBX)(%rsp), %rbx
    movq F(RBP)(%rsp), %rbp
    movq F(R12)(%rsp), %r12
    movq F(R13)(%rsp), %r13
    movq F(R14)(%rsp), %r14
    movq F(R15)(%rsp), %r15
    xorl %eax, %eax                     /* MICA_OK */
    movq F(RSP)(%rsp), %rsp
    FAST_LEAVE
    swapgs
    sysretq

/* ---- Run r14 (task r15), already off its run queue, in place of rbx
 * (task rbp), which is blocked or queued and resumes through its frame.
 * r14 goes on where it stopped: in sched.c's arch_switch if it has a
 * kernel context, else from its frame, as syscall_return leaves. */
    .global resume_next
resume_next:
    SWITCH_TO
    movq T_SAVED_RSP(%r14), %rax
    testq %rax, %rax
    jz 1f
    movq %rax, %rsp
    /* r14 goes on in the general path, which may touch what the IPC fast
     * paths of other CPUs do: they finish first (sched/lock.h). */
    call arch_fast_paths_wait
    jmp arch_switch_pop                 /* arch_switch's second half */
1:  subq $FRAME_SIZE, %rsp
    jmp syscall_return

/* The partner's saved rip is outside the user half (syscall.S explains
 * when): the frame is completed for the report and the task ends. */
fast_refused:
    FAST_LEAVE                          /* the kernel lock is the C side's */
    subq $FRAME_SIZE, %rsp
    movq %rsp, %rdi
    call fast_refuse_return

/* ---- Fallback: complete our frame as syscall_entry builds it and take
 * the general path, with the kernel lock (fast_fallback: the paths of
 * fastpath_sched.S) or without it (fast_fallback_unlocked: CALL and
 * REPLY_RECV, which never hold it, and any path that found another CPU
 * holding it; the general path waits for it). Only rax, rbx, rbp, rcx, r11, r12..r15 were used;
 * their user values are in the frame already (r12 too), the argument
 * registers rdi..r9 are untouched. */
call_fallback:
    FAST_LEAVE
    movq $NR_CALL, F(RAX)(%rsp)
    jmp fast_fallback_unlocked
reply_recv_fallback:
    FAST_LEAVE
    movq $NR_REPLY_RECV, F(RAX)(%rsp)
    jmp fast_fallback_unlocked
    .global fast_fallback
fast_fallback:
    COMPLETE_FRAME
    jmp syscall_frame_built_locked
    .global fast_fallback_unlocked
fast_fallback_unlocked:
    COMPLETE_FRAME
    jmp syscall_frame_built

/* A thread blocked here, switched back to by arch_switch (sched.c, with
 * the context of arch_resume_sp): its frame is at the stack top, as after
 * syscall_entry. */
    .global fast_resume
fast_resume:
    jmp syscall_return

/* Turns the fast path on or off (mica.fastpath=off, boot/options.c): the
 * entries of CALL and REPLY_RECV in the syscall entry's table. */
    .global arch_fastpath_set
arch_fastpath_set:
    leaq syscall_general(%rip), %rax
    movq %rax, %rcx
    movq %rax, %rdx
    movq %rax, %rsi
    movq %rax, %r8
    testl %edi, %edi
    jz 1f
    leaq fast_yield(%rip), %rax
    leaq fast_call(%rip), %rcx
    leaq fast_reply_recv(%rip), %rdx
    leaq fast_notify_signal(%rip), %rsi
    leaq fast_notify_wait(%rip), %r8
1:  movq %rax, syscall_entries + 8 * NR_YIELD(%rip)
    movq %rcx, syscall_entries + 8 * NR_CALL(%rip)
    movq %rdx, syscall_entries + 8 * NR_REPLY_RECV(%rip)
    movq %rsi, syscall_entries + 8 * NR_NOTIFY_SIGNAL(%rip)
    movq %r8, syscall_entries + 8 * NR_NOTIFY_WAIT(%rip)
    ret

    .data
    .balign 8
/* Where syscall_entry (syscall.S) goes for each number below NR_COUNT. */
    .global syscall_entries
syscall_entries:
    .quad syscall_general                 /* 0 */
    .quad fast_yield                      /* NR_YIELD */
    .rept NR_CALL - NR_YIELD - 1
    .quad syscall_general
    .endr
    .quad fast_call                       /* NR_CALL */
    .quad syscall_general
    .quad fast_reply_recv                 /* NR_REPLY_RECV */
    .quad fast_notify_signal              /* NR_NOTIFY_SIGNAL */
    .quad fast_notify_wait                /* NR_NOTIFY_WAIT */
    .rept NR_COUNT - NR_NOTIFY_WAIT - 1
    .quad syscall_general
    .endr
