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
        if (st != MICA_OK || label == PEER_NOTIFY) {
            if (st == MICA_OK)
                serve_notify(&m);
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
