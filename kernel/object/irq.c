/*
 * IRQ objects: the kernel side of user-space drivers' interrupts. A line
 * stays masked until a driver binds it to a notification; when it fires,
 * the arch masks it and calls irq_fire, which signals the bound bits, and
 * the driver unmasks it with SYS_IRQ_ACK once it has drained the device.
 * So a driver that never acknowledges loses only its own interrupts.
 *
 *   irq_line   the object of a line (init's boot capabilities name them)
 *   irq_bind   SYS_IRQ_BIND's effect
 *   irq_ack    SYS_IRQ_ACK's effect
 *   irq_fire   from the arch's interrupt handler
 */
#include "object/irq.h"

#include "arch.h"
#include "ipc/ipc.h"
#include "trace/trace.h"

static struct irq_line lines[ARCH_IRQ_LINES];

struct irq_line *irq_line(unsigned line)
{
    if (line >= ARCH_IRQ_LINES)
        return NULL;
    lines[line].line = line;
    return &lines[line];
}

void irq_bind(struct irq_line *irq, struct notification *n, uint64_t bits)
{
    object_ref(MICA_OBJ_NOTIFICATION, n);
    if (irq->ntf)
        object_unref(MICA_OBJ_NOTIFICATION, irq->ntf);
    irq->ntf = n;
    irq->bits = bits;
    arch_irq_unmask(irq->line);
}

void irq_ack(struct irq_line *irq)
{
    arch_irq_unmask(irq->line);
}

void irq_fire(unsigned line)
{
    if (line >= ARCH_IRQ_LINES)
        return;
    struct irq_line *irq = &lines[line];
    TRACE(MICA_TRACE_IRQ, NULL, irq->ntf ? irq->ntf->waiter : NULL, 0, 0, line, 0);
    if (irq->ntf)
        notification_signal(irq->ntf, irq->bits);
}
