/*
 * SYS_TRACE: the IPC flight recorder (trace/trace.c), for the holder of the
 * trace capability (init's boot capability MICA_BOOT_CAP_TRACE, which it
 * gives to modules with caps=trace: the shell).
 *
 *   (trace, MICA_TRACE_ON | MICA_TRACE_OFF)
 *   (trace, MICA_TRACE_READ, seq, struct mica_trace_event *, n)
 */
#include "syscall/sys_common.h"
#include "trace/trace.h"

#define TRACE_READ_MAX 64 /* events one call copies at most */

int64_t sys_trace(struct trap_frame *f, struct thread *self)
{
    int err;
    if (!object_arg(self, ARG(0), MICA_OBJ_TRACE, MICA_RIGHT_MANAGE, &err))
        return err;
    if (ARG(1) != MICA_TRACE_READ)
        return trace_control(ARG(1));
    uint64_t n = ARG(4) < TRACE_READ_MAX ? ARG(4) : TRACE_READ_MAX;
    if (!arch_user_range(ARG(3), n * sizeof(struct mica_trace_event)))
        return MICA_EFAULT;
    return trace_read(ARG(2), ARG(3), n);
}
