/*
 * Host unit tests for the physical frame allocator (kernel/mm/pmm.c).
 *
 * Hand-made memory maps cover each rule of pmm_usable_ranges() with exact
 * expected output; a randomized comparison against a frame-by-frame
 * reference model covers the combinations. The allocator tests drain memory,
 * free it again, and check that every bad free is refused without side
 * effects and that free + used == usable throughout; a second model runs
 * random allocations, frees, reservations and give-aways against a
 * frame-by-frame allocator, and a large map checks that setting up and
 * giving away gigabytes leaves the bitmap untouched beyond what is used.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/check.h"
#include "mm/pmm.h"

#define F  PMM_FRAME_SIZE
#define AV MB2_MEM_AVAILABLE
#define RS MB2_MEM_RESERVED

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct pmm_range out[256];

static void check_ranges(size_t got, const struct pmm_range *want, size_t n, int line)
{
    if (got != n)
        fprintf(stderr, "  (ranges from line %d)\n", line);
    CHECK_EQ(got, n);
    for (size_t i = 0; i < n && i < got; i++) {
        if (out[i].base != want[i].base || out[i].end != want[i].end)
            fprintf(stderr, "  (range %zu from line %d)\n", i, line);
        CHECK_EQ(out[i].base, want[i].base);
        CHECK_EQ(out[i].end, want[i].end);
    }
}

#define RANGES(got, ...)                                                                 \
    do {                                                                                 \
        const struct pmm_range want_[] = {__VA_ARGS__};                                  \
        check_ranges(got, want_, N(want_), __LINE__);                                    \
    } while (0)

static void test_ranges_basic(void)
{
    /* A QEMU BIOS map; low 1 MiB and the kernel image reserved. */
    const struct mb2_mmap_entry qemu[] = {
        {0x0, 0x9fc00, AV},
        {0x9fc00, 0x400, RS},
        {0xf0000, 0x10000, RS},
        {0x100000, 0x7ee0000, AV},
        {0x7fe0000, 0x20000, RS},
        {0xfffc0000, 0x40000, RS},
        {0x100000000, 0x40000000, AV},
    };
    const struct pmm_range res[] = {{0, 0x100000}, {0x100000, 0x123456}};
    RANGES(pmm_usable_ranges(qemu, N(qemu), res, N(res), out, 256), {0x124000, 0x7fe0000},
           {0x100000000, 0x140000000});

    /* Without reserved ranges: frame 0 is still never usable. */
    RANGES(pmm_usable_ranges(qemu, N(qemu), NULL, 0, out, 256), {0x1000, 0x9f000},
           {0x100000, 0x7fe0000}, {0x100000000, 0x140000000});

    /* max_out caps the output. */
    RANGES(pmm_usable_ranges(qemu, N(qemu), NULL, 0, out, 2), {0x1000, 0x9f000},
           {0x100000, 0x7fe0000});
    CHECK_EQ(pmm_usable_ranges(qemu, N(qemu), NULL, 0, out, 0), 0);
    CHECK_EQ(pmm_usable_ranges(NULL, 0, res, N(res), out, 256), 0);
}

