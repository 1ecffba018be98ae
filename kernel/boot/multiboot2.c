/*
 * Multiboot2 boot information parser (Multiboot2 spec §3.6).
 *
 * The boot information is the first input the kernel reads from outside, so
 * this file treats it as hostile: every read is preceded by a check that the
 * bytes lie inside the block, all sizes are compared by subtraction so they
 * cannot wrap, and fields are assembled byte by byte (little-endian, §3.6.2)
 * so that no unaligned or type-punned access is ever made. Problems are
 * reported through the caller's warn callback; the facts that survive are
 * copied into a struct mb2_info.
 *
 * Pure code: compiled into the freestanding kernel and into host tests and
 * fuzzers, so it uses no library calls at all.
 */
#include "boot/multiboot2.h"

#define MB2_FIXED_SIZE  8u /* §3.6.2: u32 total_size, u32 reserved */
#define MB2_TAG_HEADER  8u /* §3.6.2: u32 type, u32 size */
#define MB2_MMAP_HEADER 16 /* §3.6.8: tag header, entry_size, entry_version */
#define MB2_MMAP_ENTRY  24 /* §3.6.8: u64 base_addr, u64 length, u32 type, u32 */
/* §3.6.12: header, u64 addr, u32 pitch/width/height, u8 bpp, u8 type, u16. */
#define MB2_FB_COMMON   32
#define MB2_FB_RGB_INFO 6 /* §3.6.12: red/green/blue field position and mask size */

struct parser {
    const uint8_t *base;
    mb2_warn_fn warn;
    void *ctx;
};

static void warn(const struct parser *ps, int tag, const char *problem)
{
    if (ps->warn)
        ps->warn(ps->ctx, tag, problem);
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

/*
 * Returns the string that starts at `off` inside a tag of `size` bytes, or
 * NULL when no NUL terminator lies inside the tag.
 */
static const char *tag_string(const uint8_t *tag, uint32_t size, uint32_t off)
{
    for (uint32_t i = off; i < size; i++) {
        if (tag[i] == 0)
            return (const char *)(tag + off);
    }
    return NULL;
}

/* §3.6.5, §3.6.9: boot command line and boot loader name. */
static void parse_string_tag(const struct parser *ps, int type, const uint8_t *tag,
                             uint32_t size, const char **slot)
{
    const char *s = tag_string(tag, size, MB2_TAG_HEADER);

    if (!s) {
        warn(ps, type, "string not NUL-terminated");
        return;
    }
    if (*slot) {
        warn(ps, type, "duplicate tag ignored");
        return;
    }
    *slot = s;
}

/* §3.6.6: u32 mod_start, u32 mod_end, then a NUL-terminated string. */
static void parse_module(const struct parser *ps, const uint8_t *tag, uint32_t size,
                         struct mb2_info *out)
{
    if (size < MB2_TAG_HEADER + 8) {
        warn(ps, MB2_TAG_MODULE, "module tag too short");
        return;
    }
    uint32_t start = rd32(tag + 8), end = rd32(tag + 12);
    const char *cmdline = tag_string(tag, size, MB2_TAG_HEADER + 8);

    if (!cmdline) {
        warn(ps, MB2_TAG_MODULE, "module string not NUL-terminated");
        return;
    }
    if (end < start) {
        warn(ps, MB2_TAG_MODULE, "module ends before it starts");
        return;
    }
    if (out->module_count >= MB2_MAX_MODULES) {
        warn(ps, MB2_TAG_MODULE, "too many modules");
        return;
    }
    struct mb2_module *m = &out->modules[out->module_count++];
    m->start = start;
    m->end = end;
    m->cmdline = cmdline;
}

/*
 * §3.6.8: u32 entry_size, u32 entry_version, then entries of entry_size bytes
 * each. entry_size is a multiple of 8 and at least the 24 bytes of version 0;
 * later versions only append fields, so they are read with the version 0
 * layout.
 */
static void parse_mmap(const struct parser *ps, const uint8_t *tag, uint32_t size,
                       struct mb2_info *out, bool *seen)
{
    if (size < MB2_MMAP_HEADER) {
        warn(ps, MB2_TAG_MMAP, "mmap tag too short");
        return;
    }
    uint32_t entry_size = rd32(tag + 8), version = rd32(tag + 12);

    if (entry_size < MB2_MMAP_ENTRY || entry_size % 8 != 0) {
        warn(ps, MB2_TAG_MMAP, "bad mmap entry size");
        return;
    }
    if (*seen) {
        warn(ps, MB2_TAG_MMAP, "duplicate tag ignored");
        return;
    }
    *seen = true;
    if (version != 0)
        warn(ps, MB2_TAG_MMAP, "unknown mmap entry version");

    uint32_t bytes = size - MB2_MMAP_HEADER;
    uint32_t count = bytes / entry_size;
    if (bytes % entry_size != 0)
        warn(ps, MB2_TAG_MMAP, "partial mmap entry ignored");
    if (count > MB2_MAX_MMAP) {
        warn(ps, MB2_TAG_MMAP, "too many mmap entries");
        count = MB2_MAX_MMAP;
    }
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *e = tag + MB2_MMAP_HEADER + (size_t)i * entry_size;
        out->mmap[i].base = rd64(e);
        out->mmap[i].len = rd64(e + 8);
        out->mmap[i].type = rd32(e + 16);
    }
    out->mmap_count = count;
}

