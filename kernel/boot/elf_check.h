/*
 * ELF64 module validation: is this a well-formed x86_64 executable that the
 * loader can map into a user address space? (System V gABI, ELF-64 Object
 * File Format v1.5; AMD64 psABI §4.)
 *
 * elf_check() reads only inside [image, image+size) and never trusts a field
 * before checking it. On failure it returns -1 and a short reason suitable for
 * `mica: module name=<n> result=rejected reason="<why>"`.
 *
 * Pure code: no kernel headers (only the ABI's), so host unit tests and
 * fuzzers build it too.
 */
#ifndef MICA_BOOT_ELF_CHECK_H
#define MICA_BOOT_ELF_CHECK_H

#include <mica/abi.h>
#include <stddef.h>
#include <stdint.h>

/* User half of the address space: canonical lower half, minus page zero. */
#define ELF_USER_MIN 0x1000ull
#define ELF_USER_END 0x0000800000000000ull

#define ELF_MAX_SEGMENTS 16

/* Segment permission bits (ELF p_flags). */
#define ELF_PF_X 1u
#define ELF_PF_W 2u
#define ELF_PF_R 4u

struct elf_segment {
    uint64_t vaddr, memsz;   /* where it goes */
    uint64_t offset, filesz; /* what is copied from the file */
    uint32_t flags;          /* ELF_PF_* */
};

struct elf_info {
    uint64_t entry;
    size_t nsegments; /* PT_LOAD segments, in file order */
    struct elf_segment segments[ELF_MAX_SEGMENTS];
};

/*
 * Returns 0 and fills *out when `image` (size bytes, any alignment) passes;
 * otherwise returns -1, sets *reason (if reason is not NULL) to a static
 * lowercase string without double quotes, and leaves out->nsegments at 0.
 */
int elf_check(const void *image, size_t size, struct elf_info *out, const char **reason);

#endif
