/*
 * Host unit tests for the memory server's frame allocator
 * (servers/memory/frames.c): frames handed out from the fresh mark, freed
 * ones first again, owners enforced, dead owners reclaimed, and table pages
 * backed only as the mark reaches them (so a server with 16 GiB to manage
 * starts with none and backs two for its first thousand frames), and tables
 * a restarted server takes over are checked before use. A random
 * run checks the counts and the owner rules against a plain per-frame model.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/check.h"
#include "frames.h"

struct backing {
    uint8_t *tables;
    uint64_t pages;
    uint64_t backed; /* pages backed so far */
    uint8_t *done;   /* per page: backed once */
    bool fail;       /* refuse the next request */
    bool twice;      /* a page was asked for twice */
};

static bool back(void *ctx, uint64_t page)
{
    struct backing *b = ctx;
    if (b->fail || page >= b->pages)
        return false;
    if (b->done[page])
        b->twice = true;
    b->done[page] = 1;
    memset(b->tables + page * FRAMES_PAGE, 0, FRAMES_PAGE);
    b->backed++;
    return true;
}

static void backing_init(struct backing *b, uint64_t total)
{
    b->pages = frames_table_pages(total);
    b->tables = aligned_alloc(FRAMES_PAGE, b->pages * FRAMES_PAGE);
    memset(b->tables, 0xa5, b->pages * FRAMES_PAGE); /* unbacked pages hold junk */
    b->done = calloc(b->pages, 1);
    b->backed = 0;
    b->fail = b->twice = false;
}

static void backing_done(struct backing *b)
{
    free(b->tables);
    free(b->done);
}

static void test_sizes(void)
{
    CHECK_EQ(frames_table_pages(0), 0);
    CHECK_EQ(frames_table_pages(1), 2);
    CHECK_EQ(frames_table_pages(1024), 2);
    CHECK_EQ(frames_table_pages(1025), 3);
    /* 16 GiB: 4 Mi frames, 128 bitmap pages and 4096 owner pages. */
    CHECK_EQ(frames_table_pages(1ull << 22), 128 + 4096);
}

static void test_basic(void)
{
    struct backing b;
    struct frames f;
    const uint64_t total = 3000;
    backing_init(&b, total);
    frames_init(&f, b.tables, total, back, &b);
    CHECK_EQ(b.backed, 0);
    CHECK_EQ(f.free, total);
    CHECK_EQ(frames_alloc(&f, 0), FRAME_NONE); /* owner 0 is "free" */

    /* Fresh frames in order; the first backs bitmap page 0 and owner page 0. */
    CHECK_EQ(frames_alloc(&f, 7), 0);
    CHECK_EQ(b.backed, 2);
    CHECK(b.done[0] && b.done[f.bitmap_pages]);
    for (uint64_t i = 1; i < 1024; i++)
        CHECK_EQ(frames_alloc(&f, 7), i);
    CHECK_EQ(b.backed, 2);
    CHECK_EQ(frames_alloc(&f, 8), 1024); /* the next owner page */
    CHECK_EQ(b.backed, 3);
    CHECK_EQ(f.free, total - 1025);

    /* Owners: only the owner frees, once; frames past the mark never. */
    CHECK(!frames_free(&f, 1024, 7));
    CHECK(!frames_free(&f, 1025, 8));
    CHECK(!frames_free(&f, total, 8));
    CHECK(!frames_free(&f, 5, 0));
    CHECK(frames_free(&f, 1024, 8));
    CHECK(!frames_free(&f, 1024, 8));
    CHECK(frames_free(&f, 100, 7));
    CHECK(frames_free(&f, 30, 7));
    CHECK_EQ(f.free, total - 1022);

    /* Freed frames come back before fresh ones, lowest from the hint. */
    CHECK_EQ(frames_alloc(&f, 9), 30);
    CHECK_EQ(frames_alloc(&f, 9), 100);
    CHECK_EQ(frames_alloc(&f, 9), 1024);
    CHECK_EQ(frames_alloc(&f, 9), 1025);

    /* Reclaim takes exactly one owner's frames. */
    CHECK_EQ(frames_reclaim(&f, 9), 4);
    CHECK_EQ(frames_reclaim(&f, 9), 0);
    CHECK_EQ(frames_reclaim(&f, 0), 0);
    CHECK_EQ(frames_reclaim(&f, 7), 1022);
    CHECK_EQ(f.free, total);

    /* Drain: every frame once, then none; a page is never backed twice. */
    static uint8_t seen[3000];
    memset(seen, 0, sizeof(seen));
    uint64_t n = 0;
    for (uint64_t i; (i = frames_alloc(&f, 3)) != FRAME_NONE; n++) {
        CHECK(i < total && !seen[i]);
        seen[i] = 1;
    }
    CHECK_EQ(n, total);
    CHECK_EQ(f.free, 0);
    CHECK_EQ(b.backed, b.pages);
    CHECK(!b.twice);
    CHECK_EQ(frames_reclaim(&f, 3), total);
    backing_done(&b);
}

