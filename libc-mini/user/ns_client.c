/*
 * Client stubs of the name service (protocol in mica/ns.h): each builds one
 * request, calls init on MICA_HANDLE_NS and checks the reply before it
 * trusts it, in particular that a promised handle really arrived.
 */
#include <mica/ns.h>
#include <mica/syscall.h>
#include <string.h>

/* Puts name (with its NUL) in the IPC buffer; returns its length or 0 if
 * it does not fit the protocol. */
static uint32_t put_name(const char *name)
{
    size_t len = strnlen(name, NS_NAME_MAX);
    if (len == 0 || len >= NS_NAME_MAX)
        return 0;
    memcpy(mica_ipc_buffer(), name, len + 1);
    return (uint32_t)len + 1;
}

/* Calls init through handle ns; returns the reply status, or the call's
 * own error. */
static long ns_call_via(uint64_t ns, struct mica_msg *req, struct mica_msg *reply)
{
    long st = mica_call(ns, req, reply, MICA_WAIT_FOREVER);
    return st < 0 ? st : MICA_REPLY_STATUS(reply->info);
}

static long ns_call(struct mica_msg *req, struct mica_msg *reply)
{
    return ns_call_via(MICA_HANDLE_NS, req, reply);
}

/* For replies that carry a handle: the kernel drops the attachment when
 * our handle table is full, which we report as MICA_ENOMEM. */
static long take_handle(const struct mica_msg *reply, uint64_t *handle_out)
{
    if (!(reply->info & MICA_INFO_HANDLE) || reply->w[0] == 0)
        return MICA_ENOMEM;
    *handle_out = reply->w[0];
    return MICA_OK;
}

long ns_register(const char *name, uint64_t ep_handle)
{
    uint32_t len = put_name(name);
    if (!len)
        return MICA_EINVAL;
    struct mica_msg req = {MICA_INFO(NS_REGISTER, len) | MICA_INFO_HANDLE, {ep_handle}};
    struct mica_msg reply;
    return ns_call(&req, &reply);
}

long ns_lookup_via(uint64_t ns, const char *name, uint64_t *handle_out)
{
    uint32_t len = put_name(name);
    if (!len)
        return MICA_EINVAL;
    struct mica_msg req = {MICA_INFO(NS_LOOKUP, len), {0}};
    struct mica_msg reply;
    long st = ns_call_via(ns, &req, &reply);
    return st < 0 ? st : take_handle(&reply, handle_out);
}

long ns_lookup(const char *name, uint64_t *handle_out)
{
    return ns_lookup_via(MICA_HANDLE_NS, name, handle_out);
}

long ns_boot_cap_word(uint32_t which, uint64_t *handle_out, uint64_t *word)
{
    struct mica_msg req = {MICA_INFO(NS_BOOT_CAP, 0), {which}};
    struct mica_msg reply;
    long st = ns_call(&req, &reply);
    if (st < 0)
        return st;
    *word = reply.w[1];
    return take_handle(&reply, handle_out);
}

long ns_boot_cap(uint32_t which, uint64_t *handle_out)
{
    uint64_t word;
    return ns_boot_cap_word(which, handle_out, &word);
}

long ns_system_via(uint64_t ns, uint32_t op)
{
    struct mica_msg req = {MICA_INFO(NS_SYSTEM, 0), {op}};
    struct mica_msg reply;
    return ns_call_via(ns, &req, &reply);
}

long ns_system(uint32_t op)
{
    return ns_system_via(MICA_HANDLE_NS, op);
}

long ns_ready(void)
{
    struct mica_msg req = {MICA_INFO(NS_READY, 0), {0}};
    struct mica_msg reply;
    return ns_call(&req, &reply);
}

/* NS_SPAWN: the reply's status, the task id in *id (may be NULL). */
static long spawn_call(const char *name, uint64_t *id, struct mica_msg *reply)
{
    uint32_t len = put_name(name);
    if (!len)
        return MICA_EINVAL;
    /* Our own task handle goes along: the program is paid for out of our
     * kernel budget (init passes it to SYS_TASK_SPAWN as the payer). */
    struct mica_msg req = {MICA_INFO(NS_SPAWN, len) | MICA_INFO_HANDLE,
                           {MICA_HANDLE_SELF}};
    long st = ns_call(&req, reply);
    if (st == MICA_OK && id)
        *id = reply->w[1];
    return st;
}

long ns_spawn_task(const char *name, uint64_t *id, uint64_t *task)
{
    struct mica_msg reply;
    long st = spawn_call(name, id, &reply);
    return st < 0 ? st : take_handle(&reply, task);
}

long ns_spawn(const char *name, uint64_t *id)
{
    struct mica_msg reply;
    long st = spawn_call(name, id, &reply);
    if (st == MICA_OK && (reply.info & MICA_INFO_HANDLE) && reply.w[0])
        mica_handle_close(reply.w[0]);
    return st;
}

long ns_boot_ms(uint64_t *ms)
{
    struct mica_msg req = {MICA_INFO(NS_BOOT_MS, 0), {0}};
    struct mica_msg reply;
    long st = ns_call(&req, &reply);
    if (st == MICA_OK)
        *ms = reply.w[1];
    return st;
}
