/*
 * Suite sched: the scheduler as threads of one task see it. Tasks cannot
 * choose priorities (no system call sets one), so the threads here share
 * one: yields alternate fairly between them, the timer takes the CPU from
 * a thread that never gives it up, sleeps last about as long as asked, and
 * the clock never goes back.
 */
#include <mica/syscall.h>

#include "ktest.h"

#define WAIT_MS 5000

struct yielder {
    volatile uint64_t count;
    volatile bool stop;
};

/* On CPU 0 with the test's thread: the yields must hand one CPU back and
 * forth (threads on CPUs of their own would only measure how the host
 * shares its cores among the virtual CPUs). */
static void yield_count(void *arg)
{
    struct yielder *y = arg;
    mica_thread_affinity(MICA_THREAD_SELF, 1);
    while (!y->stop) {
        y->count++;
        mica_yield();
    }
    mica_thread_affinity(MICA_THREAD_SELF, MICA_CPUS_ALL);
}

/* Two threads that yield after each step, for a while: neither gets more
 * than a few times the steps of the other. */
KTEST(sched, yield_fairness)
{
    struct yielder a = {0}, b = {0};
    KT_OK(mica_thread_affinity(MICA_THREAD_SELF, 1));
    int ja = kt_spawn(yield_count, &a);
    int jb = kt_spawn(yield_count, &b);
    uint64_t start = mica_clock_ms();
    while ((a.count == 0 || b.count == 0) && mica_clock_ms() - start < WAIT_MS)
        mica_yield(); /* until both have run, on CPU 0 by then */
    a.count = b.count = 0;
    start = mica_clock_ms();
    while (mica_clock_ms() - start < 300)
        mica_yield();
    a.stop = b.stop = true;
    KT_ASSERT(kt_join(ja, WAIT_MS));
    KT_ASSERT(kt_join(jb, WAIT_MS));
    KT_OK(mica_thread_affinity(MICA_THREAD_SELF, MICA_CPUS_ALL));
    KT_CMP(a.count, >, 10);
    KT_CMP(b.count, >, 10);
    KT_CMP(a.count, <, b.count * 3);
    KT_CMP(b.count, <, a.count * 3);
}

struct spinner {
    volatile bool stop;
    volatile uint64_t count;
};

static void spin(void *arg)
{
    struct spinner *s = arg;
    while (!s->stop)
        s->count++;
}

/* A thread that spins without a system call does not keep a sleeping
 * thread from waking on time: the timer preempts it. */
KTEST(sched, spinner_preempted_for_sleeper)
{
    struct spinner s = {0};
    int job = kt_spawn(spin, &s);
    uint64_t t0 = mica_clock_ms();
    mica_sleep_ms(50);
    uint64_t took = mica_clock_ms() - t0;
    uint64_t seen = s.count;
    s.stop = true;
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_CMP(took, >=, 50);
    KT_CMP(took, <, 1000);
    KT_CMP(seen, >, 0);
}

/* Two spinners and the main thread: all three get CPU time. */
KTEST(sched, spinners_share_cpu)
{
    struct spinner a = {0}, b = {0};
    int ja = kt_spawn(spin, &a);
    int jb = kt_spawn(spin, &b);
    uint64_t start = mica_clock_ms(), mine = 0;
    while (mica_clock_ms() - start < 300)
        mine++;
    uint64_t ca = a.count, cb = b.count;
    a.stop = b.stop = true;
    KT_ASSERT(kt_join(ja, WAIT_MS));
    KT_ASSERT(kt_join(jb, WAIT_MS));
    KT_CMP(mine, >, 0);
    KT_CMP(ca, >, 0);
    KT_CMP(cb, >, 0);
}

/* Sleeps never end early and end within a bound (generous for TCG). */
KTEST(sched, sleep_accuracy)
{
    static const uint64_t asks[] = {1, 10, 50, 200};
    for (unsigned i = 0; i < sizeof(asks) / sizeof(asks[0]); i++) {
        uint64_t t0 = mica_clock_ms();
        KT_OK(mica_sleep_ms(asks[i]));
        uint64_t took = mica_clock_ms() - t0;
        KT_CMP(took, >=, asks[i]);
        KT_CMP(took, <, asks[i] + 250);
    }
}

KTEST(sched, sleep_zero_returns)
{
    uint64_t t0 = mica_clock_ms();
    for (unsigned i = 0; i < 10; i++)
        KT_OK(mica_sleep_ms(0));
    KT_CMP(mica_clock_ms() - t0, <, 500);
}

KTEST(sched, clock_monotonic)
{
    uint64_t last = mica_clock_ms();
    for (unsigned i = 0; i < 20000; i++) {
        uint64_t now = mica_clock_ms();
        KT_CMP(now, >=, last);
        last = now;
    }
}

/* Yielding with nobody else ready comes straight back. */
KTEST(sched, lone_yields_fast)
{
    uint64_t t0 = mica_clock_ms();
    for (unsigned i = 0; i < 2000; i++)
        mica_yield();
    KT_CMP(mica_clock_ms() - t0, <, 2000);
}

/* Every thread of a task runs at the task's priority; the task info
 * shows one that does not change while we run. */
KTEST(sched, priority_fixed)
{
    struct mica_task_info before, after;
    bool found = false;
    uint32_t i;
    for (i = 0; !found && mica_task_info(i, &before) == MICA_OK; i++)
        found = before.id == mica_self_id();
    KT_ASSERT(found);
    struct spinner s = {0};
    int job = kt_spawn(spin, &s);
    mica_sleep_ms(20);
    s.stop = true;
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_OK(mica_task_info(i - 1, &after));
    KT_EQ(after.id, before.id);
    KT_EQ(after.priority, before.priority);
    KT_CMP(before.priority, >, 0);
}
