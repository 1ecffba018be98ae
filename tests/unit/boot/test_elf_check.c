/*
 * Host unit tests for elf_check() (kernel/boot/elf_check.c).
 *
 * The test builds a minimal valid x86_64 executable (ELF header, text and
 * data PT_LOAD segments, a PT_GNU_STACK entry) and then applies one mutation
 * per rejection rule, checking the exact reason string. Every truncation of
 * the valid image is checked from a heap buffer of exactly that size, so ASan
 * catches any read past the end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/check.h"
#include "boot/elf_check.h"

/* gABI offsets used by the builder. */
#define E_TYPE      16
#define E_MACHINE   18
#define E_VERSION   20
#define E_ENTRY     24
#define E_PHOFF     32
#define E_EHSIZE    52
#define E_PHENTSIZE 54
#define E_PHNUM     56
#define P_TYPE      0
#define P_FLAGS     4
#define P_OFFSET    8
#define P_VADDR     16
#define P_FILESZ    32
#define P_MEMSZ     40
#define P_ALIGN     48

#define PHOFF        64
#define IMAGE_SIZE   0x1100
#define PT_LOAD      1
#define PT_NOTE      4
#define PT_GNU_STACK 0x6474e551u

static uint8_t img[IMAGE_SIZE];

static void put(size_t off, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        img[off + i] = (uint8_t)(v >> (8 * i));
}

static void ph(int i, size_t field, uint64_t v)
{
    int bytes = field == P_TYPE || field == P_FLAGS ? 4 : 8;
    put(PHOFF + (size_t)i * 56 + field, v, bytes);
}

static void phdr(int i, uint32_t type, uint32_t flags, uint64_t off, uint64_t vaddr,
                 uint64_t filesz, uint64_t memsz, uint64_t align)
{
    ph(i, P_TYPE, type);
    ph(i, P_FLAGS, flags);
    ph(i, P_OFFSET, off);
    ph(i, P_VADDR, vaddr);
    put(PHOFF + (size_t)i * 56 + 24, vaddr, 8); /* p_paddr */
    ph(i, P_FILESZ, filesz);
    ph(i, P_MEMSZ, memsz);
    ph(i, P_ALIGN, align);
}

/* Text RX at 0x400000 (holding the headers), data RW at 0x401000 with bss. */
static void build(void)
{
    memset(img, 0, sizeof(img));
    memcpy(img,
           "\x7f"
           "ELF",
           4);
    img[4] = 2; /* ELFCLASS64 */
    img[5] = 1; /* ELFDATA2LSB */
    img[6] = 1; /* EV_CURRENT */
    put(E_TYPE, 2, 2);
    put(E_MACHINE, 62, 2);
    put(E_VERSION, 1, 4);
    put(E_ENTRY, 0x400100, 8);
    put(E_PHOFF, PHOFF, 8);
    put(E_EHSIZE, 64, 2);
    put(E_PHENTSIZE, 56, 2);
    put(E_PHNUM, 3, 2);
    put(58, 64, 2); /* e_shentsize; no section headers */
    phdr(0, PT_LOAD, ELF_PF_R | ELF_PF_X, 0, 0x400000, 0x200, 0x200, 0x1000);
    phdr(1, PT_LOAD, ELF_PF_R | ELF_PF_W, 0x1000, 0x401000, 0x100, 0x2000, 0x1000);
    phdr(2, PT_GNU_STACK, ELF_PF_R | ELF_PF_W, 0, 0, 0, 0, 16);
    memset(img + 0x100, 0xcc, 0x100);
    memset(img + 0x1000, 0x5a, 0x100);
}

static struct elf_info info;

static const char *check(size_t size)
{
    const char *reason = "(accepted)";
    int r = elf_check(img, size, &info, &reason);
    CHECK(r == 0 || r == -1);
    CHECK_EQ(r == 0, strcmp(reason, "(accepted)") == 0);
    if (r != 0) {
        CHECK_EQ(info.nsegments, 0);
        CHECK(strchr(reason, '"') == NULL);
    }
    return reason;
}

#define REJECTS(why)                                                                     \
    do {                                                                                 \
        CHECK_STR(check(IMAGE_SIZE), why);                                               \
        build();                                                                         \
    } while (0)

