/*
 * ktest: registration walk, result lines, helper threads and the lent
 * object pool (see ktest.h). Everything runs on the first thread of the
 * test task except the jobs given to helper threads.
 *
 * Helpers: KT_HELPERS threads, created once, all waiting on one "jobs"
 * endpoint. kt_spawn sends the job (function, argument, job number) and a
 * free helper takes it; when a job returns, its helper signals the job's
 * bit on the "done" notification. Threads cannot end yet, so a helper that
 * never comes back (a job stuck in a blocking call) is lost to later tests.
 */
#include "ktest.h"

#include <mica/memory.h>
#include <mica/ns.h>
#include <mica/syscall.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A program may ask for more (at most 7: a task has 8 thread slots). */
#ifndef KT_HELPERS
#define KT_HELPERS 4
#endif
#define KT_HELPER_STACK  (16 * 1024)
#define KT_POOL_EP       6
#define KT_POOL_NTF      4
#define KT_LINE_MAX      480
#define KT_JOIN_GRACE_MS 3000

extern const struct ktest __start_ktests[], __stop_ktests[];

/* ---- The running test's outcome. */

enum outcome { KT_PASS, KT_FAIL, KT_SKIP };

static struct {
    enum outcome outcome;
    int claimed; /* set by the first failure or skip, atomically */
    char detail[KT_LINE_MAX / 2];
} cur;

static void claim(enum outcome o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The first failure or skip of a test is the one reported; a helper
 * thread and the main thread may fail at once. */
static void claim(enum outcome o, const char *fmt, ...)
{
    if (__atomic_exchange_n(&cur.claimed, 1, __ATOMIC_SEQ_CST))
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cur.detail, sizeof(cur.detail), fmt, ap);
    va_end(ap);
    cur.outcome = o;
}

void kt_note(const char *fmt, ...)
{
    if (__atomic_load_n(&cur.claimed, __ATOMIC_SEQ_CST))
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cur.detail, sizeof(cur.detail), fmt, ap);
    va_end(ap);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

