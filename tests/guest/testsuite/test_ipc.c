/*
 * Suite ipc: endpoints, notifications and handles as the kernel promises
 * them in include/mica/abi.h: call/reply with a server thread and with a
 * server in another task, payload copies, badges, timeouts, non-blocking
 * calls, handle transfer, rights and type checks, bad handle numbers, and
 * the per-task object quota.
 */
#include <mica/memory.h>
#include <mica/ns.h>
#include <mica/syscall.h>
#include <string.h>

#include "ktest.h"

#define WAIT_MS 3000 /* generous: TCG is slow, but nothing may hang */

static uint8_t pattern(uint32_t i, uint8_t seed)
{
    return (uint8_t)(i * 7u + seed);
}

/* ---- An echo server for a helper thread: answers `calls` calls on ep
 * with label + 1, every word + 1 and a payload of the same length made
 * from seed + 1; records what it saw. */
struct echo {
    uint64_t ep;
    unsigned calls;
    uint8_t seed; /* of the payload it expects */
    /* results */
    unsigned served;
    uint64_t badge;
    struct mica_msg last;
    bool payload_ok;
    bool beyond_untouched; /* the byte after the payload was not written */
};

static void fill_reply(struct echo *e, const struct mica_msg *in, struct mica_msg *out)
{
    uint8_t *buf = kt_ipc();
    uint32_t len = MICA_INFO_LEN(in->info);
    e->payload_ok = true;
    for (uint32_t i = 0; i < len; i++)
        if (buf[i] != pattern(i, e->seed))
            e->payload_ok = false;
    e->beyond_untouched = len == MICA_IPC_PAYLOAD_MAX || buf[len] == 0xcc;
    for (uint32_t i = 0; i < len; i++)
        buf[i] = pattern(i, (uint8_t)(e->seed + 1));
    *out = (struct mica_msg){MICA_INFO(MICA_INFO_LABEL(in->info) + 1, len),
                             {in->w[0] + 1, in->w[1] + 1, in->w[2] + 1, in->w[3] + 1}};
}

static void echo_server(void *arg)
{
    struct echo *e = arg;
    struct mica_msg in, out;
    /* Marks the byte after any payload: a copy must not reach it. */
    memset(kt_ipc(), 0xcc, MICA_IPC_PAYLOAD_MAX);
    KT_OK(mica_recv(e->ep, &in, &e->badge, WAIT_MS));
    for (;;) {
        e->last = in;
        e->served++;
        fill_reply(e, &in, &out);
        if (e->served == e->calls)
            break;
        KT_OK(mica_reply_recv(e->ep, &out, &in, &e->badge, WAIT_MS));
    }
    KT_OK(mica_reply(&out));
}

KTEST(ipc, call_reply_thread)
{
    struct echo e = {.ep = kt_endpoint(), .calls = 1};
    int job = kt_spawn(echo_server, &e);
    struct mica_msg req = {MICA_INFO(10, 0), {1, 2, 3, 4}}, rep;

    KT_OK(mica_call(e.ep, &req, &rep, WAIT_MS));
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_EQ(MICA_INFO_LABEL(rep.info), 11);
    KT_EQ(rep.w[0], 2);
    KT_EQ(rep.w[3], 5);
    KT_EQ(e.badge, 0);
    KT_EQ(e.last.w[2], 3);
}

KTEST(ipc, reply_recv_loop)
{
    struct echo e = {.ep = kt_endpoint(), .calls = 3};
    int job = kt_spawn(echo_server, &e);

    for (uint64_t i = 0; i < 3; i++) {
        struct mica_msg req = {MICA_INFO(100 + i, 0), {i}}, rep;
        KT_OK(mica_call(e.ep, &req, &rep, WAIT_MS));
        KT_EQ(MICA_INFO_LABEL(rep.info), 101 + i);
        KT_EQ(rep.w[0], i + 1);
    }
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_EQ(e.served, 3);
}

/* A server in another task: the memory server, found through the name
 * service, answers MEM_STATS. */
KTEST(ipc, call_other_task)
{
    uint64_t mem;
    KT_OK(kt_lookup("memory", &mem, 10000));
    struct mica_msg req = {MICA_INFO(MEM_STATS, 0), {0}}, rep;
    long st = mica_call(mem, &req, &rep, WAIT_MS);
    mica_handle_close(mem);
    KT_OK(st);
    KT_OK(MICA_REPLY_STATUS(rep.info));
    KT_ASSERT(rep.w[0] > 0);
    KT_ASSERT(rep.w[1] <= rep.w[0]);
}

