/*
 * The `syscall` entry (SDM Vol. 2B, SYSCALL): the CPU saved the user rip in
 * rcx and rflags in r11, masked rflags with IA32_FMASK (IF off) and loaded
 * the kernel CS/SS from STAR, but left rsp as the user's. swapgs brings in
 * the per-CPU block (struct cpu in thread.c), which holds the kernel stack
 * top, then the same struct trap_frame as an interrupt is built, so that
 * scheduling and fault handling see one kind of saved state.
 *
 * The way back is trap_return (iretq) — it restores every register, so a
 * syscall that blocks and resumes later needs nothing special.
 */
#define CPU_KERNEL_RSP 0
#define CPU_USER_RSP   8
#define SEL_UCODE      (0x20 | 3)
#define SEL_UDATA      (0x18 | 3)
#define SYSCALL_VECTOR 0x100

    .text
    .global syscall_entry
syscall_entry:
    swapgs
    movq %rsp, %gs:CPU_USER_RSP
    movq %gs:CPU_KERNEL_RSP, %rsp
    pushq $SEL_UDATA
    pushq %gs:CPU_USER_RSP
    pushq %r11
    pushq $SEL_UCODE
    pushq %rcx
    pushq $0
    pushq $SYSCALL_VECTOR
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    cld
    movq %rsp, %rdi
    xorl %ebp, %ebp
    call syscall_dispatch
    jmp trap_return
