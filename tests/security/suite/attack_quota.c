/*
 * Attacks quota: object exhaustion by one task (issue item 3). Each task
 * may create as many endpoints and notifications together as its budget
 * has objects (MICA_BUDGET_DEFAULT_OBJECTS, 32, for a peer); past that it
 * gets MICA_ENOMEM and nobody else notices: a
 * second task can still be spawned, create objects, map memory and call
 * servers. And the kernel's own memory comes back whole after tasks that
 * used it are gone. Page tables are kernel memory like any other: charged
 * to the task they map for (its budget, carved out of its parent's), so a
 * task that spreads its mappings over the address space runs out of its
 * own budget, not the kernel's. The object pools are shared by all
 * tasks, but every slot is charged to its creator's budget, and the
 * budgets add up to less than a pool, so a few tasks cannot drain it.
 */
#include <mica/memory.h>
#include <mica/syscall.h>

#include "secsuite.h"

#define MAX_MADE 64

/* The second task's view: its own objects up to its budget, memory, and a
 * call to the memory server. */
static void second_task_works(struct peer *p, unsigned kind)
{
    struct mica_msg r;
    KT_STATUS(peer_do(p, CMD_MAKE_OBJECTS, 0, kind, 0, 0, &r), MICA_ENOMEM);
    KT_CMP(r.w[2], >=, 20); /* its quota, less what it made at start */
    KT_OK(peer_do(p, CMD_MEM_WORKS, 0, 0, 0, 0, NULL));
    KT_OK(peer_do(p, CMD_PING, 0, 0, 0, 0, NULL));
}

static void exhaust_then_check(unsigned kind)
{
    uint64_t made[MAX_MADE];
    unsigned n = 0;
    long last = 0;
    /* Started first: a spawn is paid out of our budget, and its reply
     * brings a handle, which a full table would refuse. */
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    while (n < MAX_MADE &&
           (last = kind ? mica_notify_create() : mica_endpoint_create()) > 0)
        made[n++] = (uint64_t)last;
    long other = kind ? mica_endpoint_create() : mica_notify_create();
    if (other > 0)
        made[n++] = (uint64_t)other;
    second_task_works(p, kind);
    for (unsigned i = 0; i < n; i++)
        mica_handle_close(made[i]);
    /* (Not before: with our table full no reply could bring a handle.) */
    long sys = sec_system_answers();
    KT_STATUS(last, MICA_ENOMEM);
    KT_STATUS(other, MICA_ENOMEM); /* one quota for both kinds */
    KT_CMP(n, >=, 4);
    KT_OK(sys);
    uint64_t again;
    KT_HANDLE(again, kind ? mica_notify_create() : mica_endpoint_create());
    mica_handle_close(again);
}

/* Attack: create endpoints until the kernel refuses (our budget or our
 * handle table). Must: MICA_ENOMEM for us (notifications too), while a
 * running peer creates its own objects up to its own budget, maps a page
 * and calls; the memory server and the name service answer; our objects
 * come back on close. */
KTEST(quota, own_endpoint_quota_spent_others_unaffected)
{
    exhaust_then_check(0);
}

/* Attack: the same with notifications. */
KTEST(quota, own_notification_quota_spent_others_unaffected)
{
    exhaust_then_check(1);
}

/* Attack, the other way round: a peer spends its whole quota (both
 * kinds). Must: we can still create both kinds, a further peer works, the
 * servers answer. */
KTEST(quota, peer_quota_spent_we_are_unaffected)
{
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    struct mica_msg r;
    KT_STATUS(peer_do(p, CMD_MAKE_OBJECTS, 0, 0, 0, 0, &r), MICA_ENOMEM);
    KT_STATUS(peer_do(p, CMD_MAKE_OBJECTS, 0, 1, 0, 0, &r), MICA_ENOMEM);
    KT_EQ(r.w[2], 0);
    uint64_t e, n;
    KT_HANDLE(e, mica_endpoint_create());
    mica_handle_close(e);
    KT_HANDLE(n, mica_notify_create());
    mica_handle_close(n);
    struct peer *q = peer_start(SEC_PEER);
    KT_ASSERT(q);
    KT_OK(peer_do(q, CMD_MEM_WORKS, 0, 0, 0, 0, NULL));
    KT_OK(sec_system_answers());
}

