/*
 * The hooks generic kernel code calls into the architecture. Generic code
 * includes this header only, never an x86 header; arch/x86_64/ implements
 * every function declared here.
 */
#ifndef MICA_KERNEL_ARCH_H
#define MICA_KERNEL_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pmm;

/* Boot facts the arch entry code gathered before C ran. */
struct arch_boot {
    uint64_t info_phys;                          /* Multiboot2 boot information */
    uint64_t kernel_phys_start, kernel_phys_end; /* whole image incl. boot code */
};
void arch_boot_facts(struct arch_boot *out);

/* Early serial console (COM1). Safe to call at any time, even in a panic. */
void arch_serial_write(const char *s, size_t len);

/* Descriptor tables, exception vectors, CPU feature bits (NX, SMEP, SMAP). */
void arch_cpu_init(void);

/*
 * Replaces the boot page tables: kernel image W^X with 4 KiB pages, the boot
 * stack guard page unmapped, every byte below `phys_top` (and at least the
 * first 4 GiB, which holds the boot information, modules and MMIO) in the
 * physical map. Page-table frames come from `pmm`.
 */
void arch_paging_init(struct pmm *pmm, uint64_t phys_top);

/* Kernel virtual address of a physical address (through the physical map). */
void *phys_to_virt(uint64_t phys);

/* Calibrates the TSC and the local APIC timer, starts the periodic tick. */
void arch_timer_init(void);
uint64_t arch_ms_since_boot(void); /* from the first kernel instruction */
uint64_t arch_timer_ticks(void);

/* Prints a frame-pointer backtrace starting at the caller. */
void arch_backtrace_here(void);

/* Interrupts on, halt until the next one, forever. */
__attribute__((noreturn)) void arch_idle_loop(void);
/* Interrupts off, halt for good. */
__attribute__((noreturn)) void arch_halt(void);

/* Ends QEMU through the isa-debug-exit device (no effect elsewhere). */
void arch_qemu_exit(uint32_t code);

#endif
