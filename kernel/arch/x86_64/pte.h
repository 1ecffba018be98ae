/*
 * Page-table entry bits of 4-level paging (SDM Vol. 3A §5.5, Tables 5-15
 * to 5-20), shared by the boot trampoline (boot.S), which builds the first
 * tables, and paging.c.
 */
#ifndef MICA_ARCH_X86_64_PTE_H
#define MICA_ARCH_X86_64_PTE_H

#ifdef __ASSEMBLER__
#define PTE_BIT(n) (1 << (n))
#else
#define PTE_BIT(n) (1ull << (n))
#endif

#define PTE_P   PTE_BIT(0) /* present */
#define PTE_W   PTE_BIT(1) /* writable */
#define PTE_U   PTE_BIT(2) /* user */
#define PTE_PWT PTE_BIT(3)
#define PTE_PCD PTE_BIT(4)
#define PTE_PS  PTE_BIT(7) /* a 2 MiB or 1 GiB page */
#define PTE_G   PTE_BIT(8) /* global */
/* Bit 52 is ignored by the MMU in every 4-level entry (bits 58:52
 * "ignored"). On a CPU without NX it records that a page is meant to be
 * non-executable, so that "writable and executable" is decided by one
 * rule on every CPU (see paging_nx). */
#define PTE_NOEXEC_SW PTE_BIT(52)
#define PTE_NX        PTE_BIT(63) /* no execute (EFER.NXE) */

#ifndef __ASSEMBLER__
#define PTE_ADDR 0x000ffffffffff000ull
#endif

#endif
