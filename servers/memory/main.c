/*
 * memory: the server that owns free RAM (protocol in mica/memory.h). The
 * kernel only offers the mechanism (SYS_MAP, SYS_UNMAP, SYS_SET_PAGER);
 * this server decides which frame goes where, zeroes each frame before a
 * client sees it, resolves page faults on lazily backed regions, and takes
 * back the frames of clients that died (the kernel removes their mappings
 * but leaves RAM frames to us).
 *
 * At start it fetches the RAM capability and its lasting endpoint from
 * init, sets its allocator up with the last frames of RAM kept for its own
 * tables (frames.h), which it maps at TABLE_VA a page at a time as they
 * are needed — or, restarted within the same boot, takes over the tables
 * and client records its predecessor left there (state.h) — and registers
 * "memory": nothing at start takes time in proportion to the RAM there is.
 * Requests go through the server runtime (mica/server.h); each do_*
 * validates every field of the request before it changes anything, and a
 * bad request gets an error reply, never a crash. Page faults are answered
 * with the frame to map (MICA_FAULT_MAP). It prints nothing while it works
 * but a line when it takes state over (or why not).
 */
#include <mica/memory.h>
#include <mica/ns.h>
#include <mica/server.h>
#include <mica/syscall.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "clients.h"
#include "frames.h"
#include "state.h"

/* Our heap is the static arena, never the memory server (malloc.c). */
const bool mica_heap_arena_only = true;

/* Private addresses in our own space, well clear of the image at 0x400000
 * and of the stack and IPC buffer at the top: our tables, and the page
 * where a frame is mapped for a moment to be zeroed. */
#define TABLE_VA   0x0000000100000000ull
#define SCRATCH_VA 0x0000000080000000ull
/* Frames past this (1 TiB of RAM) are left unused; it bounds the tables. */
#define FRAMES_MAX (1ull << 28)

#define PAGE MICA_PAGE_SIZE

/* From our own death thread (badge 0): a client died. */
#define MEM_INTERNAL_DEATHS (MICA_LABELS_MEMORY + 0xff)
#define DEATH_BIT           1

/* info bits a request may use: label, payload length, handle flag. */
#define INFO_KNOWN_BITS (0xffffffffull | (0x1fffull << 32) | MICA_INFO_HANDLE)

struct memory_state {
    uint64_t ram;               /* the RAM object */
    uint64_t ep;                /* our endpoint, all rights */
    uint64_t ep_send;           /* a send copy: registered by name, and every pager */
    uint32_t self;              /* our task id */
    uint64_t own_frames;        /* the frames of our tables, mapped or not yet */
    uint64_t table_first;       /* RAM index of the first of them */
    uint64_t death_ntf;         /* signalled when a client dies (death_thread) */
    struct memory_saved *saved; /* at TABLE_VA: what a restart keeps (state.h) */
    struct frames *frames;      /* in *saved */
    unsigned adopted;           /* clients taken over from a predecessor */
};

static struct memory_state srv;

struct request {
    uint64_t badge; /* the caller's task id (the control bit taken off) */
    bool control;   /* the badge had NS_BADGE_CONTROL (the shell's `mem`) */
    struct mica_msg msg;
    uint64_t handle_in; /* handle that came with it, 0 if none */
    bool handle_kept;   /* set when a do_* keeps handle_in */
};

struct response {
    long status; /* for a page fault: MICA_FAULT_RESOLVED or MICA_FAULT_KILL */
    uint64_t w[3];
};

/* ---- Frames: zeroing, mapping into clients, taking back. */

/* Zeroes frame `index` through our scratch page, so that no client ever
 * sees what a previous owner left in it. */
static long zero_frame(uint64_t index)
{
    long st = mica_map(MICA_HANDLE_SELF, SCRATCH_VA, srv.ram, index, MICA_MAP_WRITE);
    if (st != MICA_OK)
        return st;
    memset((void *)(uintptr_t)SCRATCH_VA, 0, PAGE);
    st = mica_unmap(MICA_HANDLE_SELF, SCRATCH_VA);
    if (st < 0)
        return st;
    return (uint64_t)st == index ? MICA_OK : MICA_EINVAL;
}

