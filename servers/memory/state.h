/*
 * What a restart of the memory server keeps (state.c). The server's
 * tables live in the last frames of RAM, which no other task maps and
 * which keep their contents when the server dies; a restarted instance
 * finds them where its predecessor left them. The first pages hold this
 * record: the allocator's counters and the client table (frames, quotas,
 * lazy regions; not task handles, which die with the instance). The frame
 * tables follow (frames.h).
 *
 * A predecessor that died in the middle of a request may have left them
 * half changed: `busy` is set while a request is served and cleared after
 * it, so only state from between two requests is taken over (a `crash`
 * request is obeyed between requests), and every field is checked first.
 * Anything else starts afresh (main.c: frames still mapped in clients are
 * then found one by one).
 */
#ifndef MICA_MEMORY_STATE_H
#define MICA_MEMORY_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "clients.h"
#include "frames.h"

struct memory_saved {
    uint64_t magic;
    uint32_t version;
    uint32_t busy;        /* a request was being served */
    uint64_t table_first; /* RAM index of the first table frame */
    uint64_t table_pages; /* state pages + frame tables */
    struct frames frames; /* counters; its pointers are set again */
    struct client clients[CLIENTS_MAX];
};

/* Pages the record takes at the start of the tables. */
#define STATE_PAGES ((sizeof(struct memory_saved) + FRAMES_PAGE - 1) / FRAMES_PAGE)

/* Whether *s is a record an earlier instance left between two requests,
 * for tables at table_first of table_pages pages; *why says what is wrong
 * when not. Checks the header and the client table (frames_adopt checks
 * the allocator's part). */
bool state_valid(const struct memory_saved *s, uint64_t table_first, uint64_t table_pages,
                 const char **why);
/* A fresh record for those tables (the frame tables set up by the caller). */
void state_fresh(struct memory_saved *s, uint64_t table_first, uint64_t table_pages);
/* Marks a request begun or ended. */
void state_busy(struct memory_saved *s, bool busy);

#endif
