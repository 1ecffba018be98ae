/*
 * Attacks reply: reply targets, the kernel's pointer from a server thread
 * to the caller it owes a reply (issue item 2). A reply must reach the
 * thread that made the call and nobody else: not a thread that later
 * takes the dead caller's slot, not a caller that gave up, not a second
 * time. A caller whose server dies after taking the call gets MICA_ELOST;
 * one still queued when the endpoint's owner dies gets MICA_EDEAD. A
 * handle named in a reply travels only if the server holds it with GRANT.
 */
#include <mica/syscall.h>

#include "secsuite.h"

#define WAIT_MS 3000

static long reply_label(uint32_t label)
{
    struct mica_msg r = {MICA_INFO(label, 0), {0}};
    return mica_reply(&r);
}

/* A send copy of h to give away, badged (0: unbadged). */
struct holder {
    uint64_t ep;
    uint32_t label;    /* what to answer */
    uint64_t delay_ms; /* how long to hold the call first */
    long status, replied;
    uint64_t badge;
};

/* Takes one call, holds it a while, answers it. */
static void hold_and_answer(void *arg)
{
    struct holder *h = arg;
    struct mica_msg m;
    h->status = kt_recv(h->ep, &m, &h->badge, WAIT_MS);
    if (h->status != MICA_OK)
        return;
    mica_sleep_ms(h->delay_ms);
    h->replied = reply_label(h->label);
}

/* Attack: peer A calls us and dies while we hold its reply; peer B (whose
 * thread may take A's dead thread's slot) then waits for the reply of a
 * call it made to one of our helpers; now we answer A's call. Must: our
 * reply goes nowhere (MICA_OK as for a caller that gave up, or
 * MICA_EINVAL), and B gets its own server's answer, not ours. */
KTEST(reply, dead_callers_reply_reaches_nobody)
{
    uint64_t e = kt_endpoint();
    struct peer *a = peer_start(SEC_PEER);
    KT_ASSERT(a);
    struct mica_msg m;
    KT_OK(peer_call_us(a, CMD_CALL_EXIT, e, 0xa, 0x41, 150, &m));
    KT_ASSERT(peer_wait_dead(a, SEC_DEATH_MS));

    struct holder h = {.ep = kt_endpoint(), .label = 0x99, .delay_ms = 400, .status = 1};
    int job = kt_spawn(hold_and_answer, &h);
    struct peer *b = peer_start(SEC_PEER);
    KT_ASSERT(b);
    uint64_t give = sec_send_copy(h.ep, 0xb);
    KT_ASSERT(give);
    long st = peer_send(b, CMD_CALL, give, 0x42, WAIT_MS, 0);
    mica_handle_close(give);
    KT_OK(st);
    mica_sleep_ms(150); /* B waits for the helper's reply */
    long stale = reply_label(0x66);
    struct mica_msg r;
    KT_OK(peer_wait(b, &r, SEC_RESULT_MS));
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_ASSERT(stale == MICA_OK || stale == MICA_EINVAL);
    KT_OK(result_status(&r));
    KT_EQ(r.w[2], 0x99);
    KT_OK(h.status);
    KT_EQ(h.badge, 0xb); /* the call the helper answered was B's */
}

/* Attack: call a peer's endpoint; the peer takes the call and exits
 * without answering. Must: the call ends with MICA_ELOST at once, not
 * by timeout and not with a reply. */
KTEST(reply, server_dies_after_taking_call_elost)
{
    struct peer *a = peer_start(SEC_PEER);
    KT_ASSERT(a);
    struct mica_msg r;
    KT_OK(peer_do(a, CMD_MAKE_EP, 0, 0, 0, 0, &r));
    uint64_t ea = r.w[0]; /* all rights: it goes back to A to receive on */
    long st = peer_send(a, CMD_SERVE_DIE, ea, WAIT_MS, 0, 0);
    struct mica_msg req = {MICA_INFO(7, 0), {0}}, rep = {0};
    uint64_t start = mica_clock_ms();
    long call = st == MICA_OK ? kt_call(ea, &req, &rep, 5000) : st;
    uint64_t took = mica_clock_ms() - start;
    mica_handle_close(ea);
    KT_OK(st);
    KT_STATUS(call, MICA_ELOST);
    KT_CMP(took, <, 4000);
}

struct stopper {
    struct peer *p;
    uint64_t delay_ms;
};

