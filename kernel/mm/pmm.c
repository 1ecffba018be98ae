/*
 * Physical frame allocator: usable-range computation and a bitmap allocator.
 *
 * pmm_usable_ranges() works without scratch memory: it sweeps upward through
 * physical memory, each time finding the lowest frame that some available
 * entry covers and no blocker (non-available entry or reserved range) touches,
 * then extending that frame into the longest run of such frames. Each step is
 * O(n^2) in the number of entries, and the runs come out sorted and merged.
 *
 * The bitmap the caller provides holds two maps of one bit per frame from
 * physical 0: the "not free" map that allocation works on, followed by the
 * "usable at init" map that lets pmm_free() tell an allocated frame from one
 * that was never RAM. Physical frame 0 is never usable, so an address of 0
 * can never be handed out.
 *
 * Pure code: compiled into the freestanding kernel and into host tests and
 * fuzzers, so it uses no library calls at all.
 */
#include "mm/pmm.h"

#define FRAME     PMM_FRAME_SIZE
#define MAX_FRAME (~(FRAME - 1)) /* highest frame-aligned address */

static uint64_t align_down(uint64_t x)
{
    return x & ~(FRAME - 1);
}

/* Rounds up, saturating at the last frame boundary representable in 64 bits. */
static uint64_t align_up_sat(uint64_t x)
{
    return x > MAX_FRAME ? MAX_FRAME : (x + FRAME - 1) & ~(FRAME - 1);
}

/* ---- Usable ranges ---- */

struct sources {
    const struct mb2_mmap_entry *map;
    size_t n;
    const struct pmm_range *reserved;
    size_t nreserved;
};

/*
 * The available entry `i` as whole frames inside it. Returns false for
 * entries that are not available, are empty, wrap around, or hold no whole
 * frame.
 */
static bool avail_range(const struct sources *s, size_t i, uint64_t *b, uint64_t *e)
{
    const struct mb2_mmap_entry *m = &s->map[i];

    if (m->type != MB2_MEM_AVAILABLE || m->len == 0 || m->len > UINT64_MAX - m->base)
        return false;
    *b = align_up_sat(m->base);
    *e = align_down(m->base + m->len);
    return *b < *e;
}

/*
 * Blocker `i` (non-available map entries first, then reserved ranges) as the
 * frames it touches. A non-available entry that wraps blocks everything from
 * its base up: erring towards "not usable" is the safe side.
 */
static bool block_range(const struct sources *s, size_t i, uint64_t *b, uint64_t *e)
{
    uint64_t base, end;

    if (i < s->n) {
        const struct mb2_mmap_entry *m = &s->map[i];
        if (m->type == MB2_MEM_AVAILABLE || m->len == 0)
            return false;
        base = m->base;
        end = m->len > UINT64_MAX - base ? UINT64_MAX : base + m->len;
    } else {
        const struct pmm_range *r = &s->reserved[i - s->n];
        if (r->end <= r->base)
            return false;
        base = r->base;
        end = r->end;
    }
    *b = align_down(base);
    *e = end > MAX_FRAME ? UINT64_MAX : align_up_sat(end); /* MAX: to the top */
    return *b < *e;
}

/* Is the frame at `a` inside an available entry and clear of every blocker? */
static bool frame_usable(const struct sources *s, uint64_t a)
{
    uint64_t b, e;
    bool in_avail = false;

    for (size_t i = 0; i < s->n && !in_avail; i++)
        in_avail = avail_range(s, i, &b, &e) && b <= a && a < e;
    if (!in_avail)
        return false;
    for (size_t i = 0; i < s->n + s->nreserved; i++) {
        if (block_range(s, i, &b, &e) && b <= a && a < e)
            return false;
    }
    return true;
}

static void consider(const struct sources *s, uint64_t c, uint64_t cursor, bool *found,
                     uint64_t *best)
{
    if (c < cursor || (*found && c >= *best))
        return;
    if (frame_usable(s, c)) {
        *found = true;
        *best = c;
    }
}

