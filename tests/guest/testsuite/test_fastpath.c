/*
 * Suite fastpath: the kernel's fast paths (arch/x86_64/fastpath.S) must
 * be observably the same as the general path (ipc/ipc.c, sched/sched.c).
 * One fixed sequence runs — calls and replies with register-only
 * messages, payloads of every awkward length, badges, messages the fast
 * path must leave to the general path (a handle, unknown info bits, a
 * timeout, an oversized payload), calls into another address space
 * (benchpeer); notifications signalled to a waiter, to nobody, waited on
 * with bits pending, with a timeout that runs out, without waiting, by a
 * second waiter; yields — and every result (status, info, words, badge,
 * payload bytes, bits) is checked against what the ABI promises and
 * folded into a digest. The PASS line says `digest=<hex> general=<n>`, n
 * being this task's syscalls of those kinds that the general path served
 * (SYS_TASK_INFO ipc_general).
 *
 * The test ISO boots twice, as it is and with mica.fastpath=off on the
 * kernel line; tests/harness/check_fastpath.py then requires the same
 * digest from both runs, and far fewer general-path calls in the first.
 */
#include <mica/ns.h>
#include <mica/syscall.h>
#include <string.h>

#include "../../../servers/benchpeer/protocol.h"
#include "ktest.h"

#define WAIT_MS 3000

/* Labels of the sequence's own protocol. */
#define SEQ_ECHO   0x7a00u /* reply: label + 1, words changed, a payload of w[0] bytes */
#define SEQ_HANDLE 0x7a01u /* reply carries a copy of a notification */
#define SEQ_STOP   0x7a02u /* last reply; the server thread ends */

/* FNV-1a over 64-bit words. */
static uint64_t digest;

static void mix(uint64_t v)
{
    for (unsigned i = 0; i < 8; i++) {
        digest ^= (v >> (8 * i)) & 0xff;
        digest *= 0x100000001b3ull;
    }
}

static uint8_t pattern(uint32_t i, uint32_t seed)
{
    return (uint8_t)(i * 13u + seed);
}

/* ---- The server thread: answers on ep with reply_recv, no timeout, so
 * that its side can take the fast path too. */
struct seq_server {
    uint64_t ep;
    uint64_t ntf; /* SEQ_HANDLE sends copies of it */
    uint64_t badges[64];
    unsigned served;
};

static void answer(struct seq_server *s, const struct mica_msg *in, uint64_t badge,
                   struct mica_msg *out)
{
    uint8_t *buf = kt_ipc();
    uint32_t label = MICA_INFO_LABEL(in->info), len = MICA_INFO_LEN(in->info);
    uint64_t sum = 0;
    for (uint32_t i = 0; i < len; i++)
        sum = sum * 31 + buf[i];
    if (s->served < 64)
        s->badges[s->served] = badge;
    s->served++;
    uint32_t rlen = in->w[0] <= MICA_IPC_PAYLOAD_MAX ? (uint32_t)in->w[0] : 0;
    for (uint32_t i = 0; i < rlen; i++)
        buf[i] = pattern(i, label + s->served);
    *out = (struct mica_msg){MICA_INFO(label + 1, rlen),
                             {sum, in->w[1] ^ 0x5555, in->w[2] + in->w[3], badge}};
    if (label == SEQ_HANDLE) {
        out->info |= MICA_INFO_HANDLE;
        out->w[0] = s->ntf;
    }
}

static void server_thread(void *arg)
{
    struct seq_server *s = arg;
    struct mica_msg in, out;
    uint64_t badge;
    KT_OK(mica_recv(s->ep, &in, &badge, MICA_WAIT_FOREVER));
    for (;;) {
        answer(s, &in, badge, &out);
        if (MICA_INFO_LABEL(in.info) == SEQ_STOP)
            break;
        long st = mica_reply_recv(s->ep, &out, &in, &badge, MICA_WAIT_FOREVER);
        if (st != MICA_OK) {
            KT_OK(st);
            return;
        }
    }
    KT_OK(mica_reply(&out));
}

