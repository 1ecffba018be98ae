/*
 * Suite cap: capabilities (handles) as the kernel keeps them: a closed
 * handle is gone for every system call, copies only ever lose rights, each
 * system call family checks the object type, a full table says
 * MICA_ENOMEM and recovers, badges are set once, and passing a handle
 * needs MICA_RIGHT_GRANT and keeps its rights and badge.
 */
#include <mica/syscall.h>

#include "ktest.h"

#define WAIT_MS 3000

/* Every family of system call on handle h: what each returned. */
struct family_status {
    long send, call, recv, reply_recv, signal, wait, copy, close;
    long ioport, irq_bind, irq_ack, system, map, unmap, pager, ram_info, spawn, watch,
        module;
};

static void try_all(uint64_t h, uint64_t ntf, struct family_status *s, bool close_too)
{
    struct mica_msg m = {MICA_INFO(1, 0), {0}}, rep;
    struct mica_ram_info ri;
    struct mica_module_info mi;
    uint64_t bits;
    s->send = kt_send(h, &m, MICA_NO_WAIT);
    s->call = kt_call(h, &m, &rep, MICA_NO_WAIT);
    s->recv = kt_recv(h, &m, NULL, MICA_NO_WAIT);
    s->reply_recv = mica_reply_recv(h, &m, &rep, NULL, MICA_NO_WAIT);
    s->signal = mica_notify_signal(h, 1);
    s->wait = mica_notify_wait(h, &bits, MICA_NO_WAIT);
    long c = mica_handle_copy(h, MICA_RIGHT_SEND, 0);
    if (c > 0)
        mica_handle_close((uint64_t)c);
    s->copy = c > 0 ? MICA_OK : c;
    s->ioport = mica_ioport_enable(h);
    s->irq_bind = mica_irq_bind(h, ntf, 1);
    s->irq_ack = mica_irq_ack(h);
    s->system = mica_system(h, 77); /* not an operation, should it get through */
    s->map = mica_map(h, 0x10000000, h, 0, 0);
    s->unmap = mica_unmap(h, 0x10000000);
    /* (h, h): never makes our own task's pager anything but what it is. */
    s->pager = mica_set_pager(h, h);
    s->ram_info = mica_ram_info(h, &ri);
    s->spawn = mica_task_spawn(h, "no-such-module");
    s->watch = mica_task_watch(h, 1, ntf, 1, true);
    s->module = mica_module_info(h, 0, &mi);
    s->close = close_too ? mica_handle_close(h) : MICA_OK;
}

/* ---- Passing handles: GRANT is needed, and rights and badge travel. */

struct receiver {
    uint64_t via;
    struct mica_msg got;
    long status, used;
};

/* Receives one message and, if a handle came, sends label 78 through it. */
static void receive_and_use(void *arg)
{
    struct receiver *r = arg;
    r->status = kt_recv(r->via, &r->got, NULL, WAIT_MS);
    if (r->status != MICA_OK || !(r->got.info & MICA_INFO_HANDLE))
        return;
    struct mica_msg m = {MICA_INFO(78, 0), {0}};
    r->used = kt_send(r->got.w[0], &m, WAIT_MS);
    mica_handle_close(r->got.w[0]);
}

