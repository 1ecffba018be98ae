/*
 * Attacks pager: the kernel's reference to a task's pager endpoint (issue
 * item 2). SYS_SET_PAGER keeps a counted reference: closing the handle
 * does not free the endpoint, so its slot is never reused by another
 * task's endpoint while page faults still go there. When the endpoint's
 * owner dies the endpoint is dead, and a fault that cannot reach a pager
 * kills the faulting task (the kernel's ask_pager: a dead pager, or a send
 * that fails with MICA_EDEAD or MICA_ELOST, is "not resolved"; task_fault
 * prints the fault line and kills). Every fault here happens in a peer,
 * since a task whose fault is not resolved dies.
 */
#include <mica/syscall.h>

#include "secsuite.h"

/* Lazily touched addresses in the peers' space, mapped by nobody. */
#define TOUCH_VA   0x00000f0000000000ull
#define TOUCH_SEED 0x600dcafe600dcafeull
#define CHURN      12

/* A send copy of h for giving away (the original stays ours). */
/* Attack: a peer makes an endpoint its pager through a send copy, closes
 * that copy and churns endpoints (made and dropped: a freed slot would be
 * taken again), then touches an unmapped address. Must: the fault arrives
 * at the original endpoint, where the peer's own pager thread receives it
 * (label MICA_LABEL_PAGE_FAULT, w0 = the address), maps the page and
 * answers; the write and the read back work. */
KTEST(pager, closed_handle_fault_reaches_original)
{
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    struct mica_msg r;
    KT_OK(peer_do(p, CMD_PAGER_CLOSED, 0, TOUCH_VA + 0x18, TOUCH_SEED, 0, &r));
    KT_EQ(r.w[2], TOUCH_SEED);
    KT_EQ(r.w[3], TOUCH_VA + 0x18);
}

/* Attack: a peer sets its pager and then closes every handle to that
 * endpoint, so only the kernel's reference keeps it; we then make
 * endpoints of our own (one would take the slot, were it freed) and the
 * peer touches an unmapped address. Must: none of our endpoints ever sees
 * the peer's page fault; the peer's access is not resolved (it waits on
 * an endpoint nobody can receive from, until its watchdog ends it; a kill
 * is as good). */
KTEST(pager, orphaned_pager_slot_never_reused)
{
    uint64_t mine[CHURN];
    unsigned made = 0;
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    KT_OK(peer_do(p, CMD_WATCHDOG, 0, 1500, 0, 0, NULL));
    KT_OK(peer_do(p, CMD_PAGER_ORPHAN, 0, 0, 0, 0, NULL));
    while (made < CHURN) {
        long h = mica_endpoint_create();
        if (h <= 0)
            break;
        mine[made++] = (uint64_t)h;
    }
    long sent = peer_send(p, CMD_TOUCH, 0, TOUCH_VA, 1, 0);
    unsigned stray = 0;
    uint64_t end = mica_clock_ms() + 600;
    while (mica_clock_ms() < end) {
        for (unsigned i = 0; i < made; i++) {
            struct mica_msg m;
            if (kt_recv(mine[i], &m, NULL, MICA_NO_WAIT) == MICA_OK) {
                stray++;
                struct mica_msg kill = {MICA_INFO(1, 0), {0}};
                mica_reply(&kill);
            }
        }
        mica_sleep_ms(20);
    }
    struct mica_msg r;
    long result = peer_wait(p, &r, 100);
    for (unsigned i = 0; i < made; i++)
        mica_handle_close(mine[i]);
    KT_CMP(made, >=, 4);
    KT_OK(sent);
    KT_EQ(stray, 0);
    KT_ASSERT(result != MICA_OK); /* the touch never completed */
}

/* Peer A owns an endpoint that peer B takes as its pager. *ea_out (if
 * not NULL) gets our copy of it (all rights), else it is closed. */
static struct peer *pager_pair(struct peer **b_out, uint64_t *ea_out)
{
    struct peer *a = peer_start(SEC_PEER), *b = peer_start(SEC_PEER);
    struct mica_msg r;
    if (!a || !b)
        return NULL;
    if (peer_do(a, CMD_MAKE_EP, 0, 0, 0, 0, &r) != MICA_OK ||
        !(r.info & MICA_INFO_HANDLE)) {
        kt_fail(__FILE__, __LINE__, "peer made no endpoint");
        return NULL;
    }
    uint64_t ea = r.w[0], give = sec_send_copy(ea, 0);
    long st = give ? peer_do(b, CMD_SET_PAGER, give, 0, 0, 0, NULL) : MICA_ENOMEM;
    if (give)
        mica_handle_close(give);
    if (ea_out && st == MICA_OK)
        *ea_out = ea;
    else
        mica_handle_close(ea);
    if (st != MICA_OK) {
        kt_fail(__FILE__, __LINE__, "SET_PAGER in the peer: %s", kt_status_name(st));
        return NULL;
    }
    if (peer_do(b, CMD_WATCHDOG, 0, 4000, 0, 0, NULL) != MICA_OK) {
        kt_fail(__FILE__, __LINE__, "peer watchdog not set");
        return NULL;
    }
    *b_out = b;
    return a;
}

