/*
 * fuzzer: an unprivileged task that throws hostile system calls at the
 * kernel (protocol in mica/fuzz.h). From a seed it first sweeps every
 * syscall number, and numbers past the table, with each hostile value in
 * each argument; then it makes random calls built from the same values.
 * Every call must come back with a status: a kernel that panics, hangs or
 * corrupts another task fails the test that drives this (and the shell's
 * `fuzz` command stays usable after a run).
 *
 * A few things the fuzzer must not do to itself, or the run would end
 * early for reasons that say nothing about the kernel: exit, hand its own
 * service endpoint or name-service handle to a syscall, block for long
 * (every timeout is 0 or 1 ms), write through a pointer into its own stack,
 * or start a thread at a bad address (new threads run `thread_sink` on
 * stacks of their own). Everything else is fair game.
 *
 * With FUZZ_RUN's worker count above one, that many threads of this task
 * fuzz at once, each pinned to its own CPU (SYS_THREAD_AFFINITY; pinned
 * again after every fuzzed affinity call), each with its own seed (the
 * run's seed + its number) and the whole campaign: one handle table and
 * one address space under calls from several CPUs. A worker may end up
 * answering another's call (a fuzzed receive on an endpoint the other
 * calls), so a worker that is done answers what it owes before it stops,
 * and the run waits for all of them.
 */
#include <mica/fuzz.h>
#include <mica/ns.h>
#include <mica/server.h>
#include <mica/syscall.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define SWEEP_EXTRA   8 /* numbers past SYS_COUNT in the sweep */
#define THREAD_STACKS 8 /* the kernel allows 8 threads per task */
#define WORKER_STACK  16384

static uint64_t service; /* our endpoint: never fuzzed */
static uint64_t sink;    /* where extra threads park: never fuzzed */
static uint64_t done;    /* workers signal their bit when done: never fuzzed */
static uint8_t scratch[2 * 4096] __attribute__((aligned(4096)));
static const uint8_t readonly_page[64] = {1};
static uint8_t thread_stacks[THREAD_STACKS][4096] __attribute__((aligned(16)));
static unsigned next_stack;

struct tally {
    uint64_t calls, ok, errors;
};

/* One fuzzing thread: worker 0 is the first thread, the others are
 * started for a run with several workers. */
struct worker {
    uint64_t rng; /* xorshift64* state */
    struct tally t;
    uint64_t slot;              /* its thread slot (SYS_THREAD_AFFINITY's k) */
    unsigned cpu;               /* the CPU it is pinned to */
    long pinned;                /* the status of its pin; MICA_ENOENT: not pinned */
    unsigned seen_cpu, end_cpu; /* where TASK_INFO put it, at start and end */
};

static struct worker workers[FUZZ_MAX_WORKERS];
static unsigned worker_count = 1;
static uint8_t worker_stacks[FUZZ_MAX_WORKERS][WORKER_STACK] __attribute__((aligned(16)));

/* xorshift64*: small, fast and reproducible from the seed. */
static uint64_t rng(struct worker *w)
{
    w->rng ^= w->rng >> 12;
    w->rng ^= w->rng << 25;
    w->rng ^= w->rng >> 27;
    return w->rng * 0x2545f4914f6cdd1dull;
}

/* The hostile values every argument is drawn from. */
static uint64_t hostile(unsigned i)
{
    static const uint64_t fixed[] = {
        0,
        1,
        2,
        7,
        63,
        64,
        4096,
        4097,
        65536,
        0x1000,
        0x7fffffffffffull,     /* last user byte */
        0x0000800000000000ull, /* first non-canonical */
        0x8000000000000000ull, /* non-canonical, high */
        0xffff800000000000ull, /* the kernel's physical map */
        0xffffffff80000000ull, /* the kernel image */
        0xffffffff80100000ull,
        0x0000700000000000ull, /* unmapped user */
        0xdeadbeefull,
        ~0ull,
        ~0ull - 4095,
        1ull << 40,
        MICA_IPC_BUFFER,
        MICA_IPC_BUFFER + 4095,
    };
    const unsigned nfixed = sizeof(fixed) / sizeof(fixed[0]);
    if (i < nfixed)
        return fixed[i];
    switch (i - nfixed) {
    case 0:
        return (uint64_t)(uintptr_t)scratch;
    case 1:
        return (uint64_t)(uintptr_t)scratch + 1; /* unaligned */
    case 2:
        return (uint64_t)(uintptr_t)readonly_page;
    default:
        return (uint64_t)(uintptr_t)&scratch[sizeof(scratch) - 8];
    }
}
#define HOSTILE_COUNT 27u

