/*
 * 32-bit entry from GRUB and the switch to long mode.
 *
 * GRUB jumps to _start32 in 32-bit protected mode, paging off, with the
 * Multiboot2 magic in %eax and the physical address of the boot information in
 * %ebx (Multiboot2 spec §3.3). This file checks both that and that the CPU can
 * run 64-bit code, builds boot page tables, enables PAE, long mode, NX and
 * paging (Intel SDM Vol. 3A §10.8.5 "Initializing IA-32e Mode"), and jumps to
 * kmain() in the higher half on the boot stack. C replaces these tables with
 * the final W^X ones in arch/x86_64/paging.c.
 *
 * Boot page tables (2 MiB pages, all RWX until C rebuilds them):
 *   PML4[0]   -> identity map of 0..4 GiB (only for the jump to the high half)
 *   PML4[256] -> the same 4 GiB at the physical map base 0xffff800000000000
 *   PML4[511] -> physical 0..2 GiB at the kernel base 0xffffffff80000000
 */
#include "arch/x86_64/layout.h"
#include "arch/x86_64/pc.h"
#include "arch/x86_64/pte.h"

#define MB2_HEADER_MAGIC 0xe85250d6 /* spec §3.1.1 */
#define MB2_ARCH_I386    0
#define CR0_PG           (1 << 31)
#define CR0_WP           (1 << 16)
#define CR4_PAE          (1 << 5)
#define CR4_PGE          (1 << 7)
#define MSR_EFER         0xc0000080
#define EFER_LME         (1 << 8)
#define EFER_NXE         (1 << 11)
/* Physical address of a higher-half symbol, for use before paging is on. */
#define PHYS(sym)        ((sym) - KERNEL_VMA)

/* ---- Multiboot2 header (spec §3.1): must sit in the first 32 KiB, 8-aligned. */
    .section .multiboot2, "a"
    .balign 8
mb2_header:
    .long MB2_HEADER_MAGIC
    .long MB2_ARCH_I386
    .long mb2_header_end - mb2_header
    .long -(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))

    /* Information request (spec §3.1.4): cmdline, loader name, modules, memory
     * map, framebuffer, EFI tags and ACPI RSDP. */
    .balign 8
mb2_info_req:
    .short 1, 0
    .long mb2_info_req_end - mb2_info_req
    .long 1, 2, 3, 6, 8, 11, 12, 14, 15
mb2_info_req_end:

    /* Framebuffer (spec §3.1.10), optional (flags bit 0) and with no
     * preferred size: GRUB keeps EGA text on BIOS when gfxpayload=text. */
    .balign 8
    .short 5, 1
    .long 20
    .long 0, 0, 0

    /* Modules must be page aligned (spec §3.1.11) so they can be mapped. */
    .balign 8
    .short 6, 0
    .long 8

    .balign 8
    .short 0, 0
    .long 8
mb2_header_end:

/* ---- 32-bit code, linked at its physical address. */
    .section .boot.text, "ax"
    .code32
    .global _start32
_start32:
    cli
    cld
    movl $boot_stack32_top, %esp
    movl %eax, PHYS(boot_magic)
    movl %ebx, PHYS(boot_info_phys)
    /* TSC at kernel entry, for boot_ms (SDM Vol. 3B §18.17). RDTSC needs
     * CPUID.1:EDX.TSC, which every x86_64 CPU has (long mode is checked
     * below, and no long-mode CPU lacks a TSC). */
    rdtsc
    movl %eax, PHYS(boot_tsc)
    movl %edx, PHYS(boot_tsc) + 4

    call serial_init32
    cmpl $0x36d76289, PHYS(boot_magic)
    jne .Lno_multiboot
    call check_long_mode
    call build_boot_tables
    jmp enter_long_mode

.Lno_multiboot:
    movl $msg_no_multiboot, %esi
    jmp fail32

/* CPUID.80000001h:EDX bit 29 = long mode, bit 20 = NX (SDM Vol. 2A, CPUID). */
check_long_mode:
    pushfl
    popl %eax
    movl %eax, %ecx
    xorl $(1 << 21), %eax /* EFLAGS.ID toggles only if CPUID exists */
    pushl %eax
    popfl
    pushfl
    popl %eax
    pushl %ecx
    popfl
    cmpl %eax, %ecx
    je .Lno_long_mode
    movl $0x80000000, %eax
    cpuid
    cmpl $0x80000001, %eax
    jb .Lno_long_mode
    movl $0x80000001, %eax
    cpuid
    testl $(1 << 29), %edx
    jz .Lno_long_mode
    xorl %eax, %eax
    testl $(1 << 20), %edx
    setnz %al
    movl %eax, PHYS(boot_nx)
    ret
.Lno_long_mode:
    movl $msg_no_long_mode, %esi
    jmp fail32

build_boot_tables:
    /* 4 page directories of 2 MiB pages: physical 0..4 GiB. */
    movl $boot_pd, %edi
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl $(PTE_P | PTE_W | PTE_PS), %eax
    movl %eax, (%edi, %ecx, 8)
    movl %ecx, %eax
    shrl $11, %eax /* bits 32+ of the address: entry index / 2048 */
    movl %eax, 4(%edi, %ecx, 8)
    incl %ecx
    cmpl $2048, %ecx
    jne 1b
    /* Low PDPT: four PDs. */
    xorl %ecx, %ecx
