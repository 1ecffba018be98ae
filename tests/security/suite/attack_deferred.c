/*
 * Attacks deferred: saved replies (SYS_REPLY_SAVE, SYS_REPLY_TO; the
 * kernel's object/reply.h) and what is built on them: pagers' MICA_FAULT_MAP
 * answers and the console's deferred CON_READ. A reply object is a call a
 * server took and answers later; it must answer that call once and no
 * other, however many copies of its handle there are and whatever the
 * caller did meanwhile (gave up, died, called again); when its last
 * reference goes unanswered (the handle closed, its holder dead) the
 * caller gets MICA_ELOST at once; it is a handle of its own type, used
 * only with SEND, and costs its saver's object budget. A MICA_FAULT_MAP
 * answer must name one of the pager's RAM objects, or the faulting task
 * dies (with its fault line) and nothing is mapped; a pager that drops a
 * fault is asked again, a bounded number of times. The console reads only
 * for a handle it badged CON_BADGE_INPUT, one read at a time; on this ISO
 * the shell waits in that read the whole time the suite runs.
 */
#include <mica/console.h>
#include <mica/ns.h>
#include <mica/syscall.h>

#include "secsuite.h"

#define WAIT_MS   3000
#define PROMPT_MS 1000 /* "at once": well before any timeout of the caller's */
#define CALLS_MAX 4
#define TOUCH_VA  0x00000f4000000000ull

/* A send copy of h to give away, badged (0: unbadged); 0 when refused. */
static long reply_label(uint32_t label)
{
    struct mica_msg r = {MICA_INFO(label, 0), {0}};
    return mica_reply(&r);
}

static long answer(uint64_t reply, uint32_t label)
{
    struct mica_msg r = {MICA_INFO(label, 0), {0}};
    return mica_reply_to(reply, &r);
}

/* The handle slots in use (HANDLE_INFO says MICA_EBADH only for a free
 * one). */
static uint64_t slots_in_use(void)
{
    uint64_t mask = 0;
    struct mica_handle_info info;
    for (uint64_t h = 1; h < 64; h++)
        if (mica_handle_info(h, &info) != MICA_EBADH)
            mask |= 1ull << h;
    return mask;
}

/* A helper that makes `calls` calls to ep, one after another, each with
 * its own timeout; `done` counts the calls over. The structs helper jobs
 * write to are static: a job still running after its test failed (and
 * returned) must not write into a stack frame that is gone. */
struct caller {
    uint64_t ep;
    unsigned calls;
    uint64_t timeout_ms[CALLS_MAX];
    volatile unsigned done;
    long status[CALLS_MAX];
    uint32_t label[CALLS_MAX];
    uint64_t end_ms[CALLS_MAX];
};

static void call_job(void *arg)
{
    struct caller *c = arg;
    for (unsigned i = 0; i < c->calls && i < CALLS_MAX; i++) {
        struct mica_msg req = {MICA_INFO(0x10 + i, 0), {0}}, rep = {0};
        c->status[i] = kt_call(c->ep, &req, &rep, c->timeout_ms[i]);
        c->label[i] = MICA_INFO_LABEL(rep.info);
        c->end_ms[i] = mica_clock_ms();
        c->done = i + 1;
    }
}

/* Waits until the caller has finished `n` calls; false after timeout_ms. */
static bool calls_done(const struct caller *c, unsigned n, uint64_t timeout_ms)
{
    uint64_t end = mica_clock_ms() + timeout_ms;
    while (c->done < n) {
        if (mica_clock_ms() >= end)
            return false;
        mica_sleep_ms(5);
    }
    return true;
}

/* Takes the next call on ep and saves its reply: the handle (> 0) or the
 * status that went wrong. */
static long take_and_save(uint64_t ep)
{
    struct mica_msg m;
    long st = kt_recv(ep, &m, NULL, WAIT_MS);
    return st == MICA_OK ? mica_reply_save() : st;
}

struct sender {
    uint64_t ep;
    long status;
};

static void send_job(void *arg)
{
    struct sender *s = arg;
    struct mica_msg m = {MICA_INFO(0x20, 0), {0}};
    s->status = kt_send(s->ep, &m, WAIT_MS);
}

/* Attack: save a reply when none is owed: before any call, after taking a
 * plain send, after answering the call with REPLY, and a second time after
 * saving it; and REPLY to a call saved already. Must: MICA_EINVAL each time
 * and no handle appears (the table is as it was); the caller gets each
 * answer once, the saved call the saved handle's. */
KTEST(deferred, save_without_a_call_refused)
{
    uint64_t ep = kt_endpoint(), before = slots_in_use();
    long none = mica_reply_save();
    KT_STATUS(none, MICA_EINVAL);
    KT_EQ(slots_in_use(), before);

    static struct sender s;
    s = (struct sender){.ep = ep, .status = 1};
    int js = kt_spawn(send_job, &s);
    struct mica_msg m;
    KT_OK(kt_recv(ep, &m, NULL, WAIT_MS));
    long after_send = mica_reply_save();
    KT_ASSERT(kt_join(js, WAIT_MS));
    KT_OK(s.status);
    KT_STATUS(after_send, MICA_EINVAL);
    KT_EQ(slots_in_use(), before);

    static struct caller c;
    c = (struct caller){.ep = ep, .calls = 2, .timeout_ms = {WAIT_MS, WAIT_MS}};
    int jc = kt_spawn(call_job, &c);
    KT_OK(kt_recv(ep, &m, NULL, WAIT_MS));
    KT_OK(reply_label(0x21));
    long after_reply = mica_reply_save();
    KT_STATUS(after_reply, MICA_EINVAL);
    KT_EQ(slots_in_use(), before);
    long h = take_and_save(ep);
    KT_CMP(h, >, 0);
    long twice = mica_reply_save();
    long plain = reply_label(0x2f); /* the saved call is no longer ours to REPLY */
    uint64_t with_one = slots_in_use();
    KT_OK(answer((uint64_t)h, 0x22));
    KT_ASSERT(kt_join(jc, WAIT_MS));
    KT_STATUS(twice, MICA_EINVAL);
    KT_STATUS(plain, MICA_EINVAL);
    KT_EQ(with_one, before | (1ull << h));
    KT_EQ(slots_in_use(), before);
    KT_OK(c.status[0]);
    KT_EQ(c.label[0], 0x21);
    KT_OK(c.status[1]);
    KT_EQ(c.label[1], 0x22);
}

