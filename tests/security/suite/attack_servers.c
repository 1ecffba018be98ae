/*
 * Attacks servers: malformed and misdirected requests to init, the console
 * and the memory server (issue "Authority by capability"). Each server
 * checks every field before it acts (the runtime, mica/server.h, refuses
 * undeclared info bits and unexpected handles) and takes authority only
 * from the handles a request carries and the badge the kernel put on it.
 */
#include <mica/console.h>
#include <mica/memory.h>
#include <mica/ns.h>
#include <mica/syscall.h>
#include <string.h>

#include "secsuite.h"

#define WAIT_MS 3000
#define MINE_VA 0x0000110000000000ull

static long ns_request(struct mica_msg *req, struct mica_msg *rep)
{
    long st = kt_call(MICA_HANDLE_NS, req, rep, WAIT_MS);
    return st == MICA_OK ? MICA_REPLY_STATUS(rep->info) : st;
}

/* The payload of a name request: the name and its NUL. */
static uint32_t put_name(const char *name)
{
    size_t n = strlen(name) + 1;
    memcpy(kt_ipc(), name, n);
    return (uint32_t)n;
}

/* Attack: have init start a program without paying for it: no task handle
 * attached, or a handle that is not a task's (an endpoint). Must: refused
 * (MICA_EINVAL, MICA_ETYPE), nothing started. */
KTEST(servers, spawn_needs_the_payers_task_handle)
{
    struct mica_msg req = {MICA_INFO(NS_SPAWN, put_name("secpeer")), {0}}, rep;
    KT_STATUS(ns_request(&req, &rep), MICA_EINVAL);
    uint64_t ep;
    KT_HANDLE(ep, mica_handle_copy(kt_endpoint(), MICA_RIGHT_SEND | MICA_RIGHT_GRANT, 0));
    req = (struct mica_msg){MICA_INFO(NS_SPAWN, put_name("secpeer")) | MICA_INFO_HANDLE,
                            {ep}};
    long st = ns_request(&req, &rep);
    mica_handle_close(ep);
    KT_STATUS(st, MICA_ETYPE);
}

/* Attack: make another task pay for our spawn with its task handle that
 * has no MANAGE (a copy of the kill handle init gave us, GRANT only).
 * Must: MICA_ERIGHTS. */
KTEST(servers, spawn_cannot_charge_another_task)
{
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    KT_ASSERT(p->kill);
    long weak = mica_handle_copy(p->kill, MICA_RIGHT_GRANT, 0);
    KT_CMP(weak, >, 0);
    struct mica_msg req = {MICA_INFO(NS_SPAWN, put_name("secpeer")) | MICA_INFO_HANDLE,
                           {(uint64_t)weak}},
                    rep;
    long st = ns_request(&req, &rep);
    mica_handle_close((uint64_t)weak);
    KT_STATUS(st, MICA_ERIGHTS);
}

/* Attack: requests to init with junk: unknown info bits, words that must
 * be zero, a name without its NUL, a handle on a lookup. Must: MICA_EINVAL
 * for each; init serves on. */
KTEST(servers, init_refuses_malformed_requests)
{
    struct mica_msg rep;
    struct mica_msg junk_bits = {MICA_INFO(NS_READY, 0) | (1ull << 60), {0}};
    KT_STATUS(ns_request(&junk_bits, &rep), MICA_EINVAL);
    struct mica_msg junk_words = {MICA_INFO(NS_BOOT_MS, 0), {0, 7}};
    KT_STATUS(ns_request(&junk_words, &rep), MICA_EINVAL);
    memcpy(kt_ipc(), "memory", 6); /* no NUL */
    struct mica_msg no_nul = {MICA_INFO(NS_LOOKUP, 6), {0}};
    KT_STATUS(ns_request(&no_nul, &rep), MICA_EINVAL);
    uint64_t ep;
    KT_HANDLE(ep, mica_handle_copy(kt_endpoint(), MICA_RIGHT_SEND | MICA_RIGHT_GRANT, 0));
    struct mica_msg with_handle = {
        MICA_INFO(NS_LOOKUP, put_name("memory")) | MICA_INFO_HANDLE, {ep}};
    long st = ns_request(&with_handle, &rep);
    mica_handle_close(ep);
    KT_STATUS(st, MICA_EINVAL);
    KT_OK(sec_system_answers());
}

