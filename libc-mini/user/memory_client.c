/*
 * Client stubs of the memory server (protocol in mica/memory.h). The
 * server's endpoint is looked up on first use and kept; the calls that map
 * or unmap pages say MEM_HELLO first, once, since the server needs our
 * task handle for them. A failed lookup is not kept, so a client that
 * starts before the server has registered can simply try again, and a
 * dead server's endpoint is dropped so that a restarted one is found.
 *
 * Riding through a restart: the server receives on an endpoint init keeps
 * (NS_CAP_ENDPOINT), so a request sent meanwhile waits for the restarted
 * instance, which has kept our frames and lazy regions but not our task
 * handle: it answers MICA_ENOENT, and we say MEM_HELLO again. Should the
 * endpoint be the server's own, MICA_EDEAD (the request was never
 * delivered) is retried once against the restarted server, after a new
 * MEM_HELLO;
 * MICA_ELOST (the server died after taking it) is retried only for the
 * requests without effects (MEM_STATS, MEM_TASK_USE): an allocation or a
 * free may have happened, so those are at most once.
 */
#include <mica/memory.h>
#include <mica/ns.h>
#include <mica/syscall.h>
#include <stdbool.h>

static uint64_t memory_ep; /* 0 until the lookup succeeds */
static bool said_hello;

static long memory_open(void)
{
    uint64_t h;
    if (memory_ep)
        return MICA_OK;
    long st = ns_lookup("memory", &h);
    if (st == MICA_OK)
        memory_ep = h;
    return st;
}

#define RECONNECT_MS    5000 /* how long to wait for a restarted server */
#define RECONNECT_PAUSE 20

/* The server is gone: forget it and wait for the restarted one. */
static long reconnect(void)
{
    mica_handle_close(memory_ep);
    memory_ep = 0;
    said_hello = false;
    uint64_t start = mica_clock_ms();
    long st;
    while ((st = memory_open()) != MICA_OK && mica_clock_ms() - start < RECONNECT_MS)
        mica_sleep_ms(RECONNECT_PAUSE);
    return st;
}

static bool without_effect(const struct mica_msg *req)
{
    uint32_t label = MICA_INFO_LABEL(req->info);
    return label == MEM_STATS || label == MEM_TASK_USE;
}

long mem_hello(void);

/* Calls the server; returns the reply status, or the call's own error. */
static long memory_call(const struct mica_msg *req, struct mica_msg *reply)
{
    long st = memory_open();
    if (st != MICA_OK)
        return st;
    for (int attempt = 0;; attempt++) {
        st = mica_call(memory_ep, req, reply, MICA_WAIT_FOREVER);
        bool retry = st == MICA_EDEAD || (st == MICA_ELOST && without_effect(req));
        if (st == MICA_EDEAD || st == MICA_ELOST) {
            if (reconnect() != MICA_OK || !retry || attempt == 1)
                return st;
            bool is_hello = MICA_INFO_LABEL(req->info) == MEM_HELLO;
            if (!is_hello && !without_effect(req) && mem_hello() != MICA_OK)
                return st;
            continue;
        }
        return st < 0 ? st : MICA_REPLY_STATUS(reply->info);
    }
}

long mem_hello(void)
{
    struct mica_msg req = {MICA_INFO(MEM_HELLO, 0) | MICA_INFO_HANDLE,
                           {MICA_HANDLE_SELF}};
    struct mica_msg reply;
    long st = memory_call(&req, &reply);
    if (st == MICA_OK)
        said_hello = true;
    return st;
}

/* Makes a request that needs MEM_HELLO first. MICA_ENOENT means the
 * server does not have our task handle (it restarted behind its lasting
 * endpoint, keeping our frames and regions): hello again, once. */
static long memory_call_known(const struct mica_msg *req, struct mica_msg *reply)
{
    for (int attempt = 0;; attempt++) {
        if (!said_hello) {
            long st = mem_hello();
            if (st != MICA_OK)
                return st;
        }
        long st = memory_call(req, reply);
        if (st != MICA_ENOENT || attempt == 1)
            return st;
        said_hello = false;
    }
}

long mem_alloc(uint64_t va, uint64_t pages, unsigned flags)
{
    struct mica_msg req = {MICA_INFO(MEM_ALLOC, 0), {va, pages, flags}};
    struct mica_msg reply;
    return memory_call_known(&req, &reply);
}

long mem_free(uint64_t va, uint64_t pages)
{
    struct mica_msg req = {MICA_INFO(MEM_FREE, 0), {va, pages}};
    struct mica_msg reply;
    long st = memory_call_known(&req, &reply);
    if (st != MICA_OK)
        return st;
    /* Never trust the server with more than we asked for. */
    return reply.w[0] <= pages ? (long)reply.w[0] : MICA_EINVAL;
}

long mem_lazy(uint64_t va, uint64_t pages, unsigned flags)
{
    struct mica_msg req = {MICA_INFO(MEM_LAZY, 0), {va, pages, flags}};
    struct mica_msg reply;
    return memory_call_known(&req, &reply);
}

long mem_stats(struct mem_stats *out)
{
    struct mica_msg req = {MICA_INFO(MEM_STATS, 0), {0}};
    struct mica_msg reply;
    long st = memory_call(&req, &reply);
    if (st != MICA_OK)
        return st;
    if (reply.w[1] > reply.w[0] || reply.w[2] > reply.w[0])
        return MICA_EINVAL;
    *out = (struct mem_stats){reply.w[0], reply.w[1], reply.w[2]};
    return MICA_OK;
}

long mem_task_use_via(uint64_t mem, uint32_t id, uint64_t *frames)
{
    struct mica_msg req = {MICA_INFO(MEM_TASK_USE, 0), {id}}, reply;
    long st = mica_call(mem, &req, &reply, MICA_WAIT_FOREVER);
    if (st == MICA_OK)
        st = MICA_REPLY_STATUS(reply.info);
    if (st == MICA_OK)
        *frames = reply.w[0];
    return st;
}

long mem_task_use(uint32_t id, uint64_t *frames)
{
    struct mica_msg req = {MICA_INFO(MEM_TASK_USE, 0), {id}};
    struct mica_msg reply;
    long st = memory_call(&req, &reply);
    if (st != MICA_OK)
        return st;
    *frames = reply.w[0];
    return MICA_OK;
}