static void test_ranges_edge(void)
{
    /* Unaligned entries shrink inward; one with no whole frame vanishes. */
    const struct mb2_mmap_entry unaligned[] = {
        {0x101234, 0x4000, AV}, {0x200001, 0xfff, AV}, {0x300800, 0x1800, AV}};
    RANGES(pmm_usable_ranges(unaligned, N(unaligned), NULL, 0, out, 256),
           {0x102000, 0x105000}, {0x301000, 0x302000});

    /* Zero-length and wrapping available entries are ignored. */
    const struct mb2_mmap_entry odd[] = {
        {0x100000, 0, AV},          {0xfffffffffffff000ull, 0x2000, AV},
        {0x200000, UINT64_MAX, AV}, {UINT64_MAX, 1, AV},
        {0x400000, 0x1000, AV},
    };
    RANGES(pmm_usable_ranges(odd, N(odd), NULL, 0, out, 256), {0x400000, 0x401000});

    /* An available entry that ends at the very top, below 2^64. */
    const struct mb2_mmap_entry top[] = {{0xffffffffffff0000ull, 0xffff, AV}};
    RANGES(pmm_usable_ranges(top, N(top), NULL, 0, out, 256),
           {0xffffffffffff0000ull, 0xfffffffffffff000ull});
    const struct pmm_range top_res[] = {{0xfffffffffffff000ull, UINT64_MAX}};
    RANGES(pmm_usable_ranges(top, N(top), top_res, 1, out, 256),
           {0xffffffffffff0000ull, 0xfffffffffffff000ull});
    const struct pmm_range top_res2[] = {{0xffffffffffffe001ull, UINT64_MAX}};
    RANGES(pmm_usable_ranges(top, N(top), top_res2, 1, out, 256),
           {0xffffffffffff0000ull, 0xffffffffffffe000ull});

    /* A wrapping non-available entry blocks everything above its base. */
    const struct mb2_mmap_entry wrapblock[] = {{0x100000, 0x100000, AV},
                                               {0x180000, UINT64_MAX, RS}};
    RANGES(pmm_usable_ranges(wrapblock, N(wrapblock), NULL, 0, out, 256),
           {0x100000, 0x180000});

    /* Unsorted, duplicated and overlapping available entries merge. */
    const struct mb2_mmap_entry messy[] = {
        {0x500000, 0x100000, AV}, {0x100000, 0x100000, AV}, {0x100000, 0x100000, AV},
        {0x180000, 0x100000, AV}, {0x280000, 0x80000, AV},  {0x600000, 0x1000, AV},
    };
    RANGES(pmm_usable_ranges(messy, N(messy), NULL, 0, out, 256), {0x100000, 0x300000},
           {0x500000, 0x601000});

    /* Any non-available entry overlapping an available one wins, whatever the
     * order; a partial frame of it blocks the whole frame. */
    const struct mb2_mmap_entry overlap[] = {
        {0x200800, 0x800, RS},         {0x100000, 0x700000, AV},
        {0x400000, 0x10, MB2_MEM_NVS}, {0x7ff000, 0x100000, MB2_MEM_ACPI_RECLAIMABLE},
        {0x300000, 0x1000, 77},        {0x500000, 0, RS},
    };
    RANGES(pmm_usable_ranges(overlap, N(overlap), NULL, 0, out, 256),
           {0x100000, 0x200000}, {0x201000, 0x300000}, {0x301000, 0x400000},
           {0x401000, 0x7ff000});

    /* Reserved ranges are cut out, rounded outward; empty/inverted ignored. */
    const struct mb2_mmap_entry one[] = {{0x100000, 0x100000, AV}};
    const struct pmm_range res[] = {
        {0x150000, 0x150001}, {0x1fffff, 0x300000}, {0x120000, 0x120000},
        {0x130000, 0x110000}, {0x0, 0x101000},
    };
    RANGES(pmm_usable_ranges(one, N(one), res, N(res), out, 256), {0x101000, 0x150000},
           {0x151000, 0x1ff000});

    /* Everything reserved. */
    const struct pmm_range all[] = {{0, UINT64_MAX}};
    CHECK_EQ(pmm_usable_ranges(one, N(one), all, 1, out, 256), 0);
}

/* A frame-by-frame reference model over a small address space. */
#define MODEL_FRAMES 96

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static uint64_t rnd_addr(void)
{
    /* Mostly frame-ish addresses, sometimes unaligned, inside the model. */
    uint64_t a = rng() % (MODEL_FRAMES * F);
    return rng() % 3 ? a & ~(F - 1) : a;
}

