/*
 * The IPC fast path: CALL and REPLY_RECV taken straight from the syscall
 * entry (syscall.S jumps here before it builds a trap frame), in the one
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
#include "arch/x86_64/fastpath.h"
#include "arch/x86_64/frame.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/percpu.h"

/* A slot of the trap frame below the kernel stack top held in %rsp. */
#define F(slot) (FRAME_##slot - FRAME_SIZE)
#define FRAME_RBX (13 * 8)
#define FRAME_R12 (3 * 8)
#define FRAME_R13 (2 * 8)
#define FRAME_R14 (1 * 8)
#define FRAME_R15 (0 * 8)
#define FRAME_RAX (14 * 8)
#define FRAME_RCX (12 * 8)
#define FRAME_RDX (11 * 8)
#define FRAME_RSI (10 * 8)
#define FRAME_RDI (9 * 8)
#define FRAME_R8  (7 * 8)
#define FRAME_R9  (6 * 8)
#define FRAME_R10 (5 * 8)
#define FRAME_R11 (4 * 8)
#define FRAME_ERROR (16 * 8)
#define FRAME_SS    (21 * 8)

    .text

/* Step 1, shared: rsp becomes our kernel stack top, the frame slots of
 * what survives a call are filled. rax is free (the number is known). */
.macro SAVE_CALLER
    movq %rsp, %rax
    movq %gs:CPU_KERNEL_RSP, %rsp
    movq %rax, F(RSP)(%rsp)
    movq %rcx, F(RIP)(%rsp)
    movq %r11, F(RFLAGS)(%rsp)
    movq %rbx, F(RBX)(%rsp)
    movq %rbp, F(RBP)(%rsp)
    movq %r12, F(R12)(%rsp)
    movq %r13, F(R13)(%rsp)
    movq %r14, F(R14)(%rsp)
    movq %r15, F(R15)(%rsp)
.endm

/* The handle in rdi of task rbp: rax = its slot, or to \fail when rdi is
 * out of range or the slot is not an endpoint with \right. */
.macro ENDPOINT_HANDLE right, fail
    cmpq $HANDLES, %rdi
    jae \fail
    leaq (%rdi,%rdi,2), %rax
    leaq TASK_HANDLES(%rbp,%rax,8), %rax
    cmpl $OBJ_ENDPOINT, H_TYPE(%rax)
    jne \fail
    testb $\right, H_RIGHTS(%rax)
    jz \fail
.endm

/* The partner r14 (task r15) may run now: no ready thread outranks it
 * (sched.c: ready_mask < 2 << priority), and neither task (rbp, r15) has
 * I/O ports (a switch that changes the TSS bitmap is the general path's;
 * the bitmap loaded is always the running task's, ioport.c). */
.macro PARTNER_MAY_RUN fail
    movl sched_ready_mask(%rip), %ecx
    cmpl T_HANDOFF(%r14), %ecx
    jae \fail
    movq T_TASK(%r14), %r15
    movq TASK_IO(%r15), %rcx
    orq TASK_IO(%rbp), %rcx
    jnz \fail
.endm

/* r12 = the payload length of info (rsi); to \fail if too long or a
 * handle is attached: the length field and the handle bit together, as
 * one number, must be at most PAYLOAD_MAX. */
.macro MESSAGE_FITS fail
    movq %rsi, %r12
    shrq $INFO_LEN_SHIFT, %r12
    andl $(INFO_LEN_MASK | (1 << (INFO_HANDLE_BIT - INFO_LEN_SHIFT))), %r12d
    cmpl $PAYLOAD_MAX, %r12d
    ja \fail
.endm

/* Step 3: r12 bytes from our IPC buffer (rbx's) to r14's, through the
 * physical map; rdi and rcx are clobbered, rsi is kept. */
