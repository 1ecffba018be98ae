/*
 * The console's protocol is defined once in mica/console.h (labels, message
 * layout, what the server drives today), so that clients and the server
 * read the same definitions. This header adds the server's own constants:
 * the 16550 UART registers it programs (PC16550D datasheet, "Registers")
 * and the notification bits of its interrupts. The i8042's are in ps2.c.
 */
#ifndef MICA_CONSOLE_PROTOCOL_H
#define MICA_CONSOLE_PROTOCOL_H

#include <mica/console.h>

#define COM1_BASE 0x3f8
#define UART_RBR  0 /* receive buffer (read) */
#define UART_THR  0 /* transmit holding (write) */
#define UART_IER  1 /* interrupt enable */
#define UART_MCR  4 /* modem control */
#define UART_LSR  5 /* line status */
#define UART_SCR  7 /* scratch: holds any value written */

#define IER_RX_DATA 0x01 /* interrupt when a byte has arrived */
#define MCR_DTR     0x01
#define MCR_RTS     0x02
#define MCR_OUT2    0x08 /* gates the UART interrupt onto the ISA IRQ line */
#define LSR_DR      0x01 /* a byte is waiting in RBR */
#define LSR_THRE    0x20 /* THR can take a byte */

/* Bits of the one input notification: which interrupt came. */
#define CONSOLE_IRQ_BIT 1u /* COM1, IRQ 4 */
#define CONSOLE_KBD_BIT 2u /* PS/2 keyboard, IRQ 1 */
/* Bit of the log thread's notification: the kernel log has more. */
#define CONSOLE_LOG_BIT 1u

#endif
