/*
 * Host unit tests for mb2_parse() (kernel/boot/multiboot2.c).
 *
 * A small builder assembles boot information blobs tag by tag (Multiboot2
 * §3.6): realistic BIOS and UEFI layouts as GRUB produces them, then broken
 * variants of each rule the parser enforces. Truncation tests copy the blob
 * into a heap buffer of exactly the claimed size, so ASan catches any read
 * past the end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/check.h"
#include "boot/multiboot2.h"

/* ---- Builder ---- */

struct blob {
    _Alignas(8) uint8_t buf[16384];
    size_t len;
};

static void put32(struct blob *b, size_t off, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b->buf[off + i] = (uint8_t)(v >> (8 * i));
}

static void emit(struct blob *b, const void *p, size_t n)
{
    memcpy(b->buf + b->len, p, n);
    b->len += n;
}

static void emit8(struct blob *b, uint8_t v)
{
    emit(b, &v, 1);
}

static void emit16(struct blob *b, uint16_t v)
{
    emit8(b, (uint8_t)v);
    emit8(b, (uint8_t)(v >> 8));
}

static void emit32(struct blob *b, uint32_t v)
{
    put32(b, b->len, v);
    b->len += 4;
}

static void emit64(struct blob *b, uint64_t v)
{
    emit32(b, (uint32_t)v);
    emit32(b, (uint32_t)(v >> 32));
}

static void blob_begin(struct blob *b)
{
    memset(b, 0, sizeof(*b));
    b->len = 8; /* total_size, reserved */
}

static size_t tag_begin(struct blob *b, uint32_t type)
{
    size_t off = b->len;
    emit32(b, type);
    emit32(b, 0);
    return off;
}

/* Sets the tag's size to what was emitted and pads to 8 bytes (§3.6.2). */
static void tag_end(struct blob *b, size_t off)
{
    put32(b, off + 4, (uint32_t)(b->len - off));
    while (b->len % 8)
        b->buf[b->len++] = 0;
}

/* A tag with an explicit (possibly lying) size field. */
static void tag_raw(struct blob *b, uint32_t type, uint32_t size, size_t body)
{
    size_t off = tag_begin(b, type);
    for (size_t i = 0; i < body; i++)
        emit8(b, 0);
    put32(b, off + 4, size);
    while (b->len % 8)
        b->buf[b->len++] = 0;
}

static void tag_string(struct blob *b, uint32_t type, const char *s)
{
    size_t off = tag_begin(b, type);
    emit(b, s, strlen(s) + 1);
    tag_end(b, off);
}

static void tag_module(struct blob *b, uint32_t start, uint32_t end, const char *s)
{
    size_t off = tag_begin(b, MB2_TAG_MODULE);
    emit32(b, start);
    emit32(b, end);
    emit(b, s, strlen(s) + 1);
    tag_end(b, off);
}

struct mm {
    uint64_t base, len;
    uint32_t type;
};

static void tag_mmap(struct blob *b, uint32_t entry_size, const struct mm *e, size_t n)
{
    size_t off = tag_begin(b, MB2_TAG_MMAP);
    emit32(b, entry_size);
    emit32(b, 0);
    for (size_t i = 0; i < n; i++) {
        size_t start = b->len;
        emit64(b, e[i].base);
        emit64(b, e[i].len);
        emit32(b, e[i].type);
        emit32(b, 0);
        while (b->len - start < entry_size)
            emit8(b, 0);
    }
    tag_end(b, off);
}

static void tag_fb_rgb(struct blob *b, uint64_t addr)
{
    size_t off = tag_begin(b, MB2_TAG_FRAMEBUFFER);
    emit64(b, addr);
    emit32(b, 1024 * 4);
    emit32(b, 1024);
    emit32(b, 768);
    emit8(b, 32);
    emit8(b, MB2_FB_RGB);
    emit16(b, 0);
    const uint8_t fields[6] = {16, 8, 8, 8, 0, 8};
    emit(b, fields, sizeof(fields));
    tag_end(b, off);
}

static void tag_fb_ega(struct blob *b)
{
    size_t off = tag_begin(b, MB2_TAG_FRAMEBUFFER);
    emit64(b, 0xb8000);
    emit32(b, 160);
    emit32(b, 80);
    emit32(b, 25);
    emit8(b, 16);
    emit8(b, MB2_FB_EGA_TEXT);
    emit16(b, 0);
    tag_end(b, off);
}

