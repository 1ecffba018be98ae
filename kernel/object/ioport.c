/*
 * I/O port objects. A handle to one names a range of ports; SYS_IOPORT_ENABLE
 * allows them to the caller. The permission maps themselves are the arch's
 * (ARCH_IO_BITMAPS of them): a task gets one the first time it enables a
 * range and keeps it until it dies, and the scheduler loads the map of
 * the task it runs (task->io_bitmap).
 *
 *   ioports_create   a range object (boot capabilities: boot/boot_caps.c)
 *   ioports_enable   SYS_IOPORT_ENABLE's effect
 */
#include "object/ioport.h"

#include <mica/abi.h>

#include "arch.h"
#include "task/task.h"

#define MAX_IO_RANGES 8

static struct ioports ranges[MAX_IO_RANGES];
static unsigned range_count;
/* Which task each map was given to; a map is free again once that task
 * has died (its slot may hold another task by then). */
static struct task *holder[ARCH_IO_BITMAPS];

struct ioports *ioports_create(unsigned base, unsigned count)
{
    if (range_count == MAX_IO_RANGES)
        return NULL;
    ranges[range_count] = (struct ioports){base, count};
    return &ranges[range_count++];
}

static bool map_in_use(unsigned i)
{
    const struct task *h = holder[i];
    return h && h->used && !h->dead && h->io_bitmap == arch_io_bitmap(i);
}

/* The task's map, or a free one cleared for it; NULL when none is free. */
static struct arch_io_bitmap *map_for(struct task *t)
{
    if (t->io_bitmap)
        return t->io_bitmap;
    for (unsigned i = 0; i < ARCH_IO_BITMAPS; i++) {
        if (map_in_use(i))
            continue;
        holder[i] = t;
        t->io_bitmap = arch_io_bitmap(i);
        arch_io_clear(t->io_bitmap);
        return t->io_bitmap;
    }
    return NULL;
}

int ioports_enable(struct task *t, const struct ioports *io)
{
    struct arch_io_bitmap *map = map_for(t);
    if (!map)
        return MICA_ENOMEM;
    arch_io_allow(map, io->base, io->count);
    arch_io_load(map);
    return MICA_OK;
}
