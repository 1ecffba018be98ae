/*
 * The RAM object: the free memory the kernel hands to the memory server at
 * boot, as up to RAM_MAX_RANGES runs of frames. The server names a frame by
 * its index (0 .. frames-1) in SYS_MAP; the kernel turns indices into
 * physical addresses and back.
 */
#ifndef MICA_MM_RAM_H
#define MICA_MM_RAM_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/pmm.h"

#define RAM_MAX_RANGES 64

struct ram_object {
    struct pmm_range ranges[RAM_MAX_RANGES];
    unsigned nranges;
    uint64_t frames;
    /* One bit per frame: mapped in some task. A frame is never mapped twice
     * (no accidental sharing), and the bits survive a restart of the memory
     * server, whose fresh allocator then meets EBUSY for frames still in
     * use. NULL for objects that may be shared (the screen). The map is
     * cleared a page at a time, when a frame of that page is first claimed:
     * bit p of `in_use_ready` says whether page p of it is valid; a page
     * that is not has no frame mapped. */
    uint8_t *in_use;
    uint64_t *in_use_ready;
    /* Called after each mapping (the screen: a user-space console draws
     * from then on); NULL for none. */
    void (*on_map)(void);
};

struct task;

/* Takes the free frames above the first `keep` free ones out of the
 * kernel's allocator and into *r, in a few steps per range
 * (pmm_give_top), and carves the in-use map out of them. */
void ram_donate(struct pmm *pmm, struct ram_object *r, uint64_t keep);
/* Marks frame `index` mapped; false if it already was or is out of range. */
bool ram_claim(struct ram_object *r, uint64_t index);
/* Marks the frame at phys unmapped; false if it is not part of r. */
bool ram_release_phys(struct ram_object *r, uint64_t phys);

/* Maps frame `index` of r at va in t (ram_map.c), with MICA_MAP_* flags,
 * never writable and executable at once: MICA_OK, MICA_EINVAL (bad va or
 * flags), MICA_ERANGE (no such frame), MICA_EBUSY (va taken, or the frame
 * mapped elsewhere), MICA_ENOMEM (t's budget has no page table left). */
int64_t ram_map_page(struct ram_object *r, struct task *t, uint64_t va, uint64_t index,
                     uint64_t flags);

/* Physical address of frame `index`, or PMM_NONE. */
uint64_t ram_frame(const struct ram_object *r, uint64_t index);
/* Index of the frame at phys, or -1 when it is not part of r. */
int64_t ram_index(const struct ram_object *r, uint64_t phys);

#endif
