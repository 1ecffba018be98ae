/*
 * Handle syscalls: the caller's own handle table (cap/handle.c).
 *
 *   SYS_HANDLE_CLOSE  drops a handle
 *   SYS_HANDLE_COPY   a new handle to the same object, with fewer rights and
 *                     (on an unbadged endpoint or notification) a badge
 *   SYS_HANDLE_INFO   what a handle of the caller's is (type, rights, badge)
 */
#include "arch.h"
#include "cap/handle.h"
#include "object/reply.h"
#include "syscall/sys_common.h"

int64_t sys_handle_close(struct trap_frame *f, struct thread *self)
{
    return handle_close(&self->task->handles, ARG(0));
}

int64_t sys_handle_copy(struct trap_frame *f, struct thread *self)
{
    uint64_t h = ARG(0);
    struct handle_table *t = &self->task->handles;
    if (h == 0 || h >= HANDLES_PER_TASK || t->slot[h].type == MICA_OBJ_NONE)
        return MICA_EBADH;
    struct handle copy = t->slot[h];
    bool badgeable = copy.type == MICA_OBJ_ENDPOINT || copy.type == MICA_OBJ_NOTIFICATION;
    /* A badge is set once, on an unbadged handle (like minting in seL4):
     * re-badging would let a task speak as another. A task handle's badge
     * is its identity check and never changes. */
    if (ARG(2) && (!badgeable || copy.badge != 0))
        return MICA_EINVAL;
    copy.rights &= (uint32_t)ARG(1);
    if (ARG(2))
        copy.badge = ARG(2);
    return handle_install(t, copy);
}

int64_t sys_handle_info(struct trap_frame *f, struct thread *self)
{
    uint64_t h = ARG(0);
    struct handle_table *t = &self->task->handles;
    if (h == 0 || h >= HANDLES_PER_TASK || t->slot[h].type == MICA_OBJ_NONE)
        return MICA_EBADH;
    const struct handle *hd = &t->slot[h];
    struct mica_handle_info info = {hd->type, hd->rights, hd->badge};
    if (hd->type == MICA_OBJ_REPLY)
        info.badge = ((const struct reply *)hd->object)->caller != NULL;
    if (arch_copy_to_user(ARG(1), &info, sizeof(info)) != 0)
        return MICA_EFAULT;
    return MICA_OK;
}
