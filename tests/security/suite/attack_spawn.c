/*
 * Attacks spawn: spawn loops through NS_SPAWN (issue item 3). Any task may
 * have init start an on-demand module; a task that does so without end
 * must be refused cleanly, the system must keep serving meanwhile, and
 * everything must come back once those tasks are gone. What a spawn
 * costs comes out of the budget of the task that asked (init passes the
 * requester's task handle to TASK_SPAWN as the payer), so a loop ends
 * inside the spawner's own budget and never touches init's or another
 * task's.
 */
#include <mica/syscall.h>

#include "secsuite.h"

#define LOOP_MAX 36

/* Attack: spawn peers (each holds a task slot, two threads, an image, a
 * stack, page tables) until refused. Must: an error, not a hang or a
 * crash; the memory server and the name service answer at that point;
 * init's budget is untouched throughout (the peers are carved out of
 * ours); once the peers are gone a spawn works again, and the kernel and
 * our budget hold what they held before. */
KTEST(spawn, spawn_loop_refused_cleanly_then_recovers)
{
    struct peer *ps[LOOP_MAX];
    unsigned n = 0;
    long st = MICA_OK;
    uint64_t before = sec_kernel_kib(), init_before = sec_init_kernel_frames();
    uint64_t own_before = sec_own_kernel_frames();
    while (n < LOOP_MAX && (st = peer_try_start(SEC_PEER, &ps[n])) == MICA_OK)
        n++;
    long sys = sec_system_answers();
    uint64_t init_during = sec_init_kernel_frames(), own_during = sec_own_kernel_frames();
    for (unsigned i = 0; i < n; i++)
        peer_stop(ps[i]);
    struct peer *again = NULL;
    long st2 = peer_try_start(SEC_PEER, &again);
    if (st2 == MICA_OK)
        peer_stop(again);
    uint64_t after = sec_kernel_kib(), start = mica_clock_ms();
    while (after != before && mica_clock_ms() - start < 1000) {
        mica_sleep_ms(20);
        after = sec_kernel_kib();
    }
    KT_CMP(n, >=, 4);
    KT_CMP(n, <, LOOP_MAX); /* the kernel or init said no before we stopped */
    KT_CMP(st, <, 0);
    KT_NE(st, MICA_ETIMEOUT); /* refused, not a task that never came up */
    KT_OK(sys);
    KT_OK(st2);
    KT_EQ(after, before);
    KT_EQ(init_during, init_before);
    KT_CMP(own_during, >, own_before);
    KT_EQ(sec_own_kernel_frames(), own_before);
}

/* The number of live tasks. */
static unsigned live_tasks(void)
{
    struct mica_task_info ti;
    unsigned n = 0;
    for (uint32_t i = 0; i < 256 && mica_task_info(i, &ti) == MICA_OK; i++)
        n += ti.state != MICA_TASK_DEAD;
    return n;
}

/* Attack: a peer has init spawn peers until refused (each would wait to
 * say hello to us, holding its slot). Must: the loop ends inside the
 * peer's own budget (which allows no children: refused at once), and we,
 * a second task, can still spawn. */
KTEST(spawn, spawn_loop_ends_inside_spawners_budget)
{
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    unsigned before = live_tasks();
    KT_OK(peer_send(p, CMD_SPAWN_LOOP, 0, 40, 0, 0));
    struct mica_msg r;
    long done = peer_wait(p, &r, 5000);
    unsigned during = live_tasks();
    struct peer *again = NULL;
    long spawn = peer_try_start(SEC_PEER, &again);
    if (spawn == MICA_OK)
        peer_stop(again);
    KT_OK(done);
    KT_CMP(result_status(&r), <, 0); /* refused */
    KT_EQ(r.w[2], 0);                /* before it started anything */
    KT_EQ(during, before);
    KT_OK(spawn);
}
