/*
 * Suite smp: the kernel on more than one CPU. Threads pinned with
 * SYS_THREAD_AFFINITY stay where they are put (TASK_INFO's thread_cpu
 * says so); IPC and notifications between threads on different CPUs lose
 * and duplicate nothing; an unmap is complete on every CPU when it
 * returns (no stale TLB entry shows the old frame); a task whose threads
 * spin on other CPUs dies at once when killed and gives all its kernel
 * memory back; and a supervised server that crashes while every CPU
 * carries IPC load is restarted without disturbing that load.
 *
 * Every test skips when fewer than two CPUs are online (the default
 * one-CPU runs). Jobs run on helper threads pinned by run_pinned; each
 * test ends with every thread of the task free to run anywhere again.
 */
#include <mica/memory.h>
#include <mica/ns.h>
#include <mica/syscall.h>
#include <string.h>

#include "../crasher/crasher.h"
#include "ktest.h"

#define WAIT_MS    5000 /* per blocking step: TCG with many CPUs is slow */
#define LOOKUP_MS  10000
#define RESTART_MS 8000
#define PAGE       MICA_PAGE_SIZE
#define MAX_CPUS   64 /* affinity masks are 64 bits wide */

/* ---- CPUs and pinning. */

static unsigned cpu_count;         /* online CPUs */
static unsigned cpu_ids[MAX_CPUS]; /* their numbers (bits of a mask) */
static uint64_t online_mask;

static unsigned cpus_online(void)
{
    struct mica_cpu_info ci;
    cpu_count = 0;
    online_mask = 0;
    for (uint32_t i = 0; cpu_count < MAX_CPUS && mica_cpu_info(i, &ci) == MICA_OK; i++) {
        if (ci.state != MICA_CPU_ONLINE || ci.id >= MAX_CPUS)
            continue;
        cpu_ids[cpu_count++] = ci.id;
        online_mask |= 1ull << ci.id;
    }
    return cpu_count;
}

/* The n-th online CPU, counting round. */
static unsigned cpu_nth(unsigned n)
{
    return cpu_ids[n % cpu_count];
}

static bool self_info(struct mica_task_info *out)
{
    for (uint32_t i = 0; mica_task_info(i, out) == MICA_OK; i++)
        if (out->id == mica_self_id())
            return true;
    return false;
}

static bool task_with_id(uint64_t id, struct mica_task_info *out)
{
    for (uint32_t i = 0; mica_task_info(i, out) == MICA_OK; i++)
        if (out->id == id)
            return true;
    return false;
}

/* Thread k's IPC buffer is MICA_IPC_BUFFER - k pages (abi.h), so the
 * buffer tells a thread its slot, the k of SYS_THREAD_AFFINITY. */
static unsigned own_slot(void)
{
    return (unsigned)((MICA_IPC_BUFFER - (uint64_t)(uintptr_t)kt_ipc()) / PAGE);
}

/* A job for a helper thread that runs on one CPU only. */
struct pinned {
    void (*fn)(void *arg);
    void *arg;
    unsigned cpu;
};

#define PINNED_MAX 8
static struct pinned pinned[PINNED_MAX];
static unsigned pinned_used;

static void run_pinned(void *arg)
{
    struct pinned *p = arg;
    long st = mica_thread_affinity(MICA_THREAD_SELF, 1ull << p->cpu);
    if (st == MICA_OK)
        p->fn(p->arg);
    else
        kt_fail(__FILE__, __LINE__, "pin to CPU %u: %s", p->cpu, kt_status_name(st));
    /* The helper serves later tests, which may run anywhere. */
    (void)mica_thread_affinity(MICA_THREAD_SELF, MICA_CPUS_ALL);
}

static int spawn_on(unsigned cpu, void (*fn)(void *arg), void *arg)
{
    if (pinned_used == PINNED_MAX) {
        kt_fail(__FILE__, __LINE__, "more than %d pinned jobs", PINNED_MAX);
        return -1;
    }
    struct pinned *p = &pinned[pinned_used++];
    *p = (struct pinned){fn, arg, cpu};
    return kt_spawn(run_pinned, p);
}

/* Whatever a test pinned (a job cut short, the main thread), every thread
 * may run anywhere afterwards. Slots without a thread answer EINVAL. */
static void unpin_all(void)
{
    for (uint64_t k = 0; k < 8; k++)
        (void)mica_thread_affinity(k, MICA_CPUS_ALL);
}

static bool enough_cpus(void)
{
    unsigned n = cpus_online();
    if (n >= 2)
        return true;
    kt_skip("%u CPU online, needs 2 (boot with -smp 2 or more)", n);
    return false;
}