struct holder {
    uint64_t ep;
    volatile bool holding;
    long saved, answered;
};

/* Takes a call and holds it unsaved for a while, then saves and answers. */
static void hold_job(void *arg)
{
    struct holder *h = arg;
    struct mica_msg m;
    if (kt_recv(h->ep, &m, NULL, WAIT_MS) != MICA_OK)
        return;
    h->holding = true;
    mica_sleep_ms(300);
    h->saved = mica_reply_save();
    h->answered = h->saved > 0 ? answer((uint64_t)h->saved, 0x23) : h->saved;
}

/* Attack: save the reply another thread of ours owes (it holds the call).
 * Must: MICA_EINVAL, no handle; the thread that took the call saves and
 * answers it. */
KTEST(deferred, save_of_another_threads_call_refused)
{
    static struct holder h;
    h = (struct holder){.ep = kt_endpoint(), .saved = 1, .answered = 1};
    static struct caller c;
    c = (struct caller){.ep = h.ep, .calls = 1, .timeout_ms = {WAIT_MS}};
    int jh = kt_spawn(hold_job, &h);
    int jc = kt_spawn(call_job, &c);
    uint64_t end = mica_clock_ms() + WAIT_MS;
    while (!h.holding && mica_clock_ms() < end)
        mica_sleep_ms(5);
    uint64_t before = slots_in_use();
    long other = mica_reply_save();
    uint64_t after = slots_in_use();
    KT_ASSERT(kt_join(jh, WAIT_MS) && kt_join(jc, WAIT_MS));
    KT_ASSERT(h.holding);
    KT_STATUS(other, MICA_EINVAL);
    KT_EQ(after, before);
    KT_CMP(h.saved, >, 0);
    KT_OK(h.answered);
    KT_OK(c.status[0]);
    KT_EQ(c.label[0], 0x23);
}

/* Attack: save a call and close the reply handle unanswered. Must: the
 * caller, still waiting until then, gets MICA_ELOST at once (not its
 * timeout, not an answer). */
KTEST(deferred, closed_unanswered_reply_elost)
{
    static struct caller c;
    c = (struct caller){.ep = kt_endpoint(), .calls = 1, .timeout_ms = {5000}};
    int job = kt_spawn(call_job, &c);
    long h = take_and_save(c.ep);
    KT_CMP(h, >, 0);
    mica_sleep_ms(100);
    unsigned waiting = c.done;
    uint64_t closed = mica_clock_ms();
    KT_OK(mica_handle_close((uint64_t)h));
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_EQ(waiting, 0);
    KT_STATUS(c.status[0], MICA_ELOST);
    KT_CMP(c.end_ms[0] - closed, <, PROMPT_MS);
}

/* Attack: answer through the same reply handle twice, the second time
 * while the caller waits in its next call (which it made after the first
 * answer). Must: the second REPLY_TO is MICA_EBADH (the first closed the
 * handle); the caller got the first answer, and its next call its own. */
KTEST(deferred, reply_to_twice_refused)
{
    static struct caller c;
    c = (struct caller){
        .ep = kt_endpoint(), .calls = 2, .timeout_ms = {WAIT_MS, WAIT_MS}};
    int job = kt_spawn(call_job, &c);
    long h = take_and_save(c.ep);
    KT_CMP(h, >, 0);
    long first = answer((uint64_t)h, 0x31);
    struct mica_msg m;
    KT_OK(kt_recv(c.ep, &m, NULL, WAIT_MS)); /* the next call: we owe it */
    long second = answer((uint64_t)h, 0x32);
    KT_OK(reply_label(0x33));
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_OK(first);
    KT_STATUS(second, MICA_EBADH);
    KT_OK(c.status[0]);
    KT_EQ(c.label[0], 0x31);
    KT_OK(c.status[1]);
    KT_EQ(c.label[1], 0x33);
}

/* Attack: copy a reply handle and answer through both copies, the second
 * time while the caller waits in its next call, which we saved too. Must:
 * the second REPLY_TO is a harmless no-op (MICA_OK, and it closes that
 * copy); the caller got the first answer only, and its next call stays
 * waiting until we answer it. */
KTEST(deferred, copies_answer_once)
{
    static struct caller c;
    c = (struct caller){
        .ep = kt_endpoint(), .calls = 2, .timeout_ms = {WAIT_MS, WAIT_MS}};
    int job = kt_spawn(call_job, &c);
    long h = take_and_save(c.ep);
    KT_CMP(h, >, 0);
    long h2 = mica_handle_copy((uint64_t)h, MICA_RIGHT_SEND | MICA_RIGHT_GRANT, 0);
    KT_CMP(h2, >, 0);
    KT_OK(answer((uint64_t)h, 0x41));
    long next = take_and_save(c.ep);
    KT_CMP(next, >, 0);
    long second = answer((uint64_t)h2, 0x42);
    struct mica_handle_info info;
    long h2_gone = mica_handle_info((uint64_t)h2, &info);
    mica_sleep_ms(100);
    unsigned done = c.done;
    KT_OK(answer((uint64_t)next, 0x43));
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_OK(second);
    KT_STATUS(h2_gone, MICA_EBADH);
    KT_EQ(done, 1); /* the second call was still waiting for us */
    KT_OK(c.status[0]);
    KT_EQ(c.label[0], 0x41);
    KT_OK(c.status[1]);
    KT_EQ(c.label[1], 0x43);
}

/* Attack: close one copy of a reply handle, hoping the caller is dropped
 * while another copy still holds the reply. Must: the caller keeps
 * waiting (no MICA_ELOST while a reference is left), and the other copy
 * answers it. */
KTEST(deferred, closing_one_copy_keeps_the_call)
{
    static struct caller c;
    c = (struct caller){.ep = kt_endpoint(), .calls = 1, .timeout_ms = {WAIT_MS}};
    int job = kt_spawn(call_job, &c);
    long h = take_and_save(c.ep);
    KT_CMP(h, >, 0);
    long h2 = mica_handle_copy((uint64_t)h, MICA_RIGHT_SEND, 0);
    KT_CMP(h2, >, 0);
    KT_OK(mica_handle_close((uint64_t)h));
    mica_sleep_ms(100);
    unsigned done = c.done;
    KT_OK(answer((uint64_t)h2, 0x45));
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_EQ(done, 0);
    KT_OK(c.status[0]);
    KT_EQ(c.label[0], 0x45);
}

