/*
 * malloc, free, calloc and realloc: a first-fit allocator over a free list
 * kept in address order, so that free() can merge a block with both
 * neighbours. Every block starts with a 16-byte header (its size, and the
 * next free block or ALLOCATED), which keeps payloads 16-byte aligned as
 * the AMD64 psABI asks of malloc. free() checks the header and aborts on a
 * pointer that malloc did not hand out, rather than corrupting the list.
 *
 * Memory comes from heap_grow(), the only function that knows where the
 * heap lives. It has two sources:
 *
 *  - the lazy heap: on first use the task asks the memory server for a
 *    lazily backed region of HEAP_MAX_PAGES at HEAP_BASE (MEM_LAZY); the
 *    heap then grows through it HEAP_STEP at a time, and each page gets a
 *    zeroed frame when it is first touched, the memory server being the
 *    task's pager. Untouched pages cost nothing.
 *  - the static arena: ARENA_BYTES in .bss, used when the lazy heap cannot
 *    be had (or is used up).
 *
 * Which tasks use which: init, memory and console always use the arena,
 * never the memory server (each says so by defining mica_heap_arena_only
 * as true, mica/syscall.h). init serves the name service that finding the
 * server goes through, and the memory server would call itself, so either
 * would wait for itself forever; the console must come up, and keep
 * working, whether the memory server does or not. Every other task uses
 * the lazy heap if MEM_LAZY works on its first malloc, and the arena
 * otherwise; the choice is made once.
 */
#include <mica/memory.h>
#include <mica/syscall.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN       16u
#define ARENA_BYTES (256u * 1024u)
#define ALLOCATED   ((struct block *)(uintptr_t)0xa110ca7edb10c000ull)

/* The lazy heap: 16 MiB at 1 TiB, clear of the image at 0x400000, of the
 * private ranges servers map below 1 TiB, and of the stacks and IPC
 * buffers at the top of the user half. */
#define HEAP_BASE      0x0000010000000000ull
#define HEAP_MAX_PAGES 4096ull
#define HEAP_BYTES     (HEAP_MAX_PAGES * MICA_PAGE_SIZE)
/* The heap grows by at least this much, so that each growth is rare. */
#define HEAP_STEP (64u * 1024u)
/* Task scan bound while looking for our own name. */

struct block {
    size_t size;        /* whole block, header included; a multiple of ALIGN */
    struct block *next; /* next free block by address, or ALLOCATED */
};

_Static_assert(sizeof(struct block) == ALIGN, "payloads must stay 16-byte aligned");

/* Smallest block worth splitting off: a header plus one aligned unit. */
#define MIN_BLOCK (sizeof(struct block) + ALIGN)

static struct block *free_list;

/* A program that must not depend on the memory server (init, which
 * starts it; the memory server itself; the console, which must show a
 * memory server's crash) defines this as true (see the top). */
__attribute__((weak)) const bool mica_heap_arena_only = false;

/* The next min_bytes or more of the lazy heap, or NULL. */
static void *lazy_grow(size_t min_bytes, size_t *got)
{
    static enum { UNTRIED, READY, UNAVAILABLE } state;
    static size_t used;

    if (state == UNTRIED) {
        state = UNAVAILABLE;
        if (!mica_heap_arena_only &&
            mem_lazy(HEAP_BASE, HEAP_MAX_PAGES, MICA_MAP_WRITE) == MICA_OK)
            state = READY;
    }
    if (state != READY || min_bytes > HEAP_BYTES - used)
        return NULL;
    size_t step = min_bytes > HEAP_STEP ? min_bytes : HEAP_STEP;
    if (step > HEAP_BYTES - used)
        step = HEAP_BYTES - used;
    void *p = (void *)(uintptr_t)(HEAP_BASE + used);
    used += step;
    *got = step;
    return p;
}

static void *arena_grow(size_t min_bytes, size_t *got)
{
    static _Alignas(ALIGN) unsigned char arena[ARENA_BYTES];
    static size_t used;

    /* Hand out all that is left at once: the arena has nothing else to do. */
    size_t left = sizeof(arena) - used;
    if (min_bytes > left)
        return NULL;
    void *p = arena + used;
    *got = left;
    used = sizeof(arena);
    return p;
}

/* Returns a region of at least min_bytes (ALIGN-aligned, size in *got), or
 * NULL when the heap cannot grow. */
static void *heap_grow(size_t min_bytes, size_t *got)
{
    void *p = lazy_grow(min_bytes, got);
    return p ? p : arena_grow(min_bytes, got);
}

/* Puts b in the free list at its address, merging with its neighbours. */
static void insert_free(struct block *b)
{
    struct block **link = &free_list;
    while (*link && *link < b)
        link = &(*link)->next;

    struct block *after = *link;
    if (after && (char *)b + b->size == (char *)after) {
        b->size += after->size;
        after = after->next;
    }
    b->next = after;
    *link = b;

    /* Merge with the block before, if it ends where b starts. */
    if (link != &free_list) {
        struct block *before =
            (struct block *)((char *)link - offsetof(struct block, next));
        if ((char *)before + before->size == (char *)b) {
            before->size += b->size;
            before->next = b->next;
        }
    }
}

/* Block size needed for n payload bytes, or 0 on overflow. */
static size_t block_size(size_t n)
{
    if (n > SIZE_MAX - sizeof(struct block) - ALIGN)
        return 0;
    size_t size = (n + sizeof(struct block) + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    return size < MIN_BLOCK ? MIN_BLOCK : size;
}

/* Takes the first free block of at least size bytes off the list,
 * splitting off the rest when it is big enough to be a block. */
static struct block *take_first_fit(size_t size)
{
    for (struct block **link = &free_list; *link; link = &(*link)->next) {
        struct block *b = *link;
        if (b->size < size)
            continue;
        if (b->size - size >= MIN_BLOCK) {
            struct block *rest = (struct block *)((char *)b + size);
            rest->size = b->size - size;
            rest->next = b->next;
            b->size = size;
            *link = rest;
        } else {
            *link = b->next;
        }
        b->next = ALLOCATED;
        return b;
    }
    return NULL;
}

void *malloc(size_t n)
{
    size_t size = block_size(n);
    if (!size)
        return NULL;
    struct block *b = take_first_fit(size);
    if (!b) {
        size_t got;
        struct block *fresh = heap_grow(size, &got);
        if (!fresh)
            return NULL;
        fresh->size = got;
        insert_free(fresh);
        b = take_first_fit(size);
    }
    return b ? b + 1 : NULL;
}

/* The header of a pointer from malloc; aborts on anything else. */
static struct block *header_of(void *p)
{
    struct block *b = (struct block *)p - 1;
    if ((uintptr_t)p % ALIGN || b->next != ALLOCATED || b->size < MIN_BLOCK)
        abort();
    return b;
}

void free(void *p)
{
    if (p)
        insert_free(header_of(p));
}

void *calloc(size_t nmemb, size_t size)
{
    if (size && nmemb > SIZE_MAX / size)
        return NULL;
    void *p = malloc(nmemb * size);
    if (p)
        memset(p, 0, nmemb * size);
    return p;
}

void *realloc(void *p, size_t n)
{
    if (!p)
        return malloc(n);
    if (n == 0) {
        free(p);
        return NULL;
    }
    struct block *b = header_of(p);
    size_t have = b->size - sizeof(struct block);
    if (n <= have)
        return p;
    void *q = malloc(n);
    if (q) {
        memcpy(q, p, have);
        free(p);
    }
    return q;
}
