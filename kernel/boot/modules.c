/*
 * Boot modules: checks every Multiboot2 module that GRUB loaded and reports
 * each one on the serial contract (docs/testing.md, "The serial line contract"). A module
 * is named by the first word of its command line; one that is not a well-formed ELF64
 * x86_64 executable is rejected with the validator's reason and boot goes on.
 *
 * Entry point: modules_check().
 */
#include "boot/modules.h"

#include <string.h>

#include "arch.h"
#include "kernel.h"

#define NAME_MAX_LEN 32

/* Writes the first word of the command line, sanitised, to out; "unnamed"
 * when there is none. */
static void module_name(const char *cmdline, char *out, size_t n)
{
    size_t i = 0;
    while (cmdline && *cmdline == ' ')
        cmdline++;
    for (; cmdline && cmdline[i] && cmdline[i] != ' ' && i + 1 < n; i++)
        out[i] = cmdline[i];
    out[i] = '\0';
    if (i == 0)
        strlcpy(out, "unnamed", n);
    else
        sanitize(out, n, out);
}

static struct boot_module accepted[MB2_MAX_MODULES];
static size_t accepted_count;

size_t modules_check(const struct mb2_info *info)
{
    for (size_t i = 0; i < info->module_count; i++) {
        const struct mb2_module *m = &info->modules[i];
        struct boot_module *bm = &accepted[accepted_count];
        const char *reason = NULL;
        module_name(m->cmdline, bm->name, sizeof(bm->name));

        uint64_t size = m->end - m->start;
        if (elf_check(phys_to_virt(m->start), size, &bm->elf, &reason) != 0) {
            kprintf("mica: module name=%s result=rejected reason=\"%s\"\n", bm->name,
                    reason);
            continue;
        }
        bm->phys = m->start;
        bm->size = size;
        bm->cmdline = m->cmdline;
        accepted_count++;
        kprintf("mica: module name=%s size=%llu result=ok\n", bm->name,
                (unsigned long long)size);
    }
    return accepted_count;
}

const struct boot_module *modules_get(size_t i)
{
    return i < accepted_count ? &accepted[i] : NULL;
}

static const struct boot_module *first;

void modules_set_first(const struct boot_module *m)
{
    first = m;
}

bool modules_is_first(const struct boot_module *m)
{
    return m && m == first;
}