/* Owner of the frames a client of an earlier instance of this server
 * still has mapped (no task has this id). */
#define OWNER_PREDECESSOR 0xffffffffu

/* A free frame that we may really hand out. After a restart our tables
 * start empty, but frames an earlier instance gave out may still be
 * mapped in live clients: the kernel refuses to map those again
 * (MICA_EBUSY, the RAM object maps a frame once). Such a frame is marked
 * as the predecessor's and another one is tried, rather than freed and
 * handed out again for ever; when nothing else is left the predecessor's
 * frames are looked at again, since their clients may have died since. */
static uint64_t usable_frame(struct client *c, long *err)
{
    bool retried = false;
    for (;;) {
        uint64_t index = frames_alloc(srv.frames, c->id);
        if (index == FRAME_NONE) {
            if (retried || frames_reclaim(srv.frames, OWNER_PREDECESSOR) == 0) {
                *err = MICA_ENOMEM;
                return FRAME_NONE;
            }
            retried = true;
            continue;
        }
        long st = zero_frame(index);
        if (st == MICA_OK)
            return index;
        if (st == MICA_EBUSY && frames_give(srv.frames, index, c->id, OWNER_PREDECESSOR))
            continue;
        frames_free(srv.frames, index, c->id);
        *err = st;
        return FRAME_NONE;
    }
}

/* The frames task `id` may hold: its memory-server page quota, which its
 * spawner set in its kernel budget, less what its own children's quotas
 * take (SYS_TASK_INFO). 0 when the task is gone. */
static uint64_t quota_of(uint32_t id)
{
    struct mica_task_info ti;
    if (!mica_task_find(id, &ti))
        return 0;
    return ti.mem_pages_limit > ti.mem_pages_children
               ? ti.mem_pages_limit - ti.mem_pages_children
               : 0;
}

/* Whether c may take n more frames. The quota is asked again only when the
 * kept one says no (its children may have died since). */
static bool quota_allows(struct client *c, uint64_t n)
{
    if (c->frames + n <= c->quota)
        return true;
    c->quota = quota_of(c->id);
    return c->frames + n <= c->quota;
}

/* Gives c a fresh zeroed frame at va, within its quota. */
static long give_page(struct client *c, uint64_t va, unsigned flags)
{
    long st = MICA_OK;
    if (!quota_allows(c, 1))
        return MICA_ENOMEM;
    uint64_t index = usable_frame(c, &st);
    if (index == FRAME_NONE)
        return st;
    st = mica_map(c->task, va, srv.ram, index, flags);
    if (st != MICA_OK) {
        frames_free(srv.frames, index, c->id);
        return st;
    }
    c->frames++;
    return MICA_OK;
}

/* Unmaps the page at va from c and frees its frame if c owns it (a frame
 * of somebody else stays theirs). Returns 1 when a frame was freed, 0 when
 * there was none, or a negative MICA_E*. */
static long take_page(struct client *c, uint64_t va)
{
    long st = mica_unmap(c->task, va);
    if (st == MICA_ENOENT)
        return 0;
    if (st < 0)
        return st;
    if (!frames_free(srv.frames, (uint64_t)st, c->id))
        return 0;
    c->frames--;
    return 1;
}

/* ---- Client deaths. */

/* A task handle to a dead task fails with MICA_EDEAD; unmapping page zero
 * is otherwise refused (MICA_EINVAL) without side effects. */
static long probe_task(uint64_t task)
{
    return mica_unmap(task, 0);
}

/* Takes back everything a dead client owned. Its mappings are gone
 * already, so its frames are safe to hand out again. */
static void reap(struct client *c)
{
    frames_reclaim(srv.frames, c->id);
    if (c->task)
        mica_handle_close(c->task);
    client_remove(c);
}

/* A client taken over from a predecessor has no task handle until it says
 * MEM_HELLO again: its id tells whether it lives (ids are never reused). */