/* A closed handle names nothing: every family says MICA_EBADH. */
KTEST(cap, stale_handle_after_close)
{
    uint64_t ntf = kt_notification(), h;
    struct family_status s;
    KT_HANDLE(h, mica_endpoint_create());
    KT_OK(mica_handle_close(h));
    try_all(h, ntf, &s, true);
    KT_STATUS(s.send, MICA_EBADH);
    KT_STATUS(s.call, MICA_EBADH);
    KT_STATUS(s.recv, MICA_EBADH);
    KT_STATUS(s.reply_recv, MICA_EBADH);
    KT_STATUS(s.signal, MICA_EBADH);
    KT_STATUS(s.wait, MICA_EBADH);
    KT_STATUS(s.copy, MICA_EBADH);
    KT_STATUS(s.close, MICA_EBADH);
    KT_STATUS(s.ioport, MICA_EBADH);
    KT_STATUS(s.irq_bind, MICA_EBADH);
    KT_STATUS(s.irq_ack, MICA_EBADH);
    KT_STATUS(s.system, MICA_EBADH);
    KT_STATUS(s.map, MICA_EBADH);
    KT_STATUS(s.unmap, MICA_EBADH);
    KT_STATUS(s.pager, MICA_EBADH);
    KT_STATUS(s.ram_info, MICA_EBADH);
    KT_STATUS(s.spawn, MICA_EBADH);
    KT_STATUS(s.watch, MICA_EBADH);
    KT_STATUS(s.module, MICA_EBADH);
}

/* An endpoint used where anything else is wanted: MICA_ETYPE. */
KTEST(cap, endpoint_wrong_type_everywhere)
{
    uint64_t ep = kt_endpoint(), ntf = kt_notification();
    struct family_status s;
    try_all(ep, ntf, &s, false);
    KT_STATUS(s.signal, MICA_ETYPE);
    KT_STATUS(s.wait, MICA_ETYPE);
    KT_STATUS(s.ioport, MICA_ETYPE);
    KT_STATUS(s.irq_bind, MICA_ETYPE);
    KT_STATUS(s.irq_ack, MICA_ETYPE);
    KT_STATUS(s.system, MICA_ETYPE);
    KT_STATUS(s.map, MICA_ETYPE);
    KT_STATUS(s.unmap, MICA_ETYPE);
    KT_STATUS(s.pager, MICA_ETYPE);
    KT_STATUS(s.ram_info, MICA_ETYPE);
    KT_STATUS(s.spawn, MICA_ETYPE);
    KT_STATUS(s.watch, MICA_ETYPE);
    KT_STATUS(s.module, MICA_ETYPE);
    KT_OK(s.copy);
}

/* A notification used as anything but a notification: MICA_ETYPE. */
KTEST(cap, notification_wrong_type_everywhere)
{
    uint64_t ntf = kt_notification();
    struct family_status s;
    try_all(ntf, ntf, &s, false);
    KT_STATUS(s.send, MICA_ETYPE);
    KT_STATUS(s.call, MICA_ETYPE);
    KT_STATUS(s.recv, MICA_ETYPE);
    KT_STATUS(s.reply_recv, MICA_ETYPE);
    KT_STATUS(s.ioport, MICA_ETYPE);
    KT_STATUS(s.irq_bind, MICA_ETYPE);
    KT_STATUS(s.irq_ack, MICA_ETYPE);
    KT_STATUS(s.system, MICA_ETYPE);
    KT_STATUS(s.map, MICA_ETYPE);
    KT_STATUS(s.unmap, MICA_ETYPE);
    KT_STATUS(s.pager, MICA_ETYPE);
    KT_STATUS(s.ram_info, MICA_ETYPE);
    KT_STATUS(s.spawn, MICA_ETYPE);
    KT_STATUS(s.watch, MICA_ETYPE);
    KT_STATUS(s.module, MICA_ETYPE);
    KT_OK(s.signal); /* bit 1, taken by the wait that followed */
    KT_OK(s.wait);
}

/* Our own task handle (MANAGE | GRANT) is no endpoint, notification,
 * I/O range, IRQ, system or RAM object. */