static void tag_acpi(struct blob *b, uint32_t type, size_t len)
{
    size_t off = tag_begin(b, type);
    emit(b, "RSD PTR ", 8);
    for (size_t i = 8; i < len; i++)
        emit8(b, (uint8_t)i);
    tag_end(b, off);
}

static void blob_finish(struct blob *b)
{
    size_t off = tag_begin(b, MB2_TAG_END);
    tag_end(b, off);
    put32(b, 0, (uint32_t)b->len);
}

/* ---- Warning capture ---- */

struct warns {
    int count;
    int last_tag;
    char last[96];
};

static void on_warn(void *ctx, int tag, const char *problem)
{
    struct warns *w = ctx;
    w->count++;
    w->last_tag = tag;
    snprintf(w->last, sizeof(w->last), "%s", problem);
}

static struct mb2_info info;

static int parse(const struct blob *b, size_t avail, struct warns *w)
{
    memset(w, 0, sizeof(*w));
    return mb2_parse(b->buf, avail, &info, on_warn, w);
}

/* ---- Realistic blobs ---- */

static const struct mm bios_map[] = {
    {0x0, 0x9fc00, MB2_MEM_AVAILABLE},      {0x9fc00, 0x400, MB2_MEM_RESERVED},
    {0xf0000, 0x10000, MB2_MEM_RESERVED},   {0x100000, 0x7ee0000, MB2_MEM_AVAILABLE},
    {0x7fe0000, 0x20000, MB2_MEM_RESERVED}, {0xfffc0000, 0x40000, MB2_MEM_RESERVED},
};

static void make_bios(struct blob *b)
{
    blob_begin(b);
    tag_string(b, MB2_TAG_CMDLINE, "mica.log=serial");
    tag_string(b, MB2_TAG_LOADER_NAME, "GRUB 2.06-13+deb12u1");
    tag_module(b, 0x10a000, 0x10c123, "/boot/init.elf init");
    tag_module(b, 0x10d000, 0x10d000, "/boot/empty");
    size_t off = tag_begin(b, MB2_TAG_BASIC_MEMINFO);
    emit32(b, 639);
    emit32(b, 129920);
    tag_end(b, off);
    off = tag_begin(b, MB2_TAG_BOOTDEV);
    emit32(b, 0x80);
    emit32(b, 0xffffffff);
    emit32(b, 0xffffffff);
    tag_end(b, off);
    tag_mmap(b, 24, bios_map, sizeof(bios_map) / sizeof(bios_map[0]));
    tag_fb_ega(b);
    tag_acpi(b, MB2_TAG_ACPI_OLD, 20);
    off = tag_begin(b, MB2_TAG_LOAD_BASE_ADDR);
    emit32(b, 0x100000);
    tag_end(b, off);
    blob_finish(b);
}

static void make_uefi(struct blob *b)
{
    static const struct mm map[] = {
        {0x0, 0xa0000, MB2_MEM_AVAILABLE},
        {0x100000, 0x700000, MB2_MEM_AVAILABLE},
        {0x800000, 0x8000, MB2_MEM_NVS},
        {0x808000, 0x3000, MB2_MEM_AVAILABLE},
        {0x80b000, 0x1000, MB2_MEM_NVS},
        {0x900000, 0x3e5f000, MB2_MEM_AVAILABLE},
        {0x7f5f000, 0x80000, MB2_MEM_ACPI_RECLAIMABLE},
        {0xffc00000, 0x400000, MB2_MEM_RESERVED},
    };
    blob_begin(b);
    tag_string(b, MB2_TAG_CMDLINE, "");
    tag_string(b, MB2_TAG_LOADER_NAME, "GRUB 2.06");
    tag_module(b, 0x7c00000, 0x7c10000, "/boot/init.elf");
    size_t off = tag_begin(b, MB2_TAG_EFI64);
    emit64(b, 0x7fbee018);
    tag_end(b, off);
    tag_acpi(b, MB2_TAG_ACPI_OLD, 20);
    tag_acpi(b, MB2_TAG_ACPI_NEW, 36);
    tag_mmap(b, 24, map, sizeof(map) / sizeof(map[0]));
    tag_fb_rgb(b, 0x80000000);
    off = tag_begin(b, MB2_TAG_EFI_MMAP);
    emit32(b, 48);
    emit32(b, 1);
    for (int i = 0; i < 48 * 3; i++)
        emit8(b, 0);
    tag_end(b, off);
    tag_raw(b, MB2_TAG_EFI_BS, 8, 0);
    off = tag_begin(b, MB2_TAG_EFI64_IH);
    emit64(b, 0x7e5a1998);
    tag_end(b, off);
    blob_finish(b);
}

