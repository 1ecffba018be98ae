/*
 * ktest: the in-guest test framework. A test is a function declared with
 * KTEST(suite, name); it registers itself in the "ktests" section, so a new
 * test needs no list to be edited. ktest_run_all() runs every test in link
 * order (tests marked KTEST_LAST after all others), prints one line per
 * test, `TEST <suite>.<name> PASS|FAIL|SKIP [detail]`, and the closing
 * `TESTS: <n> passed, <n> failed` (SPEC §8).
 *
 * Assertions (KT_*) record the first failure with file:line, the
 * expression and the values, then return from the enclosing function, so
 * they belong in functions returning void: test bodies and helper jobs.
 *
 * Isolation: the framework notes which handle slots are in use before a
 * test and fails the test if it leaves new ones behind (closing them).
 * Work that must happen in another thread goes to a helper thread of a
 * small pool (kt_spawn/kt_join); each job ends before the next test runs.
 * kt_endpoint()/kt_notification() lend objects from a pool created at
 * start and drained after each test, because the kernel caps the objects a
 * task may create (TASK_OBJECT_QUOTA); tests about creation create their
 * own.
 *
 * libc-mini's name service and memory clients write payloads at
 * MICA_IPC_BUFFER, the first thread's buffer: call them from the test body
 * only, never from a helper job. A job finds its own buffer with kt_ipc().
 */
#ifndef MICA_TESTS_KTEST_H
#define MICA_TESTS_KTEST_H

#include <mica/abi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KTEST_F_LAST 1u /* runs after all others (it uses up a resource) */

struct ktest {
    const char *suite;
    const char *name;
    void (*run)(void);
    unsigned flags;
};

/* The linker collects the descriptors between __start_ktests and
 * __stop_ktests (it defines both for a section whose name is a C
 * identifier). */
#define KTEST_DEFINE(suite, name, flags)                                                 \
    static void ktest_##suite##_##name(void);                                            \
    static const struct ktest ktest_desc_##suite##_##name                                \
        __attribute__((used, section("ktests"), aligned(8))) = {                         \
            #suite, #name, ktest_##suite##_##name, (flags)};                             \
    static void ktest_##suite##_##name(void)

#define KTEST(suite, name)      KTEST_DEFINE(suite, name, 0)
#define KTEST_LAST(suite, name) KTEST_DEFINE(suite, name, KTEST_F_LAST)

/* Runs every registered test and prints the report; returns the number of
 * failures. */
unsigned ktest_run_all(void);

/* Where the report lines go: mica_debug_write (the kernel log, serial
 * only) unless told otherwise, e.g. console_write (serial and screen). */
void ktest_set_writer(long (*write)(const char *s, size_t n));

/* A function run after every test body, before the framework's own checks
 * (helper jobs joined, lent objects taken back, handles left open): a
 * program whose tests start helper tasks ends them there. NULL (the
 * default): none. */
void ktest_set_cleanup(void (*fn)(void));

/* ---- Outcome of the running test. */

/* Records a failure (only the first one of a test is kept). */
void kt_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Marks the test skipped with a reason (unless it already failed). */
void kt_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The detail of a test's PASS line (a failure's own detail wins). */
void kt_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool kt_failed(void);

#define KT_ASSERT(cond)                                                                  \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            kt_fail(__FILE__, __LINE__, "%s", #cond);                                    \
            return;                                                                      \
        }                                                                                \
    } while (0)

/* a OP b on 64-bit signed values; both are printed on failure. */
#define KT_CMP(a, op, b)                                                                 \
    do {                                                                                 \
        long long kt_a_ = (long long)(a), kt_b_ = (long long)(b);                        \
        if (!(kt_a_ op kt_b_)) {                                                         \
            kt_fail(__FILE__, __LINE__, "%s %s %s (%lld vs %lld)", #a, #op, #b, kt_a_,   \
                    kt_b_);                                                              \
            return;                                                                      \
        }                                                                                \
    } while (0)

#define KT_EQ(a, b) KT_CMP(a, ==, b)
#define KT_NE(a, b) KT_CMP(a, !=, b)

/* A status (MICA_OK or MICA_E*): printed by name on failure. */
#define KT_STATUS(expr, want)                                                            \
    do {                                                                                 \
        long kt_got_ = (long)(expr), kt_want_ = (long)(want);                            \
        if (kt_got_ != kt_want_) {                                                       \
            kt_fail(__FILE__, __LINE__, "%s: got %s (%ld), want %s", #expr,              \
                    kt_status_name(kt_got_), kt_got_, kt_status_name(kt_want_));         \
            return;                                                                      \
        }                                                                                \
    } while (0)

#define KT_OK(expr) KT_STATUS(expr, MICA_OK)

/* var = expr, which must be a new handle (> 0). */
#define KT_HANDLE(var, expr)                                                             \
    do {                                                                                 \
        long kt_h_ = (long)(expr);                                                       \
        if (kt_h_ <= 0) {                                                                \
            kt_fail(__FILE__, __LINE__, "%s: got %s (%ld), want a handle", #expr,        \
                    kt_status_name(kt_h_), kt_h_);                                       \
            return;                                                                      \
        }                                                                                \
        (var) = (uint64_t)kt_h_;                                                         \
    } while (0)

#define KT_SKIP(...)                                                                     \
    do {                                                                                 \
        kt_skip(__VA_ARGS__);                                                            \
        return;                                                                          \
    } while (0)

/* "OK", "EBADH", ... or the number for anything else. */
const char *kt_status_name(long status);

/* ---- Raw system calls: every register of the ABI, for the cases the
 * libc-mini wrappers do not reach (timeouts on send, odd numbers). */

struct kt_regs {
    uint64_t a[6]; /* in: arguments 0..5; out: rdi rsi rdx r10 r8 r9 */
};

long kt_syscall(uint64_t nr, struct kt_regs *r, uint64_t timeout_ms);
long kt_send(uint64_t ep, const struct mica_msg *m, uint64_t timeout_ms);
long kt_call(uint64_t ep, const struct mica_msg *m, struct mica_msg *reply,
             uint64_t timeout_ms);
long kt_recv(uint64_t ep, struct mica_msg *out, uint64_t *badge, uint64_t timeout_ms);

/* ---- Helper threads. */

/* Runs fn(arg) on a helper thread; returns a job number (>= 0), or -1 with
 * the test failed when no helper is free. */
int kt_spawn(void (*fn)(void *arg), void *arg);
/* Waits up to timeout_ms for the job; true when it has finished. */
bool kt_join(int job, uint64_t timeout_ms);
/* This thread's IPC buffer (the helpers' differ from the main thread's). */
void *kt_ipc(void);

/* ---- Objects lent for one test (all rights); returned automatically. */
uint64_t kt_endpoint(void);
uint64_t kt_notification(void);

/* A handle number that names nothing right now, or 0 if the table is full. */
uint64_t kt_free_slot(void);

/* Looks name up, retrying for up to timeout_ms (servers register while
 * the tests already run). */
long kt_lookup(const char *name, uint64_t *handle, uint64_t timeout_ms);

/* Finds a task by name; false if there is none. */
bool kt_task_by_name(const char *name, struct mica_task_info *out);
/* Boot is over when all other tasks have been blocked for a while (the
 * servers wait for requests, the shell for a line, its prompt out); waits
 * for that, 10 s at most. */
void kt_wait_for_quiet(void);

#endif