KTEST(cap, task_handle_wrong_type_everywhere)
{
    uint64_t ntf = kt_notification();
    struct family_status s;
    try_all(MICA_HANDLE_SELF, ntf, &s, false);
    KT_STATUS(s.send, MICA_ETYPE);
    KT_STATUS(s.call, MICA_ETYPE);
    KT_STATUS(s.recv, MICA_ETYPE);
    KT_STATUS(s.reply_recv, MICA_ETYPE);
    KT_STATUS(s.signal, MICA_ETYPE);
    KT_STATUS(s.wait, MICA_ETYPE);
    KT_STATUS(s.ioport, MICA_ETYPE);
    KT_STATUS(s.irq_bind, MICA_ETYPE);
    KT_STATUS(s.irq_ack, MICA_ETYPE);
    KT_STATUS(s.system, MICA_ETYPE);
    KT_STATUS(s.map, MICA_ETYPE);   /* the task is right, the RAM object is not */
    KT_STATUS(s.pager, MICA_ETYPE); /* likewise the endpoint */
    KT_STATUS(s.ram_info, MICA_ETYPE);
    KT_STATUS(s.spawn, MICA_ETYPE);
    KT_STATUS(s.watch, MICA_ETYPE);
    KT_STATUS(s.module, MICA_ETYPE);
}

/* A copy lives on after the original is closed, and the other way round:
 * the object goes away with its last handle only. */
KTEST(cap, copy_outlives_original)
{
    uint64_t orig, copy, bits;
    KT_HANDLE(orig, mica_notify_create());
    long c = mica_handle_copy(orig, MICA_RIGHTS_ALL, 0);
    KT_OK(mica_handle_close(orig));
    KT_HANDLE(copy, c);
    long sig = mica_notify_signal(copy, 8);
    long wait = mica_notify_wait(copy, &bits, MICA_NO_WAIT);
    KT_OK(mica_handle_close(copy));
    KT_OK(sig);
    KT_OK(wait);
    KT_EQ(bits, 8);
    KT_STATUS(mica_notify_signal(orig, 1), MICA_EBADH);
    KT_STATUS(mica_notify_signal(copy, 1), MICA_EBADH);
}

/* Rights only shrink along a chain of copies: SEND|GRANT -> SEND -> "all"
 * is still SEND alone: it can neither receive nor be passed on. */
KTEST(cap, rights_never_regained)
{
    struct receiver r = {.via = kt_endpoint(), .status = 1, .used = 1};
    struct mica_msg got;
    uint64_t a, b, c;
    KT_HANDLE(a, mica_handle_copy(kt_endpoint(), MICA_RIGHT_SEND | MICA_RIGHT_GRANT, 0));
    long hb = mica_handle_copy(a, MICA_RIGHT_SEND, 0);
    mica_handle_close(a);
    KT_HANDLE(b, hb);
    long hc = mica_handle_copy(b, MICA_RIGHTS_ALL, 0);
    mica_handle_close(b);
    KT_HANDLE(c, hc);
    long recv = kt_recv(c, &got, NULL, MICA_NO_WAIT);
    int job = kt_spawn(receive_and_use, &r);
    struct mica_msg pass = {MICA_INFO(2, 0) | MICA_INFO_HANDLE, {c}};
    long sent = kt_send(r.via, &pass, WAIT_MS);
    mica_handle_close(c);
    KT_STATUS(recv, MICA_ERIGHTS);
    KT_OK(sent);
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_OK(r.status);
    KT_EQ(r.got.info & MICA_INFO_HANDLE, 0); /* no GRANT: not passed */
    KT_EQ(r.got.w[0], 0);
}

/* A copy with no rights at all exists but can do nothing. */
KTEST(cap, zero_rights_copy_inert)
{
    uint64_t ep = kt_endpoint(), ntf = kt_notification(), e0, n0, bits;
    struct mica_msg m = {MICA_INFO(1, 0), {0}};
    KT_HANDLE(e0, mica_handle_copy(ep, 0, 0));
    long send = kt_send(e0, &m, MICA_NO_WAIT);
    long recv = kt_recv(e0, &m, NULL, MICA_NO_WAIT);
    mica_handle_close(e0);
    KT_STATUS(send, MICA_ERIGHTS);
    KT_STATUS(recv, MICA_ERIGHTS);
    KT_HANDLE(n0, mica_handle_copy(ntf, 0xfffffff0u, 0)); /* no known right */
    long sig = mica_notify_signal(n0, 1);
    long wait = mica_notify_wait(n0, &bits, MICA_NO_WAIT);
    KT_OK(mica_handle_close(n0));
    KT_STATUS(sig, MICA_ERIGHTS);
    KT_STATUS(wait, MICA_ERIGHTS);
}