/* §3.6.12: the common part, then color_info whose layout depends on type. */
static void parse_framebuffer(const struct parser *ps, const uint8_t *tag, uint32_t size,
                              struct mb2_info *out)
{
    struct mb2_framebuffer *fb = &out->fb;

    if (size < MB2_FB_COMMON) {
        warn(ps, MB2_TAG_FRAMEBUFFER, "framebuffer tag too short");
        return;
    }
    uint8_t type = tag[29];
    if (type > MB2_FB_EGA_TEXT) {
        warn(ps, MB2_TAG_FRAMEBUFFER, "unknown framebuffer type");
        return;
    }
    if (type == MB2_FB_RGB && size < MB2_FB_COMMON + MB2_FB_RGB_INFO) {
        warn(ps, MB2_TAG_FRAMEBUFFER, "framebuffer color info too short");
        return;
    }
    if (fb->present) {
        warn(ps, MB2_TAG_FRAMEBUFFER, "duplicate tag ignored");
        return;
    }
    fb->present = true;
    fb->addr = rd64(tag + 8);
    fb->pitch = rd32(tag + 16);
    fb->width = rd32(tag + 20);
    fb->height = rd32(tag + 24);
    fb->bpp = tag[28];
    fb->type = type;
    if (type == MB2_FB_RGB) {
        const uint8_t *c = tag + MB2_FB_COMMON;
        fb->red_pos = c[0];
        fb->red_size = c[1];
        fb->green_pos = c[2];
        fb->green_size = c[3];
        fb->blue_pos = c[4];
        fb->blue_size = c[5];
    }
}

/* §3.6.13, §3.6.14: a 32-bit or 64-bit physical pointer to the system table. */
static void parse_efi_table(const struct parser *ps, int type, const uint8_t *tag,
                            uint32_t size, struct mb2_info *out)
{
    uint32_t need = type == MB2_TAG_EFI32 ? 12 : 16;

    if (size < need) {
        warn(ps, type, "efi system table tag too short");
        return;
    }
    if (out->efi) {
        warn(ps, type, "duplicate tag ignored");
        return;
    }
    out->efi = true;
    out->efi_system_table = type == MB2_TAG_EFI32 ? rd32(tag + 8) : rd64(tag + 8);
}

/*
 * §3.6.16, §3.6.17: a copy of the RSDP follows the header. ACPI 1.0 RSDPs are
 * 20 bytes, ACPI 2.0+ ones at least 36. When both tags are present the new
 * one wins, whatever the order.
 */
static void parse_acpi(const struct parser *ps, int type, const uint8_t *tag,
                       uint32_t size, struct mb2_info *out, bool *seen_old,
                       bool *seen_new)
{
    uint32_t need = type == MB2_TAG_ACPI_OLD ? 20 : 36;
    bool *seen = type == MB2_TAG_ACPI_OLD ? seen_old : seen_new;

    if (size - MB2_TAG_HEADER < need) {
        warn(ps, type, "rsdp too short");
        return;
    }
    if (*seen) {
        warn(ps, type, "duplicate tag ignored");
        return;
    }
    *seen = true;
    if (type == MB2_TAG_ACPI_OLD && *seen_new)
        return;
    out->rsdp = tag + MB2_TAG_HEADER;
    out->rsdp_len = size - MB2_TAG_HEADER;
}

