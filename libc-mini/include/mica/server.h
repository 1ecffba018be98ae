/*
 * mica/server.h - the one server runtime: the receive, check, handle,
 * reply loop every server runs (server.c), so that each server writes only
 * its handler.
 *
 * The loop answers with SYS_REPLY_RECV, so a request costs one kernel
 * entry on each side. Before the handler sees a request the runtime
 * refuses, with MICA_EINVAL, info bits the server did not declare and an
 * attached handle the server does not take (it is closed, never leaked);
 * it obeys MICA_LABEL_CRASH from a control badge (mica_obey_crash) for
 * servers that allow it; and after the handler it closes the request's
 * handle unless the handler kept it, and a handle the reply carried once
 * the reply has taken its copy.
 *
 * A thread owes one reply at a time (the kernel's rule). A request that
 * must wait (a read waiting for a line) is deferred instead: the handler
 * calls server_defer, which moves the reply into a reply handle
 * (SYS_REPLY_SAVE), and returns SERVER_DEFERRED; the loop takes the next
 * request at once, and whoever holds the handle answers later with
 * server_answer (the console's reader thread, once a line is typed). A
 * deferred caller whose server dies, or closes the handle unanswered,
 * gets MICA_ELOST.
 */
#ifndef MICA_LIBC_SERVER_H
#define MICA_LIBC_SERVER_H

#include <mica/abi.h>
#include <mica/syscall.h>
#include <stdbool.h>
#include <stdint.h>

/* What the loop does after the handler. */
enum server_next {
    SERVER_REPLY,      /* send rq->reply, take the next request */
    SERVER_NO_REPLY,   /* nothing to answer (a send, or handled otherwise) */
    SERVER_REPLY_STOP, /* send rq->reply, then server_run returns */
    SERVER_DEFERRED,   /* the handler kept the reply (server_defer) */
};

struct server_request {
    struct mica_msg msg;   /* as received */
    uint64_t badge;        /* of the handle the client used */
    uint64_t handle;       /* attached handle (0: none); closed after the
                              handler unless keep_handle */
    bool keep_handle;      /* set by a handler that keeps `handle` */
    void *ipc;             /* the serving thread's IPC buffer (payloads) */
    struct mica_msg reply; /* preset to status MICA_OK, no words */
    uint64_t reply_handle; /* to attach to the reply (0: none); closed once
                              sent */
};

/* Info bits every request may use: the label and the payload length; a
 * server that takes handles adds MICA_INFO_HANDLE. */
#define SERVER_INFO_BITS (0xffffffffull | (0x1fffull << 32))

struct server {
    uint64_t ep;        /* the endpoint it receives on (RECV) */
    uint64_t info_bits; /* SERVER_INFO_BITS, | MICA_INFO_HANDLE if it takes handles */
    bool obeys_crash;   /* MICA_LABEL_CRASH from a control badge faults us */
    void *ipc;          /* the serving thread's IPC buffer; NULL: the main thread's */
    enum server_next (*handle)(struct server_request *rq);
};

/* Serves requests until a handler returns SERVER_REPLY_STOP. */
void server_run(const struct server *s);

/* For handlers: a reply with this status and no words. */
static inline enum server_next server_status(struct server_request *rq, long status)
{
    rq->reply = (struct mica_msg){MICA_REPLY_INFO(status, 0), {0}};
    return SERVER_REPLY;
}

/* Whether words w[first..3] of the request are all zero (unused words
 * must be: MICA_EINVAL otherwise). */
bool server_words_zero(const struct server_request *rq, unsigned first);

/* For handlers: keeps the reply to this request for later. Returns the
 * reply handle (> 0), and the handler returns SERVER_DEFERRED; or a
 * negative MICA_E* (no slot or budget left), and the handler answers now
 * as usual. The request's attached handle is closed as for any request
 * unless kept; a deferred reply carries no handle. */
long server_defer(struct server_request *rq);
/* Answers a deferred request (any thread of the server may): the payload
 * comes from the calling thread's IPC buffer. Closes `reply`. */
long server_answer(uint64_t reply, const struct mica_msg *m);

#endif