static void test_ranges_model(void)
{
    for (int round = 0; round < 3000; round++) {
        struct mb2_mmap_entry map[12];
        struct pmm_range res[4];
        size_t n = rng() % 12, nres = rng() % 4;
        bool usable[MODEL_FRAMES] = {false};

        for (size_t i = 0; i < n; i++) {
            uint64_t a = rnd_addr(), b = rnd_addr();
            map[i].base = a < b ? a : b;
            map[i].len = a < b ? b - a : a - b;
            map[i].type = rng() % 3 ? AV : (uint32_t)(2 + rng() % 4);
        }
        for (size_t i = 0; i < nres; i++) {
            res[i].base = rnd_addr();
            res[i].end = rnd_addr();
        }
        /* Usable: fully inside some available entry, touching no blocker. */
        for (uint64_t f = 1; f < MODEL_FRAMES; f++) {
            uint64_t lo = f * F, hi = lo + F;
            bool in = false, blocked = false;
            for (size_t i = 0; i < n; i++) {
                uint64_t b = map[i].base, e = b + map[i].len;
                if (map[i].type == AV && b <= lo && hi <= e)
                    in = true;
                if (map[i].type != AV && b < hi && lo < e)
                    blocked = true;
            }
            for (size_t i = 0; i < nres; i++) {
                if (res[i].base < hi && lo < res[i].end)
                    blocked = true;
            }
            usable[f] = in && !blocked;
        }

        size_t got = pmm_usable_ranges(map, n, res, nres, out, 256);
        bool seen[MODEL_FRAMES] = {false};
        bool ok = true;
        for (size_t i = 0; i < got; i++) {
            ok &= out[i].base % F == 0 && out[i].end % F == 0 && out[i].base < out[i].end;
            ok &= out[i].end <= MODEL_FRAMES * F;
            if (i > 0)
                ok &= out[i - 1].end < out[i].base; /* sorted, merged */
            for (uint64_t a = out[i].base; ok && a < out[i].end; a += F)
                seen[a / F] = true;
        }
        for (int f = 0; f < MODEL_FRAMES; f++)
            ok &= seen[f] == usable[f];
        CHECK(ok);
        if (!ok) {
            fprintf(stderr, "  model mismatch in round %d\n", round);
            return;
        }
    }
}

static void test_bitmap_sizing(void)
{
    const struct pmm_range r[] = {{0x1000, 0x9f000}, {0x100000, 0x8000000}};
    /* 0x8000 frames -> 0x1000 bytes, one bit per frame. */
    CHECK_EQ(pmm_bitmap_bytes(r, 2), 0x1000);
    CHECK_EQ(pmm_bitmap_bytes(r, 1), 24); /* 0x9f frames -> 3 words */
    CHECK_EQ(pmm_bitmap_bytes(r, 0), 0);

    CHECK_EQ(pmm_place_bitmap(r, 2, 0x2000, UINT64_MAX), 0x1000);
    CHECK_EQ(pmm_place_bitmap(r, 2, 0x9e000, UINT64_MAX), 0x1000);
    CHECK_EQ(pmm_place_bitmap(r, 2, 0x9e001, UINT64_MAX), 0x100000);
    CHECK_EQ(pmm_place_bitmap(r, 2, 0x100, 0x1000), PMM_NONE);
    CHECK_EQ(pmm_place_bitmap(r, 2, 0x100, 0x2000), 0x1000);
    CHECK_EQ(pmm_place_bitmap(r, 2, 0x200000, 0x200000), PMM_NONE);
    CHECK_EQ(pmm_place_bitmap(r, 2, 0x200000, 0x300000), 0x100000);
    CHECK_EQ(pmm_place_bitmap(r, 2, 0, UINT64_MAX), PMM_NONE);
    CHECK_EQ(pmm_place_bitmap(r, 2, UINT64_MAX, UINT64_MAX), PMM_NONE);
    CHECK_EQ(pmm_place_bitmap(r, 2, 0x8000000, UINT64_MAX), PMM_NONE);
    const struct pmm_range z[] = {{0, 0x3000}};
    CHECK_EQ(pmm_place_bitmap(z, 1, 0x1000, UINT64_MAX), 0x1000);
}