static void payload_round_trip(uint32_t len)
{
    struct echo e = {.ep = kt_endpoint(), .calls = 1, .seed = 0x31};
    uint8_t *buf = mica_ipc_buffer();
    for (uint32_t i = 0; i < len; i++)
        buf[i] = pattern(i, e.seed);
    if (len < MICA_IPC_PAYLOAD_MAX)
        buf[len] = 0x5a;
    int job = kt_spawn(echo_server, &e);
    struct mica_msg req = {MICA_INFO(1, len), {0}}, rep;

    KT_OK(mica_call(e.ep, &req, &rep, WAIT_MS));
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_EQ(MICA_INFO_LEN(e.last.info), len);
    KT_ASSERT(e.payload_ok);
    KT_ASSERT(e.beyond_untouched);
    KT_EQ(MICA_INFO_LEN(rep.info), len);
    for (uint32_t i = 0; i < len; i++)
        KT_EQ(buf[i], pattern(i, (uint8_t)(e.seed + 1)));
    if (len < MICA_IPC_PAYLOAD_MAX)
        KT_EQ(buf[len], 0x5a);
}

KTEST(ipc, payload_0)
{
    payload_round_trip(0);
}

KTEST(ipc, payload_1)
{
    payload_round_trip(1);
}

KTEST(ipc, payload_4096)
{
    payload_round_trip(MICA_IPC_PAYLOAD_MAX);
}

KTEST(ipc, payload_too_big)
{
    uint64_t ep = kt_endpoint();
    struct mica_msg big = {MICA_INFO(1, MICA_IPC_PAYLOAD_MAX + 1), {0}}, rep;
    struct mica_msg max = {MICA_INFO(1, 0x1fff), {0}};

    KT_STATUS(kt_send(ep, &big, MICA_NO_WAIT), MICA_ERANGE);
    KT_STATUS(kt_call(ep, &max, &rep, MICA_NO_WAIT), MICA_ERANGE);
    KT_STATUS(mica_reply(&big), MICA_ERANGE);
    KT_STATUS(mica_reply_recv(ep, &big, &rep, NULL, MICA_NO_WAIT), MICA_ERANGE);
}

/* A receiver thread: one message on ep, with its badge. */
struct catcher {
    uint64_t ep;
    long status;
    uint64_t badge;
    struct mica_msg msg;
};

static void catch_one(void *arg)
{
    struct catcher *c = arg;
    c->status = mica_recv(c->ep, &c->msg, &c->badge, WAIT_MS);
}

KTEST(ipc, send_taken_by_receiver)
{
    struct catcher c = {.ep = kt_endpoint()};
    int job = kt_spawn(catch_one, &c);
    struct mica_msg m = {MICA_INFO(7, 0), {11, 22, 33, 44}};

    KT_OK(kt_send(c.ep, &m, WAIT_MS));
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_OK(c.status);
    KT_EQ(MICA_INFO_LABEL(c.msg.info), 7);
    KT_EQ(c.msg.w[0], 11);
    KT_EQ(c.msg.w[3], 44);
}

KTEST(ipc, badge_seen_by_receiver)
{
    struct catcher c = {.ep = kt_endpoint()};
    uint64_t badged;
    KT_HANDLE(badged, mica_handle_copy(c.ep, MICA_RIGHT_SEND, 0x1234));
    int job = kt_spawn(catch_one, &c);
    struct mica_msg m = {MICA_INFO(1, 0), {0}};

    long st = kt_send(badged, &m, WAIT_MS);
    mica_handle_close(badged);
    KT_OK(st);
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_EQ(c.badge, 0x1234);
}

