/*
 * The frame allocator (see frames.h). The bitmap lets a search skip 64 used
 * frames at a time; the search starts where the last one found a frame, so
 * allocating n frames in a row costs about n bit tests, not n scans. The
 * owner table is the authority on who may free a frame, and the bitmap
 * stays in step with it (a frame is in use exactly when it has an owner).
 */
#include "frames.h"

static uint64_t bitmap_words(uint64_t total)
{
    return (total + 63) / 64;
}

uint64_t frames_table_bytes(uint64_t total)
{
    return bitmap_words(total) * sizeof(uint64_t) + total * sizeof(uint32_t);
}

void frames_init(struct frames *f, void *tables, uint64_t total)
{
    uint64_t words = bitmap_words(total);
    f->bitmap = tables;
    f->owner = (uint32_t *)(f->bitmap + words);
    f->total = total;
    f->free = total;
    f->hint = 0;
    /* Bits past the last frame count as used, so no search returns them. */
    if (total % 64)
        f->bitmap[words - 1] = ~0ull << (total % 64);
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

uint64_t frames_alloc(struct frames *f, uint32_t owner)
{
    uint64_t words = bitmap_words(f->total);
    if (owner == 0 || f->free == 0)
        return FRAME_NONE;
    for (uint64_t n = 0; n < words; n++) {
        uint64_t w = (f->hint + n) % words;
        uint64_t bits = ~f->bitmap[w];
        if (!bits)
            continue;
        uint64_t index = w * 64 + (uint64_t)__builtin_ctzll(bits);
        f->hint = w;
        take(f, index, owner);
        return index;
    }
    return FRAME_NONE;
}

bool frames_claim(struct frames *f, uint64_t index, uint32_t owner)
{
    if (owner == 0 || index >= f->total || f->owner[index] != 0)
        return false;
    take(f, index, owner);
    return true;
}

bool frames_free(struct frames *f, uint64_t index, uint32_t owner)
{
    if (owner == 0 || index >= f->total || f->owner[index] != owner)
        return false;
    give_back(f, index);
    return true;
}

uint64_t frames_reclaim(struct frames *f, uint32_t owner)
{
    uint64_t n = 0;
    if (owner == 0)
        return 0;
    for (uint64_t i = 0; i < f->total; i++) {
        if (f->owner[i] == owner) {
            give_back(f, i);
            n++;
        }
    }
    return n;
}
