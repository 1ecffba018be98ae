/*
 * Synchronous IPC over endpoints, and notifications.
 *
 * A message is the five registers of struct mica_msg plus up to 4 KiB of
 * payload, copied from the sender's IPC buffer into the receiver's through
 * the physical map (both buffers are pinned kernel-known frames, so no user
 * pointer is ever followed here). A sender that finds no receiver waits on
 * the endpoint with its message still in its saved registers; a receiver
 * that finds no sender waits likewise. `call` adds a reply link: the
 * receiver must answer with `reply` (or `reply_recv`), and if it dies first
 * the caller is woken with MICA_ELOST (its request may have had an effect);
 * a sender still queued when the endpoint's owner dies gets MICA_EDEAD
 * (nothing was delivered, so a retry is safe).
 */
#include "ipc/ipc.h"

#include <string.h>

#include "arch.h"
#include "kernel.h"
#include "object/reply.h"
#include "sched/sched.h"
#include "trace/trace.h"

/* ---- Wait queues (FIFO, singly linked through thread.next). */

static void enqueue(struct thread **head, struct thread *t)
{
    t->next = NULL;
    while (*head)
        head = &(*head)->next;
    *head = t;
}

static struct thread *dequeue(struct thread **head)
{
    struct thread *t = *head;
    if (t)
        *head = t->next;
    return t;
}

static void unlink(struct thread **head, struct thread *t)
{
    for (; *head; head = &(*head)->next) {
        if (*head == t) {
            *head = t->next;
            return;
        }
    }
}

/* ---- Message transfer. */

/* Moves a handle named in the sender's w[0] into the receiver's table. */
static void transfer_handle(struct thread *from, struct thread *to, struct mica_msg *m)
{
    struct handle h;
    int err;
    m->info &= ~MICA_INFO_HANDLE;
    if (!from->task || !to->task)
        return;
    struct handle_table *ft = &from->task->handles;
    if (m->w[0] == 0 || m->w[0] >= HANDLES_PER_TASK ||
        ft->slot[m->w[0]].type == MICA_OBJ_NONE) {
        m->w[0] = 0;
        return;
    }
    h = ft->slot[m->w[0]];
    (void)err;
    if (!(h.rights & MICA_RIGHT_GRANT)) {
        m->w[0] = 0;
        return;
    }
    int64_t n = handle_install(&to->task->handles, h);
    m->w[0] = n > 0 ? (uint64_t)n : 0;
    if (n > 0)
        m->info |= MICA_INFO_HANDLE;
}

/* Copies the message of `from` (in its saved registers and IPC buffer)
 * to `to`, and sets `to`'s receive registers. */
static void transfer(struct thread *from, struct thread *to, uint64_t badge)
{
    struct mica_msg m;
    if (from->in_fault)
        m = from->fault_msg;
    else
        arch_msg_from_frame(from->frame, &m);
    uint32_t len = MICA_INFO_LEN(m.info);
    if (len > MICA_IPC_PAYLOAD_MAX)
        len = MICA_IPC_PAYLOAD_MAX;
    if (len)
        memcpy(phys_to_virt(to->ipc_buffer_phys), phys_to_virt(from->ipc_buffer_phys),
               len);
    if (m.info & MICA_INFO_HANDLE)
        transfer_handle(from, to, &m);
    arch_msg_to_frame(to->frame, badge, &m);
}

/* Absolute deadline for a relative timeout; 0 means none. */
static uint64_t deadline_for(uint64_t timeout_ms)
{
    if (timeout_ms == MICA_WAIT_FOREVER)
        return 0;
    uint64_t d = sched_now_ms() + timeout_ms;
    return d ? d : 1;
}

static void block_on(struct thread *self, enum block_reason why, void *obj,
                     uint64_t timeout_ms)
{
    self->state = THREAD_BLOCKED;
    self->reason = why;
    self->waiting_on = obj;
    self->deadline_ms = deadline_for(timeout_ms);
}

/* A call ends without an answer (MICA_ELOST, MICA_ETIMEOUT): the recorder
 * notes it as a reply with that status from `server` (NULL: the kernel),
 * so that every recorded call has its end. */
static void end_call(struct thread *caller, struct thread *server, int64_t status)
{
    TRACE(MICA_TRACE_REPLY, server, caller, 0, 0, (uint32_t)status, 0);
    sched_wake(caller, status);
}

/* ---- Endpoint operations. */

void ipc_owe_reply(struct thread *receiver, struct thread *caller)
{
    struct thread *earlier = receiver->reply_to;
    if (earlier) {
        /* A thread answers one call at a time: taking a new one drops the
         * call it had not answered, whose caller must not wait for ever
         * (nor later cancel the new caller's reply, see leave_wait). */
        earlier->caller_of = NULL;
        end_call(earlier, receiver, MICA_ELOST);
    }
    receiver->reply_to = caller;
    receiver->reply_gone = false;
    caller->caller_of = receiver;
}

