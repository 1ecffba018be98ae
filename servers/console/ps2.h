/*
 * The console's PS/2 keyboard driver (ps2.c): what main.c needs to start
 * it and to take the characters typed on it. When ps2_init fails the
 * console runs without a keyboard and ps2_getc finds nothing.
 */
#ifndef MICA_CONSOLE_PS2_H
#define MICA_CONSOLE_PS2_H

#include <stdint.h>

/* Takes the i8042's ports and IRQ 1 from init, enables the keyboard port
 * with its interrupt and scan code translation, and binds IRQ 1 to `bits`
 * of notification ntf. MICA_OK, or the error of the step named in *step. */
long ps2_init(uint64_t ntf, uint64_t bits, const char **step);

/* The next character typed: reads scan codes while the controller holds
 * one and returns the first that types something, or -1 when it has none
 * left. Shift and caps lock state carry over between calls. */
int ps2_getc(void);

/* Unmasks IRQ 1 again after its notification bit was taken. */
void ps2_irq_ack(void);

#endif
