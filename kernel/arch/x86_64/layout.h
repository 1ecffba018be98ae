/*
 * The x86_64 virtual memory layout, shared by assembly and C.
 *
 *   0x0000000000001000 .. 0x00007fffffffffff  user half (per task)
 *   0xffff800000000000 .. +RAM top            physical map (all RAM, NX)
 *   0xffffffff80000000 .. +kernel image       kernel image, W^X, 4 KiB pages
 *
 * The kernel is loaded at physical 1 MiB and linked at KERNEL_VMA + 1 MiB.
 */
#ifndef MICA_ARCH_X86_64_LAYOUT_H
#define MICA_ARCH_X86_64_LAYOUT_H

#define KERNEL_VMA         0xffffffff80000000
#define KERNEL_LOAD_PHYS   0x100000
#define PHYSMAP_BASE       0xffff800000000000
#define PML4_INDEX_PHYSMAP 256
#define KSTACK_SIZE        16384
#define PAGE_SIZE          4096

/* The user half ends where the canonical lower half does (48-bit virtual
 * addresses, SDM Vol. 1 §3.3.7.1): USER_END is the first non-canonical
 * address, USER_TOP the last user byte. A user rip above USER_TOP must
 * never reach SYSRET or IRETQ (syscall.S, isr.S). */
#define USER_END 0x0000800000000000
#define USER_TOP 0x00007fffffffffff

#endif