static void test_alloc(void)
{
    /* 0x1000-0x5000 (4 frames) and 0x100000-0x142000 (66 frames). */
    const struct pmm_range r[] = {{0x1000, 0x5000}, {0x100000, 0x142000}};
    const uint64_t usable = 4 + 66;
    uint64_t bytes = pmm_bitmap_bytes(r, 2);
    uint8_t *bm = malloc(bytes);
    struct pmm p;

    CHECK_EQ(bytes, 48); /* 0x142 frames -> 6 words */
    CHECK_EQ(pmm_init(&p, bm, bytes - 1, r, 2), -1);
    CHECK_EQ(pmm_alloc(&p), PMM_NONE);
    CHECK_EQ(pmm_init(&p, NULL, bytes, r, 2), -1);
    CHECK_EQ(pmm_init(&p, bm, bytes, r, 2), 0);
    CHECK_EQ(p.frames, 0x142);
    CHECK_EQ(p.usable, usable);
    CHECK_EQ(pmm_free_frames(&p), usable);
    CHECK_EQ(pmm_used_frames(&p), 0);

    /* Lowest first, then every frame exactly once, then PMM_NONE. */
    static uint64_t got[128];
    size_t n = 0;
    for (uint64_t a; (a = pmm_alloc(&p)) != PMM_NONE && n < 128;)
        got[n++] = a;
    CHECK_EQ(n, usable);
    CHECK_EQ(got[0], 0x1000);
    CHECK_EQ(got[3], 0x4000);
    CHECK_EQ(got[4], 0x100000);
    CHECK_EQ(got[n - 1], 0x141000);
    bool ascending = true;
    for (size_t i = 1; i < n; i++)
        ascending &=
            got[i] == got[i - 1] + F || (got[i - 1] == 0x4000 && got[i] == 0x100000);
    CHECK(ascending);
    CHECK_EQ(pmm_free_frames(&p), 0);
    CHECK_EQ(pmm_used_frames(&p), usable);
    CHECK_EQ(pmm_alloc(&p), PMM_NONE);

    /* Bad frees change nothing. */
    CHECK_EQ(pmm_free(&p, 0), -1);                     /* frame 0 */
    CHECK_EQ(pmm_free(&p, 0x1001), -1);                /* unaligned */
    CHECK_EQ(pmm_free(&p, 0x5000), -1);                /* never usable */
    CHECK_EQ(pmm_free(&p, 0x9f000), -1);               /* never usable */
    CHECK_EQ(pmm_free(&p, 0x142000), -1);              /* out of range */
    CHECK_EQ(pmm_free(&p, UINT64_MAX & ~(F - 1)), -1); /* out of range */
    CHECK_EQ(pmm_free_frames(&p), 0);

    /* Free two, double free refused, lowest comes back first. */
    CHECK_EQ(pmm_free(&p, 0x120000), 0);
    CHECK_EQ(pmm_free(&p, 0x3000), 0);
    CHECK_EQ(pmm_free(&p, 0x3000), -1);
    CHECK_EQ(pmm_free_frames(&p), 2);
    CHECK_EQ(pmm_used_frames(&p) + pmm_free_frames(&p), usable);
    CHECK_EQ(pmm_alloc(&p), 0x3000);
    CHECK_EQ(pmm_alloc(&p), 0x120000);
    CHECK_EQ(pmm_alloc(&p), PMM_NONE);

    /* Free everything: back to the initial state. */
    for (size_t i = 0; i < n; i++)
        CHECK_EQ(pmm_free(&p, got[i]), 0);
    CHECK_EQ(pmm_free_frames(&p), usable);
    CHECK_EQ(pmm_free(&p, got[5]), -1);

    /* Reserve: the bitmap's own frames, partial frames rounded outward. */
    CHECK_EQ(pmm_reserve(&p, 0x100800, 0x1000), 2);
    CHECK_EQ(pmm_reserve(&p, 0x100000, 0x2000), 0); /* already taken */
    CHECK_EQ(pmm_reserve(&p, 0x0, 0x2000), 1);      /* frame 0 was never free */
    CHECK_EQ(pmm_reserve(&p, 0x140000, UINT64_MAX), 2);
    CHECK_EQ(pmm_reserve(&p, 0x200000, 0x1000), 0);
    CHECK_EQ(pmm_reserve(&p, 0x4000, 0), 0);
    CHECK_EQ(pmm_free_frames(&p), usable - 5);
    CHECK_EQ(pmm_used_frames(&p), 5);
    CHECK_EQ(pmm_alloc(&p), 0x2000);
    CHECK_EQ(pmm_alloc(&p), 0x3000);
    CHECK_EQ(pmm_alloc(&p), 0x4000);
    CHECK_EQ(pmm_alloc(&p), 0x102000);
    CHECK_EQ(pmm_used_frames(&p) + pmm_free_frames(&p), usable);
    free(bm);

    /* Ranges that pmm_usable_ranges() would never produce are refused. */
    uint64_t small[8];
    const struct pmm_range unsorted[] = {{0x5000, 0x6000}, {0x1000, 0x2000}};
    const struct pmm_range overlapping[] = {{0x1000, 0x3000}, {0x2000, 0x4000}};
    const struct pmm_range unaligned[] = {{0x1000, 0x2800}};
    CHECK_EQ(pmm_init(&p, small, sizeof(small), unsorted, 2), -1);
    CHECK_EQ(pmm_init(&p, small, sizeof(small), overlapping, 2), -1);
    CHECK_EQ(pmm_init(&p, small, sizeof(small), unaligned, 1), -1);
    CHECK_EQ(pmm_free_frames(&p), 0);

    /* A range starting at 0 never yields frame 0; empty input is empty. */
    const struct pmm_range zero[] = {{0, 0x2000}};
    CHECK_EQ(pmm_init(&p, small, sizeof(small), zero, 1), 0);
    CHECK_EQ(p.usable, 1);
    CHECK_EQ(pmm_alloc(&p), 0x1000);
    CHECK_EQ(pmm_alloc(&p), PMM_NONE);
    CHECK_EQ(pmm_init(&p, small, sizeof(small), NULL, 0), 0);
    CHECK_EQ(pmm_alloc(&p), PMM_NONE);
    CHECK_EQ(pmm_free(&p, 0x1000), -1);
}

