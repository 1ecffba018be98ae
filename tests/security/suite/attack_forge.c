/*
 * Attacks forge: handle forgery. A task reaches kernel objects only
 * through its own handle table: guessed numbers name nothing, a badge is
 * set once and never changed or cleared, copies never gain rights, a task
 * handle names one task for good (its badge is the task id, checked on
 * every use, so a handle to a dead task fails even when its slot holds a
 * new task), and a handle travels only if the sender holds it with GRANT.
 * The name service (init) adds its own rules: boot capabilities only for
 * the tasks its policy names, no stopping the machine, no taking a live
 * server's name, no starting boot servers a second time, and no speaking
 * on its internal labels.
 */
#include <mica/memory.h>
#include <mica/ns.h>
#include <mica/syscall.h>

#include "secsuite.h"

#define WAIT_MS 3000
#define TEXT_VA 0x400000ull
/* init's own label (servers/init/protocol.h): only its supervision thread
 * may use it. */
#define NS_INTERNAL_RESTARTED 0x1ff

static bool slot_free(uint64_t h)
{
    return mica_notify_signal(h, 0) == MICA_EBADH;
}

/* Attack: use handle numbers we were never given: every free slot, 0, 64
 * and beyond. Must: MICA_EBADH from every call that takes a handle. */
KTEST(forge, guessed_handle_numbers_name_nothing)
{
    uint64_t names[80], ep = kt_endpoint();
    unsigned n = 0;
    for (uint64_t h = 2; h < 63; h++)
        if (slot_free(h))
            names[n++] = h;
    const uint64_t beyond[] = {0, 64, 65, 1ull << 32, 1ull << 63, ~0ull};
    for (unsigned i = 0; i < sizeof(beyond) / sizeof(beyond[0]); i++)
        names[n++] = beyond[i];
    KT_CMP(n, >, 10);
    for (unsigned i = 0; i < n; i++) {
        uint64_t h = names[i], bits;
        struct mica_msg m = {MICA_INFO(1, 0), {0}}, rep;
        KT_STATUS(kt_send(h, &m, MICA_NO_WAIT), MICA_EBADH);
        KT_STATUS(kt_call(h, &m, &rep, MICA_NO_WAIT), MICA_EBADH);
        KT_STATUS(kt_recv(h, &m, NULL, MICA_NO_WAIT), MICA_EBADH);
        KT_STATUS(mica_notify_signal(h, 1), MICA_EBADH);
        KT_STATUS(mica_notify_wait(h, &bits, MICA_NO_WAIT), MICA_EBADH);
        KT_STATUS(mica_handle_copy(h, MICA_RIGHTS_ALL, 0), MICA_EBADH);
        KT_STATUS(mica_handle_close(h), MICA_EBADH);
        KT_STATUS(mica_unmap(h, TEXT_VA), MICA_EBADH);
        KT_STATUS(mica_map(h, 0x10000000, h, 0, 0), MICA_EBADH);
        KT_STATUS(mica_set_pager(MICA_HANDLE_SELF, h), MICA_EBADH);
        KT_STATUS(mica_set_pager(h, ep), MICA_EBADH);
    }
}

struct badge_job {
    uint64_t ep, badge;
    long status, rebadge;
};

/* Receives one message; if a handle came with it, tries to re-badge it. */
static void receive_badge(void *arg)
{
    struct badge_job *j = arg;
    struct mica_msg m;
    j->status = kt_recv(j->ep, &m, &j->badge, WAIT_MS);
    if (j->status == MICA_OK && (m.info & MICA_INFO_HANDLE)) {
        long c = mica_handle_copy(m.w[0], MICA_RIGHT_SEND, 0x3333);
        if (c > 0)
            mica_handle_close((uint64_t)c);
        j->rebadge = c > 0 ? MICA_OK : c;
        mica_handle_close(m.w[0]);
    }
}

/* Attack: change the badge a server sees: re-badge a badged handle, clear
 * it with a zero-badge copy, re-badge it after passing it on, re-badge the
 * name-service handle (badged with our id). Must: re-badging is
 * MICA_EINVAL everywhere, and a zero-badge copy still carries the badge
 * first minted. */