static void test_bios(void)
{
    struct blob b;
    struct warns w;

    make_bios(&b);
    CHECK_EQ(parse(&b, b.len, &w), 0);
    CHECK_EQ(w.count, 0);
    CHECK_EQ(info.total_size, b.len);
    CHECK_STR(info.cmdline, "mica.log=serial");
    CHECK_STR(info.loader_name, "GRUB 2.06-13+deb12u1");
    CHECK(!info.efi);
    CHECK_EQ(info.module_count, 2);
    CHECK_EQ(info.modules[0].start, 0x10a000);
    CHECK_EQ(info.modules[0].end, 0x10c123);
    CHECK_STR(info.modules[0].cmdline, "/boot/init.elf init");
    CHECK_EQ(info.modules[1].start, 0x10d000);
    CHECK_EQ(info.modules[1].end, 0x10d000);
    CHECK_STR(info.modules[1].cmdline, "/boot/empty");
    CHECK_EQ(info.mmap_count, 6);
    for (size_t i = 0; i < 6; i++) {
        CHECK_EQ(info.mmap[i].base, bios_map[i].base);
        CHECK_EQ(info.mmap[i].len, bios_map[i].len);
        CHECK_EQ(info.mmap[i].type, bios_map[i].type);
    }
    CHECK(info.fb.present);
    CHECK_EQ(info.fb.type, MB2_FB_EGA_TEXT);
    CHECK_EQ(info.fb.addr, 0xb8000);
    CHECK_EQ(info.fb.width, 80);
    CHECK_EQ(info.fb.height, 25);
    CHECK_EQ(info.fb.pitch, 160);
    CHECK_EQ(info.fb.bpp, 16);
    CHECK(info.rsdp != NULL);
    CHECK_EQ(info.rsdp_len, 20);
    CHECK(info.rsdp && memcmp(info.rsdp, "RSD PTR ", 8) == 0);
    CHECK((const uint8_t *)info.rsdp > b.buf &&
          (const uint8_t *)info.rsdp + info.rsdp_len <= b.buf + b.len);
}

static void test_uefi(void)
{
    struct blob b;
    struct warns w;

    make_uefi(&b);
    CHECK_EQ(parse(&b, sizeof(b.buf), &w), 0);
    CHECK_EQ(w.count, 0);
    CHECK_STR(info.cmdline, "");
    CHECK_STR(info.loader_name, "GRUB 2.06");
    CHECK(info.efi);
    CHECK_EQ(info.efi_system_table, 0x7fbee018);
    CHECK_EQ(info.module_count, 1);
    CHECK_EQ(info.modules[0].end, 0x7c10000);
    CHECK_EQ(info.mmap_count, 8);
    CHECK_EQ(info.mmap[6].type, MB2_MEM_ACPI_RECLAIMABLE);
    CHECK_EQ(info.mmap[7].base, 0xffc00000);
    CHECK(info.fb.present);
    CHECK_EQ(info.fb.type, MB2_FB_RGB);
    CHECK_EQ(info.fb.addr, 0x80000000);
    CHECK_EQ(info.fb.pitch, 4096);
    CHECK_EQ(info.fb.width, 1024);
    CHECK_EQ(info.fb.height, 768);
    CHECK_EQ(info.fb.bpp, 32);
    CHECK_EQ(info.fb.red_pos, 16);
    CHECK_EQ(info.fb.red_size, 8);
    CHECK_EQ(info.fb.green_pos, 8);
    CHECK_EQ(info.fb.blue_pos, 0);
    CHECK_EQ(info.fb.blue_size, 8);
    /* Both ACPI tags present: the new RSDP wins. */
    CHECK_EQ(info.rsdp_len, 36);

    /* Same with the new tag first. */
    blob_begin(&b);
    tag_acpi(&b, MB2_TAG_ACPI_NEW, 40);
    tag_acpi(&b, MB2_TAG_ACPI_OLD, 20);
    size_t off = tag_begin(&b, MB2_TAG_EFI32);
    emit32(&b, 0x7fbee018);
    tag_end(&b, off);
    blob_finish(&b);
    CHECK_EQ(parse(&b, b.len, &w), 0);
    CHECK_EQ(w.count, 0);
    CHECK_EQ(info.rsdp_len, 40);
    CHECK(info.efi);
    CHECK_EQ(info.efi_system_table, 0x7fbee018);
}

