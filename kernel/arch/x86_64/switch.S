/*
 * arch_switch(old_rsp *, new_rsp): the kernel-to-kernel context switch.
 * Only the callee-saved registers of the SysV ABI need saving here (rbx,
 * rbp, r12..r15); the caller saved the rest. A thread's user state is in
 * the trap frame at the top of its kernel stack.
 *
 * A new thread's stack is laid out by arch_thread_prepare() so that the
 * final `ret` lands in thread_first_entry, which leaves for user mode
 * through trap_return.
 */
    .text
    .global arch_switch
arch_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    /* Also the way into a thread's kernel context from the fast paths
     * (fastpath.S resume_next), with rsp already its saved_rsp. */
    .global arch_switch_pop
arch_switch_pop:
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

    .global thread_first_entry
thread_first_entry:
    jmp trap_return
