/*
 * IPC syscalls: the decoding in front of ipc/ipc.c (CALL and REPLY_RECV
 * come here when the arch fast path, entered first, leaves them to us).
 *
 *   SYS_SEND, SYS_CALL         send on an endpoint (CALL tries the fast path)
 *   SYS_RECV                   receive on an endpoint
 *   SYS_REPLY, SYS_REPLY_RECV  answer the last caller (and wait again)
 *   SYS_REPLY_SAVE, _TO        keep that answer for later, give it later
 *   SYS_NOTIFY_SIGNAL, _WAIT   notifications
 *   SYS_ENDPOINT_CREATE, SYS_NOTIFY_CREATE  new objects, against the quota
 *
 * The message itself stays in the saved registers (and the IPC buffer);
 * ipc.c reads it from there, so these handlers check only the handle, its
 * rights and the payload length.
 */
#include "arch.h"
#include "ipc/ipc.h"
#include "syscall/sys_common.h"
#include "trace/trace.h"

/* The endpoint behind handle h, with the rights needed. */
static struct endpoint *endpoint_arg(struct thread *self, uint64_t h, uint32_t rights,
                                     uint64_t *badge, int *err)
{
    struct handle hd;
    struct endpoint *ep =
        handle_get(&self->task->handles, h, MICA_OBJ_ENDPOINT, rights, &hd, err);
    if (ep && badge)
        *badge = hd.badge;
    return ep;
}

static bool payload_fits(uint64_t info)
{
    return MICA_INFO_LEN(info) <= MICA_IPC_PAYLOAD_MAX;
}

static int64_t send_or_call(struct trap_frame *f, struct thread *self, bool call)
{
    int err;
    uint64_t badge;
    struct endpoint *ep = endpoint_arg(self, ARG(0), MICA_RIGHT_SEND, &badge, &err);
    if (!ep)
        return err;
    if (!payload_fits(ARG(1)))
        return MICA_ERANGE;
    return ipc_send(self, ep, badge, call, ARG(6));
}

int64_t sys_send(struct trap_frame *f, struct thread *self)
{
    return send_or_call(f, self, false);
}

int64_t sys_call(struct trap_frame *f, struct thread *self)
{
    return send_or_call(f, self, true);
}

int64_t sys_recv(struct trap_frame *f, struct thread *self)
{
    int err;
    struct endpoint *ep = endpoint_arg(self, ARG(0), MICA_RIGHT_RECV, NULL, &err);
    if (!ep)
        return err;
    return ipc_recv(self, ep, ARG(6));
}

int64_t sys_reply(struct trap_frame *f, struct thread *self)
{
    /* REPLY takes the message from arguments 0..4 (no endpoint): moved to
     * where ipc.c reads a message from. */
    struct mica_msg m = {ARG(0), {ARG(1), ARG(2), ARG(3), ARG(4)}};
    if (!payload_fits(m.info))
        return MICA_ERANGE;
    arch_msg_to_frame(f, 0, &m);
    return ipc_reply(self);
}

int64_t sys_reply_recv(struct trap_frame *f, struct thread *self)
{
    int err;
    struct endpoint *ep = endpoint_arg(self, ARG(0), MICA_RIGHT_RECV, NULL, &err);
    if (!ep)
        return err;
    if (!payload_fits(ARG(1)))
        return MICA_ERANGE;
    if (self->reply_to)
        ipc_reply(self);
    return ipc_recv(self, ep, ARG(6));
}

/* SYS_REPLY_SAVE: the reply this thread owes, into a new reply object
 * behind a handle (SEND to answer it, GRANT to pass it on). */
int64_t sys_reply_save(struct trap_frame *f, struct thread *self)
{
    (void)f;
    if (!self->reply_to && !self->reply_gone)
        return MICA_EINVAL;
    int64_t slot = handle_free_slot(&self->task->handles);
    if (slot < 0)
        return slot;
    struct reply *r = reply_create(self->task);
    if (!r)
        return MICA_ENOMEM;
    int64_t st = ipc_reply_save(self, r);
    if (st != MICA_OK) {
        object_discard(MICA_OBJ_REPLY, r);
        return st;
    }
    return handle_install(
        &self->task->handles,
        (struct handle){MICA_OBJ_REPLY, MICA_RIGHT_SEND | MICA_RIGHT_GRANT, 0, r});
}

/* SYS_REPLY_TO(reply, info, w0..w3): the message is already where ipc.c
 * reads one (as for SEND); the handle is closed, answered or not. */
int64_t sys_reply_to(struct trap_frame *f, struct thread *self)
{
    int err;
    struct reply *r = object_arg(self, ARG(0), MICA_OBJ_REPLY, MICA_RIGHT_SEND, &err);
    if (!r)
        return err;
    if (!payload_fits(ARG(1)))
        return MICA_ERANGE;
    int64_t st = ipc_reply_saved(self, r);
    handle_close(&self->task->handles, ARG(0));
    return st;
}

int64_t sys_notify_signal(struct trap_frame *f, struct thread *self)
{
    int err;
    struct notification *n =
        object_arg(self, ARG(0), MICA_OBJ_NOTIFICATION, MICA_RIGHT_SEND, &err);
    if (!n)
        return err;
    TRACE(MICA_TRACE_NOTIFY, self, n->waiter, 0, ARG(1), (uint32_t)ARG(1), 0);
    notification_signal(n, ARG(1));
    return MICA_OK;
}

int64_t sys_notify_wait(struct trap_frame *f, struct thread *self)
{
    int err;
    struct notification *n =
        object_arg(self, ARG(0), MICA_OBJ_NOTIFICATION, MICA_RIGHT_RECV, &err);
    if (!n)
        return err;
    return notification_wait(self, n, ARG(6));
}

/* Gives the caller a handle with every right to a new object, or drops
 * the object again when its table is full. */
static int64_t install_new(struct task *t, enum mica_object_type type, void *obj)
{
    int64_t h =
        handle_install(&t->handles, (struct handle){type, MICA_RIGHTS_ALL, 0, obj});
    if (h < 0)
        object_discard(type, obj);
    return h;
}

int64_t sys_endpoint_create(struct trap_frame *f, struct thread *self)
{
    struct endpoint *ep = endpoint_create(self->task, self->task);
    return ep ? install_new(self->task, MICA_OBJ_ENDPOINT, ep) : MICA_ENOMEM;
}

int64_t sys_notify_create(struct trap_frame *f, struct thread *self)
{
    struct notification *n = notification_create(self->task);
    return n ? install_new(self->task, MICA_OBJ_NOTIFICATION, n) : MICA_ENOMEM;
}