/* A test of this suite: skipped on one CPU, unpinned afterwards. */
#define SMP_TEST(name)                                                                   \
    static void smp_body_##name(void);                                                   \
    KTEST(smp, name)                                                                     \
    {                                                                                    \
        if (!enough_cpus())                                                              \
            return;                                                                      \
        pinned_used = 0;                                                                 \
        smp_body_##name();                                                               \
        unpin_all();                                                                     \
    }                                                                                    \
    static void smp_body_##name(void)

/* ---- Affinity. */

/* Bad thread numbers (past the table, an empty slot), an empty mask and
 * a mask of offline CPUs only are refused; then the calling thread, pinned
 * to each CPU in turn, is reported there and running while it asks. */
SMP_TEST(affinity_abi)
{
    struct mica_task_info ti;
    KT_EQ(own_slot(), 0);
    KT_ASSERT(self_info(&ti));
    KT_NE(ti.thread_cpu[0], MICA_CPU_NONE);
    unsigned empty = 8;
    for (unsigned k = 1; k < 8 && empty == 8; k++)
        if (ti.thread_cpu[k] == MICA_CPU_NONE)
            empty = k;
    KT_STATUS(mica_thread_affinity(8, MICA_CPUS_ALL), MICA_EINVAL);
    KT_STATUS(mica_thread_affinity(1000, MICA_CPUS_ALL), MICA_EINVAL);
    KT_STATUS(mica_thread_affinity(MICA_THREAD_SELF - 1, MICA_CPUS_ALL), MICA_EINVAL);
    if (empty < 8)
        KT_STATUS(mica_thread_affinity(empty, MICA_CPUS_ALL), MICA_EINVAL);
    KT_STATUS(mica_thread_affinity(MICA_THREAD_SELF, 0), MICA_EINVAL);
    KT_STATUS(mica_thread_affinity(0, 0), MICA_EINVAL);
    if (cpu_count < MAX_CPUS)
        KT_STATUS(mica_thread_affinity(MICA_THREAD_SELF, ~online_mask), MICA_EINVAL);
    /* Run through the CPUs twice, so that each pin is a move. */
    for (unsigned i = 0; i < 2 * cpu_count; i++) {
        unsigned c = cpu_nth(i);
        KT_OK(mica_thread_affinity(MICA_THREAD_SELF, 1ull << c));
        for (unsigned round = 0; round < 3; round++) {
            KT_ASSERT(self_info(&ti));
            KT_EQ(ti.thread_cpu[0], c);
            KT_ASSERT(ti.threads_running & 1u);
            mica_yield();
        }
    }
    /* Through the slot number as well as MICA_THREAD_SELF. */
    KT_OK(mica_thread_affinity(0, 1ull << cpu_ids[0]));
    KT_ASSERT(self_info(&ti));
    KT_EQ(ti.thread_cpu[0], cpu_ids[0]);
    KT_OK(mica_thread_affinity(MICA_THREAD_SELF, MICA_CPUS_ALL));
    kt_note("%u CPUs", cpu_count);
}

struct spinner {
    volatile bool stop;
    volatile uint64_t count;
    volatile int slot;
};

static void spin_job(void *arg)
{
    struct spinner *s = arg;
    s->slot = (int)own_slot();
    while (!s->stop)
        s->count++;
}

/* Waits until slot k is reported on CPU c, running, and counting. */
static bool seen_running_on(struct spinner *s, unsigned c, unsigned *last_cpu)
{
    uint64_t start = mica_clock_ms(), count = s->count;
    struct mica_task_info ti;
    while (mica_clock_ms() - start < WAIT_MS) {
        if (self_info(&ti)) {
            *last_cpu = ti.thread_cpu[s->slot];
            if (ti.thread_cpu[s->slot] == c && (ti.threads_running & (1u << s->slot)) &&
                s->count != count)
                return true;
        }
        mica_yield();
    }
    return false;
}

/* Another thread of the task, spinning without system calls, is moved by
 * SYS_THREAD_AFFINITY from CPU to CPU and runs where it was sent (the
 * caller keeps to another CPU, so that both can be running at once). */
SMP_TEST(affinity_moves_running_thread)
{
    struct spinner s = {.slot = -1};
    int job = kt_spawn(spin_job, &s);
    KT_CMP(job, >=, 0);
    uint64_t start = mica_clock_ms();
    while (s.slot < 0 && mica_clock_ms() - start < WAIT_MS)
        mica_yield();
    bool started = s.slot > 0;
    long st = MICA_OK, self_st = MICA_OK;
    unsigned moves = 0, want = 0, last = MICA_CPU_NONE;
    bool seen = true;
    for (unsigned i = 0; started && seen && st == MICA_OK && i < 2 * cpu_count; i++) {
        want = cpu_nth(i);
        self_st = mica_thread_affinity(MICA_THREAD_SELF, 1ull << cpu_nth(i + 1));
        st = mica_thread_affinity((uint64_t)s.slot, 1ull << want);
        if (st == MICA_OK && self_st == MICA_OK &&
            (seen = seen_running_on(&s, want, &last)))
            moves++;
    }
    s.stop = true;
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_ASSERT(started);
    KT_OK(self_st);
    KT_OK(st);
    if (!seen)
        KT_EQ(last, want);
    KT_ASSERT(seen);
    KT_EQ(moves, 2 * cpu_count);
}

