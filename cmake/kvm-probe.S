/*
 * KVM probe for cmake/run-qemu.sh: a 512-byte boot sector that runs the
 * first x87/SSE instructions Mica's boot path runs, then leaves QEMU through
 * isa-debug-exit (port 0xf4) with status (0x10 << 1) | 1 = 33.
 *
 * Where KVM is present but does not work (a nested host without vmx), QEMU
 * reports "KVM internal error ... emulation failure" at `fninit; ldmxcsr`
 * and stays paused instead of exiting; under a working KVM or TCG it exits
 * with 33 at once. Built with clang and ld.lld -Ttext=0x7c00 --oformat binary.
 */
    .code16
    .text
    .globl _start
_start:
    cli
    xorw %ax, %ax
    movw %ax, %ds
    movw %ax, %ss
    movw $0x7c00, %sp

    movl %cr0, %eax
    andl $~(1 << 2), %eax       /* CR0.EM = 0: no x87 emulation */
    orl $(1 << 1), %eax         /* CR0.MP = 1 */
    movl %eax, %cr0
    movl %cr4, %eax
    orl $((1 << 9) | (1 << 10)), %eax   /* CR4.OSFXSR | CR4.OSXMMEXCPT */
    movl %eax, %cr4

    fninit
    ldmxcsr mxcsr

    movb $0x10, %al
    outb %al, $0xf4             /* isa-debug-exit: QEMU exits with 33 */
1:  hlt
    jmp 1b

    .balign 4
mxcsr:
    .long 0x1f80                /* the reset value: all exceptions masked */

    .org 510
    .byte 0x55, 0xaa
