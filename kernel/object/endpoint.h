/*
 * Endpoints (endpoint.c): the rendezvous of synchronous IPC (ipc/ipc.c
 * moves the messages). The slot is a kernel object (object.h); the task
 * that created the endpoint owns it, and when that task dies the endpoint
 * is dead: queued senders get MICA_EDEAD, later sends fail alike, and the
 * slot lives on until the last reference to it is gone.
 */
#ifndef MICA_OBJECT_ENDPOINT_H
#define MICA_OBJECT_ENDPOINT_H

#include <stdbool.h>

#include "object/object.h"

struct task;
struct thread;

struct endpoint {
    struct kobject obj;
    bool dead; /* its owner died: senders get MICA_EDEAD */
    struct task *owner;
    struct thread *senders;     /* FIFO of threads blocked in send/call */
    struct thread *receivers;   /* FIFO of threads blocked in recv */
} __attribute__((aligned(64))); /* a cache line each: CPUs write their own */

#define MAX_ENDPOINTS 1024

/* A new endpoint owned by `owner`, paid for by `owner` (NULL: by the
 * kernel, which then owns nothing; boot_caps.c gives init ownership), with
 * no reference yet; NULL when the pool or the budget is exhausted. */
struct endpoint *endpoint_create(struct task *owner, struct task *payer);
/* The last reference went (object.c). */
void endpoint_release(struct endpoint *ep);
/* The endpoints in slot order, for walks over the pool (i < MAX_ENDPOINTS). */
struct endpoint *endpoint_at(unsigned i);
/* 1 + its slot, the number reports give it. */
unsigned endpoint_number(const struct endpoint *ep);

#endif
