/*
 * The RAM object (see ram.h). Donation walks frames from the top of memory
 * down, so the kernel keeps the low frames it has been allocating from
 * (pmm_alloc is lowest-first) and every donated run is verified free.
 */
#include "mm/ram.h"

#include <string.h>

#include "arch.h"

static void add_frame(struct ram_object *r, uint64_t pa)
{
    if (r->nranges > 0) {
        struct pmm_range *last = &r->ranges[r->nranges - 1];
        if (last->base == pa + PMM_FRAME_SIZE) {
            last->base = pa;
            r->frames++;
            return;
        }
    }
    if (r->nranges == RAM_MAX_RANGES)
        return;
    r->ranges[r->nranges++] = (struct pmm_range){pa, pa + PMM_FRAME_SIZE};
    r->frames++;
}

/* The in-use bitmap takes the top frames of the first (highest) range:
 * physically contiguous, so contiguous in the physical map too. */
static void place_in_use_map(struct ram_object *r)
{
    if (r->nranges == 0)
        return;
    uint64_t bytes = (r->frames + 7) / 8;
    uint64_t need = (bytes + PMM_FRAME_SIZE - 1) / PMM_FRAME_SIZE;
    struct pmm_range *g = &r->ranges[0];
    if ((g->end - g->base) / PMM_FRAME_SIZE <= need)
        return;
    g->end -= need * PMM_FRAME_SIZE;
    r->frames -= need;
    r->in_use = phys_to_virt(g->end);
    memset(r->in_use, 0, need * PMM_FRAME_SIZE);
}

void ram_donate(struct pmm *pmm, struct ram_object *r, uint64_t keep)
{
    uint64_t free = pmm_free_frames(pmm);
    if (free <= keep)
        return;
    uint64_t want = free - keep;
    for (uint64_t f = pmm->frames; f-- > 1 && r->frames < want;) {
        uint64_t pa = f * PMM_FRAME_SIZE;
        if (pmm_is_free(pmm, pa))
            add_frame(r, pa);
        else if (r->nranges == RAM_MAX_RANGES)
            break;
    }
    for (unsigned i = 0; i < r->nranges; i++)
        pmm_reserve(pmm, r->ranges[i].base, r->ranges[i].end - r->ranges[i].base);
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

bool ram_claim(struct ram_object *r, uint64_t index)
{
    if (!r->in_use)
        return true;
    uint8_t bit = (uint8_t)(1u << (index % 8));
    if (r->in_use[index / 8] & bit)
        return false;
    r->in_use[index / 8] |= bit;
    return true;
}

bool ram_release_phys(struct ram_object *r, uint64_t phys)
{
    int64_t index = ram_index(r, phys);
    if (index < 0)
        return false;
    if (r->in_use)
        r->in_use[index / 8] &= (uint8_t) ~(1u << (index % 8));
    return true;
}
