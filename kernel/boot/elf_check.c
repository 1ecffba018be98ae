/*
 * ELF64 executable validation for boot modules (System V gABI "ELF-64 Object
 * File Format" v1.5, AMD64 psABI §4).
 *
 * Modules come from the boot medium and are untrusted. elf_check() proves
 * every byte range inside the image before reading it, compares sizes by
 * subtraction so that no sum can wrap, and assembles fields byte by byte
 * (ELFDATA2LSB) so that no unaligned access is made. Only images the loader
 * can map safely pass: x86_64 executables whose loadable segments lie in the
 * user half, inside the file, W^X, without page overlap, and with the entry
 * point in an executable segment.
 *
 * Pure code: compiled into the freestanding kernel and into host tests and
 * fuzzers, so it uses no library calls at all.
 */
#include "boot/elf_check.h"

#include <stdbool.h>

/* gABI: ELF header and program header layout. */
#define EHDR_SIZE   64
#define PHDR_SIZE   56
#define EI_CLASS    4
#define EI_DATA     5
#define EI_VERSION  6
#define ELFCLASS64  2
#define ELFDATA2LSB 1
#define EV_CURRENT  1
#define ET_EXEC     2
#define EM_X86_64   62
#define PT_LOAD     1
#define MAX_PHDRS   64
#define PAGE        MICA_PAGE_SIZE

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* Is [off, off+len) inside a file of `size` bytes? Cannot overflow. */
static bool in_file(uint64_t off, uint64_t len, size_t size)
{
    return off <= size && len <= size - off;
}

static int reject(const char **reason, const char *why)
{
    if (reason)
        *reason = why;
    return -1;
}

/* Pages touched by a segment: [first, last) page numbers; memsz may be 0. */
static void seg_pages(const struct elf_segment *s, uint64_t *first, uint64_t *last)
{
    *first = s->vaddr / PAGE;
    *last = s->memsz == 0 ? *first : (s->vaddr + s->memsz + PAGE - 1) / PAGE;
}

/* gABI "Program Header": checks one PT_LOAD entry already proven in the file. */
static const char *check_load(const uint8_t *ph, struct elf_segment *seg)
{
    uint32_t flags = rd32(ph + 4);
    uint64_t offset = rd64(ph + 8), vaddr = rd64(ph + 16);
    uint64_t filesz = rd64(ph + 32), memsz = rd64(ph + 40), align = rd64(ph + 48);

    if (filesz > memsz)
        return "segment filesz exceeds memsz";
    if (vaddr < ELF_USER_MIN || vaddr > ELF_USER_END || memsz > ELF_USER_END - vaddr)
        return "segment outside the user half";
    if ((flags & ELF_PF_W) && (flags & ELF_PF_X))
        return "segment writable and executable";
    if (align > 1 && (align & (align - 1)) != 0)
        return "segment alignment not a power of two";
    if (align >= PAGE && vaddr % PAGE != offset % PAGE)
        return "segment offset and vaddr not congruent";
    seg->vaddr = vaddr;
    seg->memsz = memsz;
    seg->offset = offset;
    seg->filesz = filesz;
    seg->flags = flags & (ELF_PF_R | ELF_PF_W | ELF_PF_X);
    return NULL;
}

int elf_check(const void *image, size_t size, struct elf_info *out, const char **reason)
{
    const uint8_t *img = image;

    out->entry = 0;
    out->nsegments = 0;
    /* gABI "ELF Header": e_ident, then the fixed 64-byte ELF64 header. */
    if (!img || size < EHDR_SIZE)
        return reject(reason, "image too small for the elf header");
    if (img[0] != 0x7f || img[1] != 'E' || img[2] != 'L' || img[3] != 'F')
        return reject(reason, "bad magic");
    if (img[EI_CLASS] != ELFCLASS64)
        return reject(reason, "not 64-bit");
    if (img[EI_DATA] != ELFDATA2LSB)
        return reject(reason, "not little-endian");
    if (img[EI_VERSION] != EV_CURRENT || rd32(img + 20) != EV_CURRENT)
        return reject(reason, "bad elf version");
    if (rd16(img + 18) != EM_X86_64)
        return reject(reason, "not x86_64");
    if (rd16(img + 16) != ET_EXEC)
        return reject(reason, "not an executable");
    if (rd16(img + 52) != EHDR_SIZE)
        return reject(reason, "bad elf header size");
    if (rd16(img + 54) != PHDR_SIZE)
        return reject(reason, "bad program header size");

    uint64_t entry = rd64(img + 24), phoff = rd64(img + 32);
    uint16_t phnum = rd16(img + 56);
    /* PN_XNUM (0xffff) escapes to section 0; far above the limit anyway. */
    if (phnum > MAX_PHDRS)
        return reject(reason, "too many program headers");
    if (!in_file(phoff, (uint64_t)phnum * PHDR_SIZE, size))
        return reject(reason, "program headers outside the file");

    size_t n = 0;
    for (uint16_t i = 0; i < phnum; i++) {
        const uint8_t *ph = img + phoff + (size_t)i * PHDR_SIZE;

        /* Every segment's file image must be inside the file, loaded or not. */
        if (!in_file(rd64(ph + 8), rd64(ph + 32), size))
            return reject(reason, "segment outside the file");
        if (rd32(ph) != PT_LOAD)
            continue;
        if (n == ELF_MAX_SEGMENTS)
            return reject(reason, "too many loadable segments");
        const char *why = check_load(ph, &out->segments[n]);
        if (why)
            return reject(reason, why);
        n++;
    }
    if (n == 0)
        return reject(reason, "no loadable segment");

    /* The loader maps whole pages: two segments must not share one. */
    for (size_t i = 0; i < n; i++) {
        uint64_t a0, a1, b0, b1;
        seg_pages(&out->segments[i], &a0, &a1);
        for (size_t j = i + 1; j < n; j++) {
            seg_pages(&out->segments[j], &b0, &b1);
            if (a0 < b1 && b0 < a1)
                return reject(reason, "loadable segments overlap");
        }
    }

    bool entry_ok = false;
    for (size_t i = 0; i < n && !entry_ok; i++) {
        const struct elf_segment *s = &out->segments[i];
        entry_ok =
            (s->flags & ELF_PF_X) && entry >= s->vaddr && entry - s->vaddr < s->memsz;
    }
    if (!entry_ok)
        return reject(reason, "entry point not in an executable segment");

    out->entry = entry;
    out->nsegments = n;
    return 0;
}
