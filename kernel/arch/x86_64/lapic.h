/*
 * The local APIC (SDM Vol. 3A chapter 11), reached through the physical map.
 */
#ifndef MICA_ARCH_X86_64_LAPIC_H
#define MICA_ARCH_X86_64_LAPIC_H

#include <stdint.h>

void lapic_init(void);
void lapic_eoi(void);
uint8_t lapic_id(void);
/* Inter-processor interrupts (SDM Vol. 3A §10.6.1, ICR): INIT (level
 * assert) and STARTUP (| the start page number). */
#define LAPIC_IPI_INIT    0x4500u
#define LAPIC_IPI_STARTUP 0x4600u
#define LAPIC_IPI_FIXED   0x4000u /* fixed delivery, edge, assert | vector */
void lapic_send_ipi(uint8_t apic, uint32_t command);
void lapic_send_fixed(uint8_t apic, uint8_t vector);
void lapic_timer_start_count(uint32_t count); /* one-shot, masked, for calibration */
uint32_t lapic_timer_current(void);
void lapic_timer_periodic(uint8_t vector, uint32_t count);

#endif
