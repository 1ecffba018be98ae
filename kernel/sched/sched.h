/*
 * The scheduler: preemptive, priority round-robin, on every CPU. Each CPU
 * has its own run queues, one FIFO per priority, and a bitmap of its
 * non-empty ones, so picking the next thread and making one ready are
 * O(1); a CPU whose queues are empty takes a ready thread from another
 * CPU's (stealing) before it idles. A thread runs only on the CPUs of its
 * affinity mask (SYS_THREAD_AFFINITY). The kernel lock (lock.h) covers
 * every queue; the kernel itself is not preemptible: it runs with
 * interrupts off, and a thread leaves the CPU only in sched_block(),
 * sched_yield() or at the timer tick or wake-up interrupt when it returns
 * to user mode.
 */
#ifndef MICA_SCHED_SCHED_H
#define MICA_SCHED_SCHED_H

#include <stdint.h>

#include "task/task.h"

#define SCHED_PRIORITIES  8 /* 0 = lowest (idle only) .. 7 = highest */
#define SCHED_SLICE_TICKS 5

/* The run queues, FIFO per priority. */
struct run_queue {
    struct thread *head, *tail;
};
/* One CPU's scheduler state; the fast paths of arch/x86_64/fastpath.S
 * reach this CPU's through the per-CPU block and change the queues and
 * the bitmap (bit p: queues[p] not empty) as the functions here do. */
struct sched_cpu {
    struct run_queue queues[SCHED_PRIORITIES];
    unsigned ready_mask;
    unsigned id;
    uint64_t ticks, idle_ticks; /* timer ticks taken, and those that found it idle */
    bool woken;                 /* sent a wake-up it has not acted on yet */
    struct thread idle;         /* its boot context, run when nothing else is */
};

/* The boot CPU (sched_init) and each other CPU (sched_init_cpu, on it). */
void sched_init(void);
void sched_init_cpu(void);
void sched_make_ready(struct thread *t);
/* Blocks the current thread (state/reason set by the caller) and runs
 * another; returns when the thread has been woken. */
void sched_block(void);
void sched_yield(void);
/* Wakes a blocked thread with a status for its pending syscall. */
void sched_wake(struct thread *t, int64_t status);
/* The same for the partner of a call that blocks the current thread at
 * once: it runs here if its affinity allows (the IPC hand-off). */
void sched_wake_here(struct thread *t, int64_t status);
/* Removes a thread from its run queue (it is being destroyed). */
void sched_remove(struct thread *t);
/* Called from the timer interrupt, and from the wake-up interrupt. */
void sched_tick(void);
void sched_wakeup_ipi(void);
/* Leaves the boot context for good: the boot stack becomes the idle
 * thread (the boot CPU; sched_start_cpu on the others). */
__attribute__((noreturn)) void sched_start(void);
__attribute__((noreturn)) void sched_start_cpu(void);
uint64_t sched_now_ms(void);
/* SYS_THREAD_AFFINITY: t runs only on the CPUs of mask from now on; false
 * when none of them is online. */
bool sched_set_affinity(struct thread *t, unsigned mask);
/* Whether t is some CPU's running thread (its kernel stack is in use). */
bool sched_on_cpu(const struct thread *t);
/* CPU i's figures for SYS_CPU_INFO. */
const struct sched_cpu *sched_cpu_state(unsigned i);

#endif
