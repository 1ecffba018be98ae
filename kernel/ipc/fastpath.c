/*
 * The IPC fast path: `call` and `reply_recv` with a message that lives
 * entirely in registers, between threads that are ready for each other.
 *
 * In that case the general path (ipc.c) would: take the receiver off the
 * endpoint's queue, copy the registers, put the receiver on a run queue,
 * block the sender, then ask the scheduler for the highest-priority ready
 * thread — which is the receiver. The fast path does the same state
 * changes but switches straight to the partner, skipping the run queues.
 *
 * What it skips, and why that is safe:
 *   - the payload copy and handle transfer: only taken when the info word
 *     has no payload length and no handle flag;
 *   - the run-queue insert and pick: only taken when no ready thread has a
 *     higher priority than the partner (sched_can_hand_off), so the
 *     scheduler's choice would have been the partner;
 *   - the checks of the slow path's blocking cases: the partner is known
 *     to be waiting (head of the endpoint's receive queue, or the caller
 *     blocked for our reply), and for reply_recv no sender is queued, so
 *     the replier would block in recv anyway.
 * Anything else — a payload, a handle, a fault message, a dead endpoint,
 * a timeout of 0, a receiver that still owes an earlier caller its reply —
 * falls back to ipc.c, which handles every case.
 */
#include "arch.h"
#include "ipc/ipc.h"
#include "sched/sched.h"

static bool registers_only(uint64_t info)
{
    return MICA_INFO_LEN(info) == 0 && !(info & MICA_INFO_HANDLE);
}

/* Delivers the message (already read from the sender's registers) into
 * `to`'s registers, with a successful status. */
static void pass_registers(const struct mica_msg *m, struct thread *to, uint64_t badge)
{
    arch_msg_to_frame(to->frame, badge, m);
    arch_syscall_set_status(to->frame, MICA_OK);
}

bool ipc_fast_call(struct thread *self, struct endpoint *ep, uint64_t badge,
                   uint64_t timeout_ms, int64_t *status)
{
    struct mica_msg m;
    arch_msg_from_frame(self->frame, &m);
    struct thread *r = ep->receivers;
    if (!registers_only(m.info) || ep->dead || !r || r->reply_to || self->in_fault ||
        timeout_ms != MICA_WAIT_FOREVER || !sched_can_hand_off(r))
        return false;
    ep->receivers = r->next;
    r->next = NULL;
    pass_registers(&m, r, badge);
    r->reply_to = self;
    r->reply_gone = false;
    self->caller_of = r;
    self->state = THREAD_BLOCKED;
    self->reason = BLOCK_REPLY;
    self->waiting_on = NULL;
    self->deadline_ms = 0;
    sched_hand_off(r);
    *status = arch_syscall_status(self->frame);
    return true;
}

bool ipc_fast_reply_recv(struct thread *self, struct endpoint *ep, uint64_t timeout_ms,
                         int64_t *status)
{
    struct mica_msg m;
    arch_msg_from_frame(self->frame, &m);
    struct thread *c = self->reply_to;
    if (!registers_only(m.info) || !c || c->in_fault || c->state != THREAD_BLOCKED ||
        c->reason != BLOCK_REPLY || ep->senders || ep->dead ||
        timeout_ms != MICA_WAIT_FOREVER || !sched_can_hand_off(c))
        return false;
    pass_registers(&m, c, 0);
    self->reply_to = NULL;
    c->caller_of = NULL;
    /* Wait on ep, as ipc_recv would with no sender queued. */
    self->state = THREAD_BLOCKED;
    self->reason = BLOCK_RECV;
    self->waiting_on = ep;
    self->deadline_ms = 0;
    self->next = NULL;
    struct thread **tail = &ep->receivers;
    while (*tail)
        tail = &(*tail)->next;
    *tail = self;
    sched_hand_off(c);
    *status = arch_syscall_status(self->frame);
    return true;
}
