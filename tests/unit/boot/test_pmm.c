/*
 * Host unit tests for the physical frame allocator (kernel/mm/pmm.c).
 *
 * Hand-made memory maps cover each rule of pmm_usable_ranges() with exact
 * expected output; a randomized comparison against a frame-by-frame
 * reference model covers the combinations. The allocator tests drain memory,
 * free it again, and check that every bad free is refused without side
 * effects and that free + used == usable throughout.
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
    /* 0x8000 frames -> 0x1000 bytes per map, two maps. */
    CHECK_EQ(pmm_bitmap_bytes(r, 2), 0x2000);
    CHECK_EQ(pmm_bitmap_bytes(r, 1), 2 * 24); /* 0x9f frames -> 3 words */
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

    CHECK_EQ(bytes, 2 * 48); /* 0x142 frames -> 6 words */
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
    uint8_t small[64];
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
    CHECK_EQ(bytes, 2 * 0x40008); /* 0x200010 frames -> 0x8001 words */
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

int main(void)
{
    test_ranges_basic();
    test_ranges_edge();
    test_ranges_model();
    test_bitmap_sizing();
    test_alloc();
    test_alloc_large();
    return check_exit("test_pmm");
}