static void reap_if_dead(struct client *c)
{
    bool dead =
        c->task ? probe_task(c->task) == MICA_EDEAD : !mica_task_find(c->id, NULL);
    if (dead)
        reap(c);
}

static void probe_all(void)
{
    client_each(reap_if_dead);
}

/* ---- Request checks. */

static bool words_zero_from(const struct mica_msg *m, unsigned first)
{
    for (unsigned i = first; i < 4; i++)
        if (m->w[i])
            return false;
    return true;
}

/* MICA_OK when [va, va + pages pages) is a range the protocol allows. */
static long check_range(uint64_t va, uint64_t pages)
{
    if (va % PAGE || va < MEM_VA_MIN || va >= MEM_VA_END)
        return MICA_EINVAL;
    if (pages == 0 || pages > MEM_PAGES_MAX || pages * PAGE > MEM_VA_END - va)
        return MICA_EINVAL;
    return MICA_OK;
}

/* W^X: a page is never writable and executable at once. */
static long check_flags(uint64_t flags)
{
    if ((flags & ~(uint64_t)MEM_FLAGS) || flags == MEM_FLAGS)
        return MICA_EINVAL;
    return MICA_OK;
}

/* The client behind the request, with its task handle, or NULL (with the
 * status set): MICA_ENOENT asks it to say MEM_HELLO (again, after a
 * restart of ours). */
static struct client *caller(const struct request *rq, struct response *rs)
{
    struct client *c = client_find((uint32_t)rq->badge);
    if (!c || !c->task) {
        rs->status = MICA_ENOENT;
        return NULL;
    }
    return c;
}

/* ---- Requests. */

static void do_hello(struct request *rq, struct response *rs)
{
    if (!rq->handle_in || !words_zero_from(&rq->msg, 1)) {
        rs->status = MICA_EINVAL;
        return;
    }
    struct client *c = client_find((uint32_t)rq->badge);
    if (c) {
        reap_if_dead(c);
        c = client_find((uint32_t)rq->badge);
        if (c && c->task)
            return; /* known and alive: the new handle is not needed */
    }
    /* It must be the caller's own task handle, with MANAGE: the task's id
     * is the badge of a task handle (SYS_HANDLE_INFO), so nobody makes us
     * map pages, or be the pager, in a task that only gave it its handle. */
    struct mica_handle_info hi;
    if (mica_handle_info(rq->handle_in, &hi) != MICA_OK || hi.type != MICA_OBJ_TASK ||
        !(hi.rights & MICA_RIGHT_MANAGE) || hi.badge != rq->badge) {
        rs->status = MICA_ERIGHTS;
        return;
    }
    long st = probe_task(rq->handle_in);
    if (st != MICA_EINVAL) {
        rs->status = st == MICA_EDEAD ? MICA_EDEAD : MICA_EINVAL;
        return;
    }
    /* Told of its death by the kernel, so that its frames come back
     * without a probe per request. */
    st = mica_task_notify_death(rq->handle_in, srv.death_ntf, DEATH_BIT);
    if (st != MICA_OK) {
        rs->status = st;
        return;
    }
    if (c) { /* a predecessor's client: its frames and regions stay */
        c->task = rq->handle_in;
        rq->handle_kept = true;
        return;
    }
    c = client_add((uint32_t)rq->badge, rq->handle_in);
    if (!c) {
        probe_all();
        c = client_add((uint32_t)rq->badge, rq->handle_in);
    }
    if (!c) {
        rs->status = MICA_ENOMEM;
        return;
    }
    rq->handle_kept = true;
}

/* Takes back the first `pages` pages of an allocation that failed. */
static long undo_alloc(struct client *c, uint64_t va, uint64_t pages)
{
    for (uint64_t i = 0; i < pages; i++) {
        long st = take_page(c, va + i * PAGE);
        if (st == MICA_EDEAD)
            return st;
    }
    return MICA_OK;
}

/* The caller of a (va, pages, flags) request, with the three checked;
 * NULL (and rs->status set) when anything is wrong. */
