/*
 * Output to serial and screen (output.h). The client stream's current line
 * is kept, clipped to LINE_KEEP bytes, so that it can be printed again
 * under log lines that had to interrupt it.
 */
#include "output.h"

#include <mica/syscall.h>
#include <string.h>

#include "display.h"
#include "uart.h"

#define LINE_KEEP 320 /* a prompt and CON_LINE_MAX typed bytes */

static int lock_word;
static char line[LINE_KEEP];
static size_t line_len;
static bool mid_line; /* the devices' last byte was no "\n" */
static bool reading;
static bool owed; /* log lines cut the client's line: it is to be printed again */

/* One CPU runs the console's threads in turn; a busy lock is given up to
 * the holder by yielding. */
void out_lock(void)
{
    while (__atomic_exchange_n(&lock_word, 1, __ATOMIC_ACQUIRE))
        mica_yield();
}

void out_unlock(void)
{
    __atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE);
}

static void devices(const char *s, size_t n, enum out_devices to)
{
    if (n == 0)
        return;
    if (to & OUT_SERIAL)
        uart_write(s, n);
    if (to & OUT_SCREEN)
        display_write(s, n);
    mid_line = s[n - 1] != '\n';
}

/* Follows the client's line as the screen draws it: "\b" takes a cell
 * back, "\r" and "\n" start again. */
static void keep(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n' || s[i] == '\r')
            line_len = 0;
        else if (s[i] == '\b')
            line_len -= line_len > 0;
        else if (line_len < sizeof(line))
            line[line_len++] = s[i];
    }
}

void out_repay(void)
{
    if (owed) {
        owed = false;
        devices(line, line_len, OUT_BOTH);
    }
}

bool out_owed(void)
{
    return owed;
}

void out_client(const char *s, size_t n)
{
    out_repay();
    devices(s, n, OUT_BOTH);
    keep(s, n);
}

bool out_at_line_start(void)
{
    return !mid_line;
}

void out_set_reading(bool r)
{
    reading = r;
}

bool out_reading(void)
{
    return reading;
}

void out_log_line(const char *s, size_t n, size_t serial_from)
{
    if (mid_line) {
        devices("\n", 1, OUT_BOTH);
        owed = true;
    }
    if (serial_from > n)
        serial_from = n;
    devices(s, n, OUT_SCREEN);
    uart_write(s + serial_from, n - serial_from);
}
