/*
 * hello: the worked example of docs/servers.md — the smallest complete
 * server. It registers "hello" and answers HELLO_GREET (mica/hello.h) with
 * a greeting in the reply's payload; anything else is refused and it goes
 * on serving. On-demand: `ns_spawn("hello")` starts it.
 */
#include <mica/hello.h>
#include <mica/ns.h>
#include <mica/syscall.h>
#include <string.h>

static struct mica_msg reply_status(long status)
{
    return (struct mica_msg){MICA_REPLY_INFO(status, 0), {0}};
}

static struct mica_msg do_greet(const struct mica_msg *req)
{
    static const char text[] = "hello from a new server";
    if (MICA_INFO_LEN(req->info) || req->w[0] || req->w[1] || req->w[2] || req->w[3])
        return reply_status(MICA_EINVAL);
    memcpy(mica_ipc_buffer(), text, sizeof(text));
    return (struct mica_msg){MICA_REPLY_INFO(MICA_OK, sizeof(text)), {0}};
}

static struct mica_msg dispatch(const struct mica_msg *req, uint64_t badge)
{
    switch (MICA_INFO_LABEL(req->info)) {
    case HELLO_GREET:
        return do_greet(req);
    case MICA_LABEL_CRASH:
        return reply_status(mica_obey_crash(badge));
    }
    return reply_status(MICA_ENOSYS);
}

int main(void)
{
    long ep = mica_endpoint_create();
    if (ep < 0 || ns_register("hello", (uint64_t)ep) != MICA_OK)
        return 1;
    struct mica_msg req, reply;
    uint64_t badge;
    long st = mica_recv((uint64_t)ep, &req, &badge, MICA_WAIT_FOREVER);
    for (;;) {
        reply = st == MICA_OK ? dispatch(&req, badge) : reply_status(st);
        st = mica_reply_recv((uint64_t)ep, &reply, &req, &badge, MICA_WAIT_FOREVER);
    }
}
