/*
 * Attacks spawn: spawn loops through NS_SPAWN (issue item 3). Any task may
 * have init start an on-demand module; a task that does so without end
 * must be refused cleanly, the system must keep serving meanwhile, and
 * everything must come back once those tasks are gone. (That the loop
 * ends inside the spawner's own budget, while a second task can still
 * spawn, is not built yet: attack_pending.c.)
 */
#include <mica/syscall.h>

#include "secsuite.h"

#define LOOP_MAX 36

/* Attack: spawn peers (each holds a task slot, two threads, an image, a
 * stack, page tables) until refused. Must: an error, not a hang or a
 * crash; the memory server and the name service answer at that point;
 * once the peers are gone a spawn works again, and the kernel and init's
 * budget (which the peers' budgets were carved from) hold what they held
 * before. */
KTEST(spawn, spawn_loop_refused_cleanly_then_recovers)
{
    struct peer *ps[LOOP_MAX];
    unsigned n = 0;
    long st = MICA_OK;
    uint64_t before = sec_kernel_kib(), init_before = sec_init_kernel_frames();
    while (n < LOOP_MAX && (st = peer_try_start(SEC_PEER, &ps[n])) == MICA_OK)
        n++;
    long sys = sec_system_answers();
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
    KT_EQ(sec_init_kernel_frames(), init_before);
}
