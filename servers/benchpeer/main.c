/*
 * benchpeer: the partner of the bench task in the benchmarks that need a
 * second address space (protocol in protocol.h). It is an on-demand module:
 * the bench task starts it through the name service, and it registers
 * "benchpeer", answers until told to exit, and exits, so that nothing of a
 * run is left behind.
 *
 * It does as little as possible per request, since all it does is counted
 * in the figures: an echo is answered with reply_recv (one kernel entry per
 * round trip on this side) and the payload goes back from where it arrived
 * (our IPC buffer) untouched. That is why it is the one program with a
 * hand-written loop rather than the server runtime (mica/server.h), whose
 * checks and handler call cost ipc_rtt some 40 instructions under icount,
 * and why its echo loop issues the syscall itself (echo()).
 *
 * For the SMP figures it pins its main thread where the caller asks
 * (PEER_PIN) and starts echo servers of its own, one thread and endpoint
 * each, on the CPUs the caller names (PEER_SERVE).
 */
#include <mica/ns.h>
#include <mica/syscall.h>
#include <string.h>

#include "protocol.h"

static void log_line(const char *s)
{
    mica_debug_write(s, strlen(s));
}

/* The notification ping-pong of notify_rtt: `mine` is ours to wait on,
 * `theirs` the caller's to signal. Ends when the caller says stop or
 * either notification fails. */
static void ping_pong(uint64_t mine, uint64_t theirs)
{
    for (;;) {
        uint64_t bits;
        if (mica_notify_wait(mine, &bits, MICA_WAIT_FOREVER) != MICA_OK)
            return;
        if (mica_notify_signal(theirs, PEER_BIT_PONG) != MICA_OK)
            return;
        if (bits & PEER_BIT_STOP)
            return;
    }
}

/* PEER_NOTIFY: trade notifications, reply, then play until stopped. The
 * reply goes out before the game starts, so it cannot use reply_recv. */
static void serve_notify(const struct mica_msg *m)
{
    struct mica_msg r = {MICA_REPLY_INFO(MICA_EINVAL, 0), {0}};
    uint64_t theirs = m->w[0];
    long mine = mica_notify_create();
    long grant =
        mine > 0 ? mica_handle_copy((uint64_t)mine, MICA_RIGHT_SEND | MICA_RIGHT_GRANT, 0)
                 : mine;
    if (!(m->info & MICA_INFO_HANDLE) || grant <= 0) {
        r.info = MICA_REPLY_INFO(grant < 0 ? grant : MICA_EINVAL, 0);
        mica_reply(&r);
    } else {
        /* The caller gets a copy that can only signal. */
        r = (struct mica_msg){MICA_REPLY_INFO(MICA_OK, 0) | MICA_INFO_HANDLE,
                              {(uint64_t)grant}};
        mica_reply(&r);
        ping_pong((uint64_t)mine, theirs);
    }
    if (grant > 0)
        mica_handle_close((uint64_t)grant);
    if (mine > 0)
        mica_handle_close((uint64_t)mine);
    if (m->info & MICA_INFO_HANDLE)
        mica_handle_close(theirs);
}

/* The answer to a call other than PEER_NOTIFY and PEER_EXIT. */
static struct mica_msg answer(const struct mica_msg *m, uint64_t badge)
{
    uint32_t label = MICA_INFO_LABEL(m->info);
    if (m->info & MICA_INFO_HANDLE)
        mica_handle_close(m->w[0]);
    switch (label) {
    case PEER_ECHO:
        return (struct mica_msg){MICA_REPLY_INFO(MICA_OK, MICA_INFO_LEN(m->info)), {0}};
    case PEER_HELLO:
        return (struct mica_msg){MICA_REPLY_INFO(MICA_OK, 0), {mica_self_id()}};
    case PEER_PIN:
        return (struct mica_msg){
            MICA_REPLY_INFO(mica_thread_affinity(MICA_THREAD_SELF, m->w[0]), 0), {0}};
    case MICA_LABEL_CRASH:
        return (struct mica_msg){MICA_REPLY_INFO(mica_obey_crash(badge), 0), {0}};
    }
    return (struct mica_msg){MICA_REPLY_INFO(MICA_ENOSYS, 0), {0}};
}

/* The round trips of ipc_rtt and ipc_rtt_4k: each PEER_ECHO is answered
 * with its own payload length (the payload stays in our IPC buffer, which
 * the reply sends back) and its words, with reply_recv, until another
 * request comes, which goes back to main's loop. The registers of the ABI
 * are the loop's variables, so that the message goes from one syscall to
 * the next without a move: all the loop adds to a round trip is the check
 * of the label and the reply's info word. */
#define LEN_BITS MICA_INFO(0, 0x1fff)

static long echo(uint64_t ep, struct mica_msg *m, uint64_t *badge)
{
    register uint64_t rdi __asm__("rdi");
    register uint64_t rsi __asm__("rsi") = m->info; /* PEER_ECHO, and a length */
    register uint64_t rdx __asm__("rdx") = m->w[0];
    register uint64_t r10 __asm__("r10") = m->w[1];
    register uint64_t r8 __asm__("r8") = m->w[2];
    register uint64_t r9 __asm__("r9") = m->w[3];
    register uint64_t r12 __asm__("r12") = MICA_WAIT_FOREVER;
    long rax;
    do {
        rsi -=
            PEER_ECHO; /* (the loop's condition) label: status MICA_OK; the same length */
        rdi = ep;
        rax = SYS_REPLY_RECV;
        __asm__ volatile("syscall"
                         : "+a"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10),
                           "+r"(r8), "+r"(r9)
                         : "r"(r12)
                         : "rcx", "r11", "memory", "cc");
    } while (rax == MICA_OK && (rsi & ~LEN_BITS) == PEER_ECHO);
    *m = (struct mica_msg){rsi, {rdx, r10, r8, r9}};
    *badge = rdi;
    return rax;
}

