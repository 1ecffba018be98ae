/*
 * secsuite: the in-guest attack suite (docs: tests/security/CMakeLists.txt).
 * The security ISO boots it as the module "secsuite-boot", supervised by
 * init like a server. It registers the control endpoint its peers report
 * to (../sec.h), says it is up, waits until the rest of the system has
 * settled, runs every attack (tests/guest/ktest.h: one `TEST <suite>.<name>
 * PASS|FAIL|SKIP` line each, then `TESTS: <n> passed, <n> failed` on the
 * kernel log) and stays blocked afterwards: the harness stops QEMU once it
 * has read the summary.
 */
#include <mica/ns.h>
#include <mica/syscall.h>

#include "secsuite.h"

static void say(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    mica_debug_write(s, n);
}

int main(void)
{
    long ep = mica_endpoint_create();
    long give =
        ep > 0 ? mica_handle_copy((uint64_t)ep, MICA_RIGHT_SEND | MICA_RIGHT_GRANT, 0)
               : ep;
    long st = give > 0 ? ns_register(SEC_CTL_NAME, (uint64_t)give) : give;
    if (give > 0)
        mica_handle_close((uint64_t)give);
    if (st != MICA_OK) {
        ns_ready();
        say("\nTEST secsuite.setup FAIL cannot register the control endpoint\n"
            "TESTS: 0 passed, 1 failed\n");
        for (;;)
            mica_sleep_ms(60000);
    }
    sec_ctl_init((uint64_t)ep);
    ktest_set_cleanup(sec_cleanup);
    kt_wait_for_quiet();
    /* The shell's prompt has no newline: start the report on a line of its
     * own. */
    say("\n");
    ktest_run_all();
    for (;;)
        mica_sleep_ms(60000);
}
