/*
 * The frame allocator: which frames of the RAM object are free, and which
 * task owns each frame that is not. Pure bookkeeping over two tables, a
 * bitmap (1 = in use) and one owner id per frame, that live in pages of RAM
 * mapped into the server rather than in .bss; nothing here makes a system
 * call.
 *
 * Frames are handed out from a "fresh" mark upward, and freed frames below
 * it are used again first. Only the table pages for frames below the mark
 * exist: the caller backs one (maps and zeroes it) when the mark first
 * reaches it, through the callback given to frames_init. So starting costs
 * nothing per frame, and the tables (and every walk over them) grow with
 * the frames in use, not with the RAM there is.
 */
#ifndef MICA_MEMORY_FRAMES_H
#define MICA_MEMORY_FRAMES_H

#include <stdbool.h>
#include <stdint.h>

#define FRAME_NONE  ((uint64_t)-1)
#define FRAMES_PAGE 4096ull

/* Makes table page `page` (counted from the start of the tables) usable
 * and zeroed; false when that cannot be done. */
typedef bool (*frames_back_fn)(void *ctx, uint64_t page);

struct frames {
    uint64_t *bitmap; /* bit i of word i / 64: frame i in use */
    uint32_t *owner;  /* task id of frame i's owner, 0 when free */
    uint64_t total;
    uint64_t free;          /* free frames, below the fresh mark or above it */
    uint64_t fresh;         /* frames [fresh, total) were never handed out: free,
                               and their table entries may not exist yet */
    uint64_t hint;          /* bitmap word where the next search starts */
    uint64_t bitmap_pages;  /* table pages of the bitmap; the owner table follows */
    uint64_t bitmap_backed; /* bitmap pages backed so far */
    uint64_t owner_backed;  /* owner-table pages backed so far */
    frames_back_fn back;
    void *ctx;
};

/* Table pages (FRAMES_PAGE bytes each) the tables for `total` frames span. */
uint64_t frames_table_pages(uint64_t total);
/* Sets up *f with every frame free and no table page backed; `tables` is
 * where the frames_table_pages(total) pages go, `back` backs them. */
void frames_init(struct frames *f, void *tables, uint64_t total, frames_back_fn back,
                 void *ctx);
/* Takes over tables an earlier instance left: *f holds its saved
 * counters, `tables` and `total` are as at its frames_init. The counters
 * are checked against each other, the table pages it had backed are made
 * usable again without zeroing (remap), and the bitmap is checked against
 * the owners. false when anything does not fit: then frames_init. */
bool frames_adopt(struct frames *f, void *tables, uint64_t total, frames_back_fn remap,
                  frames_back_fn back, void *ctx);
/* Gives a free frame to `owner` (non-zero), a freed one before a fresh one;
 * FRAME_NONE when none is left or a table page cannot be backed. */
uint64_t frames_alloc(struct frames *f, uint32_t owner);
/* Moves frame `index` from owner `from` to owner `to` (both non-zero);
 * false (and nothing changes) if `from` does not own it. */
bool frames_give(struct frames *f, uint64_t index, uint32_t from, uint32_t to);
/* Frees `index` if `owner` owns it; false (and nothing changes) if not. */
bool frames_free(struct frames *f, uint64_t index, uint32_t owner);
/* Frees every frame `owner` owns; returns how many. Looks only at frames
 * below the fresh mark. */
uint64_t frames_reclaim(struct frames *f, uint32_t owner);

#endif