KTEST(ipc, rebadge_refused)
{
    struct catcher c = {.ep = kt_endpoint()};
    uint64_t badged, plain_copy;
    KT_HANDLE(badged, mica_handle_copy(c.ep, MICA_RIGHT_SEND, 0x77));
    long again = mica_handle_copy(badged, MICA_RIGHT_SEND, 0x99);
    if (again > 0)
        mica_handle_close((uint64_t)again);
    KT_STATUS(again, MICA_EINVAL);
    /* A copy without a badge keeps the one it has. */
    long h = mica_handle_copy(badged, MICA_RIGHT_SEND, 0);
    mica_handle_close(badged);
    KT_HANDLE(plain_copy, h);
    int job = kt_spawn(catch_one, &c);
    struct mica_msg m = {MICA_INFO(1, 0), {0}};
    long st = kt_send(plain_copy, &m, WAIT_MS);
    mica_handle_close(plain_copy);
    KT_OK(st);
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_EQ(c.badge, 0x77);
}

KTEST(ipc, task_handle_not_badgeable)
{
    long h = mica_handle_copy(MICA_HANDLE_SELF, MICA_RIGHT_MANAGE, 5);
    if (h > 0)
        mica_handle_close((uint64_t)h);
    KT_STATUS(h, MICA_EINVAL);
}

static void expect_elapsed(uint64_t start, uint64_t want_ms)
{
    uint64_t took = mica_clock_ms() - start;
    KT_CMP(took, >=, want_ms);
    KT_CMP(took, <, want_ms + 2000);
}

KTEST(ipc, recv_timeout)
{
    uint64_t ep = kt_endpoint(), t0 = mica_clock_ms();
    struct mica_msg m;
    KT_STATUS(mica_recv(ep, &m, NULL, 50), MICA_ETIMEOUT);
    expect_elapsed(t0, 50);
}

KTEST(ipc, send_timeout)
{
    uint64_t ep = kt_endpoint(), t0 = mica_clock_ms();
    struct mica_msg m = {MICA_INFO(1, 0), {0}};
    KT_STATUS(kt_send(ep, &m, 50), MICA_ETIMEOUT);
    expect_elapsed(t0, 50);
}

KTEST(ipc, call_timeout)
{
    uint64_t ep = kt_endpoint(), t0 = mica_clock_ms();
    struct mica_msg m = {MICA_INFO(1, 0), {0}}, rep;
    KT_STATUS(kt_call(ep, &m, &rep, 50), MICA_ETIMEOUT);
    expect_elapsed(t0, 50);
}

struct slow_server {
    uint64_t ep;
    long replied; /* status of the late reply */
};

static void reply_late(void *arg)
{
    struct slow_server *s = arg;
    struct mica_msg m;
    KT_OK(mica_recv(s->ep, &m, NULL, WAIT_MS));
    mica_sleep_ms(300);
    struct mica_msg r = {MICA_INFO(5, 0), {0}};
    s->replied = mica_reply(&r);
}

/* The timeout of a call bounds the whole call, the wait for the reply
 * included: a server that never answers must not hold its client. */
KTEST(ipc, call_timeout_covers_reply)
{
    struct slow_server s = {.ep = kt_endpoint(), .replied = 1};
    int job = kt_spawn(reply_late, &s);
    struct mica_msg m = {MICA_INFO(1, 0), {0}}, rep;
    mica_sleep_ms(20); /* the server waits first: the call is taken at once */
    uint64_t t0 = mica_clock_ms();
    long st = kt_call(s.ep, &m, &rep, 50);
    uint64_t took = mica_clock_ms() - t0;
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_STATUS(st, MICA_ETIMEOUT);
    KT_CMP(took, <, 300);
    KT_OK(s.replied);
}

KTEST(ipc, nonblocking_eagain)
{
    uint64_t ep = kt_endpoint();
    struct mica_msg m = {MICA_INFO(1, 0), {0}}, rep;
    KT_STATUS(mica_recv(ep, &m, NULL, MICA_NO_WAIT), MICA_EAGAIN);
    KT_STATUS(kt_send(ep, &m, MICA_NO_WAIT), MICA_EAGAIN);
    KT_STATUS(kt_call(ep, &m, &rep, MICA_NO_WAIT), MICA_EAGAIN);
}

/* Senders waiting on one endpoint are served in the order they came. */
struct queued_sender {
    uint64_t ep, word;
    long status;
};

static void send_word(void *arg)
{
    struct queued_sender *q = arg;
    struct mica_msg m = {MICA_INFO(1, 0), {q->word}};
    q->status = kt_send(q->ep, &m, WAIT_MS);
}