/* A large sparse map: word skipping over long used stretches. */
static void test_alloc_large(void)
{
    const struct mb2_mmap_entry map[] = {{0x0, 0x100000000ull, AV},
                                         {0x200000000ull, 0x10000, AV}};
    const struct pmm_range res[] = {{0, 0xfff00000ull}};
    size_t n = pmm_usable_ranges(map, 2, res, 1, out, 256);
    RANGES(n, {0xfff00000ull, 0x100000000ull}, {0x200000000ull, 0x200010000ull});
    uint64_t bytes = pmm_bitmap_bytes(out, n);
    CHECK_EQ(bytes, 0x40008); /* 0x200010 frames -> 0x8001 words */
    uint8_t *bm = malloc(bytes);
    struct pmm p;
    CHECK_EQ(pmm_init(&p, bm, bytes, out, n), 0);
    CHECK_EQ(p.usable, 256 + 16);
    uint64_t last = 0, count = 0;
    for (uint64_t a; (a = pmm_alloc(&p)) != PMM_NONE; count++) {
        CHECK(a > last);
        last = a;
    }
    CHECK_EQ(count, 256 + 16);
    CHECK_EQ(last, 0x20000f000ull);
    CHECK_EQ(pmm_free(&p, 0xfff80000ull), 0);
    CHECK_EQ(pmm_alloc(&p), 0xfff80000ull);
    free(bm);
}

/* pmm_init refusals added with the range copy. */
static void test_init_limits(void)
{
    static uint64_t bm[64];
    static struct pmm_range many[PMM_MAX_RANGES + 1];
    struct pmm p;
    for (size_t i = 0; i < N(many); i++)
        many[i] = (struct pmm_range){(2 * i + 1) * F, (2 * i + 2) * F};
    CHECK_EQ(pmm_init(&p, bm, sizeof(bm), many, PMM_MAX_RANGES), 0);
    CHECK_EQ(p.usable, PMM_MAX_RANGES);
    CHECK_EQ(pmm_init(&p, bm, sizeof(bm), many, PMM_MAX_RANGES + 1), -1);
    CHECK_EQ(p.usable, 0);
    /* A bitmap that is not 8-byte aligned. */
    CHECK_EQ(pmm_init(&p, (uint8_t *)bm + 4, sizeof(bm) - 4, many, 1), -1);

    /* Adjacent ranges are accepted and behave as one. */
    const struct pmm_range adj[] = {{0x1000, 0x3000}, {0x3000, 0x5000}};
    CHECK_EQ(pmm_init(&p, bm, sizeof(bm), adj, 2), 0);
    struct pmm_range got[4];
    CHECK_EQ(pmm_give_top(&p, 100, got, 4), 1);
    CHECK_EQ(got[0].base, 0x1000);
    CHECK_EQ(got[0].end, 0x5000);
}

/* pmm_give_top by hand: untouched ranges in one step each, runs merged
 * across the tracked boundary, a stop at the first frame in use, `max`. */