/* ---- The client's side. */

static uint64_t my_general_count(void)
{
    struct mica_task_info ti;
    return mica_task_find(mica_self_id(), &ti) ? ti.ipc_general : 0;
}

/* One call through h with len payload bytes, asking for rlen back; the
 * result goes into the digest and is checked. */
static void seq_call(uint64_t h, uint32_t label, uint32_t len, uint64_t rlen, uint64_t w1,
                     uint64_t timeout)
{
    uint8_t *buf = mica_ipc_buffer();
    uint64_t sum = 0;
    for (uint32_t i = 0; i < len && i < MICA_IPC_PAYLOAD_MAX; i++) {
        buf[i] = pattern(i, label ^ len);
        sum = sum * 31 + buf[i];
    }
    struct mica_msg req = {MICA_INFO(label, len), {rlen, w1, 7 * len, label}}, rep = {0};
    long st = mica_call(h, &req, &rep, timeout);
    mix((uint64_t)st);
    if (st != MICA_OK)
        return;
    mix(rep.info);
    for (unsigned i = 0; i < 4; i++)
        mix(rep.w[i]);
    uint32_t got = MICA_INFO_LEN(rep.info);
    for (uint32_t i = 0; i < got; i++)
        mix(buf[i]);
    /* What the ABI promises, whichever path carried it. */
    KT_EQ(MICA_INFO_LABEL(rep.info), label + 1);
    KT_EQ(got, rlen);
    KT_EQ(rep.w[0], sum);
    KT_EQ(rep.w[1], w1 ^ 0x5555);
    KT_EQ(rep.w[2], 7 * len + label);
}

static void same_task_sequence(uint64_t ep, uint64_t ntf)
{
    /* Register-only calls, the fast path's common case. */
    for (uint32_t i = 0; i < 40; i++)
        seq_call(ep, SEQ_ECHO + 0, 0, 0, i * 0x1001, MICA_WAIT_FOREVER);
    /* Payloads of every awkward length, each way (copies by 8 bytes and
     * the odd bytes must give exactly len). */
    static const uint32_t lens[] = {1, 7, 8, 9, 255, 4095, 4096};
    for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
        seq_call(ep, SEQ_ECHO, lens[i], lens[(i + 3) % 7], i, MICA_WAIT_FOREVER);
    /* Through a badged copy: the server sees the badge (it echoes it in
     * w[3] + ... and keeps it). */
    long badged = mica_handle_copy(ep, MICA_RIGHT_SEND, 0x6b61);
    KT_ASSERT(badged > 0);
    for (uint32_t i = 0; i < 3; i++)
        seq_call((uint64_t)badged, SEQ_ECHO, 0, 16, i, MICA_WAIT_FOREVER);
    mica_handle_close((uint64_t)badged);
    /* What the fast path leaves to the general path: a timeout, unknown
     * info bits, a reply with a handle, a payload past the maximum. */
    seq_call(ep, SEQ_ECHO, 16, 16, 1, WAIT_MS);
    struct mica_msg odd = {MICA_INFO(SEQ_ECHO, 0) | (1ull << 47), {0, 3, 0, SEQ_ECHO}},
                    rep;
    long st = mica_call(ep, &odd, &rep, MICA_WAIT_FOREVER);
    mix((uint64_t)st);
    mix(rep.info);
    KT_OK(st);
    struct mica_msg h = {MICA_INFO(SEQ_HANDLE, 0), {0}};
    st = mica_call(ep, &h, &rep, MICA_WAIT_FOREVER);
    mix((uint64_t)st);
    mix(rep.info & ~(uint64_t)MICA_INFO_HANDLE);
    KT_OK(st);
    KT_ASSERT(rep.info & MICA_INFO_HANDLE);
    if (rep.info & MICA_INFO_HANDLE)
        mica_handle_close(rep.w[0]);
    struct mica_msg big = {MICA_INFO(SEQ_ECHO, MICA_IPC_PAYLOAD_MAX + 1), {0}};
    st = mica_call(ep, &big, &rep, MICA_WAIT_FOREVER);
    mix((uint64_t)st);
    KT_STATUS(st, MICA_ERANGE);
    (void)ntf;
    /* And the fast path again after all that. */
    for (uint32_t i = 0; i < 10; i++)
        seq_call(ep, SEQ_ECHO, 64, 0, i, MICA_WAIT_FOREVER);
    struct mica_msg stop = {MICA_INFO(SEQ_STOP, 0), {0}};
    mix((uint64_t)mica_call(ep, &stop, &rep, MICA_WAIT_FOREVER));
}

