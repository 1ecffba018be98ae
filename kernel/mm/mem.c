/*
 * Boot-time setup of physical memory: turns the Multiboot2 memory map into
 * the frame allocator, keeping out the low 1 MiB (real-mode structures,
 * BIOS data), the kernel image, the boot information and every module.
 *
 * Entry points: mem_init(), mem_frames().
 */
#include "mm/mem.h"

#include "arch.h"
#include "kernel.h"

#define MAX_RESERVED (4 + MB2_MAX_MODULES)
#define MAX_USABLE   (2 * MB2_MAX_MMAP + MAX_RESERVED)
#define LOW_MEMORY   0x100000ull
/* The boot page tables map the first 4 GiB; the bitmap must live there. */
#define BOOT_MAPPED 0x100000000ull

_Static_assert(MAX_USABLE <= PMM_MAX_RANGES, "the allocator holds every usable range");

static struct pmm frames;
static struct pmm_range usable[MAX_USABLE];

struct pmm *mem_frames(void)
{
    return &frames;
}

static size_t collect_reserved(const struct mb2_info *info, struct pmm_range *r)
{
    struct arch_boot boot;
    arch_boot_facts(&boot);
    size_t n = 0;
    r[n++] = (struct pmm_range){0, LOW_MEMORY};
    r[n++] = (struct pmm_range){boot.kernel_phys_start, boot.kernel_phys_end};
    r[n++] = (struct pmm_range){boot.info_phys, boot.info_phys + info->total_size};
    for (size_t i = 0; i < info->module_count; i++)
        r[n++] = (struct pmm_range){info->modules[i].start, info->modules[i].end};
    return n;
}

uint64_t mem_init(const struct mb2_info *info)
{
    struct pmm_range reserved[MAX_RESERVED];
    size_t nres = collect_reserved(info, reserved);
    size_t n = pmm_usable_ranges(info->mmap, info->mmap_count, reserved, nres, usable,
                                 MAX_USABLE);
    if (n == 0)
        panic("no usable RAM in the memory map (%zu entries)", info->mmap_count);

    uint64_t bytes = pmm_bitmap_bytes(usable, n);
    uint64_t where = pmm_place_bitmap(usable, n, bytes, BOOT_MAPPED);
    if (where == PMM_NONE)
        panic("no room for the frame bitmap (%llu bytes)", (unsigned long long)bytes);
    if (pmm_init(&frames, phys_to_virt(where), bytes, usable, n) != 0)
        panic("frame allocator refused the memory map");
    pmm_reserve(&frames, where, bytes);

    kprintf("mica: memory usable_kib=%llu regions=%zu\n",
            (unsigned long long)(pmm_free_frames(&frames) * (PMM_FRAME_SIZE / 1024)), n);
    return usable[n - 1].end;
}
