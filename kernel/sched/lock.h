/*
 * The kernel lock: one lock around the whole kernel, as a first step of
 * SMP (docs/architecture.md, "SMP"). A CPU holds it from the moment it
 * enters the kernel (a syscall, an interrupt or exception from user mode,
 * an interrupt that wakes it from idle) until it leaves again: a context
 * switch hands it from one thread to the next on the same CPU, and the
 * way back to user mode (syscall.S, isr.S, the fast paths) releases it as
 * its last store before SYSRET or IRETQ. The kernel is not preemptible
 * and runs with interrupts off, so everything it keeps is consistent
 * whenever the lock is free.
 *
 * While it spins for the lock, a CPU serves the requests of the lock's
 * holder (TLB and FPU flushes, arch_cpu_poll), which the holder waits for.
 */
#ifndef MICA_SCHED_LOCK_H
#define MICA_SCHED_LOCK_H

#include <stdint.h>

/* 0: free; 1: held. The fast paths take it with one `lock bts`. */
extern volatile uint32_t kernel_lock;

void kernel_lock_acquire(void);
static inline void kernel_lock_release(void)
{
    __atomic_store_n(&kernel_lock, 0, __ATOMIC_RELEASE);
}
/* The way in from user mode: the lock, and if the running thread was
 * ended while it ran here (its task killed from another CPU), never back
 * to it. */
void kernel_enter(void);

#endif