/* ---- IPC across CPUs. */

#define STORM_PAIRS 3
#define STORM_CALLS 2000

static uint8_t storm_byte(uint32_t seq, uint32_t pair, uint32_t i, uint32_t dir)
{
    return (uint8_t)(seq * 31u + pair * 7u + i * 3u + dir);
}

/* Payload lengths: mostly short, now and then a whole page. */
static uint32_t storm_len(uint32_t seq)
{
    return seq % 500 == 499 ? MICA_IPC_PAYLOAD_MAX : (seq * 13u) % 97u;
}

struct storm_pair {
    uint64_t ep;
    uint32_t id, calls;
    unsigned client_cpu, server_cpu;
    volatile int client_slot, server_slot;
    volatile uint32_t done; /* calls answered and checked */
    uint32_t served;
};

/* Answers `calls` calls in order: each must carry the next sequence
 * number (none lost, none twice) and its payload; the reply is made from
 * both. */
static void storm_server(void *arg)
{
    struct storm_pair *p = arg;
    uint8_t *buf = kt_ipc();
    struct mica_msg in, out;
    p->server_slot = (int)own_slot();
    KT_OK(mica_recv(p->ep, &in, NULL, WAIT_MS));
    for (uint32_t seq = 0;; seq++) {
        uint32_t len = storm_len(seq);
        KT_EQ(in.w[0], seq);
        KT_EQ(in.w[1], p->id);
        KT_EQ(in.w[2], ~(uint64_t)seq);
        KT_EQ(MICA_INFO_LABEL(in.info), 1 + seq % 7);
        KT_EQ(MICA_INFO_LEN(in.info), len);
        for (uint32_t i = 0; i < len; i++)
            if (buf[i] != storm_byte(seq, p->id, i, 0))
                KT_EQ(buf[i], storm_byte(seq, p->id, i, 0));
        for (uint32_t i = 0; i < len; i++)
            buf[i] = storm_byte(seq, p->id, i, 1);
        out = (struct mica_msg){MICA_INFO(100 + seq % 7, len),
                                {seq * 3ull + p->id, in.w[3] ^ 0x5a5a, seq, p->id}};
        p->served = seq + 1;
        if (p->served == p->calls)
            break;
        KT_OK(mica_reply_recv(p->ep, &out, &in, NULL, WAIT_MS));
    }
    KT_OK(mica_reply(&out));
}

static void storm_client(void *arg)
{
    struct storm_pair *p = arg;
    uint8_t *buf = kt_ipc();
    p->client_slot = (int)own_slot();
    for (uint32_t seq = 0; seq < p->calls; seq++) {
        uint32_t len = storm_len(seq);
        for (uint32_t i = 0; i < len; i++)
            buf[i] = storm_byte(seq, p->id, i, 0);
        uint64_t tag = seq * 0x9e3779b97f4a7c15ull;
        struct mica_msg req = {MICA_INFO(1 + seq % 7, len),
                               {seq, p->id, ~(uint64_t)seq, tag}};
        struct mica_msg rep;
        KT_OK(mica_call(p->ep, &req, &rep, WAIT_MS));
        KT_EQ(MICA_INFO_LABEL(rep.info), 100 + seq % 7);
        KT_EQ(MICA_INFO_LEN(rep.info), len);
        KT_EQ(rep.w[0], seq * 3ull + p->id);
        KT_EQ(rep.w[1], tag ^ 0x5a5a);
        KT_EQ(rep.w[2], seq);
        KT_EQ(rep.w[3], p->id);
        for (uint32_t i = 0; i < len; i++)
            if (buf[i] != storm_byte(seq, p->id, i, 1))
                KT_EQ(buf[i], storm_byte(seq, p->id, i, 1));
        p->done = seq + 1;
    }
}

/* While the pairs run: a pinned thread must be reported on its CPU
 * whenever the main thread looks (a wake-up must not move it). */