static void test_give_top(void)
{
    /* Frames 1-0x3f, 0x100-0x2ff, 0x400-0x4ff. */
    const struct pmm_range r[] = {
        {0x1000, 0x40000}, {0x100000, 0x300000}, {0x400000, 0x500000}};
    const uint64_t usable = 0x3f + 0x200 + 0x100;
    static uint64_t bm[32];
    struct pmm p;
    struct pmm_range got[8];

    CHECK_EQ(pmm_init(&p, bm, sizeof(bm), r, 3), 0);
    CHECK_EQ(pmm_give_top(&p, 0, got, 8), 0);
    CHECK_EQ(pmm_give_top(&p, 0x10, got, 0), 0); /* no room for a run */
    CHECK_EQ(p.frames, 0x500);
    CHECK_EQ(pmm_give_top(&p, 0x10, got, 8), 1);
    CHECK_EQ(got[0].base, 0x4f0000);
    CHECK_EQ(got[0].end, 0x500000);
    CHECK_EQ(p.frames, 0x4f0);
    CHECK_EQ(pmm_free_frames(&p), usable - 0x10);
    CHECK_EQ(pmm_used_frames(&p), 0x10);
    CHECK_EQ(p.ready, 0); /* nothing tracked yet */

    /* Track up to frame 0x140 (allocations are lowest first), then give
     * away the rest of the top range, the hole, and the middle range down
     * into the tracked part: one run per range, the middle one merged
     * across `ready`, stopping above the highest frame in use. */
    uint64_t a = 0;
    for (int i = 0; i < 0x3f + 0x41; i++)
        a = pmm_alloc(&p);
    CHECK_EQ(a, 0x140000);
    CHECK_EQ(p.ready, 0x180);
    CHECK_EQ(pmm_free(&p, 0x13f000), 0); /* a hole below the top one in use */
    CHECK_EQ(pmm_give_top(&p, UINT64_MAX, got, 8), 2);
    CHECK_EQ(got[0].base, 0x400000);
    CHECK_EQ(got[0].end, 0x4f0000);
    CHECK_EQ(got[1].base, 0x141000);
    CHECK_EQ(got[1].end, 0x300000);
    CHECK_EQ(p.frames, 0x141);
    CHECK_EQ(pmm_free_frames(&p), 1);
    CHECK_EQ(pmm_used_frames(&p), usable - 1);

    /* Given-away frames are gone: not free, not freeable, not handed out. */
    CHECK(!pmm_is_free(&p, 0x200000));
    CHECK_EQ(pmm_free(&p, 0x200000), -1);
    CHECK_EQ(pmm_free(&p, 0x141000), -1);
    CHECK_EQ(pmm_reserve(&p, 0x141000, 0x1000), 0);
    CHECK_EQ(pmm_alloc(&p), 0x13f000);
    CHECK_EQ(pmm_alloc(&p), PMM_NONE);
    CHECK_EQ(pmm_free(&p, 0x140000), 0);
    CHECK_EQ(pmm_alloc(&p), 0x140000);

    /* Stops at the frame in use: nothing more to give. */
    CHECK_EQ(pmm_give_top(&p, UINT64_MAX, got, 8), 0);

    /* `max` cuts the walk where a new run would start. */
    CHECK_EQ(pmm_init(&p, bm, sizeof(bm), r, 3), 0);
    CHECK_EQ(pmm_give_top(&p, UINT64_MAX, got, 2), 2);
    CHECK_EQ(got[1].base, 0x100000);
    CHECK_EQ(got[1].end, 0x300000);
    CHECK_EQ(pmm_free_frames(&p), 0x3f);
    CHECK_EQ(pmm_alloc(&p), 0x1000);
    CHECK_EQ(pmm_give_top(&p, UINT64_MAX, got, 8), 1);
    CHECK_EQ(got[0].base, 0x2000);
    CHECK_EQ(got[0].end, 0x40000);
    CHECK_EQ(pmm_free_frames(&p), 0);
    CHECK_EQ(pmm_used_frames(&p), usable);
}

/* A 16 GiB machine: setting up, reserving the bitmap, a few allocations and
 * giving three quarters of RAM away leave the bitmap untouched above the
 * few words in use. */
