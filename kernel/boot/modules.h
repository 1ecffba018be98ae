/*
 * Boot modules that passed validation (see modules.c).
 */
#ifndef MICA_BOOT_MODULES_H
#define MICA_BOOT_MODULES_H

#include <stdbool.h>

#include "boot/elf_check.h"
#include "boot/multiboot2.h"

struct boot_module {
    char name[32];
    const char *cmdline;
    uint64_t phys, size;
    struct elf_info elf;
};

/* Validates and reports every module; returns how many were accepted. */
size_t modules_check(const struct mb2_info *info);
const struct boot_module *modules_get(size_t i);
/* The module the kernel started as the first task (init): it is not
 * started again on request (SYS_TASK_SPAWN refuses it). */
void modules_set_first(const struct boot_module *m);
bool modules_is_first(const struct boot_module *m);

#endif
