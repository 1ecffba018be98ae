/*
 * GDT and TSS. Long mode ignores segment bases and limits for code and data
 * (SDM Vol. 3A §3.2.4), so the GDT holds only what SYSCALL/SYSRET and
 * privilege changes need, plus the TSS with the kernel stack for ring 3
 * entries (rsp0) and the IST stacks for #DF, NMI and #MC, which must not run
 * on a stack that may be the broken one (SDM Vol. 3A §6.14.5).
 *
 * Selector order is fixed by SYSRET: it loads SS = STAR[63:48] + 8 and
 * CS = STAR[63:48] + 16 (SDM Vol. 2B, SYSRET), hence user data before user
 * code.
 */
#include "arch/x86_64/gdt.h"

#include "arch.h"
#include "arch/x86_64/ioport.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/layout.h"

struct gdt_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

/* Only tasks that hold an I/O port capability get iomap_base pointing at
 * the bitmap after the TSS (percpu.h); for all other tasks iomap_base lies
 * past the limit, so every port access faults. The bitmap's contents are
 * ioport.c's business. Each CPU has its own GDT, TSS and IST stacks (in
 * its struct cpu): a TSS is busy while loaded (SDM Vol. 3A §8.2.2), so no
 * two CPUs may share one, and each runs its own thread's kernel stack. */
_Static_assert(sizeof(((struct cpu *)0)->gdt) == GDT_ENTRIES * 8, "GDT size");

/* Access byte + flags of the code and data descriptors (SDM Vol. 3A §3.4.5). */
#define DESC_KCODE 0x00af9a000000ffffull /* L=1, DPL 0, execute/read */
#define DESC_KDATA 0x00cf92000000ffffull /* DPL 0, read/write */
#define DESC_UDATA 0x00cff2000000ffffull /* DPL 3, read/write */
#define DESC_UCODE 0x00affa000000ffffull /* L=1, DPL 3, execute/read */

static void set_tss_descriptor(struct cpu *c)
{
    uint64_t *gdt = c->gdt;
    uint64_t base = (uint64_t)&c->tss;
    uint64_t limit = sizeof(c->tss) - 1;
    /* 64-bit available TSS, type 9, present (SDM Vol. 3A §8.2.3). */
    gdt[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
             (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    gdt[6] = base >> 32;
}

void gdt_init(void)
{
    struct cpu *c = this_cpu();
    uint64_t *gdt = c->gdt;
    struct tss *tss = &c->tss.tss;
    gdt[0] = 0;
    gdt[1] = DESC_KCODE;
    gdt[2] = DESC_KDATA;
    gdt[3] = DESC_UDATA;
    gdt[4] = DESC_UCODE;
    for (int i = 0; i < IST_COUNT; i++)
        tss->ist[i] = (uint64_t)&c->ist[i][IST_STACK_SIZE];
    tss->iomap_base = sizeof(c->tss); /* past the limit: ring 3 has no port access */
    c->tss.end = 0xff;
    set_tss_descriptor(c);

    gdt_load();
    __asm__ volatile("ltr %w0" : : "r"((uint32_t)SEL_TSS) : "memory");
}

/* Loads this CPU's GDT and reloads the code and data segments (a far
 * return to the new CS); fs is cleared. GS is left alone: loading a null
 * selector into it may clear its base (Intel does, SDM Vol. 3A §3.4.4),
 * which is this CPU's per-CPU block by now (percpu.c). */
void gdt_load(void)
{
    struct cpu *c = this_cpu();
    struct gdt_ptr ptr = {sizeof(c->gdt) - 1, (uint64_t)c->gdt};
    __asm__ volatile("lgdt %0\n\t"
                     "pushq %1\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "movw %w2, %%ax\n\t"
                     "movw %%ax, %%ds\n\t"
                     "movw %%ax, %%es\n\t"
                     "movw %%ax, %%ss\n\t"
                     "xorl %%eax, %%eax\n\t"
                     "movw %%ax, %%fs"
                     :
                     : "m"(ptr), "i"((uint64_t)SEL_KCODE), "r"((uint32_t)SEL_KDATA)
                     : "rax", "memory");
}

void gdt_set_kernel_stack(uint64_t rsp0)
{
    this_cpu()->tss.tss.rsp[0] = rsp0;
}

bool gdt_on_ist_stack(uint64_t addr)
{
    for (unsigned i = 0; i < ARCH_MAX_CPUS; i++) {
        uint64_t base = (uint64_t)arch_cpus[i].ist;
        if (addr >= base && addr < base + sizeof(arch_cpus[i].ist))
            return true;
    }
    return false;
}

uint8_t *gdt_io_bitmap(void)
{
    return this_cpu()->tss.bitmap;
}

void gdt_io_enable(bool on)
{
    struct cpu *c = this_cpu();
    c->tss.tss.iomap_base =
        on ? __builtin_offsetof(struct tss_io, bitmap) : sizeof(c->tss);
}
