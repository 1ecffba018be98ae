/*
 * bench: run the benchmarks (servers/bench) and wait for them. The bench
 * task is an on-demand module; it prints its `BENCH ...` lines on the
 * kernel log, where they start serial lines of their own, and exits. The
 * shell only starts it and waits until it is gone, so that the prompt
 * comes back after the last figure.
 */
#include <mica/ns.h>
#include <mica/syscall.h>
#include <stdbool.h>
#include <stdio.h>

#include "commands.h"

/* A run takes a few seconds under TCG; this bounds a stuck one. */
#define BENCH_TIMEOUT_MS 120000
/* Rare polls: the shell wakes inside the measurements. */
#define BENCH_POLL_MS 200

/* True while the task exists and has not died. */
static bool task_running(uint64_t id)
{
    struct mica_task_info ti;
    for (uint32_t i = 0; mica_task_info(i, &ti) == MICA_OK; i++)
        if (ti.id == id)
            return ti.state != MICA_TASK_DEAD;
    return false;
}

void cmd_bench(const char *args)
{
    uint64_t id;
    long st = ns_spawn("bench", &id);
    if (st != MICA_OK) {
        printf("bench: cannot start the bench task: %s\n", mica_status_name(st));
        return;
    }
    uint64_t start = mica_clock_ms();
    while (task_running(id)) {
        if (mica_clock_ms() - start > BENCH_TIMEOUT_MS) {
            printf("bench: no end after %u s; task %llu left running\n",
                   BENCH_TIMEOUT_MS / 1000, (unsigned long long)id);
            return;
        }
        mica_sleep_ms(BENCH_POLL_MS);
    }
}
