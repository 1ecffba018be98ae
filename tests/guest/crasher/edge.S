/*
 * CRASH_SYSCALL_EDGE (crasher.h): the crasher's last page is the last page
 * of the user half, 0x00007ffffffff000 (crasher.ld), and ends in a
 * `syscall`, so that the address after it, the return address the CPU
 * saves in rcx (SDM Vol. 2B, SYSCALL), is 0x0000800000000000: the first
 * non-canonical address. main.c jumps here with rax = SYS_YIELD. The
 * kernel must end the task (fault line, vector 13, that rip) rather than
 * return there: SYSRET to it would fault in ring 0 on Intel CPUs, and so
 * would IRETQ.
 */
    .section .edge, "ax"
edge_start:
    .org edge_start + 0xffe, 0xcc /* int3 up to the last two bytes */
    .globl crash_edge_syscall
crash_edge_syscall:
    syscall /* 2 bytes: the page ends here (crasher.ld checks its size) */

    .section .note.GNU-stack, "", @progbits
