/*
 * Kernel-wide helpers: formatted output to the kernel console and panic().
 */
#ifndef MICA_KERNEL_KERNEL_H
#define MICA_KERNEL_KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a)    (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)   (((x) + (a)-1) & ~((uint64_t)(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a)-1))

__attribute__((format(printf, 1, 2))) int kprintf(const char *fmt, ...);
int kvprintf(const char *fmt, va_list ap);

/* Broken kernel invariant: report on serial and screen and stop. Never for bad
 * user input, which gets an error code instead. */
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

/* The kernel console: COM1 always, the screen once console_attach_screen()
 * has been called with what the framebuffer tag describes. */
struct mb2_framebuffer;
/* all_mapped: the final page tables are in (any physical address works). */
void console_attach_screen(const struct mb2_framebuffer *fb, bool all_mapped);
void console_write(const char *s, size_t len);
/* A user-space console owns the screen now: the kernel keeps to serial,
 * except for panics, which take the screen back. */
void console_release_screen(void);
void console_reclaim_screen(void);

/* Copies `s` into `out` (size `n`), replacing double quotes and non-printable
 * bytes with '?', for values printed inside quotes on the serial contract. */
const char *sanitize(char *out, size_t n, const char *s);

#endif