.macro COPY_PAYLOAD
    testl %r12d, %r12d
    jz 1f
    movq %rsi, %r11
    movabsq $PHYSMAP_BASE, %rcx
    movq T_IPC_PHYS(%rbx), %rsi
    addq %rcx, %rsi
    movq T_IPC_PHYS(%r14), %rdi
    addq %rcx, %rdi
    movl %r12d, %ecx
    shrl $3, %ecx
    rep movsq
    movl %r12d, %ecx
    andl $7, %ecx
    rep movsb
    movq %r11, %rsi
1:
.endm

/* Step 4's common part: we (rbx, kernel stack top in rsp) resume through
 * our frame when the general path switches back to us. */
.macro BLOCK_SELF reason
    movw $(THREAD_BLOCKED_ | (\reason << 8)), T_STATE(%rbx)
    movq $0, T_DEADLINE(%rbx)
    movq $0, T_SAVED_RSP(%rbx)          /* resume through the frame */
.endm

/* Step 5, what sched.c's run() does: r14 (task r15) runs in place of
 * rbx (task rbp), on its own kernel stack (rsp is its top afterwards). */
.macro SWITCH_TO
    movw $THREAD_RUNNING_, T_STATE(%r14) /* state RUNNING, reason NONE */
    movl $SLICE_TICKS, T_TIME_LEFT(%r14)
    movq %r14, %gs:CPU_CURRENT
    movq T_KSTACK_TOP(%r14), %rsp
    movq %rsp, %gs:CPU_KERNEL_RSP
    movq %rsp, gdt_tss_io + TSS_RSP0(%rip)
    /* Lazy FPU (fpu.c): TS is set unless the next thread's state is the
     * one in the registers (its #NM loads the running thread's). */
    leaq T_FPU(%r14), %rax
    cmpq arch_fpu_owner(%rip), %rax
    setne %al
    cmpb arch_fpu_ts_set(%rip), %al
    je 1f
    movq %cr0, %rax
    xorq $CR0_TS_BIT, %rax
    movq %rax, %cr0
    xorb $1, arch_fpu_ts_set(%rip)
1:  cmpq %r15, %rbp
    je 2f
    movq TASK_VM(%r15), %rax
    movq %rax, %cr3
2:
.endm

/* sched_make_ready for thread \t: state READY (reason NONE), at the tail
 * of its priority's queue, the queue's bit set. Uses rax, \p (the
 * priority) and \q (the queue's offset). */
.macro MAKE_READY t, p, q               /* \p one of r8..r15 */
    movw $THREAD_READY_, T_STATE(\t)
    movq $0, T_NEXT(\t)
    movl T_PRIORITY(\t), \p\()d
    movq \p, \q
    shlq $4, \q
    movq sched_queues + RQ_TAIL(\q), %rax
    testq %rax, %rax
    jz 1f
    movq \t, T_NEXT(%rax)
    jmp 2f
1:  movq \t, sched_queues + RQ_HEAD(\q)
2:  movq \t, sched_queues + RQ_TAIL(\q)
    btsl \p\()d, sched_ready_mask(%rip)
.endm

/* pick_next's second half: r14, the head of the queue at offset \q, off
 * it (the bit cleared when the queue empties). Uses rax, rcx. */
.macro DEQUEUE_HEAD q
    movq T_NEXT(%r14), %rax
    movq %rax, sched_queues + RQ_HEAD(\q)
    testq %rax, %rax
    jnz 1f
    movq $0, sched_queues + RQ_TAIL(\q)
    movl T_PRIORITY(%r14), %ecx
    btrl %ecx, sched_ready_mask(%rip)
1:  movq $0, T_NEXT(%r14)
.endm

/* ---- CALL: ep handle rdi, message rsi..r9, r12 = timeout. */
    .global fast_call
fast_call:
    SAVE_CALLER
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
    incq TASK_IPC_FAST(%rbp)
    jmp fast_switch

/* ---- REPLY_RECV: ep handle rdi (RECV), the reply in rsi..r9. */
    .global fast_reply_recv