static struct client *region_request(struct request *rq, struct response *rs)
{
    struct client *c = caller(rq, rs);
    if (!c)
        return NULL;
    rs->status = check_range(rq->msg.w[0], rq->msg.w[1]);
    if (rs->status == MICA_OK)
        rs->status = check_flags(rq->msg.w[2]);
    if (rs->status == MICA_OK && !words_zero_from(&rq->msg, 3))
        rs->status = MICA_EINVAL;
    return rs->status == MICA_OK ? c : NULL;
}

static void do_alloc(struct request *rq, struct response *rs)
{
    uint64_t va = rq->msg.w[0], pages = rq->msg.w[1], flags = rq->msg.w[2];
    struct client *c = region_request(rq, rs);
    if (!c)
        return;
    /* All or nothing: make sure of the frames before mapping any. */
    if (srv.frames->free < pages)
        probe_all();
    if (srv.frames->free < pages) {
        rs->status = MICA_ENOMEM;
        return;
    }
    for (uint64_t i = 0; i < pages; i++) {
        long st = give_page(c, va + i * PAGE, (unsigned)flags);
        if (st == MICA_OK)
            continue;
        if (st == MICA_EDEAD || undo_alloc(c, va, i) == MICA_EDEAD) {
            reap(c);
            st = MICA_EDEAD;
        }
        rs->status = st;
        return;
    }
}

static void do_free(struct request *rq, struct response *rs)
{
    uint64_t va = rq->msg.w[0], pages = rq->msg.w[1];
    struct client *c = caller(rq, rs);
    if (!c)
        return;
    rs->status = check_range(va, pages);
    if (rs->status == MICA_OK && !words_zero_from(&rq->msg, 2))
        rs->status = MICA_EINVAL;
    if (rs->status != MICA_OK)
        return;
    for (uint64_t i = 0; i < pages; i++) {
        long st = take_page(c, va + i * PAGE);
        if (st < 0) {
            if (st == MICA_EDEAD)
                reap(c);
            rs->status = st;
            return;
        }
        rs->w[0] += (uint64_t)st;
    }
}

static void do_lazy(struct request *rq, struct response *rs)
{
    uint64_t va = rq->msg.w[0], pages = rq->msg.w[1], flags = rq->msg.w[2];
    struct client *c = region_request(rq, rs);
    if (!c)
        return;
    rs->status = client_add_lazy(c, va, va + pages * PAGE, (unsigned)flags);
    if (rs->status != MICA_OK || c->pager_set)
        return;
    long st = mica_set_pager(c->task, srv.ep_send);
    if (st == MICA_OK) {
        c->pager_set = true;
        return;
    }
    c->nlazy--; /* the region just added cannot be served */
    if (st == MICA_EDEAD)
        reap(c);
    rs->status = st;
}

static void do_stats(struct request *rq, struct response *rs)
{
    if (!words_zero_from(&rq->msg, 0)) {
        rs->status = MICA_EINVAL;
        return;
    }
    probe_all();
    struct client *c = client_find((uint32_t)rq->badge);
    rs->w[0] = srv.frames->total + srv.own_frames;
    rs->w[1] = srv.frames->free;
    rs->w[2] = c ? c->frames : 0;
}

static void do_task_use(struct request *rq, struct response *rs)
{
    uint64_t id = rq->msg.w[0];
    if (id == 0 || id > UINT32_MAX || !words_zero_from(&rq->msg, 1)) {
        rs->status = MICA_EINVAL;
        return;
    }
    /* Another task's use is its business: only through a control handle. */
    if (id != rq->badge && !rq->control) {
        rs->status = MICA_ERIGHTS;
        return;
    }
    if (id == srv.self) {
        rs->w[0] = srv.own_frames;
        return;
    }
    struct client *c = client_find((uint32_t)id);
    if (c)
        reap_if_dead(c);
    c = client_find((uint32_t)id);
    rs->w[0] = c ? c->frames : 0;
}

/* Whether a fault with this error code may be served by mapping a page of
 * region r: a missing page, touched in a way the region allows. */