KTEST(ipc, senders_served_in_order)
{
    uint64_t ep = kt_endpoint();
    struct queued_sender a = {ep, 0xa, 1}, b = {ep, 0xb, 1}, c = {ep, 0xc, 1};
    int ja = kt_spawn(send_word, &a);
    mica_sleep_ms(20);
    int jb = kt_spawn(send_word, &b);
    mica_sleep_ms(20);
    int jc = kt_spawn(send_word, &c);
    mica_sleep_ms(20);
    uint64_t order[3] = {0};
    for (unsigned i = 0; i < 3; i++) {
        struct mica_msg m;
        KT_OK(kt_recv(ep, &m, NULL, WAIT_MS));
        order[i] = m.w[0];
    }
    KT_ASSERT(kt_join(ja, WAIT_MS));
    KT_ASSERT(kt_join(jb, WAIT_MS));
    KT_ASSERT(kt_join(jc, WAIT_MS));
    KT_EQ(order[0], 0xa);
    KT_EQ(order[1], 0xb);
    KT_EQ(order[2], 0xc);
}

struct picky_server {
    uint64_t ep;
    long bad_reply, good_reply;
};

/* Replies once with a payload over the limit (refused: the caller keeps
 * waiting), then properly. */
static void reply_twice(void *arg)
{
    struct picky_server *p = arg;
    struct mica_msg m;
    KT_OK(kt_recv(p->ep, &m, NULL, WAIT_MS));
    struct mica_msg bad = {MICA_INFO(66, MICA_IPC_PAYLOAD_MAX + 1), {6}};
    struct mica_msg good = {MICA_INFO(67, 0), {7}};
    p->bad_reply = mica_reply(&bad);
    p->good_reply = mica_reply(&good);
}

KTEST(ipc, oversized_reply_refused_caller_waits)
{
    struct picky_server p = {.ep = kt_endpoint(), .bad_reply = 1, .good_reply = 1};
    int job = kt_spawn(reply_twice, &p);
    struct mica_msg req = {MICA_INFO(1, 0), {0}}, rep = {0};
    KT_OK(kt_call(p.ep, &req, &rep, WAIT_MS));
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_STATUS(p.bad_reply, MICA_ERANGE);
    KT_OK(p.good_reply);
    KT_EQ(MICA_INFO_LABEL(rep.info), 67);
    KT_EQ(rep.w[0], 7);
}

/* ---- Handle transfer. */

struct passer {
    uint64_t via;      /* endpoint the handle arrives on */
    uint64_t info;     /* info of the message that carried it */
    uint64_t received; /* w[0] as received */
    long used;         /* status of a send on the received handle */
};

/* Takes the message with the handle, then sends label 77 through it. */
static void take_and_use(void *arg)
{
    struct passer *p = arg;
    struct mica_msg m;
    KT_OK(mica_recv(p->via, &m, NULL, WAIT_MS));
    p->info = m.info;
    p->received = m.w[0];
    if (!(m.info & MICA_INFO_HANDLE))
        return;
    struct mica_msg hello = {MICA_INFO(77, 0), {0}};
    p->used = kt_send(m.w[0], &hello, WAIT_MS);
    mica_handle_close(m.w[0]);
}

KTEST(ipc, handle_passing)
{
    struct passer p = {.via = kt_endpoint(), .used = 1};
    uint64_t target = kt_endpoint();
    int job = kt_spawn(take_and_use, &p);
    struct mica_msg m = {MICA_INFO(1, 0) | MICA_INFO_HANDLE, {target}}, got;

    KT_OK(kt_send(p.via, &m, WAIT_MS));
    KT_OK(mica_recv(target, &got, NULL, WAIT_MS));
    KT_EQ(MICA_INFO_LABEL(got.info), 77);
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_ASSERT(p.info & MICA_INFO_HANDLE);
    KT_NE(p.received, 0);
    KT_OK(p.used);
}

KTEST(ipc, handle_without_grant_stays)
{
    struct passer p = {.via = kt_endpoint(), .used = 1};
    uint64_t no_grant;
    KT_HANDLE(no_grant, mica_handle_copy(kt_endpoint(), MICA_RIGHT_SEND, 0));
    int job = kt_spawn(take_and_use, &p);
    struct mica_msg m = {MICA_INFO(1, 0) | MICA_INFO_HANDLE, {no_grant}};

    long st = kt_send(p.via, &m, WAIT_MS);
    mica_handle_close(no_grant);
    KT_OK(st);
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_EQ(p.info & MICA_INFO_HANDLE, 0);
    KT_EQ(p.received, 0);
}