/* Attack: the stale answer. A caller gives up (its timeout passes) while
 * its call is saved, then calls us again; we save the new call too and
 * answer the old one first. The same once more with the new call only
 * taken (owed by our thread), not saved. Must: each old answer goes
 * nowhere (MICA_OK, a no-op), the new call still waits afterwards, and
 * gets its own answer. */
KTEST(deferred, stale_saved_reply_never_reaches_a_new_call)
{
    static struct caller c;
    c = (struct caller){
        .ep = kt_endpoint(), .calls = 4, .timeout_ms = {150, WAIT_MS, 150, WAIT_MS}};
    int job = kt_spawn(call_job, &c);
    long old = take_and_save(c.ep);
    KT_CMP(old, >, 0);
    KT_ASSERT(calls_done(&c, 1, WAIT_MS));
    KT_STATUS(c.status[0], MICA_ETIMEOUT);
    struct mica_handle_info hi;
    KT_OK(mica_handle_info((uint64_t)old, &hi));
    KT_EQ(hi.badge, 0); /* the kernel says nobody waits for it now */
    long fresh = take_and_save(c.ep);
    KT_CMP(fresh, >, 0);
    KT_OK(mica_handle_info((uint64_t)fresh, &hi));
    KT_EQ(hi.badge, 1);
    long stale = answer((uint64_t)old, 0x51);
    mica_sleep_ms(100);
    unsigned done = c.done;
    KT_OK(answer((uint64_t)fresh, 0x52));
    KT_OK(stale);
    KT_EQ(done, 1);
    KT_ASSERT(calls_done(&c, 2, WAIT_MS));
    KT_OK(c.status[1]);
    KT_EQ(c.label[1], 0x52);

    old = take_and_save(c.ep);
    KT_CMP(old, >, 0);
    KT_ASSERT(calls_done(&c, 3, WAIT_MS));
    KT_STATUS(c.status[2], MICA_ETIMEOUT);
    struct mica_msg m;
    KT_OK(kt_recv(c.ep, &m, NULL, WAIT_MS));
    stale = answer((uint64_t)old, 0x53);
    mica_sleep_ms(100);
    done = c.done;
    KT_OK(reply_label(0x54));
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_OK(stale);
    KT_EQ(done, 3);
    KT_OK(c.status[3]);
    KT_EQ(c.label[3], 0x54);
}

/* Attack: take a call, let the caller give up, and only then save it (the
 * kernel gives a handle that answers nobody); the caller calls again and
 * we take that call. Must: answering the late-saved handle is a no-op
 * (MICA_OK) and the new call gets its own answer. */
KTEST(deferred, save_after_the_caller_gave_up_answers_nobody)
{
    static struct caller c;
    c = (struct caller){.ep = kt_endpoint(), .calls = 2, .timeout_ms = {150, WAIT_MS}};
    int job = kt_spawn(call_job, &c);
    struct mica_msg m;
    KT_OK(kt_recv(c.ep, &m, NULL, WAIT_MS));
    KT_ASSERT(calls_done(&c, 1, WAIT_MS));
    long late = mica_reply_save();
    KT_OK(kt_recv(c.ep, &m, NULL, WAIT_MS));
    long nobody = late > 0 ? answer((uint64_t)late, 0x5a) : late;
    mica_sleep_ms(50);
    unsigned done = c.done;
    KT_OK(reply_label(0x5b));
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_STATUS(c.status[0], MICA_ETIMEOUT);
    KT_CMP(late, >, 0);
    KT_OK(nobody);
    KT_EQ(done, 1);
    KT_OK(c.status[1]);
    KT_EQ(c.label[1], 0x5b);
}

/* Attack: save A's call, then take B's call on the same thread (taking a
 * new call drops an unanswered one with MICA_ELOST: must it drop the saved
 * one?). Must: B gets its answer; A keeps waiting and gets its own, not
 * MICA_ELOST. */
KTEST(deferred, saved_call_survives_the_next_call)
{
    uint64_t ep = kt_endpoint();
    static struct caller a;
    a = (struct caller){.ep = ep, .calls = 1, .timeout_ms = {WAIT_MS}};
    static struct caller b;
    b = (struct caller){.ep = ep, .calls = 1, .timeout_ms = {WAIT_MS}};
    int ja = kt_spawn(call_job, &a);
    long ha = take_and_save(ep);
    KT_CMP(ha, >, 0);
    int jb = kt_spawn(call_job, &b);
    struct mica_msg m;
    KT_OK(kt_recv(ep, &m, NULL, WAIT_MS));
    KT_OK(reply_label(0x62));
    KT_ASSERT(kt_join(jb, WAIT_MS));
    unsigned a_done = a.done;
    KT_OK(answer((uint64_t)ha, 0x61));
    KT_ASSERT(kt_join(ja, WAIT_MS));
    KT_OK(b.status[0]);
    KT_EQ(b.label[0], 0x62);
    KT_EQ(a_done, 0);
    KT_OK(a.status[0]);
    KT_EQ(a.label[0], 0x61);
}

/* Attack: peer A calls us and dies while we hold its call saved; peer B
 * (whose thread may take A's dead thread's slot) then calls us, and we
 * save that call too; now we answer A's. Must: that answer goes nowhere
 * (MICA_OK), B still waits, and B gets the answer we give it. */
KTEST(deferred, dead_callers_saved_reply_reaches_nobody)
{
    uint64_t e = kt_endpoint();
    struct peer *a = peer_start(SEC_PEER);
    KT_ASSERT(a);
    struct mica_msg m;
    KT_OK(peer_call_us(a, CMD_CALL_EXIT, e, 0xa, 0x41, 150, &m));
    long ha = mica_reply_save();
    KT_CMP(ha, >, 0);
    KT_ASSERT(peer_wait_dead(a, SEC_DEATH_MS));

    struct peer *b = peer_start(SEC_PEER);
    KT_ASSERT(b);
    KT_OK(peer_call_us(b, CMD_CALL, e, 0xb, 0x42, WAIT_MS, &m));
    long hb = mica_reply_save();
    KT_CMP(hb, >, 0);
    KT_OK(answer((uint64_t)ha, 0x66));
    struct mica_msg r;
    KT_STATUS(peer_wait(b, &r, 150), MICA_ETIMEOUT); /* B still waits */
    KT_OK(answer((uint64_t)hb, 0x99));
    KT_OK(peer_wait(b, &r, SEC_RESULT_MS));
    KT_OK(result_status(&r));
    KT_EQ(r.w[2], 0x99);
}

