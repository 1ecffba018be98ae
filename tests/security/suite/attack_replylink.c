/*
 * Suite replylink: a server thread owes one reply at a time. Taking a new
 * call before answering the last one drops the earlier call (its caller
 * gets MICA_ELOST at once, kernel/ipc/ipc.c ipc_owe_reply), and no stale
 * link of that caller can later cancel or swallow the reply the server
 * owes another caller.
 */
#include <mica/syscall.h>

#include "secsuite.h"

#define WAIT_MS 3000

static long reply_label(uint32_t label)
{
    struct mica_msg r = {MICA_INFO(label, 0), {0}};
    return mica_reply(&r);
}

struct two_calls_server {
    uint64_t ep;
    long first, second, third, replied_b, replied_c;
};

/* Takes A's call and B's call without answering A, answers B, takes C's
 * call, waits past A's timeout, answers C. */
static void overwriting_server(void *arg)
{
    struct two_calls_server *s = arg;
    struct mica_msg m;
    s->first = kt_recv(s->ep, &m, NULL, WAIT_MS);
    s->second = kt_recv(s->ep, &m, NULL, WAIT_MS);
    s->replied_b = reply_label(1);
    s->third = kt_recv(s->ep, &m, NULL, WAIT_MS);
    mica_sleep_ms(500);
    s->replied_c = reply_label(2);
}

struct caller {
    uint64_t ep, timeout_ms;
    long status;
    uint32_t label;
};

static void call_once(void *arg)
{
    struct caller *c = arg;
    struct mica_msg req = {MICA_INFO(1, 0), {0}}, rep = {0};
    c->status = kt_call(c->ep, &req, &rep, c->timeout_ms);
    c->label = MICA_INFO_LABEL(rep.info);
}

/* Attack: caller A's call is taken and then overwritten by B's at the
 * same server thread; B is answered; the server takes C's call; A's
 * timeout passes. Must: A's call ends with MICA_ELOST when B's is taken
 * (the server dropped it), and the server's answer reaches C (label 2).
 * Before the fix A kept pointing at the server, and its timeout cleared
 * the reply the server owed by then, C's: C waited for its own timeout. */
KTEST(replylink, stale_caller_cancels_anothers_reply)
{
    struct two_calls_server s = {.ep = kt_endpoint()};
    struct caller a = {.ep = s.ep, .timeout_ms = 300, .status = 1};
    struct caller b = {.ep = s.ep, .timeout_ms = WAIT_MS, .status = 1};
    int js = kt_spawn(overwriting_server, &s);
    int ja = kt_spawn(call_once, &a);
    mica_sleep_ms(30);
    int jb = kt_spawn(call_once, &b);
    mica_sleep_ms(30);
    struct caller c = {.ep = s.ep, .timeout_ms = 2000, .status = 1};
    call_once(&c);
    KT_ASSERT(kt_join(js, WAIT_MS) && kt_join(ja, WAIT_MS) && kt_join(jb, WAIT_MS));
    KT_OK(s.first);
    KT_OK(s.second);
    KT_OK(s.third);
    KT_OK(b.status);
    KT_EQ(b.label, 1);
    KT_STATUS(a.status, MICA_ELOST);
    KT_OK(c.status);
    KT_EQ(c.label, 2);
}

/* Attack: a peer server takes our helper's call, then ours (the helper's
 * link overwritten), and exits. Must: both calls end with MICA_ELOST at
 * once. Before the fix the helper, whose server thread no longer pointed
 * back at it, was never woken (it waited for its timeout), and its stale
 * link would later clear the reply owed by whatever thread took the dead
 * one's slot. */
KTEST(replylink, overwritten_caller_woken_when_server_dies)
{
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    struct mica_msg r;
    KT_OK(peer_do(p, CMD_MAKE_EP, 0, 0, 0, 0, &r));
    uint64_t ep = r.w[0];
    long back =
        mica_handle_copy(ep, MICA_RIGHT_SEND | MICA_RIGHT_GRANT | MICA_RIGHT_RECV, 0);
    long st =
        back > 0 ? peer_send(p, CMD_SERVE2_DIE, (uint64_t)back, WAIT_MS, 0, 0) : back;
    if (back > 0)
        mica_handle_close((uint64_t)back);
    struct caller first = {.ep = ep, .timeout_ms = 4000, .status = 1};
    int job = st == MICA_OK ? kt_spawn(call_once, &first) : -1;
    mica_sleep_ms(50);
    struct caller second = {.ep = ep, .timeout_ms = 4000, .status = 1};
    uint64_t start = mica_clock_ms();
    if (st == MICA_OK)
        call_once(&second);
    bool joined = job >= 0 && kt_join(job, 5000);
    uint64_t took = mica_clock_ms() - start;
    mica_handle_close(ep);
    KT_OK(st);
    KT_ASSERT(joined);
    KT_STATUS(second.status, MICA_ELOST);
    KT_STATUS(first.status, MICA_ELOST);
    KT_CMP(took, <, 2000);
}
