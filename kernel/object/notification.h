/*
 * Notifications (notification.c): a word of bits that signals OR into and
 * one waiter takes (ipc/ipc.c: notification_signal, notification_wait).
 * The slot is a kernel object (object.h).
 */
#ifndef MICA_OBJECT_NOTIFICATION_H
#define MICA_OBJECT_NOTIFICATION_H

#include <stdint.h>

#include "object/object.h"

struct task;
struct thread;

struct notification {
    struct kobject obj;
    uint64_t bits;
    struct thread *waiter;      /* at most one waiting thread */
} __attribute__((aligned(64))); /* a cache line each: CPUs write their own */

#define MAX_NOTIFICATIONS 1024

/* A new notification paid for by `payer` (NULL: the kernel), with no
 * reference yet; NULL when the pool or the budget is exhausted. */
struct notification *notification_create(struct task *payer);
/* The last reference went (object.c). */
void notification_release(struct notification *n);
/* The notifications in slot order (i < MAX_NOTIFICATIONS). */
struct notification *notification_at(unsigned i);

#endif