/* A peer takes a call of our helper's on our endpoint and saves it (the
 * handle copied to us too when `give`); NULL with the test failed. */
static struct peer *saver(struct caller *c, bool give, struct mica_msg *result)
{
    struct peer *p = peer_start(SEC_PEER);
    if (!p)
        return NULL;
    long recv = mica_handle_copy(c->ep, MICA_RIGHT_RECV | MICA_RIGHT_GRANT, 0);
    long st =
        recv > 0 ? peer_send(p, CMD_SAVE_HOLD, (uint64_t)recv, WAIT_MS, give, 0) : recv;
    if (recv > 0)
        mica_handle_close((uint64_t)recv);
    int job = st == MICA_OK ? kt_spawn(call_job, c) : -1;
    if (job >= 0)
        st = peer_wait(p, result, SEC_RESULT_MS);
    if (st == MICA_OK)
        st = result_status(result);
    if (st != MICA_OK) {
        kt_fail(__FILE__, __LINE__, "peer saved no call: %s", kt_status_name(st));
        return NULL;
    }
    return p;
}

/* The saver of our helper's call dies (it exits, or we kill it) holding
 * the reply. */
static void saver_dies(bool kill)
{
    static struct caller c;
    c = (struct caller){.ep = kt_endpoint(), .calls = 1, .timeout_ms = {5000}};
    struct mica_msg r;
    struct peer *p = saver(&c, false, &r);
    KT_ASSERT(p);
    mica_sleep_ms(100);
    unsigned waiting = c.done;
    uint64_t start = mica_clock_ms();
    if (kill) {
        KT_NE(p->kill, 0);
        struct kt_regs regs = {{p->kill}};
        KT_OK(kt_syscall(SYS_TASK_KILL, &regs, 0));
    } else {
        KT_OK(peer_send(p, CMD_EXIT, 0, 0, 0, 0));
    }
    KT_ASSERT(calls_done(&c, 1, WAIT_MS));
    KT_EQ(waiting, 0);
    KT_STATUS(c.status[0], MICA_ELOST);
    KT_CMP(c.end_ms[0] - start, <, PROMPT_MS);
    KT_ASSERT(peer_wait_dead(p, SEC_DEATH_MS));
}

/* Attack: a peer saves our call and exits without answering. Must: our
 * call ends with MICA_ELOST at once. */
KTEST(deferred, saver_exits_holding_reply_elost)
{
    saver_dies(false);
}

/* Attack: a peer saves our call and is killed (TASK_KILL). Must: our call
 * ends with MICA_ELOST at once. */
KTEST(deferred, saver_killed_holding_reply_elost)
{
    saver_dies(true);
}

/* Attack: a peer saves our call, gives us a copy of the reply handle and
 * exits. Must: the call is not lost while our copy lives (the caller keeps
 * waiting) and our copy answers it; the object, charged to the peer, is
 * ours to pay until we answer, and then our object figure is as before. */
KTEST(deferred, granted_reply_outlives_its_saver)
{
    uint64_t base = sec_own_objects();
    static struct caller c;
    c = (struct caller){.ep = kt_endpoint(), .calls = 1, .timeout_ms = {5000}};
    struct mica_msg r;
    struct peer *p = saver(&c, true, &r);
    KT_ASSERT(p);
    KT_ASSERT(r.info & MICA_INFO_HANDLE);
    uint64_t copy = r.w[0];
    struct mica_handle_info info;
    KT_OK(mica_handle_info(copy, &info));
    KT_EQ(info.type, MICA_OBJ_REPLY);
    KT_EQ(info.rights, MICA_RIGHT_SEND | MICA_RIGHT_GRANT);
    peer_stop(p);
    KT_ASSERT(!peer_alive(p));
    mica_sleep_ms(100);
    unsigned waiting = c.done;
    uint64_t held = sec_own_objects();
    KT_OK(answer(copy, 0x71));
    KT_ASSERT(calls_done(&c, 1, WAIT_MS));
    KT_EQ(waiting, 0);
    KT_OK(c.status[0]);
    KT_EQ(c.label[0], 0x71);
    KT_EQ(held, base + 1);
    KT_EQ(sec_own_objects(), base);
}

/* Attack: answer "a saved call" through handles that are no reply objects
 * (an endpoint, a notification, our task handle, the name service's
 * endpoint) while we owe a call, and through numbers that name nothing.
 * Must: MICA_ETYPE, resp. MICA_EBADH; no handle is closed or made, and
 * the call we owe is neither answered nor dropped by it. */
KTEST(deferred, reply_to_through_other_types_refused)
{
    uint64_t ep = kt_endpoint(), ntf = kt_notification();
    static struct caller c;
    c = (struct caller){.ep = ep, .calls = 1, .timeout_ms = {WAIT_MS}};
    int job = kt_spawn(call_job, &c);
    struct mica_msg m;
    KT_OK(kt_recv(ep, &m, NULL, WAIT_MS));
    uint64_t before = slots_in_use();
    const uint64_t typed[] = {ep, ntf, MICA_HANDLE_SELF, MICA_HANDLE_NS};
    long got[4];
    for (unsigned i = 0; i < 4; i++)
        got[i] = answer(typed[i], 0x81);
    const uint64_t none[] = {0, kt_free_slot(), 64, 1ull << 32, ~0ull};
    long nothing[5];
    for (unsigned i = 0; i < 5; i++)
        nothing[i] = answer(none[i], 0x82);
    uint64_t after = slots_in_use();
    mica_sleep_ms(50);
    unsigned done = c.done;
    KT_OK(reply_label(0x83));
    KT_ASSERT(kt_join(job, WAIT_MS));
    for (unsigned i = 0; i < 4; i++)
        KT_STATUS(got[i], MICA_ETYPE);
    for (unsigned i = 0; i < 5; i++)
        KT_STATUS(nothing[i], MICA_EBADH);
    KT_EQ(after, before);
    KT_EQ(done, 0);
    KT_OK(c.status[0]);
    KT_EQ(c.label[0], 0x83);
}

