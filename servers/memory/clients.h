/*
 * The memory server's clients: one entry per task that said MEM_HELLO,
 * keyed by its task id (the badge its requests and page faults carry),
 * holding its task handle, how many frames it owns and its lazily backed
 * regions. Bookkeeping only; main.c makes the system calls.
 */
#ifndef MICA_MEMORY_CLIENTS_H
#define MICA_MEMORY_CLIENTS_H

#include <mica/memory.h>
#include <stdbool.h>
#include <stdint.h>

/* The kernel runs at most 32 tasks; the server's handle table (64 slots)
 * has room for one task handle each. */
#define CLIENTS_MAX 32

struct region {
    uint64_t start, end; /* [start, end), page-aligned */
    unsigned flags;      /* MICA_MAP_* for the pages */
};

struct client {
    uint32_t id;     /* task id, 0 when the slot is free */
    uint64_t task;   /* the task handle it gave us; 0 after a restart of
                        ours, until it says MEM_HELLO again */
    uint64_t frames; /* frames it owns */
    uint64_t quota;  /* frames it may own, as last asked (main.c) */
    bool pager_set;  /* we are its pager already */
    unsigned nlazy;
    struct region lazy[MEM_LAZY_MAX];
};

/* The table to use: CLIENTS_MAX entries, zeroed or as a predecessor
 * left them (state.h). */
void clients_use(struct client table[CLIENTS_MAX]);
struct client *client_find(uint32_t id);
/* A fresh entry for id (which must not have one); NULL when full. */
struct client *client_add(uint32_t id, uint64_t task);
void client_remove(struct client *c);
/* Visits every client; fn may remove the one it is given. */
void client_each(void (*fn)(struct client *c));

/* The lazy region holding va, or NULL. */
const struct region *client_lazy_at(const struct client *c, uint64_t va);
/* Records [start, end) as lazy: MICA_OK, MICA_EBUSY if it overlaps a
 * region already there, MICA_ENOMEM when the client has MEM_LAZY_MAX. */
long client_add_lazy(struct client *c, uint64_t start, uint64_t end, unsigned flags);

#endif
