/*
 * The kernel log thread (kernel_log.h). Log bytes are read from the kernel
 * in chunks and cut into lines; a line is printed only once it is whole,
 * and a line the kernel had already printed on serial before we bound the
 * log (the boot lines) goes to the screen only.
 *
 * While the devices are in the middle of a client's line and no client is
 * waiting for input, a log line waits up to WAIT_ROUNDS * WAIT_MS for that
 * line to end (a client printing a line in pieces); after that, or at a
 * prompt, output.c prints it below, and the client's line is repeated
 * once the log has been quiet for QUIET_MS (or before the client's next
 * output, whichever comes first).
 */
#include "kernel_log.h"

#include <mica/ns.h>
#include <mica/syscall.h>

#include "output.h"
#include "protocol.h"

#define LINE_MAX    512 /* a longer log "line" is printed in pieces */
#define WAIT_MS     20
#define WAIT_ROUNDS 5
/* A partial log line left alone this long is printed as it is. */
#define PARTIAL_MS 200
/* The log is quiet after this long: a client line it cut is repeated. */
#define QUIET_MS 200

static uint64_t log_handle, log_ntf;
static uint64_t pos;            /* next log byte to read */
static uint64_t serial_from;    /* log position where serial output starts */
static char line[LINE_MAX + 1]; /* room for a "\n" added to a partial line */
static size_t line_len;
static uint64_t line_start; /* log position of line[0] */
static uint8_t stack[8192] __attribute__((aligned(16)));

/* Prints the line gathered so far; a partial one gets an end of line. */
static void flush_line(void)
{
    size_t n = line_len, skip = 0;
    if (serial_from > line_start)
        skip = serial_from - line_start > n ? n : (size_t)(serial_from - line_start);
    if (n && line[n - 1] != '\n')
        line[n++] = '\n';
    out_log_line(line, n, skip);
    line_start += line_len;
    line_len = 0;
}

static void take(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        line[line_len++] = s[i];
        if (s[i] == '\n' || line_len == sizeof(line))
            flush_line();
    }
}

/* Reads what the kernel holds from pos on. A gap (the ring moved past
 * pos while we were behind) is said on the log line's place. */
void kernel_log_drain(void)
{
    char buf[MICA_LOG_READ_MAX];
    for (;;) {
        uint64_t at = pos;
        long n = mica_log_read(log_handle, &at, buf, sizeof(buf));
        if (n <= 0)
            return;
        if (at != pos) {
            static const char lost[] = "console: kernel log bytes were lost here\n";
            if (line_len)
                flush_line();
            out_log_line(lost, sizeof(lost) - 1, 0);
            line_start = at;
        }
        take(buf, (size_t)n);
        pos = at + (uint64_t)n;
    }
}

/* Waits until the devices are at a line start or a client is reading. */
static void wait_for_line_end(void)
{
    for (int i = 0; i < WAIT_ROUNDS && !out_at_line_start() && !out_reading(); i++) {
        out_unlock();
        mica_sleep_ms(WAIT_MS);
        out_lock();
    }
}

_Noreturn static void run(uint64_t arg, void *ipc_buffer)
{
    (void)arg;
    (void)ipc_buffer;
    for (;;) {
        out_lock();
        uint64_t timeout = line_len     ? PARTIAL_MS
                           : out_owed() ? QUIET_MS
                                        : MICA_WAIT_FOREVER;
        out_unlock();
        uint64_t bits;
        long st = mica_notify_wait(log_ntf, &bits, timeout);
        out_lock();
        if (st == MICA_ETIMEOUT && line_len) {
            flush_line();
        } else if (st == MICA_ETIMEOUT) {
            out_repay();
        } else {
            wait_for_line_end();
            kernel_log_drain();
        }
        out_unlock();
        if (st != MICA_OK && st != MICA_ETIMEOUT)
            mica_sleep_ms(WAIT_MS * 10);
    }
}

long kernel_log_start(const char **step)
{
    long st;
    *step = "boot_cap_log";
    if ((st = ns_boot_cap(NS_CAP_LOG, &log_handle)) != MICA_OK)
        return st;
    *step = "notify_create";
    long ntf = mica_notify_create();
    if (ntf < 0)
        return ntf;
    log_ntf = (uint64_t)ntf;
    *step = "log_bind";
    long shown = mica_log_bind(log_handle, log_ntf, CONSOLE_LOG_BIT);
    if (shown < 0)
        return shown;
    serial_from = (uint64_t)shown;
    /* Everything the kernel printed before: on the screen again. */
    out_lock();
    kernel_log_drain();
    out_unlock();
    *step = "thread_create";
    st = mica_thread_create(run, stack + sizeof(stack), 0);
    return st < 0 ? st : MICA_OK;
}