struct taker {
    uint64_t ep;
    long status;
    struct mica_msg m;
};

static void recv_job(void *arg)
{
    struct taker *t = arg;
    t->status = kt_recv(t->ep, &t->m, NULL, WAIT_MS);
    if (t->status == MICA_OK && (t->m.info & MICA_INFO_HANDLE))
        mica_handle_close(t->m.w[0]);
}

/* Attack: use a reply handle as something else (call, send, receive,
 * signal and wait on it, make it our pager, badge a copy, pass on a copy
 * without GRANT), and answer through copies without SEND (rights 0, GRANT
 * only, a copy of the rights-0 one asking for all) or with a payload
 * longer than a buffer. Must: MICA_ETYPE for the
 * wrong uses, MICA_EINVAL for the badge, the copy does not travel,
 * MICA_ERIGHTS for the weak copies, MICA_ERANGE for the payload; none of
 * them answers or drops the call, and the handle then answers it once. */
KTEST(deferred, reply_handle_misused_refused)
{
    static struct caller c;
    c = (struct caller){.ep = kt_endpoint(), .calls = 1, .timeout_ms = {WAIT_MS}};
    int jc = kt_spawn(call_job, &c);
    long h = take_and_save(c.ep);
    KT_CMP(h, >, 0);
    uint64_t r = (uint64_t)h, bits;
    struct mica_handle_info info;
    KT_OK(mica_handle_info(r, &info));
    KT_EQ(info.type, MICA_OBJ_REPLY);
    KT_EQ(info.rights, MICA_RIGHT_SEND | MICA_RIGHT_GRANT);
    KT_EQ(info.badge, 1); /* its caller still waits (abi.h) */
    struct mica_msg m = {MICA_INFO(0x91, 0), {0}}, rep;
    KT_STATUS(kt_call(r, &m, &rep, 100), MICA_ETYPE);
    KT_STATUS(kt_send(r, &m, 100), MICA_ETYPE);
    KT_STATUS(kt_recv(r, &rep, NULL, 100), MICA_ETYPE);
    KT_STATUS(mica_notify_signal(r, 1), MICA_ETYPE);
    KT_STATUS(mica_notify_wait(r, &bits, 100), MICA_ETYPE);
    KT_STATUS(mica_set_pager(MICA_HANDLE_SELF, r), MICA_ETYPE);
    long badged = mica_handle_copy(r, MICA_RIGHT_SEND | MICA_RIGHT_GRANT, 5);
    if (badged > 0)
        mica_handle_close((uint64_t)badged);
    KT_STATUS(badged, MICA_EINVAL);

    uint64_t nogrant, none, grant_only;
    KT_HANDLE(nogrant, mica_handle_copy(r, MICA_RIGHT_SEND, 0));
    static struct taker t;
    t = (struct taker){.ep = kt_endpoint(), .status = 1};
    int jt = kt_spawn(recv_job, &t);
    struct mica_msg pass = {MICA_INFO(0x96, 0) | MICA_INFO_HANDLE, {nogrant}};
    long passed = kt_send(t.ep, &pass, WAIT_MS);
    KT_ASSERT(kt_join(jt, WAIT_MS));
    mica_handle_close(nogrant);
    KT_OK(passed);
    KT_OK(t.status);
    KT_EQ(t.m.info & MICA_INFO_HANDLE, 0);
    KT_EQ(t.m.w[0], 0);

    uint64_t regained;
    KT_HANDLE(none, mica_handle_copy(r, 0, 0));
    KT_HANDLE(grant_only, mica_handle_copy(r, MICA_RIGHT_GRANT, 0));
    KT_HANDLE(regained, mica_handle_copy(none, MICA_RIGHTS_ALL, 0));
    long weak0 = answer(none, 0x92), weak1 = answer(grant_only, 0x93);
    long weak2 = answer(regained, 0x97);
    long kept = mica_handle_info(none, &info);
    mica_handle_close(none);
    mica_handle_close(grant_only);
    mica_handle_close(regained);
    struct mica_msg big = {MICA_INFO(0x94, MICA_IPC_PAYLOAD_MAX + 1), {0}};
    long too_long = mica_reply_to(r, &big);
    mica_sleep_ms(50);
    unsigned done = c.done;
    KT_OK(answer(r, 0x95));
    KT_ASSERT(kt_join(jc, WAIT_MS));
    KT_STATUS(weak0, MICA_ERIGHTS);
    KT_STATUS(weak1, MICA_ERIGHTS);
    KT_STATUS(weak2, MICA_ERIGHTS); /* a copy never has more rights */
    KT_OK(kept);                    /* a refused REPLY_TO closes nothing */
    KT_STATUS(too_long, MICA_ERANGE);
    KT_EQ(done, 0);
    KT_OK(c.status[0]);
    KT_EQ(c.label[0], 0x95);
}

/* Saves one call of a helper's and answers it: MICA_OK when that works. */
static long save_works(void)
{
    static struct caller c;
    c = (struct caller){.ep = kt_endpoint(), .calls = 1, .timeout_ms = {WAIT_MS}};
    if (!c.ep)
        return MICA_ENOMEM;
    int job = kt_spawn(call_job, &c);
    long h = take_and_save(c.ep);
    long st = h > 0 ? answer((uint64_t)h, 0x77) : h;
    if (!kt_join(job, WAIT_MS))
        return MICA_ETIMEOUT;
    if (st == MICA_OK)
        st = c.status[0];
    return st == MICA_OK && c.label[0] != 0x77 ? MICA_EINVAL : st;
}

/* Attack: a peer saves replies in a loop (answering each through its
 * handle so that the caller calls again, keeping a copy so that the object
 * stays) to drain the kernel's pool of reply objects. Must: MICA_ENOMEM
 * once its own object budget is used up (its objects at its limit, long
 * before its handle table is full), the refused call still its to answer;
 * we can save a reply meanwhile; the slots come back when it closes them
 * (it saves as many again) and when it dies (our figure as before). */
