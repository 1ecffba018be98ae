/*
 * The frame allocator: which frames of the RAM object are free, and which
 * task owns each frame that is not. Pure bookkeeping over two tables the
 * caller provides (a bitmap, 1 = in use, and one owner id per frame), so
 * that it can live in pages of RAM mapped into the server rather than in
 * .bss; nothing here makes a system call.
 */
#ifndef MICA_MEMORY_FRAMES_H
#define MICA_MEMORY_FRAMES_H

#include <stdbool.h>
#include <stdint.h>

#define FRAME_NONE ((uint64_t)-1)

struct frames {
    uint64_t *bitmap; /* bit i of word i / 64: frame i in use */
    uint32_t *owner;  /* task id of frame i's owner, 0 when free */
    uint64_t total;
    uint64_t free;
    uint64_t hint; /* bitmap word where the next search starts */
};

/* Bytes of table space frames_init needs for `total` frames. */
uint64_t frames_table_bytes(uint64_t total);
/* Sets up *f over `tables` (frames_table_bytes(total) bytes, zeroed):
 * every frame free. */
void frames_init(struct frames *f, void *tables, uint64_t total);
/* Gives a free frame to `owner` (non-zero); FRAME_NONE when none is left. */
uint64_t frames_alloc(struct frames *f, uint32_t owner);
/* Gives the free frame `index` to `owner`; false if it is taken. */
bool frames_claim(struct frames *f, uint64_t index, uint32_t owner);
/* Frees `index` if `owner` owns it; false (and nothing changes) if not. */
bool frames_free(struct frames *f, uint64_t index, uint32_t owner);
/* Frees every frame `owner` owns; returns how many. */
uint64_t frames_reclaim(struct frames *f, uint32_t owner);

#endif