fast_reply_recv:
    SAVE_CALLER
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
    /* No sender waits (recv would take it), no other receiver (we would
     * queue behind it): both queues empty. */
    movq EP_SENDERS(%r13), %rcx
    orq EP_RECEIVERS(%r13), %rcx
    jnz reply_recv_fallback
    cmpb $0, EP_DEAD(%r13)
    jne reply_recv_fallback
    PARTNER_MAY_RUN reply_recv_fallback
    MESSAGE_FITS reply_recv_fallback
    COPY_PAYLOAD
    xorl %edi, %edi                     /* a reply carries badge 0 */
    movq $0, T_REPLY_TO(%rbx)
    movq $0, T_CALLER_OF(%r14)
    movq $0, T_NEXT(%rbx)               /* we wait on the endpoint */
    movq %rbx, EP_RECEIVERS(%r13)
    movq %r13, T_WAITING_ON(%rbx)
    BLOCK_SELF BLOCK_RECV_
    incq TASK_IPC_FAST(%rbp)
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
    swapgs
    sysretq


/* ---- Run r14 (task r15), already off its run queue, in place of rbx
 * (task rbp), which is blocked or queued and resumes through its frame.
 * r14 goes on where it stopped: in sched.c's arch_switch if it has a
 * kernel context, else from its frame, as syscall_return leaves. */
resume_next:
    SWITCH_TO
    movq T_SAVED_RSP(%r14), %rax
    testq %rax, %rax
    jz 1f
    movq %rax, %rsp                     /* arch_switch's second half */
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
1:  subq $FRAME_SIZE, %rsp
    jmp syscall_return

/* The thread that would run after us (sched.c pick_next): r14 = the head
 * of the highest non-empty queue (its offset in \q, r8..r15), r15 its
 * task; to \none if there is none (the idle thread is the general path's);
 * to \fail if it or we have I/O ports (so is the TSS bitmap). */
.macro PEEK_NEXT q, none, fail
    movl sched_ready_mask(%rip), %eax
    testl %eax, %eax
    jz \none
    bsrl %eax, %eax
    movl %eax, \q\()d
    shlq $4, \q
    movq sched_queues + RQ_HEAD(\q), %r14
    testq %r14, %r14
    jz \none
    movq T_TASK(%r14), %r15
    movq TASK_IO(%r15), %rax
    orq TASK_IO(%rbp), %rax
    jnz \fail
.endm

/* ---- YIELD (sched.c sched_yield): to the back of our queue, and the
 * first of the highest ready queue runs; we ourselves if we are alone. */
    .global fast_yield
fast_yield:
    SAVE_CALLER
    movq %gs:CPU_CURRENT, %rbx
    movq T_TASK(%rbx), %rbp
    movq $0, F(RAX)(%rsp)               /* MICA_OK when we resume */
    /* The next thread counting us as queued: the highest of the ready
     * queues and ours; if that is ours and it is empty, it is us. */
    movl sched_ready_mask(%rip), %eax
    movl T_PRIORITY(%rbx), %ecx
    btsl %ecx, %eax
    bsrl %eax, %eax
    movl %eax, %edx
    shlq $4, %rdx
    movq sched_queues + RQ_HEAD(%rdx), %r14
    testq %r14, %r14
    jz yield_alone
    movq T_TASK(%r14), %r15
    movq TASK_IO(%r15), %rax
    orq TASK_IO(%rbp), %rax
    jnz yield_fallback
    movq $0, T_SAVED_RSP(%rbx)          /* resume through the frame */
    incq TASK_IPC_FAST(%rbp)
    MAKE_READY %rbx, %r9, %r8
    DEQUEUE_HEAD %rdx
    jmp resume_next
yield_alone:                            /* nothing else ready: go on */
    movq F(RBX)(%rsp), %rbx
    movq F(RBP)(%rsp), %rbp
    movq F(R14)(%rsp), %r14
    movq F(RIP)(%rsp), %rcx
    xorl %eax, %eax
    xorl %edx, %edx
    movq F(RSP)(%rsp), %rsp
    swapgs
    sysretq
yield_fallback:
    movq $NR_YIELD, F(RAX)(%rsp)
    jmp fast_fallback