static bool pins_kept(struct storm_pair *pairs, unsigned n, unsigned *bad_slot,
                      unsigned *bad_cpu)
{
    struct mica_task_info ti;
    if (!self_info(&ti))
        return false;
    for (unsigned i = 0; i < n; i++) {
        int cs = pairs[i].client_slot, ss = pairs[i].server_slot;
        if (cs > 0 && ti.thread_cpu[cs] != pairs[i].client_cpu) {
            *bad_slot = (unsigned)cs;
            *bad_cpu = ti.thread_cpu[cs];
            return false;
        }
        if (ss > 0 && ti.thread_cpu[ss] != pairs[i].server_cpu) {
            *bad_slot = (unsigned)ss;
            *bad_cpu = ti.thread_cpu[ss];
            return false;
        }
    }
    return true;
}

/* STORM_PAIRS client/server pairs, the two threads of each on different
 * CPUs, STORM_CALLS calls each with payloads both ways. */
SMP_TEST(ipc_storm_across_cpus)
{
    static struct storm_pair pairs[STORM_PAIRS];
    int jobs[2 * STORM_PAIRS];
    for (unsigned i = 0; i < STORM_PAIRS; i++) {
        pairs[i] = (struct storm_pair){.ep = kt_endpoint(),
                                       .id = i,
                                       .calls = STORM_CALLS,
                                       .client_cpu = cpu_nth(2 * i),
                                       .server_cpu = cpu_nth(2 * i + 1),
                                       .client_slot = -1,
                                       .server_slot = -1};
        KT_NE(pairs[i].ep, 0);
        jobs[2 * i] = spawn_on(pairs[i].server_cpu, storm_server, &pairs[i]);
        jobs[2 * i + 1] = spawn_on(pairs[i].client_cpu, storm_client, &pairs[i]);
    }
    uint64_t start = mica_clock_ms();
    bool kept = true;
    unsigned bad_slot = 0, bad_cpu = 0, samples = 0;
    for (;;) {
        uint32_t all = 0;
        for (unsigned i = 0; i < STORM_PAIRS; i++)
            all += pairs[i].done;
        if (all == STORM_PAIRS * STORM_CALLS || kt_failed() ||
            mica_clock_ms() - start > 120000)
            break;
        if (kept && !pins_kept(pairs, STORM_PAIRS, &bad_slot, &bad_cpu))
            kept = false;
        samples++;
        mica_sleep_ms(10);
    }
    for (unsigned i = 0; i < 2 * STORM_PAIRS; i++)
        KT_ASSERT(kt_join(jobs[i], 2 * WAIT_MS));
    if (!kept)
        kt_fail(__FILE__, __LINE__, "slot %u reported on CPU %u, pinned elsewhere",
                bad_slot, bad_cpu);
    for (unsigned i = 0; i < STORM_PAIRS; i++) {
        KT_EQ(pairs[i].done, STORM_CALLS);
        KT_EQ(pairs[i].served, STORM_CALLS);
    }
    kt_note("%u calls in %llu ms, %u pin checks", STORM_PAIRS * STORM_CALLS,
            (unsigned long long)(mica_clock_ms() - start), samples);
}

#define PINGPONG_ROUNDS 2000

struct pingpong {
    uint64_t there, back; /* notifications: to the echo thread, back */
    volatile uint32_t rounds;
};

/* Round r signals bit r % 64 and waits for the same bit back alone: a
 * lost signal times out, a doubled or stray one shows as a wrong mask. */
static void ping(void *arg)
{
    struct pingpong *p = arg;
    for (uint32_t r = 0; r < PINGPONG_ROUNDS; r++) {
        uint64_t bit = 1ull << (r % 64), bits = 0;
        KT_OK(mica_notify_signal(p->there, bit));
        KT_OK(mica_notify_wait(p->back, &bits, WAIT_MS));
        KT_EQ(bits, bit);
        p->rounds = r + 1;
    }
}

static void pong(void *arg)
{
    struct pingpong *p = arg;
    for (uint32_t r = 0; r < PINGPONG_ROUNDS; r++) {
        uint64_t bit = 1ull << (r % 64), bits = 0;
        KT_OK(mica_notify_wait(p->there, &bits, WAIT_MS));
        KT_EQ(bits, bit);
        KT_OK(mica_notify_signal(p->back, bit));
    }
}

/* Two pairs of threads, each pair on two CPUs, play signal/wait
 * ping-pong through two notifications. */