KTEST(ipc, bad_handle_not_transferred)
{
    struct passer p = {.via = kt_endpoint(), .used = 1};
    int job = kt_spawn(take_and_use, &p);
    struct mica_msg m = {MICA_INFO(1, 0) | MICA_INFO_HANDLE, {1000}};

    KT_OK(kt_send(p.via, &m, WAIT_MS));
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_EQ(p.info & MICA_INFO_HANDLE, 0);
    KT_EQ(p.received, 0);
}

/* ---- Rights and types. */

KTEST(ipc, recv_needs_recv_right)
{
    uint64_t send_only;
    struct mica_msg m;
    KT_HANDLE(send_only, mica_handle_copy(kt_endpoint(), MICA_RIGHT_SEND, 0));
    long st = mica_recv(send_only, &m, NULL, MICA_NO_WAIT);
    mica_handle_close(send_only);
    KT_STATUS(st, MICA_ERIGHTS);
}

KTEST(ipc, send_needs_send_right)
{
    uint64_t recv_only;
    struct mica_msg m = {MICA_INFO(1, 0), {0}}, rep;
    KT_HANDLE(recv_only, mica_handle_copy(kt_endpoint(), MICA_RIGHT_RECV, 0));
    long send = kt_send(recv_only, &m, MICA_NO_WAIT);
    long call = kt_call(recv_only, &m, &rep, MICA_NO_WAIT);
    mica_handle_close(recv_only);
    KT_STATUS(send, MICA_ERIGHTS);
    KT_STATUS(call, MICA_ERIGHTS);
}

KTEST(ipc, copy_cannot_add_rights)
{
    uint64_t send_only, widened;
    struct mica_msg m;
    KT_HANDLE(send_only, mica_handle_copy(kt_endpoint(), MICA_RIGHT_SEND, 0));
    long h = mica_handle_copy(send_only, MICA_RIGHTS_ALL, 0);
    mica_handle_close(send_only);
    KT_HANDLE(widened, h);
    long st = mica_recv(widened, &m, NULL, MICA_NO_WAIT);
    mica_handle_close(widened);
    KT_STATUS(st, MICA_ERIGHTS);
}

KTEST(ipc, wrong_object_type)
{
    uint64_t ep = kt_endpoint(), ntf = kt_notification(), bits;
    struct mica_msg m = {MICA_INFO(1, 0), {0}}, rep;

    KT_STATUS(kt_send(ntf, &m, MICA_NO_WAIT), MICA_ETYPE);
    KT_STATUS(kt_call(ntf, &m, &rep, MICA_NO_WAIT), MICA_ETYPE);
    KT_STATUS(mica_recv(ntf, &m, NULL, MICA_NO_WAIT), MICA_ETYPE);
    KT_STATUS(mica_notify_signal(ep, 1), MICA_ETYPE);
    KT_STATUS(mica_notify_wait(ep, &bits, MICA_NO_WAIT), MICA_ETYPE);
    KT_STATUS(kt_send(MICA_HANDLE_SELF, &m, MICA_NO_WAIT), MICA_ETYPE);
}

KTEST(ipc, bad_handle_numbers)
{
    const uint64_t bad[] = {0, kt_free_slot(), 64, 1000, ~0ull};
    struct mica_msg m = {MICA_INFO(1, 0), {0}}, rep;
    uint64_t bits;

    KT_NE(bad[1], 0);
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t h = bad[i];
        KT_STATUS(kt_send(h, &m, MICA_NO_WAIT), MICA_EBADH);
        KT_STATUS(kt_call(h, &m, &rep, MICA_NO_WAIT), MICA_EBADH);
        KT_STATUS(mica_recv(h, &m, NULL, MICA_NO_WAIT), MICA_EBADH);
        KT_STATUS(mica_reply_recv(h, &m, &rep, NULL, MICA_NO_WAIT), MICA_EBADH);
        KT_STATUS(mica_notify_signal(h, 1), MICA_EBADH);
        KT_STATUS(mica_notify_wait(h, &bits, MICA_NO_WAIT), MICA_EBADH);
        KT_STATUS(mica_handle_close(h), MICA_EBADH);
        KT_STATUS(mica_handle_copy(h, MICA_RIGHTS_ALL, 0), MICA_EBADH);
    }
}

