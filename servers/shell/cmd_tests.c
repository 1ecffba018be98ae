/*
 * tests: run the in-guest test suite (tests/guest). The runner is the
 * on-demand module "testsuite": it prints every `TEST <suite>.<name> ...`
 * line and the closing `TESTS: <n> passed, <n> failed` on the console
 * itself, then exits. The shell starts it, stays quiet while it runs (so
 * that no output of ours lands inside its report) and prompts again once
 * the task is dead, or after TESTS_TIMEOUT_MS if it never ends.
 */
#include <mica/ns.h>
#include <mica/syscall.h>
#include <stdbool.h>
#include <stdio.h>

#include "commands.h"

#define TESTS_TIMEOUT_MS (10 * 60 * 1000)
#define TESTS_POLL_MS    50

/* True while the task with this id exists and is not dead. */
static bool runner_alive(uint64_t id)
{
    struct mica_task_info ti;
    for (uint32_t i = 0; mica_task_info(i, &ti) == MICA_OK; i++)
        if (ti.id == id)
            return ti.state != MICA_TASK_DEAD;
    return false;
}

void cmd_tests(const char *args)
{
    (void)args;
    uint64_t id;
    long st = ns_spawn("testsuite", &id);
    if (st != MICA_OK) {
        printf("tests: cannot start the test runner: %s\n", mica_status_name(st));
        return;
    }
    uint64_t start = mica_clock_ms();
    while (runner_alive(id)) {
        if (mica_clock_ms() - start >= TESTS_TIMEOUT_MS) {
            printf("tests: the runner (task %llu) did not finish within %u s\n",
                   (unsigned long long)id, TESTS_TIMEOUT_MS / 1000);
            return;
        }
        mica_sleep_ms(TESTS_POLL_MS);
    }
}
