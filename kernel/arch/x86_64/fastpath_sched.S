/*
 * The fast paths of YIELD, NOTIFY_SIGNAL and NOTIFY_WAIT, entered like
 * those of fastpath.S (whose opening comment gives the rules) from the
 * syscall entry's table. They keep the run queues and the notification
 * word as sched/sched.c and ipc/ipc.c do (sched_yield, pick_next,
 * sched_make_ready, notification_signal, notification_wait, sched_wake),
 * and leave to the general path what those do besides: an idle CPU, a
 * task with I/O ports, a second waiter (MICA_EBUSY), a wait that may not
 * block (MICA_EAGAIN). A thread they switch to goes on through resume_next
 * (fastpath.S).
 */
#include "arch/x86_64/fastpath.inc"

    .text

/* ---- YIELD (sched.c sched_yield): to the back of our queue, and the
 * first of the highest ready queue runs; we ourselves if we are alone. */
    .global fast_yield
fast_yield:
    SAVE_CALLER
    TAKE_LOCK yield_contended
    movq %gs:CPU_CURRENT, %rbx
    movq T_TASK(%rbx), %rbp
    movq $0, F(RAX)(%rsp)               /* MICA_OK when we resume */
    /* The next thread counting us as queued: the highest of this CPU's
     * ready queues and ours; if that is ours and it is empty, it is us. */
    movq %gs:CPU_SCHED, %r13
    movl SC_MASK(%r13), %eax
    movl T_PRIORITY(%rbx), %ecx
    btsl %ecx, %eax
    bsrl %eax, %eax
    movl %eax, %edx
    shlq $4, %rdx
    movq RQ_HEAD(%r13,%rdx), %r14
    testq %r14, %r14
    jz yield_alone
    movq T_TASK(%r14), %r15
    movq TASK_IO(%r15), %rax
    orq TASK_IO(%rbp), %rax
    jnz yield_fallback
    movq $0, T_SAVED_RSP(%rbx)          /* resume through the frame */
    MAKE_READY %rbx, %r9, %r8, %r13
    DEQUEUE_HEAD %rdx, %r13
    jmp resume_next
yield_alone:                            /* nothing else ready: go on */
    movq F(RBX)(%rsp), %rbx
    movq F(RBP)(%rsp), %rbp
    movq F(R13)(%rsp), %r13
    movq F(R14)(%rsp), %r14
    movq F(RIP)(%rsp), %rcx
    xorl %eax, %eax
    xorl %edx, %edx
    movq F(RSP)(%rsp), %rsp
    DROP_LOCK
    swapgs
    sysretq
yield_contended:
    movq $NR_YIELD, F(RAX)(%rsp)
    jmp fast_fallback_unlocked
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
    TAKE_LOCK signal_general
    movq %gs:CPU_CURRENT, %rax
    movq T_TASK(%rax), %rax
    OBJECT_HANDLE %rax, %rdx, OBJ_NOTIFICATION, RIGHT_SEND, signal_general_locked
    movq H_OBJECT(%rdx), %rdx           /* the notification */
    movq N_WAITER(%rdx), %r8
    testq %r8, %r8
    jz 1f
    movb %gs:CPU_ID, %al                /* a waiter of another CPU: the */
    cmpb %al, T_CPU(%r8)                /* general path wakes that CPU */
    jne signal_general_locked
1:  orq N_BITS(%rdx), %rsi
    testq %r8, %r8
    jz 3f
    testq %rsi, %rsi
    jnz 2f
3:  movq %rsi, N_BITS(%rdx)             /* nobody takes them yet */
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
    movq %gs:CPU_SCHED, %rdi
    MAKE_READY %r8, %r10, %r9, %rdi
signal_done:
    xorl %eax, %eax
    xorl %edi, %edi
    xorl %esi, %esi
    xorl %edx, %edx
    xorl %r8d, %r8d
    xorl %r9d, %r9d
    xorl %r10d, %r10d
    DROP_LOCK
    swapgs
    sysretq
signal_general_locked:
    DROP_LOCK                           /* the general path takes it again */
signal_general:
    movq $NR_NOTIFY_SIGNAL, %rax
    xorl %edx, %edx                     /* held a kernel address */
    xorl %r8d, %r8d                     /* so may this */
    jmp syscall_general

/* ---- NOTIFY_WAIT (ipc.c notification_wait): ntf handle rdi, r12 =
 * timeout. Bits pending: taken at once. Else we wait on it and the next
 * ready thread runs; an EBUSY, EAGAIN or an idle CPU is the general
 * path's. */
    .global fast_notify_wait
fast_notify_wait:
    SAVE_CALLER
    TAKE_LOCK wait_contended
    movq %gs:CPU_CURRENT, %rbx
    movq T_TASK(%rbx), %rbp
    OBJECT_HANDLE %rbp, %rax, OBJ_NOTIFICATION, RIGHT_RECV, wait_fallback
    movq H_OBJECT(%rax), %r13
    movq N_BITS(%r13), %rsi
    testq %rsi, %rsi
    jnz wait_take_bits
    cmpq $0, N_WAITER(%r13)             /* MICA_EBUSY */
    jne wait_fallback
    testq %r12, %r12                    /* MICA_NO_WAIT: MICA_EAGAIN */
    jz wait_fallback
    PEEK_NEXT %r10, %r11, wait_fallback, wait_fallback
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
    DEQUEUE_HEAD %r10, %r11
    jmp resume_next
wait_take_bits:                         /* rsi = the bits: ours, at once */
    movq $0, N_BITS(%r13)
    movabsq $USER_TOP, %rax
    cmpq %rax, %rcx
    ja wait_fallback_bits
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
    DROP_LOCK
    swapgs
    sysretq
wait_fallback_bits:                     /* give them back to the general path */
    movq %rsi, N_BITS(%r13)
wait_fallback:
    movq $NR_NOTIFY_WAIT, F(RAX)(%rsp)
    jmp fast_fallback
wait_contended:
    movq $NR_NOTIFY_WAIT, F(RAX)(%rsp)
    jmp fast_fallback_unlocked