static bool fault_fits(const struct region *r, uint64_t error)
{
    if (error & MICA_FAULT_PRESENT)
        return false;
    if ((error & MICA_FAULT_WRITE) && !(r->flags & MICA_MAP_WRITE))
        return false;
    if ((error & MICA_FAULT_EXEC) && !(r->flags & MICA_MAP_EXEC))
        return false;
    return true;
}

/* A page fault of task `badge`, sent by the kernel: w[0] = address,
 * w[1] = error code, w[2] = rip. The answer names a fresh zeroed frame
 * for the kernel to map at the page (MICA_FAULT_MAP), so faults need no
 * task handle: a client taken over from a predecessor is served before it
 * says MEM_HELLO again. (Should the kernel find the page mapped already,
 * by another of the client's threads, the frame stays counted to the
 * client until it dies: within its own quota.) */
static void do_fault(struct request *rq, struct response *rs)
{
    uint64_t addr = rq->msg.w[0], error = rq->msg.w[1];
    struct client *c = client_find((uint32_t)rq->badge);
    const struct region *r = c && addr < MEM_VA_END ? client_lazy_at(c, addr) : NULL;
    rs->status = MICA_FAULT_KILL;
    if (!r || !fault_fits(r, error) || !quota_allows(c, 1))
        return;
    long st = MICA_OK;
    uint64_t index = usable_frame(c, &st);
    if (index == FRAME_NONE)
        return;
    c->frames++;
    rs->status = MICA_FAULT_MAP;
    rs->w[0] = srv.ram;
    rs->w[1] = index;
    rs->w[2] = r->flags;
}

static void dispatch(struct request *rq, struct response *rs)
{
    uint32_t label = MICA_INFO_LABEL(rq->msg.info);
    if ((rq->msg.info & ~INFO_KNOWN_BITS) || MICA_INFO_LEN(rq->msg.info) ||
        rq->badge == 0 || (rq->control && label != MEM_TASK_USE) ||
        (rq->handle_in && label != MEM_HELLO)) {
        rs->status = label == MICA_LABEL_PAGE_FAULT ? MICA_FAULT_KILL : MICA_EINVAL;
        return;
    }
    switch (label) {
    case MICA_LABEL_PAGE_FAULT:
        do_fault(rq, rs);
        return;
    case MEM_HELLO:
        do_hello(rq, rs);
        return;
    case MEM_ALLOC:
        do_alloc(rq, rs);
        return;
    case MEM_FREE:
        do_free(rq, rs);
        return;
    case MEM_LAZY:
        do_lazy(rq, rs);
        return;
    case MEM_STATS:
        do_stats(rq, rs);
        return;
    case MEM_TASK_USE:
        do_task_use(rq, rs);
        return;
    }
    rs->status = MICA_ENOSYS;
}

/* ---- Start. */

/* Maps page `page` of our tables (counted from TABLE_VA: the state
 * pages, then the frame tables) at its place; its frame is one of the
 * last frames of RAM, which hold what a predecessor left there. */
static bool map_table_page(uint64_t page)
{
    uint64_t va = TABLE_VA + page * PAGE;
    return page < srv.own_frames &&
           mica_map(MICA_HANDLE_SELF, va, srv.ram, srv.table_first + page,
                    MICA_MAP_WRITE) == MICA_OK;
}

/* The frame allocator's callbacks (frames.h): page `page` of the frame
 * tables, mapped and zeroed (a fresh page) or mapped as it is (taken over). */
static bool back_table_page(void *ctx, uint64_t page)
{
    (void)ctx;
    if (!map_table_page(STATE_PAGES + page))
        return false;
    memset((void *)(uintptr_t)(TABLE_VA + (STATE_PAGES + page) * PAGE), 0, PAGE);
    return true;
}

static bool remap_table_page(void *ctx, uint64_t page)
{
    (void)ctx;
    return map_table_page(STATE_PAGES + page);
}

