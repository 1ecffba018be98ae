/*
 * The per-CPU block: one struct cpu for each CPU the kernel runs on, which
 * GS points at in the kernel (SWAPGS, SDM Vol. 2B). The syscall entry
 * (syscall.S) and the fast paths (fastpath.S) reach the first fields by
 * offset before any C runs; the rest is C's: this CPU's GDT, TSS (with the
 * I/O permission bitmap) and IST stacks, and the slot through which the
 * CPU holding the kernel lock asks this one to flush its TLB or save its
 * FPU registers (ipi.c).
 */
#ifndef MICA_ARCH_X86_64_PERCPU_H
#define MICA_ARCH_X86_64_PERCPU_H

#define CPU_KERNEL_RSP 0             /* top of the running thread's kernel stack */
#define CPU_USER_RSP   8             /* the user rsp, saved by syscall_entry */
#define CPU_CURRENT    16            /* the running thread (struct thread *) */
#define CPU_SCHED      24            /* this CPU's scheduler state (struct sched_cpu *) */
#define CPU_ID         32            /* 0 .. ARCH_MAX_CPUS-1, uint32_t */
#define CPU_TS_SET     36            /* CR0.TS is set (lazy FPU, fpu.c), a byte */
#define CPU_FAST_PATH  37            /* in an IPC fast path (fastpath.inc), a byte */
#define CPU_REQUEST    38            /* a request of the lock holder (ipi.c), a byte */
#define CPU_FPU_OWNER  40            /* FPU area whose state is in the registers */
#define CPU_VM         48            /* the page-table root in CR3 */
#define CPU_SELF       56            /* this block's own address */
#define CPU_TSS        64            /* struct tss_io */
#define CPU_TSS_RSP0   (CPU_TSS + 4) /* rsp[0] (SDM Vol. 3A §8.7) */

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/ioport.h"

struct thread;

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

/* The TSS is followed by an I/O permission bitmap (SDM Vol. 1 §19.5.2):
 * one bit per port, 0 = allowed, and a final byte of ones. */
struct tss_io {
    struct tss tss;
    uint8_t bitmap[sizeof(struct arch_io_bitmap)];
    uint8_t end;
} __attribute__((packed));

#define IST_STACK_SIZE 8192
#define GDT_ENTRIES    7

struct cpu {
    uint64_t kernel_rsp;
    uint64_t user_rsp;
    struct thread *current;
    void *sched;
    uint32_t id;
    uint8_t ts_set;
    volatile uint8_t fast_path;
    volatile uint8_t request; /* ipi.h IPI_*, 0: none */
    void *fpu_owner;
    uint64_t vm;
    struct cpu *self;
    struct tss_io tss;
    /* Only C reads these. */
    uint64_t gdt[GDT_ENTRIES];
    uint32_t apic; /* local APIC id (x2APIC ids are 32 bits) */
    bool online;
    /* The idle thread waits with interrupts on and the kernel lock free:
     * an interrupt there takes the lock and gives it back (trap.c). */
    bool idle_window;
    const struct arch_io_bitmap *io_loaded; /* the map in this TSS, if any */
    bool io_enabled;                        /* iomap_base points at it */
    uint64_t ticks;                         /* timer ticks taken */
    uint32_t nmis;                          /* NMIs taken (trap.c) */
    uint32_t nmis_reported;                 /* of those, reported */
    /* A request of the lock holder (ipi.c): what (`request`, above), and
     * for what. */
    uint64_t request_vm;
    void *request_fpu;
    uint8_t ist[IST_COUNT][IST_STACK_SIZE] __attribute__((aligned(16)));
};
_Static_assert(offsetof(struct cpu, kernel_rsp) == CPU_KERNEL_RSP, "CPU_KERNEL_RSP");
_Static_assert(offsetof(struct cpu, user_rsp) == CPU_USER_RSP, "CPU_USER_RSP");
_Static_assert(offsetof(struct cpu, current) == CPU_CURRENT, "CPU_CURRENT");
_Static_assert(offsetof(struct cpu, sched) == CPU_SCHED, "CPU_SCHED");
_Static_assert(offsetof(struct cpu, id) == CPU_ID, "CPU_ID");
_Static_assert(offsetof(struct cpu, ts_set) == CPU_TS_SET, "CPU_TS_SET");
_Static_assert(offsetof(struct cpu, fast_path) == CPU_FAST_PATH, "CPU_FAST_PATH");
_Static_assert(offsetof(struct cpu, request) == CPU_REQUEST, "CPU_REQUEST");
_Static_assert(offsetof(struct cpu, fpu_owner) == CPU_FPU_OWNER, "CPU_FPU_OWNER");
_Static_assert(offsetof(struct cpu, vm) == CPU_VM, "CPU_VM");
_Static_assert(offsetof(struct cpu, self) == CPU_SELF, "CPU_SELF");
_Static_assert(offsetof(struct cpu, tss) == CPU_TSS, "CPU_TSS");
_Static_assert(offsetof(struct cpu, tss) + offsetof(struct tss, rsp) == CPU_TSS_RSP0,
               "CPU_TSS_RSP0");

extern struct cpu arch_cpus[ARCH_MAX_CPUS];
extern unsigned arch_cpus_online;

/* This CPU's block (GS holds it in the kernel). */
static inline struct cpu *this_cpu(void)
{
    struct cpu *c;
    __asm__ volatile("movq %%gs:%c1, %0" : "=r"(c) : "i"(CPU_SELF));
    return c;
}

/* Fills block i and points this CPU's GS at it (boot CPU: i = 0). */
void percpu_init(unsigned i, uint32_t apic);
#endif

#endif
