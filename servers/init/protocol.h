/*
 * init's protocol is the name service, defined once in mica/ns.h so that
 * clients and init read the same labels. This header adds what only init
 * needs: the handle numbers of the boot capabilities the kernel gives it,
 * and the size of its registry.
 */
#ifndef MICA_INIT_PROTOCOL_H
#define MICA_INIT_PROTOCOL_H

#include <mica/ns.h>
#include <mica/syscall.h>

/* Handles of init at start (the kernel installs them in this order). */
enum init_handle {
    INIT_HANDLE_NS = MICA_HANDLE_NS, /* name service endpoint, receive right */
    INIT_HANDLE_SYSTEM = 2,          /* power off / reset */
    INIT_HANDLE_COM1 = 3,            /* I/O ports 0x3f8..0x3ff */
    INIT_HANDLE_IRQ4 = 4,
    INIT_HANDLE_PS2 = 5, /* I/O ports 0x60..0x64 */
    INIT_HANDLE_IRQ1 = 6,
};

/* From init's own supervision thread to its main thread (never from
 * another task: the sender's badge must be 0). */
#define NS_INTERNAL_RESTARTED 0x1ff
/* The same: a task init started died (its names go). */
#define NS_INTERNAL_DEATHS 0x1fe

/* Registered names at most; a name of a dead task is reused. */
#define NS_MAX_ENTRIES 32
/* Names one task may hold, so that no task can fill the registry. */
#define NS_MAX_PER_TASK 4

#endif
