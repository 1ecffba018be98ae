/*
 * Attacks memory: the memory server's authority and its restarts (issue
 * "Authority by capability", items 1, 4 and 5). Another task's memory use
 * is asked only through a control handle; the server's name cannot be
 * taken while it restarts; and a restarted server serves clients that
 * still hold frames its predecessor gave them: those frames stay theirs
 * (the kernel maps a RAM frame once) and the new instance hands out
 * others, rather than retrying one held frame for ever; a restart in
 * between two requests loses no client's frames, quota use or lazy
 * regions (the restarted instance takes its predecessor's tables over,
 * behind an endpoint init keeps). And no client
 * takes more than its quota (the memory-server pages of its kernel
 * budget, set by its spawner), so one task cannot starve the others.
 */
#include <mica/memory.h>
#include <mica/ns.h>
#include <mica/syscall.h>
#include <string.h>

#include "secsuite.h"

#define WAIT_MS    3000
#define EAGER_VA   0x0000100000000000ull /* 16 TiB: nobody else's */
#define EAGER_VA2  0x0000100000100000ull
#define EAGER_PAGE 16
#define LAZY_VA    0x0000100000200000ull
#define LAZY_PAGES 4

/* Attack: ask how much memory other tasks use, which tells a spy what
 * they do. Must: MICA_ERIGHTS for init's and a peer's; our own works. */
KTEST(memory, others_use_needs_control)
{
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    struct mica_msg r;
    KT_OK(peer_do(p, CMD_PING, 0, 0, 0, 0, &r));
    uint64_t peer_id = r.w[2], frames = 0;
    KT_STATUS(mem_task_use((uint32_t)peer_id, &frames), MICA_ERIGHTS);
    KT_STATUS(mem_task_use(1, &frames), MICA_ERIGHTS);
    KT_OK(mem_task_use((uint32_t)mica_self_id(), &frames));
}

/* Attack: while we hold eager pages from the memory server, it crashes and
 * is restarted, and a peer polls NS_REGISTER("memory") all along. Must:
 * the peer never gets the name; our pages keep their contents; the new
 * instance gives us new pages (not a frame that is still ours, not a
 * livelock) and serves a new peer. */
KTEST(memory, restart_with_live_clients_and_a_name_poller)
{
    KT_OK(mem_alloc(EAGER_VA, EAGER_PAGE, MICA_MAP_WRITE));
    volatile uint64_t *old = (volatile uint64_t *)(uintptr_t)EAGER_VA;
    for (unsigned i = 0; i < EAGER_PAGE; i++)
        old[i * 512] = 0x5ec0000000000000ull | i;
    struct mica_msg r;
    long polled;
    long crash = sec_crash_under_poller("memory", SEC_NAME_MEMORY, &r, &polled);
    unsigned intact = 0;
    for (unsigned i = 0; i < EAGER_PAGE; i++)
        intact += old[i * 512] == (0x5ec0000000000000ull | i);
    long again = mem_alloc(EAGER_VA2, EAGER_PAGE, MICA_MAP_WRITE);
    volatile uint64_t *fresh = (volatile uint64_t *)(uintptr_t)EAGER_VA2;
    bool zeroed = again == MICA_OK;
    for (unsigned i = 0; again == MICA_OK && i < EAGER_PAGE; i++) {
        zeroed = zeroed && fresh[i * 512] == 0;
        fresh[i * 512] = i;
    }
    unsigned still = 0; /* our old pages were not handed to us twice */
    for (unsigned i = 0; i < EAGER_PAGE; i++)
        still += old[i * 512] == (0x5ec0000000000000ull | i);
    struct peer *q = peer_start(SEC_PEER);
    long q_mem = q ? peer_do(q, CMD_MEM_WORKS, 0, 0, 0, 0, NULL) : MICA_EDEAD;
    if (again == MICA_OK)
        mem_free(EAGER_VA2, EAGER_PAGE);
    KT_STATUS(crash, MICA_ELOST); /* it faulted on our request */
    KT_OK(polled);
    KT_EQ(r.w[2], 0);     /* the poller never got the name */
    KT_CMP(r.w[3], >, 0); /* and it did try */
    KT_EQ(intact, EAGER_PAGE);
    KT_OK(again);
    KT_ASSERT(zeroed);
    KT_EQ(still, EAGER_PAGE);
    KT_OK(q_mem);
}