/* Attack: receive on the handle a lookup gives, to take other clients'
 * requests to the console. Must: MICA_ERIGHTS (lookups give send-only
 * handles). */
KTEST(servers, looked_up_handles_cannot_receive)
{
    uint64_t con;
    KT_OK(kt_lookup("console", &con, WAIT_MS));
    struct mica_msg m;
    long st = kt_recv(con, &m, NULL, MICA_NO_WAIT);
    mica_handle_close(con);
    KT_STATUS(st, MICA_ERIGHTS);
}

/* Attack: requests to the console with junk: a handle attached (it must
 * not leak in the console's table), unknown info bits, non-zero words on a
 * write. Must: MICA_EINVAL for each; the console writes on. */
KTEST(servers, console_refuses_malformed_requests)
{
    uint64_t con, ep;
    KT_OK(kt_lookup("console", &con, WAIT_MS));
    KT_HANDLE(ep, mica_handle_copy(kt_endpoint(), MICA_RIGHT_SEND | MICA_RIGHT_GRANT, 0));
    struct mica_msg rep;
    struct mica_msg with_handle = {MICA_INFO(CON_WRITE, 0) | MICA_INFO_HANDLE, {ep}};
    long a = kt_call(con, &with_handle, &rep, WAIT_MS);
    long a_st = MICA_REPLY_STATUS(rep.info);
    struct mica_msg junk_bits = {MICA_INFO(CON_WRITE, 0) | (1ull << 61), {0}};
    long b = kt_call(con, &junk_bits, &rep, WAIT_MS);
    long b_st = MICA_REPLY_STATUS(rep.info);
    struct mica_msg junk_words = {MICA_INFO(CON_WRITE, 0), {1, 2, 3, 4}};
    long c = kt_call(con, &junk_words, &rep, WAIT_MS);
    long c_st = MICA_REPLY_STATUS(rep.info);
    struct mica_msg fine = {MICA_INFO(CON_WRITE, 0), {0}};
    long d = kt_call(con, &fine, &rep, WAIT_MS);
    long d_st = MICA_REPLY_STATUS(rep.info);
    mica_handle_close(ep);
    mica_handle_close(con);
    KT_OK(a);
    KT_STATUS(a_st, MICA_EINVAL);
    KT_OK(b);
    KT_STATUS(b_st, MICA_EINVAL);
    KT_OK(c);
    KT_STATUS(c_st, MICA_EINVAL);
    KT_OK(d);
    KT_OK(d_st);
}

/* Attack: free pages we never got, and pages of a range a peer holds at
 * the same addresses in its own space. Must: nothing of anyone's is freed
 * (0 pages), and the peer's memory still works. */
KTEST(servers, memory_frees_only_the_callers_pages)
{
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    KT_EQ(mem_free(MINE_VA, 16), 0);
    KT_EQ(mem_free(0x0000100000200000ull, 64), 0);
    KT_OK(peer_do(p, CMD_MEM_WORKS, 0, 0, 0, 0, NULL));
}

/* Attack: memory requests with junk: a handle on an allocation, unknown
 * info bits, a range past the user half, a range that wraps. Must:
 * refused; the server serves on. */
KTEST(servers, memory_refuses_malformed_requests)
{
    uint64_t mem, ep;
    KT_OK(kt_lookup("memory", &mem, WAIT_MS));
    KT_HANDLE(ep, mica_handle_copy(kt_endpoint(), MICA_RIGHT_SEND | MICA_RIGHT_GRANT, 0));
    struct mica_msg rep;
    struct mica_msg with_handle = {MICA_INFO(MEM_ALLOC, 0) | MICA_INFO_HANDLE,
                                   {ep, 1, MICA_MAP_WRITE}};
    long a = kt_call(mem, &with_handle, &rep, WAIT_MS);
    long a_st = MICA_REPLY_STATUS(rep.info);
    struct mica_msg junk_bits = {MICA_INFO(MEM_STATS, 0) | (1ull << 59), {0}};
    long b = kt_call(mem, &junk_bits, &rep, WAIT_MS);
    long b_st = MICA_REPLY_STATUS(rep.info);
    mica_handle_close(ep);
    mica_handle_close(mem);
    KT_OK(a);
    KT_STATUS(a_st, MICA_EINVAL);
    KT_OK(b);
    KT_STATUS(b_st, MICA_EINVAL);
    KT_STATUS(mem_alloc(0x00007ffffffff000ull, 4, MICA_MAP_WRITE), MICA_EINVAL);
    KT_STATUS(mem_alloc(~0ull & ~0xfffull, 2, MICA_MAP_WRITE), MICA_EINVAL);
    KT_OK(sec_system_answers());
}