KTEST(forge, badge_never_reminted_or_cleared)
{
    uint64_t e = kt_endpoint(), via = kt_endpoint(), badged, cleared;
    KT_HANDLE(badged, mica_handle_copy(e, MICA_RIGHT_SEND | MICA_RIGHT_GRANT, 0x1111));
    long again = mica_handle_copy(badged, MICA_RIGHT_SEND, 0x2222);
    if (again > 0)
        mica_handle_close((uint64_t)again);
    long ns = mica_handle_copy(MICA_HANDLE_NS, MICA_RIGHT_SEND, 1);
    if (ns > 0)
        mica_handle_close((uint64_t)ns);
    long c = mica_handle_copy(badged, MICA_RIGHT_SEND | MICA_RIGHT_GRANT, 0);
    if (c <= 0)
        mica_handle_close(badged);
    KT_HANDLE(cleared, c);
    /* The zero-badge copy speaks with the old badge. */
    struct badge_job j1 = {.ep = e, .status = 1};
    int job = kt_spawn(receive_badge, &j1);
    struct mica_msg m = {MICA_INFO(1, 0), {0}};
    long sent = kt_send(cleared, &m, WAIT_MS);
    bool joined = kt_join(job, WAIT_MS);
    /* Passed on, it cannot be re-badged either. */
    struct badge_job j2 = {.ep = via, .status = 1, .rebadge = 1};
    job = kt_spawn(receive_badge, &j2);
    struct mica_msg pass = {MICA_INFO(2, 0) | MICA_INFO_HANDLE, {badged}};
    long passed = kt_send(via, &pass, WAIT_MS);
    bool joined2 = kt_join(job, WAIT_MS);
    mica_handle_close(cleared);
    mica_handle_close(badged);
    KT_STATUS(again, MICA_EINVAL);
    KT_STATUS(ns, MICA_EINVAL);
    KT_OK(sent);
    KT_ASSERT(joined && joined2);
    KT_OK(j1.status);
    KT_EQ(j1.badge, 0x1111);
    KT_OK(passed);
    KT_OK(j2.status);
    KT_STATUS(j2.rebadge, MICA_EINVAL);
}

/* Attack: regain rights by copying: a send-only endpoint copied with all
 * rights (and with bits no right has), a task handle without MANAGE
 * copied with all. Must: receive is MICA_ERIGHTS, the copy cannot be
 * passed on (no GRANT: dropped), and the task handle cannot UNMAP or
 * SET_PAGER (MICA_ERIGHTS). */
KTEST(forge, copies_never_gain_rights)
{
    uint64_t e = kt_endpoint(), via = kt_endpoint(), s, all, t, t_all;
    KT_HANDLE(s, mica_handle_copy(e, MICA_RIGHT_SEND, 0));
    long a = mica_handle_copy(s, 0xffffffffu, 0);
    mica_handle_close(s);
    KT_HANDLE(all, a);
    struct mica_msg m;
    long recv = kt_recv(all, &m, NULL, MICA_NO_WAIT);
    struct badge_job j = {.ep = via, .status = 1, .rebadge = 1};
    int job = kt_spawn(receive_badge, &j);
    struct mica_msg pass = {MICA_INFO(3, 0) | MICA_INFO_HANDLE, {all}};
    long passed = kt_send(via, &pass, WAIT_MS);
    bool joined = kt_join(job, WAIT_MS);
    mica_handle_close(all);
    KT_STATUS(recv, MICA_ERIGHTS);
    KT_OK(passed);
    KT_ASSERT(joined);
    KT_STATUS(j.rebadge, 1); /* no handle arrived to try it on */

    KT_HANDLE(t, mica_handle_copy(MICA_HANDLE_SELF, MICA_RIGHT_GRANT, 0));
    long ta = mica_handle_copy(t, MICA_RIGHTS_ALL, 0);
    mica_handle_close(t);
    KT_HANDLE(t_all, ta);
    long unmap = mica_unmap(t_all, TEXT_VA);
    long pager = mica_set_pager(t_all, e);
    mica_handle_close(t_all);
    KT_STATUS(unmap, MICA_ERIGHTS);
    KT_STATUS(pager, MICA_ERIGHTS);
}

