/*
 * Suite mem: memory from the memory server (protocol in mica/memory.h):
 * eager allocation and freeing, lazily backed regions, the free-frame
 * count, and refusal of absurd requests without side effects. Each test
 * uses its own address range, far from anything libc-mini maps.
 */
#include <mica/hello.h>
#include <mica/memory.h>
#include <mica/ns.h>
#include <mica/syscall.h>

#include "ktest.h"

#define PAGE      MICA_PAGE_SIZE
#define TEST_BASE 0x00000a0000000000ull /* 10 TiB: unused by libc-mini */
#define RANGE(n)  (TEST_BASE + (uint64_t)(n)*0x10000000ull)

KTEST(mem, alloc_free_round_trip)
{
    volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)RANGE(0);
    KT_OK(mem_alloc(RANGE(0), 4, MICA_MAP_WRITE));
    for (unsigned i = 0; i < 4 * PAGE / 8; i++)
        if (p[i] != 0) {
            mem_free(RANGE(0), 4);
            KT_EQ(p[i], 0);
        }
    for (unsigned i = 0; i < 4 * PAGE / 8; i++)
        p[i] = i * 0x9e3779b97f4a7c15ull;
    bool same = true;
    for (unsigned i = 0; i < 4 * PAGE / 8; i++)
        same = same && p[i] == i * 0x9e3779b97f4a7c15ull;
    KT_EQ(mem_free(RANGE(0), 4), 4);
    KT_ASSERT(same);
}

KTEST(mem, alloc_twice_busy)
{
    KT_OK(mem_alloc(RANGE(1), 2, MICA_MAP_WRITE));
    long again = mem_alloc(RANGE(1) + PAGE, 2, MICA_MAP_WRITE);
    KT_EQ(mem_free(RANGE(1), 3), 2);
    KT_STATUS(again, MICA_EBUSY);
}

KTEST(mem, free_count_drops_and_returns)
{
    struct mem_stats before, during, after;
    KT_OK(mem_stats(&before));
    KT_OK(mem_alloc(RANGE(2), 8, MICA_MAP_WRITE));
    long st = mem_stats(&during);
    KT_EQ(mem_free(RANGE(2), 8), 8);
    KT_OK(st);
    KT_OK(mem_stats(&after));
    KT_EQ(during.free_frames, before.free_frames - 8);
    KT_EQ(during.own_frames, before.own_frames + 8);
    KT_EQ(after.free_frames, before.free_frames);
    KT_EQ(after.own_frames, before.own_frames);
}

KTEST(mem, absurd_requests_refused)
{
    struct mem_stats before, after;
    KT_OK(mem_stats(&before));
    KT_STATUS(mem_alloc(RANGE(3), MEM_PAGES_MAX + 1, MICA_MAP_WRITE), MICA_EINVAL);
    KT_STATUS(mem_alloc(RANGE(3), 0, MICA_MAP_WRITE), MICA_EINVAL);
    KT_STATUS(mem_alloc(RANGE(3) + 1, 1, MICA_MAP_WRITE), MICA_EINVAL);
    KT_STATUS(mem_alloc(0, 1, MICA_MAP_WRITE), MICA_EINVAL);
    KT_STATUS(mem_alloc(0xffffffff80000000ull, 1, MICA_MAP_WRITE), MICA_EINVAL);
    KT_STATUS(mem_alloc(MEM_VA_END - PAGE, 2, MICA_MAP_WRITE), MICA_EINVAL);
    KT_STATUS(mem_alloc(RANGE(3), 1, MICA_MAP_WRITE | MICA_MAP_EXEC), MICA_EINVAL);
    KT_STATUS(mem_alloc(RANGE(3), 1, 0x80), MICA_EINVAL);
    /* More than all of RAM: refused as a whole, nothing kept. */
    KT_STATUS(mem_alloc(RANGE(3), MEM_PAGES_MAX, MICA_MAP_WRITE), MICA_ENOMEM);
    KT_OK(mem_stats(&after));
    KT_EQ(after.free_frames, before.free_frames);
    KT_EQ(after.own_frames, before.own_frames);
    KT_EQ(mem_free(RANGE(3), 16), 0);
}

KTEST(mem, free_of_unmapped_range)
{
    KT_EQ(mem_free(RANGE(4), 16), 0);
}

KTEST(mem, lazy_first_touch)
{
    volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)RANGE(5);
    struct mem_stats before, touched;
    KT_OK(mem_lazy(RANGE(5), 16, MICA_MAP_WRITE));
    KT_OK(mem_stats(&before));
    KT_EQ(p[100], 0);
    p[101] = 0xab;
    p[3 * PAGE] = 0xcd;
    KT_EQ(p[101], 0xab);
    KT_EQ(p[3 * PAGE], 0xcd);
    KT_EQ(p[3 * PAGE + 1], 0);
    KT_OK(mem_stats(&touched));
    KT_EQ(touched.own_frames, before.own_frames + 2);
    KT_EQ(mem_free(RANGE(5), 16), 2);
}

