/*
 * Attacks on protections that are not built yet (suite "pending"). Not
 * part of the default build: configure with -DMICA_SECURITY_PENDING=ON to
 * add this file to secsuite (and security.bios.pending to CTest); each
 * attack here is expected to fail (its test FAILs) until its protection
 * lands, then it moves to the suite it belongs to.
 *
 *   budgets         the objects of the shared pools (128 endpoints, 128
 *                   notifications) are bounded per task but not charged to
 *                   budgets, so a few tasks drain them for all; and tasks
 *                   spawned through NS_SPAWN use init's budget, so one
 *                   task's spawn loop denies spawns to all others (issue
 *                   item 3; page tables are charged now: quota suite).
 *   forged lines    SYS_DEBUG_WRITE text is put in the kernel log as it
 *                   comes: a task can print `mica: ...` or `PANIC: ...`
 *                   lines (issue item 6). The verdict on these is the
 *                   harness's: security.bios forbids `^mica: .*sec-forged`
 *                   and `^PANIC:` (the first such line ends the run, so
 *                   this attack runs last).
 */
#include <mica/memory.h>
#include <mica/ns.h>
#include <mica/syscall.h>
#include <string.h>

#include "secsuite.h"

#define WAIT_MS 3000

/* ---- Budgets. */

/* Attack: four peers each spend their object quota on endpoints; the
 * kernel's endpoint pool (128 for everybody) runs out. Must: we can still
 * create an endpoint. */
KTEST(pending, endpoint_pool_not_drained_by_a_few_tasks)
{
    struct peer *ps[4];
    for (unsigned i = 0; i < 4; i++) {
        ps[i] = peer_start(SEC_PEER);
        KT_ASSERT(ps[i]);
        KT_STATUS(peer_do(ps[i], CMD_MAKE_OBJECTS, 0, 0, 0, 0, NULL), MICA_ENOMEM);
    }
    long e = mica_endpoint_create();
    if (e > 0)
        mica_handle_close((uint64_t)e);
    KT_CMP(e, >, 0);
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

/* Attack: a peer spawns peers until refused (they wait to say hello to us,
 * holding their slots). Must: the loop ends inside the peer's budget, and
 * we (a second task) can still spawn. As built, it ends when the kernel's task
 * or thread slots are gone, for everybody. */
KTEST(pending, spawn_loop_ends_inside_spawners_budget)
{
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    KT_OK(peer_send(p, CMD_SPAWN_LOOP, 0, 40, 0, 0));
    unsigned n = live_tasks(), stable_since = 0;
    uint64_t start = mica_clock_ms();
    while (mica_clock_ms() - start < 8000) {
        mica_sleep_ms(50);
        unsigned now = live_tasks();
        if (now != n) {
            n = now;
            stable_since = 0;
        } else if (++stable_since == 6) {
            break;
        }
    }
    uint64_t id = 0, h = 0;
    long spawn = sec_spawn(SEC_PEER, &id, &h);
    if (h)
        mica_handle_close(h);
    struct mica_msg r;
    long done = peer_wait(p, &r, 3000);
    KT_OK(spawn);
    KT_OK(done);
    KT_CMP(result_status(&r), <, 0); /* the peer was refused at some point */
}

/* ---- Forged kernel lines. */

/* Attack: write lines that look like the kernel's (a server's state, a
 * fault line, a panic), including one that starts after a carriage return
 * (the harness drops \r, as a terminal shows the line) and one left
 * unfinished so that the next writer's text completes it. Must: none shows
 * as a line of the kernel's: security.bios fails on `^mica: .*sec-forged`
 * and `^PANIC:`. The test itself only checks that the kernel took the
 * writes (or refused them) without harm. */
KTEST_LAST(pending, debug_write_cannot_forge_kernel_lines)
{
    static const char *const lines[] = {
        "mica: server name=sec-forged state=up\n",
        "ok\nmica: fault task=sec-forged vector=14 rip=0x0 addr=0x0 action=killed\n",
        "\rmica: server name=sec-forged state=crashed\n",
        "PANIC: kernel exception #PF page fault (sec-forged)\n",
        "mica: server name=sec-forged-unfinished state=",
    };
    for (unsigned i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        long st = mica_debug_write(lines[i], strlen(lines[i]));
        KT_ASSERT(st == (long)strlen(lines[i]) || st < 0);
    }
    KT_OK(sec_system_answers());
}