size_t pmm_usable_ranges(const struct mb2_mmap_entry *map, size_t n,
                         const struct pmm_range *reserved, size_t nreserved,
                         struct pmm_range *out, size_t max_out)
{
    struct sources s = {map, n, reserved, nreserved};
    uint64_t cursor = FRAME; /* frame 0 is never usable */
    size_t count = 0;

    if (!map)
        s.n = 0;
    if (!reserved)
        s.nreserved = 0;

    while (count < max_out) {
        /* A run can only start at the cursor, an available entry's start, or
         * just after a blocker; take the lowest such point that is usable. */
        bool found = false;
        uint64_t start = 0, b, e;

        consider(&s, cursor, cursor, &found, &start);
        for (size_t i = 0; i < s.n; i++) {
            if (avail_range(&s, i, &b, &e))
                consider(&s, b, cursor, &found, &start);
        }
        for (size_t i = 0; i < s.n + s.nreserved; i++) {
            if (block_range(&s, i, &b, &e) && e != UINT64_MAX)
                consider(&s, e, cursor, &found, &start);
        }
        if (!found)
            break;

        /* Extend through chained available entries, then stop at the first
         * blocker above the start (none covers the start itself). */
        uint64_t end = start;
        for (bool grew = true; grew;) {
            grew = false;
            for (size_t i = 0; i < s.n; i++) {
                if (avail_range(&s, i, &b, &e) && b <= end && end < e) {
                    end = e;
                    grew = true;
                }
            }
        }
        for (size_t i = 0; i < s.n + s.nreserved; i++) {
            if (block_range(&s, i, &b, &e) && b > start && b < end)
                end = b;
        }
        out[count].base = start;
        out[count].end = end;
        count++;
        cursor = end; /* end > start >= cursor: the sweep always advances */
    }
    return count;
}

/* ---- Bitmap ---- */

/* Bytes of one map covering `frames` frames, rounded up to 64-bit words. */
static uint64_t map_bytes(uint64_t frames)
{
    return (frames + 63) / 64 * 8;
}

uint64_t pmm_bitmap_bytes(const struct pmm_range *usable, size_t n)
{
    uint64_t top = 0;

    for (size_t i = 0; i < n; i++) {
        if (usable[i].end > top)
            top = usable[i].end;
    }
    return 2 * map_bytes(align_up_sat(top) / FRAME);
}

uint64_t pmm_place_bitmap(const struct pmm_range *usable, size_t n, uint64_t bytes,
                          uint64_t limit)
{
    if (bytes == 0 || bytes > MAX_FRAME)
        return PMM_NONE;
    uint64_t need = align_up_sat(bytes);

    for (size_t i = 0; i < n; i++) {
        uint64_t base = align_up_sat(usable[i].base);
        uint64_t end = usable[i].end < limit ? usable[i].end : limit;
        if (base == 0)
            base = FRAME;
        if (base < end && end - base >= need)
            return base;
    }
    return PMM_NONE;
}

static bool bit_get(const uint8_t *map, uint64_t i)
{
    return map[i / 8] >> (i % 8) & 1;
}

static void bit_put(uint8_t *map, uint64_t i, bool v)
{
    if (v)
        map[i / 8] |= (uint8_t)(1u << (i % 8));
    else
        map[i / 8] &= (uint8_t) ~(1u << (i % 8));
}

/* Sets frames [first, first+count) of `map` to `v`, a byte at a time inside. */
static void fill_bits(uint8_t *map, uint64_t first, uint64_t count, bool v)
{
    uint64_t i = first, end = first + count;

    for (; i < end && i % 8 != 0; i++)
        bit_put(map, i, v);
    for (; end - i >= 8; i += 8)
        map[i / 8] = v ? 0xff : 0;
    for (; i < end; i++)
        bit_put(map, i, v);
}

static uint8_t *usable_map(const struct pmm *p)
{
    return p->bitmap + map_bytes(p->frames);
}