static void test_valid(void)
{
    build();
    CHECK_STR(check(IMAGE_SIZE), "(accepted)");
    CHECK_EQ(info.entry, 0x400100);
    CHECK_EQ(info.nsegments, 2);
    CHECK_EQ(info.segments[0].vaddr, 0x400000);
    CHECK_EQ(info.segments[0].memsz, 0x200);
    CHECK_EQ(info.segments[0].offset, 0);
    CHECK_EQ(info.segments[0].filesz, 0x200);
    CHECK_EQ(info.segments[0].flags, ELF_PF_R | ELF_PF_X);
    CHECK_EQ(info.segments[1].vaddr, 0x401000);
    CHECK_EQ(info.segments[1].memsz, 0x2000);
    CHECK_EQ(info.segments[1].offset, 0x1000);
    CHECK_EQ(info.segments[1].filesz, 0x100);
    CHECK_EQ(info.segments[1].flags, ELF_PF_R | ELF_PF_W);
    /* A NULL reason pointer is allowed. */
    CHECK_EQ(elf_check(img, IMAGE_SIZE, &info, NULL), 0);

    /* Accepted variants. */
    ph(1, P_ALIGN, 0); /* no alignment constraint */
    CHECK_STR(check(IMAGE_SIZE), "(accepted)");
    ph(1, P_ALIGN, 16);
    ph(1, P_VADDR, 0x401800); /* not page-congruent, but alignment below a page */
    CHECK_STR(check(IMAGE_SIZE), "(accepted)");
    build();
    ph(0, P_FLAGS, ELF_PF_R | ELF_PF_X | 0xf0000000u); /* OS/processor-specific bits */
    CHECK_STR(check(IMAGE_SIZE), "(accepted)");
    CHECK_EQ(info.segments[0].flags, ELF_PF_R | ELF_PF_X);
    build();
    ph(1, P_VADDR, ELF_USER_END - 0x2000); /* ends exactly at the top */
    CHECK_STR(check(IMAGE_SIZE), "(accepted)");
    build();
    img[7] = 3; /* ELFOSABI_GNU */
    CHECK_STR(check(IMAGE_SIZE), "(accepted)");
    build();
}

static void test_header_rejects(void)
{
    build();
    CHECK_STR(check(63), "image too small for the elf header");
    CHECK_STR(check(0), "image too small for the elf header");
    CHECK_EQ(elf_check(NULL, 100, &info, NULL), -1);
    img[0] = 0x7e;
    REJECTS("bad magic");
    img[3] = 'f';
    REJECTS("bad magic");
    img[4] = 1;
    REJECTS("not 64-bit");
    img[4] = 0;
    REJECTS("not 64-bit");
    img[5] = 2;
    REJECTS("not little-endian");
    img[6] = 0;
    REJECTS("bad elf version");
    put(E_VERSION, 2, 4);
    REJECTS("bad elf version");
    put(E_MACHINE, 3, 2);
    REJECTS("not x86_64");
    put(E_MACHINE, 62 << 8, 2);
    REJECTS("not x86_64");
    put(E_TYPE, 3, 2); /* ET_DYN */
    REJECTS("not an executable");
    put(E_TYPE, 1, 2); /* ET_REL */
    REJECTS("not an executable");
    put(E_EHSIZE, 63, 2);
    REJECTS("bad elf header size");
    put(E_PHENTSIZE, 32, 2);
    REJECTS("bad program header size");
    put(E_PHENTSIZE, 0, 2);
    REJECTS("bad program header size");
    put(E_PHNUM, 65, 2);
    REJECTS("too many program headers");
    put(E_PHNUM, 0xffff, 2);
    REJECTS("too many program headers");
    put(E_PHOFF, IMAGE_SIZE - 100, 8);
    REJECTS("program headers outside the file");
    put(E_PHOFF, UINT64_MAX - 10, 8);
    REJECTS("program headers outside the file");
    put(E_PHOFF, IMAGE_SIZE + 56, 8);
    REJECTS("program headers outside the file");
    put(E_PHNUM, 0, 2);
    REJECTS("no loadable segment");
}

