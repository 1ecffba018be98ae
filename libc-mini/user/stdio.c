/*
 * printf, puts and putchar for servers. Output goes to the console server
 * once console_open() has found it, and to the kernel log (SYS_DEBUG_WRITE)
 * before that and in tasks that must not call the console (init, the
 * console itself). printf gathers its output in a small buffer so that one
 * call usually becomes one message.
 */
#include <mica/console.h>
#include <mica/fmt.h>
#include <mica/syscall.h>
#include <stdio.h>
#include <string.h>

static long out_write(const char *s, size_t n)
{
    if (console_is_open())
        return console_write(s, n);
    return mica_debug_write(s, n);
}

struct out_buf {
    char data[256];
    size_t used;
    int failed;
};

static void out_flush(struct out_buf *b)
{
    if (b->used && out_write(b->data, b->used) < 0)
        b->failed = 1;
    b->used = 0;
}

static void out_emit(void *ctx, const char *s, size_t n)
{
    struct out_buf *b = ctx;
    if (n > sizeof(b->data) - b->used)
        out_flush(b);
    if (n > sizeof(b->data)) {
        if (out_write(s, n) < 0)
            b->failed = 1;
        return;
    }
    memcpy(b->data + b->used, s, n);
    b->used += n;
}

int printf(const char *restrict fmt, ...)
{
    struct out_buf b = {.used = 0, .failed = 0};
    va_list ap;

    va_start(ap, fmt);
    int n = mica_vformat(out_emit, &b, fmt, ap);
    va_end(ap);
    out_flush(&b);
    return b.failed ? -1 : n;
}

int puts(const char *s)
{
    struct out_buf b = {.used = 0, .failed = 0};

    out_emit(&b, s, strlen(s));
    out_emit(&b, "\n", 1);
    out_flush(&b);
    return b.failed ? EOF : 1;
}

int putchar(int c)
{
    char ch = (char)c;
    return out_write(&ch, 1) < 0 ? EOF : (unsigned char)ch;
}
