/*
 * libFuzzer target for mb2_parse() (kernel/boot/multiboot2.c) and the frame
 * allocator it feeds (kernel/mm/pmm.c).
 *
 * The input is treated as Multiboot2 boot information (§3.6), copied into an
 * 8-aligned heap buffer of exactly its size so ASan catches any read past
 * the end. Whatever the parser returns is checked for consistency (strings
 * NUL-terminated inside the block, counts within bounds). Then the parsed
 * memory map goes through boot's memory setup: pmm_usable_ranges() with the
 * low 1 MiB and the modules reserved, bitmap placement, pmm_init, and a burst
 * of allocations and frees, checking the allocator's invariants throughout.
 * Maps whose bitmap would exceed 1 MiB are skipped to keep each run cheap.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/multiboot2.h"
#include "mm/pmm.h"

#define F             PMM_FRAME_SIZE
#define MAX_BITMAP    (1u << 20)
#define MAX_ALLOCS    512
#define MAX_RANGES    (MB2_MAX_MMAP + MB2_MAX_MODULES + 8)
#define ADDRESS_LIMIT 0x100000000ull /* the bitmap must sit below 4 GiB */

static void require(int ok)
{
    if (!ok)
        abort();
}

static void ignore_warning(void *ctx, int tag, const char *problem)
{
    require(problem != NULL && problem[0] != '\0');
    (*(int *)ctx)++;
}

/* A pointer into the block whose string ends inside it. */
static void check_string(const char *s, const uint8_t *buf, size_t total)
{
    if (!s)
        return;
    const uint8_t *p = (const uint8_t *)s;
    require(p >= buf && p < buf + total);
    require(memchr(p, 0, (size_t)(buf + total - p)) != NULL);
}

static int in_ranges(const struct pmm_range *r, size_t n, uint64_t a)
{
    for (size_t i = 0; i < n; i++) {
        if (r[i].base <= a && a < r[i].end)
            return 1;
    }
    return 0;
}

static void check_ranges(const struct mb2_info *info, const struct pmm_range *res,
                         size_t nres, const struct pmm_range *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        require(r[i].base % F == 0 && r[i].end % F == 0);
        require(r[i].base >= F && r[i].base < r[i].end);
        if (i > 0)
            require(r[i - 1].end < r[i].base);
        /* No frame of the range touches a blocker. */
        for (size_t j = 0; j < info->mmap_count; j++) {
            const struct mb2_mmap_entry *m = &info->mmap[j];
            if (m->type == MB2_MEM_AVAILABLE || m->len == 0)
                continue;
            uint64_t end = m->len > UINT64_MAX - m->base ? UINT64_MAX : m->base + m->len;
            require(!(m->base < r[i].end && r[i].base < end));
        }
        for (size_t j = 0; j < nres; j++) {
            if (res[j].end > res[j].base)
                require(!(res[j].base < r[i].end && r[i].base < res[j].end));
        }
        /* Its first frame lies wholly inside some available entry. */
        int covered = 0;
        for (size_t j = 0; j < info->mmap_count && !covered; j++) {
            const struct mb2_mmap_entry *m = &info->mmap[j];
            covered = m->type == MB2_MEM_AVAILABLE && m->len <= UINT64_MAX - m->base &&
                      m->base <= r[i].base && r[i].base + F <= m->base + m->len;
        }
        require(covered);
    }
}

static void exercise_pmm(const struct mb2_info *info)
{
    struct pmm_range res[MB2_MAX_MODULES + 1];
    struct pmm_range usable[MAX_RANGES];
    size_t nres = 0;

    res[nres++] = (struct pmm_range){0, 0x100000};
    for (size_t i = 0; i < info->module_count; i++)
        res[nres++] = (struct pmm_range){info->modules[i].start, info->modules[i].end};

    size_t n =
        pmm_usable_ranges(info->mmap, info->mmap_count, res, nres, usable, MAX_RANGES);
    require(n <= MAX_RANGES);
    check_ranges(info, res, nres, usable, n);

    uint64_t bytes = pmm_bitmap_bytes(usable, n);
    require(bytes % 8 == 0);
    if (bytes > MAX_BITMAP)
        return;
    uint64_t home = pmm_place_bitmap(usable, n, bytes, ADDRESS_LIMIT);
    if (home != PMM_NONE) {
        require(home % F == 0 && home != 0 && home + bytes <= ADDRESS_LIMIT);
        require(in_ranges(usable, n, home) && in_ranges(usable, n, home + bytes - 1));
    }

    uint8_t *bitmap = malloc(bytes ? bytes : 8);
    struct pmm p;
    require(pmm_init(&p, bitmap, bytes ? bytes : 8, usable, n) == 0);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += (usable[i].end - usable[i].base) / F;
    require(p.usable == total && p.free == total);
    if (home != PMM_NONE) {
        uint64_t taken = pmm_reserve(&p, home, bytes);
        require(taken == (bytes + F - 1) / F);
    }
    uint64_t free_before = p.free;

    static uint64_t got[MAX_ALLOCS];
    size_t k = 0;
    while (k < MAX_ALLOCS) {
        uint64_t a = pmm_alloc(&p);
        if (a == PMM_NONE) {
            require(p.free == 0);
            break;
        }
        require(a != 0 && a % F == 0 && in_ranges(usable, n, a));
        require(home == PMM_NONE || a + F <= home || a >= home + bytes);
        got[k++] = a;
        require(p.free + k == free_before);
    }
    /* Free in reverse; each frame exactly once. */
    for (size_t i = k; i-- > 0;) {
        require(pmm_free(&p, got[i]) == 0);
        require(pmm_free(&p, got[i]) == -1);
    }
    require(p.free == free_before);
    require(pmm_free(&p, 0) == -1);

    /* Frees of addresses taken from the map: only allocated frames succeed. */
    for (size_t i = 0; i < info->mmap_count && i < 16; i++) {
        uint64_t before = p.free;
        int r = pmm_free(&p, info->mmap[i].base);
        require(r == 0 ? p.free == before + 1 : p.free == before);
        require(p.usable - p.free == pmm_used_frames(&p));
    }
    free(bitmap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct mb2_info info;
    uint8_t *buf = malloc(size ? size : 8); /* malloc aligns to at least 8 */
    int warnings = 0;

    require((uintptr_t)buf % 8 == 0);
    memcpy(buf, data, size);
    int r = mb2_parse(buf, size, &info, ignore_warning, &warnings);
    require(r == 0 || r == -1);
    if (r != 0) {
        require(warnings >= 1);
        free(buf);
        return 0;
    }

    require(info.total_size >= 16 && info.total_size <= size);
    check_string(info.cmdline, buf, info.total_size);
    check_string(info.loader_name, buf, info.total_size);
    require(info.mmap_count <= MB2_MAX_MMAP);
    require(info.module_count <= MB2_MAX_MODULES);
    for (size_t i = 0; i < info.module_count; i++) {
        require(info.modules[i].start <= info.modules[i].end);
        require(info.modules[i].cmdline != NULL);
        check_string(info.modules[i].cmdline, buf, info.total_size);
    }
    if (info.rsdp) {
        const uint8_t *p = info.rsdp;
        require(info.rsdp_len >= 20);
        require(p >= buf && info.rsdp_len <= (size_t)(buf + info.total_size - p));
    }
    exercise_pmm(&info);
    free(buf);
    return 0;
}
