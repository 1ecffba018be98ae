/*
 * Physical frame allocator: usable-range computation and a bitmap allocator.
 *
 * pmm_usable_ranges() works without scratch memory: it sweeps upward through
 * physical memory, each time finding the lowest frame that some available
 * entry covers and no blocker (non-available entry or reserved range) touches,
 * then extending that frame into the longest run of such frames. Each step is
 * O(n^2) in the number of entries, and the runs come out sorted and merged.
 *
 * The allocator keeps its own copy of the usable ranges: they say which
 * frames are RAM (pmm_free() refuses the others) and what an untouched
 * frame's bit would be. The caller's bitmap (one bit per frame from
 * physical 0, set = not free) is filled in a word at a time as `ready`
 * climbs: pmm_alloc() raises it to the lowest free frame when nothing below
 * is free, pmm_reserve() to the end of what it reserves. Everything is done
 * in 64-bit words or in whole ranges; no loop steps through frames except
 * pmm_give_top() over the few already-tracked frames it gives away.
 * Physical frame 0 is never usable, so an address of 0 can never be handed
 * out.
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

#define WORD_FRAMES 64ull

/* Bytes of a map covering `frames` frames, rounded up to 64-bit words. */
static uint64_t map_bytes(uint64_t frames)
{
    return (frames + WORD_FRAMES - 1) / WORD_FRAMES * 8;
}

