/*
 * Fault-tolerance commands:
 *   crash <server>      make that server fault on purpose (a real fault
 *                       inside it, MICA_LABEL_CRASH), to watch init restart
 *                       it and its clients ride through
 *   fuzz <seed> <calls> [workers]
 *                       start the on-demand syscall fuzzer (on that many
 *                       threads, each on its own CPU) and wait for its
 *                       summary
 */
#include <mica/fuzz.h>
#include <mica/ns.h>
#include <mica/syscall.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

#define FUZZ_LOOKUP_MS 5000

static void crash_self(void)
{
    printf("shell: crashing on purpose\n");
    *(volatile uint64_t *)(uintptr_t)8 = 0xdead; /* page zero: #PF */
}

void cmd_crash(const char *args)
{
    char name[NS_NAME_MAX];
    if (shell_word(args, name, sizeof(name)) == 0) {
        printf("usage: crash <server>\n");
        return;
    }
    if (strcmp(name, "init") == 0) {
        printf("crash: init is the supervisor; it is not crashed on request\n");
        return;
    }
    if (strcmp(name, "shell") == 0) {
        crash_self();
        return;
    }
    uint64_t h;
    /* Through the control handle: the server's handle then carries the
     * control bit, which is what lets it obey (mica_obey_crash). */
    long st = shell_control ? ns_lookup_via(shell_control, name, &h) : MICA_ERIGHTS;
    if (st != MICA_OK) {
        printf("crash: no server named %s (%s)\n", name, mica_status_name(st));
        return;
    }
    struct mica_msg req = {MICA_INFO(MICA_LABEL_CRASH, 0), {0}}, reply;
    st = mica_call(h, &req, &reply, MICA_WAIT_FOREVER);
    mica_handle_close(h);
    if (st == MICA_ELOST)
        printf("crash: %s faulted\n", name);
    else if (st == MICA_OK)
        printf("crash: %s refused (%s)\n", name,
               mica_status_name(MICA_REPLY_STATUS(reply.info)));
    else
        printf("crash: %s: %s\n", name, mica_status_name(st));
}

void cmd_fuzz(const char *args)
{
    char *end;
    uint64_t seed = strtoull(args, &end, 0);
    uint64_t calls = strtoull(end, &end, 0);
    uint64_t workers = strtoull(end, &end, 0);
    if (end == args || calls == 0 || calls > FUZZ_MAX_CALLS ||
        workers > FUZZ_MAX_WORKERS) {
        printf(
            "usage: fuzz <seed> <calls> [workers]   (1 <= calls <= %u, workers <= %u)\n",
            FUZZ_MAX_CALLS, FUZZ_MAX_WORKERS);
        return;
    }
    struct mica_mem_info before, after;
    if (mica_mem_info(&before) != MICA_OK)
        before.kernel_kib = 0;
    uint64_t id;
    long st = ns_spawn("fuzzer", &id);
    if (st != MICA_OK) {
        printf("fuzz: cannot start the fuzzer: %s\n", mica_status_name(st));
        return;
    }
    struct fuzz_result r;
    uint64_t start = mica_clock_ms();
    while ((st = fuzz_run(seed, calls, (unsigned)workers, &r)) == MICA_ENOENT &&
           mica_clock_ms() - start < FUZZ_LOOKUP_MS)
        mica_sleep_ms(20);
    if (st != MICA_OK) {
        printf("fuzz: %s\n", mica_status_name(st));
        return;
    }
    printf("fuzz: seed=%llu calls=%llu ok=%llu errors=%llu\n", (unsigned long long)seed,
           (unsigned long long)r.calls, (unsigned long long)r.ok,
           (unsigned long long)r.errors);
    /* The fuzzer exits after its report; once it is gone, everything it
     * made must be back with the kernel. */
    start = mica_clock_ms();
    while (mica_task_find(id, NULL) && mica_clock_ms() - start < FUZZ_LOOKUP_MS)
        mica_sleep_ms(10);
    if (mica_mem_info(&after) == MICA_OK)
        printf("fuzz: kernel held before=%llu after=%llu KiB\n",
               (unsigned long long)before.kernel_kib,
               (unsigned long long)after.kernel_kib);
}