static void test_lazy_large(void)
{
    const struct mb2_mmap_entry map[] = {{0x0, 0x9fc00, AV},
                                         {0x100000, 0xbff00000ull, AV},
                                         {0xc0000000ull, 0x40000000ull, RS},
                                         {0x100000000ull, 0x340000000ull, AV}};
    const struct pmm_range res[] = {{0, 0x100000}, {0x100000, 0x400000}};
    size_t n = pmm_usable_ranges(map, N(map), res, N(res), out, 256);
    RANGES(n, {0x400000, 0xc0000000ull}, {0x100000000ull, 0x440000000ull});
    uint64_t bytes = pmm_bitmap_bytes(out, n);
    CHECK_EQ(bytes, 0x440000000ull / F / 8);
    uint64_t where = pmm_place_bitmap(out, n, bytes, 0x100000000ull);
    CHECK_EQ(where, 0x400000);

    uint64_t *bm = malloc(bytes);
    memset(bm, 0xa5, bytes);
    struct pmm p;
    CHECK_EQ(pmm_init(&p, bm, bytes, out, n), 0);
    CHECK_EQ(pmm_reserve(&p, where, bytes), bytes / F);
    uint64_t usable = (0xc0000000ull - 0x400000 + 0x340000000ull) / F;
    CHECK_EQ(p.usable, usable);
    for (int i = 0; i < 300; i++)
        CHECK_EQ(pmm_alloc(&p), where + bytes + (uint64_t)i * F);

    uint64_t avail = pmm_free_frames(&p), want = avail - avail / 4;
    struct pmm_range got[4];
    CHECK_EQ(pmm_give_top(&p, want, got, 4), 1);
    CHECK_EQ(got[0].end, 0x440000000ull);
    CHECK_EQ(got[0].base, 0x440000000ull - want * F);
    CHECK_EQ(pmm_free_frames(&p), avail - want);

    /* Words above the ready mark were never written. */
    uint64_t words = bytes / 8, touched = 0;
    for (uint64_t w = p.ready / 64; w < words; w++)
        touched += bm[w] != 0xa5a5a5a5a5a5a5a5ull;
    CHECK_EQ(touched, 0);
    CHECK(p.ready <= (where + bytes) / F + 300 + 64);

    /* Allocation goes on, lowest first, across the 3-4 GiB hole. */
    CHECK_EQ(pmm_alloc(&p), where + bytes + 300 * F);
    CHECK_EQ(pmm_reserve(&p, 0x400000, 0xc0000000ull - 0x400000),
             (0xc0000000ull - 0x400000) / F - bytes / F - 301);
    CHECK_EQ(pmm_alloc(&p), 0x100000000ull);
    CHECK_EQ(pmm_free(&p, 0xc0000000ull), -1);  /* never RAM */
    CHECK_EQ(pmm_free(&p, 0x100001000ull), -1); /* free */
    CHECK_EQ(pmm_free(&p, got[0].base), -1);    /* given away */
    CHECK_EQ(pmm_used_frames(&p) + pmm_free_frames(&p), usable);
    free(bm);
}

/* Random operations against a frame-by-frame allocator with the same rules
 * (lowest free frame from the hint up, then from the bottom). */
#define OPS_FRAMES 320
enum { NOT_RAM, FREE, USED };

struct model {
    uint8_t state[OPS_FRAMES];
    uint64_t top, hint, free;
};

static uint64_t model_alloc(struct model *m)
{
    if (m->free == 0)
        return PMM_NONE;
    uint64_t h = m->hint < 1 || m->hint >= m->top ? 1 : m->hint;
    for (int pass = 0; pass < 2; pass++) {
        uint64_t from = pass ? 1 : h, to = pass ? h : m->top;
        for (uint64_t f = from; f < to; f++) {
            if (m->state[f] == FREE) {
                m->state[f] = USED;
                m->free--;
                m->hint = f + 1;
                return f * F;
            }
        }
    }
    return PMM_NONE;
}

static int model_free(struct model *m, uint64_t phys)
{
    uint64_t f = phys / F;
    if (phys % F || f == 0 || f >= m->top || m->state[f] != USED)
        return -1;
    m->state[f] = FREE;
    m->free++;
    if (f < m->hint)
        m->hint = f;
    return 0;
}

static uint64_t model_reserve(struct model *m, uint64_t base, uint64_t len)
{
    uint64_t first = base / F, last = m->top, taken = 0;
    if (len == 0 || first >= m->top)
        return 0;
    if (len <= ~(F - 1) - base && (base + len + F - 1) / F < last)
        last = (base + len + F - 1) / F;
    for (uint64_t f = first; f < last; f++) {
        if (m->state[f] == FREE) {
            m->state[f] = USED;
            taken++;
        }
    }
    m->free -= taken;
    return taken;
}

