/*
 * Kernel command-line options (the multiboot2 line in grub.cfg).
 *
 *   mica.test=panic           fault on purpose in the kernel (panic report)
 *   mica.test=stack_overflow  overflow the kernel stack (guard page report)
 *   mica.test=ubsan           signed overflow (the UBSan kernel's report)
 *   mica.fastpath=off         IPC through the general path only (the fast
 *                             path's equivalence tests)
 */
#ifndef MICA_BOOT_OPTIONS_H
#define MICA_BOOT_OPTIONS_H

void options_parse(const char *cmdline);
/* Whether the IPC fast path is to be on (no mica.fastpath=off). */
int options_fastpath(void);
void options_run_boot_tests(void);

#endif
