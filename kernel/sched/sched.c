/*
 * Priority round-robin scheduling on every CPU (see sched.h). Each CPU's
 * idle thread is its boot context: it runs only when that CPU's queues are
 * empty and there is nothing to take from another's, halting the CPU
 * until the next interrupt.
 *
 * Where a thread that becomes ready goes: to the CPU it was on (its cache,
 * its FPU registers), if its affinity allows, else to an idle CPU it may
 * run on, else the first it may; the partner of a call runs on the
 * caller's CPU (sched_wake_here), since the caller blocks at once. A CPU
 * that gets a thread while it is idle, or one that outranks the thread it
 * runs, is sent a wake-up interrupt; so is an idle CPU that could take
 * over a thread queued behind a busy one.
 */
#include "sched/sched.h"

#include "arch.h"
#include "ipc/ipc.h"
#include "kernel.h"
#include "lib/klog.h"
#include "sched/lock.h"
#include "trace/trace.h"

static struct sched_cpu cpus[ARCH_MAX_CPUS];

static struct sched_cpu *here(void)
{
    return &cpus[arch_cpu_id()];
}

struct thread *thread_current(void)
{
    struct thread *t = arch_current();
    return t ? t : &here()->idle; /* before sched_init: the boot context */
}

uint64_t sched_now_ms(void)
{
    return arch_ms_since_boot();
}

const struct sched_cpu *sched_cpu_state(unsigned i)
{
    return i < arch_cpu_count() ? &cpus[i] : NULL;
}

static unsigned online_mask(void)
{
    return (1u << arch_cpu_count()) - 1;
}

void sched_init_cpu(void)
{
    struct sched_cpu *c = here();
    c->id = arch_cpu_id();
    arch_set_cpu_local(c);
    arch_set_current(&c->idle);
    c->idle.state = THREAD_RUNNING;
    c->idle.cpu = (uint8_t)c->id;
    c->idle.affinity = (uint8_t)(1u << c->id);
    thread_set_priority(&c->idle, 0);
}

void sched_init(void)
{
    sched_init_cpu();
}

static bool is_idle(const struct thread *t)
{
    return t->task == NULL;
}

/* Nothing to do there: its idle thread runs, its queues are empty, and
 * no wake-up is on its way to it (which would make it take something). */
static bool cpu_idle(unsigned i)
{
    struct thread *t = arch_cpu_current(i);
    return (!t || is_idle(t)) && cpus[i].ready_mask == 0 && !cpus[i].woken;
}

static void wake_cpu(unsigned i)
{
    cpus[i].woken = true;
    arch_cpu_wake(i);
}

/* Every change of a thread's CPU: its FPU state leaves the registers of
 * the CPU it was on, if they hold it (the state is that CPU's alone). */
static void set_cpu(struct thread *t, unsigned i)
{
    if (t->cpu != i && t->task)
        arch_fpu_migrate(t->fpu, i);
    t->cpu = (uint8_t)i;
}

static void enqueue(struct sched_cpu *c, struct thread *t)
{
    struct run_queue *q = &c->queues[t->priority];
    t->state = THREAD_READY;
    t->reason = BLOCK_NONE;
    set_cpu(t, c->id);
    t->next = NULL;
    if (q->tail)
        q->tail->next = t;
    else
        q->head = t;
    q->tail = t;
    c->ready_mask |= 1u << t->priority;
}

/* The CPU for a thread that becomes ready (the rule of the opening
 * comment); `prefer` is a CPU to take if allowed, or -1. */
static unsigned place(const struct thread *t, int prefer)
{
    unsigned allowed = t->affinity & online_mask();
    if (!allowed)
        allowed = online_mask(); /* cannot happen: sched_set_affinity checks */
    if (prefer >= 0 && (allowed >> prefer) & 1)
        return (unsigned)prefer;
    if ((allowed >> t->cpu) & 1)
        return t->cpu;
    for (unsigned i = 0; i < arch_cpu_count(); i++)
        if ((allowed >> i) & 1 && cpu_idle(i))
            return i;
    return (unsigned)__builtin_ctz(allowed);
}

/* t was queued on CPU i: the wake-ups of the opening comment. */
static void kick(unsigned i, const struct thread *t)
{
    unsigned self = arch_cpu_id();
    if (i != self) {
        struct thread *cur = arch_cpu_current(i);
        if (!cur || is_idle(cur) || t->priority > cur->priority)
            wake_cpu(i);
        return;
    }
    unsigned allowed = t->affinity & online_mask() & ~(1u << self);
    for (unsigned k = 0; allowed && k < arch_cpu_count(); k++)
        if ((allowed >> k) & 1 && cpu_idle(k)) {
            wake_cpu(k);
            return;
        }
}

/* With a CPU preferred (the caller of a call, a thread that yields),
 * this CPU goes on to run it, or something else, at once: no wake-ups. */
static void make_ready(struct thread *t, int prefer)
{
    unsigned i = place(t, prefer);
    enqueue(&cpus[i], t);
    if (arch_cpu_count() > 1 && (prefer < 0 || i != (unsigned)prefer))
        kick(i, t);
}