KTEST(deferred, reply_object_drain_stops_at_the_budget)
{
    uint64_t base = sec_own_objects();
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    KT_OK(peer_do(p, CMD_WATCHDOG, 0, 8000, 0, 0, NULL));
    struct mica_msg r;
    KT_STATUS(peer_do(p, CMD_REPLY_DRAIN, 0, 200, 0, 0, &r), MICA_ENOMEM);
    uint64_t saved = r.w[2];
    KT_EQ(r.w[3], 2); /* the refused call got the answer its server owed */
    struct mica_task_info ti;
    KT_ASSERT(mica_task_find(p->id, &ti));
    KT_EQ(ti.objects, ti.objects_limit);
    KT_CMP(saved, >=, 16);
    KT_CMP(saved, <, 40); /* the budget, not the 64-slot handle table */
    KT_OK(save_works());

    KT_OK(peer_do(p, CMD_REPLY_DROP, 0, 0, 0, 0, &r));
    KT_EQ(r.w[2], saved);
    KT_ASSERT(mica_task_find(p->id, &ti));
    KT_EQ(ti.objects + saved, ti.objects_limit);
    KT_STATUS(peer_do(p, CMD_REPLY_DRAIN, 0, 200, 0, 0, &r), MICA_ENOMEM);
    KT_EQ(r.w[2], saved);
    KT_EQ(r.w[3], 2);
    peer_stop(p);
    KT_EQ(sec_own_objects(), base);
    KT_OK(save_works());
}

/* ---- Pagers' MICA_FAULT_MAP answers, and faults whose pager drops them.
 * We are the pager (our endpoint, through a send copy) of a peer that
 * touches an unmapped address; we hold no RAM object. */

/* A fresh peer whose pager is ep and whose watchdog would end it in 4 s;
 * NULL with the test failed. */
static struct peer *faulter(uint64_t ep)
{
    struct peer *p = peer_start(SEC_PEER);
    if (!p)
        return NULL;
    uint64_t give = sec_send_copy(ep, 0);
    long st = give ? peer_do(p, CMD_SET_PAGER, give, 0, 0, 0, NULL) : MICA_ENOMEM;
    if (give)
        mica_handle_close(give);
    if (st == MICA_OK)
        st = peer_do(p, CMD_WATCHDOG, 0, 4000, 0, 0, NULL);
    if (st != MICA_OK) {
        kt_fail(__FILE__, __LINE__, "pager not set up: %s", kt_status_name(st));
        return NULL;
    }
    return p;
}

/* The peer's page fault at TOUCH_VA, taken on ep within timeout_ms. */
static long take_fault(uint64_t ep, const struct peer *p, uint64_t timeout_ms)
{
    struct mica_msg m;
    uint64_t badge = 0;
    long st = kt_recv(ep, &m, &badge, timeout_ms);
    if (st == MICA_OK &&
        (badge != p->id || MICA_INFO_LABEL(m.info) != MICA_LABEL_PAGE_FAULT ||
         m.w[0] != TOUCH_VA)) {
        reply_label(MICA_FAULT_KILL);
        return MICA_EINVAL;
    }
    return st;
}

/* Names, for fault_map_kills, a slot of ours that is free when we answer. */
#define FREE_SLOT (~0ull - 1)

/* A peer faults; we answer MICA_FAULT_MAP naming `ram` (frame 0,
 * writable), through a saved reply when `saved`. Must: asked once (the
 * answer is a refusal, not a "retry"), the touch never completes (no
 * result), and the peer dies promptly, not by its watchdog. */
static void fault_map_kills(uint64_t ep, uint64_t ram, bool saved)
{
    struct peer *p = faulter(ep);
    KT_ASSERT(p);
    KT_OK(peer_send(p, CMD_TOUCH, 0, TOUCH_VA, 0x7777, 0));
    KT_OK(take_fault(ep, p, WAIT_MS));
    if (ram == FREE_SLOT)
        ram = kt_free_slot();
    struct mica_msg a = {MICA_INFO(MICA_FAULT_MAP, 0), {ram, 0, MICA_MAP_WRITE, 0}};
    if (saved) {
        long h = mica_reply_save();
        KT_CMP(h, >, 0);
        KT_OK(mica_reply_to((uint64_t)h, &a));
    } else {
        KT_OK(mica_reply(&a));
    }
    struct mica_msg m;
    long again = kt_recv(ep, &m, NULL, 300);
    if (again == MICA_OK)
        reply_label(MICA_FAULT_KILL);
    KT_STATUS(again, MICA_ETIMEOUT);
    struct mica_msg r;
    KT_STATUS(peer_wait(p, &r, SEC_DEATH_MS), MICA_EDEAD);
    KT_ASSERT(!p->watchdog);
    KT_ASSERT(!peer_alive(p));
}

/* Attack: answer a page fault with MICA_FAULT_MAP naming handles of ours
 * that are not RAM objects: an endpoint, a notification, our task handle
 * (MANAGE), the name service's endpoint, a reply object. Must: for each
 * the faulting peer is killed (its fault line), after one ask, and nothing
 * is mapped (its touch never completes); the kernel and the rest of the
 * system go on. */
KTEST(deferred, fault_map_with_non_ram_handle_kills)
{
    uint64_t ep = kt_endpoint(), other = kt_endpoint(), ntf = kt_notification();
    static struct caller c;
    c = (struct caller){.ep = other, .calls = 1, .timeout_ms = {WAIT_MS}};
    int job = kt_spawn(call_job, &c);
    long reply = take_and_save(other);
    KT_CMP(reply, >, 0);
    const uint64_t handles[] = {other, ntf, MICA_HANDLE_SELF, MICA_HANDLE_NS,
                                (uint64_t)reply};
    for (unsigned i = 0; i < sizeof(handles) / sizeof(handles[0]) && !kt_failed(); i++)
        fault_map_kills(ep, handles[i], false);
    KT_OK(answer((uint64_t)reply, 0x85));
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_ASSERT(!kt_failed());
    KT_OK(c.status[0]);
    KT_EQ(c.label[0], 0x85); /* the reply object was named, not used */
    KT_OK(sec_system_answers());
}

/* Attack: answer a page fault with MICA_FAULT_MAP naming handle numbers
 * that name nothing: 0, a free slot, 64, 2^32, ~0. Must: the faulting
 * peer is killed each time (its fault line), after one ask, with nothing
 * mapped. */
