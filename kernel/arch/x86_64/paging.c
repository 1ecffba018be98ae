/*
 * Kernel page tables. arch_paging_init() replaces the boot tables of boot.S
 * with the final ones:
 *   - the kernel image with 4 KiB pages, W^X per section: text RX, rodata R,
 *     data and bss RW, all no-execute except text (paging_nx: the NX bit,
 *     or its software stand-in on a CPU without NX); the boot stack's guard page is
 *     left unmapped so an overflow faults instead of corrupting .bss;
 *   - the physical map: every physical byte below the top of RAM (and at
 *     least the first 4 GiB: boot information, modules, MMIO) at
 *     PHYSMAP_BASE with 1 GiB pages (2 MiB where the CPU lacks them), RW
 *     and NX;
 *   - no identity map: the low half belongs to user tasks.
 * Page attributes stay write-back: the firmware's MTRRs already make the
 * MMIO holes uncacheable (SDM Vol. 3A §12.5.2.2, effective memory type).
 */
#include "arch/x86_64/paging.h"
#include "arch/x86_64/percpu.h"

#include <mica/abi.h>

#include "arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/kstack.h"
#include "arch/x86_64/layout.h"
#include "kernel.h"
#include "mm/pmm.h"

_Static_assert(PAGE_SIZE == MICA_PAGE_SIZE, "layout.h PAGE_SIZE is the ABI's page");

extern uint32_t boot_nx;
extern char __kernel_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __kernel_end[], boot_stack_guard[], boot_stack_bottom[];

static uint64_t kernel_pml4;

uint64_t paging_nx(void)
{
    return boot_nx ? PTE_NX : PTE_NOEXEC_SW;
}

uint64_t paging_kernel_pml4(void)
{
    return kernel_pml4;
}

static uint64_t alloc_table(struct pmm *pmm)
{
    uint64_t pa = pmm_alloc(pmm);
    if (pa == PMM_NONE)
        return PMM_NONE;
    uint64_t *t = phys_to_virt(pa);
    for (int i = 0; i < 512; i++)
        t[i] = 0;
    return pa;
}

/* The next-level table under entry `idx` of `table`, created when missing.
 * Intermediate entries are permissive (W, and U in the user half); the leaf
 * decides the real rights (SDM Vol. 3A §5.6.1: rights combine by AND/OR). */
static uint64_t *next_table(struct pmm *pmm, uint64_t *table, unsigned idx, bool user)
{
    if (!(table[idx] & PTE_P)) {
        uint64_t pa = alloc_table(pmm);
        if (pa == PMM_NONE)
            return NULL;
        table[idx] = pa | PTE_P | PTE_W | (user ? PTE_U : 0);
    }
    if (table[idx] & PTE_PS)
        return NULL; /* a large page is in the way */
    return phys_to_virt(table[idx] & PTE_ADDR);
}

int paging_map(struct pmm *pmm, uint64_t pml4, uint64_t va, uint64_t pa, uint64_t flags)
{
    bool user = (flags & PTE_U) != 0;
    uint64_t *t = phys_to_virt(pml4);
    int levels = (flags & PTE_PS) ? 2 : 3; /* tables to descend below PML4 */
    for (int shift = 39; levels > 0; shift -= 9, levels--) {
        t = next_table(pmm, t, (va >> shift) & 511, user);
        if (!t)
            return -1;
    }
    unsigned idx = (va >> ((flags & PTE_PS) ? 21 : 12)) & 511;
    t[idx] = (pa & PTE_ADDR) | flags | PTE_P;
    return 0;
}

static void map_range(struct pmm *pmm, uint64_t start, uint64_t end, uint64_t flags)
{
    for (uint64_t va = start; va < end; va += PAGE_SIZE) {
        if (va >= (uint64_t)boot_stack_guard && va < (uint64_t)boot_stack_bottom)
            continue;
        if (kstack_is_guard(va))
            continue;
        if (paging_map(pmm, kernel_pml4, va, va - KERNEL_VMA, flags | PTE_G) != 0)
            panic("out of frames while mapping the kernel image");
    }
}