/* What the recorder notes of a message from t (trace.h). */
static void trace_message(enum mica_trace_kind kind, struct thread *from,
                          struct thread *to, const struct endpoint *ep, uint64_t badge)
{
    struct mica_msg m;
    if (from->in_fault)
        m = from->fault_msg;
    else
        arch_msg_from_frame(from->frame, &m);
    if (from->in_fault)
        badge = m.w[0]; /* the fault's address */
    trace_record(kind, from, to, ep ? endpoint_number(ep) : 0, badge,
                 MICA_INFO_LABEL(m.info), MICA_INFO_LEN(m.info));
}

/* Hands `sender`'s message to `receiver`; the receiver becomes the one that
 * must reply if it was a call. */
static void deliver(struct thread *sender, struct thread *receiver, struct endpoint *ep,
                    uint64_t badge, bool call)
{
    if (__builtin_expect(trace_on, 0))
        trace_message(sender->in_fault ? MICA_TRACE_FAULT
                      : call           ? MICA_TRACE_CALL
                                       : MICA_TRACE_SEND,
                      sender, receiver, ep, badge);
    transfer(sender, receiver, badge);
    if (call) {
        ipc_owe_reply(receiver, sender);
        sender->state = THREAD_BLOCKED;
        sender->reason = BLOCK_REPLY;
        sender->waiting_on = NULL;
    }
}

int64_t ipc_send(struct thread *self, struct endpoint *ep, uint64_t badge, bool call,
                 uint64_t timeout_ms)
{
    if (ep->dead)
        return MICA_EDEAD;
    struct thread *r = dequeue(&ep->receivers);
    if (r) {
        deliver(self, r, ep, badge, call);
        sched_wake(r, MICA_OK);
        if (!call)
            return MICA_OK;
        /* The timeout covers the whole call, the wait for the reply too. */
        self->deadline_ms = deadline_for(timeout_ms);
        sched_block();
        return self->in_fault ? self->fault_status : arch_syscall_status(self->frame);
    }
    if (timeout_ms == MICA_NO_WAIT)
        return MICA_EAGAIN;
    self->is_call = call;
    self->send_badge = badge;
    block_on(self, BLOCK_SEND, ep, timeout_ms);
    enqueue(&ep->senders, self);
    sched_block();
    return self->in_fault ? self->fault_status : arch_syscall_status(self->frame);
}

int64_t ipc_recv(struct thread *self, struct endpoint *ep, uint64_t timeout_ms)
{
    struct thread *s = dequeue(&ep->senders);
    if (s) {
        bool call = s->is_call;
        if (!call)
            s->deadline_ms = 0; /* a send is complete; a call's timeout runs on */
        deliver(s, self, ep, s->send_badge, call);
        if (!call)
            sched_wake(s, MICA_OK);
        return MICA_OK;
    }
    if (ep->dead)
        return MICA_EDEAD;
    if (timeout_ms == MICA_NO_WAIT)
        return MICA_EAGAIN;
    TRACE(MICA_TRACE_RECV, self, NULL, endpoint_number(ep), 0, 0, 0);
    block_on(self, BLOCK_RECV, ep, timeout_ms);
    enqueue(&ep->receivers, self);
    sched_block();
    return arch_syscall_status(self->frame);
}

/* A pager's MICA_FAULT_MAP answer names a frame of one of its RAM
 * objects; the faulting thread maps it (task/fault.c). A handle that is
 * not a RAM object with MANAGE makes the answer a refusal. */
static void take_fault_map(struct thread *pager, struct thread *caller,
                           const struct mica_msg *m)
{
    int err;
    struct ram_object *r = handle_get(&pager->task->handles, m->w[0], MICA_OBJ_RAM,
                                      MICA_RIGHT_MANAGE, NULL, &err);
    if (!r) {
        caller->fault_result = MICA_FAULT_KILL;
        return;
    }
    caller->fault_ram = r;
    caller->fault_index = m->w[1];
    caller->fault_flags = m->w[2];
}

/* Delivers self's answer (in its saved registers and IPC buffer) to a
 * caller blocked for it. */
static void answer(struct thread *self, struct thread *caller)
{
    if (__builtin_expect(trace_on, 0))
        trace_message(MICA_TRACE_REPLY, self, caller, NULL, 0);
    if (caller->in_fault) {
        struct mica_msg m;
        arch_msg_from_frame(self->frame, &m);
        caller->fault_result = MICA_INFO_LABEL(m.info);
        if (caller->fault_result == MICA_FAULT_MAP)
            take_fault_map(self, caller, &m);
    } else {
        transfer(self, caller, 0);
    }
    sched_wake(caller, MICA_OK);
}

/* The caller self owes a reply, unlinked from self; NULL and *st set when
 * there is none: MICA_OK if it gave up (answering it is a no-op), else
 * MICA_EINVAL. */
static struct thread *take_owed(struct thread *self, int64_t *st)
{
    struct thread *caller = self->reply_to;
    if (!caller) {
        *st = self->reply_gone ? MICA_OK : MICA_EINVAL;
        self->reply_gone = false;
        return NULL;
    }
    self->reply_to = NULL;
    caller->caller_of = NULL;
    return caller;
}

