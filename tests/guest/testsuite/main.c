/*
 * testsuite: the task that runs the in-guest tests (tests/guest/ktest.h).
 * It is the on-demand module "testsuite" of every ISO and runs in one of
 * two ways, told apart by its module name:
 *
 *   testsuite       started by the shell's `tests` (NS_SPAWN). The report
 *                   goes through the console (serial and screen); the task
 *                   exits when done, and the shell, which waits for it to
 *                   be dead, prompts again.
 *   testsuite-boot  the test ISO (mica-tests) boots it like a server. It
 *                   says it is up so that boot completes, reports on the
 *                   kernel log, and stays blocked afterwards (init would
 *                   restart it if it exited): the harness ends QEMU once it
 *                   has read the summary.
 *
 * Either way it first waits until the rest of the system has settled (so
 * that no other task writes half a line into the report).
 */
#include <mica/console.h>
#include <mica/ns.h>
#include <mica/syscall.h>
#include <string.h>

#include "ktest.h"

/* Started at boot (test ISO) rather than on demand (shell)? */
static bool booted(void)
{
    struct mica_task_info ti;
    for (uint32_t i = 0; i < 256 && mica_task_info(i, &ti) == MICA_OK; i++) {
        if (ti.id == mica_self_id()) {
            ti.name[sizeof(ti.name) - 1] = '\0';
            return strcmp(ti.name, "testsuite") != 0;
        }
    }
    return true;
}

int main(void)
{
    bool at_boot = booted();
    if (at_boot)
        ns_ready();
    else if (console_open() == MICA_OK)
        ktest_set_writer(console_write);
    kt_wait_for_quiet();
    /* At boot the shell's prompt has no newline: start the report on a
     * line of its own. */
    if (at_boot)
        mica_debug_write("\n", 1);
    unsigned failed = ktest_run_all();
    if (!at_boot)
        mica_exit(failed ? 1 : 0);
    for (;;)
        mica_sleep_ms(60000);
}
