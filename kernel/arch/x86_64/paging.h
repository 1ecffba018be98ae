/*
 * x86_64 4-level page tables (SDM Vol. 3A §5.5): entry bits and the helpers
 * that build mappings (see paging.c).
 */
#ifndef MICA_ARCH_X86_64_PAGING_H
#define MICA_ARCH_X86_64_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/pte.h"

struct pmm;

#define PAGE_2M (2ull << 20)
#define PAGE_1G (1ull << 30)

/* Maps one 4 KiB page (or one 2 MiB page with PTE_PS) at va -> pa in the
 * tables rooted at pml4 (physical). Intermediate tables come from pmm.
 * Returns 0, or -1 when a table frame cannot be had. */
int paging_map(struct pmm *pmm, uint64_t pml4, uint64_t va, uint64_t pa, uint64_t flags);

/* The bit that marks a page non-executable: PTE_NX when the CPU has NX
 * (EFER.NXE is on), else PTE_NOEXEC_SW, which the CPU ignores. Mappings
 * always carry it unless they are meant to be executable, so no mapping is
 * ever writable and executable by intent, and paging_count_wx checks that
 * intent on every CPU; without NX the hardware cannot enforce it (the boot
 * log says so). */
uint64_t paging_nx(void);

/* Physical address of the kernel's own PML4 (its upper half is shared by
 * every address space). */
uint64_t paging_kernel_pml4(void);

/* Counts mapped 4 KiB-equivalent pages that are both writable and
 * executable in the tables rooted at pml4, for the given half. */
uint64_t paging_count_wx(uint64_t pml4, bool user_half);

#endif
