/*
 * Segment selectors and the TSS (see gdt.c).
 */
#ifndef MICA_ARCH_X86_64_GDT_H
#define MICA_ARCH_X86_64_GDT_H

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA (0x18 | 3)
#define SEL_UCODE (0x20 | 3)
#define SEL_TSS   0x28

/* IST slots (1-based, as in the IDT gate). */
#define IST_DOUBLE_FAULT  1
#define IST_NMI           2
#define IST_MACHINE_CHECK 3
#define IST_DEBUG         4 /* #DB: see isr.S, isr_debug */
#define IST_COUNT         4

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stdint.h>

void gdt_init(void);
/* This CPU's GDT and segments again (gdt_init does it once per CPU). */
void gdt_load(void);
void gdt_set_kernel_stack(uint64_t rsp0);
bool gdt_on_ist_stack(uint64_t addr);
/* The TSS's I/O permission bitmap (ioport.c fills it), and whether ring 3
 * may use it (false: iomap_base past the limit, every port faults). */
uint8_t *gdt_io_bitmap(void);
void gdt_io_enable(bool on);

#endif /* __ASSEMBLER__ */

#endif