static void stop_later(void *arg)
{
    struct stopper *s = arg;
    mica_sleep_ms(s->delay_ms);
    struct mica_msg m = {MICA_INFO(CMD_EXIT, 0), {0}};
    (void)kt_send(s->p->cmd, &m, 1000);
}

/* Attack: call a peer's endpoint that nobody receives on; the peer exits
 * while our call is queued. Must: the call ends with MICA_EDEAD (nothing
 * was delivered), not by its timeout. */
KTEST(reply, owner_dies_while_call_queued_edead)
{
    struct peer *a = peer_start(SEC_PEER);
    KT_ASSERT(a);
    struct mica_msg r;
    KT_OK(peer_do(a, CMD_MAKE_EP, 0, 0, 0, 0, &r));
    uint64_t ea = r.w[0];
    struct stopper s = {a, 200};
    int job = kt_spawn(stop_later, &s);
    struct mica_msg req = {MICA_INFO(8, 0), {0}}, rep = {0};
    uint64_t start = mica_clock_ms();
    long call = kt_call(ea, &req, &rep, 5000);
    uint64_t took = mica_clock_ms() - start;
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_STATUS(call, MICA_EDEAD);
    KT_CMP(took, <, 4000);
    /* Dead for every later use too: send, call and receive (we hold all
     * rights to it). */
    KT_STATUS(kt_send(ea, &req, 500), MICA_EDEAD);
    KT_STATUS(kt_call(ea, &req, &rep, 500), MICA_EDEAD);
    struct mica_msg got;
    long recv = kt_recv(ea, &got, NULL, 500);
    mica_handle_close(ea);
    KT_STATUS(recv, MICA_EDEAD);
}

struct twice {
    uint64_t ep;
    long first, second, third;
};

static void reply_twice(void *arg)
{
    struct twice *t = arg;
    struct mica_msg m;
    if (kt_recv(t->ep, &m, NULL, WAIT_MS) != MICA_OK)
        return;
    t->first = reply_label(5);
    t->second = reply_label(6);
    if (kt_recv(t->ep, &m, NULL, WAIT_MS) != MICA_OK)
        return;
    t->third = reply_label(7);
}

/* Attack: answer one call twice, hoping the second answer lands in the
 * caller's next call. Must: the second reply is refused (MICA_EINVAL: no
 * caller), and the next call gets its own answer. */
KTEST(reply, second_reply_goes_nowhere)
{
    struct twice t = {.ep = kt_endpoint(), .first = 1, .second = 1, .third = 1};
    int job = kt_spawn(reply_twice, &t);
    struct mica_msg req = {MICA_INFO(1, 0), {0}}, rep1 = {0}, rep2 = {0};
    KT_OK(kt_call(t.ep, &req, &rep1, WAIT_MS));
    KT_OK(kt_call(t.ep, &req, &rep2, WAIT_MS));
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_OK(t.first);
    KT_STATUS(t.second, MICA_EINVAL);
    KT_OK(t.third);
    KT_EQ(MICA_INFO_LABEL(rep1.info), 5);
    KT_EQ(MICA_INFO_LABEL(rep2.info), 7);
}

struct no_caller {
    uint64_t ep;
    long before, after_send;
};

static void reply_without_call(void *arg)
{
    struct no_caller *n = arg;
    struct mica_msg m;
    n->before = reply_label(9);
    if (kt_recv(n->ep, &m, NULL, WAIT_MS) == MICA_OK)
        n->after_send = reply_label(9);
}

/* Attack: reply when no call is held: before any receive, and after
 * taking a plain send. Must: MICA_EINVAL both times (and the sender, done
 * at once, gets nothing). */
KTEST(reply, reply_without_a_call_refused)
{
    struct no_caller n = {.ep = kt_endpoint(), .before = 1, .after_send = 1};
    int job = kt_spawn(reply_without_call, &n);
    struct mica_msg m = {MICA_INFO(2, 0), {0}};
    KT_OK(kt_send(n.ep, &m, WAIT_MS));
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_STATUS(n.before, MICA_EINVAL);
    KT_STATUS(n.after_send, MICA_EINVAL);
}

struct forged_reply {
    uint64_t ep, no_grant;
    unsigned n;
};

/* Answers calls with a handle it does not hold (or holds without GRANT)
 * named in w0. */
