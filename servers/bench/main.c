/*
 * bench: the in-guest benchmarks (SPEC §10). An on-demand module: the
 * shell's `bench` command starts it, it runs every benchmark once, prints
 * one line per figure on the kernel log,
 *
 *   BENCH name=<name> iters=<n> cycles_median=<n> ns_median=<n>
 *         unit=<instructions|tsc> overhead=<n>
 *
 * (one line) and exits. The figures that need a second address space (ipc_rtt,
 * ipc_rtt_4k, ipc_rtt_xcpu, notify_rtt, ipc_throughput) use benchpeer,
 * which this task starts through the name service and tells to exit at
 * the end.
 *
 * With more than one CPU that runs tasks, this task's threads and
 * benchpeer's are pinned to CPU 0 (SYS_THREAD_AFFINITY), so that the
 * figures mean what they meant on one CPU, but for two: ipc_rtt_xcpu is
 * ipc_rtt with benchpeer on CPU 1, and ipc_throughput runs n
 * client/server pairs at once, pair i on CPU i, and prints a line of its
 * own per n,
 *
 *   BENCH name=ipc_throughput cpus=<n> iters=<calls> calls_per_s=<n>
 *
 * (calls: completed within the window). A figure that cannot be taken
 * (one CPU, or the kernel refuses the pin) is skipped with a
 * `bench: <name> skipped cpus=<n>...` line.
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
#define CPUS_MAX       8u /* bits of a CPU mask (MICA_CPUS_ALL) */
/* ipc_throughput: a warm-up, then the window the calls are counted in,
 * both in wall time; then how long the pairs may take to report. */
#define TP_WARMUP_MS 100u
#define TP_WINDOW_MS 300u
#define TP_ROUNDS    5u /* passes; the best of each kept (run_throughput) */
#define TP_REPORT_MS 2000u
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

/* ---- CPUs. */

/* The CPUs that run tasks, by their SYS_CPU_INFO numbers: the pairs of
 * ipc_throughput and the other side of ipc_rtt_xcpu go on these. */
static unsigned ncpus;
static uint32_t cpu_ids[CPUS_MAX];
/* Whether threads are pinned (more than one CPU, and the kernel took the
 * first pin): else every thread runs where the kernel puts it, which
 * with one CPU is the same. */
static bool pinned;
static long pin_status = MICA_OK; /* why not, when ncpus > 1 */

static void find_cpus(void)
{
    struct mica_cpu_info c;
    for (uint32_t i = 0; ncpus < CPUS_MAX && mica_cpu_info(i, &c) == MICA_OK; i++)
        if (c.state == MICA_CPU_ONLINE && c.runs_tasks && c.id < CPUS_MAX)
            cpu_ids[ncpus++] = c.id;
    if (ncpus == 0) /* an older kernel: there is the one we run on */
        cpu_ids[ncpus++] = 0;
}

static uint64_t cpu_mask(unsigned i)
{
    return 1ull << cpu_ids[i];
}

/* Pins thread `k` of this task (MICA_THREAD_SELF: the caller) to the
 * i-th CPU, when pinning is on. */
static long pin(uint64_t k, unsigned i)
{
    return pinned ? mica_thread_affinity(k, cpu_mask(i)) : MICA_OK;
}

/* The CPU task `id`'s thread slot k was last on (MICA_CPU_NONE: none). */
static unsigned thread_cpu(uint64_t id, unsigned k)
{
    struct mica_task_info ti;
    if (!mica_task_find(id, &ti) || k >= sizeof(ti.thread_cpu))
        return MICA_CPU_NONE;
    return ti.thread_cpu[k];
}