/* Counts guard the arrays, so only scalars and counts need resetting. */
static void clear_info(struct mb2_info *out)
{
    out->total_size = 0;
    out->cmdline = NULL;
    out->loader_name = NULL;
    out->efi = false;
    out->efi_system_table = 0;
    out->mmap_count = 0;
    out->module_count = 0;
    out->fb = (struct mb2_framebuffer){.present = false};
    out->rsdp = NULL;
    out->rsdp_len = 0;
}

int mb2_parse(const void *info, size_t avail, struct mb2_info *out, mb2_warn_fn warn_fn,
              void *ctx)
{
    struct parser ps = {.base = info, .warn = warn_fn, .ctx = ctx};
    bool seen_mmap = false, seen_acpi_old = false, seen_acpi_new = false;
    bool seen_meminfo = false, seen_efi_mmap = false, end_seen = false;

    clear_info(out);
    if (!info || (uintptr_t)info % 8 != 0) {
        warn(&ps, -1, "boot information not 8-byte aligned");
        return -1;
    }
    /* §3.6.2: the fixed part and at least the end tag. */
    if (avail < MB2_FIXED_SIZE) {
        warn(&ps, -1, "boot information truncated");
        return -1;
    }
    uint32_t total = rd32(ps.base);
    if (total < MB2_FIXED_SIZE + MB2_TAG_HEADER) {
        warn(&ps, -1, "total size too small");
        return -1;
    }
    if (total > avail) {
        warn(&ps, -1, "total size exceeds available bytes");
        return -1;
    }
    out->total_size = total;

    /* §3.6.2: tags are 8-byte aligned and padded; size excludes the padding. */
    uint32_t off = MB2_FIXED_SIZE;
    while (total - off >= MB2_TAG_HEADER) {
        const uint8_t *tag = ps.base + off;
        uint32_t type = rd32(tag), size = rd32(tag + 4);
        int t = type > 0x7fffffffu ? 0x7fffffff : (int)type;

        if (size < MB2_TAG_HEADER) {
            warn(&ps, t, "tag size too small");
            break;
        }
        if (size > total - off) {
            warn(&ps, t, "tag overruns boot information");
            break;
        }
        if (type == MB2_TAG_END) {
            if (size != MB2_TAG_HEADER)
                warn(&ps, t, "end tag size is not 8");
            end_seen = true;
            break;
        }

        switch (type) {
        case MB2_TAG_CMDLINE:
            parse_string_tag(&ps, t, tag, size, &out->cmdline);
            break;
        case MB2_TAG_LOADER_NAME:
            parse_string_tag(&ps, t, tag, size, &out->loader_name);
            break;
        case MB2_TAG_MODULE:
            parse_module(&ps, tag, size, out);
            break;
        case MB2_TAG_BASIC_MEMINFO:
            /* §3.6.3: superseded by the memory map, only duplicates matter. */
            if (seen_meminfo)
                warn(&ps, t, "duplicate tag ignored");
            seen_meminfo = true;
            break;
        case MB2_TAG_MMAP:
            parse_mmap(&ps, tag, size, out, &seen_mmap);
            break;
        case MB2_TAG_FRAMEBUFFER:
            parse_framebuffer(&ps, tag, size, out);
            break;
        case MB2_TAG_EFI32:
        case MB2_TAG_EFI64:
            parse_efi_table(&ps, t, tag, size, out);
            break;
        case MB2_TAG_ACPI_OLD:
        case MB2_TAG_ACPI_NEW:
            parse_acpi(&ps, t, tag, size, out, &seen_acpi_old, &seen_acpi_new);
            break;
        case MB2_TAG_EFI_MMAP:
            /* §3.6.19: the EFI map is not used; the §3.6.8 map describes RAM. */
            if (seen_efi_mmap)
                warn(&ps, t, "duplicate tag ignored");
            seen_efi_mmap = true;
            break;
        default:
            break;
        }

        /* size <= total - off, so this cannot pass 2^32 + 7. */
        uint64_t next = (uint64_t)off + size;
        next = (next + 7) & ~(uint64_t)7;
        if (next >= total)
            break;
        off = (uint32_t)next;
    }
    if (!end_seen)
        warn(&ps, -1, "missing end tag");
    return 0;
}