static size_t model_give(struct model *m, uint64_t want, struct pmm_range *o, size_t max)
{
    uint64_t f = m->top, taken = 0;
    size_t n = 0;
    while (taken < want) {
        uint64_t g = f;
        while (g > 1 && m->state[g - 1] == NOT_RAM)
            g--;
        if (g <= 1 || m->state[g - 1] == USED)
            break;
        uint64_t low = g;
        while (low > 1 && m->state[low - 1] == FREE && g - low < want - taken)
            low--;
        if (n == max)
            break;
        o[n++] = (struct pmm_range){low * F, g * F};
        taken += g - low;
        f = low;
    }
    m->top = f;
    m->free -= taken;
    if (m->hint >= f)
        m->hint = 1;
    return n;
}

static void test_ops_model(void)
{
    static uint64_t bm[OPS_FRAMES / 64 + 1];
    for (int round = 0; round < 400; round++) {
        struct mb2_mmap_entry map[8];
        size_t nmap = 1 + rng() % 8;
        for (size_t i = 0; i < nmap; i++) {
            uint64_t a = rng() % (OPS_FRAMES * F), b = rng() % (OPS_FRAMES * F);
            map[i] = (struct mb2_mmap_entry){a < b ? a : b, a < b ? b - a : a - b,
                                             rng() % 4 ? AV : RS};
        }
        size_t n = pmm_usable_ranges(map, nmap, NULL, 0, out, 256);
        struct pmm p;
        struct model m = {{0}, 0, 1, 0};
        memset(bm, rng() & 1 ? 0xff : 0x5a, sizeof(bm));
        if (pmm_init(&p, bm, sizeof(bm), out, n) != 0) {
            CHECK(0);
            return;
        }
        m.top = n ? out[n - 1].end / F : 0;
        for (size_t i = 0; i < n; i++)
            for (uint64_t f = out[i].base / F; f < out[i].end / F; f++)
                m.state[f] = FREE, m.free++;
        CHECK_EQ(p.usable, m.free);

        static uint64_t held[OPS_FRAMES];
        size_t nheld = 0;
        bool ok = true;
        for (int op = 0; op < 300 && ok; op++) {
            unsigned kind = rng() % 20;
            if (kind < 9) {
                uint64_t a = pmm_alloc(&p);
                ok &= a == model_alloc(&m);
                if (a != PMM_NONE)
                    held[nheld++] = a;
            } else if (kind < 16) {
                uint64_t a = nheld && rng() % 4 ? held[rng() % nheld]
                                                : rnd_addr() % (OPS_FRAMES * F);
                ok &= pmm_free(&p, a) == model_free(&m, a);
            } else if (kind < 18) {
                uint64_t base = rng() % (OPS_FRAMES * F),
                         len = rng() % 4 ? rng() % (40 * F) : UINT64_MAX;
                ok &= pmm_reserve(&p, base, len) == model_reserve(&m, base, len);
            } else {
                struct pmm_range g1[4], g2[4];
                uint64_t want = rng() % 3 ? rng() % 60 : UINT64_MAX;
                size_t max = rng() % 4;
                size_t k1 = pmm_give_top(&p, want, g1, max),
                       k2 = model_give(&m, want, g2, max);
                ok &= k1 == k2;
                for (size_t i = 0; ok && i < k1; i++)
                    ok &= g1[i].base == g2[i].base && g1[i].end == g2[i].end;
            }
            ok &= p.free == m.free && p.frames == m.top;
            ok &= pmm_used_frames(&p) + pmm_free_frames(&p) == p.usable;
            for (uint64_t f = 0; ok && f < OPS_FRAMES; f++)
                ok &= pmm_is_free(&p, f * F) == (f < m.top && m.state[f] == FREE);
            if (!ok)
                fprintf(stderr, "  ops model mismatch in round %d, op %d (kind %u)\n",
                        round, op, kind);
        }
        CHECK(ok);
        if (!ok)
            return;
    }
}

int main(void)
{
    test_ranges_basic();
    test_ranges_edge();
    test_ranges_model();
    test_bitmap_sizing();
    test_alloc();
    test_alloc_large();
    test_init_limits();
    test_give_top();
    test_lazy_large();
    test_ops_model();
    return check_exit("test_pmm");
}
