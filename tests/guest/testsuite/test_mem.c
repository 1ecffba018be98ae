/*
 * Suite mem: memory from the memory server (protocol in mica/memory.h):
 * eager allocation and freeing, lazily backed regions, the free-frame
 * count, and refusal of absurd requests without side effects. Each test
 * uses its own address range, far from anything libc-mini maps.
 */
#include <mica/memory.h>
#include <mica/syscall.h>

#include "ktest.h"

#define PAGE      MEM_PAGE_SIZE
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