static void reply_forged_handles(void *arg)
{
    struct forged_reply *f = arg;
    const uint64_t names[] = {kt_free_slot(), f->no_grant, 0, 64, 1ull << 32, ~0ull};
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct mica_msg m;
        if (kt_recv(f->ep, &m, NULL, WAIT_MS) != MICA_OK)
            return;
        struct mica_msg r = {MICA_INFO(0x70 + i, 0) | MICA_INFO_HANDLE, {names[i]}};
        mica_reply(&r);
        f->n++;
    }
}

/* Attack: a server puts handle numbers it does not hold (or holds without
 * GRANT) in a reply with MICA_INFO_HANDLE. Must: the caller gets the
 * label, no handle flag, w0 = 0, and no new handle. */
KTEST(reply, reply_with_handle_not_held_dropped)
{
    uint64_t no_grant;
    KT_HANDLE(no_grant, mica_handle_copy(kt_endpoint(), MICA_RIGHT_SEND, 0));
    struct forged_reply f = {.ep = kt_endpoint(), .no_grant = no_grant};
    int job = kt_spawn(reply_forged_handles, &f);
    for (unsigned i = 0; i < 6; i++) {
        struct mica_msg req = {MICA_INFO(1, 0), {0}}, rep = {0};
        uint64_t before = kt_free_slot();
        long st = kt_call(f.ep, &req, &rep, WAIT_MS);
        if (st != MICA_OK || (rep.info & MICA_INFO_HANDLE)) {
            if (rep.info & MICA_INFO_HANDLE)
                mica_handle_close(rep.w[0]);
            mica_handle_close(no_grant);
            KT_OK(st);
            KT_EQ(rep.info & MICA_INFO_HANDLE, 0);
        }
        KT_EQ(MICA_INFO_LABEL(rep.info), 0x70 + i);
        KT_EQ(rep.w[0], 0);
        KT_EQ(kt_free_slot(), before);
    }
    mica_handle_close(no_grant);
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_EQ(f.n, 6);
}

struct bystander {
    long status;
};

static void reply_for_someone_else(void *arg)
{
    struct bystander *b = arg;
    mica_sleep_ms(100); /* the call is held by the other helper by now */
    b->status = reply_label(0x13);
}

/* Attack: a thread that holds no call answers while another thread of the
 * same task holds ours. Must: MICA_EINVAL; the caller gets the answer of
 * the thread that took the call. */
KTEST(reply, other_thread_cannot_answer)
{
    struct holder h = {.ep = kt_endpoint(), .label = 0x12, .delay_ms = 300, .status = 1};
    struct bystander b = {1};
    int j1 = kt_spawn(hold_and_answer, &h);
    int j2 = kt_spawn(reply_for_someone_else, &b);
    struct mica_msg req = {MICA_INFO(1, 0), {0}}, rep = {0};
    KT_OK(kt_call(h.ep, &req, &rep, WAIT_MS));
    KT_ASSERT(kt_join(j1, WAIT_MS));
    KT_ASSERT(kt_join(j2, WAIT_MS));
    KT_STATUS(b.status, MICA_EINVAL);
    KT_EQ(MICA_INFO_LABEL(rep.info), 0x12);
}

/* Attack: a caller gives up (its timeout passes) while the server holds
 * the call; the server answers late, and the caller has made a new call
 * elsewhere meanwhile. Must: the caller's call ended MICA_ETIMEOUT, the
 * late answer goes nowhere (MICA_OK), and the new call gets its own
 * answer. */
KTEST(reply, late_reply_after_timeout_goes_nowhere)
{
    struct holder slow = {
        .ep = kt_endpoint(), .label = 0x21, .delay_ms = 500, .status = 1};
    /* Holds the new call past the time the slow one answers. */
    struct holder quick = {
        .ep = kt_endpoint(), .label = 0x22, .delay_ms = 600, .status = 1};
    int j1 = kt_spawn(hold_and_answer, &slow);
    struct mica_msg req = {MICA_INFO(1, 0), {0}}, rep = {0};
    KT_STATUS(kt_call(slow.ep, &req, &rep, 150), MICA_ETIMEOUT);
    int j2 = kt_spawn(hold_and_answer, &quick);
    struct mica_msg rep2 = {0};
    KT_OK(kt_call(quick.ep, &req, &rep2, WAIT_MS));
    KT_ASSERT(kt_join(j1, WAIT_MS));
    KT_ASSERT(kt_join(j2, WAIT_MS));
    KT_OK(slow.replied);
    KT_EQ(MICA_INFO_LABEL(rep2.info), 0x22);
}
