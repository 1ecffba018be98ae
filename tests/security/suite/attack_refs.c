/*
 * Attacks refs: kernel references to endpoints and notifications whose
 * last handle was closed while a thread still waited on them (issue item
 * 2: stored pointers without a reference). The object's slot is free for
 * the next ENDPOINT_CREATE or NOTIFY_CREATE, of any task; a thread still
 * queued on the old object must never receive what is sent to the new one,
 * pending bits must not carry over, and a stale sender's message must not
 * appear at the new object.
 */
#include <mica/syscall.h>

#include "secsuite.h"

#define WAIT_MS 3000

struct ntf_waiter {
    uint64_t ntf;
    long status;
    uint64_t bits;
};

static void wait_bits(void *arg)
{
    struct ntf_waiter *w = arg;
    w->status = mica_notify_wait(w->ntf, &w->bits, 800);
}

/* Attack: signal a notification, close it, make a new one (it takes the
 * same slot). Must: the new one has no bits pending. */
KTEST(refs, notification_bits_do_not_outlive_it)
{
    uint64_t n, n2, bits = 0;
    KT_HANDLE(n, mica_notify_create());
    KT_OK(mica_notify_signal(n, 0x40));
    KT_OK(mica_handle_close(n));
    KT_HANDLE(n2, mica_notify_create());
    long st = mica_notify_wait(n2, &bits, MICA_NO_WAIT);
    mica_handle_close(n2);
    KT_STATUS(st, MICA_EAGAIN);
    KT_EQ(bits, 0);
}

/* Attack: a helper waits on a notification; we close its only handle and
 * make a new notification (same slot), which we signal. Must: the old
 * waiter is not woken by the new object's bits: it was woken with
 * MICA_EDEAD when its object went; the bits stay on the new object. */
KTEST(refs, waiter_on_closed_notification_not_woken_by_successor)
{
    struct ntf_waiter w = {.status = 1};
    uint64_t n2, bits = 0;
    KT_HANDLE(w.ntf, mica_notify_create());
    int job = kt_spawn(wait_bits, &w);
    mica_sleep_ms(50); /* it waits */
    KT_OK(mica_handle_close(w.ntf));
    KT_HANDLE(n2, mica_notify_create());
    KT_OK(mica_notify_signal(n2, 0x5));
    bool joined = kt_join(job, WAIT_MS);
    long st = mica_notify_wait(n2, &bits, MICA_NO_WAIT);
    mica_handle_close(n2);
    KT_ASSERT(joined);
    KT_STATUS(w.status, MICA_EDEAD);
    KT_OK(st);
    KT_EQ(bits, 0x5);
}

struct ep_receiver {
    uint64_t ep;
    long status;
    uint32_t label;
};

static void receive_one(void *arg)
{
    struct ep_receiver *r = arg;
    struct mica_msg m;
    r->status = kt_recv(r->ep, &m, NULL, 800);
    r->label = MICA_INFO_LABEL(m.info);
}

/* Attack: a helper waits to receive on our endpoint; we close its only
 * handle, and a peer makes a new endpoint (likely in the freed slot),
 * whose send handle it gives us. We send to the peer's endpoint. Must:
 * our old receiver never gets that message (it was woken with MICA_EDEAD
 * when its endpoint went); the send finds no receiver at the peer (nobody
 * receives there). */
KTEST(refs, receiver_on_closed_endpoint_never_gets_successors_messages)
{
    struct ep_receiver r = {.status = 1};
    KT_HANDLE(r.ep, mica_endpoint_create());
    int job = kt_spawn(receive_one, &r);
    mica_sleep_ms(50); /* it waits */
    KT_OK(mica_handle_close(r.ep));
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    struct mica_msg res;
    KT_OK(peer_do(p, CMD_MAKE_EP, 0, 0, 0, 0, &res));
    uint64_t theirs = res.w[0];
    struct mica_msg m = {MICA_INFO(0x77, 0), {0}};
    long sent = kt_send(theirs, &m, 200);
    /* Our own successor too, for the case the peer's took another slot. */
    long h = mica_endpoint_create();
    long sent2 = h > 0 ? kt_send((uint64_t)h, &m, 200) : h;
    if (h > 0)
        mica_handle_close((uint64_t)h);
    mica_handle_close(theirs);
    bool joined = kt_join(job, WAIT_MS);
    KT_ASSERT(joined);
    KT_STATUS(r.status, MICA_EDEAD);
    KT_STATUS(sent, MICA_ETIMEOUT);
    KT_STATUS(sent2, MICA_ETIMEOUT);
}

struct ep_sender {
    uint64_t ep;
    long status;
};

static void send_one(void *arg)
{
    struct ep_sender *s = arg;
    struct mica_msg m = {MICA_INFO(0x78, 0), {0}};
    s->status = kt_send(s->ep, &m, 800);
}