/* Attack: a lazy region over our own IPC buffer, so that the memory
 * server would map its frame over the one the kernel keeps. Must: whether
 * the server takes the region or not, the buffer is never replaced: a
 * pattern written there stays, and a payload sent from it arrives whole
 * (the page is mapped, so no fault ever reaches the pager; MEM_ALLOC over
 * it is MICA_EBUSY). */
KTEST(servers, lazy_region_never_replaces_the_ipc_buffer)
{
    volatile uint64_t *buf = (volatile uint64_t *)(uintptr_t)MICA_IPC_BUFFER;
    buf[0] = 0x1bcbcbcbcbcbcbc1ull;
    long lazy = mem_lazy(MICA_IPC_BUFFER - 4 * MICA_PAGE_SIZE, 8, MICA_MAP_WRITE);
    uint64_t kept = buf[0];
    long over = mem_alloc(MICA_IPC_BUFFER, 1, MICA_MAP_WRITE);
    uint64_t con;
    KT_OK(kt_lookup("console", &con, WAIT_MS));
    static const char text[] = "servers-attack: payload from the kernel's buffer\n";
    memcpy((void *)(uintptr_t)MICA_IPC_BUFFER, text, sizeof(text) - 1);
    struct mica_msg req = {MICA_INFO(CON_WRITE, sizeof(text) - 1), {0}}, rep;
    long st = kt_call(con, &req, &rep, WAIT_MS);
    mica_handle_close(con);
    if (lazy == MICA_OK)
        mem_free(MICA_IPC_BUFFER - 4 * MICA_PAGE_SIZE, 8);
    KT_EQ(kept, 0x1bcbcbcbcbcbcbc1ull);
    KT_STATUS(over, MICA_EBUSY);
    KT_OK(st);
    KT_EQ(rep.w[0], sizeof(text) - 1);
}

/* Attack: a peer asks for the console's input capability through a
 * console handle it got from a lookup, then through a copy it tries to
 * badge with the control bit. Must: MICA_ERIGHTS, and the re-badge
 * MICA_EINVAL (the lookup's handle is badged already). */
KTEST(servers, input_capability_cannot_be_minted)
{
    uint64_t con;
    KT_OK(kt_lookup("console", &con, WAIT_MS));
    long mint = mica_handle_copy(con, MICA_RIGHT_SEND, NS_BADGE_CONTROL);
    struct mica_msg req = {MICA_INFO(CON_INPUT, 0), {0}}, rep;
    long st = kt_call(con, &req, &rep, WAIT_MS);
    mica_handle_close(con);
    if (mint > 0)
        mica_handle_close((uint64_t)mint);
    KT_STATUS(mint, MICA_EINVAL);
    KT_OK(st);
    KT_STATUS(MICA_REPLY_STATUS(rep.info), MICA_ERIGHTS);
}

/* Attack: register our name with a handle we may not pass on (no GRANT):
 * init would hand out copies of something it never got. Must: the kernel
 * drops the attachment and init refuses (MICA_EINVAL). */
KTEST(servers, register_needs_a_handle_that_travels)
{
    long weak = mica_handle_copy(kt_endpoint(), MICA_RIGHT_SEND, 0);
    KT_CMP(weak, >, 0);
    struct mica_msg req = {MICA_INFO(NS_REGISTER, put_name(SEC_CTL_NAME)) |
                               MICA_INFO_HANDLE,
                           {(uint64_t)weak}},
                    rep;
    long st = ns_request(&req, &rep);
    mica_handle_close((uint64_t)weak);
    KT_STATUS(st, MICA_EINVAL);
}

/* Attack: say MEM_HELLO again with a handle that is no task's (a
 * notification), to have the server use junk, or a handle we choose, for
 * our mappings. Must: the server keeps the task handle it has (a known
 * client's new handle is not taken), so our allocations still land in our
 * own space; and the junk is not kept (our table does not fill). */
