/*
 * Reply objects (reply.c): a call a server has taken but will answer
 * later. SYS_REPLY_SAVE moves the reply a thread owes into one, behind a
 * new handle, so that the thread may take other calls meanwhile (a read
 * that waits for a line, while writes go on); SYS_REPLY_TO answers it
 * once, from any thread that holds the handle. The caller stays blocked
 * as in any call: its timeout or death unlinks it (the object is left
 * answering nobody), and when the object's last reference goes before the
 * answer — the handle closed, its holder dead — the caller is woken with
 * MICA_ELOST, as if the server had died. The slot is a kernel object
 * (object.h), charged to the task that saved it.
 */
#ifndef MICA_OBJECT_REPLY_H
#define MICA_OBJECT_REPLY_H

#include "object/object.h"

struct task;
struct thread;

struct reply {
    struct kobject obj;
    struct thread *caller; /* blocked for this answer; NULL once answered or gone */
};

#define MAX_REPLIES 1024 /* as many as endpoints: one budget bounds all pools */

/* A new reply object paid for by `payer`, with no reference and no caller
 * yet; NULL when the pool or the budget is exhausted. */
struct reply *reply_create(struct task *payer);
/* The last reference went (object.c). */
void reply_release(struct reply *r);
struct reply *reply_at(unsigned i);

#endif