SMP_TEST(notify_ping_pong_across_cpus)
{
    static struct pingpong games[2];
    int jobs[4];
    for (unsigned g = 0; g < 2; g++) {
        games[g] =
            (struct pingpong){.there = kt_notification(), .back = kt_notification()};
        KT_ASSERT(games[g].there && games[g].back);
        jobs[2 * g] = spawn_on(cpu_nth(2 * g + 1), pong, &games[g]);
        jobs[2 * g + 1] = spawn_on(cpu_nth(2 * g), ping, &games[g]);
    }
    uint64_t start = mica_clock_ms();
    for (unsigned j = 0; j < 4; j++)
        KT_ASSERT(kt_join(jobs[j], 120000));
    KT_EQ(games[0].rounds, PINGPONG_ROUNDS);
    KT_EQ(games[1].rounds, PINGPONG_ROUNDS);
    kt_note("%u rounds in %llu ms", 2 * PINGPONG_ROUNDS,
            (unsigned long long)(mica_clock_ms() - start));
}

/* ---- Unmap and TLBs. */

#define RACE_VA     0x00000e0000000000ull /* 14 TiB: no other test's range */
#define RACE_DECOY  (RACE_VA + 0x100000ull)
#define RACE_ROUNDS 2000
#define RACE_WORDS  (PAGE / 8)

#define OLD(r)   (0x01d0000000000000ull | (r))
#define NEW(r)   (0x0e40000000000000ull | (r))
#define DECOY(r) (0x0dec000000000000ull | (r))

/* Kept in this task's data, which stays mapped throughout. */
struct race {
    volatile uint32_t round;   /* writer: the page holds OLD(round) */
    volatile uint32_t ready;   /* reader: has read OLD(ready) through its TLB */
    volatile uint32_t flag;    /* writer: unmapped, remapped, NEW(flag) written */
    volatile uint32_t checked; /* reader: read the page after the flag */
    volatile bool quit;
    uint32_t stale;     /* rounds in which the reader saw something else */
    uint32_t stuck;     /* the round the writer waited for the reader in vain */
    uint32_t first_bad; /* the first such round */
    uint64_t bad_value; /* and what it read there */
};

static struct race race;

static void fill(uint64_t va, uint64_t value)
{
    volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)va;
    for (unsigned i = 0; i < RACE_WORDS; i++)
        p[i] = value;
}

/* Spins until *word == want (or the writer quits); true if it got there. */
static bool await_word(volatile uint32_t *word, uint32_t want)
{
    uint64_t start = mica_clock_ms();
    while (*word != want) {
        if (race.quit || mica_clock_ms() - start > WAIT_MS)
            return false;
        __builtin_ia32_pause();
    }
    return true;
}

/* The reader touches the page only while it is mapped: once the writer
 * has said OLD(r) is there (until it says ready), and after the flag. In
 * between it spins on the flag alone, so the translation it loaded stays
 * in its TLB unless the kernel shoots it down. */
static void race_reader(void *arg)
{
    (void)arg;
    volatile uint64_t *x = (volatile uint64_t *)(uintptr_t)RACE_VA;
    for (uint32_t r = 1; r <= RACE_ROUNDS; r++) {
        if (!await_word(&race.round, r))
            return;
        /* Not seeing OLD(r) at all is a stale view too: a translation left
         * over from an earlier round still leads to that round's frame. */
        uint64_t start = mica_clock_ms();
        while (x[0] != OLD(r) || x[RACE_WORDS - 1] != OLD(r)) {
            if (race.quit)
                return;
            if (mica_clock_ms() - start > WAIT_MS / 2) {
                if (race.stale++ == 0) {
                    race.first_bad = r;
                    race.bad_value = x[0] != OLD(r) ? x[0] : x[RACE_WORDS - 1];
                }
                return;
            }
        }
        race.ready = r;
        if (!await_word(&race.flag, r))
            return;
        uint64_t first = x[0], last = x[RACE_WORDS - 1];
        if (first != NEW(r) || last != NEW(r)) {
            if (race.stale++ == 0) {
                race.first_bad = r;
                race.bad_value = first != NEW(r) ? first : last;
            }
        }
        race.checked = r;
    }
}

/* Per round: the page holds OLD(r) and the reader has read it; the writer
 * unmaps it (mem_free), takes a decoy page first (the old frame, if the
 * server hands it out again, then holds DECOY(r)), then a new frame at the
 * same address with NEW(r), and raises the flag. A stale translation on
 * the reader's CPU would show OLD(r) or DECOY(r). */
static void race_writer(void)
{
    for (uint32_t r = 1; r <= RACE_ROUNDS; r++) {
        fill(RACE_VA, OLD(r));
        race.round = r;
        if (!await_word(&race.ready, r)) {
            race.stuck = r;
            return;
        }
        KT_EQ(mem_free(RACE_VA, 1), 1);
        KT_OK(mem_alloc(RACE_DECOY, 1, MICA_MAP_WRITE));
        fill(RACE_DECOY, DECOY(r));
        KT_OK(mem_alloc(RACE_VA, 1, MICA_MAP_WRITE));
        fill(RACE_VA, NEW(r));
        /* Our own writes went to the new frame, not through a stale
         * translation into the decoy's. */
        KT_EQ(*(volatile uint64_t *)(uintptr_t)(RACE_DECOY + PAGE - 8), DECOY(r));
        race.flag = r;
        KT_ASSERT(await_word(&race.checked, r));
        KT_EQ(mem_free(RACE_DECOY, 1), 1);
    }
}

