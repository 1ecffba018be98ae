/*
 * mica/memory.h - the memory server: its protocol (the one definition, used
 * by the server and the client stubs) and the client calls.
 *
 * The server owns the RAM object and decides which frame goes where. A
 * client is known by the badge of its endpoint handle (its task id, set by
 * the name service) and must first hand over its task handle (MEM_HELLO) so
 * that the server can map pages into it. Frames are zeroed before a client
 * sees them, and a dead client's frames go back to the pool. A restarted
 * server keeps its clients' frames and regions but not their task handles:
 * it answers MICA_ENOENT until a client says MEM_HELLO again (the stubs do).
 *
 * Requests are calls without payload; the reply's label is the status
 * (MICA_REPLY_STATUS). Ranges are `pages` pages from `va`: va page-aligned
 * and at least MEM_VA_MIN, 1..MEM_PAGES_MAX pages, ending at or below
 * MEM_VA_END. Flags are MICA_MAP_WRITE and MICA_MAP_EXEC, never both.
 *   MEM_HELLO     handle attached (MICA_INFO_HANDLE, w[0]) = the caller's
 *                 task handle (MICA_HANDLE_SELF). Saying it twice is fine.
 *   MEM_ALLOC     w[0] = va, w[1] = pages, w[2] = flags. Maps fresh pages
 *                 at once, all or none (MICA_ENOMEM, also past the
 *                 caller's quota: the pages of its kernel budget, less its
 *                 children's; MICA_EBUSY when a page of the range is
 *                 already mapped).
 *   MEM_FREE      w[0] = va, w[1] = pages. Unmaps the caller's pages in the
 *                 range and frees them; pages that are not mapped are
 *                 skipped. Reply w[0] = pages freed.
 *   MEM_LAZY      w[0] = va, w[1] = pages, w[2] = flags. Records a region
 *                 that gets a zeroed page on first touch (the server
 *                 becomes the caller's pager). At most MEM_LAZY_MAX
 *                 regions per client, none overlapping (MICA_EBUSY).
 *                 Touching outside every region still kills the task.
 *   MEM_STATS     Reply w[0] = total frames, w[1] = free frames, w[2] =
 *                 frames the caller owns.
 *   MEM_TASK_USE  w[0] = task id. Reply w[0] = frames that task owns. Of
 *                 the caller itself, or through a handle with the control
 *                 bit (NS_BADGE_CONTROL: the shell's `mem`); MICA_ERIGHTS
 *                 otherwise.
 * Unused words must be 0. MEM_ALLOC, MEM_FREE and MEM_LAZY need MEM_HELLO
 * first (MICA_ENOENT). An unknown label gets MICA_ENOSYS, a bad field
 * MICA_EINVAL; a handle attached where none is expected is closed.
 */
#ifndef MICA_LIBC_MEMORY_H
#define MICA_LIBC_MEMORY_H

#include <mica/abi.h>
#include <stdint.h>

/* Labels: a range of their own, so a message sent to the wrong server is
 * refused rather than misread. */
enum mem_label {
    MEM_HELLO = MICA_LABELS_MEMORY,
    MEM_ALLOC = MICA_LABELS_MEMORY + 1,
    MEM_FREE = MICA_LABELS_MEMORY + 2,
    MEM_LAZY = MICA_LABELS_MEMORY + 3,
    MEM_STATS = MICA_LABELS_MEMORY + 4,
    MEM_TASK_USE = MICA_LABELS_MEMORY + 5,
};

#define MEM_PAGES_MAX 65536ull              /* per request: 256 MiB */
#define MEM_VA_MIN    MICA_PAGE_SIZE        /* page zero stays unmapped */
#define MEM_VA_END    0x0000800000000000ull /* end of the user half */
#define MEM_FLAGS     (MICA_MAP_WRITE | MICA_MAP_EXEC)
#define MEM_LAZY_MAX  8u

struct mem_stats {
    uint64_t total_frames; /* frames of RAM the server manages */
    uint64_t free_frames;
    uint64_t own_frames; /* frames the caller owns */
};

/* Client calls: MICA_OK or a negative MICA_E*. Each looks "memory" up on
 * first use; the ones that need it say MEM_HELLO first on their own. The
 * memory server must not call them (it would wait for itself), nor init
 * (the server calls init while it starts). */
long mem_hello(void);
long mem_alloc(uint64_t va, uint64_t pages, unsigned flags);
/* Returns the number of pages freed, or a negative MICA_E*. */
long mem_free(uint64_t va, uint64_t pages);
long mem_lazy(uint64_t va, uint64_t pages, unsigned flags);
long mem_stats(struct mem_stats *out);
long mem_task_use(uint32_t id, uint64_t *frames);
/* The same through another handle to the memory server: one looked up
 * through a control handle, which may ask about any task. */
long mem_task_use_via(uint64_t mem, uint32_t id, uint64_t *frames);

#endif