/* frames_give: a frame moves to another owner (the memory server marks a
 * frame a predecessor's client still maps), only from its owner, never to
 * or from owner 0 or past the fresh mark; the count of free frames does
 * not change, and reclaiming the new owner frees it. */
static void test_give(void)
{
    struct backing b;
    struct frames f;
    backing_init(&b, 100);
    frames_init(&f, b.tables, 100, back, &b);
    CHECK_EQ(frames_alloc(&f, 7), 0);
    CHECK_EQ(frames_alloc(&f, 7), 1);
    uint64_t free_before = f.free;
    CHECK(!frames_give(&f, 0, 8, 9));  /* not 8's */
    CHECK(!frames_give(&f, 0, 7, 0));  /* not to "free" */
    CHECK(!frames_give(&f, 0, 0, 9));  /* not from "free" */
    CHECK(!frames_give(&f, 50, 7, 9)); /* past the mark */
    CHECK(frames_give(&f, 0, 7, 0xffffffffu));
    CHECK_EQ(f.free, free_before);
    CHECK(!frames_free(&f, 0, 7)); /* 7 no longer owns it */
    CHECK_EQ(frames_reclaim(&f, 0xffffffffu), 1);
    CHECK_EQ(f.free, free_before + 1);
    CHECK_EQ(frames_alloc(&f, 9), 0); /* free again, and first */
    backing_done(&b);
}

/* A page that cannot be backed fails the allocation and changes nothing;
 * the next try backs it. */
static void test_back_failure(void)
{
    struct backing b;
    struct frames f;
    backing_init(&b, 2048);
    frames_init(&f, b.tables, 2048, back, &b);
    b.fail = true;
    CHECK_EQ(frames_alloc(&f, 1), FRAME_NONE);
    CHECK_EQ(f.free, 2048);
    CHECK_EQ(f.fresh, 0);
    b.fail = false;
    for (uint64_t i = 0; i < 1024; i++)
        CHECK_EQ(frames_alloc(&f, 1), i);
    b.fail = true;
    CHECK_EQ(frames_alloc(&f, 1), FRAME_NONE); /* owner page 1 */
    CHECK_EQ(f.free, 1024);
    CHECK(frames_free(&f, 3, 1));
    CHECK_EQ(frames_alloc(&f, 2), 3); /* a freed frame needs no new page */
    b.fail = false;
    CHECK_EQ(frames_alloc(&f, 2), 1024);
    CHECK(!b.twice);
    backing_done(&b);
}

/* 16 GiB of RAM: nothing at start, two pages for the first thousand
 * frames, and reclaim looks only below the mark. */