/* ---- NOTIFY_SIGNAL (ipc.c notification_signal): ntf handle rdi, bits
 * rsi. Never blocks or switches (a woken waiter is made ready, as the
 * general path does), so it saves nothing: it uses only registers the
 * ABI lets it clobber, and clears them before it leaves. */
    .global fast_notify_signal
fast_notify_signal:
    movabsq $USER_TOP, %rax
    cmpq %rax, %rcx
    ja signal_general
    movq %gs:CPU_CURRENT, %rax
    movq T_TASK(%rax), %rax
    cmpq $HANDLES, %rdi
    jae signal_general
    leaq (%rdi,%rdi,2), %rdx
    leaq TASK_HANDLES(%rax,%rdx,8), %rdx
    cmpl $OBJ_NOTIFICATION, H_TYPE(%rdx)
    jne signal_general
    testb $RIGHT_SEND, H_RIGHTS(%rdx)
    jz signal_general
    incq TASK_IPC_FAST(%rax)
    movq H_OBJECT(%rdx), %rdx           /* the notification */
    orq N_BITS(%rdx), %rsi
    movq N_WAITER(%rdx), %r8
    testq %r8, %r8
    jz 1f
    testq %rsi, %rsi
    jnz 2f
1:  movq %rsi, N_BITS(%rdx)             /* nobody takes them yet */
    jmp signal_done
2:  movq $0, N_WAITER(%rdx)             /* the waiter takes them now */
    movq $0, N_BITS(%rdx)
    movq T_KSTACK_TOP(%r8), %r9         /* its wait returns: OK, info = bits */
    movq $0, F(RAX)(%r9)
    movq $0, F(RDI)(%r9)
    movq %rsi, F(RSI)(%r9)
    movq $0, F(RDX)(%r9)
    movq $0, F(R10)(%r9)
    movq $0, F(R8)(%r9)
    movq $0, F(R9)(%r9)
    movq $0, T_DEADLINE(%r8)            /* sched_wake */
    movq $0, T_WAITING_ON(%r8)
    MAKE_READY %r8, %r10, %r9
signal_done:
    xorl %eax, %eax
    xorl %edi, %edi
    xorl %esi, %esi
    xorl %edx, %edx
    xorl %r8d, %r8d
    xorl %r9d, %r9d
    xorl %r10d, %r10d
    swapgs
    sysretq
signal_general:
    movq $NR_NOTIFY_SIGNAL, %rax
    xorl %edx, %edx                     /* held a kernel address */
    jmp syscall_general

/* ---- NOTIFY_WAIT (ipc.c notification_wait): ntf handle rdi, r12 =
 * timeout. Bits pending: taken at once. Else we wait on it and the next
 * ready thread runs; an EBUSY, EAGAIN or an idle CPU is the general
 * path's. */
    .global fast_notify_wait
fast_notify_wait:
    SAVE_CALLER
    movq %gs:CPU_CURRENT, %rbx
    movq T_TASK(%rbx), %rbp
    cmpq $HANDLES, %rdi
    jae wait_fallback
    leaq (%rdi,%rdi,2), %rax
    leaq TASK_HANDLES(%rbp,%rax,8), %rax
    cmpl $OBJ_NOTIFICATION, H_TYPE(%rax)
    jne wait_fallback
    testb $RIGHT_RECV, H_RIGHTS(%rax)
    jz wait_fallback
    movq H_OBJECT(%rax), %r13
    movq N_BITS(%r13), %rsi
    testq %rsi, %rsi
    jnz wait_take_bits
    cmpq $0, N_WAITER(%r13)             /* MICA_EBUSY */
    jne wait_fallback
    testq %r12, %r12                    /* MICA_NO_WAIT: MICA_EAGAIN */
    jz wait_fallback
    PEEK_NEXT %r10, wait_fallback, wait_fallback
    /* The deadline, as ipc.c's deadline_for: 0 for none, else now (ms,
     * as arch_ms_since_boot) + timeout, never 0. */
    xorl %r9d, %r9d
    cmpq $-1, %r12
    je 1f
    rdtsc
    shlq $32, %rdx
    orq %rdx, %rax
    subq boot_tsc(%rip), %rax
    xorl %edx, %edx
    divq timer_tsc_per_ms(%rip)
    movl $1, %r9d
    addq %r12, %rax
    cmovnzq %rax, %r9
