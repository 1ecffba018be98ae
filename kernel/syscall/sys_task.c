/*
 * Task, thread and time syscalls: the decoding in front of task/task.c
 * and the scheduler.
 *
 *   SYS_EXIT, SYS_YIELD, SYS_CLOCK   the caller's own life and time
 *   SYS_TASK_INFO                    describe a task (anyone)
 *   SYS_THREAD_CREATE                a new thread in the caller's task
 *   SYS_TASK_KILL                    end a task the caller holds KILL on
 *   SYS_TASK_NOTIFY_DEATH            be told when a task one manages dies
 *   SYS_MODULE_INFO, SYS_TASK_SPAWN, SYS_TASK_WATCH
 *                                    init's tools (the system capability)
 *
 * Who may end a task is a right on a task handle, MICA_RIGHT_KILL. The
 * kernel gives it to no one but the spawner: TASK_SPAWN returns, with the
 * new task's id, a handle to the task with KILL and GRANT, which the
 * spawner keeps or passes on (init gives one to whoever asked it to start
 * an on-demand program). A task's own handle (MICA_HANDLE_SELF) has no
 * KILL, so handing it to a server (the memory server's MAP, SET_PAGER)
 * does not hand over the task's life.
 */
#include <string.h>

#include "arch.h"
#include "boot/boot_caps.h"
#include "boot/modules.h"
#include "ipc/ipc.h"
#include "kernel.h"
#include "sched/sched.h"
#include "syscall/sys_common.h"
#include "task/fault.h"

/* Priorities init may give (below its own, 6, and above idle, 0). */
#define SPAWN_PRIORITY_DEFAULT 4
#define SPAWN_PRIORITY_MAX     5
/* The rights of the task handle TASK_SPAWN gives the spawner. */
#define SPAWN_HANDLE_RIGHTS (MICA_RIGHT_KILL | MICA_RIGHT_GRANT)

int64_t sys_exit(struct trap_frame *f, struct thread *self)
{
    task_kill(self->task);
    sched_block();
    panic("a dead thread ran again");
}

int64_t sys_yield(struct trap_frame *f, struct thread *self)
{
    sched_yield();
    return MICA_OK;
}

int64_t sys_clock(struct trap_frame *f, struct thread *self)
{
    return (int64_t)sched_now_ms();
}

int64_t sys_task_info(struct trap_frame *f, struct thread *self)
{
    struct task *t = task_by_index((unsigned)ARG(0));
    if (ARG(0) > MAX_TASKS || !t)
        return MICA_ENOENT;
    struct mica_task_info info = {
        .id = t->id,
        .state = t->dead                                         ? MICA_TASK_DEAD
                 : (t->main && t->main->state == THREAD_BLOCKED) ? MICA_TASK_BLOCKED
                                                                 : MICA_TASK_RUNNING,
        .priority = t->priority,
        .pages = t->pages,
        .kernel_frames = t->budget.used[BUDGET_FRAMES],
        .kernel_limit = t->budget.limit[BUDGET_FRAMES],
        .objects = t->budget.used[BUDGET_OBJECTS],
        .objects_limit = t->budget.limit[BUDGET_OBJECTS],
        .mem_pages_children = t->budget.used[BUDGET_PAGES],
        .mem_pages_limit = t->budget.limit[BUDGET_PAGES],
        .ipc_general = t->ipc_general,
    };
    strlcpy(info.name, t->name, sizeof(info.name));
    _Static_assert(sizeof(info.thread_cpu) == TASK_MAX_THREADS, "abi.h thread_cpu");
    for (unsigned k = 0; k < TASK_MAX_THREADS; k++) {
        const struct thread *th = t->dead ? NULL : t->threads[k];
        info.thread_cpu[k] = th ? th->cpu : MICA_CPU_NONE;
        if (th && th->state == THREAD_RUNNING)
            info.threads_running |= 1u << k;
    }
    if (arch_copy_to_user(ARG(1), &info, sizeof(info)) != 0)
        return MICA_EFAULT;
    return MICA_OK;
}

int64_t sys_thread_create(struct trap_frame *f, struct thread *self)
{
    return thread_create(ARG(0), ARG(1), ARG(2));
}

/* Only one's own threads: another task's placement is its own affair. */
int64_t sys_thread_affinity(struct trap_frame *f, struct thread *self)
{
    struct thread *t = self;
    if (ARG(0) != MICA_THREAD_SELF) {
        t = ARG(0) < TASK_MAX_THREADS ? self->task->threads[ARG(0)] : NULL;
        if (!t || t->state == THREAD_DEAD)
            return MICA_EINVAL;
    }
    if (ARG(1) > UINT8_MAX || !sched_set_affinity(t, (unsigned)ARG(1)))
        return MICA_EINVAL;
    return MICA_OK;
}

/* Who holds MANAGE on a task (the memory server, for its clients) may be
 * told of its death; no system capability needed. */
int64_t sys_task_notify_death(struct trap_frame *f, struct thread *self)
{
    int err;
    struct task *t = task_arg(self, ARG(0), MICA_RIGHT_MANAGE, &err);
    if (!t)
        return err;
    struct notification *n = signal_arg(self, ARG(1), ARG(2), &err);
    if (!n)
        return err;
    return task_notify_death(t, n, ARG(2));
}