/* The index of task `id` in SYS_TASK_INFO order (the kernel's slot
 * order), or -1. */
static int task_index(uint64_t id)
{
    struct mica_task_info ti;
    for (uint32_t i = 0; i < 256 && mica_task_info(i, &ti) == MICA_OK; i++)
        if (ti.id == id)
            return (int)i;
    return -1;
}

/* Attack: keep a peer's task handle (it gave it to us) after the peer
 * died, and use it once a new peer runs in the dead one's slot (we start
 * peers until one lands there: slots are reused lowest first). Must:
 * MICA_EDEAD for UNMAP, SET_PAGER and MAP through it (and through a copy
 * made afterwards), before and after; the new peer goes on unharmed. */
KTEST(forge, dead_task_handle_never_names_slot_successor)
{
    uint64_t ep = kt_endpoint();
    struct peer *a = peer_start(SEC_PEER);
    KT_ASSERT(a);
    struct mica_msg r;
    KT_OK(peer_do(a, CMD_GIVE_SELF, 0, 0, 0, 0, &r));
    KT_ASSERT(r.info & MICA_INFO_HANDLE);
    uint64_t ta = r.w[0];
    int slot = task_index(a->id);
    /* Alive, the handle works: page zero is refused on the address, after
     * the task checks. */
    long live = mica_unmap(ta, 0);
    peer_stop(a);
    long dead_unmap = mica_unmap(ta, TEXT_VA);
    struct peer *b = NULL;
    for (unsigned tries = 0; tries < 6 && !b; tries++) {
        struct peer *c = NULL;
        if (peer_try_start(SEC_PEER, &c) != MICA_OK)
            break;
        if (task_index(c->id) == slot)
            b = c; /* the others stay until the test ends, holding slots */
    }
    long copy = mica_handle_copy(ta, MICA_RIGHTS_ALL, 0);
    long after_unmap = mica_unmap(ta, TEXT_VA);
    long after_pager = mica_set_pager(ta, ep);
    long after_map = mica_map(ta, 0x10000000, ta, 0, MICA_MAP_WRITE);
    long copy_unmap = copy > 0 ? mica_unmap((uint64_t)copy, TEXT_VA) : copy;
    if (copy > 0)
        mica_handle_close((uint64_t)copy);
    mica_handle_close(ta);
    KT_STATUS(live, MICA_EINVAL);
    KT_STATUS(dead_unmap, MICA_EDEAD);
    KT_CMP(slot, >=, 0);
    if (!b)
        KT_SKIP("no new task took the dead task's slot");
    KT_STATUS(after_unmap, MICA_EDEAD);
    KT_STATUS(after_pager, MICA_EDEAD);
    KT_STATUS(after_map, MICA_EDEAD);
    KT_STATUS(copy_unmap, MICA_EDEAD);
    KT_OK(peer_do(b, CMD_PING, 0, 0, 0, 0, &r));
    KT_EQ(r.w[2], b->id);
}

struct transfer_job {
    uint64_t ep;
    unsigned got, with_handle;
};

static void receive_four(void *arg)
{
    struct transfer_job *j = arg;
    for (unsigned i = 0; i < 4; i++) {
        struct mica_msg m;
        if (kt_recv(j->ep, &m, NULL, WAIT_MS) != MICA_OK)
            return;
        j->got++;
        if (m.info & MICA_INFO_HANDLE) {
            j->with_handle++;
            mica_handle_close(m.w[0]);
        }
    }
}

/* Attack: send MICA_INFO_HANDLE with handle numbers we do not hold, hoping
 * the kernel installs whatever object sits behind that number somewhere.
 * Must: each message arrives without a handle. */
KTEST(forge, transfer_of_unheld_numbers_dropped)
{
    struct transfer_job j = {.ep = kt_endpoint()};
    int job = kt_spawn(receive_four, &j);
    const uint64_t names[] = {kt_free_slot(), 0, 64, ~0ull};
    for (unsigned i = 0; i < 4; i++) {
        struct mica_msg m = {MICA_INFO(4, 0) | MICA_INFO_HANDLE, {names[i]}};
        KT_OK(kt_send(j.ep, &m, WAIT_MS));
    }
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_EQ(j.got, 4);
    KT_EQ(j.with_handle, 0);
}