/* The line of a figure that needs `want` CPUs and cannot be taken. */
static void skipped(const char *name, unsigned want)
{
    char line[128];
    if (ncpus < want)
        snprintf(line, sizeof(line), "bench: %s skipped cpus=%u\n", name, ncpus);
    else
        snprintf(line, sizeof(line), "bench: %s skipped cpus=%u: thread affinity: %s\n",
                 name, ncpus, mica_status_name(pin_status));
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

/* What a setup returns for a figure this machine cannot give; it has
 * said so itself (skipped). */
#define SKIPPED 1

static void run(const struct bench *b)
{
    long st = b->setup ? b->setup() : MICA_OK;
    if (st == SKIPPED)
        return;
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

/* Pins benchpeer's main thread, the one that answers peer_ep, to the
 * CPUs of `cpus`. */
static long peer_pin(uint64_t cpus)
{
    struct mica_msg req = {MICA_INFO(PEER_PIN, 0), {cpus}}, reply;
    long st = mica_call(peer_ep, &req, &reply, NOTIFY_WAIT_MS);
    return st == MICA_OK ? MICA_REPLY_STATUS(reply.info) : st;
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

/* ---- ipc_rtt_xcpu: ipc_rtt with benchpeer on CPU 1, we on CPU 0: each
 * half of the round trip makes a thread ready on the other CPU, which has
 * to notice, instead of a switch on our own. */

static long xcpu_setup(void)
{
    long st = peer_needed();
    if (st != MICA_OK)
        return st;
    if (ncpus < 2 || !pinned) {
        skipped("ipc_rtt_xcpu", 2);
        return SKIPPED;
    }
    st = peer_pin(cpu_mask(1));
    if (st != MICA_OK)
        return st;
    /* That the kernel took the pins is what the figure rests on: look. */
    unsigned mine = thread_cpu(mica_self_id(), 0), its = thread_cpu(peer_id, 0);
    if (mine == cpu_ids[0] && its == cpu_ids[1])
        return MICA_OK;
    char line[128];
    snprintf(
        line, sizeof(line),
        "bench: ipc_rtt_xcpu: bench is on cpu %u, benchpeer on cpu %u, not %u and %u\n",
        mine, its, cpu_ids[0], cpu_ids[1]);
    log_line(line);
    (void)peer_pin(cpu_mask(0));
    return MICA_EINVAL;
}

static void xcpu_teardown(void)
{
    long st = peer_pin(cpu_mask(0));
    if (st != MICA_OK)
        fail("ipc_rtt_xcpu", "pinning benchpeer back to cpu 0", st);
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

static void ctx_teardown(void)
{
    yielder_state = YIELDER_STOP;
    while (yielder_state != YIELDER_PARKED)
        mica_yield();
}

static long ctx_setup(void)
{
    long ntf = mica_notify_create();
    if (ntf < 0)
        return ntf;
    park_ntf = (uint64_t)ntf;
    long k = mica_thread_create(yielder, yielder_stack + sizeof(yielder_stack), 0);
    if (k < 0)
        return k;
    /* On our CPU, or each yield would find nothing else to run. */
    long st = pin((uint64_t)k, 0);
    while (yielder_state != YIELDER_RUNNING)
        mica_yield();
    if (st != MICA_OK)
        ctx_teardown(); /* parked: no spinning on another CPU */
    return st;
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

/* ---- ipc_throughput: n client/server pairs at once, for n = 1, 2, ...
 * up to the CPUs that run tasks. Pair i is a client thread of ours and a
 * server thread of benchpeer (PEER_SERVE) with an endpoint of its own,
 * both pinned to CPU i; the client calls, the server answers with
 * reply_recv, as in ipc_rtt. The pairs share nothing but the kernel, so
 * with a host core per CPU n pairs would ideally make n times the calls
 * of one: what they make less shows what the kernel's locks and shared
 * data cost.
 *
 * The window is fixed in TSC ticks before the pairs start, and each
 * client counts its own calls that end inside it: nothing is asked of
 * this thread (which shares CPU 0 with pair 0) while the pairs run, and
 * all pairs count over the same wall time. The TSC is one clock for all
 * CPUs: TCG keeps one for the machine, and hardware with an invariant TSC
 * starts them together (SDM Vol. 3B §18.17). */

#define PAIRS_MAX 6u /* our thread slots (8) less main and the yielder */

struct pair {
    uint64_t ep;                /* a send handle to the pair's server */
    uint64_t go;                /* the client waits on this for each round */
    long thread;                /* the client's slot in this task */
    long server;                /* the server's slot in benchpeer */
    uint64_t calls;             /* of the last round: calls that ended in the window */
    long status;                /* of the last round */
} __attribute__((aligned(64))); /* a cache line each: the CPUs write their own */

static struct pair pairs[PAIRS_MAX];
static unsigned npairs;
static uint64_t done_ntf; /* bit i: client i has finished its round */
static volatile uint64_t window_start, window_end;
static uint8_t client_stacks[PAIRS_MAX][8192] __attribute__((aligned(16)));

/* One round of one client: calls until the window has passed. */
static long client_round(struct pair *p)
{
    struct mica_msg req = {MICA_INFO(PEER_ECHO, 0), {0}}, reply;
    uint64_t calls = 0, start = window_start, end = window_end;
    long st;
    do {
        st = mica_call(p->ep, &req, &reply, MICA_WAIT_FOREVER);
        uint64_t now = tsc_read();
        if (st == MICA_OK)
            st = MICA_REPLY_STATUS(reply.info);
        if (now >= end)
            break;
        if (now >= start)
            calls++;
    } while (st == MICA_OK);
    p->calls = calls;
    return st;
}

/* A client thread: a round per signal on its `go`, then a signal on
 * done_ntf. Its results are written before that signal, and the main
 * thread reads them after its wait has taken it: the notification's
 * hand-over in the kernel orders the two. A thread may not return; the
 * task's exit ends it. */
static void client(uint64_t i, void *ipc_buffer)
{
    (void)ipc_buffer;
    struct pair *p = &pairs[i];
    for (;;) {
        uint64_t bits;
        long st = mica_notify_wait(p->go, &bits, MICA_WAIT_FOREVER);
        p->status = st == MICA_OK ? client_round(p) : st;
        (void)mica_notify_signal(done_ntf, 1ull << i);
        if (st != MICA_OK)
            mica_sleep_ms(NOTIFY_WAIT_MS); /* no spin on a broken notification */
    }
}

/* Pair i: its server from benchpeer, its notification, its client. */
static long pair_setup(unsigned i)
{
    struct pair *p = &pairs[i];
    struct mica_msg req = {MICA_INFO(PEER_SERVE, 0), {pinned ? cpu_mask(i) : 0}}, reply;
    long st = mica_call(peer_ep, &req, &reply, NOTIFY_WAIT_MS);
    if (st == MICA_OK)
        st = MICA_REPLY_STATUS(reply.info);
    if (st == MICA_OK && (!(reply.info & MICA_INFO_HANDLE) || reply.w[0] == 0))
        st = MICA_ENOMEM; /* our handle table was full */
    if (st != MICA_OK)
        return st;
    p->ep = reply.w[0];
    p->server = (long)reply.w[1];
    long go = mica_notify_create();
    if (go < 0)
        return go;
    p->go = (uint64_t)go;
    p->thread =
        mica_thread_create(client, client_stacks[i] + sizeof(client_stacks[i]), i);
    if (p->thread < 0)
        return p->thread;
    npairs++; /* it has a thread to stop and a server to answer it */
    return pin((uint64_t)p->thread, i);
}

/* That pair i's two threads ran where they were pinned: the figure rests
 * on it, and only the kernel's word (TASK_INFO) tells. */
static bool pair_placed(unsigned i)
{
    unsigned client_cpu = thread_cpu(mica_self_id(), (unsigned)pairs[i].thread);
    unsigned server_cpu = thread_cpu(peer_id, (unsigned)pairs[i].server);
    if (!pinned || (client_cpu == cpu_ids[i] && server_cpu == cpu_ids[i]))
        return true;
    char line[128];
    snprintf(line, sizeof(line),
             "bench: ipc_throughput: pair %u ran on cpus %u and %u, not %u\n", i,
             client_cpu, server_cpu, cpu_ids[i]);
    log_line(line);
    return false;
}

/* Runs pairs 0..n-1 over one window; their calls in *calls. */
static long throughput_round(unsigned n, uint64_t *calls)
{
    window_start = tsc_read() + TP_WARMUP_MS * tsc_khz;
    window_end = window_start + TP_WINDOW_MS * tsc_khz;
    uint64_t started = 0, seen = 0;
    long st = MICA_OK;
    for (unsigned i = 0; i < n && st == MICA_OK; i++) {
        st = mica_notify_signal(pairs[i].go, 1);
        if (st == MICA_OK)
            started |= 1ull << i;
    }
    /* Those started are waited for even after an error, so that no
     * round's signal is left for the next. */
    uint64_t deadline = mica_clock_ms() + TP_WARMUP_MS + TP_WINDOW_MS + TP_REPORT_MS;
    while (seen != started) {
        uint64_t bits = 0, now = mica_clock_ms();
        long waited = now < deadline ? mica_notify_wait(done_ntf, &bits, deadline - now)
                                     : MICA_ETIMEOUT;
        if (waited != MICA_OK)
            return waited; /* a pair is stuck: no more rounds */
        seen |= bits;
    }
    *calls = 0;
    for (unsigned i = 0; i < n && st == MICA_OK; i++) {
        st = pairs[i].status;
        *calls += pairs[i].calls;
        if (st == MICA_OK && !pair_placed(i))
            st = MICA_EINVAL;
    }
    return st;
}

static void report_throughput(unsigned n, uint64_t calls)
{
    char line[128];
    snprintf(line, sizeof(line),
             "BENCH name=ipc_throughput cpus=%u iters=%llu calls_per_s=%llu\n", n,
             (unsigned long long)calls,
             (unsigned long long)(calls * 1000 / TP_WINDOW_MS));
    log_line(line);
}

static void run_throughput(void)
{
    long st = peer_needed();
    long ntf = st == MICA_OK ? mica_notify_create() : st;
    if (ntf < 0) {
        fail("ipc_throughput", "setup", ntf);
        return;
    }
    done_ntf = (uint64_t)ntf;
    unsigned want = pinned ? ncpus : 1;
    if (want > PAIRS_MAX)
        want = PAIRS_MAX;
    if (want > PEER_SERVERS_MAX)
        want = PEER_SERVERS_MAX;
    for (unsigned i = 0; i < want && st == MICA_OK; i++)
        st = pair_setup(i);
    if (st != MICA_OK) {
        fail("ipc_throughput", "setup", st);
        return;
    }
    if (ncpus > 1 && !pinned) {
        char line[128];
        snprintf(line, sizeof(line),
                 "bench: ipc_throughput skipped cpus=2..%u: thread affinity: %s\n", ncpus,
                 mica_status_name(pin_status));
        log_line(line);
    }
    /* TP_ROUNDS passes over n = 1, 2, ..., the best of each n kept: on
     * a host that shares its cores (emulator threads, other programs) a
     * round can lose part of its window to them, never gain; passing over
     * all n in turn spreads such a spell over all figures. */
    uint64_t best[PAIRS_MAX] = {0};
    for (unsigned round = 0; round < TP_ROUNDS; round++) {
        for (unsigned n = 1; n <= npairs; n++) {
            uint64_t calls;
            st = throughput_round(n, &calls);
            if (st != MICA_OK) {
                fail("ipc_throughput", "a round", st);
                return;
            }
            if (calls > best[n - 1])
                best[n - 1] = calls;
        }
    }
    for (unsigned n = 1; n <= npairs; n++)
        report_throughput(n, best[n - 1]);
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
    {"ipc_rtt_xcpu", op_ipc_rtt, WARMUP, ITERS, 1, xcpu_setup, xcpu_teardown},
    {"ipc_rtt_4k", op_ipc_rtt_4k, WARMUP, ITERS, 1, fill_payload, NULL},
    {"notify_rtt", op_notify_rtt, WARMUP, ITERS, 1, notify_setup, notify_teardown},
    {"ctx_switch", op_ctx_switch, WARMUP, ITERS, 2, ctx_setup, ctx_teardown},
    {"page_map", op_page_map, PAGE_WARMUP, PAGE_ITERS, 1, NULL, NULL},
};

/* With more CPUs, this thread goes to CPU 0 for good; pinning is on if
 * the kernel takes that. */
static void pin_main(void)
{
    find_cpus();
    if (ncpus < 2)
        return;
    pin_status = mica_thread_affinity(MICA_THREAD_SELF, cpu_mask(0));
    pinned = pin_status == MICA_OK;
    if (!pinned) {
        char line[128];
        snprintf(line, sizeof(line),
                 "bench: thread affinity: %s; threads run where the kernel puts them\n",
                 mica_status_name(pin_status));
        log_line(line);
    }
}

int main(void)
{
    pin_main();
    log_line("bench: measuring the TSC rate\n");
    tsc_khz = measure_tsc_khz();
    unit_instructions = tsc_counts_instructions();
    overhead = measure_overhead();
    long st = peer_start();
    if (st != MICA_OK)
        fail("benchpeer", "start", st);
    else if (pinned && (st = peer_pin(cpu_mask(0))) != MICA_OK)
        fail("benchpeer", "pinning to cpu 0", st);
    for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
        run(&benches[i]);
    run_throughput();
    report_boot();
    if (peer_ep)
        peer_stop();
    log_line("bench: done\n");
    return 0;
}