/* The main thread (the memory server's client: it alone may use
 * libc-mini's memory calls) writes on the first CPU, a helper reads on
 * the second. */
SMP_TEST(unmap_race_no_stale_tlb)
{
    race = (struct race){0};
    KT_OK(mica_thread_affinity(MICA_THREAD_SELF, 1ull << cpu_ids[0]));
    KT_OK(mem_alloc(RACE_VA, 1, MICA_MAP_WRITE));
    int job = spawn_on(cpu_ids[1], race_reader, NULL);
    uint64_t start = mica_clock_ms();
    race_writer();
    race.quit = true;
    bool joined = kt_join(job, WAIT_MS);
    mem_free(RACE_DECOY, 1);
    mem_free(RACE_VA, 1);
    KT_ASSERT(joined);
    if (race.stale)
        kt_fail(
            __FILE__, __LINE__,
            "%u of %u rounds read a stale frame after the unmap, first round %u: %#llx",
            race.stale, RACE_ROUNDS, race.first_bad, (unsigned long long)race.bad_value);
    KT_EQ(race.stuck, 0);
    KT_EQ(race.checked, RACE_ROUNDS);
    kt_note("%u rounds in %llu ms", RACE_ROUNDS,
            (unsigned long long)(mica_clock_ms() - start));
}

/* ---- Killing a task that runs on other CPUs. */

#define KILL_ROUNDS 5

static unsigned popcount(uint64_t v)
{
    return (unsigned)__builtin_popcountll(v);
}

static uint64_t kernel_kib(void)
{
    struct mica_mem_info mi;
    return mica_mem_info(&mi) == MICA_OK ? mi.kernel_kib : 0;
}

/* Waits (3 s at most) for the kernel's figure to come back to `want`:
 * the last of a dead task's memory may follow the kill a little. */
static uint64_t settle_kib(uint64_t want)
{
    uint64_t start = mica_clock_ms(), now = kernel_kib();
    while (now != want && mica_clock_ms() - start < 3000) {
        mica_sleep_ms(20);
        now = kernel_kib();
    }
    return now;
}

/* Looks `name` up and sends m there. The name service drops the names
 * of a dead task when init hears of the death, so right after a kill the
 * name may still lead to the dead instance's endpoint (MICA_EDEAD): ask
 * again until the new instance has registered. */
static void send_to_fresh(const char *name, const struct mica_msg *m, uint64_t *ep,
                          long *looked, long *sent)
{
    uint64_t start = mica_clock_ms();
    for (;;) {
        *looked = kt_lookup(name, ep, LOOKUP_MS);
        *sent = *looked == MICA_OK ? kt_send(*ep, m, WAIT_MS) : *looked;
        if (*sent != MICA_EDEAD || mica_clock_ms() - start > LOOKUP_MS)
            return;
        mica_handle_close(*ep);
        mica_sleep_ms(10);
    }
}

struct kill_round {
    uint64_t id;
    unsigned threads, running_max;
    bool placed; /* every thread seen on a CPU of the mask */
};

/* Starts an on-demand crasher spinning `threads` + 1 threads on `cpus`,
 * waits until as many of them run at once as there are CPUs for them,
 * and kills it; checks that it is dead at once, with no thread left on a
 * CPU, and that its endpoint says so. */
