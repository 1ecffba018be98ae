/*
 * System calls: one table from number to handler, bounds-checked, and the
 * decoders the handlers share. The handlers live with their kind
 * (sys_common.h lists the files); each decodes and validates its
 * arguments (handles, rights, ranges, user pointers) before it changes
 * anything, and reports bad input with an error code — never a panic.
 */
#include "syscall/syscall.h"

#include "arch.h"
#include "sched/lock.h"
#include "syscall/sys_common.h"

static const syscall_fn syscalls[SYS_COUNT] = {
    [SYS_DEBUG_WRITE] = sys_debug_write,
    [SYS_YIELD] = sys_yield,
    [SYS_EXIT] = sys_exit,
    [SYS_SEND] = sys_send,
    [SYS_RECV] = sys_recv,
    [SYS_CALL] = sys_call,
    [SYS_REPLY] = sys_reply,
    [SYS_REPLY_RECV] = sys_reply_recv,
    [SYS_NOTIFY_SIGNAL] = sys_notify_signal,
    [SYS_NOTIFY_WAIT] = sys_notify_wait,
    [SYS_ENDPOINT_CREATE] = sys_endpoint_create,
    [SYS_NOTIFY_CREATE] = sys_notify_create,
    [SYS_HANDLE_CLOSE] = sys_handle_close,
    [SYS_HANDLE_COPY] = sys_handle_copy,
    [SYS_CLOCK] = sys_clock,
    [SYS_TASK_INFO] = sys_task_info,
    [SYS_IOPORT_ENABLE] = sys_ioport_enable,
    [SYS_IRQ_BIND] = sys_irq_bind,
    [SYS_IRQ_ACK] = sys_irq_ack,
    [SYS_SYSTEM] = sys_system,
    [SYS_MAP] = sys_map,
    [SYS_UNMAP] = sys_unmap,
    [SYS_SET_PAGER] = sys_set_pager,
    [SYS_MEM_INFO] = sys_mem_info,
    [SYS_THREAD_CREATE] = sys_thread_create,
    [SYS_RAM_INFO] = sys_ram_info,
    [SYS_TASK_SPAWN] = sys_task_spawn,
    [SYS_TASK_WATCH] = sys_task_watch,
    [SYS_MODULE_INFO] = sys_module_info,
    [SYS_LOG_BIND] = sys_log_bind,
    [SYS_LOG_READ] = sys_log_read,
    [SYS_TASK_KILL] = sys_task_kill,
    [SYS_TASK_NOTIFY_DEATH] = sys_task_notify_death,
    [SYS_HANDLE_INFO] = sys_handle_info,
    [SYS_REPLY_SAVE] = sys_reply_save,
    [SYS_REPLY_TO] = sys_reply_to,
    [SYS_TRACE] = sys_trace,
    [SYS_CPU_INFO] = sys_cpu_info,
    [SYS_THREAD_AFFINITY] = sys_thread_affinity,
};

void *object_arg(struct thread *self, uint64_t h, enum mica_object_type type,
                 uint32_t rights, int *err)
{
    return handle_get(&self->task->handles, h, type, rights, NULL, err);
}

struct notification *signal_arg(struct thread *self, uint64_t h, uint64_t bits, int *err)
{
    struct notification *n =
        object_arg(self, h, MICA_OBJ_NOTIFICATION, MICA_RIGHT_SEND, err);
    if (n && bits == 0) {
        *err = MICA_EINVAL;
        return NULL;
    }
    return n;
}

struct task *task_arg(struct thread *self, uint64_t h, uint32_t rights, int *err)
{
    struct handle hd;
    struct task *t = handle_get(&self->task->handles, h, MICA_OBJ_TASK, rights, &hd, err);
    if (!t)
        return NULL;
    if (!t->used || t->dead || t->id != hd.badge) {
        *err = MICA_EDEAD;
        return NULL;
    }
    return t;
}

/* From a fast path that fell back with the kernel lock held. */
void syscall_dispatch_locked(struct trap_frame *f)
{
    struct thread *self = thread_current();
    uint64_t nr = arch_syscall_number(f);
    int64_t status = MICA_ENOSYS;
    if (nr < SYS_COUNT && syscalls[nr]) {
        if ((ARCH_FASTPATH_SYSCALLS >> nr) & 1)
            self->task->ipc_general++; /* one the fast paths left to us */
        status = syscalls[nr](f, self);
    }
    arch_syscall_set_status(f, status);
}

/* From syscall.S, the lock not yet taken. */
void syscall_dispatch(struct trap_frame *f)
{
    kernel_enter();
    syscall_dispatch_locked(f);
}