/* Every prefix of a valid blob, claimed as whole, must parse or fail cleanly. */
static void test_truncation(void)
{
    struct blob b;
    struct warns w;

    make_uefi(&b);
    for (size_t avail = 0; avail < b.len; avail++) {
        memset(&w, 0, sizeof(w));
        uint8_t *copy = malloc(avail ? avail : 1);
        memcpy(copy, b.buf, avail);
        CHECK_EQ(mb2_parse(copy, avail, &info, on_warn, &w), -1); /* total > avail */
        CHECK(w.count == 1);
        if (avail >= 4) {
            put32(&b, 0, (uint32_t)avail);
            memcpy(copy, b.buf, 4);
            memset(&w, 0, sizeof(w));
            int r = mb2_parse(copy, avail, &info, on_warn, &w);
            CHECK_EQ(r, avail < 16 ? -1 : 0);
            CHECK(w.count >= 1); /* truncated: at least the end tag is missing */
            put32(&b, 0, (uint32_t)b.len);
        }
        free(copy);
    }
}

static void test_header(void)
{
    struct blob b;
    struct warns w;

    blob_begin(&b);
    blob_finish(&b);
    CHECK_EQ(b.len, 16);
    CHECK_EQ(parse(&b, 16, &w), 0);
    CHECK_EQ(w.count, 0);
    CHECK(info.cmdline == NULL && info.mmap_count == 0 && !info.fb.present);

    CHECK_EQ(parse(&b, 15, &w), -1);
    CHECK_EQ(w.last_tag, -1);
    CHECK_STR(w.last, "total size exceeds available bytes");
    put32(&b, 0, 0x100000);
    CHECK_EQ(parse(&b, sizeof(b.buf), &w), -1);
    put32(&b, 0, 8);
    CHECK_EQ(parse(&b, sizeof(b.buf), &w), -1);
    CHECK_STR(w.last, "total size too small");
    put32(&b, 0, 16);

    /* Misaligned info pointer. */
    static _Alignas(8) uint8_t shifted[64];
    memcpy(shifted + 4, b.buf, 16);
    memset(&w, 0, sizeof(w));
    CHECK_EQ(mb2_parse(shifted + 4, 16, &info, on_warn, &w), -1);
    CHECK_STR(w.last, "boot information not 8-byte aligned");
    CHECK_EQ(mb2_parse(NULL, 16, &info, NULL, NULL), -1);
    /* A NULL warn callback is allowed. */
    CHECK_EQ(mb2_parse(b.buf, 3, &info, NULL, NULL), -1);

    /* Missing end tag: still sound, but warned about. */
    blob_begin(&b);
    tag_string(&b, MB2_TAG_CMDLINE, "x");
    put32(&b, 0, (uint32_t)b.len);
    CHECK_EQ(parse(&b, b.len, &w), 0);
    CHECK_EQ(w.count, 1);
    CHECK_STR(w.last, "missing end tag");
    CHECK_STR(info.cmdline, "x");

    /* End tag of the wrong size. */
    blob_begin(&b);
    tag_raw(&b, MB2_TAG_END, 12, 8);
    put32(&b, 0, (uint32_t)b.len);
    CHECK_EQ(parse(&b, b.len, &w), 0);
    CHECK_EQ(w.count, 1);
    CHECK_STR(w.last, "end tag size is not 8");

    /* Tags after the end tag are not read. */
    blob_begin(&b);
    blob_finish(&b);
    tag_string(&b, MB2_TAG_CMDLINE, "late");
    put32(&b, 0, (uint32_t)b.len);
    CHECK_EQ(parse(&b, b.len, &w), 0);
    CHECK_EQ(w.count, 0);
    CHECK(info.cmdline == NULL);
}

