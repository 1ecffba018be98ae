/*
 * The server loop (mica/server.h).
 */
#include <mica/server.h>
#include <mica/syscall.h>

bool server_words_zero(const struct server_request *rq, unsigned first)
{
    for (unsigned i = first; i < 4; i++)
        if (rq->msg.w[i])
            return false;
    return true;
}

long server_defer(struct server_request *rq)
{
    (void)rq; /* the reply the kernel keeps for this thread is rq's */
    return mica_reply_save();
}

long server_answer(uint64_t reply, const struct mica_msg *m)
{
    return mica_reply_to(reply, m);
}

/* The checks every server makes, then its handler. */
static enum server_next serve_one(const struct server *s, struct server_request *rq)
{
    rq->handle = (rq->msg.info & MICA_INFO_HANDLE) ? rq->msg.w[0] : 0;
    rq->keep_handle = false;
    rq->reply_handle = 0;
    rq->ipc = s->ipc ? s->ipc : mica_ipc_buffer();
    rq->reply = (struct mica_msg){MICA_REPLY_INFO(MICA_OK, 0), {0}};
    enum server_next next;
    if (s->obeys_crash && MICA_INFO_LABEL(rq->msg.info) == MICA_LABEL_CRASH)
        next = server_status(rq, mica_obey_crash(rq->badge));
    else if (rq->msg.info & ~s->info_bits)
        next = server_status(rq, MICA_EINVAL);
    else
        next = s->handle(rq);
    if (rq->handle && !rq->keep_handle)
        mica_handle_close(rq->handle);
    if (rq->reply_handle) {
        rq->reply.info |= MICA_INFO_HANDLE;
        rq->reply.w[0] = rq->reply_handle;
    }
    return next;
}

void server_run(const struct server *s)
{
    struct server_request rq;
    long st = mica_recv(s->ep, &rq.msg, &rq.badge, MICA_WAIT_FOREVER);
    for (;;) {
        if (st != MICA_OK) {
            mica_yield();
            st = mica_recv(s->ep, &rq.msg, &rq.badge, MICA_WAIT_FOREVER);
            continue;
        }
        enum server_next next = serve_one(s, &rq);
        uint64_t sent = rq.reply_handle;
        if (next == SERVER_NO_REPLY || next == SERVER_DEFERRED) {
            st = mica_recv(s->ep, &rq.msg, &rq.badge, MICA_WAIT_FOREVER);
        } else if (next == SERVER_REPLY_STOP) {
            mica_reply(&rq.reply);
            if (sent)
                mica_handle_close(sent);
            return;
        } else {
            /* A caller that used SEND has no reply waiting: the kernel
             * skips it. */
            st = mica_reply_recv(s->ep, &rq.reply, &rq.msg, &rq.badge, MICA_WAIT_FOREVER);
        }
        if (sent)
            mica_handle_close(sent); /* the reply has taken its copy */
    }
}
