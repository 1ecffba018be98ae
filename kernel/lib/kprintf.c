/*
 * kprintf(): formatted output to the kernel log (lib/klog.c), through
 * libc-mini's formatting engine (mica_vformat), and sanitize() for quoted
 * values.
 */
#include <mica/fmt.h>

#include "kernel.h"
#include "lib/klog.h"

static void emit_console(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    klog_write(s, n);
}

int kvprintf(const char *fmt, va_list ap)
{
    return mica_vformat(emit_console, NULL, fmt, ap);
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvprintf(fmt, ap);
    va_end(ap);
    return n;
}

const char *sanitize(char *out, size_t n, const char *s)
{
    size_t i = 0;
    if (n == 0)
        return "";
    for (; s && s[i] && i + 1 < n; i++)
        out[i] = (s[i] == '"' || s[i] < 0x20 || s[i] > 0x7e) ? '?' : s[i];
    out[i] = '\0';
    return out;
}