2:  movl %ecx, %eax
    shll $12, %eax
    addl $(boot_pd + PTE_P + PTE_W), %eax
    movl %eax, boot_pdpt_low(, %ecx, 8)
    incl %ecx
    cmpl $4, %ecx
    jne 2b
    /* High PDPT: entries 510 and 511 -> the first two PDs (0..2 GiB). */
    movl $(boot_pd + PTE_P + PTE_W), boot_pdpt_high + 510 * 8
    movl $(boot_pd + 4096 + PTE_P + PTE_W), boot_pdpt_high + 511 * 8
    movl $(boot_pdpt_low + PTE_P + PTE_W), boot_pml4
    movl $(boot_pdpt_low + PTE_P + PTE_W), boot_pml4 + PML4_INDEX_PHYSMAP * 8
    movl $(boot_pdpt_high + PTE_P + PTE_W), boot_pml4 + 511 * 8
    ret

enter_long_mode:
    movl %cr4, %eax
    orl $(CR4_PAE | CR4_PGE), %eax
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_LME, %eax
    cmpl $0, PHYS(boot_nx)
    je 1f
    orl $EFER_NXE, %eax
1:  wrmsr
    movl %cr0, %eax
    orl $(CR0_PG | CR0_WP), %eax
    movl %eax, %cr0
    lgdt boot_gdt_ptr
    ljmp $0x08, $long_mode64

/* Prints the NUL-terminated string at %esi on COM1 and the VGA text screen,
 * then halts for good. Under UEFI there is no VGA text memory; the write to
 * 0xb8000 is then harmless. */
fail32:
    movl $0xb8000, %edi
1:  movb (%esi), %al
    testb %al, %al
    jz 3f
    movb %al, (%edi)
    movb $0x4f, 1(%edi) /* white on red */
    addl $2, %edi
    movw $(PC_COM1 + 5), %dx
    movl $100000, %ecx
2:  inb %dx, %al /* LSR bit 5: transmit holding register empty */
    testb $0x20, %al
    jnz 4f
    loop 2b
4:  movb (%esi), %al
    movw $PC_COM1, %dx
    outb %al, %dx
    incl %esi
    jmp 1b
3:  cli
    hlt
    jmp 3b

/* 16550: 115200 baud (divisor 1), 8N1, FIFO on. */
serial_init32:
    movw $(PC_COM1 + 1), %dx
    xorb %al, %al
    outb %al, %dx
    movw $(PC_COM1 + 3), %dx
    movb $0x80, %al
    outb %al, %dx
    movw $PC_COM1, %dx
    movb $1, %al
    outb %al, %dx
    movw $(PC_COM1 + 1), %dx
    xorb %al, %al
    outb %al, %dx
    movw $(PC_COM1 + 3), %dx
    movb $0x03, %al
    outb %al, %dx
    movw $(PC_COM1 + 2), %dx
    movb $0xc7, %al
    outb %al, %dx
    movw $(PC_COM1 + 4), %dx
    movb $0x03, %al
    outb %al, %dx
    ret

/* ---- 64-bit trampoline, still at its physical address. */
    .code64
long_mode64:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs
    movabsq $boot_stack_top, %rsp
    /* GS: the boot CPU's per-CPU block (percpu.c), where C finds the
     * running thread from its first line on. */
    movl $0xc0000101, %ecx              /* IA32_GS_BASE */
    movabsq $arch_cpus, %rax
    movq %rax, %rdx
    shrq $32, %rdx
    wrmsr
    xorl %ebp, %ebp
    movl PHYS(boot_info_phys), %edi
    movabsq $kmain, %rax
    pushq $0 /* no return address: ends backtraces; kmain never returns */
    jmp *%rax

    .section .boot.rodata, "a"
msg_no_multiboot:
    .asciz "Mica: not booted by a Multiboot2 loader (bad magic in EAX); halting."
msg_no_long_mode:
    .asciz "Mica: this CPU has no 64-bit long mode; Mica needs an x86_64 CPU. Halting."

    .balign 8
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff /* 0x08: 64-bit code, DPL 0 */
    .quad 0x00cf92000000ffff /* 0x10: data, DPL 0 */
boot_gdt_end:
boot_gdt_ptr:
    .short boot_gdt_end - boot_gdt - 1
    .long boot_gdt

    /* Facts for C, in the higher half; boot code writes them through PHYS(). */
    .data
    .balign 8
    .global boot_magic, boot_info_phys, boot_tsc, boot_nx
boot_tsc:       .quad 0
boot_magic:     .long 0
boot_info_phys: .long 0
boot_nx:        .long 0

    .section .boot.bss, "aw", @nobits
    .balign 4096
boot_pml4:      .skip 4096
boot_pdpt_low:  .skip 4096
boot_pdpt_high: .skip 4096
boot_pd:        .skip 4 * 4096
boot_stack32:   .skip 1024
boot_stack32_top:

/* ---- The kernel boot stack, in the higher half, with an unmapped guard page
 * below it (paging.c leaves [boot_stack_guard, boot_stack_bottom) unmapped). */
    .section .bss.stack, "aw", @nobits
    .balign 4096
    .global boot_stack_guard, boot_stack_bottom, boot_stack_top
boot_stack_guard:
    .skip 4096
boot_stack_bottom:
    .skip KSTACK_SIZE
boot_stack_top:
