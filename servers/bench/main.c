/*
 * bench: the in-guest benchmarks (SPEC §10). An on-demand module: the
 * shell's `bench` command starts it, it runs every benchmark once, prints
 * one line per figure on the kernel log,
 *
 *   BENCH name=<name> iters=<n> cycles_median=<n> ns_median=<n>
 *         unit=<instructions|tsc> overhead=<n>
 *
 * (one line) and exits. The figures that need a second address space (ipc_rtt,
 * ipc_rtt_4k, notify_rtt) use benchpeer, which this task starts through
 * the name service and tells to exit at the end.
 *
 * Each benchmark runs warm-up iterations first (caches, TLB, the memory
 * server's first-use work), then times each of its iterations on its own
 * with the TSC and reports the median, which a timer tick or a stray
 * wake-up of another task inside a few iterations does not move. The TSC
 * rate comes from timing the TSC against the kernel's millisecond clock.
 * Under TCG the TSC is the host's (SPEC §11): the figures compare code
 * paths under the same emulator, not cycles of real hardware. Under QEMU's
 * `-icount shift=0` the TSC counts guest instructions, one each, and the
 * figures are exact instruction counts: `unit=instructions`, which this
 * task finds out itself (tsc_counts_instructions). `overhead` is the
 * median of an empty timed region (the two reads and their fences), and
 * is already subtracted from every sample, as sel4bench does. Nothing
 * here judges a figure; that is for people reading docs/performance.md.
 */
#include <mica/memory.h>
#include <mica/ns.h>
#include <mica/syscall.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "protocol.h"

#define ITERS          2000u /* timed iterations of the cheap benchmarks */
#define WARMUP         200u
#define PAGE_ITERS     500u /* page_map zeroes a page per iteration */
#define PAGE_WARMUP    50u
#define TSC_WINDOW_MS  200u /* the TSC is timed over this much wall time */
#define PEER_WAIT_MS   5000u
#define PEER_RETRY_MS  10u
#define NOTIFY_WAIT_MS 1000u
/* page_map's page: far from the heap (malloc.c) and the stacks. */
#define PAGE_VA 0x0000020000000000ull

/* ---- Time. */

/*
 * RDTSC is not serialising (SDM Vol. 2B, RDTSC; Vol. 3B §18.17): the CPU
 * may read the counter before earlier instructions have finished, or start
 * later ones before the read. LFENCE waits for every earlier instruction
 * to complete locally and keeps later ones from starting until it is done,
 * so "lfence; rdtsc; lfence" reads the counter exactly between what comes
 * before and what comes after. Both ends of a timed region use it: the
 * first lfence of the start keeps the set-up out, the last of the end keeps
 * the next iteration's work from being counted early. (RDTSCP only waits
 * for what comes before, and CPUID would add its own, larger, variable
 * cost; LFENCE exists on every x86_64 CPU.)
 */
static inline uint64_t tsc_read(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi)::"memory");
    return ((uint64_t)hi << 32) | lo;
}

/* Times `work` into *ticks (the timing's own cost is `overhead`). */
#define TIMED(ticks, work)                                                               \
    do {                                                                                 \
        uint64_t t0_ = tsc_read();                                                       \
        work;                                                                            \
        *(ticks) = tsc_read() - t0_;                                                     \
    } while (0)

static uint64_t tsc_khz;
static uint64_t overhead; /* of an empty timed region, subtracted */
static bool unit_instructions;

/* Whether the TSC counts instructions (QEMU -icount shift=0): then a
 * region with 2048 nops costs exactly 1024 more than one with 1024, every
 * time. On real hardware or plain TCG nops take a varying number of
 * cycles, never exactly one each five times in a row. */
static uint64_t nops_1024(void)
{
    uint64_t t0 = tsc_read();
    __asm__ volatile(".rept 1024\n\tnop\n\t.endr" ::: "memory");
    return tsc_read() - t0;
}

static uint64_t nops_2048(void)
{
    uint64_t t0 = tsc_read();
    __asm__ volatile(".rept 2048\n\tnop\n\t.endr" ::: "memory");
    return tsc_read() - t0;
}

static bool tsc_counts_instructions(void)
{
    for (unsigned trial = 0; trial < 5; trial++)
        if (nops_2048() - nops_1024() != 1024)
            return false;
    return true;
}

/* TSC ticks per millisecond: both ends of the window sit on a tick of the
 * millisecond clock, so the only error is the clock's own. */
static uint64_t measure_tsc_khz(void)
{
    uint64_t edge = mica_clock_ms();
    while (mica_clock_ms() == edge)
        ;
    uint64_t start_ms = mica_clock_ms(), start_tsc = tsc_read();
    uint64_t now;
    while ((now = mica_clock_ms()) < start_ms + TSC_WINDOW_MS)
        ;
    uint64_t khz = (tsc_read() - start_tsc) / (now - start_ms);
    return khz ? khz : 1;
}

/* ---- Statistics. */

static uint64_t samples[ITERS];

/* Shell sort: small, and quick enough for a few thousand samples. */
static void sort(uint64_t *v, unsigned n)
{
    for (unsigned gap = n / 2; gap > 0; gap /= 2) {
        for (unsigned i = gap; i < n; i++) {
            uint64_t x = v[i];
            unsigned j = i;
            for (; j >= gap && v[j - gap] > x; j -= gap)
                v[j] = v[j - gap];
            v[j] = x;
        }
    }
}

static uint64_t median(uint64_t *v, unsigned n)
{
    sort(v, n);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void log_line(const char *s)
{
    mica_debug_write(s, strlen(s));
}

/* The one output form (SPEC §8); ns from the measured TSC rate. */
static void report(const char *name, unsigned iters, uint64_t cycles, uint64_t ns,
                   uint64_t subtracted)
{
    char line[160];
    snprintf(line, sizeof(line),
             "BENCH name=%s iters=%u cycles_median=%llu ns_median=%llu unit=%s "
             "overhead=%llu\n",
             name, iters, (unsigned long long)cycles, (unsigned long long)ns,
             unit_instructions ? "instructions" : "tsc", (unsigned long long)subtracted);
    log_line(line);
}

static void fail(const char *name, const char *what, long st)
{
    char line[128];
    snprintf(line, sizeof(line), "bench: %s: %s failed: %s\n", name, what,
             mica_status_name(st));
    log_line(line);
}

/* ---- The runner. */

/* One benchmark: `op` is one iteration (MICA_OK or an error, which ends the
 * benchmark), which times itself: it reads the TSC right around the work
 * it measures (TIMED), so that neither the call of `op` nor the checks of
 * its result are counted; `per` is how many of the measured events one
 * iteration holds (ctx_switch times two switches at once). */
struct bench {
    const char *name;
    long (*op)(uint64_t *ticks);
    unsigned warmup, iters, per;
    long (*setup)(void);    /* may be NULL */
    void (*teardown)(void); /* may be NULL; runs whenever setup worked */
};

static long run_iterations(const struct bench *b)
{
    uint64_t d;
    for (unsigned i = 0; i < b->warmup; i++) {
        long st = b->op(&d);
        if (st != MICA_OK)
            return st;
    }
    for (unsigned i = 0; i < b->iters; i++) {
        long st = b->op(&d);
        if (st != MICA_OK)
            return st;
        samples[i] = (d > overhead ? d - overhead : 0) / b->per;
    }
    return MICA_OK;
}

/* The cost of timing itself: the median of empty timed regions. */
static uint64_t measure_overhead(void)
{
    for (unsigned i = 0; i < ITERS; i++)
        TIMED(&samples[i], (void)0);
    return median(samples, ITERS);
}

static void run(const struct bench *b)
{
    long st = b->setup ? b->setup() : MICA_OK;
    if (st != MICA_OK) {
        fail(b->name, "setup", st);
        return;
    }
    st = run_iterations(b);
    if (b->teardown)
        b->teardown();
    if (st != MICA_OK) {
        fail(b->name, "an iteration", st);
        return;
    }
    uint64_t cycles = median(samples, b->iters);
    report(b->name, b->iters, cycles, cycles * 1000000 / tsc_khz, overhead);
}

/* ---- null_syscall: the cheapest round trip into the kernel and back. */

/* A number past the table: the kernel enters, checks the number, and
 * leaves with MICA_ENOSYS, so this is entry and exit and nothing else.
 * The registers the kernel may write are declared as such (as libc-mini's
 * wrapper does), so that the figure holds whatever the entry path keeps. */
static long op_null_syscall(uint64_t *ticks)
{
    uint64_t rax = SYS_COUNT;
    register uint64_t rdi __asm__("rdi") = 0;
    register uint64_t rsi __asm__("rsi") = 0;
    register uint64_t rdx __asm__("rdx") = 0;
    register uint64_t r10 __asm__("r10") = 0;
    register uint64_t r8 __asm__("r8") = 0;
    register uint64_t r9 __asm__("r9") = 0;
    TIMED(ticks, __asm__ volatile("syscall"
                                  : "+a"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10),
                                    "+r"(r8), "+r"(r9)
                                  :
                                  : "rcx", "r11", "memory", "cc"));
    return (long)rax == MICA_ENOSYS ? MICA_OK : MICA_EINVAL;
}

/* ---- The partner task. */

static uint64_t peer_ep; /* our send handle to benchpeer; 0: not reached */
static uint64_t peer_id;

/* Whether `h` leads to the benchpeer we started (and not, say, one of an
 * earlier run that has not quite gone yet). */
static bool is_our_peer(uint64_t h)
{
    struct mica_msg req = {MICA_INFO(PEER_HELLO, 0), {0}}, reply;
    return mica_call(h, &req, &reply, NOTIFY_WAIT_MS) == MICA_OK &&
           MICA_REPLY_STATUS(reply.info) == MICA_OK && reply.w[0] == peer_id;
}

/* Starts benchpeer and waits until it has registered. */
static long peer_start(void)
{
    long st = ns_spawn(PEER_NAME, &peer_id);
    if (st != MICA_OK)
        return st;
    uint64_t deadline = mica_clock_ms() + PEER_WAIT_MS;
    while (mica_clock_ms() < deadline) {
        uint64_t h;
        st = ns_lookup(PEER_NAME, &h);
        if (st == MICA_OK && is_our_peer(h)) {
            peer_ep = h;
            return MICA_OK;
        }
        if (st == MICA_OK)
            mica_handle_close(h);
        else if (st != MICA_ENOENT)
            return st;
        mica_sleep_ms(PEER_RETRY_MS);
    }
    return MICA_ETIMEOUT;
}

/* Tells benchpeer to exit and waits until it has, so that a next run can
 * register the name again at once. */
static void peer_stop(void)
{
    struct mica_msg req = {MICA_INFO(PEER_EXIT, 0), {0}}, reply;
    if (mica_call(peer_ep, &req, &reply, NOTIFY_WAIT_MS) != MICA_OK)
        log_line("bench: benchpeer did not take its exit request\n");
    uint64_t deadline = mica_clock_ms() + NOTIFY_WAIT_MS;
    while (mica_task_find(peer_id, NULL) && mica_clock_ms() < deadline)
        mica_sleep_ms(PEER_RETRY_MS);
    mica_handle_close(peer_ep);
    peer_ep = 0;
}

static long peer_needed(void)
{
    return peer_ep ? MICA_OK : MICA_ENOENT;
}

/* ---- ipc_rtt, ipc_rtt_4k: call into benchpeer, which answers with
 * reply_recv: two kernel entries, two address-space switches. */

static long echo(uint32_t len, uint64_t *ticks)
{
    struct mica_msg req = {MICA_INFO(PEER_ECHO, len), {0}}, reply;
    long st;
    TIMED(ticks, st = mica_call(peer_ep, &req, &reply, MICA_WAIT_FOREVER));
    if (st != MICA_OK)
        return st;
    if (MICA_REPLY_STATUS(reply.info) != MICA_OK)
        return MICA_REPLY_STATUS(reply.info);
    return MICA_INFO_LEN(reply.info) == len ? MICA_OK : MICA_EINVAL;
}

static long op_ipc_rtt(uint64_t *ticks)
{
    return echo(0, ticks);
}

static long op_ipc_rtt_4k(uint64_t *ticks)
{
    return echo(MICA_IPC_PAYLOAD_MAX, ticks);
}

/* A pattern in the whole IPC buffer, so that the copy moves real data. */
static long fill_payload(void)
{
    uint8_t *p = mica_ipc_buffer();
    for (unsigned i = 0; i < MICA_IPC_PAYLOAD_MAX; i++)
        p[i] = (uint8_t)(i * 7 + 1);
    return peer_needed();
}

/* ---- notify_rtt: signal benchpeer's notification, wait on ours for its
 * answer. The wait has a timeout so that a dead partner cannot hang the
 * run; that costs the kernel one clock read per iteration. */

static uint64_t my_ntf, peer_ntf;

static long op_notify_rtt(uint64_t *ticks)
{
    uint64_t bits = 0;
    long sent, st;
    TIMED(ticks, sent = mica_notify_signal(peer_ntf, PEER_BIT_PING);
          st = sent == MICA_OK ? mica_notify_wait(my_ntf, &bits, NOTIFY_WAIT_MS) : sent);
    if (st != MICA_OK)
        return st;
    return bits == PEER_BIT_PONG ? MICA_OK : MICA_EINVAL;
}

/* Trades notifications with benchpeer: it gets a copy of ours that can
 * only signal, we get the like of its own. */
static long notify_setup(void)
{
    long st = peer_needed();
    if (st != MICA_OK)
        return st;
    long ntf = mica_notify_create();
    if (ntf < 0)
        return ntf;
    long grant = mica_handle_copy((uint64_t)ntf, MICA_RIGHT_SEND | MICA_RIGHT_GRANT, 0);
    if (grant < 0) {
        mica_handle_close((uint64_t)ntf);
        return grant;
    }
    struct mica_msg req = {MICA_INFO(PEER_NOTIFY, 0) | MICA_INFO_HANDLE,
                           {(uint64_t)grant}},
                    reply;
    st = mica_call(peer_ep, &req, &reply, NOTIFY_WAIT_MS);
    mica_handle_close((uint64_t)grant); /* benchpeer holds its own copy now */
    if (st == MICA_OK)
        st = MICA_REPLY_STATUS(reply.info);
    if (st == MICA_OK && (!(reply.info & MICA_INFO_HANDLE) || reply.w[0] == 0))
        st = MICA_ENOMEM; /* our handle table was full */
    if (st != MICA_OK) {
        mica_handle_close((uint64_t)ntf);
        return st;
    }
    my_ntf = (uint64_t)ntf;
    peer_ntf = reply.w[0];
    return MICA_OK;
}

/* Ends benchpeer's ping-pong; its last answer is taken so that it is back
 * at its endpoint before the next request. */
static void notify_teardown(void)
{
    uint64_t bits;
    if (mica_notify_signal(peer_ntf, PEER_BIT_STOP) != MICA_OK ||
        mica_notify_wait(my_ntf, &bits, NOTIFY_WAIT_MS) != MICA_OK)
        log_line("bench: benchpeer did not end its notification loop\n");
    mica_handle_close(peer_ntf);
    mica_handle_close(my_ntf);
}

/* ---- ctx_switch: two threads of this task yield to each other. One
 * iteration is our yield, the other thread's yield, and the two switches
 * between us (no address-space switch); the figure is half of it: one
 * yield with its switch. Nothing else of ours is ready meanwhile, so each
 * yield picks the other thread (both have the task's priority). */

enum { YIELDER_OFF, YIELDER_RUNNING, YIELDER_STOP, YIELDER_PARKED };
static volatile int yielder_state;
static uint64_t park_ntf;
static uint8_t yielder_stack[8192] __attribute__((aligned(16)));

static void yielder(uint64_t arg, void *ipc_buffer)
{
    (void)arg;
    (void)ipc_buffer;
    yielder_state = YIELDER_RUNNING;
    while (yielder_state == YIELDER_RUNNING)
        mica_yield();
    yielder_state = YIELDER_PARKED;
    /* A thread may not return; nobody signals this, and the task's exit
     * ends it. */
    for (;;) {
        uint64_t bits;
        (void)mica_notify_wait(park_ntf, &bits, MICA_WAIT_FOREVER);
    }
}

static long ctx_setup(void)
{
    long ntf = mica_notify_create();
    if (ntf < 0)
        return ntf;
    park_ntf = (uint64_t)ntf;
    long st = mica_thread_create(yielder, yielder_stack + sizeof(yielder_stack), 0);
    if (st < 0)
        return st;
    while (yielder_state != YIELDER_RUNNING)
        mica_yield();
    return MICA_OK;
}

static void ctx_teardown(void)
{
    yielder_state = YIELDER_STOP;
    while (yielder_state != YIELDER_PARKED)
        mica_yield();
}

static long op_ctx_switch(uint64_t *ticks)
{
    TIMED(ticks, mica_yield());
    return MICA_OK;
}

/* ---- page_map: a fresh page mapped and unmapped through the memory
 * server: two calls, and the server's map (with zeroing) and unmap. */

static long op_page_map(uint64_t *ticks)
{
    long st, freed = 0;
    TIMED(ticks, st = mem_alloc(PAGE_VA, 1, MICA_MAP_WRITE);
          freed = st == MICA_OK ? mem_free(PAGE_VA, 1) : st);
    if (st != MICA_OK)
        return st;
    return freed == 1 ? MICA_OK : (freed < 0 ? freed : MICA_EINVAL);
}

/* ---- boot: kernel entry to all boot servers up, as init measured it. */

/* One sample, taken by init: the figure of its `mica: ready` line. */
static void report_boot(void)
{
    uint64_t ms;
    long st = ns_boot_ms(&ms);
    if (st != MICA_OK) {
        fail("boot", "asking init for boot_ms", st);
        return;
    }
    report("boot", 1, ms * tsc_khz, ms * 1000000, 0); /* not a timed region */
}

static const struct bench benches[] = {
    {"null_syscall", op_null_syscall, WARMUP, ITERS, 1, NULL, NULL},
    {"ipc_rtt", op_ipc_rtt, WARMUP, ITERS, 1, peer_needed, NULL},
    {"ipc_rtt_4k", op_ipc_rtt_4k, WARMUP, ITERS, 1, fill_payload, NULL},
    {"notify_rtt", op_notify_rtt, WARMUP, ITERS, 1, notify_setup, notify_teardown},
    {"ctx_switch", op_ctx_switch, WARMUP, ITERS, 2, ctx_setup, ctx_teardown},
    {"page_map", op_page_map, PAGE_WARMUP, PAGE_ITERS, 1, NULL, NULL},
};

int main(void)
{
    log_line("bench: measuring the TSC rate\n");
    tsc_khz = measure_tsc_khz();
    unit_instructions = tsc_counts_instructions();
    overhead = measure_overhead();
    long st = peer_start();
    if (st != MICA_OK)
        fail("benchpeer", "start", st);
    for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
        run(&benches[i]);
    report_boot();
    if (peer_ep)
        peer_stop();
    log_line("bench: done\n");
    return 0;
}