/* ---- A full handle table. */

static unsigned fill_table(uint64_t src, uint64_t *made, unsigned max, long *last)
{
    unsigned n = 0;
    long h = 0;
    while (n < max && (h = mica_handle_copy(src, MICA_RIGHT_SEND, 0)) > 0)
        made[n++] = (uint64_t)h;
    *last = h;
    return n;
}

/* Copies (which create no object) until the table is full: MICA_ENOMEM,
 * not a crash; one close makes room for exactly one more. */
KTEST(cap, table_full_then_recovers)
{
    uint64_t made[64], ep = kt_endpoint();
    long last, more, again = 0;
    unsigned n = fill_table(ep, made, 64, &last);
    long create = mica_endpoint_create();
    if (n > 0) {
        mica_handle_close(made[--n]);
        more = mica_handle_copy(ep, MICA_RIGHT_SEND, 0);
        if (more > 0) {
            made[n++] = (uint64_t)more;
            again = mica_handle_copy(ep, MICA_RIGHT_SEND, 0);
        }
    } else {
        more = MICA_EINVAL;
    }
    for (unsigned i = 0; i < n; i++)
        mica_handle_close(made[i]);
    if (create > 0)
        mica_handle_close((uint64_t)create);
    if (again > 0)
        mica_handle_close((uint64_t)again);
    KT_STATUS(last, MICA_ENOMEM);
    KT_CMP(n, >, 10);
    KT_STATUS(create, MICA_ENOMEM);
    KT_CMP(more, >, 0);
    KT_STATUS(again, MICA_ENOMEM);
    uint64_t fresh;
    KT_HANDLE(fresh, mica_handle_copy(ep, MICA_RIGHT_SEND, 0));
    KT_OK(mica_handle_close(fresh));
}

struct handle_sender {
    uint64_t via, what;
    long status;
};

static void send_handle(void *arg)
{
    struct handle_sender *s = arg;
    struct mica_msg m = {MICA_INFO(3, 0) | MICA_INFO_HANDLE, {s->what}};
    s->status = kt_send(s->via, &m, WAIT_MS);
}

/* A handle sent into a full table is dropped (the message still arrives,
 * without it); the sender keeps its own. */
KTEST(cap, transfer_into_full_table_dropped)
{
    uint64_t made[64], via = kt_endpoint(), what = kt_endpoint();
    struct handle_sender s = {.via = via, .what = what, .status = 1};
    struct mica_msg got = {0};
    long last;
    int job = kt_spawn(send_handle, &s);
    mica_sleep_ms(30); /* the sender waits on `via` */
    unsigned n = fill_table(what, made, 64, &last);
    long st = kt_recv(via, &got, NULL, WAIT_MS);
    for (unsigned i = 0; i < n; i++)
        mica_handle_close(made[i]);
    if (st == MICA_OK && (got.info & MICA_INFO_HANDLE))
        mica_handle_close(got.w[0]);
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_STATUS(last, MICA_ENOMEM);
    KT_OK(st);
    KT_OK(s.status);
    KT_EQ(MICA_INFO_LABEL(got.info), 3);
    KT_EQ(got.info & MICA_INFO_HANDLE, 0);
    KT_EQ(got.w[0], 0);
    KT_STATUS(mica_notify_signal(what, 0), MICA_ETYPE); /* still ours */
}

/* ---- Badges. */

