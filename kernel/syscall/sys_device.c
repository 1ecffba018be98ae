/*
 * Drivers' syscalls and power: the decoding in front of the device objects
 * (object/ioport.c, object/irq.c, object/system.c). Each needs a handle
 * with MANAGE to its object; init holds them as boot capabilities and
 * hands them out by policy.
 *
 *   SYS_IOPORT_ENABLE  allow in/out on a port range to the caller
 *   SYS_IRQ_BIND       deliver an IRQ line as bits of a notification
 *   SYS_IRQ_ACK        unmask the line once the device is served
 *   SYS_SYSTEM         power off or reset
 */
#include "ipc/ipc.h"
#include "object/ioport.h"
#include "object/irq.h"
#include "object/system.h"
#include "syscall/sys_common.h"

int64_t sys_ioport_enable(struct trap_frame *f, struct thread *self)
{
    int err;
    struct ioports *io =
        object_arg(self, ARG(0), MICA_OBJ_IOPORTS, MICA_RIGHT_MANAGE, &err);
    if (!io)
        return err;
    return ioports_enable(self->task, io);
}

int64_t sys_irq_bind(struct trap_frame *f, struct thread *self)
{
    int err;
    struct irq_line *irq =
        object_arg(self, ARG(0), MICA_OBJ_IRQ, MICA_RIGHT_MANAGE, &err);
    if (!irq)
        return err;
    struct notification *n = signal_arg(self, ARG(1), ARG(2), &err);
    if (!n)
        return err;
    irq_bind(irq, n, ARG(2));
    return MICA_OK;
}

int64_t sys_irq_ack(struct trap_frame *f, struct thread *self)
{
    int err;
    struct irq_line *irq =
        object_arg(self, ARG(0), MICA_OBJ_IRQ, MICA_RIGHT_MANAGE, &err);
    if (!irq)
        return err;
    irq_ack(irq);
    return MICA_OK;
}

int64_t sys_system(struct trap_frame *f, struct thread *self)
{
    int err;
    if (!object_arg(self, ARG(0), MICA_OBJ_SYSTEM, MICA_RIGHT_MANAGE, &err))
        return err;
    return system_power(ARG(1));
}
