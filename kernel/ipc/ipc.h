/*
 * IPC objects: synchronous endpoints and asynchronous notifications.
 */
#ifndef MICA_IPC_IPC_H
#define MICA_IPC_IPC_H

#include <mica/abi.h>
#include <stdint.h>

#include "task/task.h"

struct endpoint {
    unsigned refs;
    uint32_t creator; /* task id charged for it (0: the kernel) */
    bool dead;        /* its creator died: senders get MICA_EDEAD */
    struct task *owner;
    struct thread *senders;   /* FIFO of threads blocked in send/call */
    struct thread *receivers; /* FIFO of threads blocked in recv */
};

struct notification {
    unsigned refs;
    uint32_t creator; /* task id charged for it (0: the kernel) */
    uint64_t bits;
    struct thread *waiter; /* at most one waiting thread */
};

struct endpoint *endpoint_alloc(struct task *owner);
struct notification *notification_alloc(void);

/* Syscall bodies; each takes the current thread and returns a status (for
 * blocking calls, the status set when the thread is woken). */
int64_t ipc_send(struct thread *self, struct endpoint *ep, uint64_t badge, bool call,
                 uint64_t timeout_ms);
int64_t ipc_recv(struct thread *self, struct endpoint *ep, uint64_t timeout_ms);
int64_t ipc_reply(struct thread *self);
/* `receiver` took `caller`'s call and owes it the reply; an earlier call
 * it had not answered ends with MICA_ELOST. */
void ipc_owe_reply(struct thread *receiver, struct thread *caller);
void notification_signal(struct notification *n, uint64_t bits);
int64_t notification_wait(struct thread *self, struct notification *n,
                          uint64_t timeout_ms);

/* The fast path (fastpath.c): returns false, having changed nothing, when
 * the general path must handle the call; true with *status when done. */
bool ipc_fast_call(struct thread *self, struct endpoint *ep, uint64_t badge,
                   uint64_t timeout_ms, int64_t *status);
bool ipc_fast_reply_recv(struct thread *self, struct endpoint *ep, uint64_t timeout_ms,
                         int64_t *status);

/* A thread is going away: take it off any queue and fail its partners. */
void ipc_thread_gone(struct thread *t);
/* A task died: endpoints it owns become dead. */
void ipc_task_gone(struct task *t);
/* Timeouts: called each tick with the current time. */
void ipc_expire(struct thread *t);

#endif
