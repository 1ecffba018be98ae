/*
 * The kernel lock (lock.h): a test-and-set lock. The spin reads before it
 * tries again, so waiting CPUs do not keep taking the cache line away from
 * the holder, and serves the holder's requests, which it may be waiting
 * for with the lock held.
 */
#include "sched/lock.h"

#include "arch.h"
#include "sched/sched.h"

/* Alone in its cache line (64 bytes, SDM Vol. 3A §12.1 on line sizes):
 * every IPC fast path of every CPU reads it, and a store to a neighbour
 * would take the line from all of them. */
__asm__(".section .data.kernel_lock, \"aw\"\n"
        ".balign 64\n"
        ".globl kernel_lock\n"
        "kernel_lock: .long 0\n"
        ".balign 64\n"
        ".previous");

void kernel_lock_acquire(void)
{
    while (__atomic_exchange_n(&kernel_lock, 1, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&kernel_lock, __ATOMIC_RELAXED)) {
            arch_cpu_poll();
            arch_cpu_relax();
        }
    }
    arch_fast_paths_wait();
}

void kernel_enter(void)
{
    kernel_lock_acquire();
    struct thread *t = arch_current();
    if (t && t->state == THREAD_DEAD)
        sched_block(); /* its task is gone: nothing to go back to */
    if (t && t->task && !((t->affinity >> arch_cpu_id()) & 1))
        sched_yield(); /* pinned elsewhere meanwhile: on there first */
}