1:  movw $(THREAD_BLOCKED_ | (BLOCK_NOTIFY_ << 8)), T_STATE(%rbx)
    movq %r13, T_WAITING_ON(%rbx)
    movq %r9, T_DEADLINE(%rbx)
    movq $0, T_SAVED_RSP(%rbx)
    movq %rbx, N_WAITER(%r13)
    incq TASK_IPC_FAST(%rbp)
    DEQUEUE_HEAD %r10
    jmp resume_next
wait_take_bits:                         /* rsi = the bits: ours, at once */
    movq $0, N_BITS(%r13)
    movabsq $USER_TOP, %rax
    cmpq %rax, %rcx
    ja wait_fallback_bits
    incq TASK_IPC_FAST(%rbp)
    movq F(RBX)(%rsp), %rbx
    movq F(RBP)(%rsp), %rbp
    movq F(R13)(%rsp), %r13
    xorl %eax, %eax
    xorl %edi, %edi
    xorl %edx, %edx
    xorl %r8d, %r8d
    xorl %r9d, %r9d
    xorl %r10d, %r10d
    movq F(RSP)(%rsp), %rsp
    swapgs
    sysretq
wait_fallback_bits:                     /* give them back to the general path */
    movq %rsi, N_BITS(%r13)
wait_fallback:
    movq $NR_NOTIFY_WAIT, F(RAX)(%rsp)
    jmp fast_fallback

/* The partner's saved rip is outside the user half (syscall.S explains
 * when): the frame is completed for the report and the task ends. */
fast_refused:
    subq $FRAME_SIZE, %rsp
    movq %rsp, %rdi
    call trap_refuse_return

/* ---- Fallback: complete our frame as syscall_entry builds it and take
 * the general path. Only rax, rbx, rbp, rcx, r11, r12..r15 were used;
 * their user values are in the frame already (r12 too), the argument
 * registers rdi..r9 are untouched. */
call_fallback:
    movq $NR_CALL, F(RAX)(%rsp)
    jmp fast_fallback
reply_recv_fallback:
    movq $NR_REPLY_RECV, F(RAX)(%rsp)
fast_fallback:
    movq %rdi, F(RDI)(%rsp)
    movq %rsi, F(RSI)(%rsp)
    movq %rdx, F(RDX)(%rsp)
    movq %r10, F(R10)(%rsp)
    movq %r8, F(R8)(%rsp)
    movq %r9, F(R9)(%rsp)
    movq F(RIP)(%rsp), %rcx
    movq %rcx, F(RCX)(%rsp)
    movq F(RFLAGS)(%rsp), %r11
    movq %r11, F(R11)(%rsp)
    movq $FRAME_SYSCALL_VECTOR, F(VECTOR)(%rsp)
    movq $0, F(ERROR)(%rsp)
    movq $SEL_UCODE, F(CS)(%rsp)
    movq $SEL_UDATA, F(SS)(%rsp)
    subq $FRAME_SIZE, %rsp
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
    testl %edi, %edi
    jz 1f
    ret                                 /* on: as syscall_entries starts */
1:  leaq syscall_general(%rip), %rax
    movq %rax, syscall_entries + 8 * NR_YIELD(%rip)
    movq %rax, syscall_entries + 8 * NR_CALL(%rip)
    movq %rax, syscall_entries + 8 * NR_REPLY_RECV(%rip)
    movq %rax, syscall_entries + 8 * NR_NOTIFY_SIGNAL(%rip)
    movq %rax, syscall_entries + 8 * NR_NOTIFY_WAIT(%rip)
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
