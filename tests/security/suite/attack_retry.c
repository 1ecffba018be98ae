/*
 * Attacks retry: a pager that answers "retry" (label 0) to every fault
 * without mapping anything (issue item 5). Unprotected, the kernel resumes
 * the faulting access, which faults again, for ever: the faulting task
 * spins between the kernel and its pager (inside a system call, for a
 * kernel copy from user memory), and no task can end another. The
 * protection: after a few "retry" answers for the same rip and address
 * the kernel asks no more and the fault counts as unresolved. Must: the
 * task is killed (a fault line, security.bios.fault_lines), or for a
 * kernel copy the call fails with MICA_EFAULT, after at most RETRY_FEW
 * answers; the pager here gives up by itself after RETRY_GIVE_UP (answers
 * "kill") so that the run goes on either way. Ending such a task from
 * outside is the kill suite's.
 */
#include <mica/syscall.h>

#include "secsuite.h"

#define RETRY_FEW     16
#define RETRY_GIVE_UP 200
#define TOUCH_VA      0x00000f8000000000ull

struct lying_pager {
    uint64_t ep, victim;
    unsigned asked, strangers;
    long last;
};

/* Answers the victim's faults with "retry" until RETRY_GIVE_UP, then with
 * "kill"; ends when no fault came for a while. */
static void lie(void *arg)
{
    struct lying_pager *l = arg;
    for (;;) {
        struct mica_msg m;
        uint64_t badge = 0;
        l->last = kt_recv(l->ep, &m, &badge, 700);
        if (l->last != MICA_OK)
            return;
        if (badge != l->victim || MICA_INFO_LABEL(m.info) != MICA_LABEL_PAGE_FAULT) {
            l->strangers++;
            continue;
        }
        l->asked++;
        struct mica_msg r = {MICA_INFO(l->asked < RETRY_GIVE_UP ? 0 : 1, 0), {0}};
        mica_reply(&r);
    }
}

static void retry_attack(uint32_t cmd)
{
    struct lying_pager l = {.ep = kt_endpoint()};
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    l.victim = p->id;
    long give = mica_handle_copy(l.ep, MICA_RIGHT_SEND | MICA_RIGHT_GRANT, 0);
    KT_CMP(give, >, 0);
    long st = peer_do(p, CMD_SET_PAGER, (uint64_t)give, 0, 0, 0, NULL);
    mica_handle_close((uint64_t)give);
    KT_OK(st);
    KT_OK(peer_do(p, CMD_WATCHDOG, 0, 6000, 0, 0, NULL));
    int job = kt_spawn(lie, &l);
    KT_OK(peer_send(p, cmd, 0, TOUCH_VA, 0x77, 0));
    struct mica_msg r;
    st = peer_wait(p, &r, 5000);
    KT_ASSERT(kt_join(job, 3000));
    KT_EQ(l.strangers, 0);
    KT_CMP(l.asked, >=, 1);
    if (l.asked > RETRY_FEW)
        kt_fail(__FILE__, __LINE__,
                "the kernel asked the pager %u times (the pager gave up at %u): "
                "it retries without end",
                l.asked, RETRY_GIVE_UP);
    KT_ASSERT(!p->watchdog);
    /* A user access: killed. A kernel copy: killed, or MICA_EFAULT. */
    if (st == MICA_OK)
        KT_STATUS(result_status(&r), MICA_EFAULT);
    else
        KT_STATUS(st, MICA_EDEAD);
    KT_ASSERT(cmd == CMD_KCOPY || !peer_alive(p));
}

/* Attack: the peer touches an unmapped address; its pager always says
 * retry. */
KTEST(retry, endless_retry_of_user_access_ends)
{
    retry_attack(CMD_TOUCH);
}

/* Attack: the same fault taken by the kernel's copy from user memory
 * (DEBUG_WRITE of 8 bytes there): the retry loop runs inside a system
 * call. */
KTEST(retry, endless_retry_of_kernel_copy_ends)
{
    retry_attack(CMD_KCOPY);
}
