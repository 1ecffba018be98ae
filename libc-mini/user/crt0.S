/*
 * crt0: the entry point of every server. The kernel starts a task here with
 * rdi = the task's own id and rsp at the top of its user stack. _start saves
 * the id for mica_self_id(), makes rsp 16-byte aligned before the call as
 * the AMD64 psABI §3.2.2 requires of every call site (the kernel promises
 * alignment, but realigning costs one instruction and removes the doubt),
 * runs main() and passes its result to exit().
 */
    .section .text.start, "ax"
    .globl _start
    .type _start, @function
_start:
    xorl %ebp, %ebp             /* end of the frame-pointer chain for backtraces */
    movq %rdi, mica_task_id(%rip)
    andq $-16, %rsp
    call main
    movl %eax, %edi
    call exit
    ud2                         /* exit() does not return */
    .size _start, . - _start

    .bss
    .balign 8
    .globl mica_task_id
mica_task_id:
    .quad 0

    .section .note.GNU-stack, "", @progbits