/* Says once why a predecessor's state was not taken over. */
static void log_fresh_start(const char *why)
{
    char line[96];
    int n = snprintf(line, sizeof(line),
                     "mica: memory: state not taken over reason=\"%s\"\n", why);
    if (n > 0 && (size_t)n < sizeof(line))
        mica_debug_write(line, (size_t)n);
}

/* Takes over the clients and frames a predecessor left (state.h); false
 * when its record is missing or does not check out. */
static bool adopt(uint64_t managed)
{
    const char *why = "";
    void *tables = (void *)(uintptr_t)(TABLE_VA + STATE_PAGES * PAGE);
    if (!state_valid(srv.saved, srv.table_first, srv.own_frames, &why)) {
        if (srv.saved->magic)
            log_fresh_start(why);
        return false;
    }
    if (!frames_adopt(srv.frames, tables, managed, remap_table_page, back_table_page,
                      NULL)) {
        log_fresh_start("bad frame tables");
        return false;
    }
    /* Task handles died with the predecessor; clients that died since
     * give their frames back now. */
    clients_use(srv.saved->clients);
    for (unsigned k = 0; k < CLIENTS_MAX; k++)
        srv.saved->clients[k].task = 0;
    client_each(reap_if_dead);
    unsigned lazy = 0;
    for (unsigned k = 0; k < CLIENTS_MAX; k++) {
        srv.adopted += srv.saved->clients[k].id != 0;
        lazy += srv.saved->clients[k].nlazy;
    }
    char line[96];
    int n = snprintf(line, sizeof(line),
                     "mica: memory: state taken over clients=%u lazy_regions=%u\n",
                     srv.adopted, lazy);
    if (n > 0 && (size_t)n < sizeof(line))
        mica_debug_write(line, (size_t)n);
    return true;
}

/* Sets the tables up over the last frames of RAM: the state pages, mapped
 * now, then the frame tables, whose pages are backed only as the frames in
 * use reach them; nothing at start takes time in proportion to the RAM
 * there is. A predecessor's tables are taken over when they check out. */
static long setup_tables(uint64_t total, bool restart)
{
    if (total > FRAMES_MAX)
        total = FRAMES_MAX;
    uint64_t pages = STATE_PAGES + frames_table_pages(total);
    if (total == 0 || pages >= total)
        return MICA_ENOMEM;
    srv.table_first = total - pages;
    srv.own_frames = pages;
    for (uint64_t p = 0; p < STATE_PAGES; p++)
        if (!map_table_page(p))
            return MICA_ENOMEM;
    srv.saved = (struct memory_saved *)(uintptr_t)TABLE_VA;
    srv.frames = &srv.saved->frames;
    if (restart && adopt(total - pages))
        return MICA_OK;
    state_fresh(srv.saved, srv.table_first, srv.own_frames);
    clients_use(srv.saved->clients);
    frames_init(srv.frames, (void *)(uintptr_t)(TABLE_VA + STATE_PAGES * PAGE),
                total - pages, back_table_page, NULL);
    return MICA_OK;
}

/* Gets RAM, builds the tables, and registers "memory". On failure *step
 * names what failed. */
/* ---- Client deaths, told by the kernel. Every client's task carries a
 * watch (SYS_TASK_NOTIFY_DEATH, set at MEM_HELLO) on our notification; a
 * thread of ours waits on it and tells the main thread with an internal
 * request (badge 0: our own unbadged handle, which no client holds), which
 * then takes back what the dead left. */

static uint8_t death_stack[8192] __attribute__((aligned(16)));

static void death_thread(uint64_t ntf, void *ipc_buffer)
{
    (void)ipc_buffer;
    for (;;) {
        uint64_t bits;
        if (mica_notify_wait(ntf, &bits, MICA_WAIT_FOREVER) != MICA_OK)
            continue;
        struct mica_msg m = {MICA_INFO(MEM_INTERNAL_DEATHS, 0), {0}}, reply;
        (void)mica_call(srv.ep_send, &m, &reply, MICA_WAIT_FOREVER);
    }
}

