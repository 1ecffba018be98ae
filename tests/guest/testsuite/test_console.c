/*
 * Suite console: what the console server shows. A client writes a line in
 * two pieces with a kernel log line (a DEBUG_WRITE) arriving between them:
 * the console must print the log line whole and on a line of its own, and
 * the client's line whole. The verdict is on the serial log, which the
 * test cannot read: shell.tests (tests/boot/CMakeLists.txt) expects the
 * line `split-check: ab`, then the log line, and forbids the pieces.
 *
 * Only when the shell runs the suite: at boot the shell waits in CON_READ
 * and the console serves one request at a time, so a write would wait for
 * a line to be typed.
 */
#include <mica/console.h>
#include <mica/syscall.h>
#include <string.h>

#include "ktest.h"

/* Long enough for the console's log thread to wake and find the client's
 * line unfinished; shorter than its wait for the line to end. */
#define BETWEEN_MS 30

static void say(const char *s)
{
    console_write(s, strlen(s));
}

KTEST_LAST(console, log_line_never_splits_a_client_line)
{
    if (!console_is_open())
        KT_SKIP("at boot: the shell holds the console in a read");
    say("split-check: a");
    const char log[] = "split-check: log line\n";
    KT_EQ(mica_debug_write(log, sizeof(log) - 1), (long)(sizeof(log) - 1));
    KT_OK(mica_sleep_ms(BETWEEN_MS));
    say("b\n");
}