static void test_segment_rejects(void)
{
    build();
    ph(0, P_FILESZ, IMAGE_SIZE + 1);
    ph(0, P_MEMSZ, 0x2000);
    REJECTS("segment outside the file");
    ph(1, P_FILESZ, 0x101);
    REJECTS("segment outside the file");
    ph(1, P_OFFSET, UINT64_MAX);
    ph(1, P_FILESZ, 2);
    REJECTS("segment outside the file");
    ph(1, P_OFFSET, 0x1000);
    ph(1, P_FILESZ, UINT64_MAX - 0xfff);
    REJECTS("segment outside the file");
    ph(2, P_OFFSET, 0x2000); /* not loaded, still must be inside the file */
    ph(2, P_FILESZ, 1);
    REJECTS("segment outside the file");

    ph(1, P_MEMSZ, 0xff);
    REJECTS("segment filesz exceeds memsz");

    ph(0, P_VADDR, 0);
    REJECTS("segment outside the user half");
    ph(0, P_VADDR, 0xfff);
    REJECTS("segment outside the user half");
    ph(1, P_VADDR, ELF_USER_END - 0x1000);
    REJECTS("segment outside the user half");
    ph(1, P_VADDR, ELF_USER_END);
    ph(1, P_MEMSZ, 0x100);
    REJECTS("segment outside the user half");
    ph(1, P_VADDR, 0xffffffff80001000ull);
    REJECTS("segment outside the user half");
    ph(1, P_MEMSZ, UINT64_MAX - 0x400000);
    REJECTS("segment outside the user half");
    ph(1, P_MEMSZ, UINT64_MAX);
    REJECTS("segment outside the user half");

    ph(1, P_FLAGS, ELF_PF_R | ELF_PF_W | ELF_PF_X);
    REJECTS("segment writable and executable");
    ph(0, P_FLAGS, ELF_PF_W | ELF_PF_X);
    REJECTS("segment writable and executable");

    ph(1, P_ALIGN, 3);
    REJECTS("segment alignment not a power of two");
    ph(1, P_ALIGN, 0x3000);
    REJECTS("segment alignment not a power of two");
    ph(1, P_VADDR, 0x401800);
    REJECTS("segment offset and vaddr not congruent");
    ph(1, P_OFFSET, 0x1008);
    ph(1, P_FILESZ, 0xf8);
    ph(1, P_ALIGN, 0x200000);
    REJECTS("segment offset and vaddr not congruent");

    ph(0, P_TYPE, PT_NOTE);
    ph(1, P_TYPE, PT_NOTE);
    REJECTS("no loadable segment");

    /* Page overlap: the data segment starts in the text segment's page. */
    ph(1, P_VADDR, 0x400000);
    REJECTS("loadable segments overlap");
    ph(0, P_MEMSZ, 0x1001);
    REJECTS("loadable segments overlap");
    ph(1, P_VADDR, 0x3ff000);
    REJECTS("loadable segments overlap");
    ph(1, P_VADDR, 0x402000); /* disjoint pages in the other order: fine */
    CHECK_STR(check(IMAGE_SIZE), "(accepted)");
    build();

    put(E_ENTRY, 0x401000, 8); /* in the data segment */
    REJECTS("entry point not in an executable segment");
    put(E_ENTRY, 0x400200, 8); /* one past the text segment */
    REJECTS("entry point not in an executable segment");
    put(E_ENTRY, 0, 8);
    REJECTS("entry point not in an executable segment");
    put(E_ENTRY, 0x4001ff, 8); /* last byte: fine */
    CHECK_STR(check(IMAGE_SIZE), "(accepted)");
    build();
}

static void test_many_segments(void)
{
    build();
    put(E_PHNUM, ELF_MAX_SEGMENTS + 1, 2);
    for (int i = 0; i < ELF_MAX_SEGMENTS + 1; i++)
        phdr(i, PT_LOAD, ELF_PF_R, 0, 0x400000 + (uint64_t)i * 0x1000, 0, 0x1000, 0x1000);
    ph(0, P_FLAGS, ELF_PF_R | ELF_PF_X);
    REJECTS("too many loadable segments");

    put(E_PHNUM, ELF_MAX_SEGMENTS, 2);
    for (int i = 0; i < ELF_MAX_SEGMENTS; i++)
        phdr(i, PT_LOAD, ELF_PF_R, 0, 0x400000 + (uint64_t)i * 0x1000, 0, 0x1000, 0x1000);
    ph(0, P_FLAGS, ELF_PF_R | ELF_PF_X);
    CHECK_STR(check(IMAGE_SIZE), "(accepted)");
    CHECK_EQ(info.nsegments, ELF_MAX_SEGMENTS);
    CHECK_EQ(info.segments[ELF_MAX_SEGMENTS - 1].vaddr, 0x40f000);

    /* 64 program headers, mostly not loadable, are fine. */
    build();
    put(E_PHNUM, 64, 2);
    for (int i = 2; i < 64; i++)
        phdr(i, PT_NOTE, ELF_PF_R, 0x100, 0, 0x10, 0, 4);
    CHECK_STR(check(IMAGE_SIZE), "(accepted)");
    build();
}

static void test_truncation(void)
{
    build();
    for (size_t len = 0; len < IMAGE_SIZE; len++) {
        uint8_t *copy = malloc(len ? len : 1);
        const char *reason = NULL;
        memcpy(copy, img, len);
        int r = elf_check(copy, len, &info, &reason);
        CHECK(r == -1 && reason != NULL);
        free(copy);
    }
    uint8_t *copy = malloc(IMAGE_SIZE);
    memcpy(copy, img, IMAGE_SIZE);
    CHECK_EQ(elf_check(copy, IMAGE_SIZE, &info, NULL), 0);
    free(copy);

    /* Any alignment of the image is fine. */
    static uint8_t shifted[IMAGE_SIZE + 8];
    memcpy(shifted + 3, img, IMAGE_SIZE);
    CHECK_EQ(elf_check(shifted + 3, IMAGE_SIZE, &info, NULL), 0);
}

int main(void)
{
    test_valid();
    test_header_rejects();
    test_segment_rejects();
    test_many_segments();
    test_truncation();
    return check_exit("test_elf_check");
}
