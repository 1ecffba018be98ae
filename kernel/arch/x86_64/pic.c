/*
 * Device IRQs through the two legacy 8259A PICs (remapped to vectors
 * 0x30..0x3f by timer.c). A line stays masked until a driver binds it; when
 * it fires it is masked again and signalled to the driver's notification,
 * and the driver unmasks it with SYS_IRQ_ACK once it has drained the device.
 * IRQ 7 and 15 without their ISR bit set are spurious and get no EOI to the
 * PIC that raised them (8259A data sheet, "spurious interrupts").
 */
#include "arch/x86_64/pic.h"

#include "arch.h"
#include "arch/x86_64/cpu.h"
#include "object/irq.h"

#define PIC1_CMD     0x20
#define PIC1_DATA    0x21
#define PIC2_CMD     0xa0
#define PIC2_DATA    0xa1
#define PIC_EOI      0x20
#define PIC_READ_ISR 0x0b

_Static_assert(ARCH_IRQ_LINES == 16, "two 8259As, eight lines each");

static uint16_t mask = 0xffff;

static void write_mask(void)
{
    uint16_t m = mask;
    /* The cascade line (IRQ 2) stays open whenever a slave line is. */
    if ((mask & 0xff00) != 0xff00)
        m &= (uint16_t) ~(1u << 2);
    outb(PIC1_DATA, m & 0xff);
    outb(PIC2_DATA, m >> 8);
}

void arch_irq_unmask(unsigned irq)
{
    if (irq > 15)
        return;
    mask &= (uint16_t) ~(1u << irq);
    write_mask();
}

void arch_irq_mask(unsigned irq)
{
    if (irq > 15)
        return;
    mask |= (uint16_t)(1u << irq);
    write_mask();
}

static bool in_service(unsigned line)
{
    uint16_t port = line < 8 ? PIC1_CMD : PIC2_CMD;
    outb(port, PIC_READ_ISR);
    return (inb(port) >> (line & 7)) & 1;
}

void pic_irq(unsigned line)
{
    if ((line == 7 || line == 15) && !in_service(line)) {
        if (line == 15)
            outb(PIC1_CMD, PIC_EOI);
        return;
    }
    arch_irq_mask(line);
    if (line >= 8)
        outb(PIC2_CMD, PIC_EOI);
    outb(PIC1_CMD, PIC_EOI);
    irq_fire(line);
}
