/*
 * Priority round-robin scheduling (see sched.h). The idle thread is the
 * boot context itself: it runs only when every queue is empty, halting the
 * CPU until the next interrupt.
 */
#include "sched/sched.h"

#include "arch.h"
#include "ipc/ipc.h"
#include "kernel.h"
#include "lib/klog.h"
#include "trace/trace.h"

struct run_queue sched_queues[SCHED_PRIORITIES];
#define queues sched_queues
/* Bit p set: queues[p] not empty. The IPC fast path reads it
 * (arch/x86_64/fastpath.S) to see that no ready thread outranks the one it
 * switches to. */
unsigned sched_ready_mask;
static struct thread idle_thread;

struct thread *thread_current(void)
{
    struct thread *t = arch_current();
    return t ? t : &idle_thread; /* before sched_init: the boot context */
}

uint64_t sched_now_ms(void)
{
    return arch_ms_since_boot();
}

void sched_init(void)
{
    arch_set_current(&idle_thread);
    idle_thread.state = THREAD_RUNNING;
    thread_set_priority(&idle_thread, 0);
}

void sched_make_ready(struct thread *t)
{
    struct run_queue *q = &queues[t->priority];
    t->state = THREAD_READY;
    t->reason = BLOCK_NONE;
    t->next = NULL;
    if (q->tail)
        q->tail->next = t;
    else
        q->head = t;
    q->tail = t;
    sched_ready_mask |= 1u << t->priority;
}

void sched_remove(struct thread *t)
{
    struct run_queue *q = &queues[t->priority];
    struct thread **pp = &q->head, *prev = NULL;
    for (; *pp; prev = *pp, pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            if (q->tail == t)
                q->tail = prev;
            break;
        }
    }
    if (!q->head)
        sched_ready_mask &= ~(1u << t->priority);
}

static struct thread *pick_next(void)
{
    if (!sched_ready_mask)
        return &idle_thread;
    unsigned p = 31 - (unsigned)__builtin_clz(sched_ready_mask);
    struct run_queue *q = &queues[p];
    struct thread *t = q->head;
    q->head = t->next;
    if (!q->head) {
        q->tail = NULL;
        sched_ready_mask &= ~(1u << p);
    }
    t->next = NULL;
    return t;
}

/* Runs `next` in place of the current thread, which has already been
 * queued or blocked. */
static void run(struct thread *next)
{
    struct thread *prev = arch_current();
    if (next == prev) {
        prev->state = THREAD_RUNNING;
        return;
    }
    TRACE(MICA_TRACE_SWITCH, prev, next, 0, 0, 0, 0);
    next->state = THREAD_RUNNING;
    next->time_left = SCHED_SLICE_TICKS;
    arch_set_current(next);
    arch_fpu_switch(prev->task ? prev->fpu : NULL, next->task ? next->fpu : NULL);
    if (next->task) {
        arch_vm_switch(next->task->vm);
        arch_io_load(next->task->io_bitmap);
        arch_set_kernel_stack(next->kstack_top);
    }
    uint64_t sp = next->saved_rsp ? next->saved_rsp : arch_resume_sp(next->kstack_top);
    arch_switch(&prev->saved_rsp, sp);
}

static void switch_away(void)
{
    run(pick_next());
}

void sched_block(void)
{
    switch_away();
}

void sched_yield(void)
{
    struct thread *current = arch_current();
    if (current != &idle_thread)
        sched_make_ready(current);
    switch_away();
}

void sched_wake(struct thread *t, int64_t status)
{
    if (t->state != THREAD_BLOCKED)
        return;
    t->deadline_ms = 0;
    t->waiting_on = NULL;
    if (t->in_fault)
        t->fault_status = status;
    else
        arch_syscall_set_status(t->frame, status);
    sched_make_ready(t);
}

/* Blocked threads whose timeout passed are woken with MICA_ETIMEOUT. */
static void expire_timeouts(void)
{
    uint64_t now = sched_now_ms();
    struct thread *t;
    for (unsigned i = 0; (t = thread_by_index(i)); i++)
        if (t->state == THREAD_BLOCKED && t->deadline_ms && t->deadline_ms <= now)
            ipc_expire(t);
}

/* Timer ticks the boot CPU has taken, and those that found it idle
 * (SYS_CPU_INFO). */
uint64_t sched_ticks, sched_idle_ticks;

void sched_tick(void)
{
    klog_kick();
    expire_timeouts();
    struct thread *current = arch_current();
    sched_ticks++;
    if (current == &idle_thread || !current) {
        sched_idle_ticks++;
        if (sched_ready_mask)
            switch_away();
        return;
    }
    if (current->time_left > 0)
        current->time_left--;
    unsigned higher = sched_ready_mask >> (current->priority + 1);
    if (current->time_left == 0 || higher)
        sched_yield();
}

void sched_start(void)
{
    kprintf("mica: scheduler started at_ms=%llu\n",
            (unsigned long long)arch_ms_since_boot());
    switch_away();
    arch_idle_loop();
}