/* Attack: peer B's pager is an endpoint of peer A; A dies, then B
 * touches an unmapped address. Must: B is killed by its fault (its pager
 * is dead), promptly and not by its watchdog, and sends no result. */
KTEST(pager, owner_dead_before_fault_kills_faulter)
{
    struct peer *b = NULL, *a = pager_pair(&b, NULL);
    KT_ASSERT(a && b);
    peer_stop(a);
    KT_OK(peer_send(b, CMD_TOUCH, 0, TOUCH_VA, 2, 0));
    struct mica_msg r;
    KT_STATUS(peer_wait(b, &r, SEC_DEATH_MS), MICA_EDEAD);
    KT_ASSERT(!b->watchdog);
    KT_ASSERT(!peer_alive(b));
    KT_OK(sec_system_answers());
}

/* Attack: B faults first (its fault waits queued on A's endpoint, A does
 * not receive), then A dies. Must: B's fault fails with the endpoint
 * (MICA_EDEAD) and B is killed, instead of waiting for good. */
KTEST(pager, owner_dies_while_fault_queued)
{
    struct peer *b = NULL, *a = pager_pair(&b, NULL);
    KT_ASSERT(a && b);
    KT_OK(peer_send(b, CMD_TOUCH, 0, TOUCH_VA, 3, 0));
    mica_sleep_ms(100);
    KT_ASSERT(peer_alive(b)); /* waiting for a pager */
    peer_stop(a);
    struct mica_msg r;
    KT_STATUS(peer_wait(b, &r, SEC_DEATH_MS), MICA_EDEAD);
    KT_ASSERT(!b->watchdog);
    KT_ASSERT(!peer_alive(b));
}

/* Attack: A takes B's page fault (it holds B's reply) and exits without
 * answering. Must: B is woken (MICA_ELOST inside the kernel) and killed,
 * not left waiting for a reply that cannot come. */
KTEST(pager, pager_dies_holding_fault)
{
    uint64_t ea = 0;
    struct peer *b = NULL, *a = pager_pair(&b, &ea);
    KT_ASSERT(a && b);
    /* A receives on the endpoint (the handle goes back to it) and exits as
     * soon as it has taken a call. */
    long st = peer_send(a, CMD_SERVE_DIE, ea, 3000, 0, 0);
    mica_handle_close(ea);
    KT_OK(st);
    KT_OK(peer_send(b, CMD_TOUCH, 0, TOUCH_VA, 4, 0));
    KT_ASSERT(peer_wait_dead(a, SEC_DEATH_MS));
    struct mica_msg r;
    KT_STATUS(peer_wait(b, &r, SEC_DEATH_MS), MICA_EDEAD);
    KT_ASSERT(!b->watchdog);
    KT_ASSERT(!peer_alive(b));
}

/* Attack: make our own pager something that is not a live endpoint we may
 * send to. Must: a receive-only copy MICA_ERIGHTS, a notification
 * MICA_ETYPE, a free slot MICA_EBADH, another task's handle we do not
 * hold MICA_EBADH; our pager stays what it was. */
KTEST(pager, set_pager_checks_rights_type_and_slot)
{
    uint64_t ep = kt_endpoint(), ntf = kt_notification(), recv_only;
    KT_HANDLE(recv_only, mica_handle_copy(ep, MICA_RIGHT_RECV, 0));
    long st_rights = mica_set_pager(MICA_HANDLE_SELF, recv_only);
    mica_handle_close(recv_only);
    KT_STATUS(st_rights, MICA_ERIGHTS);
    KT_STATUS(mica_set_pager(MICA_HANDLE_SELF, ntf), MICA_ETYPE);
    uint64_t free_slot = kt_free_slot();
    KT_NE(free_slot, 0);
    KT_STATUS(mica_set_pager(MICA_HANDLE_SELF, free_slot), MICA_EBADH);
    KT_STATUS(mica_set_pager(free_slot, ep), MICA_EBADH);
    KT_STATUS(mica_set_pager(MICA_HANDLE_NS, ep), MICA_ETYPE);
}