static void kill_spinner(uint64_t cpus, unsigned threads, struct kill_round *kr)
{
    uint64_t task, ep;
    struct mica_task_info ti;
    KT_OK(ns_spawn_task("crasher", &kr->id, &task));
    struct mica_msg go = {MICA_INFO(CRASH_GO, 0), {CRASH_SPIN, cpus, threads}};
    long looked, sent;
    send_to_fresh("crasher", &go, &ep, &looked, &sent);
    unsigned want = popcount(cpus) < threads + 1 ? popcount(cpus) : threads + 1;
    uint64_t start = mica_clock_ms();
    kr->threads = 0;
    kr->running_max = 0;
    kr->placed = false;
    while (sent == MICA_OK && mica_clock_ms() - start < WAIT_MS) {
        if (!task_with_id(kr->id, &ti))
            break;
        unsigned present = 0, inside = 0;
        for (unsigned k = 0; k < 8; k++) {
            if (ti.thread_cpu[k] == MICA_CPU_NONE)
                continue;
            present++;
            inside += ti.thread_cpu[k] < 64 && (cpus & (1ull << ti.thread_cpu[k]));
        }
        unsigned running = popcount(ti.threads_running);
        kr->threads = present;
        if (running > kr->running_max)
            kr->running_max = running;
        kr->placed = present == threads + 1 && inside == present;
        if (kr->placed && running >= want)
            break;
        mica_sleep_ms(5);
    }
    long killed = mica_task_kill(task);
    bool found = task_with_id(kr->id, &ti);
    bool dead = !found || ti.state == MICA_TASK_DEAD;
    uint32_t running_after = found ? ti.threads_running : 0;
    long after = looked == MICA_OK ? kt_send(ep, &go, 1000) : MICA_EDEAD;
    mica_handle_close(task);
    if (looked == MICA_OK)
        mica_handle_close(ep);
    KT_OK(looked);
    KT_OK(sent);
    KT_ASSERT(kr->placed);
    KT_CMP(kr->running_max, >=, want);
    KT_OK(killed);
    KT_ASSERT(dead);
    KT_EQ(running_after, 0);
    KT_STATUS(after, MICA_EDEAD);
}

/* The test's main thread keeps to the first CPU; the crasher's threads
 * spin on all the others. After each kill the kernel holds what it held
 * before the first (a first round, not counted, takes whatever the name
 * service or the memory server allocate once). */
SMP_TEST(kill_task_running_elsewhere)
{
    KT_OK(mica_thread_affinity(MICA_THREAD_SELF, 1ull << cpu_ids[0]));
    uint64_t others = online_mask & ~(1ull << cpu_ids[0]);
    unsigned threads = 2 * popcount(others);
    if (threads > CRASH_SPIN_THREADS)
        threads = CRASH_SPIN_THREADS;
    struct kill_round kr;
    kill_spinner(others, threads, &kr);
    if (kt_failed())
        return;
    uint64_t before = settle_kib(kernel_kib());
    for (unsigned round = 0; round < KILL_ROUNDS; round++) {
        kill_spinner(others, threads, &kr);
        if (kt_failed())
            return;
        uint64_t after = settle_kib(before);
        if (after != before)
            kt_fail(__FILE__, __LINE__,
                    "round %u: kernel held %llu KiB before, %llu after", round,
                    (unsigned long long)before, (unsigned long long)after);
        if (kt_failed())
            return;
    }
    kt_note("%u kills of %u threads on %u CPUs, kernel %llu KiB", KILL_ROUNDS + 1,
            threads + 1, popcount(others), (unsigned long long)before);
}

/* ---- A crash under load. */

#define LOAD_STOP 0x5709u

struct load_pair {
    uint64_t ep;
    unsigned client_cpu, server_cpu;
    volatile bool stop;
    volatile uint64_t calls;
    uint64_t errors;
    long first_error;
};

static void load_error(struct load_pair *p, long st)
{
    if (p->errors++ == 0)
        p->first_error = st;
}

static void load_server(void *arg)
{
    struct load_pair *p = arg;
    struct mica_msg in, out;
    long st = mica_recv(p->ep, &in, NULL, WAIT_MS);
    while (st == MICA_OK) {
        bool last = MICA_INFO_LABEL(in.info) == LOAD_STOP;
        out = (struct mica_msg){MICA_INFO(2, 0), {in.w[0] + 1, ~in.w[1]}};
        if (last) {
            st = mica_reply(&out);
            break;
        }
        st = mica_reply_recv(p->ep, &out, &in, NULL, WAIT_MS);
    }
    if (st != MICA_OK)
        load_error(p, st);
}

static void load_client(void *arg)
{
    struct load_pair *p = arg;
    struct mica_msg req, rep;
    for (uint64_t n = 0;; n++) {
        bool last = p->stop;
        req = (struct mica_msg){MICA_INFO(last ? LOAD_STOP : 1, 0), {n, n * 7}};
        long st = mica_call(p->ep, &req, &rep, WAIT_MS);
        if (st != MICA_OK) {
            load_error(p, st);
            return;
        }
        if (rep.w[0] != n + 1 || rep.w[1] != ~(n * 7))
            load_error(p, MICA_EINVAL);
        p->calls = n + 1;
        if (last)
            return;
    }
}

static uint64_t load_calls(struct load_pair *pairs, unsigned n)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i < n; i++)
        sum += pairs[i].calls;
    return sum;
}

/* A live task of this name other than `old`: the restarted instance. */
static bool restarted_instance(const char *name, uint64_t old, uint64_t *id)
{
    struct mica_task_info ti;
    for (uint32_t i = 0; mica_task_info(i, &ti) == MICA_OK; i++)
        if (ti.id != old && ti.state != MICA_TASK_DEAD && strcmp(ti.name, name) == 0) {
            *id = ti.id;
            return true;
        }
    return false;
}