/* Threads the fuzzer starts park here for good, using no CPU. */
static void thread_sink(uint64_t arg, void *ipc_buffer)
{
    (void)arg;
    (void)ipc_buffer;
    for (;;) {
        struct mica_msg m;
        if (mica_recv(sink, &m, NULL, MICA_WAIT_FOREVER) != MICA_OK)
            mica_yield();
    }
}

/* Keeps one call from ending the run: see the file comment. */
static void defuse(struct worker *w, uint64_t nr, uint64_t a[6], uint64_t *timeout)
{
    uint64_t log = mica_log_handle(); /* our lines go through it */
    for (int i = 0; i < 6; i++)
        if (a[i] == service || a[i] == sink || a[i] == MICA_HANDLE_NS ||
            (done && a[i] == done) || (log && a[i] == log))
            a[i] = 0;
    /* Mostly non-blocking: a 1 ms timeout costs a whole 10 ms tick. */
    *timeout = (rng(w) % 64) == 0;
    /* Keep the serial contract clean of random bytes: the log only ever
     * gets pointers that must fail (unmapped, kernel, non-canonical). */
    if (nr == SYS_DEBUG_WRITE && a[0] < 0x0000800000000000ull)
        a[0] = 0x0000700000000000ull;
    if (nr == SYS_THREAD_CREATE) {
        a[0] = (uint64_t)(uintptr_t)thread_sink;
        unsigned k = __atomic_fetch_add(&next_stack, 1, __ATOMIC_RELAXED);
        a[1] = (uint64_t)(uintptr_t)thread_stacks[k % THREAD_STACKS] + 4096;
    }
}

/* Every worker back on its own CPU (a fuzzed affinity call may have moved
 * any thread of the task). */
static void pin_workers(void)
{
    for (unsigned i = 0; i < worker_count; i++)
        if (workers[i].pinned == MICA_OK)
            (void)mica_thread_affinity(workers[i].slot, 1ull << workers[i].cpu);
}

static long raw_syscall(uint64_t nr, const uint64_t a[6], uint64_t timeout)
{
    uint64_t regs[6] = {a[0], a[1], a[2], a[3], a[4], a[5]};
    return mica_raw_syscall(nr, regs, timeout);
}

static void log_line(const char *s)
{
    mica_debug_write(s, strlen(s));
}

static void one_call(struct worker *w, uint64_t nr, uint64_t a[6])
{
    struct tally *t = &w->t;
    uint64_t timeout;
    if (nr == SYS_EXIT)
        nr = SYS_YIELD;
    defuse(w, nr, a, &timeout);
    long st = raw_syscall(nr, a, timeout);
    if (nr == SYS_THREAD_AFFINITY)
        pin_workers();
    t->calls++;
    if (st < 0)
        t->errors++;
    else
        t->ok++;
    if (t->calls % FUZZ_HEARTBEAT == 0) {
        char line[64];
        snprintf(line, sizeof(line), "fuzz: heartbeat calls=%llu\n",
                 (unsigned long long)t->calls);
        log_line(line);
    }
}

/* Every number (and some past the table), each hostile value in each
 * argument position, the other arguments random hostile values. */
static void sweep(struct worker *w)
{
    static const uint64_t beyond[] = {1000, 1ull << 32, ~0ull};
    for (uint64_t nr = 0; nr < SYS_COUNT + SWEEP_EXTRA + 3; nr++) {
        uint64_t number =
            nr < SYS_COUNT + SWEEP_EXTRA ? nr : beyond[nr - SYS_COUNT - SWEEP_EXTRA];
        for (int pos = 0; pos < 6; pos++) {
            for (unsigned v = 0; v < HOSTILE_COUNT; v++) {
                uint64_t a[6];
                for (int i = 0; i < 6; i++)
                    a[i] = hostile((unsigned)(rng(w) % HOSTILE_COUNT));
                a[pos] = hostile(v);
                one_call(w, number, a);
            }
        }
    }
}

static uint64_t random_arg(struct worker *w)
{
    switch (rng(w) % 4) {
    case 0:
        return rng(w) % 70; /* handle numbers, small counts */
    case 1:
        return rng(w);
    default:
        return hostile((unsigned)(rng(w) % HOSTILE_COUNT));
    }
}

