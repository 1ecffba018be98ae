/*
 * stdio.h - formatted output of libc-mini. snprintf and vsnprintf work
 * everywhere (they only fill a buffer); printf, puts and putchar are
 * declared here but defined by user space later, once it has a console.
 * Conversions supported: d i u o x X c s p % with flags -+ #0, width,
 * precision (both may be *) and length modifiers hh h l ll z j t. There is
 * no floating point, no %n and no wide characters (%lc and %ls act as %c
 * and %s); unknown conversions are copied to the output as written.
 */
#ifndef MICA_LIBC_STDIO_H
#define MICA_LIBC_STDIO_H

#include <stdarg.h>
#include <stddef.h>

#define EOF (-1)

#define MICA_PRINTF_LIKE(fmt, args) __attribute__((format(__printf__, fmt, args)))

/* C99 semantics: the output is cut to size-1 bytes and NUL-terminated when
 * size > 0; the return value is the length the full output would have. */
int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap);
int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
    MICA_PRINTF_LIKE(3, 4);

/* Declared only: defined by the user-space part of libc-mini. */
int printf(const char *restrict fmt, ...) MICA_PRINTF_LIKE(1, 2);
int puts(const char *s);
int putchar(int c);

#endif
