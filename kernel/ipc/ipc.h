/*
 * IPC over the objects of object/endpoint.h and object/notification.h:
 * synchronous messages and asynchronous notifications.
 */
#ifndef MICA_IPC_IPC_H
#define MICA_IPC_IPC_H

#include <mica/abi.h>
#include <stdint.h>

#include "object/endpoint.h"
#include "object/notification.h"
#include "object/reply.h"
#include "task/task.h"

/* Syscall bodies; each takes the current thread and returns a status (for
 * blocking calls, the status set when the thread is woken). */
int64_t ipc_send(struct thread *self, struct endpoint *ep, uint64_t badge, bool call,
                 uint64_t timeout_ms);
int64_t ipc_recv(struct thread *self, struct endpoint *ep, uint64_t timeout_ms);
int64_t ipc_reply(struct thread *self);
/* Moves the reply self owes into r (object/reply.h); MICA_EINVAL when it
 * owes none (r then answers nobody if its caller gave up already). */
int64_t ipc_reply_save(struct thread *self, struct reply *r);
/* Answers the call saved in r with self's message; a no-op when its
 * caller is gone. */
int64_t ipc_reply_saved(struct thread *self, struct reply *r);
/* r's last reference went unanswered: its caller gets MICA_ELOST. */
void ipc_reply_gone(struct reply *r);
/* `receiver` took `caller`'s call and owes it the reply; an earlier call
 * it had not answered ends with MICA_ELOST. */
void ipc_owe_reply(struct thread *receiver, struct thread *caller);
void notification_signal(struct notification *n, uint64_t bits);
int64_t notification_wait(struct thread *self, struct notification *n,
                          uint64_t timeout_ms);

/* The fast path of CALL and REPLY_RECV is arch code entered before any
 * of this (arch/x86_64/fastpath.S); it does what these would do in its
 * case, and leaves everything else to them (counted in task.ipc_general). */

/* A thread is going away: take it off any queue and fail its partners. */
void ipc_thread_gone(struct thread *t);
/* A task died: endpoints it owns become dead. */
void ipc_task_gone(struct task *t);
/* The last reference to an endpoint or notification went while threads
 * may still wait in it: they are woken with MICA_EDEAD. */
void ipc_endpoint_gone(struct endpoint *ep);
void ipc_notification_gone(struct notification *n);
/* Timeouts: called each tick with the current time. */
void ipc_expire(struct thread *t);

#endif