KTEST(servers, memory_hello_cannot_replace_the_task_handle)
{
    uint64_t mem, ntf;
    KT_OK(mem_alloc(MINE_VA, 1, MICA_MAP_WRITE)); /* we are a known client */
    KT_EQ(mem_free(MINE_VA, 1), 1);
    KT_OK(kt_lookup("memory", &mem, WAIT_MS));
    KT_HANDLE(ntf,
              mica_handle_copy(kt_notification(), MICA_RIGHT_SEND | MICA_RIGHT_GRANT, 0));
    struct mica_msg req = {MICA_INFO(MEM_HELLO, 0) | MICA_INFO_HANDLE, {ntf}}, rep;
    long st = kt_call(mem, &req, &rep, WAIT_MS);
    mica_handle_close(ntf);
    mica_handle_close(mem);
    KT_OK(st);
    volatile uint64_t *page = (volatile uint64_t *)(uintptr_t)MINE_VA;
    KT_OK(mem_alloc(MINE_VA, 1, MICA_MAP_WRITE));
    *page = 0x77;
    KT_EQ(*page, 0x77);
    KT_EQ(mem_free(MINE_VA, 1), 1);
    KT_OK(sec_system_answers());
}

/* Attack: forge the kernel's page-fault message to the memory server, to
 * have it map a page where we have no lazy region. Must: the answer is
 * "kill" (nothing mapped: the address stays empty), and nothing happens
 * to us, since a fault message from a task speaks only for that task. */
KTEST(servers, forged_page_fault_maps_nothing)
{
    uint64_t mem;
    KT_OK(kt_lookup("memory", &mem, WAIT_MS));
    struct mica_msg req = {MICA_INFO(MICA_LABEL_PAGE_FAULT, 0),
                           {MINE_VA, MICA_FAULT_WRITE | MICA_FAULT_USER, 0x400000}},
                    rep;
    long st = kt_call(mem, &req, &rep, WAIT_MS);
    mica_handle_close(mem);
    KT_OK(st);
    KT_NE(MICA_INFO_LABEL(rep.info), MICA_FAULT_RESOLVED);
    /* The page is still ours to allocate: nothing was mapped there. */
    KT_OK(mem_alloc(MINE_VA, 1, MICA_MAP_WRITE));
    KT_EQ(mem_free(MINE_VA, 1), 1);
}

/* Attack: a write longer than an IPC buffer, to overrun the console's.
 * Must: refused before delivery (MICA_ERANGE from the kernel). */
KTEST(servers, console_write_longer_than_a_buffer_refused)
{
    uint64_t con;
    KT_OK(kt_lookup("console", &con, WAIT_MS));
    struct mica_msg req = {MICA_INFO(CON_WRITE, MICA_IPC_PAYLOAD_MAX + 1), {0}}, rep;
    long st = kt_call(con, &req, &rep, WAIT_MS);
    mica_handle_close(con);
    KT_STATUS(st, MICA_ERANGE);
}

/* Attack: a peer that was given another task's own handle (MANAGE) says
 * MEM_HELLO with it, to have the memory server map its pages into, and
 * page for, that other task. Must: MICA_ERIGHTS (the handle's badge is
 * not the caller's id: SYS_HANDLE_INFO); the peer's own hello works. */
KTEST(servers, memory_hello_needs_the_callers_own_handle)
{
    struct peer *victim = peer_start(SEC_PEER), *thief = peer_start(SEC_PEER);
    KT_ASSERT(victim && thief);
    struct mica_msg r;
    KT_OK(peer_do(victim, CMD_GIVE_SELF, 0, 0, 0, 0, &r));
    KT_ASSERT(r.info & MICA_INFO_HANDLE);
    uint64_t theirs = r.w[0];
    long give = mica_handle_copy(theirs, MICA_RIGHT_MANAGE | MICA_RIGHT_GRANT, 0);
    mica_handle_close(theirs);
    KT_CMP(give, >, 0);
    long st = peer_do(thief, CMD_HELLO_WITH, (uint64_t)give, 0, 0, 0, NULL);
    mica_handle_close((uint64_t)give);
    KT_STATUS(st, MICA_ERIGHTS);
    KT_OK(peer_do(thief, CMD_MEM_WORKS, 0, 0, 0, 0, NULL));
}
