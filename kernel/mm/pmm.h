/*
 * Physical frame allocator: one bit per 4 KiB frame, initialised lazily.
 *
 * pmm_usable_ranges() turns the firmware's memory map into the list of frames
 * the kernel may hand out: only "available" entries, shrunk inward to whole
 * frames, with every overlap with a non-available entry or a reserved range
 * (low 1 MiB, kernel image, boot information, modules) cut out; sorted and
 * merged. The allocator keeps a copy of those ranges, which says once and for
 * all which frames are RAM, and tracks which frames are free in a bitmap that
 * the caller places (pmm_place_bitmap) and owns: one bit per frame from
 * physical 0, rounded up to 64-bit words.
 *
 * The bitmap is filled in lazily, a word at a time, as the allocator's
 * "ready" mark moves up: below it the bitmap tells; above it a frame is free
 * exactly when it is RAM, since nothing has touched it yet. pmm_alloc() is
 * lowest-first, so the mark only climbs as far as the kernel uses memory, and
 * setting up or giving away gigabytes (pmm_give_top) costs a few range steps,
 * not a step per frame. Physical frame 0 is never usable, so 0 is never
 * handed out.
 *
 * Pure code: no kernel headers, so host unit tests and fuzzers build it too.
 */
#ifndef MICA_MM_PMM_H
#define MICA_MM_PMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/multiboot2.h"

#define PMM_FRAME_SIZE 4096ull
#define PMM_NONE       ((uint64_t)-1) /* no frame: physical 0 is never handed out */
/* Usable ranges the allocator can hold: every cut the map and the reserved
 * ranges (4 fixed ones and the modules) can make. */
#define PMM_MAX_RANGES (2 * MB2_MAX_MMAP + MB2_MAX_MODULES + 4)

struct pmm_range {
    uint64_t base; /* first byte */
    uint64_t end;  /* one past the last byte */
};

struct pmm {
    uint64_t *bitmap;   /* bit set = frame not free (used or not RAM); valid
                           below `ready` only */
    uint64_t frames;    /* frames the allocator covers, from physical 0; the
                           frames at and above it were given away */
    uint64_t ready;     /* frames [0, ready) are tracked by the bitmap; a
                           multiple of 64 */
    uint64_t usable;    /* frames that were usable at init */
    uint64_t free;      /* frames free now */
    uint64_t next_hint; /* frame number where the next search starts */
    size_t nranges;
    size_t cursor; /* first range that may reach above `ready` */
    struct pmm_range ranges[PMM_MAX_RANGES]; /* the RAM, as at init */
};

/*
 * Writes at most `max_out` sorted, disjoint, frame-aligned usable ranges to
 * `out` and returns their number; ranges that do not fit are dropped (the
 * memory is lost, never double-counted). Available entries are shrunk inward
 * to whole frames; non-available entries and reserved ranges block every
 * frame they touch. Available entries with zero length or that wrap around
 * are ignored; a non-available entry that wraps blocks everything from its
 * base up; reserved ranges with end <= base are ignored. Overlaps between
 * available and non-available entries resolve to "not usable". Frame 0 is
 * never part of the result. Input order does not matter.
 */
size_t pmm_usable_ranges(const struct mb2_mmap_entry *map, size_t n,
                         const struct pmm_range *reserved, size_t nreserved,
                         struct pmm_range *out, size_t max_out);

/* Bytes of bitmap needed to cover every frame below the top usable range;
 * a multiple of 8. */
uint64_t pmm_bitmap_bytes(const struct pmm_range *usable, size_t n);

/*
 * Finds a frame-aligned home for `bytes` of bitmap inside one usable range,
 * ending at or below `limit` (the memory the caller can address); the lowest
 * fit wins. Returns its physical address, or PMM_NONE (also for bytes == 0).
 * The caller then marks it used with pmm_reserve().
 */
uint64_t pmm_place_bitmap(const struct pmm_range *usable, size_t n, uint64_t bytes,
                          uint64_t limit);

/* Makes the frames of `usable` free and everything else used, in O(n): the
 * ranges are copied, the bitmap is not touched yet. Returns -1 when `usable`
 * is not sorted, disjoint and frame-aligned (as produced by
 * pmm_usable_ranges) or holds more than PMM_MAX_RANGES ranges, or the bitmap
 * is NULL, not 8-byte aligned or smaller than pmm_bitmap_bytes(usable, n);
 * the allocator is then empty. */
int pmm_init(struct pmm *p, void *bitmap, uint64_t bitmap_bytes,
             const struct pmm_range *usable, size_t n);

/* Marks every frame touching [base, base+len) used (e.g. the bitmap itself),
 * as if allocated. Returns the number of free frames taken. */
uint64_t pmm_reserve(struct pmm *p, uint64_t base, uint64_t len);

/*
 * Gives away up to `want` free frames from the top of memory for good (the
 * RAM object): they stay counted as used, pmm_alloc never returns them and
 * pmm_free refuses them. Walks down from the top through free frames,
 * skipping what is not RAM, and stops at the first frame in use, when `want`
 * frames are taken, or when a run would not fit in `out`. Writes the runs to
 * `out` (at most `max`), highest first, each a sorted, frame-aligned range,
 * and returns their number. Untouched memory goes in one step per range.
 */
size_t pmm_give_top(struct pmm *p, uint64_t want, struct pmm_range *out, size_t max);

/* Returns the physical address of a free frame, or PMM_NONE. Searches upward
 * from the hint; a free lowers the hint, so the lowest free frame wins. */
uint64_t pmm_alloc(struct pmm *p);

/* Frees a frame. Returns -1 (and changes nothing) for an address that is not
 * frame-aligned, not covered, never usable, or not currently allocated. */
int pmm_free(struct pmm *p, uint64_t phys);

/* Whether the frame at phys is free now. */
bool pmm_is_free(const struct pmm *p, uint64_t phys);

static inline uint64_t pmm_free_frames(const struct pmm *p)
{
    return p->free;
}
static inline uint64_t pmm_used_frames(const struct pmm *p)
{
    return p->usable - p->free;
}

#endif