int pmm_init(struct pmm *p, void *bitmap, uint64_t bitmap_bytes,
             const struct pmm_range *usable, size_t n)
{
    uint64_t top = 0, prev_end = 0;

    p->bitmap = NULL;
    p->frames = p->usable = p->free = 0;
    p->next_hint = 1;
    for (size_t i = 0; i < n; i++) {
        const struct pmm_range *r = &usable[i];
        if (r->base % FRAME || r->end % FRAME || r->base >= r->end || r->base < prev_end)
            return -1; /* not what pmm_usable_ranges() produces */
        prev_end = top = r->end;
    }
    if (!bitmap || bitmap_bytes < pmm_bitmap_bytes(usable, n))
        return -1;

    p->bitmap = bitmap;
    p->frames = top / FRAME;
    uint64_t bytes = map_bytes(p->frames);
    fill_bits(p->bitmap, 0, bytes * 8, true);
    fill_bits(usable_map(p), 0, bytes * 8, false);
    for (size_t i = 0; i < n; i++) {
        uint64_t first = usable[i].base / FRAME, last = usable[i].end / FRAME;
        if (first == 0)
            first = 1; /* physical 0 is never handed out */
        if (first >= last)
            continue;
        fill_bits(p->bitmap, first, last - first, false);
        fill_bits(usable_map(p), first, last - first, true);
        p->usable += last - first;
    }
    p->free = p->usable;
    return 0;
}

uint64_t pmm_reserve(struct pmm *p, uint64_t base, uint64_t len)
{
    if (len == 0 || base / FRAME >= p->frames)
        return 0;
    uint64_t first = base / FRAME, last = p->frames;
    if (len <= MAX_FRAME - base && align_up_sat(base + len) / FRAME < last)
        last = align_up_sat(base + len) / FRAME;

    uint64_t taken = 0;
    for (uint64_t i = first; i < last; i++) {
        if (!bit_get(p->bitmap, i)) {
            bit_put(p->bitmap, i, true);
            taken++;
        }
    }
    p->free -= taken;
    return taken;
}

/* First clear bit in [from, to), skipping fully used 64-frame words. */
static uint64_t find_clear(const uint8_t *map, uint64_t from, uint64_t to)
{
    uint64_t i = from;

    while (i < to) {
        if (i % 64 == 0 && to - i >= 64) {
            const uint8_t *w = map + i / 8;
            if ((w[0] & w[1] & w[2] & w[3] & w[4] & w[5] & w[6] & w[7]) == 0xff) {
                i += 64;
                continue;
            }
        }
        if (!bit_get(map, i))
            return i;
        i++;
    }
    return to;
}

uint64_t pmm_alloc(struct pmm *p)
{
    if (p->free == 0)
        return PMM_NONE;
    uint64_t hint = p->next_hint < 1 || p->next_hint >= p->frames ? 1 : p->next_hint;
    uint64_t i = find_clear(p->bitmap, hint, p->frames);

    if (i == p->frames)
        i = find_clear(p->bitmap, 1, hint);
    if (i >= p->frames || i == 0)
        return PMM_NONE;
    bit_put(p->bitmap, i, true);
    p->free--;
    p->next_hint = i + 1;
    return i * FRAME;
}

int pmm_free(struct pmm *p, uint64_t phys)
{
    if (phys % FRAME != 0)
        return -1;
    uint64_t i = phys / FRAME;
    if (i == 0 || i >= p->frames || !bit_get(usable_map(p), i) || !bit_get(p->bitmap, i))
        return -1;
    bit_put(p->bitmap, i, false);
    p->free++;
    if (i < p->next_hint)
        p->next_hint = i;
    return 0;
}

bool pmm_is_free(const struct pmm *p, uint64_t phys)
{
    uint64_t f = phys / PMM_FRAME_SIZE;
    return phys % PMM_FRAME_SIZE == 0 && f < p->frames && !bit_get(p->bitmap, f);
}
