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
#include "arch/x86_64/fastpath.h"
#include "arch/x86_64/layout.h"

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "TSS layout, SDM Vol. 3A §8.7");

struct gdt_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

#define IST_STACK_SIZE 8192

/* The TSS is followed by an I/O permission bitmap (SDM Vol. 1 §19.5.2):
 * one bit per port, 0 = allowed, and a final byte of ones. Only tasks that
 * hold an I/O port capability get iomap_base pointing at it; for all other
 * tasks iomap_base lies past the limit, so every port access faults. The
 * bitmap's contents are ioport.c's business. */
struct tss_io {
    struct tss tss;
    uint8_t bitmap[sizeof(struct arch_io_bitmap)];
    uint8_t end;
} __attribute__((packed));

static uint64_t gdt[7];
/* Global for the IPC fast path (fastpath.S), which sets rsp[0] itself. */
struct tss_io gdt_tss_io;
_Static_assert(offsetof(struct tss, rsp) == TSS_RSP0, "fastpath.h TSS_RSP0");
#define tss (gdt_tss_io.tss)
static uint8_t ist_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));

/* Access byte + flags of the code and data descriptors (SDM Vol. 3A §3.4.5). */
#define DESC_KCODE 0x00af9a000000ffffull /* L=1, DPL 0, execute/read */
#define DESC_KDATA 0x00cf92000000ffffull /* DPL 0, read/write */
#define DESC_UDATA 0x00cff2000000ffffull /* DPL 3, read/write */
#define DESC_UCODE 0x00affa000000ffffull /* L=1, DPL 3, execute/read */

static void set_tss_descriptor(void)
{
    uint64_t base = (uint64_t)&tss;
    uint64_t limit = sizeof(gdt_tss_io) - 1;
    /* 64-bit available TSS, type 9, present (SDM Vol. 3A §8.2.3). */
    gdt[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
             (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    gdt[6] = base >> 32;
}

void gdt_init(void)
{
    gdt[0] = 0;
    gdt[1] = DESC_KCODE;
    gdt[2] = DESC_KDATA;
    gdt[3] = DESC_UDATA;
    gdt[4] = DESC_UCODE;
    for (int i = 0; i < 3; i++)
        tss.ist[i] = (uint64_t)&ist_stacks[i][IST_STACK_SIZE];
    tss.iomap_base = sizeof(gdt_tss_io); /* past the limit: ring 3 has no port access */
    gdt_tss_io.end = 0xff;
    set_tss_descriptor();

    gdt_load();
    __asm__ volatile("ltr %w0" : : "r"((uint32_t)SEL_TSS) : "memory");
}

/* Loads the GDT and reloads the code and data segments (a far return to
 * the new CS); fs and gs are cleared, their bases are MSRs. */
void gdt_load(void)
{
    struct gdt_ptr ptr = {sizeof(gdt) - 1, (uint64_t)gdt};
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
                     "movw %%ax, %%fs\n\t"
                     "movw %%ax, %%gs"
                     :
                     : "m"(ptr), "i"((uint64_t)SEL_KCODE), "r"((uint32_t)SEL_KDATA)
                     : "rax", "memory");
}

void gdt_set_kernel_stack(uint64_t rsp0)
{
    tss.rsp[0] = rsp0;
}

bool gdt_on_ist_stack(uint64_t addr)
{
    return addr >= (uint64_t)ist_stacks &&
           addr < (uint64_t)ist_stacks + sizeof(ist_stacks);
}

uint8_t *gdt_io_bitmap(void)
{
    return gdt_tss_io.bitmap;
}

void gdt_io_enable(bool on)
{
    tss.iomap_base = on ? __builtin_offsetof(struct tss_io, bitmap) : sizeof(gdt_tss_io);
}
