/*
 * The notification pool (notification.h), shared and charged like the
 * endpoints' (endpoint.c): a slot is free while nothing refers to it.
 */
#include "object/notification.h"

#include "ipc/ipc.h"

static struct notification notifications[MAX_NOTIFICATIONS];

struct notification *notification_create(struct task *payer)
{
    for (unsigned i = 0; i < MAX_NOTIFICATIONS; i++) {
        struct notification *n = &notifications[i];
        if (n->obj.refs != 0)
            continue;
        *n = (struct notification){.bits = 0};
        return object_charge(&n->obj, payer) ? n : NULL;
    }
    return NULL;
}

void notification_release(struct notification *n)
{
    ipc_notification_gone(n); /* a waiter whose handle was closed: MICA_EDEAD */
    n->bits = 0;
}

struct notification *notification_at(unsigned i)
{
    return &notifications[i];
}