/* Attack: hold a lazy region with one page touched; the memory server
 * crashes and is restarted (a peer polls for its name meanwhile); then
 * touch the region's other pages before saying anything to the new
 * instance. Must: the new pages are served (zeroed) by the restarted
 * server, the old one is intact, our frame count went on from where it
 * was (so a restart does not reset anyone's quota), and an allocation
 * works afterwards (the server asks us for our task handle again). */
KTEST(memory, restart_keeps_lazy_regions_and_counts)
{
    KT_OK(mem_lazy(LAZY_VA, LAZY_PAGES, MICA_MAP_WRITE));
    volatile uint64_t *page = (volatile uint64_t *)(uintptr_t)LAZY_VA;
    page[0] = 0x1a2e000000000000ull;
    struct mem_stats before, after;
    KT_OK(mem_stats(&before));
    struct mica_msg r;
    long polled;
    long crash = sec_crash_under_poller("memory", SEC_NAME_MEMORY, &r, &polled);
    bool zeroed = true;
    for (unsigned i = 1; i < LAZY_PAGES; i++) {
        zeroed = zeroed && page[i * 512] == 0;
        page[i * 512] = 0x1a2e000000000000ull | i;
    }
    bool intact = page[0] == 0x1a2e000000000000ull;
    long stats = mem_stats(&after);
    long again = mem_alloc(EAGER_VA2, 1, MICA_MAP_WRITE);
    if (again == MICA_OK)
        mem_free(EAGER_VA2, 1);
    mem_free(LAZY_VA, LAZY_PAGES);
    KT_STATUS(crash, MICA_ELOST);
    KT_OK(polled);
    KT_EQ(r.w[2], 0); /* the poller never got the name */
    KT_ASSERT(zeroed);
    KT_ASSERT(intact);
    KT_OK(stats);
    KT_EQ(after.own_frames, before.own_frames + LAZY_PAGES - 1);
    KT_OK(again);
}

/* Attack: a peer allocates until refused, to leave nobody any RAM. Must:
 * it is refused at its quota exactly (its budget's pages, out of ours),
 * the server still has free frames, and we can allocate. */
KTEST(memory, one_client_cannot_take_all_ram)
{
    struct peer *p = peer_start(SEC_PEER);
    KT_ASSERT(p);
    struct mica_msg r;
    KT_OK(peer_do(p, CMD_PING, 0, 0, 0, 0, &r));
    uint64_t peer_id = r.w[2];
    KT_OK(peer_send(p, CMD_MEM_HOG, 0, 0, 0, 0));
    KT_OK(peer_wait(p, &r, 30000));
    struct mica_task_info ti = {0};
    bool found = false;
    for (uint32_t i = 0; !found && mica_task_info(i, &ti) == MICA_OK; i++)
        found = ti.id == peer_id;
    /* What it holds now, asked through our control handle. */
    uint64_t control, mem, held = 0;
    KT_OK(ns_boot_cap(NS_CAP_CONTROL, &control));
    long looked = ns_lookup_via(control, "memory", &mem);
    mica_handle_close(control);
    long use =
        looked == MICA_OK ? mem_task_use_via(mem, (uint32_t)peer_id, &held) : looked;
    if (looked == MICA_OK)
        mica_handle_close(mem);
    struct mem_stats ms;
    long stats = mem_stats(&ms);
    long ours = mem_alloc(EAGER_VA2, 1, MICA_MAP_WRITE);
    if (ours == MICA_OK)
        mem_free(EAGER_VA2, 1);
    KT_STATUS(result_status(&r), MICA_ENOMEM);
    KT_ASSERT(found);
    KT_CMP(r.w[2], >, 0);
    KT_OK(use);
    KT_EQ(held, ti.mem_pages_limit - ti.mem_pages_children); /* its quota, exactly */
    KT_CMP(held, >=, r.w[2]);
    KT_OK(stats);
    KT_CMP(ms.free_frames, >, 0);
    KT_OK(ours);
}
