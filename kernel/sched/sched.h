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
/* IPC fast path: whether the blocked thread `to` may run at once in place
 * of the current one, i.e. no ready thread has a higher priority (so the
 * scheduler would have picked `to` anyway); and the direct switch itself,
 * which skips the run queues. The current thread must already be blocked. */
bool sched_can_hand_off(const struct thread *to);
void sched_hand_off(struct thread *to);

/* Removes a thread from its run queue (it is being destroyed). */
void sched_remove(struct thread *t);
/* Called from the timer interrupt. */
void sched_tick(void);
/* Leaves the boot context for good: the boot stack becomes the idle thread. */
__attribute__((noreturn)) void sched_start(void);
uint64_t sched_now_ms(void);

#endif
