/*
 * Attacks names: taking over a server's authority through the name
 * service (issue "Authority by capability", items 1, 2 and 5). A task may
 * register only the names of its own module (init's record of what it
 * started, names= of the module line), names die with their owner (a
 * kernel death notification, not a poll), power off and crash requests
 * need a control handle that only init mints, and boot capabilities go
 * by the module's caps= words. secsuite itself holds a control handle
 * (its module line has caps=control) to crash a supervised server under
 * attack: hello-boot, the example server started at boot on this ISO
 * (the console cannot take a crash request while the shell waits in a
 * read: it serves one request at a time).
 */
#include <mica/hello.h>
#include <mica/ns.h>
#include <mica/syscall.h>
#include <string.h>

#include "secsuite.h"

#define WAIT_MS 3000

/* A peer's command that reports a status, and that status. */
static long peer_status(struct peer *p, uint32_t cmd, uint64_t a1, uint64_t a2,
                        struct mica_msg *r)
{
    long st = peer_send(p, cmd, 0, a1, a2, 0);
    if (st == MICA_OK)
        st = peer_wait(p, r, a2 + WAIT_MS);
    return st == MICA_OK ? result_status(r) : st;
}

/* Attack: a peer registers the names of servers that run (console,
 * memory) and of programs that do not (hello, shell, init, fuzzer), so
 * that their clients would call it. Must: MICA_ERIGHTS for each; the real
 * servers still answer. */
KTEST(names, names_of_other_modules_cannot_be_squatted)
{
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    struct mica_msg r;
    for (uint64_t i = SEC_NAME_CONSOLE; i < SEC_NAME_COUNT; i++)
        KT_STATUS(peer_status(p, CMD_REGISTER, i, 0, &r), MICA_ERIGHTS);
    KT_OK(sec_system_answers());
}

/* Attack: the same from us, for names no module has. Must: MICA_ERIGHTS. */
KTEST(names, unknown_names_cannot_be_registered)
{
    const char *const names[] = {"memory2", "consol", "sec-ctl2", "a"};
    for (unsigned i = 0; i < 4; i++) {
        uint64_t c;
        KT_HANDLE(c,
                  mica_handle_copy(kt_endpoint(), MICA_RIGHT_SEND | MICA_RIGHT_GRANT, 0));
        long st = ns_register(names[i], c);
        mica_handle_close(c);
        KT_STATUS(st, MICA_ERIGHTS);
    }
}

/* Attack: two instances of one module race for its name. Must: the first
 * gets it, the second MICA_EBUSY while the first lives. */
KTEST(names, second_instance_cannot_take_a_live_name)
{
    struct peer *a = peer_start(SEC_PEER), *b = peer_start(SEC_PEER);
    KT_ASSERT(a && b);
    struct mica_msg r;
    KT_OK(peer_status(a, CMD_REGISTER, SEC_NAME_OWN, 0, &r));
    KT_STATUS(peer_status(b, CMD_REGISTER, SEC_NAME_OWN, 0, &r), MICA_EBUSY);
}

/* Attack: fill the registry with the names of tasks that die: forty
 * short-lived peers each register their name and exit. Must: every one
 * gets it (the name of the dead is free again at once: init dropped it
 * when the kernel told it of the death), and a lookup after the last one
 * died finds nothing. */
KTEST(names, registry_entries_die_with_their_owner)
{
    unsigned ok = 0;
    for (unsigned i = 0; i < 40; i++) {
        struct peer *p = peer_start(SEC_PEER);
        KT_ASSERT(p);
        struct mica_msg r;
        if (peer_status(p, CMD_REGISTER, SEC_NAME_OWN, 0, &r) == MICA_OK)
            ok++;
        peer_stop(p);
    }
    uint64_t h;
    long looked = ns_lookup("secpeer", &h);
    if (looked == MICA_OK)
        mica_handle_close(h);
    KT_EQ(ok, 40);
    KT_STATUS(looked, MICA_ENOENT);
}

/* Attack: a peer polls NS_REGISTER("hello") as fast as it can while the
 * supervised hello server (module hello-boot, names=hello, on this ISO)
 * crashes and is restarted: the window in which the name has no live
 * owner. Must: the peer never gets the name; the restarted server
 * registers it, and a call through the name reaches the real server. */