void sched_make_ready(struct thread *t)
{
    make_ready(t, -1);
}

void sched_remove(struct thread *t)
{
    struct sched_cpu *c = &cpus[t->cpu];
    struct run_queue *q = &c->queues[t->priority];
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
        c->ready_mask &= ~(1u << t->priority);
}

static struct thread *dequeue_head(struct sched_cpu *c, unsigned p)
{
    struct run_queue *q = &c->queues[p];
    struct thread *t = q->head;
    q->head = t->next;
    if (!q->head) {
        q->tail = NULL;
        c->ready_mask &= ~(1u << p);
    }
    t->next = NULL;
    return t;
}

/* A ready thread of another CPU that may run here, of the highest
 * priority there is, or NULL. */
static struct thread *steal(struct sched_cpu *self)
{
    struct thread *best = NULL;
    for (unsigned i = 0; i < arch_cpu_count(); i++) {
        struct sched_cpu *c = &cpus[i];
        if (c == self || !c->ready_mask)
            continue;
        for (int p = SCHED_PRIORITIES - 1; p > 0; p--) {
            if (best && (unsigned)p <= best->priority)
                break;
            for (struct thread *t = c->queues[p].head; t; t = t->next)
                if ((t->affinity >> self->id) & 1) {
                    best = t;
                    break;
                }
        }
    }
    if (best)
        sched_remove(best);
    return best;
}

static struct thread *pick_next(void)
{
    struct sched_cpu *c = here();
    c->woken = false;
    if (c->ready_mask)
        return dequeue_head(c, 31 - (unsigned)__builtin_clz(c->ready_mask));
    struct thread *t = arch_cpu_count() > 1 ? steal(c) : NULL;
    return t ? t : &c->idle;
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
    set_cpu(next, arch_cpu_id());
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
    if (!is_idle(current))
        make_ready(current, (int)arch_cpu_id());
    switch_away();
}

static void wake(struct thread *t, int64_t status, int prefer)
{
    if (t->state != THREAD_BLOCKED)
        return;
    t->deadline_ms = 0;
    t->waiting_on = NULL;
    if (t->in_fault)
        t->fault_status = status;
    else
        arch_syscall_set_status(t->frame, status);
    make_ready(t, prefer);
}

void sched_wake(struct thread *t, int64_t status)
{
    wake(t, status, -1);
}

void sched_wake_here(struct thread *t, int64_t status)
{
    wake(t, status, (int)arch_cpu_id());
}

bool sched_set_affinity(struct thread *t, unsigned mask)
{
    mask &= online_mask();
    if (!mask)
        return false;
    t->affinity = (uint8_t)mask;
    if ((mask >> t->cpu) & 1)
        return true;
    if (t->state == THREAD_BLOCKED) {
        /* Woken, it goes where it may; no fast path takes it here. */
        set_cpu(t, (unsigned)__builtin_ctz(mask));
    } else if (t->state == THREAD_READY) {
        sched_remove(t);
        make_ready(t, -1);
    } else if (t->state == THREAD_RUNNING && t != arch_current()) {
        /* Out of user mode there before we return: it moves in
         * kernel_enter, before it can block on that CPU in a fast path. */
        arch_cpu_leave_user(t->cpu);
    } else if (t == arch_current()) {
        sched_yield(); /* back here on a CPU of the new mask */
    }
    return true;
}

bool sched_on_cpu(const struct thread *t)
{
    for (unsigned i = 0; i < arch_cpu_count(); i++)
        if (arch_cpu_current(i) == t)
            return true;
    return false;
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

/* Whether the running thread should give way now: it may not run here
 * any more, or a ready thread here outranks it. */
static bool must_yield(struct sched_cpu *c, struct thread *current)
{
    if (!((current->affinity >> c->id) & 1))
        return true;
    return (c->ready_mask >> (current->priority + 1)) != 0;
}

void sched_tick(void)
{
    struct sched_cpu *c = here();
    if (c->id == 0) {
        klog_kick();
        expire_timeouts();
    }
    struct thread *current = arch_current();
    c->ticks++;
    if (!current || is_idle(current)) {
        c->idle_ticks++;
        switch_away(); /* stays idle unless there is a thread, here or to take */
        return;
    }
    if (current->time_left > 0)
        current->time_left--;
    if (current->time_left == 0 || must_yield(c, current))
        sched_yield();
}

void sched_wakeup_ipi(void)
{
    struct sched_cpu *c = here();
    struct thread *current = arch_current();
    if (!current || is_idle(current))
        switch_away();
    else if (must_yield(c, current))
        sched_yield();
}

/* The boot CPU takes the kernel lock before it lets the others in: its
 * first thread runs first. */
void sched_start(void)
{
    kernel_lock_acquire();
    arch_smp_release();
    kprintf("mica: scheduler started at_ms=%llu\n",
            (unsigned long long)arch_ms_since_boot());
    switch_away();
    arch_idle_loop();
}

void sched_start_cpu(void)
{
    switch_away();
    arch_idle_loop();
}
