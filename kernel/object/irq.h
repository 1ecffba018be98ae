/*
 * IRQ objects (irq.c): a device interrupt line that a driver binds to a
 * notification.
 */
#ifndef MICA_OBJECT_IRQ_H
#define MICA_OBJECT_IRQ_H

#include <stdint.h>

struct notification;

struct irq_line {
    unsigned line;
    struct notification *ntf; /* counted reference, or NULL: not bound */
    uint64_t bits;
};

/* The object of line `line`, or NULL if the machine has no such line. */
struct irq_line *irq_line(unsigned line);
/* Delivers the line as `bits` on n from now on (replacing an earlier
 * binding) and unmasks it. */
void irq_bind(struct irq_line *irq, struct notification *n, uint64_t bits);
/* The driver has served the device: unmask the line again. */
void irq_ack(struct irq_line *irq);
/* A device interrupt fired (the arch calls this with the line masked). */
void irq_fire(unsigned line);

#endif
