/*
 * The local APIC (SDM Vol. 3A chapter 11), reached through the physical map.
 */
#ifndef MICA_ARCH_X86_64_LAPIC_H
#define MICA_ARCH_X86_64_LAPIC_H

#include <stdint.h>

void lapic_init(void);
void lapic_eoi(void);
void lapic_timer_start_count(uint32_t count); /* one-shot, masked, for calibration */
uint32_t lapic_timer_current(void);
void lapic_timer_periodic(uint8_t vector, uint32_t count);

#endif