KTEST(mem, lazy_overlap_busy)
{
    KT_OK(mem_lazy(RANGE(6), 4, MICA_MAP_WRITE));
    KT_STATUS(mem_lazy(RANGE(6) + 2 * PAGE, 4, MICA_MAP_WRITE), MICA_EBUSY);
    KT_STATUS(mem_lazy(RANGE(7), 1, MICA_MAP_WRITE | MICA_MAP_EXEC), MICA_EINVAL);
}

/* Pages asked for without MICA_MAP_WRITE read as zeros; that writing them
 * faults is fault.write_to_readonly_killed (in a crasher). */
KTEST(mem, readonly_alloc_readable)
{
    volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)RANGE(8);
    struct mem_stats before, during;
    KT_OK(mem_stats(&before));
    KT_OK(mem_alloc(RANGE(8), 2, 0));
    uint64_t sum = 0;
    for (unsigned i = 0; i < 2 * PAGE / 8; i++)
        sum |= p[i];
    long st = mem_stats(&during);
    KT_EQ(mem_free(RANGE(8), 2), 2);
    KT_EQ(sum, 0);
    KT_OK(st);
    KT_EQ(during.own_frames, before.own_frames + 2);
}

/* Freeing part of a range frees just those pages; the rest stays usable
 * until freed in turn. */
KTEST(mem, partial_free)
{
    volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)RANGE(9);
    KT_OK(mem_alloc(RANGE(9), 4, MICA_MAP_WRITE));
    p[0] = 1;
    p[3 * PAGE / 8] = 4;
    KT_EQ(mem_free(RANGE(9) + PAGE, 2), 2);
    uint64_t first = p[0], last = p[3 * PAGE / 8];
    long again = mem_alloc(RANGE(9) + PAGE, 2, MICA_MAP_WRITE);
    uint64_t fresh = p[PAGE / 8];
    KT_EQ(mem_free(RANGE(9), 4), again == MICA_OK ? 4 : 2);
    KT_EQ(first, 1);
    KT_EQ(last, 4);
    KT_OK(again);
    KT_EQ(fresh, 0);
}

/* A freed range can be allocated again, and its pages come back zeroed
 * (no data of an earlier owner survives). */
KTEST(mem, realloc_zeroed)
{
    volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)RANGE(10);
    KT_OK(mem_alloc(RANGE(10), 1, MICA_MAP_WRITE));
    for (unsigned i = 0; i < PAGE / 8; i++)
        p[i] = ~0ull;
    KT_EQ(mem_free(RANGE(10), 1), 1);
    KT_OK(mem_alloc(RANGE(10), 1, MICA_MAP_WRITE));
    uint64_t sum = 0;
    for (unsigned i = 0; i < PAGE / 8; i++)
        sum |= p[i];
    KT_EQ(mem_free(RANGE(10), 1), 1);
    KT_EQ(sum, 0);
}

/* The server's count of our frames agrees with MEM_TASK_USE. */
KTEST(mem, task_use_matches_stats)
{
    struct mem_stats st;
    uint64_t frames = 0;
    KT_OK(mem_alloc(RANGE(11), 3, MICA_MAP_WRITE));
    long a = mem_stats(&st);
    long b = mem_task_use((uint32_t)mica_self_id(), &frames);
    KT_EQ(mem_free(RANGE(11), 3), 3);
    KT_OK(a);
    KT_OK(b);
    KT_EQ(frames, st.own_frames);
    KT_CMP(st.total_frames, >=, st.free_frames + st.own_frames);
}

/* Exhaustion: allocate in chunks until the server refuses. The refusal is
 * an error (MICA_ENOMEM), the task lives on, and once everything is freed
 * the free count is back where it started. */
#define EXHAUST_BASE  0x0000090000000000ull /* 9 TiB: a range of its own */
#define EXHAUST_CHUNK 512ull                /* pages: 2 MiB */

/* Allocating until refused ends at our quota (the memory-server pages of
 * our kernel budget, less our children's), not at the end of RAM: the
 * server keeps frames for everybody else. */
static uint64_t own_quota(void)
{
    struct mica_task_info ti;
    for (uint32_t i = 0; mica_task_info(i, &ti) == MICA_OK; i++)
        if (ti.id == mica_self_id())
            return ti.mem_pages_limit - ti.mem_pages_children;
    return 0;
}

