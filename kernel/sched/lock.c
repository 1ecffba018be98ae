/*
 * The kernel lock (lock.h): a test-and-set lock. The spin reads before it
 * tries again, so waiting CPUs do not keep taking the cache line away from
 * the holder, and serves the holder's requests, which it may be waiting
 * for with the lock held.
 */
#include "sched/lock.h"

#include "arch.h"
#include "sched/sched.h"

volatile uint32_t kernel_lock;

void kernel_lock_acquire(void)
{
    while (__atomic_exchange_n(&kernel_lock, 1, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&kernel_lock, __ATOMIC_RELAXED)) {
            arch_cpu_poll();
            arch_cpu_relax();
        }
    }
}

void kernel_enter(void)
{
    kernel_lock_acquire();
    struct thread *t = arch_current();
    if (t && t->state == THREAD_DEAD)
        sched_block(); /* its task is gone: nothing to go back to */
}