/* Calls into another address space: benchpeer echoes the length and the
 * words (servers/benchpeer/protocol.h). */
static void other_task_sequence(void)
{
    uint64_t id, task, peer = 0;
    long st = ns_spawn_task(PEER_NAME, &id, &task);
    if (st != MICA_OK) {
        kt_skip("benchpeer: %s", kt_status_name(st));
        return;
    }
    /* It registers once it runs; a lookup before that is ENOENT. */
    for (unsigned tries = 0; tries < 200 && peer == 0; tries++) {
        uint64_t h;
        if (ns_lookup(PEER_NAME, &h) == MICA_OK)
            peer = h;
        else
            mica_sleep_ms(10);
    }
    KT_ASSERT(peer != 0);
    static const uint32_t lens[] = {0, 0, 16, 4096, 0, 100};
    for (unsigned i = 0; peer && i < 60; i++) {
        uint32_t len = lens[i % 6];
        struct mica_msg req = {MICA_INFO(PEER_ECHO, len), {i, i * 3, 0, 9}}, rep = {0};
        st = mica_call(peer, &req, &rep, MICA_WAIT_FOREVER);
        mix((uint64_t)st);
        mix(rep.info);
        for (unsigned k = 0; k < 4; k++)
            mix(rep.w[k]);
        KT_OK(st);
        KT_EQ(rep.info, MICA_INFO(0, len));
        KT_EQ(rep.w[1], i * 3);
    }
    if (peer) {
        struct mica_msg bye = {MICA_INFO(PEER_EXIT, 0), {0}}, rep;
        mix((uint64_t)mica_call(peer, &bye, &rep, WAIT_MS));
        mica_handle_close(peer);
    }
    mica_handle_close(task);
}

/* ---- Notifications and yields. The helper waits on `ping` and answers
 * each signal on `pong` with the bits it got, shifted, until bit 63. */
struct pinger {
    uint64_t ping, pong;
    unsigned rounds;
};

static void pong_thread(void *arg)
{
    struct pinger *p = arg;
    for (;;) {
        uint64_t bits = 0;
        long st = mica_notify_wait(p->ping, &bits, MICA_WAIT_FOREVER);
        if (st != MICA_OK) {
            KT_OK(st);
            return;
        }
        p->rounds++;
        KT_OK(mica_notify_signal(p->pong, bits << 1));
        if (bits >> 63)
            return;
    }
}

