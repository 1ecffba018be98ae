/*
 * The endpoint pool (endpoint.h). A slot is free while nothing refers to
 * it and it has no owner; the pool is shared, but every slot a task takes
 * is charged to its budget (object.c), and the budgets of all tasks add
 * up to less than the pool (init's is MAX_ENDPOINTS less a reserve for the
 * kernel's own endpoints), so no task can take the last one from another.
 */
#include "object/endpoint.h"

#include "ipc/ipc.h"

static struct endpoint endpoints[MAX_ENDPOINTS];

struct endpoint *endpoint_create(struct task *owner, struct task *payer)
{
    for (unsigned i = 0; i < MAX_ENDPOINTS; i++) {
        struct endpoint *ep = &endpoints[i];
        if (ep->obj.refs != 0 || ep->owner)
            continue;
        *ep = (struct endpoint){.owner = owner};
        if (!object_charge(&ep->obj, payer)) {
            ep->owner = NULL;
            return NULL;
        }
        return ep;
    }
    return NULL;
}

void endpoint_release(struct endpoint *ep)
{
    /* No handle names it now, but a thread may still wait in it (another
     * thread of its task closed the handle meanwhile): it gets
     * MICA_EDEAD, and the slot is free. */
    ipc_endpoint_gone(ep);
    ep->owner = NULL;
}

unsigned endpoint_number(const struct endpoint *ep)
{
    return (unsigned)(ep - endpoints) + 1;
}

struct endpoint *endpoint_at(unsigned i)
{
    return &endpoints[i];
}
