/*
 * Attacks console: the keyboard and the screen (issue "Authority by
 * capability", item 3). Reading is a capability: the console has one
 * endpoint, and serves CON_READ on it only through an input handle, a
 * copy it badged CON_BADGE_INPUT, which CON_INPUT gives only through a
 * control handle (the shell's). A read's reply is deferred (SYS_REPLY_SAVE)
 * to the console's reader thread, which edits the line while the main
 * thread goes on serving, so a read waiting for a line never holds up
 * anyone's write; one read waits at a time (a second reader, and forged
 * input badges: attack_deferred.c). On this ISO the shell waits in a read
 * the whole time the suite runs.
 */
#include <mica/console.h>
#include <mica/ns.h>
#include <mica/syscall.h>
#include <string.h>

#include "secsuite.h"

#define WAIT_MS 3000

static long peer_call_named(struct peer *p, uint64_t name, uint32_t label, uint64_t w0,
                            struct mica_msg *r)
{
    long st = peer_send(p, CMD_CALL_NAMED, 0, name, label, w0);
    if (st == MICA_OK)
        st = peer_wait(p, r, WAIT_MS);
    return st;
}

/* Attack: take the next line the user types: CON_READ through the handle
 * any lookup gives. Must: MICA_ERIGHTS at once (not a wait for a line). */
KTEST(console, read_without_the_input_capability_refused)
{
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    struct mica_msg r;
    KT_OK(peer_call_named(p, SEC_NAME_CONSOLE, CON_READ, 16, &r));
    KT_OK(result_status(&r));
    KT_STATUS((long)(int64_t)r.w[2], MICA_ERIGHTS);
}

/* Attack: ask the console for an input handle without the control bit.
 * Must: MICA_ERIGHTS, no handle. */
KTEST(console, input_capability_needs_control)
{
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    struct mica_msg r;
    KT_OK(peer_call_named(p, SEC_NAME_CONSOLE, CON_INPUT, 0, &r));
    KT_OK(result_status(&r));
    KT_STATUS((long)(int64_t)r.w[2], MICA_ERIGHTS);
}

/* Attack: starve writers by keeping the console busy in a read (the shell
 * is in one now). Must: our writes are served at once, each within a
 * 500 ms timeout. */
KTEST(console, writes_not_starved_by_a_waiting_read)
{
    uint64_t con;
    KT_OK(kt_lookup("console", &con, WAIT_MS));
    static const char text[] = "console-attack: a write while the shell reads\n";
    long st = MICA_OK;
    for (unsigned i = 0; i < 5 && st == MICA_OK; i++) {
        memcpy(kt_ipc(), text, sizeof(text) - 1);
        struct mica_msg req = {MICA_INFO(CON_WRITE, sizeof(text) - 1), {0}}, rep;
        st = kt_call(con, &req, &rep, 500);
        if (st == MICA_OK)
            st = MICA_REPLY_STATUS(rep.info);
    }
    mica_handle_close(con);
    KT_OK(st);
}

/* Attack: a peer polls NS_REGISTER("console") as fast as it can while the
 * console crashes and is restarted (we hold a control handle: our module
 * line has caps=control). Must: the peer never gets the name; the
 * restarted console registers it and serves a write through it. (The
 * shell, whose read was lost, takes the input capability again: the
 * harness types at it once the suite is done.) */
KTEST(console, console_name_not_hijacked_during_restart)
{
    struct mica_msg r;
    long polled;
    long crash = sec_crash_under_poller("console", SEC_NAME_CONSOLE, &r, &polled);
    uint64_t con;
    long back = kt_lookup("console", &con, WAIT_MS);
    struct mica_msg w = {MICA_INFO(CON_WRITE, 0), {0}}, wr;
    long wrote = back == MICA_OK ? kt_call(con, &w, &wr, WAIT_MS) : back;
    if (back == MICA_OK)
        mica_handle_close(con);
    KT_STATUS(crash, MICA_ELOST); /* it faulted on our request */
    KT_OK(polled);
    KT_EQ(r.w[2], 0);     /* never registered */
    KT_CMP(r.w[3], >, 0); /* and it did try */
    KT_OK(wrote);
    KT_OK(MICA_REPLY_STATUS(wr.info));
}