int64_t ipc_reply(struct thread *self)
{
    int64_t st;
    struct thread *caller = take_owed(self, &st);
    if (!caller)
        return st;
    if (caller->state != THREAD_BLOCKED || caller->reason != BLOCK_REPLY)
        return MICA_OK; /* it gave up (timeout); nothing to deliver */
    answer(self, caller);
    return MICA_OK;
}

/* ---- Saved replies (object/reply.h). */

int64_t ipc_reply_save(struct thread *self, struct reply *r)
{
    int64_t st;
    struct thread *caller = take_owed(self, &st);
    if (!caller)
        return st; /* one that gave up already leaves r answering nobody */
    caller->saved_in = r;
    r->caller = caller;
    return MICA_OK;
}

int64_t ipc_reply_saved(struct thread *self, struct reply *r)
{
    struct thread *caller = r->caller;
    if (!caller)
        return MICA_OK; /* it gave up or died; nothing to deliver */
    r->caller = NULL;
    caller->saved_in = NULL;
    answer(self, caller);
    return MICA_OK;
}

void ipc_reply_gone(struct reply *r)
{
    struct thread *caller = r->caller;
    if (!caller)
        return;
    r->caller = NULL;
    caller->saved_in = NULL;
    end_call(caller, NULL, MICA_ELOST);
}

/* ---- Notifications. */

void notification_signal(struct notification *n, uint64_t bits)
{
    n->bits |= bits;
    struct thread *w = n->waiter;
    if (w && n->bits) {
        n->waiter = NULL;
        struct mica_msg m = {.info = n->bits};
        n->bits = 0;
        arch_msg_to_frame(w->frame, 0, &m);
        sched_wake(w, MICA_OK);
    }
}

int64_t notification_wait(struct thread *self, struct notification *n,
                          uint64_t timeout_ms)
{
    if (n->bits) {
        struct mica_msg m = {.info = n->bits};
        n->bits = 0;
        arch_msg_to_frame(self->frame, 0, &m);
        return MICA_OK;
    }
    if (n->waiter)
        return MICA_EBUSY;
    if (timeout_ms == MICA_NO_WAIT)
        return MICA_EAGAIN;
    block_on(self, BLOCK_NOTIFY, n, timeout_ms);
    n->waiter = self;
    sched_block();
    return arch_syscall_status(self->frame);
}

/* ---- Death and timeouts. */

static void leave_wait(struct thread *t)
{
    if (t->state != THREAD_BLOCKED)
        return;
    if (t->reason == BLOCK_SEND)
        unlink(&((struct endpoint *)t->waiting_on)->senders, t);
    else if (t->reason == BLOCK_RECV)
        unlink(&((struct endpoint *)t->waiting_on)->receivers, t);
    else if (t->reason == BLOCK_NOTIFY &&
             ((struct notification *)t->waiting_on)->waiter == t)
        ((struct notification *)t->waiting_on)->waiter = NULL;
    else if (t->reason == BLOCK_REPLY && t->caller_of) {
        if (t->caller_of->reply_to == t) {
            t->caller_of->reply_to = NULL;
            t->caller_of->reply_gone = true;
        }
        t->caller_of = NULL;
    } else if (t->reason == BLOCK_REPLY && t->saved_in) {
        t->saved_in->caller = NULL;
        t->saved_in = NULL;
    }
}

void ipc_thread_gone(struct thread *t)
{
    leave_wait(t);
    if (t->reply_to) {
        struct thread *caller = t->reply_to;
        t->reply_to = NULL;
        caller->caller_of = NULL;
        end_call(caller, t, MICA_ELOST);
    }
}

void ipc_task_gone(struct task *task)
{
    for (unsigned i = 0; i < MAX_ENDPOINTS; i++) {
        struct endpoint *ep = endpoint_at(i);
        if (ep->owner != task || ep->obj.refs == 0)
            continue;
        ep->dead = true;
        struct thread *t;
        while ((t = dequeue(&ep->senders)))
            sched_wake(t, MICA_EDEAD);
    }
}

void ipc_endpoint_gone(struct endpoint *ep)
{
    struct thread *t;
    while ((t = dequeue(&ep->senders)))
        sched_wake(t, MICA_EDEAD);
    while ((t = dequeue(&ep->receivers)))
        sched_wake(t, MICA_EDEAD);
}

void ipc_notification_gone(struct notification *n)
{
    struct thread *w = n->waiter;
    n->waiter = NULL;
    if (w)
        sched_wake(w, MICA_EDEAD);
}

void ipc_expire(struct thread *t)
{
    /* A call the receiver had taken ends here; one still queued was never
     * delivered (no call was recorded). */
    bool taken = t->state == THREAD_BLOCKED && t->reason == BLOCK_REPLY;
    leave_wait(t);
    if (taken) {
        end_call(t, NULL, MICA_ETIMEOUT);
        return;
    }
    sched_wake(t, MICA_ETIMEOUT);
}
