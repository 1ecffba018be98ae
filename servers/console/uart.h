/*
 * The console's 16550 UART driver for COM1 (uart.c). A PC may have no
 * UART at all (VirtualBox's default VM has none): then every register
 * reads 0xff, which would look like "a byte is waiting" forever, so the
 * driver first checks that a 16550 answers and does nothing otherwise.
 */
#ifndef MICA_CONSOLE_UART_H
#define MICA_CONSOLE_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Takes COM1's ports and IRQ 4 from init and probes for the UART. When it
 * is there, enables its receive interrupt and binds IRQ 4 to `bits` of
 * ntf. MICA_OK with *present telling whether a UART answered, or the error
 * of the step named in *step. */
long uart_init(uint64_t ntf, uint64_t bits, bool *present, const char **step);

/* Sends n bytes, a terminal's "\r\n" for each "\n"; nothing without a UART. */
void uart_write(const char *s, size_t n);

/* The next byte received, or -1 when none is waiting (or there is no UART). */
int uart_getc(void);

/* Unmasks IRQ 4 again after its notification bit was taken. */
void uart_irq_ack(void);

#endif
