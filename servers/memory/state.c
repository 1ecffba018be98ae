/*
 * The record a restart keeps (state.h): its checks.
 */
#include "state.h"

#include <mica/memory.h>
#include <string.h>

#define STATE_MAGIC   0x4d454d5354415445ull /* "MEMSTATE" */
#define STATE_VERSION 1u

static bool region_valid(const struct region *r)
{
    return r->start % MICA_PAGE_SIZE == 0 && r->end % MICA_PAGE_SIZE == 0 &&
           r->start >= MEM_VA_MIN && r->start < r->end && r->end <= MEM_VA_END &&
           !(r->flags & ~MEM_FLAGS) && r->flags != MEM_FLAGS;
}

static bool client_valid(const struct memory_saved *s, unsigned k)
{
    const struct client *c = &s->clients[k];
    if (c->id == 0)
        return true;
    if (c->nlazy > MEM_LAZY_MAX || c->frames > s->frames.total)
        return false;
    for (unsigned j = 0; j < k; j++)
        if (s->clients[j].id == c->id)
            return false;
    for (unsigned i = 0; i < c->nlazy; i++) {
        if (!region_valid(&c->lazy[i]))
            return false;
        for (unsigned j = 0; j < i; j++)
            if (c->lazy[i].start < c->lazy[j].end && c->lazy[j].start < c->lazy[i].end)
                return false;
    }
    return true;
}

bool state_valid(const struct memory_saved *s, uint64_t table_first, uint64_t table_pages,
                 const char **why)
{
    *why = "no record";
    if (s->magic != STATE_MAGIC || s->version != STATE_VERSION)
        return false;
    *why = "died serving a request";
    if (s->busy)
        return false;
    *why = "other tables";
    if (s->table_first != table_first || s->table_pages != table_pages)
        return false;
    *why = "bad client entry";
    for (unsigned k = 0; k < CLIENTS_MAX; k++)
        if (!client_valid(s, k))
            return false;
    return true;
}

void state_fresh(struct memory_saved *s, uint64_t table_first, uint64_t table_pages)
{
    memset(s, 0, sizeof(*s));
    s->magic = STATE_MAGIC;
    s->version = STATE_VERSION;
    s->table_first = table_first;
    s->table_pages = table_pages;
}

void state_busy(struct memory_saved *s, bool busy)
{
    /* A compiler barrier on each side: the mark must be in memory before
     * the request changes anything, and cleared only after. */
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    s->busy = busy;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
}
