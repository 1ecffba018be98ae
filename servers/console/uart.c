/*
 * COM1: a 16550-compatible UART at 0x3f8 on IRQ 4 (PC16550D data sheet,
 * "Registers"). GRUB has already set the line to 115200 8N1; we keep that.
 *
 * Presence test, as the data sheet allows: the line status is not 0xff
 * and the scratch register holds what is written to it. With no UART on
 * the bus every read returns 0xff, so both fail (probe() says why there
 * is no loopback test).
 */
#include "uart.h"

#include <mica/ns.h>
#include <mica/syscall.h>

#include "io.h"
#include "protocol.h"

/* THRE polls before a byte is sent anyway: a stuck UART must not hang the
 * console (the kernel's own serial output does the same). */
#define THRE_SPINS 100000

static bool present;
static uint64_t irq_handle;

static bool scratch_holds(uint8_t v)
{
    outb(COM1_BASE + UART_SCR, v);
    return inb(COM1_BASE + UART_SCR) == v;
}

/* No loopback test (MCR bit 4): while the UART loops back, what anyone
 * else writes to it — the kernel prints its own lines, from any CPU, at
 * any moment — never reaches the wire and comes back as our input (the
 * shell would read half a kernel line as a command). Nothing answers
 * the scratch register but a UART. */
static bool probe(void)
{
    return inb(COM1_BASE + UART_LSR) != 0xff && scratch_holds(0x5a) &&
           scratch_holds(0xa5);
}

long uart_init(uint64_t ntf, uint64_t bits, bool *out_present, const char **step)
{
    uint64_t io;
    long st;

    *out_present = false;
    *step = "boot_cap_com1";
    if ((st = ns_boot_cap(NS_CAP_COM1, &io)) != MICA_OK)
        return st;
    *step = "ioport_enable";
    if ((st = mica_ioport_enable(io)) != MICA_OK)
        return st;
    if (!probe())
        return MICA_OK;
    *step = "boot_cap_irq4";
    if ((st = ns_boot_cap(NS_CAP_IRQ4, &irq_handle)) != MICA_OK)
        return st;
    /* The UART must raise its interrupt before the line is unmasked. */
    outb(COM1_BASE + UART_IER, IER_RX_DATA);
    outb(COM1_BASE + UART_MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
    *step = "irq_bind";
    if ((st = mica_irq_bind(irq_handle, ntf, bits)) != MICA_OK)
        return st;
    present = *out_present = true;
    return MICA_OK;
}

static void putc_polled(char c)
{
    for (int i = 0; i < THRE_SPINS && !(inb(COM1_BASE + UART_LSR) & LSR_THRE); i++)
        ;
    outb(COM1_BASE + UART_THR, (uint8_t)c);
}

void uart_write(const char *s, size_t n)
{
    if (!present)
        return;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            putc_polled('\r');
        putc_polled(s[i]);
    }
}

int uart_getc(void)
{
    if (!present || !(inb(COM1_BASE + UART_LSR) & LSR_DR))
        return -1;
    return inb(COM1_BASE + UART_RBR);
}

void uart_irq_ack(void)
{
    if (present)
        mica_irq_ack(irq_handle);
}