static void test_tag_sizes(void)
{
    struct blob b;
    struct warns w;
    const uint32_t bad[] = {0, 4, 7};

    for (size_t i = 0; i < 3; i++) {
        blob_begin(&b);
        tag_string(&b, MB2_TAG_CMDLINE, "ok");
        tag_raw(&b, 99, bad[i], 8);
        tag_string(&b, MB2_TAG_LOADER_NAME, "never read");
        blob_finish(&b);
        CHECK_EQ(parse(&b, b.len, &w), 0);
        CHECK_STR(info.cmdline, "ok");
        CHECK(info.loader_name == NULL);
        CHECK_EQ(w.count, 2);
        CHECK_STR(w.last, "missing end tag");
    }

    /* Huge sizes, including ones that would wrap a 32-bit offset. */
    const uint32_t huge[] = {0x1000, 0xfffffff8u, 0xffffffffu};
    for (size_t i = 0; i < 3; i++) {
        blob_begin(&b);
        tag_raw(&b, MB2_TAG_MMAP, huge[i], 8);
        blob_finish(&b);
        memset(&w, 0, sizeof(w));
        CHECK_EQ(mb2_parse(b.buf, sizeof(b.buf), &info, on_warn, &w), 0);
        CHECK_EQ(w.count, 2);
        CHECK_EQ(info.mmap_count, 0);
    }
    blob_begin(&b);
    tag_raw(&b, 1234, 0x1000, 8);
    blob_finish(&b);
    parse(&b, b.len, &w);
    CHECK_EQ(w.last_tag, -1);
    CHECK_EQ(w.count, 2);

    /* A tag that ends exactly at total_size with no room for the end tag. */
    blob_begin(&b);
    tag_string(&b, MB2_TAG_CMDLINE, "1234567");
    put32(&b, 0, (uint32_t)b.len);
    CHECK_EQ(parse(&b, b.len, &w), 0);
    CHECK_STR(info.cmdline, "1234567");
    CHECK_EQ(w.count, 1);

    /* Unknown tag types are skipped silently, even the largest. */
    blob_begin(&b);
    tag_raw(&b, 0xffffffffu, 24, 16);
    tag_raw(&b, 77, 9, 1);
    tag_string(&b, MB2_TAG_CMDLINE, "after");
    blob_finish(&b);
    CHECK_EQ(parse(&b, b.len, &w), 0);
    CHECK_EQ(w.count, 0);
    CHECK_STR(info.cmdline, "after");
}

static void test_strings(void)
{
    struct blob b;
    struct warns w;

    blob_begin(&b);
    size_t off = tag_begin(&b, MB2_TAG_CMDLINE);
    emit(&b, "abcdefgh", 8); /* no NUL inside the tag; padding would be past it */
    tag_end(&b, off);
    off = tag_begin(&b, MB2_TAG_LOADER_NAME);
    emit(&b, "GRU", 3);
    tag_end(&b, off); /* padding NULs follow, outside the tag */
    tag_raw(&b, MB2_TAG_CMDLINE, 8, 0);
    blob_finish(&b);
    CHECK_EQ(parse(&b, b.len, &w), 0);
    CHECK_EQ(w.count, 3);
    CHECK_EQ(w.last_tag, MB2_TAG_CMDLINE);
    CHECK_STR(w.last, "string not NUL-terminated");
    CHECK(info.cmdline == NULL);
    CHECK(info.loader_name == NULL);

    /* Duplicates: the first one wins. */
    blob_begin(&b);
    tag_string(&b, MB2_TAG_CMDLINE, "first");
    tag_string(&b, MB2_TAG_CMDLINE, "second");
    tag_string(&b, MB2_TAG_LOADER_NAME, "a");
    tag_string(&b, MB2_TAG_LOADER_NAME, "b");
    blob_finish(&b);
    CHECK_EQ(parse(&b, b.len, &w), 0);
    CHECK_EQ(w.count, 2);
    CHECK_STR(w.last, "duplicate tag ignored");
    CHECK_STR(info.cmdline, "first");
    CHECK_STR(info.loader_name, "a");
}