KTEST(mem, exhaustion_refused_and_recovered)
{
    struct mem_stats before, after;
    KT_OK(mem_stats(&before));
    uint64_t quota = own_quota(), held = 0;
    KT_OK(mem_task_use((uint32_t)mica_self_id(), &held));
    uint64_t max_chunks = before.total_frames / EXHAUST_CHUNK + 2, chunks = 0;
    long st = MICA_OK;
    while (chunks < max_chunks) {
        st = mem_alloc(EXHAUST_BASE + chunks * EXHAUST_CHUNK * PAGE, EXHAUST_CHUNK,
                       MICA_MAP_WRITE);
        if (st != MICA_OK)
            break;
        chunks++;
    }
    /* What is left is less than a chunk: single pages still fit. */
    uint64_t singles = 0;
    uint64_t tail = EXHAUST_BASE + chunks * EXHAUST_CHUNK * PAGE;
    long one = MICA_OK;
    while (singles < EXHAUST_CHUNK &&
           (one = mem_alloc(tail + singles * PAGE, 1, MICA_MAP_WRITE)) == MICA_OK)
        singles++;
    struct mem_stats empty;
    long st_empty = mem_stats(&empty);
    long freed = 0;
    for (uint64_t c = 0; c <= chunks; c++) {
        long f = mem_free(EXHAUST_BASE + c * EXHAUST_CHUNK * PAGE, EXHAUST_CHUNK);
        if (f > 0)
            freed += f;
    }
    KT_OK(mem_stats(&after));
    KT_STATUS(st, MICA_ENOMEM);
    KT_STATUS(one, MICA_ENOMEM);
    KT_CMP(chunks, >, 0);
    KT_OK(st_empty);
    KT_CMP(quota, <, before.total_frames);
    KT_CMP(empty.free_frames, >, 0);                       /* RAM left for the others */
    KT_EQ(held + chunks * EXHAUST_CHUNK + singles, quota); /* exactly our quota */
    KT_EQ(freed, (long)(chunks * EXHAUST_CHUNK + singles));
    KT_EQ(after.free_frames, before.free_frames);
    KT_EQ(after.own_frames, before.own_frames);
}

/* Lazy regions may not overlap at either end, inside or around another;
 * touching ones are fine. */
KTEST(mem, lazy_overlaps_refused)
{
    uint64_t base = RANGE(12) + 16 * PAGE;
    KT_OK(mem_lazy(base, 8, MICA_MAP_WRITE));
    KT_STATUS(mem_lazy(base - 2 * PAGE, 4, MICA_MAP_WRITE), MICA_EBUSY); /* start */
    KT_STATUS(mem_lazy(base + 6 * PAGE, 4, MICA_MAP_WRITE), MICA_EBUSY); /* end */
    KT_STATUS(mem_lazy(base + 2 * PAGE, 2, MICA_MAP_WRITE), MICA_EBUSY); /* inside */
    KT_STATUS(mem_lazy(base - PAGE, 10, MICA_MAP_WRITE), MICA_EBUSY);    /* around */
    KT_STATUS(mem_lazy(base, 8, MICA_MAP_WRITE), MICA_EBUSY);            /* same */
    KT_STATUS(mem_lazy(base + 8 * PAGE, 0, MICA_MAP_WRITE), MICA_EINVAL);
}

/* Page tables are the mapping task's kernel memory. One page per GiB needs
 * a page table of its own for each (and a page directory every 512 GiB),
 * so the tables run out long before RAM does: the mapping must end with
 * ENOMEM inside this task's own budget, and the rest of the system must
 * not notice (before budgets, the kernel's reserve drained until no task
 * could be spawned): init's budget is untouched, a task started before
 * answers, and only our own spawns (paid out of our budget) are refused.
 * Runs last: the tables stay charged until we exit. */
#define GIB         (1ull << 30)
#define SPREAD_BASE 0x0000100000000000ull /* 16 TiB */
#define SPREAD_MAX  4096u
/* This task's entry of TASK_INFO (its name differs at boot). */
static bool self_info(struct mica_task_info *out)
{
    for (uint32_t i = 0; mica_task_info(i, out) == MICA_OK; i++)
        if (out->id == mica_self_id())
            return true;
    return false;
}

KTEST_LAST(mem, page_tables_charged_to_the_mapper)
{
    struct mica_task_info self, init_before, init_after;
    KT_ASSERT(self_info(&self));
    KT_ASSERT(kt_task_by_name("init", &init_before));
    uint64_t limit = self.kernel_limit;
    uint64_t id = 0, h;
    KT_OK(ns_spawn("hello", &id)); /* before: it is paid out of our budget */
    unsigned n = 0;
    long st = MICA_OK;
    while (n < SPREAD_MAX &&
           (st = mem_alloc(SPREAD_BASE + n * GIB, 1, MICA_MAP_WRITE)) == MICA_OK)
        n++;
    struct mica_task_info after;
    bool found = self_info(&after);
    bool init_found = kt_task_by_name("init", &init_after);
    /* Another task answers; a spawn of ours is refused by our budget. */
    uint64_t id2 = 0;
    long spawn = ns_spawn("hello", &id2);
    long looked = kt_lookup("hello", &h, 3000);
    struct mica_msg req = {MICA_INFO(HELLO_GREET, 0), {0}}, rep;
    long call = looked == MICA_OK ? mica_call(h, &req, &rep, 3000) : looked;
    if (looked == MICA_OK)
        mica_handle_close(h);
    for (unsigned i = 0; i < n; i++)
        mem_free(SPREAD_BASE + i * GIB, 1);
    KT_STATUS(st, MICA_ENOMEM);
    KT_ASSERT(n > 0 && n < limit);
    KT_ASSERT(found && after.kernel_frames <= after.kernel_limit);
    KT_ASSERT(init_found);
    KT_EQ(init_after.kernel_frames, init_before.kernel_frames);
    KT_STATUS(spawn, MICA_ENOMEM);
    KT_OK(call);
    KT_OK(MICA_REPLY_STATUS(rep.info));
}
