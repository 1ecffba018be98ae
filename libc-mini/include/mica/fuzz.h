/*
 * mica/fuzz.h - the syscall fuzzer task: its protocol and client call.
 *
 * The fuzzer is an unprivileged boot task that registers "fuzzer" and waits.
 *   FUZZ_RUN   w[0] = seed, w[1] = number of random calls (1..10^7), w[2] =
 *              workers (0 or 1: the fuzzer's one thread; up to
 *              FUZZ_MAX_WORKERS threads, each pinned to another CPU, each
 *              making the whole campaign with seed + its number). The
 *              fuzzer answers at once with its status (MICA_OK when it
 *              starts), then runs: a sweep of every syscall number (and
 *              out-of-range ones) with hostile arguments, then the random
 *              calls. It prints `fuzz: seed=<s> calls=<n>` at the start,
 *              `fuzz: heartbeat calls=<n>` every FUZZ_HEARTBEAT calls (of a
 *              worker) and
 *              `fuzz: done seed=<s> calls=<n> ok=<n> errors=<n>` at the end
 *              on the kernel log (the sums over all workers), then exits,
 *              so that the kernel reclaims
 *              everything it made and init starts a fresh fuzzer.
 *   FUZZ_WAIT  blocks until a run has ended; reply w[0] = calls made,
 *              w[1] = calls that succeeded, w[2] = calls refused with an
 *              error. (The fuzzer takes it only once its run is over.)
 * With several workers the start line ends ` workers=<w>`, and the
 * fuzzer prints `fuzz: worker <i> cpu=<c>` for each once all are pinned
 * (c: where SYS_TASK_INFO says it is; `unpinned (<status>)` follows when
 * SYS_THREAD_AFFINITY refused) and `fuzz: worker <i> done calls=<n>
 * cpu=<c>` for each at the end, before the done line.
 */
#ifndef MICA_LIBC_FUZZ_H
#define MICA_LIBC_FUZZ_H

#include <mica/abi.h>

#include <stdint.h>

enum fuzz_label {
    FUZZ_RUN = MICA_LABELS_FUZZ,
    FUZZ_WAIT = MICA_LABELS_FUZZ + 1,
};

#define FUZZ_MAX_CALLS   10000000u
#define FUZZ_HEARTBEAT   5000u
#define FUZZ_MAX_WORKERS 4u

struct fuzz_result {
    uint64_t calls, ok, errors;
};

/* Runs a campaign on `workers` threads (0 or 1: one) and waits for its
 * end. MICA_OK or a negative MICA_E*. */
long fuzz_run(uint64_t seed, uint64_t calls, unsigned workers, struct fuzz_result *out);

#endif
