/*
 * hello: the worked example of docs/servers.md, the smallest complete
 * server. It registers "hello" and answers HELLO_GREET (mica/hello.h) with
 * a greeting in the reply's payload; anything else is refused and it goes
 * on serving. The loop, the checks every server makes and the crash label
 * are the runtime's (mica/server.h). On-demand: `ns_spawn("hello")`
 * starts it.
 */
#include <mica/hello.h>
#include <mica/ns.h>
#include <mica/server.h>
#include <mica/syscall.h>
#include <string.h>

static enum server_next do_greet(struct server_request *rq)
{
    static const char text[] = "hello from a new server";
    if (MICA_INFO_LEN(rq->msg.info) || !server_words_zero(rq, 0))
        return server_status(rq, MICA_EINVAL);
    memcpy(rq->ipc, text, sizeof(text));
    rq->reply = (struct mica_msg){MICA_REPLY_INFO(MICA_OK, sizeof(text)), {0}};
    return SERVER_REPLY;
}

static enum server_next handle(struct server_request *rq)
{
    switch (MICA_INFO_LABEL(rq->msg.info)) {
    case HELLO_GREET:
        return do_greet(rq);
    }
    return server_status(rq, MICA_ENOSYS);
}

int main(void)
{
    long ep = mica_endpoint_create();
    if (ep < 0 || ns_register("hello", (uint64_t)ep) != MICA_OK)
        return 1;
    struct server s = {
        .ep = (uint64_t)ep,
        .info_bits = SERVER_INFO_BITS,
        .obeys_crash = true,
        .handle = handle,
    };
    server_run(&s);
    return 0;
}