uint64_t pmm_bitmap_bytes(const struct pmm_range *usable, size_t n)
{
    uint64_t top = 0;

    for (size_t i = 0; i < n; i++) {
        if (usable[i].end > top)
            top = usable[i].end;
    }
    return map_bytes(align_up_sat(top) / FRAME);
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

/* Bits [a, b) of a word, 0 <= a < b <= 64. */
static uint64_t bits(uint64_t a, uint64_t b)
{
    uint64_t high = b == 64 ? ~0ull : (1ull << b) - 1;
    return high & ~((1ull << a) - 1);
}

/* Set bits of a word; a plain loop, so no libgcc call on any target. */
static uint64_t popcount(uint64_t w)
{
    uint64_t n = 0;
    for (; w; w &= w - 1)
        n++;
    return n;
}

static bool bit_get(const struct pmm *p, uint64_t i)
{
    return p->bitmap[i / WORD_FRAMES] >> (i % WORD_FRAMES) & 1;
}

static uint64_t first_frame(const struct pmm_range *r)
{
    return r->base / FRAME;
}

static uint64_t end_frame(const struct pmm_range *r)
{
    return r->end / FRAME;
}

/* Whether frame i is RAM (inside one of the ranges); binary search. */
static bool is_ram(const struct pmm *p, uint64_t i)
{
    size_t lo = 0, hi = p->nranges;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (end_frame(&p->ranges[mid]) <= i)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->nranges && first_frame(&p->ranges[lo]) <= i;
}

/* Brings the bitmap up to cover frame f (< frames): each new word gets the
 * state of untouched memory, 0 for RAM and 1 for the rest. */
static void track_to(struct pmm *p, uint64_t f)
{
    while (p->ready <= f) {
        uint64_t lo = p->ready, hi = lo + WORD_FRAMES, w = ~0ull;
        while (p->cursor < p->nranges && end_frame(&p->ranges[p->cursor]) <= lo)
            p->cursor++;
        for (size_t j = p->cursor; j < p->nranges && first_frame(&p->ranges[j]) < hi;
             j++) {
            uint64_t a = first_frame(&p->ranges[j]), b = end_frame(&p->ranges[j]);
            w &= ~bits((a > lo ? a : lo) - lo, (b < hi ? b : hi) - lo);
        }
        p->bitmap[lo / WORD_FRAMES] = w;
        p->ready = hi;
    }
}

/* The lowest RAM frame at or above `from` that nothing has tracked yet
 * (from >= ready), or p->frames when there is none. */
static uint64_t first_untracked(const struct pmm *p, uint64_t from)
{
    for (size_t j = p->cursor; j < p->nranges; j++) {
        uint64_t a = first_frame(&p->ranges[j]), b = end_frame(&p->ranges[j]);
        if (b > from) {
            uint64_t i = a > from ? a : from;
            return i < p->frames ? i : p->frames;
        }
    }
    return p->frames;
}

/* First clear bit in [from, to) of the tracked bitmap, a word at a time;
 * `to` when there is none. */
static uint64_t find_clear(const struct pmm *p, uint64_t from, uint64_t to)
{
    while (from < to) {
        uint64_t w = from / WORD_FRAMES;
        uint64_t clear = ~p->bitmap[w] & bits(from % WORD_FRAMES, 64);
        if (clear) {
            uint64_t i = w * WORD_FRAMES + (uint64_t)__builtin_ctzll(clear);
            return i < to ? i : to;
        }
        from = (w + 1) * WORD_FRAMES;
    }
    return to;
}

/* Sets the bits of frames [first, last) (all tracked); returns how many were
 * clear. */
static uint64_t set_bits(struct pmm *p, uint64_t first, uint64_t last)
{
    uint64_t taken = 0;

    while (first < last) {
        uint64_t w = first / WORD_FRAMES, a = first % WORD_FRAMES;
        uint64_t b = last - w * WORD_FRAMES < WORD_FRAMES ? last - w * WORD_FRAMES : 64;
        uint64_t mask = bits(a, b);
        taken += popcount(~p->bitmap[w] & mask);
        p->bitmap[w] |= mask;
        first = w * WORD_FRAMES + b;
    }
    return taken;
}

int pmm_init(struct pmm *p, void *bitmap, uint64_t bitmap_bytes,
             const struct pmm_range *usable, size_t n)
{
    uint64_t top = 0, prev_end = 0;

    p->bitmap = NULL;
    p->frames = p->ready = p->usable = p->free = 0;
    p->next_hint = 1;
    p->nranges = p->cursor = 0;
    if (n > PMM_MAX_RANGES)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const struct pmm_range *r = &usable[i];
        if (r->base % FRAME || r->end % FRAME || r->base >= r->end || r->base < prev_end)
            return -1; /* not what pmm_usable_ranges() produces */
        prev_end = top = r->end;
    }
    if (!bitmap || (uintptr_t)bitmap % 8 || bitmap_bytes < pmm_bitmap_bytes(usable, n))
        return -1;

    p->bitmap = bitmap;
    p->frames = top / FRAME;
    for (size_t i = 0; i < n; i++) {
        struct pmm_range r = usable[i];
        if (r.base == 0)
            r.base = FRAME; /* physical 0 is never handed out */
        if (r.base >= r.end)
            continue;
        p->ranges[p->nranges++] = r;
        p->usable += (r.end - r.base) / FRAME;
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

    track_to(p, last - 1);
    uint64_t taken = set_bits(p, first, last);
    p->free -= taken;
    return taken;
}

uint64_t pmm_alloc(struct pmm *p)
{
    if (p->free == 0)
        return PMM_NONE;
    uint64_t hint = p->next_hint < 1 || p->next_hint >= p->frames ? 1 : p->next_hint;
    uint64_t tracked = p->ready < p->frames ? p->ready : p->frames;
    uint64_t i = find_clear(p, hint, tracked);

    if (i >= tracked) {
        /* Nothing free from the hint up in the bitmap (the hint is never
         * above `ready`): the lowest untouched frame, or else wrap around
         * below the hint. */
        i = first_untracked(p, p->ready);
        if (i < p->frames)
            track_to(p, i);
        else if ((i = find_clear(p, 1, hint < tracked ? hint : tracked)) >=
                 (hint < tracked ? hint : tracked))
            return PMM_NONE;
    }
    p->bitmap[i / WORD_FRAMES] |= 1ull << (i % WORD_FRAMES);
    p->free--;
    p->next_hint = i + 1;
    return i * FRAME;
}

int pmm_free(struct pmm *p, uint64_t phys)
{
    if (phys % FRAME != 0)
        return -1;
    uint64_t i = phys / FRAME;
    /* Untracked frames are free or not RAM: neither can be freed. */
    if (i == 0 || i >= p->frames || i >= p->ready || !is_ram(p, i) || !bit_get(p, i))
        return -1;
    p->bitmap[i / WORD_FRAMES] &= ~(1ull << (i % WORD_FRAMES));
    p->free++;
    if (i < p->next_hint)
        p->next_hint = i;
    return 0;
}

bool pmm_is_free(const struct pmm *p, uint64_t phys)
{
    uint64_t i = phys / FRAME;
    if (phys % FRAME != 0 || i == 0 || i >= p->frames)
        return false;
    return i < p->ready ? !bit_get(p, i) : is_ram(p, i);
}

size_t pmm_give_top(struct pmm *p, uint64_t want, struct pmm_range *out, size_t max)
{
    uint64_t f = p->frames, taken = 0; /* everything at or above f is gone */
    size_t n = 0, j = p->nranges;

    while (taken < want) {
        while (j > 0 && first_frame(&p->ranges[j - 1]) >= f)
            j--;
        if (j == 0)
            break; /* no RAM below f */
        const struct pmm_range *r = &p->ranges[j - 1];
        uint64_t top = end_frame(r) < f ? end_frame(r) : f; /* [top, f): not RAM */
        uint64_t low, room = want - taken;
        if (top > p->ready) {
            /* Untouched RAM is free: the whole untracked part at once. */
            low = first_frame(r) > p->ready ? first_frame(r) : p->ready;
            if (top - low > room)
                low = top - room;
        } else {
            /* Tracked: the free frames down from the top, whole free words
             * at a time. */
            low = top;
            while (low > first_frame(r) && top - low < room) {
                if (low % WORD_FRAMES == 0 && low - WORD_FRAMES >= first_frame(r) &&
                    room - (top - low) >= WORD_FRAMES &&
                    p->bitmap[low / WORD_FRAMES - 1] == 0)
                    low -= WORD_FRAMES;
                else if (!bit_get(p, low - 1))
                    low--;
                else
                    break;
            }
            if (low == top)
                break; /* frame top-1 is in use: stop here */
        }
        if (n > 0 && out[n - 1].base == top * FRAME) {
            out[n - 1].base = low * FRAME;
        } else {
            if (n == max)
                break;
            out[n++] = (struct pmm_range){low * FRAME, top * FRAME};
        }
        taken += top - low;
        f = low;
        if (low > first_frame(r) && top <= p->ready)
            break; /* stopped at a frame in use */
    }
    p->frames = f;
    p->free -= taken;
    if (p->next_hint >= f)
        p->next_hint = 1;
    return n;
}
