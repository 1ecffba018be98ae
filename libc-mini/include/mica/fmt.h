/*
 * mica/fmt.h - the printf formatting engine of libc-mini. It knows nothing
 * about where the text goes: it hands each piece of output to an emit
 * callback, so snprintf, the kernel console and user-space printf all share
 * one implementation of the format language (see stdio.h for what it
 * supports).
 */
#ifndef MICA_LIBC_FMT_H
#define MICA_LIBC_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* Receives n bytes of output (not NUL-terminated, n > 0). */
typedef void (*mica_emit_fn)(void *ctx, const char *s, size_t n);

/* Formats fmt with the arguments in ap, passing the text to emit in order.
 * Returns the number of bytes emitted, or -1 if that exceeds INT_MAX. */
int mica_vformat(mica_emit_fn emit, void *ctx, const char *fmt, va_list ap);

#endif
