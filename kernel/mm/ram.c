/*
 * The RAM object (see ram.h). Donation takes frames from the top of memory
 * down (pmm_give_top), so the kernel keeps the low frames it has been
 * allocating from (pmm_alloc is lowest-first); untouched memory moves as
 * whole ranges, and nothing at boot steps through the donated frames one by
 * one. The in-use map is carved out of the donation and cleared lazily, a
 * page (32768 frames, 128 MiB of RAM) at a time on first use; only its
 * small index of valid pages is cleared at boot.
 */
#include "mm/ram.h"

#include <string.h>

#include "arch.h"

#define MAP_PAGE       PMM_FRAME_SIZE
#define FRAMES_PER_MAP (MAP_PAGE * 8) /* frames whose bits one map page holds */

static uint64_t pages_for(uint64_t bytes)
{
    return (bytes + MAP_PAGE - 1) / MAP_PAGE;
}

/* The in-use map and its index of valid pages take the top frames of the
 * highest range that has room: physically contiguous, so contiguous in the
 * physical map too. Without room anywhere the object stays empty, since its
 * frames could not be kept from being mapped twice. */
static void place_in_use_map(struct ram_object *r)
{
    uint64_t map_pages = pages_for((r->frames + 7) / 8);
    uint64_t index_pages = pages_for((map_pages + 63) / 64 * 8);
    uint64_t need = map_pages + index_pages;
    for (unsigned i = 0; i < r->nranges; i++) {
        struct pmm_range *g = &r->ranges[i];
        if ((g->end - g->base) / PMM_FRAME_SIZE <= need)
            continue;
        g->end -= need * PMM_FRAME_SIZE;
        r->frames -= need;
        r->in_use_ready = phys_to_virt(g->end);
        r->in_use = phys_to_virt(g->end + index_pages * PMM_FRAME_SIZE);
        memset(r->in_use_ready, 0, index_pages * MAP_PAGE);
        return;
    }
    r->nranges = 0;
    r->frames = 0;
}

void ram_donate(struct pmm *pmm, struct ram_object *r, uint64_t keep)
{
    uint64_t free = pmm_free_frames(pmm);
    if (free <= keep)
        return;
    r->nranges = (unsigned)pmm_give_top(pmm, free - keep, r->ranges, RAM_MAX_RANGES);
    r->frames = 0;
    for (unsigned i = 0; i < r->nranges; i++)
        r->frames += (r->ranges[i].end - r->ranges[i].base) / PMM_FRAME_SIZE;
    if (r->nranges > 0)
        place_in_use_map(r);
}

uint64_t ram_frame(const struct ram_object *r, uint64_t index)
{
    for (unsigned i = 0; i < r->nranges; i++) {
        uint64_t n = (r->ranges[i].end - r->ranges[i].base) / PMM_FRAME_SIZE;
        if (index < n)
            return r->ranges[i].base + index * PMM_FRAME_SIZE;
        index -= n;
    }
    return PMM_NONE;
}

int64_t ram_index(const struct ram_object *r, uint64_t phys)
{
    uint64_t before = 0;
    for (unsigned i = 0; i < r->nranges; i++) {
        const struct pmm_range *g = &r->ranges[i];
        if (phys >= g->base && phys < g->end)
            return (int64_t)(before + (phys - g->base) / PMM_FRAME_SIZE);
        before += (g->end - g->base) / PMM_FRAME_SIZE;
    }
    return -1;
}

/* The byte of the in-use map that holds frame `index`. Its page is cleared
 * first if it has never been used (when `make`); otherwise NULL for a page
 * never used, whose frames are all unmapped. */
static uint8_t *in_use_byte(struct ram_object *r, uint64_t index, bool make)
{
    uint64_t page = index / FRAMES_PER_MAP;
    uint64_t bit = 1ull << (page % 64);
    if (!(r->in_use_ready[page / 64] & bit)) {
        if (!make)
            return NULL;
        memset(r->in_use + page * MAP_PAGE, 0, MAP_PAGE);
        r->in_use_ready[page / 64] |= bit;
    }
    return &r->in_use[index / 8];
}

bool ram_claim(struct ram_object *r, uint64_t index)
{
    if (index >= r->frames)
        return false;
    if (!r->in_use)
        return true;
    uint8_t *byte = in_use_byte(r, index, true);
    uint8_t bit = (uint8_t)(1u << (index % 8));
    if (*byte & bit)
        return false;
    *byte |= bit;
    return true;
}

bool ram_release_phys(struct ram_object *r, uint64_t phys)
{
    int64_t index = ram_index(r, phys);
    if (index < 0)
        return false;
    uint8_t *byte = r->in_use ? in_use_byte(r, (uint64_t)index, false) : NULL;
    if (byte)
        *byte &= (uint8_t) ~(1u << (index % 8));
    return true;
}
