/*
 * The frame allocator (see frames.h). Below the fresh mark the bitmap lets
 * a search skip 64 used frames at a time; the search starts where the last
 * one found a frame, so allocating n frames in a row costs about n bit
 * tests, not n scans, and with no freed frame below the mark an allocation
 * just takes the mark's frame. The owner table is the authority on who may
 * free a frame, and the bitmap stays in step with it (a frame below the
 * mark is in use exactly when it has an owner).
 */
#include "frames.h"

static uint64_t bitmap_words(uint64_t frames)
{
    return (frames + 63) / 64;
}

static uint64_t pages_for(uint64_t bytes)
{
    return (bytes + FRAMES_PAGE - 1) / FRAMES_PAGE;
}

uint64_t frames_table_pages(uint64_t total)
{
    return pages_for(bitmap_words(total) * sizeof(uint64_t)) +
           pages_for(total * sizeof(uint32_t));
}

void frames_init(struct frames *f, void *tables, uint64_t total, frames_back_fn back,
                 void *ctx)
{
    f->bitmap = tables;
    f->bitmap_pages = pages_for(bitmap_words(total) * sizeof(uint64_t));
    f->owner = (uint32_t *)((char *)tables + f->bitmap_pages * FRAMES_PAGE);
    f->total = total;
    f->free = total;
    f->fresh = 0;
    f->hint = 0;
    f->bitmap_backed = 0;
    f->owner_backed = 0;
    f->back = back;
    f->ctx = ctx;
}

bool frames_adopt(struct frames *f, void *tables, uint64_t total, frames_back_fn remap,
                  frames_back_fn back, void *ctx)
{
    uint64_t bitmap_pages = pages_for(bitmap_words(total) * sizeof(uint64_t));
    uint64_t owner_pages = pages_for(total * sizeof(uint32_t));
    /* The counters must describe these tables, and the entries of every
     * frame below the fresh mark must have been backed. */
    if (f->total != total || f->fresh > total || f->bitmap_pages != bitmap_pages ||
        f->bitmap_backed > bitmap_pages || f->owner_backed > owner_pages)
        return false;
    if (f->fresh && (f->bitmap_backed <= (f->fresh - 1) / (FRAMES_PAGE * 8) ||
                     f->owner_backed <= (f->fresh - 1) * sizeof(uint32_t) / FRAMES_PAGE))
        return false;
    f->bitmap = tables;
    f->owner = (uint32_t *)((char *)tables + bitmap_pages * FRAMES_PAGE);
    f->back = back;
    f->ctx = ctx;
    for (uint64_t p = 0; p < f->bitmap_backed; p++)
        if (!remap(ctx, p))
            return false;
    for (uint64_t p = 0; p < f->owner_backed; p++)
        if (!remap(ctx, bitmap_pages + p))
            return false;
    /* The bitmap and the owners must agree; the free count is taken from
     * them, not from the saved counter. */
    uint64_t used = 0;
    for (uint64_t i = 0; i < f->fresh; i++) {
        bool bit = (f->bitmap[i / 64] >> (i % 64)) & 1;
        if (bit != (f->owner[i] != 0))
            return false;
        used += bit;
    }
    f->free = total - used;
    f->hint = 0;
    return true;
}

/* Makes sure the table entries of frame i (the fresh mark) exist. */
static bool back_entries(struct frames *f, uint64_t i)
{
    uint64_t bitmap_page = i / (FRAMES_PAGE * 8);
    uint64_t owner_page = i * sizeof(uint32_t) / FRAMES_PAGE;
    while (f->bitmap_backed <= bitmap_page) {
        if (!f->back(f->ctx, f->bitmap_backed))
            return false;
        f->bitmap_backed++;
    }
    while (f->owner_backed <= owner_page) {
        if (!f->back(f->ctx, f->bitmap_pages + f->owner_backed))
            return false;
        f->owner_backed++;
    }
    return true;
}

/* Bitmap word w below the fresh mark, with the bits at and above the mark
 * (free, but not to be found by a search) set. */
static uint64_t used_word(const struct frames *f, uint64_t w)
{
    uint64_t bits = f->bitmap[w];
    if (w == f->fresh / 64 && f->fresh % 64)
        bits |= ~0ull << (f->fresh % 64);
    return bits;
}

static void take(struct frames *f, uint64_t index, uint32_t owner)
{
    f->bitmap[index / 64] |= 1ull << (index % 64);
    f->owner[index] = owner;
    f->free--;
}

static void give_back(struct frames *f, uint64_t index)
{
    f->bitmap[index / 64] &= ~(1ull << (index % 64));
    f->owner[index] = 0;
    f->free++;
    if (index / 64 < f->hint)
        f->hint = index / 64;
}

/* A free frame below the fresh mark, searching from the hint. */
static uint64_t find_freed(struct frames *f)
{
    uint64_t words = bitmap_words(f->fresh);
    for (uint64_t n = 0; n < words; n++) {
        uint64_t w = (f->hint + n) % words;
        uint64_t bits = ~used_word(f, w);
        if (!bits)
            continue;
        f->hint = w;
        return w * 64 + (uint64_t)__builtin_ctzll(bits);
    }
    return FRAME_NONE;
}

uint64_t frames_alloc(struct frames *f, uint32_t owner)
{
    if (owner == 0 || f->free == 0)
        return FRAME_NONE;
    uint64_t index;
    if (f->free > f->total - f->fresh) {
        index = find_freed(f);
        if (index == FRAME_NONE)
            return FRAME_NONE; /* not reached: the counts say one is there */
    } else {
        if (!back_entries(f, f->fresh))
            return FRAME_NONE;
        index = f->fresh++;
    }
    take(f, index, owner);
    return index;
}

bool frames_give(struct frames *f, uint64_t index, uint32_t from, uint32_t to)
{
    if (from == 0 || to == 0 || index >= f->fresh || f->owner[index] != from)
        return false;
    f->owner[index] = to;
    return true;
}

bool frames_free(struct frames *f, uint64_t index, uint32_t owner)
{
    if (owner == 0 || index >= f->fresh || f->owner[index] != owner)
        return false;
    give_back(f, index);
    return true;
}

uint64_t frames_reclaim(struct frames *f, uint32_t owner)
{
    uint64_t n = 0;
    if (owner == 0)
        return 0;
    for (uint64_t w = 0; w < bitmap_words(f->fresh); w++) {
        for (uint64_t bits = f->bitmap[w]; bits; bits &= bits - 1) {
            uint64_t i = w * 64 + (uint64_t)__builtin_ctzll(bits);
            if (f->owner[i] == owner) {
                give_back(f, i);
                n++;
            }
        }
    }
    return n;
}