KTEST(cap, notification_badge_set_once)
{
    uint64_t ntf = kt_notification(), b;
    KT_HANDLE(b, mica_handle_copy(ntf, MICA_RIGHT_SEND, 0x55));
    long again = mica_handle_copy(b, MICA_RIGHT_SEND, 0x66);
    if (again > 0)
        mica_handle_close((uint64_t)again);
    long sig = mica_notify_signal(b, 2);
    mica_handle_close(b);
    KT_STATUS(again, MICA_EINVAL);
    KT_OK(sig);
}

/* The task handle's badge is its identity check: no badge can be put on
 * it, whatever the value, and a plain copy still names us. */
KTEST(cap, self_handle_never_rebadged)
{
    const uint64_t badges[] = {1, mica_self_id(), mica_self_id() + 1, ~0ull};
    for (unsigned i = 0; i < sizeof(badges) / sizeof(badges[0]); i++) {
        long h = mica_handle_copy(MICA_HANDLE_SELF, MICA_RIGHTS_ALL, badges[i]);
        if (h > 0)
            mica_handle_close((uint64_t)h);
        KT_STATUS(h, MICA_EINVAL);
    }
    uint64_t copy;
    KT_HANDLE(copy, mica_handle_copy(MICA_HANDLE_SELF, MICA_RIGHTS_ALL, 0));
    /* Still our live task: only the RAM object is wrong. */
    long st = mica_map(copy, 0x10000000, copy, 0, 0);
    mica_handle_close(copy);
    KT_STATUS(st, MICA_ETYPE);
}

/* Handle 1 (the name service) comes badged with our id and without
 * MICA_RIGHT_RECV: it cannot be re-badged nor used to receive. */
KTEST(cap, ns_handle_badged_send_only)
{
    struct mica_msg m;
    long h = mica_handle_copy(MICA_HANDLE_NS, MICA_RIGHT_SEND, 42);
    if (h > 0)
        mica_handle_close((uint64_t)h);
    KT_STATUS(h, MICA_EINVAL);
    KT_STATUS(kt_recv(MICA_HANDLE_NS, &m, NULL, MICA_NO_WAIT), MICA_ERIGHTS);
}

/* GRANT alone may be passed, but the receiver gets GRANT alone: it cannot
 * send through what it got. */
KTEST(cap, transfer_keeps_rights)
{
    struct receiver r = {.via = kt_endpoint(), .status = 1, .used = 1};
    uint64_t grant_only;
    KT_HANDLE(grant_only, mica_handle_copy(kt_endpoint(), MICA_RIGHT_GRANT, 0));
    int job = kt_spawn(receive_and_use, &r);
    struct mica_msg m = {MICA_INFO(1, 0) | MICA_INFO_HANDLE, {grant_only}};
    long st = kt_send(r.via, &m, WAIT_MS);
    mica_handle_close(grant_only);
    KT_OK(st);
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_OK(r.status);
    KT_ASSERT(r.got.info & MICA_INFO_HANDLE);
    KT_STATUS(r.used, MICA_ERIGHTS);
}

/* A badged handle keeps its badge when passed on: the server behind it
 * sees the badge minted before the transfer. */
KTEST(cap, transfer_keeps_badge)
{
    struct receiver r = {.via = kt_endpoint(), .status = 1, .used = 1};
    uint64_t target = kt_endpoint(), badged, badge = 0;
    KT_HANDLE(badged,
              mica_handle_copy(target, MICA_RIGHT_SEND | MICA_RIGHT_GRANT, 0xbadc0de));
    int job = kt_spawn(receive_and_use, &r);
    struct mica_msg m = {MICA_INFO(1, 0) | MICA_INFO_HANDLE, {badged}}, got;
    long st = kt_send(r.via, &m, WAIT_MS);
    mica_handle_close(badged);
    KT_OK(st);
    KT_OK(kt_recv(target, &got, &badge, WAIT_MS));
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_OK(r.used);
    KT_EQ(MICA_INFO_LABEL(got.info), 78);
    KT_EQ(badge, 0xbadc0de);
}
