/*
 * Boot-time physical memory setup (see mem.c).
 */
#ifndef MICA_MM_MEM_H
#define MICA_MM_MEM_H

#include "boot/multiboot2.h"
#include "mm/pmm.h"

/* Sets up the frame allocator from the boot memory map, prints the
 * `mica: memory` line and returns the end of the highest usable range. */
uint64_t mem_init(const struct mb2_info *info);

struct pmm *mem_frames(void);

#endif
