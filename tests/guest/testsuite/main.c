/*
 * testsuite: the task that runs the in-guest tests (tests/guest/ktest.h)
 * on the test ISO. It says it is up so that boot completes, waits until the
 * rest of the system has settled (so that no other task writes half a line
 * into the report), runs every registered test and prints the summary,
 * then stays blocked: the harness ends QEMU once it has read the summary.
 */
#include <mica/ns.h>
#include <mica/syscall.h>

#include "ktest.h"

#define SETTLE_MAX_MS   10000
#define SETTLE_QUIET_MS 300

/* True when every other live task is blocked. */
static bool others_blocked(void)
{
    struct mica_task_info ti;
    for (uint32_t i = 0; i < 256 && mica_task_info(i, &ti) == MICA_OK; i++)
        if (ti.id != mica_self_id() && ti.state == MICA_TASK_RUNNING)
            return false;
    return true;
}

/* Boot is over when all other tasks have been blocked for a while: the
 * servers wait for requests and the shell for a line, its prompt out. */
static void wait_for_quiet(void)
{
    uint64_t start = mica_clock_ms(), quiet_since = start;
    while (mica_clock_ms() - start < SETTLE_MAX_MS) {
        uint64_t now = mica_clock_ms();
        if (!others_blocked())
            quiet_since = now;
        else if (now - quiet_since >= SETTLE_QUIET_MS)
            return;
        mica_sleep_ms(10);
    }
}

int main(void)
{
    ns_ready();
    wait_for_quiet();
    /* The shell's prompt has no newline: start the report on a line of
     * its own. */
    mica_debug_write("\n", 1);
    ktest_run_all();
    for (;;)
        mica_sleep_ms(60000);
}
