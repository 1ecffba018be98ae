/*
 * The client table (see clients.h): a fixed array, searched linearly,
 * which is cheap at CLIENTS_MAX entries and needs no allocator. It lives
 * where main.c puts it (the state pages that outlive the server).
 */
#include "clients.h"

#include <mica/syscall.h>

static struct client *clients;

void clients_use(struct client table[CLIENTS_MAX])
{
    clients = table;
}

struct client *client_find(uint32_t id)
{
    if (id == 0)
        return NULL;
    for (unsigned i = 0; i < CLIENTS_MAX; i++)
        if (clients[i].id == id)
            return &clients[i];
    return NULL;
}

struct client *client_add(uint32_t id, uint64_t task)
{
    if (id == 0)
        return NULL;
    for (unsigned i = 0; i < CLIENTS_MAX; i++) {
        if (clients[i].id == 0) {
            clients[i] = (struct client){.id = id, .task = task};
            return &clients[i];
        }
    }
    return NULL;
}

void client_remove(struct client *c)
{
    *c = (struct client){0};
}

void client_each(void (*fn)(struct client *c))
{
    for (unsigned i = 0; i < CLIENTS_MAX; i++)
        if (clients[i].id)
            fn(&clients[i]);
}

const struct region *client_lazy_at(const struct client *c, uint64_t va)
{
    for (unsigned i = 0; i < c->nlazy; i++)
        if (va >= c->lazy[i].start && va < c->lazy[i].end)
            return &c->lazy[i];
    return NULL;
}

long client_add_lazy(struct client *c, uint64_t start, uint64_t end, unsigned flags)
{
    for (unsigned i = 0; i < c->nlazy; i++)
        if (start < c->lazy[i].end && c->lazy[i].start < end)
            return MICA_EBUSY;
    if (c->nlazy == MEM_LAZY_MAX)
        return MICA_ENOMEM;
    c->lazy[c->nlazy++] = (struct region){start, end, flags};
    return MICA_OK;
}
