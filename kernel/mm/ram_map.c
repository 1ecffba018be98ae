/*
 * Mapping a frame of a RAM object into a task (ram.h: ram_map_page): the
 * checks SYS_MAP and a pager's MICA_FAULT_MAP answer share, so a frame
 * reaches a task by one rule whichever way it is asked for.
 */
#include <mica/abi.h>

#include "arch.h"
#include "mm/ram.h"
#include "task/task.h"

static bool user_page(uint64_t va)
{
    return va % 4096 == 0 && va >= 4096 && arch_user_range(va, 4096);
}

int64_t ram_map_page(struct ram_object *r, struct task *t, uint64_t va, uint64_t index,
                     uint64_t flags)
{
    /* W^X is the kernel's rule, not only the memory server's: a page is
     * never writable and executable at once. */
    uint64_t wx = MICA_MAP_WRITE | MICA_MAP_EXEC;
    if (!user_page(va) || (flags & ~wx) || (flags & wx) == wx)
        return MICA_EINVAL;
    uint64_t pa = ram_frame(r, index);
    if (pa == PMM_NONE)
        return MICA_ERANGE;
    if (arch_vm_lookup(t->vm, va))
        return MICA_EBUSY;
    if (!ram_claim(r, index))
        return MICA_EBUSY; /* mapped elsewhere already */
    unsigned vmf = VM_USER | ((flags & MICA_MAP_WRITE) ? VM_WRITE : 0) |
                   ((flags & MICA_MAP_EXEC) ? VM_EXEC : 0);
    /* The page tables are the target task's kernel memory: charged to it. */
    if (task_map_frame(t, va, pa, vmf) != MICA_OK) {
        ram_release_phys(r, pa);
        return MICA_ENOMEM;
    }
    if (r->on_map)
        r->on_map();
    return MICA_OK;
}