#define SUPERVISED "crasher-smp"

/* Makes the supervised crasher fault and waits for its successor, which
 * must take a message on the endpoint it registers. The only errors are
 * the expected ones: EDEAD from the old endpoint, ENOENT while the name
 * is gone. */
static void crash_supervised(struct load_pair *pairs, uint64_t *during)
{
    struct mica_task_info ti;
    uint64_t ep, next = 0;
    KT_ASSERT(kt_task_by_name(SUPERVISED, &ti));
    uint64_t old = ti.id;
    KT_OK(kt_lookup(SUPERVISED, &ep, LOOKUP_MS));
    uint64_t calls_before = load_calls(pairs, STORM_PAIRS);
    struct mica_msg go = {MICA_INFO(CRASH_GO, 0), {CRASH_NULL_WRITE}};
    long sent = kt_send(ep, &go, WAIT_MS);
    uint64_t start = mica_clock_ms();
    while (task_with_id(old, &ti) && ti.state != MICA_TASK_DEAD &&
           mica_clock_ms() - start < WAIT_MS)
        mica_sleep_ms(5);
    bool died = !task_with_id(old, &ti) || ti.state == MICA_TASK_DEAD;
    long stale = kt_send(ep, &go, 1000);
    mica_handle_close(ep);
    KT_OK(sent);
    KT_ASSERT(died);
    KT_STATUS(stale, MICA_EDEAD);
    start = mica_clock_ms();
    while (!restarted_instance(SUPERVISED, old, &next) &&
           mica_clock_ms() - start < RESTART_MS)
        mica_sleep_ms(10);
    KT_NE(next, 0);
    /* The successor registers its name once it runs; a message that is
     * not CRASH_GO is taken and ignored. */
    struct mica_msg hello = {MICA_INFO(CRASH_GO + 1, 0), {0}};
    long looked, taken;
    send_to_fresh(SUPERVISED, &hello, &ep, &looked, &taken);
    if (looked == MICA_OK)
        mica_handle_close(ep);
    KT_OK(looked);
    KT_OK(taken);
    KT_ASSERT(task_with_id(next, &ti) && ti.state != MICA_TASK_DEAD);
    *during = load_calls(pairs, STORM_PAIRS) - calls_before;
}

/* STORM_PAIRS pairs of threads keep calls going across every CPU while
 * init's supervised crasher-smp faults and is restarted; the load sees no
 * error at all and keeps moving meanwhile. */
SMP_TEST(crash_restart_under_load)
{
    struct mica_task_info ti;
    if (!kt_task_by_name(SUPERVISED, &ti))
        KT_SKIP("no supervised " SUPERVISED " (only the test ISO boots one)");
    static struct load_pair pairs[STORM_PAIRS];
    int jobs[2 * STORM_PAIRS];
    for (unsigned i = 0; i < STORM_PAIRS; i++) {
        pairs[i] = (struct load_pair){.ep = kt_endpoint(),
                                      .client_cpu = cpu_nth(2 * i),
                                      .server_cpu = cpu_nth(2 * i + 1)};
        KT_NE(pairs[i].ep, 0);
        jobs[2 * i] = spawn_on(pairs[i].server_cpu, load_server, &pairs[i]);
        jobs[2 * i + 1] = spawn_on(pairs[i].client_cpu, load_client, &pairs[i]);
    }
    /* Let the load get going first. */
    uint64_t start = mica_clock_ms();
    while (load_calls(pairs, STORM_PAIRS) < 300 && mica_clock_ms() - start < WAIT_MS)
        mica_sleep_ms(10);
    uint64_t warm = load_calls(pairs, STORM_PAIRS), during = 0;
    crash_supervised(pairs, &during);
    for (unsigned i = 0; i < STORM_PAIRS; i++)
        pairs[i].stop = true;
    for (unsigned i = 0; i < 2 * STORM_PAIRS; i++)
        KT_ASSERT(kt_join(jobs[i], 2 * WAIT_MS));
    if (kt_failed())
        return;
    KT_CMP(warm, >=, 300);
    KT_CMP(during, >, 0);
    for (unsigned i = 0; i < STORM_PAIRS; i++) {
        if (pairs[i].errors)
            kt_fail(__FILE__, __LINE__, "load pair %u: %llu errors, first %s", i,
                    (unsigned long long)pairs[i].errors,
                    kt_status_name(pairs[i].first_error));
        KT_CMP(pairs[i].calls, >, 0);
    }
    kt_note("%llu load calls, %llu during the crash and restart",
            (unsigned long long)load_calls(pairs, STORM_PAIRS),
            (unsigned long long)during);
}