void kt_fail(const char *file, int line, const char *fmt, ...)
{
    char msg[KT_LINE_MAX / 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    claim(KT_FAIL, "%s:%d: %s", base_name(file), line, msg);
}

void kt_skip(const char *fmt, ...)
{
    char msg[KT_LINE_MAX / 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    claim(KT_SKIP, "%s", msg);
}

bool kt_failed(void)
{
    return __atomic_load_n(&cur.claimed, __ATOMIC_SEQ_CST) && cur.outcome == KT_FAIL;
}

const char *kt_status_name(long status)
{
    const char *n = mica_status_name(status);
    return n[0] == '?' ? "not a status" : n;
}

static long (*writer)(const char *s, size_t n) = mica_debug_write;

void ktest_set_writer(long (*write)(const char *s, size_t n))
{
    writer = write ? write : mica_debug_write;
}

static void (*cleanup)(void);

void ktest_set_cleanup(void (*fn)(void))
{
    cleanup = fn;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One whole line per write, so lines of other tasks cannot split it. */
static void say(const char *fmt, ...)
{
    char line[KT_LINE_MAX + 2];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, KT_LINE_MAX, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (n >= KT_LINE_MAX)
        n = KT_LINE_MAX - 1;
    line[n++] = '\n';
    writer(line, (size_t)n);
}

/* ---- Raw system calls. */

long kt_syscall(uint64_t nr, struct kt_regs *r, uint64_t timeout_ms)
{
    return mica_raw_syscall(nr, r->a, timeout_ms);
}

static struct kt_regs msg_regs(uint64_t ep, const struct mica_msg *m)
{
    return (struct kt_regs){{ep, m->info, m->w[0], m->w[1], m->w[2], m->w[3]}};
}

static void msg_out(const struct kt_regs *r, struct mica_msg *out, uint64_t *badge)
{
    if (badge)
        *badge = r->a[0];
    if (out)
        *out = (struct mica_msg){r->a[1], {r->a[2], r->a[3], r->a[4], r->a[5]}};
}

long kt_send(uint64_t ep, const struct mica_msg *m, uint64_t timeout_ms)
{
    struct kt_regs r = msg_regs(ep, m);
    return kt_syscall(SYS_SEND, &r, timeout_ms);
}

long kt_call(uint64_t ep, const struct mica_msg *m, struct mica_msg *reply,
             uint64_t timeout_ms)
{
    struct kt_regs r = msg_regs(ep, m);
    long st = kt_syscall(SYS_CALL, &r, timeout_ms);
    if (st == MICA_OK)
        msg_out(&r, reply, NULL);
    return st;
}

long kt_recv(uint64_t ep, struct mica_msg *out, uint64_t *badge, uint64_t timeout_ms)
{
    struct kt_regs r = {{ep}};
    long st = kt_syscall(SYS_RECV, &r, timeout_ms);
    if (st == MICA_OK)
        msg_out(&r, out, badge);
    return st;
}

/* ---- Helper threads. */

struct helper {
    uint8_t stack[KT_HELPER_STACK] __attribute__((aligned(16)));
    void *ipc;
};

struct job {
    bool busy; /* handed out and not yet seen done */
    bool lost; /* never came back: its helper is stuck */
};

static struct helper helpers[KT_HELPERS];
static struct job jobs[KT_HELPERS];
static unsigned helpers_running;
static uint64_t jobs_ep, done_ntf;
static uint64_t done_bits; /* bits taken from done_ntf, not yet joined */

void helper_main(uint64_t index, void *ipc);

void helper_main(uint64_t index, void *ipc)
{
    helpers[index].ipc = ipc;
    for (;;) {
        struct mica_msg m;
        if (kt_recv(jobs_ep, &m, NULL, MICA_WAIT_FOREVER) != MICA_OK) {
            mica_yield();
            continue;
        }
        void (*fn)(void *) = (void (*)(void *))(uintptr_t)m.w[0];
        fn((void *)(uintptr_t)m.w[1]);
        /* A job that failed between receiving a call and replying would
         * leave its caller waiting for good (a call's timeout does not
         * cover the wait for the reply): answer it. */
        struct mica_msg owed = {MICA_REPLY_INFO(MICA_EDEAD, 0), {0}};
        mica_reply(&owed);
        mica_notify_signal(done_ntf, 1ull << m.w[2]);
    }
}

/* The kernel enters a new thread with rsp = stack_top, 16-byte aligned,
 * and no return address: a C function expects rsp + 8 to be aligned at
 * entry (AMD64 psABI §3.2.2), and the compiler's aligned SSE spills fault
 * otherwise. This entry makes the call a C function expects; rdi and rsi
 * (argument and IPC buffer) pass through. */
void helper_entry(uint64_t index, void *ipc);
__asm__(".pushsection .text\n"
        ".globl helper_entry\n"
        "helper_entry:\n"
        "    xorl %ebp, %ebp\n"
        "    andq $-16, %rsp\n"
        "    call helper_main\n"
        "    ud2\n"
        ".popsection");

static bool helpers_start(void)
{
    long ep = mica_endpoint_create(), ntf = mica_notify_create();
    if (ep <= 0 || ntf <= 0)
        return false;
    jobs_ep = (uint64_t)ep;
    done_ntf = (uint64_t)ntf;
    for (unsigned i = 0; i < KT_HELPERS; i++) {
        void *top = helpers[i].stack + sizeof(helpers[i].stack);
        if (mica_thread_create(helper_entry, top, i) <= 0)
            break;
        helpers_running++;
    }
    return helpers_running > 0;
}

void *kt_ipc(void)
{
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    for (unsigned i = 0; i < KT_HELPERS; i++) {
        uintptr_t lo = (uintptr_t)helpers[i].stack;
        if (sp >= lo && sp < lo + sizeof(helpers[i].stack))
            return helpers[i].ipc;
    }
    return mica_ipc_buffer();
}

int kt_spawn(void (*fn)(void *arg), void *arg)
{
    int j = 0;
    while (j < (int)helpers_running && (jobs[j].busy || jobs[j].lost))
        j++;
    if (j == (int)helpers_running) {
        kt_fail(__FILE__, __LINE__, "no free helper thread");
        return -1;
    }
    struct mica_msg m = {
        MICA_INFO(1, 0),
        {(uint64_t)(uintptr_t)fn, (uint64_t)(uintptr_t)arg, (uint64_t)j}};
    long st = kt_send(jobs_ep, &m, 2000);
    if (st != MICA_OK) {
        kt_fail(__FILE__, __LINE__, "no helper took the job: %s", kt_status_name(st));
        return -1;
    }
    jobs[j].busy = true;
    return j;
}

bool kt_join(int job, uint64_t timeout_ms)
{
    if (job < 0 || job >= KT_HELPERS || !jobs[job].busy)
        return job >= 0 && job < KT_HELPERS && !jobs[job].lost;
    uint64_t deadline = mica_clock_ms() + timeout_ms;
    while (!(done_bits & (1ull << job))) {
        uint64_t now = mica_clock_ms(), bits = 0;
        if (now >= deadline)
            return false;
        if (mica_notify_wait(done_ntf, &bits, deadline - now) == MICA_OK)
            done_bits |= bits;
    }
    done_bits &= ~(1ull << job);
    jobs[job].busy = false;
    return true;
}

/* After a test: every job it started must be over. */
static void join_all(void)
{
    for (int j = 0; j < KT_HELPERS; j++) {
        if (!jobs[j].busy)
            continue;
        if (!kt_join(j, KT_JOIN_GRACE_MS)) {
            jobs[j].lost = true;
            jobs[j].busy = false;
            kt_fail(__FILE__, __LINE__, "helper job %d still running after the test", j);
        }
    }
}

/* ---- Lent objects. */

struct lent {
    uint64_t handle;
    bool out; /* lent to the running test */
};

static struct lent pool_ep[KT_POOL_EP], pool_ntf[KT_POOL_NTF];

static bool pool_fill(struct lent *p, unsigned n, long (*create)(void))
{
    for (unsigned i = 0; i < n; i++) {
        long h = create();
        if (h <= 0)
            return false;
        p[i].handle = (uint64_t)h;
    }
    return true;
}

static uint64_t lend(struct lent *p, unsigned n, const char *what)
{
    for (unsigned i = 0; i < n; i++) {
        if (p[i].handle && !p[i].out) {
            p[i].out = true;
            return p[i].handle;
        }
    }
    kt_fail(__FILE__, __LINE__, "all %u lent %ss in use", n, what);
    return 0;
}

uint64_t kt_endpoint(void)
{
    return lend(pool_ep, KT_POOL_EP, "endpoint");
}

uint64_t kt_notification(void)
{
    return lend(pool_ntf, KT_POOL_NTF, "notification");
}

/* Takes back what the test left: messages queued on lent endpoints (a
 * caller among them is answered so that it does not wait forever) and
 * bits pending on lent notifications. */
static void pool_return(void)
{
    unsigned left = 0;
    for (unsigned i = 0; i < KT_POOL_EP; i++) {
        struct mica_msg m;
        while (pool_ep[i].out &&
               kt_recv(pool_ep[i].handle, &m, NULL, MICA_NO_WAIT) == 0) {
            struct mica_msg r = {MICA_REPLY_INFO(MICA_EDEAD, 0), {0}};
            mica_reply(&r);
            if (m.info & MICA_INFO_HANDLE)
                mica_handle_close(m.w[0]);
            left++;
        }
        pool_ep[i].out = false;
    }
    for (unsigned i = 0; i < KT_POOL_NTF; i++) {
        uint64_t bits;
        if (pool_ntf[i].out)
            (void)mica_notify_wait(pool_ntf[i].handle, &bits, MICA_NO_WAIT);
        pool_ntf[i].out = false;
    }
    if (left)
        kt_fail(__FILE__, __LINE__, "%u message(s) left queued on lent endpoints", left);
}

/* ---- Handle bookkeeping. */

/* A signal of no bits changes nothing, and only an empty slot answers
 * MICA_EBADH (others: ETYPE, ERIGHTS or OK). */
static bool slot_used(uint64_t h)
{
    return mica_notify_signal(h, 0) != MICA_EBADH;
}

static uint64_t used_slots(void)
{
    uint64_t mask = 0;
    for (uint64_t h = 1; h < 64; h++)
        if (slot_used(h))
            mask |= 1ull << h;
    return mask;
}

uint64_t kt_free_slot(void)
{
    for (uint64_t h = 2; h < 63; h++)
        if (!slot_used(h))
            return h;
    return 0;
}

static void close_leaks(uint64_t before)
{
    uint64_t leaked = used_slots() & ~before;
    if (!leaked)
        return;
    char list[96] = "";
    size_t n = 0;
    for (uint64_t h = 1; h < 64; h++) {
        if (!(leaked & (1ull << h)))
            continue;
        mica_handle_close(h);
        int k = snprintf(list + n, sizeof(list) - n, " %llu", (unsigned long long)h);
        if (k > 0 && (size_t)k < sizeof(list) - n)
            n += (size_t)k;
    }
    kt_fail(__FILE__, __LINE__, "handles left open:%s", list);
}

/* ---- Small services for tests. */

long kt_lookup(const char *name, uint64_t *handle, uint64_t timeout_ms)
{
    uint64_t deadline = mica_clock_ms() + timeout_ms;
    for (;;) {
        long st = ns_lookup(name, handle);
        if (st != MICA_ENOENT || mica_clock_ms() >= deadline)
            return st;
        mica_sleep_ms(20);
    }
}

bool kt_task_by_name(const char *name, struct mica_task_info *out)
{
    for (uint32_t i = 0; i < 256 && mica_task_info(i, out) == MICA_OK; i++) {
        out->name[sizeof(out->name) - 1] = '\0';
        if (strcmp(out->name, name) == 0)
            return true;
    }
    return false;
}

/* ---- The run. */

static void run_one(const struct ktest *t, unsigned *passed, unsigned *failed)
{
    cur.outcome = KT_PASS;
    cur.claimed = 0;
    cur.detail[0] = '\0';
    uint64_t before = used_slots();

    t->run();
    if (cleanup)
        cleanup();
    join_all();
    pool_return();
    /* A reply owed by the main thread would hold its caller forever. */
    struct mica_msg r = {MICA_REPLY_INFO(MICA_EDEAD, 0), {0}};
    mica_reply(&r);
    close_leaks(before);

    static const char *const words[] = {"PASS", "FAIL", "SKIP"};
    if (cur.detail[0])
        say("TEST %s.%s %s %s", t->suite, t->name, words[cur.outcome], cur.detail);
    else
        say("TEST %s.%s %s", t->suite, t->name, words[cur.outcome]);
    if (cur.outcome == KT_PASS)
        (*passed)++;
    else if (cur.outcome == KT_FAIL)
        (*failed)++;
}

/* libc-mini keeps state made on first use: the notification of
 * mica_sleep_ms and the memory server's endpoint. Both are made here, so
 * that no test counts them as its own objects or leaked handles. */
static bool warm_up_libc(void)
{
    uint64_t start = mica_clock_ms();
    mica_log_open(); /* the log handle, if we get one, is no test's leak */
    mica_sleep_ms(1);
    for (;;) {
        long st = mem_hello();
        if (st == MICA_OK)
            return true;
        if (st != MICA_ENOENT || mica_clock_ms() - start > 10000) {
            say("ktest: memory server not available: %s", kt_status_name(st));
            return false;
        }
        mica_sleep_ms(20);
    }
}

static bool setup(void)
{
    return warm_up_libc() && helpers_start() &&
           pool_fill(pool_ep, KT_POOL_EP, mica_endpoint_create) &&
           pool_fill(pool_ntf, KT_POOL_NTF, mica_notify_create);
}

unsigned ktest_run_all(void)
{
    const struct ktest *first = __start_ktests, *end = __stop_ktests;
    unsigned passed = 0, failed = 0;

    say("ktest: %u tests", (unsigned)(end - first));
    if (!setup()) {
        say("TEST ktest.setup FAIL could not create helper threads or lent objects");
        say("TESTS: 0 passed, 1 failed");
        return 1;
    }
    for (unsigned pass = 0; pass < 2; pass++)
        for (const struct ktest *t = first; t < end; t++)
            if (!!(t->flags & KTEST_F_LAST) == (pass == 1))
                run_one(t, &passed, &failed);
    say("TESTS: %u passed, %u failed", passed, failed);
    return failed;
}

/* ---- Waiting for the boot to settle. */

#define SETTLE_MAX_MS   10000
#define SETTLE_QUIET_MS 300

/* True when every other live task is blocked. */
static bool others_blocked(void)
{
    struct mica_task_info ti;
    for (uint32_t i = 0; i < 256 && mica_task_info(i, &ti) == MICA_OK; i++)
        if (ti.id != mica_self_id() && ti.state == MICA_TASK_RUNNING)
            return false;
    return true;
}

void kt_wait_for_quiet(void)
{
    uint64_t start = mica_clock_ms(), quiet_since = start;
    while (mica_clock_ms() - start < SETTLE_MAX_MS) {
        uint64_t now = mica_clock_ms();
        if (!others_blocked())
            quiet_since = now;
        else if (now - quiet_since >= SETTLE_QUIET_MS)
            return;
        mica_sleep_ms(10);
    }
}