static void random_calls(struct worker *w, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t nr = (rng(w) % 8) ? rng(w) % SYS_COUNT : rng(w) % 1000;
        uint64_t a[6];
        for (int k = 0; k < 6; k++)
            a[k] = random_arg(w);
        one_call(w, nr, a);
    }
}

/* ---- Several workers. */

static volatile bool go;              /* every worker pinned: start fuzzing */
static volatile unsigned ready_count; /* workers pinned and waiting for go */

/* The CPU TASK_INFO reports for thread slot k of this task. */
static unsigned cpu_of_slot(uint64_t k)
{
    struct mica_task_info ti;
    return mica_task_find(mica_self_id(), &ti) && k < 8 ? ti.thread_cpu[k]
                                                        : MICA_CPU_NONE;
}

/* The n-th online CPU (counting round), MICA_CPU_NONE with fewer than two:
 * one CPU leaves nothing to spread over. */
static unsigned nth_cpu(unsigned n)
{
    struct mica_cpu_info ci;
    unsigned ids[64], count = 0;
    for (uint32_t i = 0; count < 64 && mica_cpu_info(i, &ci) == MICA_OK; i++)
        if (ci.state == MICA_CPU_ONLINE && ci.id < 64)
            ids[count++] = ci.id;
    return count < 2 ? MICA_CPU_NONE : ids[n % count];
}

/* Thread k's IPC buffer is MICA_IPC_BUFFER - k pages (mica/abi.h). */
static void pin_self(struct worker *w, unsigned index, void *ipc_buffer)
{
    w->slot = (MICA_IPC_BUFFER - (uint64_t)(uintptr_t)ipc_buffer) / 4096;
    w->cpu = nth_cpu(index);
    w->pinned = w->cpu == MICA_CPU_NONE
                    ? MICA_ENOENT
                    : mica_thread_affinity(MICA_THREAD_SELF, 1ull << w->cpu);
    w->seen_cpu = cpu_of_slot(w->slot);
}

/* The calls a worker owes end here: one taken by a fuzzed receive is
 * answered, saved ones (reply handles) are dropped, which answers them
 * MICA_ELOST. Otherwise a worker blocked in such a call would never end. */
static void answer_owed(void)
{
    struct mica_msg lost = {MICA_REPLY_INFO(MICA_ELOST, 0), {0}};
    (void)mica_reply(&lost);
    for (uint64_t h = 2; h < 64; h++) {
        struct mica_handle_info hi;
        if (h != MICA_HANDLE_SELF && mica_handle_info(h, &hi) == MICA_OK &&
            hi.type == MICA_OBJ_REPLY)
            (void)mica_handle_close(h);
    }
}

static void campaign(struct worker *w, uint64_t calls)
{
    sweep(w);
    random_calls(w, calls);
    w->end_cpu = cpu_of_slot(w->slot);
}

static uint64_t worker_calls;

static void worker_main(uint64_t index, void *ipc_buffer)
{
    struct worker *w = &workers[index];
    pin_self(w, (unsigned)index, ipc_buffer);
    __atomic_add_fetch(&ready_count, 1, __ATOMIC_SEQ_CST);
    while (!go)
        mica_yield();
    campaign(w, worker_calls);
    answer_owed();
    (void)mica_notify_signal(done, 1ull << index);
    thread_sink(0, NULL);
}

/* Starts workers 1.. and waits until each has pinned itself; false if a
 * thread could not be made. */
static bool start_workers(char *line, size_t size)
{
    for (unsigned i = 1; i < worker_count; i++) {
        long k = mica_thread_create(worker_main, worker_stacks[i] + WORKER_STACK, i);
        if (k <= 0) {
            snprintf(line, size, "fuzz: worker %u: no thread: %s\n", i,
                     mica_status_name(k));
            return false;
        }
    }
    pin_self(&workers[0], 0, mica_ipc_buffer());
    while (ready_count < worker_count - 1)
        mica_yield();
    return true;
}

static void report_workers(bool at_end)
{
    char line[128];
    for (unsigned i = 0; i < worker_count; i++) {
        struct worker *w = &workers[i];
        unsigned cpu = at_end ? w->end_cpu : w->seen_cpu;
        if (at_end)
            snprintf(line, sizeof(line), "fuzz: worker %u done calls=%llu cpu=%u\n", i,
                     (unsigned long long)w->t.calls, cpu);
        else if (w->pinned == MICA_OK)
            snprintf(line, sizeof(line), "fuzz: worker %u cpu=%u\n", i, cpu);
        else
            snprintf(line, sizeof(line), "fuzz: worker %u cpu=%u unpinned (%s)\n", i, cpu,
                     mica_status_name(w->pinned));
        log_line(line);
    }
}