/* Attack: a helper's send waits on our endpoint; we close its only handle
 * and make a new endpoint (same slot), where we receive. Must: the stale
 * sender's message does not appear at the new endpoint, and the sender
 * was woken with MICA_EDEAD when its endpoint went. */
KTEST(refs, sender_on_closed_endpoint_not_delivered_to_successor)
{
    struct ep_sender s = {.status = 1};
    KT_HANDLE(s.ep, mica_endpoint_create());
    int job = kt_spawn(send_one, &s);
    mica_sleep_ms(50); /* it waits */
    KT_OK(mica_handle_close(s.ep));
    uint64_t e2;
    KT_HANDLE(e2, mica_endpoint_create());
    struct mica_msg m;
    long got = kt_recv(e2, &m, NULL, 200);
    mica_handle_close(e2);
    bool joined = kt_join(job, WAIT_MS);
    KT_STATUS(got, MICA_ETIMEOUT);
    KT_ASSERT(joined);
    KT_STATUS(s.status, MICA_EDEAD);
}

/* Attack: give a peer a send handle to one of our endpoints, which it
 * makes its pager and closes; we close ours too. Must: while the peer
 * lives the kernel's reference keeps the endpoint (still charged to our
 * budget: one object more in use); once the peer is dead the reference is
 * gone and the object with it (our budget holds what it held before the
 * peer), so no dead task's binding pins an object or its slot for good. */
KTEST(refs, pager_reference_released_when_task_dies)
{
    uint64_t before = sec_own_objects();
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    uint64_t with_peer = sec_own_objects(); /* the peer's budget is ours */
    uint64_t e, give;
    KT_HANDLE(e, mica_endpoint_create());
    long c = mica_handle_copy(e, MICA_RIGHT_SEND | MICA_RIGHT_GRANT, 0);
    if (c <= 0)
        mica_handle_close(e);
    KT_HANDLE(give, c);
    long st = peer_do(p, CMD_SET_PAGER, give, 0, 0, 0, NULL);
    mica_handle_close(give);
    mica_handle_close(e);
    KT_OK(st);
    uint64_t pinned = sec_own_objects();
    peer_stop(p);
    uint64_t after = sec_own_objects();
    KT_EQ(pinned, with_peer + 1);
    KT_EQ(after, before);
}

static long notify_death(uint64_t task, uint64_t ntf, uint64_t bits)
{
    struct kt_regs r = {{task, ntf, bits}};
    return kt_syscall(SYS_TASK_NOTIFY_DEATH, &r, 0);
}

/* Attack: be told of a task's death, or use up its watches, without the
 * right to manage it: with the kill handle init gave us (no MANAGE), an
 * endpoint, a free slot. Must: MICA_ERIGHTS, MICA_ETYPE, MICA_EBADH. */
KTEST(refs, death_watch_needs_manage)
{
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    KT_ASSERT(p->kill);
    uint64_t n = kt_notification();
    KT_STATUS(notify_death(p->kill, n, 1), MICA_ERIGHTS);
    KT_STATUS(notify_death(kt_endpoint(), n, 1), MICA_ETYPE);
    KT_STATUS(notify_death(kt_free_slot(), n, 1), MICA_EBADH);
}

/* Attack: a peer gives us its own task handle (MANAGE); we watch its
 * death with a notification whose only handle we then close, and fill its
 * watches. Must: the watches are bounded (MICA_ENOMEM past them); the
 * kernel's reference keeps the notification (no dangling pointer), and
 * the peer's death is signalled on the one we still hold. */
KTEST(refs, death_watch_reference_counted_and_bounded)
{
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    struct mica_msg r;
    KT_OK(peer_do(p, CMD_GIVE_SELF, 0, 0, 0, 0, &r));
    KT_ASSERT(r.info & MICA_INFO_HANDLE);
    uint64_t task = r.w[0], kept, gone;
    KT_HANDLE(kept, mica_notify_create());
    KT_HANDLE(gone, mica_notify_create());
    long a = notify_death(task, gone, 2);
    mica_handle_close(gone); /* the kernel's reference remains */
    long b = notify_death(task, kept, 4);
    /* The peer's memory-server watch may hold one slot: fill the rest. */
    uint64_t extra[3];
    long last = MICA_OK;
    unsigned made = 0;
    while (made < 3 && last == MICA_OK) {
        long h = mica_notify_create();
        if (h <= 0)
            break;
        extra[made++] = (uint64_t)h;
        last = notify_death(task, (uint64_t)h, 8);
    }
    peer_stop(p); /* it dies: every watch is signalled */
    uint64_t bits = 0;
    long woke = mica_notify_wait(kept, &bits, 2000);
    for (unsigned i = 0; i < made; i++)
        mica_handle_close(extra[i]);
    mica_handle_close(kept);
    mica_handle_close(task);
    KT_OK(a);
    KT_OK(b);
    KT_STATUS(last, MICA_ENOMEM);
    KT_OK(woke);
    KT_EQ(bits, 4);
}
