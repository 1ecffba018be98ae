/*
 * Kernel log syscalls: writing to the kernel log (lib/klog.c), and the
 * mechanism a console server uses to show it on the devices it owns.
 *
 *   SYS_DEBUG_WRITE  appends bytes to the log (any task): as the task's
 *                    own lines, `[<name>] ...`, or, with a handle to the
 *                    log with SEND (which init grants by its policy), as
 *                    they are: the lines of SPEC §8 that servers and test
 *                    programs print
 *   SYS_LOG_BIND     makes the caller the log's reader (the kernel stops
 *                    printing and signals a notification instead)
 *   SYS_LOG_READ     copies log bytes out and confirms what was shown
 *
 * The last two need a handle to the log object with MANAGE: a boot
 * capability, which init hands to the console only. Either way the kernel
 * keeps every writer's text on lines of its own (lib/klog.c).
 */
#include "arch.h"
#include "ipc/ipc.h"
#include "kernel.h"
#include "lib/klog.h"
#include "syscall/sys_common.h"

#define DEBUG_WRITE_MAX 512

static int log_object; /* the one log; handles name it by address */

int64_t sys_debug_write(struct trap_frame *f, struct thread *self)
{
    char buf[DEBUG_WRITE_MAX];
    uint64_t len = ARG(1);
    if (len > sizeof(buf))
        return MICA_ERANGE;
    int err;
    if (ARG(2) && !object_arg(self, ARG(2), MICA_OBJ_LOG, MICA_RIGHT_SEND, &err))
        return err;
    if (arch_copy_from_user(buf, ARG(0), len) != 0)
        return MICA_EFAULT;
    klog_write_task(self->task->id, ARG(2) ? NULL : self->task->name, buf, len);
    klog_kick();
    return (int64_t)len;
}

void *sys_log_object(void)
{
    return &log_object;
}

static bool log_arg(struct thread *self, uint64_t h, int *err)
{
    return handle_get(&self->task->handles, h, MICA_OBJ_LOG, MICA_RIGHT_MANAGE, NULL,
                      err);
}

int64_t sys_log_bind(struct trap_frame *f, struct thread *self)
{
    int err;
    if (!log_arg(self, ARG(0), &err))
        return err;
    struct notification *n = signal_arg(self, ARG(1), ARG(2), &err);
    if (!n)
        return err;
    return (int64_t)klog_bind(self->task, n, ARG(2));
}

int64_t sys_log_read(struct trap_frame *f, struct thread *self)
{
    int err;
    if (!log_arg(self, ARG(0), &err))
        return err;
    uint64_t len = ARG(3);
    if (len > MICA_LOG_READ_MAX)
        return MICA_ERANGE;
    uint64_t pos;
    if (arch_copy_from_user(&pos, ARG(1), sizeof(pos)) != 0)
        return MICA_EFAULT;
    /* Through a buffer on this thread's stack: the user copy may block on
     * a pager, and the ring and other readers may move meanwhile. */
    char buf[MICA_LOG_READ_MAX];
    uint64_t want = pos;
    size_t n = klog_read(self->task, &pos, buf, len);
    if (arch_copy_to_user(ARG(2), buf, n) != 0 ||
        (pos != want && arch_copy_to_user(ARG(1), &pos, sizeof(pos)) != 0))
        return MICA_EFAULT;
    return (int64_t)n;
}