KTEST(deferred, fault_map_with_bad_handle_number_kills)
{
    uint64_t ep = kt_endpoint();
    const uint64_t numbers[] = {0, FREE_SLOT, 64, 1ull << 32, ~0ull};
    for (unsigned i = 0; i < sizeof(numbers) / sizeof(numbers[0]) && !kt_failed(); i++)
        fault_map_kills(ep, numbers[i], false);
    KT_ASSERT(!kt_failed());
    KT_OK(sec_system_answers());
}

/* Attack: save a page fault's reply and answer it later through the reply
 * handle with MICA_FAULT_MAP naming an endpoint. Must: the same as a
 * direct answer: the peer is killed (its fault line), nothing mapped. */
KTEST(deferred, saved_fault_map_with_non_ram_handle_kills)
{
    uint64_t ep = kt_endpoint();
    fault_map_kills(ep, kt_endpoint(), true);
}

/* Takes the peer's faults on ep, saving each and closing the reply
 * unanswered, until none comes for 500 ms (or 40 came); *asked counts
 * them. The status that ended it: MICA_ETIMEOUT when none came. */
static long drop_faults(uint64_t ep, const struct peer *p, unsigned *asked)
{
    long st;
    *asked = 0;
    while ((st = take_fault(ep, p, 500)) == MICA_OK && *asked < 40) {
        (*asked)++;
        long saved = mica_reply_save();
        if (saved <= 0)
            return saved;
        mica_handle_close((uint64_t)saved);
    }
    if (st == MICA_OK)
        reply_label(MICA_FAULT_KILL);
    return st;
}

/* Attack: a pager saves each page fault and closes the reply unanswered
 * (the faulting thread gets MICA_ELOST, which the kernel takes as "ask
 * again"), to keep the task looping between the kernel and us. Must: we
 * are asked again, but at most 8 times for the same fault, then the task
 * is killed (its fault line), promptly and not by its watchdog. */
KTEST(deferred, dropped_saved_fault_asked_again_then_killed)
{
    uint64_t ep = kt_endpoint();
    struct peer *p = faulter(ep);
    KT_ASSERT(p);
    KT_OK(peer_send(p, CMD_TOUCH, 0, TOUCH_VA, 1, 0));
    unsigned asked;
    KT_STATUS(drop_faults(ep, p, &asked), MICA_ETIMEOUT);
    KT_CMP(asked, >=, 2);
    KT_CMP(asked, <=, 8);
    struct mica_msg r;
    KT_STATUS(peer_wait(p, &r, SEC_DEATH_MS), MICA_EDEAD);
    KT_ASSERT(!p->watchdog);
    KT_ASSERT(!peer_alive(p));
}

/* Attack: the same answers to a fault of the kernel's own copy from the
 * peer's memory (its DEBUG_WRITE of 8 bytes at an unmapped address): a
 * MICA_FAULT_MAP naming an endpoint of ours, then (a second write) a saved
 * fault dropped each time. Must: the system call fails with MICA_EFAULT
 * after one ask, resp. after 2 to 8; nothing is mapped, the peer lives. */
KTEST(deferred, kernel_copy_fault_refused_with_efault)
{
    uint64_t ep = kt_endpoint();
    struct peer *p = faulter(ep);
    KT_ASSERT(p);
    KT_OK(peer_send(p, CMD_KCOPY, 0, TOUCH_VA, 0, 0));
    KT_OK(take_fault(ep, p, WAIT_MS));
    struct mica_msg a = {MICA_INFO(MICA_FAULT_MAP, 0), {kt_endpoint(), 0, 0, 0}};
    KT_OK(mica_reply(&a));
    struct mica_msg m, r;
    long again = kt_recv(ep, &m, NULL, 300);
    if (again == MICA_OK)
        reply_label(MICA_FAULT_KILL);
    KT_STATUS(again, MICA_ETIMEOUT);
    KT_OK(peer_wait(p, &r, SEC_RESULT_MS));
    KT_STATUS(result_status(&r), MICA_EFAULT);

    KT_OK(peer_send(p, CMD_KCOPY, 0, TOUCH_VA, 0, 0));
    unsigned asked;
    KT_STATUS(drop_faults(ep, p, &asked), MICA_ETIMEOUT);
    KT_CMP(asked, >=, 2);
    KT_CMP(asked, <=, 8);
    KT_OK(peer_wait(p, &r, SEC_RESULT_MS));
    KT_STATUS(result_status(&r), MICA_EFAULT);
    KT_OK(peer_do(p, CMD_PING, 0, 0, 0, 0, NULL));
}

/* Attack: peer A receives on our endpoint (a copy with RECV), where peer
 * B's page faults go; A takes B's fault and exits holding it. Must: B is
 * neither left waiting for good nor killed for A's death: the kernel asks
 * again through the same endpoint, so the fault reaches us, who receive
 * there now (as a restarted pager would); our "kill" answer ends B. */
KTEST(deferred, pager_dies_holding_fault_asked_again)
{
    uint64_t ep = kt_endpoint();
    struct peer *b = faulter(ep);
    KT_ASSERT(b);
    struct peer *a = peer_start(SEC_PEER);
    KT_ASSERT(a);
    long recv = mica_handle_copy(ep, MICA_RIGHT_RECV | MICA_RIGHT_GRANT, 0);
    KT_CMP(recv, >, 0);
    long st = peer_send(a, CMD_SERVE_DIE, (uint64_t)recv, WAIT_MS, 0, 0);
    mica_handle_close((uint64_t)recv);
    KT_OK(st);
    mica_sleep_ms(50); /* A waits on the endpoint */
    KT_OK(peer_send(b, CMD_TOUCH, 0, TOUCH_VA, 2, 0));
    KT_ASSERT(peer_wait_dead(a, SEC_DEATH_MS));
    KT_OK(take_fault(ep, b, WAIT_MS));
    KT_ASSERT(peer_alive(b));
    KT_OK(reply_label(MICA_FAULT_KILL));
    struct mica_msg r;
    KT_STATUS(peer_wait(b, &r, SEC_DEATH_MS), MICA_EDEAD);
    KT_ASSERT(!b->watchdog);
    KT_ASSERT(!peer_alive(b));
}

/* ---- The console's deferred reads. */

/* A console handle through our control handle (badged with our id and
 * NS_BADGE_CONTROL). */