static void notify_sequence(void)
{
    struct pinger p = {.ping = kt_notification(), .pong = kt_notification()};
    int job = kt_spawn(pong_thread, &p);
    for (unsigned i = 0; i < 30; i++) {
        uint64_t bits = 0, send = (i % 5 + 1) | (i == 29 ? 1ull << 63 : 0);
        long st = mica_notify_signal(p.ping, send);
        mix((uint64_t)st);
        st = mica_notify_wait(p.pong, &bits, WAIT_MS);
        mix((uint64_t)st);
        mix(bits);
        KT_OK(st);
        KT_EQ(bits, send << 1);
    }
    KT_ASSERT(kt_join(job, WAIT_MS));
    mix(p.rounds);
    /* Signals nobody waits for gather; a wait takes them all at once. */
    uint64_t n = kt_notification(), bits = 0;
    mix((uint64_t)mica_notify_signal(n, 0x10));
    mix((uint64_t)mica_notify_signal(n, 0x01));
    long st = mica_notify_wait(n, &bits, MICA_WAIT_FOREVER);
    mix((uint64_t)st);
    mix(bits);
    KT_OK(st);
    KT_EQ(bits, 0x11);
    /* Nothing pending: no wait (EAGAIN), a short wait (ETIMEOUT). */
    st = mica_notify_wait(n, &bits, MICA_NO_WAIT);
    mix((uint64_t)st);
    KT_STATUS(st, MICA_EAGAIN);
    st = mica_notify_wait(n, &bits, 30);
    mix((uint64_t)st);
    KT_STATUS(st, MICA_ETIMEOUT);
    /* And after that the notification works as before. */
    mix((uint64_t)mica_notify_signal(n, 0x4));
    st = mica_notify_wait(n, &bits, WAIT_MS);
    mix((uint64_t)st);
    mix(bits);
    KT_EQ(bits, 0x4);
}

static volatile unsigned yield_turns[2];
static volatile bool yield_stop, yield_ready;

/* Both on CPU 0, where the yields hand the CPU back and forth (with more
 * CPUs the two would otherwise not meet in a run queue at all). */
static void yielder(void *arg)
{
    (void)arg;
    mica_thread_affinity(MICA_THREAD_SELF, 1);
    yield_ready = true;
    while (!yield_stop) {
        yield_turns[1]++;
        mica_yield();
    }
    mica_thread_affinity(MICA_THREAD_SELF, MICA_CPUS_ALL);
}

static void yield_sequence(void)
{
    yield_turns[0] = yield_turns[1] = 0;
    yield_stop = yield_ready = false;
    mix((uint64_t)mica_thread_affinity(MICA_THREAD_SELF, 1));
    int job = kt_spawn(yielder, NULL);
    uint64_t start = mica_clock_ms();
    while (!yield_ready && mica_clock_ms() - start < WAIT_MS)
        mica_yield(); /* until it is on CPU 0 too */
    yield_turns[1] = 0;
    for (unsigned i = 0; i < 50; i++) {
        yield_turns[0]++;
        mica_yield();
    }
    yield_stop = true;
    KT_ASSERT(kt_join(job, WAIT_MS));
    mica_thread_affinity(MICA_THREAD_SELF, MICA_CPUS_ALL);
    /* Both ran; how often the other did depends on the timer, so only
     * that it ran goes into the digest. */
    KT_CMP(yield_turns[1], >, 0);
    mix(yield_turns[0]);
    mix(yield_turns[1] > 0);
}

KTEST(fastpath, sequence)
{
    digest = 0xcbf29ce484222325ull;
    uint64_t before = my_general_count();
    struct seq_server s = {.ep = kt_endpoint(), .ntf = kt_notification()};
    long grant = mica_handle_copy(s.ntf, MICA_RIGHT_SEND | MICA_RIGHT_GRANT, 0);
    KT_ASSERT(grant > 0);
    s.ntf = (uint64_t)grant;
    int job = kt_spawn(server_thread, &s);
    same_task_sequence(s.ep, s.ntf);
    KT_ASSERT(kt_join(job, WAIT_MS));
    mica_handle_close(s.ntf);
    for (unsigned i = 0; i < s.served && i < 64; i++)
        mix(s.badges[i]);
    mix(s.served);
    other_task_sequence();
    notify_sequence();
    yield_sequence();
    uint64_t general = my_general_count() - before;
    kt_note("digest=%016llx general=%llu", (unsigned long long)digest,
            (unsigned long long)general);
}
