/*
 * Multiboot2 boot information: a bounds-checked parser.
 *
 * The loader hands the kernel a block of tags (Multiboot2 spec §3.6). Nothing
 * in it is trusted: mb2_parse() checks the total size, every tag's size and
 * 8-byte alignment, and the layout of each tag it understands before copying
 * the facts into a struct mb2_info. A bad tag is reported through the warn
 * callback and skipped; unknown tags are skipped silently.
 *
 * Pure code: no kernel headers, so host unit tests and fuzzers build it too.
 */
#ifndef MICA_BOOT_MULTIBOOT2_H
#define MICA_BOOT_MULTIBOOT2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MB2_BOOTLOADER_MAGIC 0x36d76289u /* spec §3.3: %eax at entry */

/* Tag types, spec §3.6. */
enum {
    MB2_TAG_END = 0,
    MB2_TAG_CMDLINE = 1,
    MB2_TAG_LOADER_NAME = 2,
    MB2_TAG_MODULE = 3,
    MB2_TAG_BASIC_MEMINFO = 4,
    MB2_TAG_BOOTDEV = 5,
    MB2_TAG_MMAP = 6,
    MB2_TAG_VBE = 7,
    MB2_TAG_FRAMEBUFFER = 8,
    MB2_TAG_ELF_SECTIONS = 9,
    MB2_TAG_APM = 10,
    MB2_TAG_EFI32 = 11,
    MB2_TAG_EFI64 = 12,
    MB2_TAG_SMBIOS = 13,
    MB2_TAG_ACPI_OLD = 14,
    MB2_TAG_ACPI_NEW = 15,
    MB2_TAG_NETWORK = 16,
    MB2_TAG_EFI_MMAP = 17,
    MB2_TAG_EFI_BS = 18,
    MB2_TAG_EFI32_IH = 19,
    MB2_TAG_EFI64_IH = 20,
    MB2_TAG_LOAD_BASE_ADDR = 21,
};

/* Memory map entry types, spec §3.6.8. */
enum {
    MB2_MEM_AVAILABLE = 1,
    MB2_MEM_RESERVED = 2,
    MB2_MEM_ACPI_RECLAIMABLE = 3,
    MB2_MEM_NVS = 4,
    MB2_MEM_BADRAM = 5,
};

/* Framebuffer types, spec §3.6.12. */
enum {
    MB2_FB_INDEXED = 0,
    MB2_FB_RGB = 1,
    MB2_FB_EGA_TEXT = 2,
};

#define MB2_MAX_MMAP    128
#define MB2_MAX_MODULES 32

struct mb2_mmap_entry {
    uint64_t base;
    uint64_t len;
    uint32_t type;
};

struct mb2_module {
    uint64_t start;      /* physical, first byte */
    uint64_t end;        /* physical, one past the last byte; end >= start */
    const char *cmdline; /* NUL-terminated, inside the boot information */
};

struct mb2_framebuffer {
    bool present;
    uint8_t type; /* MB2_FB_* */
    uint8_t bpp;
    uint64_t addr; /* physical */
    uint32_t pitch, width, height;
    /* RGB only: bit position and width of each channel. */
    uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

struct mb2_info {
    uint32_t total_size;
    const char *cmdline;     /* NULL when absent */
    const char *loader_name; /* NULL when absent */
    bool efi;                /* EFI system table tag (11 or 12) seen */
    uint64_t efi_system_table;

    size_t mmap_count;
    struct mb2_mmap_entry mmap[MB2_MAX_MMAP];

    size_t module_count;
    struct mb2_module modules[MB2_MAX_MODULES];

    struct mb2_framebuffer fb;

    /* ACPI RSDP copy inside the boot information (tag 14 or 15). */
    const void *rsdp;
    size_t rsdp_len;
};

/* Called once per problem; tag is the tag type (or -1 for the header). */
typedef void (*mb2_warn_fn)(void *ctx, int tag, const char *problem);

/*
 * Parses the boot information at `info`, of which at most `avail` bytes may be
 * read. Returns 0 when the header is sound (even if some tags were skipped),
 * or -1 when nothing can be trusted (bad total size, misaligned pointer).
 * Strings in *out point into `info`. `warn` may be NULL. Of duplicate tags
 * the first sound one wins (a warning is given); when both ACPI tags are
 * present, the new RSDP (tag 15) wins.
 */
int mb2_parse(const void *info, size_t avail, struct mb2_info *out, mb2_warn_fn warn,
              void *ctx);

#endif