KTEST(names, name_not_hijacked_during_restart)
{
    struct mica_msg r;
    long polled;
    long crash = sec_crash_under_poller("hello", SEC_NAME_HELLO, &r, &polled);
    /* The real server is back under its name. */
    uint64_t srv;
    long back = kt_lookup("hello", &srv, WAIT_MS);
    struct mica_msg g = {MICA_INFO(HELLO_GREET, 0), {0}}, gr;
    long greeted = back == MICA_OK ? kt_call(srv, &g, &gr, WAIT_MS) : back;
    if (back == MICA_OK)
        mica_handle_close(srv);
    KT_STATUS(crash, MICA_ELOST); /* it faulted on our request */
    KT_OK(polled);
    KT_EQ(r.w[2], 0);     /* never registered */
    KT_CMP(r.w[3], >, 0); /* and it did try */
    KT_OK(greeted);
    KT_OK(MICA_REPLY_STATUS(gr.info));
}

/* Attack: the same squatting on the memory server's name while it runs.
 * Must: the name is never the peer's; memory still serves us. */
KTEST(names, memory_name_not_taken_by_a_poller)
{
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    struct mica_msg r;
    KT_OK(peer_status(p, CMD_NAME_POLL, SEC_NAME_MEMORY, 300, &r));
    KT_EQ(r.w[2], 0);
    KT_OK(sec_system_answers());
}

/* Attack: ask servers to crash through the handle any lookup gives (hello
 * and memory; the console would not answer while the shell reads).
 * Must: MICA_ERIGHTS from each (the badge has no control bit), and they
 * run. */
KTEST(names, crash_without_control_refused)
{
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    struct mica_msg r;
    const uint64_t servers[] = {SEC_NAME_HELLO, SEC_NAME_MEMORY};
    for (unsigned i = 0; i < 2; i++) {
        KT_OK(peer_send(p, CMD_CALL_NAMED, 0, servers[i], MICA_LABEL_CRASH, 0));
        KT_OK(peer_wait(p, &r, WAIT_MS));
        KT_OK(result_status(&r));
        KT_STATUS((long)(int64_t)r.w[2], MICA_ERIGHTS);
    }
    KT_OK(sec_system_answers());
}

/* Attack: a peer asks init for the capabilities of others: the control
 * handle, RAM, the devices, the log to bind or to write raw. Must:
 * MICA_ERIGHTS for each (its module line has no caps=). */
KTEST(names, boot_caps_follow_the_module_line)
{
    static const uint32_t caps[] = {NS_CAP_CONTROL,  NS_CAP_RAM,    NS_CAP_COM1,
                                    NS_CAP_PS2,      NS_CAP_SCREEN, NS_CAP_LOG,
                                    NS_CAP_LOG_WRITE};
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    struct mica_msg r;
    for (unsigned i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
        KT_STATUS(peer_status(p, CMD_BOOT_CAP, caps[i], 0, &r), MICA_ERIGHTS);
}

/* Attack: power off through the plain name-service handle, and through a
 * copy of our control handle re-badged. Must: MICA_ERIGHTS, and the
 * re-badge MICA_EINVAL (a badge is set once: only init mints the bit). */
KTEST(names, power_off_needs_the_control_handle)
{
    KT_STATUS(ns_system(MICA_SYSTEM_POWEROFF), MICA_ERIGHTS);
    KT_STATUS(ns_system(MICA_SYSTEM_RESET), MICA_ERIGHTS);
    KT_STATUS(mica_handle_copy(MICA_HANDLE_NS, MICA_RIGHT_SEND, NS_BADGE_CONTROL),
              MICA_EINVAL);
    uint64_t con;
    KT_OK(kt_lookup("console", &con, WAIT_MS));
    long rebadged = mica_handle_copy(con, MICA_RIGHT_SEND, NS_BADGE_CONTROL);
    mica_handle_close(con);
    KT_STATUS(rebadged, MICA_EINVAL);
}

/* Attack: speak on init's internal labels (badge 0 only). Must:
 * MICA_ENOSYS for each. */
KTEST(names, internal_labels_refused)
{
    static const uint32_t labels[] = {0x1fe, 0x1ff};
    for (unsigned i = 0; i < 2; i++) {
        struct mica_msg req = {MICA_INFO(labels[i], 0), {1, 0}}, rep;
        KT_OK(kt_call(MICA_HANDLE_NS, &req, &rep, WAIT_MS));
        KT_STATUS(MICA_REPLY_STATUS(rep.info), MICA_ENOSYS);
    }
    KT_OK(sec_system_answers());
}