/* One peer's life: started, memory used, gone. */
static void peer_cycle(void)
{
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    KT_OK(peer_do(p, CMD_MEM_WORKS, 0, 0, 0, 0, NULL));
    KT_STATUS(peer_do(p, CMD_MAKE_OBJECTS, 0, 0, 0, 0, NULL), MICA_ENOMEM);
    peer_stop(p);
}

/* Attack: leak kernel memory by tasks that come and go (images, stacks,
 * IPC buffers, page tables, objects). Must: after the peers are dead the
 * kernel holds what it held before (SYS_MEM_INFO kernel_kib). */
KTEST(quota, kernel_memory_returns_after_tasks_die)
{
    peer_cycle(); /* anything made once, on first use */
    if (kt_failed())
        return;
    uint64_t before = sec_kernel_kib(), init_before = sec_init_kernel_frames();
    for (unsigned i = 0; i < 6 && !kt_failed(); i++)
        peer_cycle();
    if (kt_failed())
        return;
    uint64_t after = sec_kernel_kib(), start = mica_clock_ms();
    while (after != before && mica_clock_ms() - start < 1000) {
        mica_sleep_ms(20);
        after = sec_kernel_kib();
    }
    KT_EQ(after, before);
    KT_EQ(sec_init_kernel_frames(), init_before); /* the budgets went back */
}

/* Attack: a peer maps one page per GiB of address space (up to 12000
 * pages, each needing a fresh page table, ~47 MiB of tables, more than the
 * kernel keeps for itself), so that the kernel runs out of memory for
 * everybody. Must: the peer is refused (MICA_ENOMEM) inside its own
 * budget; meanwhile a second task is spawned, maps a page and calls; and
 * once the peer is gone the kernel and init's budget hold what they held. */
KTEST(quota, page_tables_charged_to_the_mapper)
{
    uint64_t kib = sec_kernel_kib(), init_frames = sec_init_kernel_frames();
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    KT_OK(peer_do(p, CMD_WATCHDOG, 0, 20000, 0, 0, NULL));
    KT_OK(peer_send(p, CMD_MAP_SPREAD, 0, 12000, 0, 0));
    struct mica_msg r;
    KT_OK(peer_wait(p, &r, 15000));
    struct mica_task_info ti;
    bool listed = false;
    for (uint32_t i = 0; i < 256 && mica_task_info(i, &ti) == MICA_OK; i++)
        if ((listed = ti.id == p->id))
            break;
    struct peer *q = NULL;
    long spawn = peer_try_start(SEC_PEER, &q);
    long mem = spawn == MICA_OK ? peer_do(q, CMD_MEM_WORKS, 0, 0, 0, 0, NULL) : spawn;
    long sys = sec_system_answers();
    peer_stop(p);
    if (q)
        peer_stop(q);
    uint64_t kib_after = sec_kernel_kib(), start = mica_clock_ms();
    while (kib_after != kib && mica_clock_ms() - start < 1000) {
        mica_sleep_ms(20);
        kib_after = sec_kernel_kib();
    }
    KT_STATUS(result_status(&r), MICA_ENOMEM);
    KT_CMP(r.w[2], >=, 1);
    KT_CMP(r.w[2], <, 12000);
    KT_ASSERT(listed);
    KT_CMP(ti.kernel_frames, <=, ti.kernel_limit);
    KT_OK(spawn);
    KT_OK(mem);
    KT_OK(sys);
    KT_EQ(kib_after, kib);
    KT_EQ(sec_init_kernel_frames(), init_frames);
}

/* Attack: four peers each spend their whole object budget, two on
 * endpoints and two on notifications (the pools are shared by all tasks).
 * Must: we can still create an endpoint and a notification. */
KTEST(quota, object_pools_not_drained_by_a_few_tasks)
{
    struct peer *ps[4];
    for (unsigned i = 0; i < 4; i++) {
        ps[i] = peer_start(SEC_PEER);
        KT_ASSERT(ps[i]);
        struct mica_msg r;
        KT_STATUS(peer_do(ps[i], CMD_MAKE_OBJECTS, 0, i % 2, 0, 0, &r), MICA_ENOMEM);
        /* Refused by its budget, not by its handle table running out. */
        KT_CMP(r.w[2], <, MICA_BUDGET_DEFAULT_OBJECTS);
    }
    long e = mica_endpoint_create();
    long n = mica_notify_create();
    if (e > 0)
        mica_handle_close((uint64_t)e);
    if (n > 0)
        mica_handle_close((uint64_t)n);
    KT_CMP(e, >, 0);
    KT_CMP(n, >, 0);
}
