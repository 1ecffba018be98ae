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

static uint64_t service; /* our endpoint: never fuzzed */
static uint64_t sink;    /* where extra threads park: never fuzzed */
static uint8_t scratch[2 * 4096] __attribute__((aligned(4096)));
static const uint8_t readonly_page[64] = {1};
static uint8_t thread_stacks[THREAD_STACKS][4096] __attribute__((aligned(16)));
static unsigned next_stack;

/* xorshift64*: small, fast and reproducible from the seed. */
static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
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
static void defuse(uint64_t nr, uint64_t a[6], uint64_t *timeout)
{
    uint64_t log = mica_log_handle(); /* our lines go through it */
    for (int i = 0; i < 6; i++)
        if (a[i] == service || a[i] == sink || a[i] == MICA_HANDLE_NS ||
            (log && a[i] == log))
            a[i] = 0;
    /* Mostly non-blocking: a 1 ms timeout costs a whole 10 ms tick. */
    *timeout = (rng() % 64) == 0;
    /* Keep the serial contract clean of random bytes: the log only ever
     * gets pointers that must fail (unmapped, kernel, non-canonical). */
    if (nr == SYS_DEBUG_WRITE && a[0] < 0x0000800000000000ull)
        a[0] = 0x0000700000000000ull;
    if (nr == SYS_THREAD_CREATE) {
        a[0] = (uint64_t)(uintptr_t)thread_sink;
        a[1] = (uint64_t)(uintptr_t)thread_stacks[next_stack++ % THREAD_STACKS] + 4096;
    }
}

struct tally {
    uint64_t calls, ok, errors;
};

static long raw_syscall(uint64_t nr, const uint64_t a[6], uint64_t timeout)
{
    uint64_t regs[6] = {a[0], a[1], a[2], a[3], a[4], a[5]};
    return mica_raw_syscall(nr, regs, timeout);
}

static void log_line(const char *s)
{
    mica_debug_write(s, strlen(s));
}

static void one_call(struct tally *t, uint64_t nr, uint64_t a[6])
{
    uint64_t timeout;
    if (nr == SYS_EXIT)
        nr = SYS_YIELD;
    defuse(nr, a, &timeout);
    long st = raw_syscall(nr, a, timeout);
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
static void sweep(struct tally *t)
{
    static const uint64_t beyond[] = {1000, 1ull << 32, ~0ull};
    for (uint64_t nr = 0; nr < SYS_COUNT + SWEEP_EXTRA + 3; nr++) {
        uint64_t number =
            nr < SYS_COUNT + SWEEP_EXTRA ? nr : beyond[nr - SYS_COUNT - SWEEP_EXTRA];
        for (int pos = 0; pos < 6; pos++) {
            for (unsigned v = 0; v < HOSTILE_COUNT; v++) {
                uint64_t a[6];
                for (int i = 0; i < 6; i++)
                    a[i] = hostile((unsigned)(rng() % HOSTILE_COUNT));
                a[pos] = hostile(v);
                one_call(t, number, a);
            }
        }
    }
}

static uint64_t random_arg(void)
{
    switch (rng() % 4) {
    case 0:
        return rng() % 70; /* handle numbers, small counts */
    case 1:
        return rng();
    default:
        return hostile((unsigned)(rng() % HOSTILE_COUNT));
    }
}

static void random_calls(struct tally *t, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t nr = (rng() % 8) ? rng() % SYS_COUNT : rng() % 1000;
        uint64_t a[6];
        for (int k = 0; k < 6; k++)
            a[k] = random_arg();
        one_call(t, nr, a);
    }
}

static struct tally run(uint64_t seed, uint64_t calls)
{
    struct tally t = {0};
    char line[96];
    rng_state = seed ? seed : 0x9e3779b97f4a7c15ull;
    snprintf(line, sizeof(line), "fuzz: seed=%llu calls=%llu\n", (unsigned long long)seed,
             (unsigned long long)calls);
    log_line(line);
    sweep(&t);
    random_calls(&t, calls);
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
                 m->w[1] <= FUZZ_MAX_CALLS && server_words_zero(rq, 2);
    if (!valid)
        return server_status(rq, MICA_EINVAL);
    run_seed = m->w[0];
    run_calls = m->w[1];
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
    struct server s = {.ep = service, .info_bits = SERVER_INFO_BITS, .handle = await_run};
    server_run(&s);
    result = run(run_seed, run_calls);
    s.handle = await_wait;
    server_run(&s);
    return 0; /* the kernel reclaims all we made; a new run is a new fuzzer */
}
