/*
 * Bringing up the other CPUs (smp.c, ap_boot.S): every CPU the ACPI MADT
 * lists is started (INIT-SIPI-SIPI, SDM Vol. 3A §8.4.4) into long mode,
 * reported online, and joins the scheduler once the boot CPU starts it
 * (docs/architecture.md, "SMP").
 */
#ifndef MICA_ARCH_X86_64_SMP_H
#define MICA_ARCH_X86_64_SMP_H

/* Where the APs start in real mode: a page below 1 MiB the frame allocator
 * never hands out (mm/mem.c keeps the low 1 MiB), and the three pages
 * after it hold the page tables of their way into long mode. */
#define AP_TRAMPOLINE 0x8000
#define AP_TABLES     0x9000

#ifndef __ASSEMBLER__
#include <stdint.h>

/* The CPUs' local APIC ids from the MADT (acpi.c); how many. */
unsigned arch_acpi_cpus(const uint32_t **apic_ids);
/* Starts the APs and prints a line per CPU and the count (after the timer
 * and ACPI are set up). */
void smp_start(void);
#endif

#endif
