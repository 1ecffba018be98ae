/*
 * Attacks kill: ending another task (issue item 5). SYS_TASK_KILL needs
 * MICA_RIGHT_KILL on a task handle. The kernel gives that right only to
 * the spawner (TASK_SPAWN's second result, which init may pass on to the
 * task that asked for an on-demand program); a task's own handle
 * (MICA_HANDLE_SELF, which clients hand to the memory server) lacks it,
 * and no copy adds it. So: a task handle given for MAP or SET_PAGER must
 * not let its holder kill; handles of the wrong kind or to dead tasks are
 * refused; the holder of the spawner's handle can end a task that is stuck
 * in a fault nobody answers.
 */
#include <mica/syscall.h>

#include "secsuite.h"

#define WAIT_MS  3000
#define TOUCH_VA 0x00000f4000000000ull

static long task_kill(uint64_t h)
{
    struct kt_regs r = {{h}};
    return kt_syscall(SYS_TASK_KILL, &r, 0);
}

/* Attack: a peer gives us its own task handle (as every client gives it
 * to the memory server); we try to kill the peer with it and with a copy
 * asking for every right. Must: MICA_ERIGHTS both times; the peer lives. */
KTEST(kill, own_task_handle_cannot_kill)
{
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    struct mica_msg r;
    KT_OK(peer_do(p, CMD_GIVE_SELF, 0, 0, 0, 0, &r));
    KT_ASSERT(r.info & MICA_INFO_HANDLE);
    uint64_t tp = r.w[0];
    long all = mica_handle_copy(tp, MICA_RIGHTS_ALL, 0);
    long st1 = task_kill(tp);
    long st2 = all > 0 ? task_kill((uint64_t)all) : all;
    if (all > 0)
        mica_handle_close((uint64_t)all);
    mica_handle_close(tp);
    KT_STATUS(st1, MICA_ERIGHTS);
    KT_STATUS(st2, MICA_ERIGHTS);
    KT_OK(peer_do(p, CMD_PING, 0, 0, 0, 0, NULL));
}

/* Attack: kill through handles that name no task we may end: a free
 * slot, an endpoint, the name service, a notification. Must: MICA_EBADH
 * or MICA_ETYPE; everything runs on. */
KTEST(kill, wrong_handles_kill_nothing)
{
    KT_STATUS(task_kill(kt_free_slot()), MICA_EBADH);
    KT_STATUS(task_kill(0), MICA_EBADH);
    KT_STATUS(task_kill(64), MICA_EBADH);
    KT_STATUS(task_kill(kt_endpoint()), MICA_ETYPE);
    KT_STATUS(task_kill(kt_notification()), MICA_ETYPE);
    KT_STATUS(task_kill(MICA_HANDLE_NS), MICA_ETYPE);
    KT_OK(sec_system_answers());
}

struct silent_pager {
    uint64_t ep;
    long got, late;
};

/* Takes the peer's page fault and never answers it until the peer is
 * gone; then answering is a no-op. */
static void hold_fault(void *arg)
{
    struct silent_pager *s = arg;
    struct mica_msg m;
    s->got = kt_recv(s->ep, &m, NULL, WAIT_MS);
    if (s->got != MICA_OK)
        return;
    mica_sleep_ms(600);
    struct mica_msg r = {MICA_INFO(0, 0), {0}};
    s->late = mica_reply(&r);
}

/* Attack surface of the right itself: a peer stuck in a page fault whose
 * pager (us) never answers can be ended by the holder of the spawner's
 * handle, not by a copy without KILL; afterwards the handle says
 * MICA_EDEAD and the held fault's reply goes nowhere. */
KTEST(kill, spawner_handle_ends_task_stuck_in_fault)
{
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    KT_ASSERT(p->kill); /* init passed on the spawner's handle */
    struct silent_pager s = {.ep = kt_endpoint(), .got = 1, .late = 1};
    long give = mica_handle_copy(s.ep, MICA_RIGHT_SEND | MICA_RIGHT_GRANT, 0);
    KT_CMP(give, >, 0);
    long st = peer_do(p, CMD_SET_PAGER, (uint64_t)give, 0, 0, 0, NULL);
    mica_handle_close((uint64_t)give);
    KT_OK(st);
    int job = kt_spawn(hold_fault, &s);
    KT_OK(peer_send(p, CMD_TOUCH, 0, TOUCH_VA, 1, 0));
    mica_sleep_ms(150);
    KT_ASSERT(peer_alive(p)); /* stuck in its fault */
    long weak = mica_handle_copy(p->kill, MICA_RIGHT_GRANT, 0);
    long refused = weak > 0 ? task_kill((uint64_t)weak) : weak;
    if (weak > 0)
        mica_handle_close((uint64_t)weak);
    long killed = task_kill(p->kill);
    bool dead = peer_wait_dead(p, SEC_DEATH_MS);
    long again = task_kill(p->kill);
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_STATUS(refused, MICA_ERIGHTS);
    KT_OK(killed);
    KT_ASSERT(dead);
    KT_STATUS(again, MICA_EDEAD);
    KT_OK(s.got);
    KT_ASSERT(s.late == MICA_OK || s.late == MICA_EINVAL);
}
