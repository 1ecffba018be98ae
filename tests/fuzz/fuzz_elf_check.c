/*
 * libFuzzer target for elf_check() (kernel/boot/elf_check.c).
 *
 * The input is a module image, copied into a heap buffer of exactly its size
 * so ASan catches any read past the end. When the checker accepts an image,
 * the promises the loader relies on are re-checked independently (gABI
 * program header semantics): every PT_LOAD segment's file bytes lie inside
 * the image, its memory lies in the user half, it is not W+X, filesz <=
 * memsz, segments do not share a page, and the entry point is inside an
 * executable segment. A broken promise aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/elf_check.h"

#define PAGE MICA_PAGE_SIZE

static void require(int ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *img = malloc(size ? size : 1);
    struct elf_info info;
    const char *reason = NULL;

    memcpy(img, data, size);
    int r = elf_check(img, size, &info, &reason);
    require(r == 0 || r == -1);
    if (r != 0) {
        require(reason != NULL && reason[0] != '\0' && strchr(reason, '"') == NULL);
        require(info.nsegments == 0);
        free(img);
        return 0;
    }

    require(info.nsegments >= 1 && info.nsegments <= ELF_MAX_SEGMENTS);
    int entry_ok = 0;
    for (size_t i = 0; i < info.nsegments; i++) {
        const struct elf_segment *s = &info.segments[i];
        require(s->offset <= size && s->filesz <= size - s->offset);
        require(s->filesz <= s->memsz);
        require(s->vaddr >= ELF_USER_MIN && s->vaddr <= ELF_USER_END);
        require(s->memsz <= ELF_USER_END - s->vaddr);
        require(!((s->flags & ELF_PF_W) && (s->flags & ELF_PF_X)));
        require((s->flags & ~(ELF_PF_R | ELF_PF_W | ELF_PF_X)) == 0);
        if ((s->flags & ELF_PF_X) && info.entry >= s->vaddr &&
            info.entry - s->vaddr < s->memsz)
            entry_ok = 1;
        for (size_t j = 0; j < i && s->memsz; j++) {
            const struct elf_segment *t = &info.segments[j];
            if (t->memsz == 0)
                continue;
            uint64_t s0 = s->vaddr / PAGE, s1 = (s->vaddr + s->memsz - 1) / PAGE;
            uint64_t t0 = t->vaddr / PAGE, t1 = (t->vaddr + t->memsz - 1) / PAGE;
            require(s1 < t0 || t1 < s0);
        }
        /* Touch the file bytes the loader would copy. */
        volatile uint8_t sink = 0;
        if (s->filesz)
            sink ^= img[s->offset] ^ img[s->offset + s->filesz - 1];
        (void)sink;
    }
    require(entry_ok);
    free(img);
    return 0;
}
