/*
 * The application processors' way from the SIPI to the kernel (smp.c copies
 * this blob to AP_TRAMPOLINE, fills in its parameters and starts each AP
 * with SIPI vector AP_TRAMPOLINE >> 12, SDM Vol. 3A §8.4.4.1). An AP
 * starts in real mode at CS = AP_TRAMPOLINE >> 4, IP = 0; the blob runs at
 * that physical address, so every address in it is AP_TRAMPOLINE plus its
 * offset in the blob. Real mode → protected mode with the blob's own GDT
 * → long mode (PAE, the temporary page tables at AP_TABLES: the low 2 MiB
 * identity-mapped, the kernel's upper half as it is; EFER.LME and, where
 * the CPU has it, NXE, SDM Vol. 3A §9.8.5) → the kernel's ap_entry64 on
 * the stack given.
 */
#include "arch/x86_64/smp.h"

#define AT(label) (AP_TRAMPOLINE + (label) - ap_trampoline_start)
#define MSR_EFER  0xc0000080

    .section .rodata
    .balign 16
    .global ap_trampoline_start, ap_trampoline_end
    .global ap_param_cr3, ap_param_efer, ap_param_stack, ap_param_entry
ap_trampoline_start:
    .code16
    cli
    cld
    movw %cs, %ax
    movw %ax, %ds
    lgdtl ap_gdt_ptr - ap_trampoline_start
    movl %cr0, %eax
    orl $1, %eax                        /* PE */
    movl %eax, %cr0
    ljmpl $0x08, $AT(ap_protected)

    .code32
ap_protected:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl %cr4, %eax
    orl $(1 << 5), %eax                 /* PAE */
    movl %eax, %cr4
    movl AT(ap_param_cr3), %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl AT(ap_param_efer), %eax         /* LME, and NXE if the CPU has NX */
    wrmsr
    movl %cr0, %eax
    orl $0x80010000, %eax               /* PG, WP */
    movl %eax, %cr0
    ljmpl $0x18, $AT(ap_long)

    .code64
ap_long:
    movq AT(ap_param_stack), %rsp
    movq AT(ap_param_entry), %rax
    jmpq *%rax

    .balign 8
ap_gdt:
    .quad 0
    .quad 0x00cf9a000000ffff            /* 0x08: 32-bit code */
    .quad 0x00cf92000000ffff            /* 0x10: data */
    .quad 0x00af9a000000ffff            /* 0x18: 64-bit code */
ap_gdt_ptr:
    .word 4 * 8 - 1
    .long AT(ap_gdt)
    .balign 8
ap_param_cr3:   .quad 0                 /* the temporary page tables */
ap_param_efer:  .quad 0
ap_param_stack: .quad 0
ap_param_entry: .quad 0
ap_trampoline_end:

/* The APs' first kernel instructions, in the kernel's half of the
 * temporary address space: the kernel's own page tables, then C. */
    .text
    .global ap_entry64
ap_entry64:
    movq smp_kernel_cr3(%rip), %rax
    movq %rax, %cr3
    xorl %ebp, %ebp
    call ap_main
1:  cli
    hlt
    jmp 1b