/* CPUID.80000001h:EDX bit 26: 1 GiB pages (SDM Vol. 3A §5.5, Table 5-16). */
static bool have_1g_pages(void)
{
    uint32_t r[4];
    cpuid(0x80000000u, 0, r);
    if (r[0] < 0x80000001u)
        return false;
    cpuid(0x80000001u, 0, r);
    return (r[3] >> 26) & 1;
}

/* One PDPT entry maps 1 GiB: the physical map then costs the same few
 * entries whatever the RAM size (with 2 MiB pages it is one entry per
 * 2 MiB, the last boot work that grew with RAM). */
static void map_physmap_1g(struct pmm *pmm, uint64_t top, uint64_t flags)
{
    for (uint64_t pa = 0; pa < top; pa += PAGE_1G) {
        uint64_t va = PHYSMAP_BASE + pa;
        uint64_t *pdpt =
            next_table(pmm, phys_to_virt(kernel_pml4), (va >> 39) & 511, false);
        if (!pdpt)
            panic("out of frames while building the physical map");
        pdpt[(va >> 30) & 511] = pa | flags | PTE_P;
    }
}

static void map_physmap(struct pmm *pmm, uint64_t top)
{
    if (top < (4ull << 30))
        top = 4ull << 30;
    uint64_t flags = PTE_W | PTE_PS | PTE_G | paging_nx();
    if (have_1g_pages()) {
        map_physmap_1g(pmm, ALIGN_UP(top, PAGE_1G), flags);
        return;
    }
    top = ALIGN_UP(top, PAGE_2M);
    for (uint64_t pa = 0; pa < top; pa += PAGE_2M)
        if (paging_map(pmm, kernel_pml4, PHYSMAP_BASE + pa, pa, flags) != 0)
            panic("out of frames while building the physical map");
}

void arch_paging_init(struct pmm *pmm, uint64_t phys_top)
{
    kernel_pml4 = alloc_table(pmm);
    if (kernel_pml4 == PMM_NONE)
        panic("no frame for the kernel PML4");
    uint64_t nx = paging_nx();
    map_range(pmm, (uint64_t)__kernel_start, (uint64_t)__text_end, 0);
    map_range(pmm, (uint64_t)__rodata_start, (uint64_t)__rodata_end, nx);
    map_range(pmm, (uint64_t)__data_start, (uint64_t)__kernel_end, PTE_W | nx);
    map_physmap(pmm, phys_top);
    write_cr3(kernel_pml4);
    this_cpu()->vm = kernel_pml4;
    kprintf("mica: paging kernel_wx_pages=%llu nx=%s\n",
            (unsigned long long)paging_count_wx(kernel_pml4, false),
            boot_nx ? "on" : "off");
}

/* Walks one table level; `w` and `x` are the rights granted by the levels
 * above (writable needs W everywhere, executable needs NX nowhere). */
static uint64_t count_wx(const uint64_t *t, int level, bool w, bool x, unsigned from,
                         unsigned to)
{
    uint64_t n = 0;
    for (unsigned i = from; i < to; i++) {
        uint64_t e = t[i];
        if (!(e & PTE_P))
            continue;
        bool ew = w && (e & PTE_W);
        bool ex = x && !(e & paging_nx());
        bool leaf = level == 1 || (level < 4 && (e & PTE_PS));
        if (leaf)
            n += (ew && ex) ? (1ull << (9 * (level - 1))) : 0;
        else
            n += count_wx(phys_to_virt(e & PTE_ADDR), level - 1, ew, ex, 0, 512);
    }
    return n;
}

uint64_t paging_count_wx(uint64_t pml4, bool user_half)
{
    const uint64_t *t = phys_to_virt(pml4);
    return user_half ? count_wx(t, 4, true, true, 0, 256)
                     : count_wx(t, 4, true, true, 256, 512);
}
