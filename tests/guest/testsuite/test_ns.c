/*
 * Suite ns: init's name service as a client sees it (protocol in
 * mica/ns.h): lookups, a registration and a call through the looked-up
 * handle (whose badge is our task id), names that are taken or malformed,
 * and the requests only the console, memory and shell tasks may make.
 */
#include <mica/hello.h>
#include <mica/ns.h>
#include <mica/syscall.h>
#include <string.h>

#include "ktest.h"

#define WAIT_MS 3000

KTEST(ns, lookup_known)
{
    uint64_t h;
    KT_OK(kt_lookup("memory", &h, 10000));
    KT_OK(mica_handle_close(h));
}

KTEST(ns, lookup_unknown)
{
    uint64_t h = 0;
    KT_STATUS(ns_lookup("no-such-server", &h), MICA_ENOENT);
    KT_EQ(h, 0);
}

KTEST(ns, malformed_names_refused)
{
    uint64_t h;
    KT_STATUS(ns_lookup("", &h), MICA_EINVAL);
    KT_STATUS(ns_lookup("Upper", &h), MICA_EINVAL);
    KT_STATUS(ns_lookup("with space", &h), MICA_EINVAL);
    KT_STATUS(ns_lookup("0123456789012345678901234567890123", &h), MICA_EINVAL);
}

/* A task registers only its own module's names (the memory server's,
 * or a name no module has, are not ours). */
KTEST(ns, names_of_other_modules_refused)
{
    const char *const names[] = {"memory", "shell", "nobody-has-this"};
    for (unsigned i = 0; i < 3; i++) {
        uint64_t copy;
        KT_HANDLE(copy, mica_handle_copy(kt_endpoint(), MICA_RIGHTS_ALL, 0));
        long st = ns_register(names[i], copy);
        mica_handle_close(copy);
        KT_STATUS(st, MICA_ERIGHTS);
    }
}

KTEST(ns, unknown_label)
{
    struct mica_msg req = {MICA_INFO(0x1ff, 0), {0}}, rep;
    KT_OK(mica_call(MICA_HANDLE_NS, &req, &rep, WAIT_MS));
    KT_STATUS(MICA_REPLY_STATUS(rep.info), MICA_ENOSYS);
}

KTEST(ns, boot_caps_refused)
{
    uint64_t h;
    KT_STATUS(ns_boot_cap(NS_CAP_COM1, &h), MICA_ERIGHTS);
    KT_STATUS(ns_boot_cap(NS_CAP_RAM, &h), MICA_ERIGHTS);
    KT_STATUS(ns_boot_cap(999, &h), MICA_EINVAL);
}

/* If this fails the machine powers off and the run has no summary. */
KTEST(ns, system_refused)
{
    KT_STATUS(ns_system(MICA_SYSTEM_POWEROFF), MICA_ERIGHTS);
    KT_STATUS(ns_system(77), MICA_EINVAL);
}

struct badge_seen {
    uint64_t ep;
    long status;
    uint64_t badge;
};

static void answer_once(void *arg)
{
    struct badge_seen *b = arg;
    struct mica_msg m;
    b->status = mica_recv(b->ep, &m, &b->badge, WAIT_MS);
    if (b->status == MICA_OK) {
        struct mica_msg r = {MICA_REPLY_INFO(MICA_OK, 0), {m.w[0] * 2}};
        mica_reply(&r);
    }
}

/* Registers an endpoint of our own under our name; the handle a lookup
 * returns reaches it, badged with the looking-up task's id. */
KTEST(ns, register_lookup_call)
{
    struct badge_seen b = {0};
    uint64_t h;
    KT_HANDLE(b.ep, mica_endpoint_create());
    long st = ns_register("testsuite", b.ep);
    if (st != MICA_OK)
        mica_handle_close(b.ep);
    KT_OK(st);
    st = ns_lookup("testsuite", &h);
    if (st != MICA_OK)
        mica_handle_close(b.ep);
    KT_OK(st);
    int job = kt_spawn(answer_once, &b);
    struct mica_msg req = {MICA_INFO(1, 0), {21}}, rep;
    st = mica_call(h, &req, &rep, WAIT_MS);
    bool joined = kt_join(job, WAIT_MS);
    mica_handle_close(h);
    mica_handle_close(b.ep);
    KT_OK(st);
    KT_ASSERT(joined);
    KT_EQ(rep.w[0], 42);
    KT_EQ(b.badge, mica_self_id());
    KT_STATUS(ns_register("testsuite", MICA_HANDLE_NS), MICA_EBUSY);
}

/* The worked example of docs/servers.md, started on demand: it registers,
 * answers HELLO_GREET with its payload, and refuses an unknown label. */
KTEST(ns, example_server_on_demand)
{
    uint64_t id, h;
    KT_OK(ns_spawn("hello", &id));
    KT_NE(id, 0);
    KT_OK(kt_lookup("hello", &h, WAIT_MS));
    struct mica_msg req = {MICA_INFO(HELLO_GREET, 0), {0}}, rep;
    long st = mica_call(h, &req, &rep, WAIT_MS);
    char text[32] = {0};
    size_t len = MICA_INFO_LEN(rep.info);
    if (st == MICA_OK && len <= sizeof(text))
        memcpy(text, mica_ipc_buffer(), len);
    struct mica_msg odd = {MICA_INFO(0x6ff, 0), {0}}, rep2;
    long st2 = mica_call(h, &odd, &rep2, WAIT_MS);
    mica_handle_close(h);
    KT_OK(st);
    KT_OK(MICA_REPLY_STATUS(rep.info));
    KT_EQ(len, sizeof("hello from a new server"));
    KT_ASSERT(strcmp(text, "hello from a new server") == 0);
    KT_OK(st2);
    KT_STATUS(MICA_REPLY_STATUS(rep2.info), MICA_ENOSYS);
}