/* ---- PEER_SERVE: echo servers on threads of their own. */

#define PARK_MS 1000u /* between retries of a receive that failed */

static uint8_t server_stacks[PEER_SERVERS_MAX][8192] __attribute__((aligned(16)));
static unsigned servers;

/* One server's loop: PEER_ECHO through echo() for as long as it comes,
 * anything else refused. A failed receive (there is nothing that should
 * fail it) is retried slowly rather than in a spin that would take the
 * CPU from the figures. A thread may not return; benchpeer's exit ends
 * it. */
static void server(uint64_t ep, void *ipc_buffer)
{
    (void)ipc_buffer;
    struct mica_msg m;
    uint64_t badge;
    long st = mica_recv(ep, &m, &badge, MICA_WAIT_FOREVER);
    for (;;) {
        if (st != MICA_OK) {
            mica_sleep_ms(PARK_MS);
            st = mica_recv(ep, &m, &badge, MICA_WAIT_FOREVER);
        } else if (MICA_INFO_LABEL(m.info) == PEER_ECHO && !(m.info & MICA_INFO_HANDLE)) {
            st = echo(ep, &m, &badge);
        } else {
            if (m.info & MICA_INFO_HANDLE)
                mica_handle_close(m.w[0]);
            struct mica_msg r = {MICA_REPLY_INFO(MICA_ENOSYS, 0), {0}};
            st = mica_reply_recv(ep, &r, &m, &badge, MICA_WAIT_FOREVER);
        }
    }
}

/* A new server thread on the CPUs of the mask in w[0] (0: where the
 * kernel likes), pinned before it is asked anything; the caller gets a
 * send handle to its endpoint. The endpoint is never closed: the thread
 * waits on it until we exit. */
static void serve_on(const struct mica_msg *m)
{
    struct mica_msg r = {MICA_REPLY_INFO(MICA_EINVAL, 0), {0}};
    if (m->info & MICA_INFO_HANDLE) {
        mica_handle_close(m->w[0]);
        mica_reply(&r);
        return;
    }
    long ep = servers < PEER_SERVERS_MAX ? mica_endpoint_create() : MICA_ENOMEM;
    long grant =
        ep > 0 ? mica_handle_copy((uint64_t)ep, MICA_RIGHT_SEND | MICA_RIGHT_GRANT, 0)
               : ep;
    long k = grant;
    if (grant > 0) {
        uint8_t *top = server_stacks[servers] + sizeof(server_stacks[0]);
        k = mica_thread_create(server, top, (uint64_t)ep);
    }
    long st = k;
    if (k > 0) {
        servers++; /* its stack is taken, pinned or not */
        st = m->w[0] ? mica_thread_affinity((uint64_t)k, m->w[0]) : MICA_OK;
    }
    if (st == MICA_OK)
        r = (struct mica_msg){MICA_REPLY_INFO(MICA_OK, 0) | MICA_INFO_HANDLE,
                              {(uint64_t)grant, (uint64_t)k}};
    else
        r.info = MICA_REPLY_INFO(st, 0);
    mica_reply(&r);
    if (grant > 0)
        mica_handle_close((uint64_t)grant); /* the caller holds its own copy now */
    if (ep > 0 && k <= 0)
        mica_handle_close((uint64_t)ep);
}

int main(void)
{
    long ep = mica_endpoint_create();
    if (ep < 0 || ns_register(PEER_NAME, (uint64_t)ep) != MICA_OK) {
        log_line("mica: benchpeer: cannot register; exiting\n");
        return 1;
    }
    struct mica_msg m;
    uint64_t badge;
    long st = mica_recv((uint64_t)ep, &m, &badge, MICA_WAIT_FOREVER);
    for (;;) {
        uint32_t label = st == MICA_OK ? MICA_INFO_LABEL(m.info) : 0;
        if (label == PEER_EXIT) {
            struct mica_msg r = {MICA_REPLY_INFO(MICA_OK, 0), {0}};
            mica_reply(&r);
            return 0; /* the kernel takes back all we made */
        }
        if (st != MICA_OK || label == PEER_NOTIFY || label == PEER_SERVE) {
            if (label == PEER_NOTIFY)
                serve_notify(&m);
            else if (label == PEER_SERVE)
                serve_on(&m);
            st = mica_recv((uint64_t)ep, &m, &badge, MICA_WAIT_FOREVER);
            continue;
        }
        if (MICA_INFO_LABEL(m.info) == PEER_ECHO && !(m.info & MICA_INFO_HANDLE)) {
            st = echo((uint64_t)ep, &m, &badge);
            continue;
        }
        struct mica_msg r = answer(&m, badge);
        st = mica_reply_recv((uint64_t)ep, &r, &m, &badge, MICA_WAIT_FOREVER);
    }
}