/* Attack: ask the name service for every boot capability (I/O ports,
 * IRQs, all free RAM, the screen, the kernel log, a lasting endpoint)
 * and to power off or reset the machine. Must: MICA_ERIGHTS for each (this task is
 * neither the console, the memory server nor the shell), MICA_EINVAL for values that name
 * no capability, and no handle comes back. */
KTEST(forge, name_service_gives_no_capability)
{
    for (uint32_t which = NS_CAP_COM1; which <= NS_CAP_CRTC; which++) {
        uint64_t h = 0;
        long st = ns_boot_cap(which, &h);
        if (st == MICA_OK)
            mica_handle_close(h);
        KT_STATUS(st, MICA_ERIGHTS);
    }
    uint64_t h = 0;
    /* Nor the memory server's lasting endpoint (its line's caps=endpoint):
     * receiving on it would take its requests and its clients' faults. */
    KT_STATUS(ns_boot_cap(NS_CAP_ENDPOINT, &h), MICA_ERIGHTS);
    /* Nor the flight recorder (caps=trace): it shows every task's IPC. */
    KT_STATUS(ns_boot_cap(NS_CAP_TRACE, &h), MICA_ERIGHTS);
    KT_STATUS(ns_boot_cap(0, &h), MICA_EINVAL);
    KT_STATUS(ns_boot_cap(NS_CAP_TRACE + 1, &h), MICA_EINVAL);
    KT_STATUS(ns_system(MICA_SYSTEM_POWEROFF), MICA_ERIGHTS);
    KT_STATUS(ns_system(MICA_SYSTEM_RESET), MICA_ERIGHTS);
}

/* Attack: register our endpoint under the names of live servers, so that
 * their clients would call us. Must: MICA_ERIGHTS for the servers' names
 * (not our module's), MICA_EBUSY for our own name, which we hold; and
 * "memory" still leads to the memory server. */
KTEST(forge, live_server_names_cannot_be_taken)
{
    const char *const names[] = {"memory", "console", SEC_CTL_NAME};
    const long want[] = {MICA_ERIGHTS, MICA_ERIGHTS, MICA_EBUSY};
    for (unsigned i = 0; i < 3; i++) {
        uint64_t c;
        KT_HANDLE(c,
                  mica_handle_copy(kt_endpoint(), MICA_RIGHT_SEND | MICA_RIGHT_GRANT, 0));
        long st = ns_register(names[i], c);
        mica_handle_close(c);
        KT_STATUS(st, want[i]);
    }
    KT_OK(sec_system_answers());
}

/* Attack: speak on init's internal label (its supervision thread tells its
 * main thread that a server restarted, with badge 0): claim that the
 * memory server is gone for good. Must: MICA_ENOSYS (to any other task the
 * label does not exist), and the memory server still answers. */
KTEST(forge, init_internal_label_refused)
{
    struct mica_task_info ti;
    KT_ASSERT(kt_task_by_name("memory", &ti));
    struct mica_msg m = {MICA_INFO(NS_INTERNAL_RESTARTED, 0), {ti.id, 0}}, rep = {0};
    KT_OK(kt_call(MICA_HANDLE_NS, &m, &rep, WAIT_MS));
    KT_STATUS(MICA_REPLY_STATUS(rep.info), MICA_ENOSYS);
    KT_OK(sec_system_answers());
}

/* Attack: have init start boot servers again: a second task named
 * "memory" would be given all free RAM (NS_BOOT_CAP goes by name), a
 * second "console" the devices. Must: MICA_ERIGHTS: only modules marked
 * "ondemand" start on request, and init never. */
KTEST(forge, boot_servers_not_spawned_on_request)
{
    const char *const names[] = {"memory", "console", "shell", "init", "secsuite-boot"};
    for (unsigned i = 0; i < 5; i++) {
        uint64_t id = 0, h = 0;
        KT_STATUS(sec_spawn(names[i], &id, &h), MICA_ERIGHTS);
        KT_EQ(h, 0);
    }
}