static void test_large(void)
{
    struct backing b;
    struct frames f;
    const uint64_t total = 1ull << 22;
    backing_init(&b, total);
    frames_init(&f, b.tables, total, back, &b);
    CHECK_EQ(b.backed, 0);
    for (uint64_t i = 0; i < 1000; i++)
        CHECK_EQ(frames_alloc(&f, 5), i);
    CHECK_EQ(b.backed, 2);
    CHECK_EQ(frames_reclaim(&f, 5), 1000);
    CHECK_EQ(f.free, total);
    backing_done(&b);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Random allocations, frees (right and wrong owner) and reclaims against
 * a per-frame owner array. */
static void test_model(void)
{
    enum { TOTAL = 700, OWNERS = 4 };
    for (int round = 0; round < 200; round++) {
        struct backing b;
        struct frames f;
        uint32_t owner[TOTAL] = {0};
        uint64_t fresh = 0, nfree = TOTAL;
        backing_init(&b, TOTAL);
        frames_init(&f, b.tables, TOTAL, back, &b);
        bool ok = true;
        for (int op = 0; op < 2000 && ok; op++) {
            unsigned kind = rng() % 10;
            uint32_t who = 1 + rng() % OWNERS;
            if (kind < 5) {
                bool freed_below = nfree > TOTAL - fresh;
                uint64_t i = frames_alloc(&f, who);
                if (nfree == 0) {
                    ok &= i == FRAME_NONE;
                    continue;
                }
                ok &= i < TOTAL && owner[i] == 0;
                ok &= freed_below ? i < fresh : i == fresh;
                if (!ok)
                    break;
                if (i == fresh)
                    fresh++;
                owner[i] = who;
                nfree--;
            } else if (kind < 9) {
                uint64_t i = rng() % (TOTAL + 4);
                bool want = i < TOTAL && owner[i] == who;
                ok &= frames_free(&f, i, who) == want;
                if (want) {
                    owner[i] = 0;
                    nfree++;
                }
            } else {
                uint64_t n = 0;
                for (uint64_t i = 0; i < TOTAL; i++)
                    if (owner[i] == who)
                        owner[i] = 0, n++;
                ok &= frames_reclaim(&f, who) == n;
                nfree += n;
            }
            ok &= f.free == nfree && f.fresh == fresh && !b.twice;
        }
        CHECK(ok);
        backing_done(&b);
        if (!ok) {
            fprintf(stderr, "  frames model mismatch in round %d\n", round);
            return;
        }
    }
}

static bool remap(void *ctx, uint64_t page)
{
    struct backing *b = ctx;
    return !b->fail && page < b->pages; /* the page is there, as it was */
}

/* A restarted server takes the tables over: the same frames stay owned,
 * the free count comes from the bitmap (not the saved counter), and the
 * next frame handed out is a free one. Counters that do not describe the
 * tables, or a bitmap that disagrees with the owners, are refused. */
static void test_adopt(void)
{
    struct backing b;
    struct frames f, saved;
    const uint64_t total = 3000;
    backing_init(&b, total);
    frames_init(&f, b.tables, total, back, &b);
    for (uint64_t i = 0; i < 1500; i++)
        CHECK_EQ(frames_alloc(&f, i % 2 ? 5 : 9), i);
    CHECK(frames_free(&f, 10, 9));
    saved = f;

    struct frames g = saved;
    g.free = 1; /* a stale counter is not believed */
    g.bitmap = NULL;
    CHECK(frames_adopt(&g, b.tables, total, remap, back, &b));
    CHECK_EQ(g.free, total - 1499);
    CHECK_EQ(g.fresh, 1500);
    CHECK_EQ(frames_alloc(&g, 7), 10); /* the freed one first */
    CHECK(!frames_free(&g, 11, 9));    /* owners kept: 11 is 5's */
    CHECK(frames_free(&g, 11, 5));
    CHECK_EQ(frames_reclaim(&g, 9), 749);

    g = saved;
    g.total = total + 1;
    CHECK(!frames_adopt(&g, b.tables, total, remap, back, &b));
    g = saved;
    g.fresh = total + 1;
    CHECK(!frames_adopt(&g, b.tables, total, remap, back, &b));
    g = saved;
    g.owner_backed = 0; /* frames below the mark without owner entries */
    CHECK(!frames_adopt(&g, b.tables, total, remap, back, &b));
    g = saved;
    b.fail = true;
    CHECK(!frames_adopt(&g, b.tables, total, remap, back, &b));
    b.fail = false;
    /* A frame marked used with no owner. */
    ((uint32_t *)(b.tables + saved.bitmap_pages * FRAMES_PAGE))[21] = 0; /* 5's */
    g = saved;
    CHECK(!frames_adopt(&g, b.tables, total, remap, back, &b));
    backing_done(&b);
}

int main(void)
{
    test_sizes();
    test_basic();
    test_give();
    test_back_failure();
    test_large();
    test_model();
    test_adopt();
    return check_exit("test_frames");
}