KTEST(ipc, reply_without_caller)
{
    struct mica_msg m = {MICA_INFO(1, 0), {0}};
    KT_STATUS(mica_reply(&m), MICA_EINVAL);
}

KTEST(ipc, close_then_use)
{
    uint64_t ep;
    struct mica_msg m = {MICA_INFO(1, 0), {0}};
    KT_HANDLE(ep, mica_endpoint_create());
    KT_OK(mica_handle_close(ep));
    KT_STATUS(kt_send(ep, &m, MICA_NO_WAIT), MICA_EBADH);
    KT_STATUS(mica_recv(ep, &m, NULL, MICA_NO_WAIT), MICA_EBADH);
    KT_STATUS(mica_handle_close(ep), MICA_EBADH);
}

/* ---- Notifications. */

KTEST(ipc, notify_bits_or)
{
    uint64_t ntf = kt_notification(), bits = 0;
    KT_OK(mica_notify_signal(ntf, 1));
    KT_OK(mica_notify_signal(ntf, 4));
    KT_OK(mica_notify_signal(ntf, 1));
    KT_OK(mica_notify_wait(ntf, &bits, MICA_NO_WAIT));
    KT_EQ(bits, 5);
    KT_STATUS(mica_notify_wait(ntf, &bits, MICA_NO_WAIT), MICA_EAGAIN);
}

KTEST(ipc, notify_wait_timeout)
{
    uint64_t ntf = kt_notification(), bits, t0 = mica_clock_ms();
    KT_STATUS(mica_notify_wait(ntf, &bits, 50), MICA_ETIMEOUT);
    expect_elapsed(t0, 50);
}

struct waiter {
    uint64_t ntf;
    long status;
    uint64_t bits;
};

static void wait_bits(void *arg)
{
    struct waiter *w = arg;
    w->status = mica_notify_wait(w->ntf, &w->bits, WAIT_MS);
}

KTEST(ipc, notify_wakes_waiter)
{
    struct waiter w = {.ntf = kt_notification(), .status = 1};
    int job = kt_spawn(wait_bits, &w);
    mica_sleep_ms(20); /* let the helper block first */
    KT_OK(mica_notify_signal(w.ntf, 0x80));
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_OK(w.status);
    KT_EQ(w.bits, 0x80);
}

KTEST(ipc, notify_second_waiter_busy)
{
    struct waiter w = {.ntf = kt_notification(), .status = 1};
    uint64_t bits;
    int job = kt_spawn(wait_bits, &w);
    mica_sleep_ms(20);
    KT_STATUS(mica_notify_wait(w.ntf, &bits, MICA_NO_WAIT), MICA_EBUSY);
    KT_OK(mica_notify_signal(w.ntf, 2));
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_EQ(w.bits, 2);
}

KTEST(ipc, notify_needs_rights)
{
    uint64_t ntf = kt_notification(), wait_only, signal_only, bits;
    KT_HANDLE(wait_only, mica_handle_copy(ntf, MICA_RIGHT_RECV, 0));
    long sig = mica_notify_signal(wait_only, 1);
    mica_handle_close(wait_only);
    KT_STATUS(sig, MICA_ERIGHTS);
    KT_HANDLE(signal_only, mica_handle_copy(ntf, MICA_RIGHT_SEND, 0));
    long wait = mica_notify_wait(signal_only, &bits, MICA_NO_WAIT);
    mica_handle_close(signal_only);
    KT_STATUS(wait, MICA_ERIGHTS);
}

/* ---- Quota. Last: while the kernel counts objects created rather than
 * objects held, this uses up the task's quota for good. */

KTEST_LAST(ipc, quota_released_on_close)
{
    uint64_t made[64];
    unsigned n = 0;
    long h = 0;

    while (n < 64 && (h = mica_endpoint_create()) > 0)
        made[n++] = (uint64_t)h;
    for (unsigned i = 0; i < n; i++)
        mica_handle_close(made[i]);
    KT_STATUS(h, MICA_ENOMEM);
    KT_CMP(n, >, 0);
    uint64_t fresh;
    KT_HANDLE(fresh, mica_endpoint_create());
    KT_OK(mica_handle_close(fresh));
}
