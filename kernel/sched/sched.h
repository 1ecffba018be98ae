/*
 * The scheduler: preemptive, priority round-robin. One FIFO run queue per
 * priority and a bitmap of non-empty queues, so picking the next thread and
 * making one ready are O(1). The kernel itself is not preemptible: it runs
 * with interrupts off, and a thread leaves the CPU only in sched_block(),
 * sched_yield() or at the timer tick when it returns to user mode.
 */
#ifndef MICA_SCHED_SCHED_H
#define MICA_SCHED_SCHED_H

#include <stdint.h>

#include "task/task.h"

#define SCHED_PRIORITIES  8 /* 0 = lowest (idle only) .. 7 = highest */
#define SCHED_SLICE_TICKS 5

void sched_init(void);
void sched_make_ready(struct thread *t);
/* Blocks the current thread (state/reason set by the caller) and runs
 * another; returns when the thread has been woken. */
void sched_block(void);
void sched_yield(void);
/* Wakes a blocked thread with a status for its pending syscall. */
void sched_wake(struct thread *t, int64_t status);
/* The run queues, FIFO per priority, and the bitmap of the non-empty ones
 * (bit p: queue p); the fast paths of arch/x86_64/fastpath.S read and
 * change them as the functions here do. */
struct run_queue {
    struct thread *head, *tail;
};
extern struct run_queue sched_queues[SCHED_PRIORITIES];
extern unsigned sched_ready_mask;
extern uint64_t sched_ticks, sched_idle_ticks; /* the boot CPU's */

/* Removes a thread from its run queue (it is being destroyed). */
void sched_remove(struct thread *t);
/* Called from the timer interrupt. */
void sched_tick(void);
/* Leaves the boot context for good: the boot stack becomes the idle thread. */
__attribute__((noreturn)) void sched_start(void);
uint64_t sched_now_ms(void);

#endif
