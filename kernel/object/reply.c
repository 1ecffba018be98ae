/*
 * The reply-object pool (reply.h), shared and charged like the endpoints'
 * (endpoint.c): a slot is free while nothing refers to it.
 */
#include "object/reply.h"

#include "ipc/ipc.h"

static struct reply replies[MAX_REPLIES];

struct reply *reply_create(struct task *payer)
{
    for (unsigned i = 0; i < MAX_REPLIES; i++) {
        struct reply *r = &replies[i];
        if (r->obj.refs != 0)
            continue;
        *r = (struct reply){.caller = NULL};
        return object_charge(&r->obj, payer) ? r : NULL;
    }
    return NULL;
}

void reply_release(struct reply *r)
{
    ipc_reply_gone(r); /* never answered: the caller gets MICA_ELOST */
}

struct reply *reply_at(unsigned i)
{
    return &replies[i];
}