static void test_modules(void)
{
    struct blob b;
    struct warns w;

    blob_begin(&b);
    tag_module(&b, 0x200000, 0x1ff000, "backwards");
    tag_module(&b, 0x300000, 0x301000, "good");
    tag_raw(&b, MB2_TAG_MODULE, 16, 8); /* no string at all */
    tag_raw(&b, MB2_TAG_MODULE, 12, 8); /* no room for mod_end */
    size_t off = tag_begin(&b, MB2_TAG_MODULE);
    emit32(&b, 1);
    emit32(&b, 2);
    emit(&b, "xyz", 3);
    tag_end(&b, off); /* string without NUL */
    blob_finish(&b);
    CHECK_EQ(parse(&b, b.len, &w), 0);
    CHECK_EQ(w.count, 4);
    CHECK_EQ(w.last_tag, MB2_TAG_MODULE);
    CHECK_STR(w.last, "module string not NUL-terminated");
    CHECK_EQ(info.module_count, 1);
    CHECK_STR(info.modules[0].cmdline, "good");
    CHECK_EQ(info.modules[0].start, 0x300000);

    blob_begin(&b);
    tag_module(&b, 0x200000, 0x1ff000, "backwards");
    blob_finish(&b);
    parse(&b, b.len, &w);
    CHECK_STR(w.last, "module ends before it starts");

    blob_begin(&b);
    for (uint32_t i = 0; i < MB2_MAX_MODULES + 3; i++)
        tag_module(&b, i * 0x1000, i * 0x1000 + 0x800, "m");
    blob_finish(&b);
    CHECK_EQ(parse(&b, b.len, &w), 0);
    CHECK_EQ(w.count, 3);
    CHECK_STR(w.last, "too many modules");
    CHECK_EQ(info.module_count, MB2_MAX_MODULES);
    CHECK_EQ(info.modules[MB2_MAX_MODULES - 1].start, (MB2_MAX_MODULES - 1) * 0x1000);
}

static void test_mmap(void)
{
    struct blob b;
    struct warns w;
    const uint32_t bad[] = {0, 8, 16, 23, 25, 28, 31};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        blob_begin(&b);
        size_t off = tag_begin(&b, MB2_TAG_MMAP);
        emit32(&b, bad[i]);
        emit32(&b, 0);
        for (int j = 0; j < 48; j++)
            emit8(&b, 0xab);
        tag_end(&b, off);
        blob_finish(&b);
        CHECK_EQ(parse(&b, b.len, &w), 0);
        CHECK_EQ(w.count, 1);
        CHECK_STR(w.last, "bad mmap entry size");
        CHECK_EQ(w.last_tag, MB2_TAG_MMAP);
        CHECK_EQ(info.mmap_count, 0);
    }

    /* Header too short for entry_size/entry_version. */
    blob_begin(&b);
    tag_raw(&b, MB2_TAG_MMAP, 12, 4);
    blob_finish(&b);
    parse(&b, b.len, &w);
    CHECK_STR(w.last, "mmap tag too short");

    /* Larger entries of a later version: read with the version 0 layout. */
    blob_begin(&b);
    size_t off = tag_begin(&b, MB2_TAG_MMAP);
    emit32(&b, 32);
    emit32(&b, 1);
    for (int j = 0; j < 2; j++) {
        emit64(&b, 0x100000ull * (j + 1));
        emit64(&b, 0x1000);
        emit32(&b, MB2_MEM_AVAILABLE + j);
        emit32(&b, 0);
        emit64(&b, 0xdeadbeef);
    }
    emit(&b, "part", 4); /* a partial third entry */
    tag_end(&b, off);
    blob_finish(&b);
    CHECK_EQ(parse(&b, b.len, &w), 0);
    CHECK_EQ(w.count, 2);
    CHECK_STR(w.last, "partial mmap entry ignored");
    CHECK_EQ(info.mmap_count, 2);
    CHECK_EQ(info.mmap[1].base, 0x200000);
    CHECK_EQ(info.mmap[1].len, 0x1000);
    CHECK_EQ(info.mmap[1].type, MB2_MEM_RESERVED);

    /* Too many entries: the first MB2_MAX_MMAP are kept. */
    static struct mm many[MB2_MAX_MMAP + 5];
    for (size_t i = 0; i < MB2_MAX_MMAP + 5; i++)
        many[i] = (struct mm){i * 0x10000, 0x8000, MB2_MEM_AVAILABLE};
    blob_begin(&b);
    tag_mmap(&b, 24, many, MB2_MAX_MMAP + 5);
    blob_finish(&b);
    CHECK_EQ(parse(&b, b.len, &w), 0);
    CHECK_EQ(w.count, 1);
    CHECK_STR(w.last, "too many mmap entries");
    CHECK_EQ(info.mmap_count, MB2_MAX_MMAP);
    CHECK_EQ(info.mmap[MB2_MAX_MMAP - 1].base, (MB2_MAX_MMAP - 1) * 0x10000ull);

    /* Duplicate memory map: the first wins. */
    blob_begin(&b);
    tag_mmap(&b, 24, bios_map, 2);
    tag_mmap(&b, 24, bios_map, 6);
    blob_finish(&b);
    CHECK_EQ(parse(&b, b.len, &w), 0);
    CHECK_EQ(w.count, 1);
    CHECK_STR(w.last, "duplicate tag ignored");
    CHECK_EQ(info.mmap_count, 2);

    /* An empty map is fine. */
    blob_begin(&b);
    tag_mmap(&b, 24, NULL, 0);
    blob_finish(&b);
    CHECK_EQ(parse(&b, b.len, &w), 0);
    CHECK_EQ(w.count, 0);
    CHECK_EQ(info.mmap_count, 0);
}