/* Waits for workers 1.. to signal that they are done. */
static void join_workers(void)
{
    uint64_t want = 0, got = 0, bits;
    for (unsigned i = 1; i < worker_count; i++)
        want |= 1ull << i;
    while ((got & want) != want) {
        answer_owed();
        if (mica_notify_wait(done, &bits, 1000) == MICA_OK)
            got |= bits;
    }
}

static struct tally run(uint64_t seed, uint64_t calls)
{
    struct tally t = {0};
    char line[128];
    for (unsigned i = 0; i < worker_count; i++)
        workers[i].rng = seed + i ? seed + i : 0x9e3779b97f4a7c15ull;
    if (worker_count == 1)
        snprintf(line, sizeof(line), "fuzz: seed=%llu calls=%llu\n",
                 (unsigned long long)seed, (unsigned long long)calls);
    else
        snprintf(line, sizeof(line), "fuzz: seed=%llu calls=%llu workers=%u\n",
                 (unsigned long long)seed, (unsigned long long)calls, worker_count);
    log_line(line);
    worker_calls = calls;
    if (worker_count > 1) {
        if (start_workers(line, sizeof(line))) {
            report_workers(false);
            go = true;
        } else {
            log_line(line);
            worker_count = 1; /* the workers made so far wait for go for ever */
        }
    }
    campaign(&workers[0], calls);
    if (worker_count > 1) {
        join_workers();
        report_workers(true);
    }
    for (unsigned i = 0; i < worker_count; i++) {
        t.calls += workers[i].t.calls;
        t.ok += workers[i].t.ok;
        t.errors += workers[i].t.errors;
    }
    snprintf(line, sizeof(line), "fuzz: done seed=%llu calls=%llu ok=%llu errors=%llu\n",
             (unsigned long long)seed, (unsigned long long)t.calls,
             (unsigned long long)t.ok, (unsigned long long)t.errors);
    log_line(line);
    return t;
}

/* The two phases of a run, each a server loop (mica/server.h) that ends
 * with the request it waits for: the first valid FUZZ_RUN, then the first
 * FUZZ_WAIT, answered with the tally (other requests meanwhile: EBUSY). */
static uint64_t run_seed, run_calls;
static struct tally result;

static enum server_next await_run(struct server_request *rq)
{
    const struct mica_msg *m = &rq->msg;
    bool valid = m->info == MICA_INFO(FUZZ_RUN, 0) && m->w[1] >= 1 &&
                 m->w[1] <= FUZZ_MAX_CALLS && m->w[2] <= FUZZ_MAX_WORKERS &&
                 server_words_zero(rq, 3);
    if (!valid)
        return server_status(rq, MICA_EINVAL);
    run_seed = m->w[0];
    run_calls = m->w[1];
    worker_count = m->w[2] ? (unsigned)m->w[2] : 1;
    return SERVER_REPLY_STOP;
}

static enum server_next await_wait(struct server_request *rq)
{
    if (rq->msg.info != MICA_INFO(FUZZ_WAIT, 0))
        return server_status(rq, MICA_EBUSY);
    rq->reply.w[0] = result.calls;
    rq->reply.w[1] = result.ok;
    rq->reply.w[2] = result.errors;
    return SERVER_REPLY_STOP;
}

int main(void)
{
    mica_log_open(); /* before the run: defuse() spares the handle */
    long ep = mica_endpoint_create();
    if (ep < 0 || ns_register("fuzzer", (uint64_t)ep) != MICA_OK) {
        log_line("mica: fuzzer: cannot register; exiting\n");
        return 1;
    }
    service = (uint64_t)ep;
    long sk = mica_endpoint_create();
    if (sk < 0) {
        log_line("mica: fuzzer: no endpoint for its threads; exiting\n");
        return 1;
    }
    sink = (uint64_t)sk;
    long dn = mica_notify_create();
    if (dn < 0) {
        log_line("mica: fuzzer: no notification for its workers; exiting\n");
        return 1;
    }
    done = (uint64_t)dn;
    struct server s = {.ep = service, .info_bits = SERVER_INFO_BITS, .handle = await_run};
    server_run(&s);
    result = run(run_seed, run_calls);
    s.handle = await_wait;
    server_run(&s);
    return 0; /* the kernel reclaims all we made; a new run is a new fuzzer */
}
