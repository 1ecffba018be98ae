/*
 * How a server ends: exit() (also what crt0 calls with main's result),
 * abort() and the assert() failure path. The messages go to the kernel log,
 * not the console, so they are seen even when the console is what broke.
 */
#include <assert.h>
#include <mica/syscall.h>
#include <stdio.h>
#include <stdlib.h>

/* exit status of a task that aborted, as a shell would report SIGABRT */
#define ABORT_STATUS 134

_Noreturn void exit(int status)
{
    mica_exit(status);
}

_Noreturn void abort(void)
{
    static const char msg[] = "mica: task aborted\n";
    mica_debug_write(msg, sizeof(msg) - 1);
    mica_exit(ABORT_STATUS);
}

_Noreturn void __assert_fail(const char *expr, const char *file, int line,
                             const char *func)
{
    char buf[256];
    int n = snprintf(buf, sizeof(buf), "mica: assertion failed: %s at %s:%d in %s\n",
                     expr, file, line, func);
    if (n > 0)
        mica_debug_write(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
    mica_exit(ABORT_STATUS);
}
