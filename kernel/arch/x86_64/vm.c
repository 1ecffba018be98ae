/*
 * User address spaces: each task has its own PML4 whose upper half (entries
 * 256..511) is copied from the kernel's, so kernel mappings are shared and
 * never change after boot. Leaf rights map from VM_* flags: user pages are
 * never writable and executable at once unless both flags are given, and
 * non-executable pages carry NX (SDM Vol. 3A §5.13).
 */
#include "arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/ipi.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/percpu.h"
#include "mm/pmm.h"

uint64_t arch_vm_create(struct pmm *pmm)
{
    uint64_t root = pmm_alloc(pmm);
    if (root == PMM_NONE)
        return 0;
    uint64_t *t = phys_to_virt(root);
    const uint64_t *k = phys_to_virt(paging_kernel_pml4());
    for (int i = 0; i < 256; i++)
        t[i] = 0;
    for (int i = 256; i < 512; i++)
        t[i] = k[i];
    return root;
}

int arch_vm_map(struct pmm *pmm, uint64_t vm, uint64_t va, uint64_t pa, unsigned flags)
{
    uint64_t pte = PTE_U;
    if (flags & VM_WRITE)
        pte |= PTE_W;
    if (!(flags & VM_EXEC))
        pte |= paging_nx();
    return paging_map(pmm, vm, va, pa, pte);
}

unsigned arch_vm_tables_to_map(uint64_t vm, uint64_t va)
{
    const uint64_t *t = phys_to_virt(vm);
    for (int shift = 39, missing = 3; shift > 12; shift -= 9, missing--) {
        uint64_t e = t[(va >> shift) & 511];
        if (!(e & PTE_P))
            return (unsigned)missing;
        t = phys_to_virt(e & PTE_ADDR);
    }
    return 0;
}

/* The leaf entry for va, or NULL when a level is missing. */
static uint64_t *leaf(uint64_t vm, uint64_t va)
{
    uint64_t *t = phys_to_virt(vm);
    for (int shift = 39; shift > 12; shift -= 9) {
        uint64_t e = t[(va >> shift) & 511];
        if (!(e & PTE_P) || (e & PTE_PS))
            return NULL;
        t = phys_to_virt(e & PTE_ADDR);
    }
    return &t[(va >> 12) & 511];
}

uint64_t arch_vm_lookup(uint64_t vm, uint64_t va)
{
    uint64_t *e = leaf(vm, va);
    return (e && (*e & PTE_P)) ? (*e & PTE_ADDR) : 0;
}

uint64_t arch_vm_unmap(uint64_t vm, uint64_t va)
{
    uint64_t *e = leaf(vm, va);
    if (!e || !(*e & PTE_P))
        return 0;
    uint64_t pa = *e & PTE_ADDR;
    *e = 0;
    if (this_cpu()->vm == vm)
        invlpg(va);
    /* The shootdown: every other CPU with this space loaded drops its
     * translations before the frame can go anywhere else (the caller frees
     * it after we return). A CPU with another space in CR3 holds none of
     * this one's: a CR3 load flushes them all (no PCIDs, no global user
     * pages). */
    ipi_request_vm(IPI_FLUSH_VM, vm);
    return pa;
}

/* Frees the tables below `table` at `level` (4 = PML4) in the user half,
 * and the user frames they map unless keep() claims them. */
static void free_level(struct pmm *pmm, uint64_t table, int level, unsigned n,
                       bool (*keep)(uint64_t pa))
{
    uint64_t *t = phys_to_virt(table);
    for (unsigned i = 0; i < n; i++) {
        if (!(t[i] & PTE_P))
            continue;
        uint64_t pa = t[i] & PTE_ADDR;
        if (level > 1) {
            free_level(pmm, pa, level - 1, 512, keep);
            pmm_free(pmm, pa);
        } else if (!keep || !keep(pa)) {
            pmm_free(pmm, pa);
        }
        t[i] = 0;
    }
}

void arch_vm_destroy(struct pmm *pmm, uint64_t vm, bool (*keep)(uint64_t pa))
{
    struct cpu *c = this_cpu();
    if (c->vm == vm) {
        c->vm = paging_kernel_pml4();
        write_cr3(c->vm);
    }
    /* Idle CPUs may still have it in CR3 (idle keeps the last space). */
    ipi_request_vm(IPI_DROP_VM, vm);
    free_level(pmm, vm, 4, 256, keep);
    pmm_free(pmm, vm);
}

void arch_vm_switch(uint64_t vm)
{
    struct cpu *c = this_cpu();
    if (c->vm != vm) {
        c->vm = vm;
        write_cr3(vm);
    }
}

uint64_t arch_vm_count_wx(uint64_t vm)
{
    return paging_count_wx(vm, true);
}