static long console_via_control(uint64_t *con)
{
    uint64_t control;
    long st = ns_boot_cap(NS_CAP_CONTROL, &control);
    if (st != MICA_OK)
        return st;
    st = ns_lookup_via(control, "console", con);
    mica_handle_close(control);
    return st;
}

/* An input handle, asked for with CON_INPUT through our control handle. */
static long console_input(uint64_t *input)
{
    uint64_t con;
    long st = console_via_control(&con);
    if (st != MICA_OK)
        return st;
    struct mica_msg req = {MICA_INFO(CON_INPUT, 0), {0}}, rep = {0};
    st = kt_call(con, &req, &rep, WAIT_MS);
    mica_handle_close(con);
    if (st == MICA_OK)
        st = MICA_REPLY_STATUS(rep.info);
    bool handle = (rep.info & MICA_INFO_HANDLE) && rep.w[0];
    if (st == MICA_OK && handle)
        *input = rep.w[0];
    else if (handle)
        mica_handle_close(rep.w[0]);
    return st == MICA_OK && !handle ? MICA_ENOMEM : st;
}

/* CON_READ of `want` bytes through h, 1 s at most: the call's status, the
 * reply's in *status, how long it took in *took. */
static long con_read(uint64_t h, uint64_t want, long *status, uint64_t *took)
{
    struct mica_msg req = {MICA_INFO(CON_READ, 0), {want}}, rep = {0};
    uint64_t start = mica_clock_ms();
    long st = kt_call(h, &req, &rep, PROMPT_MS);
    *took = mica_clock_ms() - start;
    *status = MICA_REPLY_STATUS(rep.info);
    return st;
}

/* Attack: mint an input handle ourselves: copy the console handle a
 * lookup gave us (and the one a control lookup gave us, and an input
 * handle) with the badge CON_BADGE_INPUT. Must: MICA_EINVAL each time
 * (badges are set once), no handle made. */
KTEST(deferred, console_input_badge_cannot_be_minted)
{
    uint64_t con, ctl_con, input;
    KT_OK(kt_lookup("console", &con, WAIT_MS));
    long via = console_via_control(&ctl_con);
    long in = console_input(&input);
    uint64_t before = slots_in_use();
    long mint = mica_handle_copy(con, MICA_RIGHT_SEND, CON_BADGE_INPUT);
    long mint_id =
        mica_handle_copy(con, MICA_RIGHT_SEND, CON_BADGE_INPUT | mica_self_id());
    long mint_ctl = via == MICA_OK
                        ? mica_handle_copy(ctl_con, MICA_RIGHT_SEND, CON_BADGE_INPUT)
                        : via;
    long rebadge = in == MICA_OK
                       ? mica_handle_copy(input, MICA_RIGHT_SEND, CON_BADGE_INPUT | 1)
                       : in;
    struct mica_handle_info info = {0};
    long info_st = in == MICA_OK ? mica_handle_info(input, &info) : in;
    uint64_t after = slots_in_use();
    mica_handle_close(con);
    if (via == MICA_OK)
        mica_handle_close(ctl_con);
    if (in == MICA_OK)
        mica_handle_close(input);
    KT_OK(via);
    KT_OK(in);
    KT_STATUS(mint, MICA_EINVAL);
    KT_STATUS(mint_id, MICA_EINVAL);
    KT_STATUS(mint_ctl, MICA_EINVAL);
    KT_STATUS(rebadge, MICA_EINVAL);
    KT_EQ(after, before);
    KT_OK(info_st);
    KT_EQ(info.badge, CON_BADGE_INPUT | mica_self_id()); /* the console's mint */
}

/* Attack: CON_READ through the console handle any lookup gives, and
 * through the one a control lookup gives (the control bit, no input bit).
 * Must: MICA_ERIGHTS at once, not a wait for a line. */
KTEST(deferred, console_read_without_input_handle_refused_at_once)
{
    uint64_t con, ctl_con;
    KT_OK(kt_lookup("console", &con, WAIT_MS));
    long via = console_via_control(&ctl_con);
    long status = 1, ctl_status = 1;
    uint64_t took = 0, ctl_took = 0;
    long st = con_read(con, 16, &status, &took);
    long ctl_st = via == MICA_OK ? con_read(ctl_con, 16, &ctl_status, &ctl_took) : via;
    mica_handle_close(con);
    if (via == MICA_OK)
        mica_handle_close(ctl_con);
    KT_OK(st);
    KT_STATUS(status, MICA_ERIGHTS);
    KT_CMP(took, <, 500);
    KT_OK(ctl_st);
    KT_STATUS(ctl_status, MICA_ERIGHTS);
    KT_CMP(ctl_took, <, 500);
}

/* Attack: take the shell's next line: ask for an input handle with our
 * control handle and read while the shell's read waits (three times, and
 * with malformed lengths). Must: MICA_EBUSY at once each time (MICA_EINVAL
 * for the lengths), never a wait that would take the line; writes are
 * still served; and the shell still gets the next line (the harness types
 * one after the suite). */
KTEST(deferred, console_second_reader_busy)
{
    uint64_t input;
    KT_OK(console_input(&input));
    long st[3], status[3];
    uint64_t took[3];
    for (unsigned i = 0; i < 3; i++)
        st[i] = con_read(input, 16, &status[i], &took[i]);
    long bad_st[2], bad[2];
    uint64_t bad_took[2];
    bad_st[0] = con_read(input, 0, &bad[0], &bad_took[0]);
    bad_st[1] = con_read(input, CON_LINE_MAX + 1, &bad[1], &bad_took[1]);
    mica_handle_close(input);
    for (unsigned i = 0; i < 3; i++) {
        KT_OK(st[i]);
        KT_STATUS(status[i], MICA_EBUSY);
        KT_CMP(took[i], <, 500);
    }
    for (unsigned i = 0; i < 2; i++) {
        KT_OK(bad_st[i]);
        KT_STATUS(bad[i], MICA_EINVAL);
    }
    uint64_t con;
    KT_OK(kt_lookup("console", &con, WAIT_MS));
    struct mica_msg w = {MICA_INFO(CON_WRITE, 0), {0}}, wr;
    long wrote = kt_call(con, &w, &wr, 500);
    mica_handle_close(con);
    KT_OK(wrote);
    KT_OK(MICA_REPLY_STATUS(wr.info));
}