static long start_death_watch(void)
{
    long ntf = mica_notify_create();
    if (ntf < 0)
        return ntf;
    srv.death_ntf = (uint64_t)ntf;
    long t = mica_thread_create(death_thread, death_stack + sizeof(death_stack),
                                (uint64_t)ntf);
    return t < 0 ? t : MICA_OK;
}

static long start(const char **step)
{
    struct mica_mem_info info;
    long st;

    srv.self = (uint32_t)mica_self_id();
    *step = "ram";
    st = ns_boot_cap(NS_CAP_RAM, &srv.ram);
    if (st != MICA_OK)
        return st;
    *step = "info";
    st = mica_mem_info(&info);
    if (st != MICA_OK)
        return st;
    /* init's lasting endpoint for us (caps=endpoint), so that requests
     * and page faults wait through a restart of ours; our own otherwise.
     * Only an instance that finds the endpoint used before is a restart
     * within this boot, and may take its predecessor's tables over (RAM
     * keeps its contents across a reset, too). */
    *step = "endpoint";
    uint64_t restart = 0;
    if (ns_boot_cap_word(NS_CAP_ENDPOINT, &srv.ep, &restart) != MICA_OK) {
        restart = 0;
        st = mica_endpoint_create();
        if (st < 0)
            return st;
        srv.ep = (uint64_t)st;
    }
    *step = "tables";
    st = setup_tables(info.ram_frames, restart == 1);
    if (st != MICA_OK)
        return st;
    st = mica_handle_copy(srv.ep, MICA_RIGHT_SEND | MICA_RIGHT_GRANT, 0);
    if (st < 0)
        return st;
    srv.ep_send = (uint64_t)st;
    *step = "death watch";
    st = start_death_watch();
    if (st != MICA_OK)
        return st;
    *step = "register";
    return ns_register("memory", srv.ep_send);
}

static void log_start_failure(const char *step, long st)
{
    char line[96];
    int n = snprintf(line, sizeof(line), "mica: memory: start failed step=%s status=%s\n",
                     step, mica_status_name(st));
    if (n > 0 && (size_t)n < sizeof(line))
        mica_debug_write(line, (size_t)n);
}

/* ---- The loop. */

/* Checks and answers one request (the runtime's loop, mica/server.h, has
 * refused undeclared info bits and obeyed a crash request already). */
static enum server_next handle(struct server_request *srq)
{
    /* Only badges init minted arrive here: the task id, and for a control
     * handle's lookups the control bit, which is no part of the id. A
     * badge with other high bits is refused like a missing one. */
    struct request rq = {NS_BADGE_TASK(srq->badge), (srq->badge & NS_BADGE_CONTROL) != 0,
                         srq->msg, srq->handle, false};
    if (srq->badge & ~(NS_BADGE_CONTROL | 0xffffffffull))
        rq.badge = 0;
    struct response rs = {MICA_OK, {0}};
    if (srq->badge == 0 && srq->msg.info == MICA_INFO(MEM_INTERNAL_DEATHS, 0)) {
        state_busy(srv.saved, true);
        probe_all(); /* a client died: find which, take its frames back */
        state_busy(srv.saved, false);
        return SERVER_REPLY;
    }
    state_busy(srv.saved, true);
    dispatch(&rq, &rs);
    state_busy(srv.saved, false);
    srq->keep_handle = rq.handle_kept;
    srq->reply =
        (struct mica_msg){MICA_REPLY_INFO(rs.status, 0), {rs.w[0], rs.w[1], rs.w[2]}};
    return SERVER_REPLY;
}

int main(void)
{
    const char *step = "";
    /* The death thread and this one share the tables without locks, as
     * threads of one CPU: they stay on one (new threads inherit it). */
    (void)mica_thread_affinity(MICA_THREAD_SELF, 1);
    long st = start(&step);
    if (st != MICA_OK) {
        log_start_failure(step, st);
        mica_exit(1);
    }
    struct server s = {
        .ep = srv.ep,
        .info_bits = SERVER_INFO_BITS | MICA_INFO_HANDLE,
        .obeys_crash = true,
        .handle = handle,
    };
    server_run(&s);
    return 0;
}