static void test_framebuffer(void)
{
    struct blob b;
    struct warns w;

    /* Common part one byte short. */
    blob_begin(&b);
    tag_raw(&b, MB2_TAG_FRAMEBUFFER, 31, 23);
    blob_finish(&b);
    CHECK_EQ(parse(&b, b.len, &w), 0);
    CHECK_STR(w.last, "framebuffer tag too short");
    CHECK(!info.fb.present);

    /* RGB without the full 6 bytes of color info. */
    for (uint32_t size = 32; size < 38; size++) {
        blob_begin(&b);
        if (size == 32) {
            tag_raw(&b, MB2_TAG_FRAMEBUFFER, 32, 24);
            b.buf[8 + 29] = MB2_FB_RGB;
        } else {
            tag_fb_rgb(&b, 0xfd000000);
            put32(&b, 8 + 4, size); /* padding still reaches 40 */
        }
        blob_finish(&b);
        CHECK_EQ(parse(&b, b.len, &w), 0);
        CHECK_EQ(w.count, 1);
        CHECK_STR(w.last, "framebuffer color info too short");
        CHECK(!info.fb.present);
    }

    /* Unknown type. */
    blob_begin(&b);
    tag_fb_ega(&b);
    b.buf[8 + 29] = 3;
    blob_finish(&b);
    parse(&b, b.len, &w);
    CHECK_STR(w.last, "unknown framebuffer type");
    CHECK(!info.fb.present);

    /* Duplicate: the first wins. */
    blob_begin(&b);
    tag_fb_ega(&b);
    tag_fb_rgb(&b, 0xfd000000);
    blob_finish(&b);
    CHECK_EQ(parse(&b, b.len, &w), 0);
    CHECK_EQ(w.count, 1);
    CHECK_EQ(info.fb.type, MB2_FB_EGA_TEXT);
}

static void test_efi_acpi(void)
{
    struct blob b;
    struct warns w;

    blob_begin(&b);
    tag_raw(&b, MB2_TAG_EFI64, 12, 4);
    tag_raw(&b, MB2_TAG_EFI32, 8, 0);
    tag_acpi(&b, MB2_TAG_ACPI_OLD, 19);
    tag_acpi(&b, MB2_TAG_ACPI_NEW, 35);
    blob_finish(&b);
    CHECK_EQ(parse(&b, b.len, &w), 0);
    CHECK_EQ(w.count, 4);
    CHECK_STR(w.last, "rsdp too short");
    CHECK(!info.efi);
    CHECK(info.rsdp == NULL);

    blob_begin(&b);
    size_t off = tag_begin(&b, MB2_TAG_EFI64);
    emit64(&b, 0x1111);
    tag_end(&b, off);
    off = tag_begin(&b, MB2_TAG_EFI32);
    emit32(&b, 0x2222);
    tag_end(&b, off);
    tag_acpi(&b, MB2_TAG_ACPI_OLD, 20);
    tag_acpi(&b, MB2_TAG_ACPI_OLD, 24);
    blob_finish(&b);
    CHECK_EQ(parse(&b, b.len, &w), 0);
    CHECK_EQ(w.count, 2);
    CHECK(info.efi);
    CHECK_EQ(info.efi_system_table, 0x1111);
    CHECK_EQ(info.rsdp_len, 20);
}

int main(void)
{
    test_bios();
    test_uefi();
    test_truncation();
    test_header();
    test_tag_sizes();
    test_strings();
    test_modules();
    test_mmap();
    test_framebuffer();
    test_efi_acpi();
    return check_exit("test_multiboot2");
}