int64_t sys_task_kill(struct trap_frame *f, struct thread *self)
{
    int err;
    struct task *t = task_arg(self, ARG(0), MICA_RIGHT_KILL, &err);
    if (!t)
        return err;
    kprintf("mica: kill task=%s by=%s action=%s\n", t->name, self->task->name,
            task_fate(t));
    task_kill(t);
    if (t == self->task) {
        sched_block();
        panic("a killed task ran again");
    }
    return MICA_OK;
}

static bool system_arg(struct thread *self, uint64_t h, int *err)
{
    return object_arg(self, h, MICA_OBJ_SYSTEM, MICA_RIGHT_MANAGE, err) != NULL;
}

static const struct boot_module *module_named(const char *name)
{
    const struct boot_module *m;
    for (size_t i = 0; (m = modules_get(i)); i++)
        if (strcmp(m->name, name) == 0)
            return m;
    return NULL;
}

/* The budget a spawn asks for (ARG(4); 0: the defaults) and the task
 * that pays for it (ARG(5), a task handle with MANAGE; 0: the caller). */
static int spawn_budget(struct trap_frame *f, struct thread *self,
                        struct mica_budget *want, struct task **payer)
{
    int err;
    *want = (struct mica_budget){0};
    if (ARG(4) && arch_copy_from_user(want, ARG(4), sizeof(*want)) != 0)
        return MICA_EFAULT;
    if (want->reserved != 0)
        return MICA_EINVAL;
    *payer = ARG(5) ? task_arg(self, ARG(5), MICA_RIGHT_MANAGE, &err) : self->task;
    return *payer ? MICA_OK : err;
}

/* Returns the new task's id, and (second result) the spawner's handle to
 * it; the slot is found before the task is made, so that nothing is left
 * half done when the table is full. The new task's budget is carved out
 * of the payer's: init spawns on behalf of a client with the client's own
 * task handle, so whatever the client starts is paid for by the client. */
int64_t sys_task_spawn(struct trap_frame *f, struct thread *self)
{
    int err;
    char name[32];
    if (!system_arg(self, ARG(0), &err))
        return err;
    struct mica_budget want;
    struct task *payer;
    if ((err = spawn_budget(f, self, &want, &payer)) != MICA_OK)
        return err;
    if (ARG(2) == 0 || ARG(2) >= sizeof(name))
        return MICA_ERANGE;
    if (ARG(3) > SPAWN_PRIORITY_MAX)
        return MICA_EINVAL;
    unsigned priority = ARG(3) ? (unsigned)ARG(3) : SPAWN_PRIORITY_DEFAULT;
    if (arch_copy_from_user(name, ARG(1), ARG(2)) != 0)
        return MICA_EFAULT;
    name[ARG(2)] = '\0';
    const struct boot_module *m = module_named(name);
    if (!m)
        return MICA_ENOENT;
    if (modules_is_first(m))
        return MICA_EINVAL; /* the supervisor itself is not restartable */
    int64_t slot = handle_free_slot(&self->task->handles);
    if (slot < 0)
        return slot;
    struct task *t = task_spawn_module(m, priority, payer, &want, &err);
    if (!t)
        return err;
    boot_caps_grant_ns(t);
    handle_install_at(&self->task->handles, (uint64_t)slot,
                      (struct handle){MICA_OBJ_TASK, SPAWN_HANDLE_RIGHTS, t->id, t});
    arch_syscall_set_second(f, (uint64_t)slot);
    return t->id;
}

int64_t sys_task_watch(struct trap_frame *f, struct thread *self)
{
    int err;
    if (!system_arg(self, ARG(0), &err))
        return err;
    struct notification *n = signal_arg(self, ARG(2), ARG(3), &err);
    if (!n)
        return err;
    struct task *t = task_by_id((uint32_t)ARG(1));
    if (ARG(1) > UINT32_MAX || !t || t->dead)
        return MICA_EDEAD;
    object_ref(MICA_OBJ_NOTIFICATION, n);
    if (t->watch)
        object_unref(MICA_OBJ_NOTIFICATION, t->watch);
    t->watch = n;
    t->watch_bits = ARG(3);
    t->will_restart = ARG(4) != 0;
    return MICA_OK;
}

int64_t sys_module_info(struct trap_frame *f, struct thread *self)
{
    int err;
    if (!system_arg(self, ARG(0), &err))
        return err;
    const struct boot_module *m = ARG(1) < MB2_MAX_MODULES ? modules_get(ARG(1)) : NULL;
    if (!m)
        return MICA_ENOENT;
    struct mica_module_info info = {.size = m->size};
    strlcpy(info.name, m->name, sizeof(info.name));
    sanitize(info.cmdline, sizeof(info.cmdline), m->cmdline ? m->cmdline : "");
    if (arch_copy_to_user(ARG(2), &info, sizeof(info)) != 0)
        return MICA_EFAULT;
    return MICA_OK;
}

int64_t sys_cpu_info(struct trap_frame *f, struct thread *self)
{
    (void)self;
    struct mica_cpu_info info;
    if (ARG(0) >= ARCH_MAX_CPUS || !arch_cpu_describe((unsigned)ARG(0), &info))
        return MICA_ENOENT;
    const struct sched_cpu *c = sched_cpu_state((unsigned)ARG(0));
    if (c && info.runs_tasks) {
        info.ticks = c->ticks;
        info.idle_ticks = c->idle_ticks;
    }
    if (arch_copy_to_user(ARG(1), &info, sizeof(info)) != 0)
        return MICA_EFAULT;
    return MICA_OK;
}
