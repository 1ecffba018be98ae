/*
 * mica_debug_write: text for the kernel log. The kernel shows a task's
 * text as its own lines, `[<name>] <text>`, unless the call carries a
 * handle to the log with SEND; init gives one (NS_CAP_LOG_WRITE) to the
 * tasks its policy names (caps=rawlog on the module line), whose lines are those of
 * SPEC section 8 that tests read. It is asked for once, on the first
 * write; init, which holds the log itself, says so with mica_log_use.
 */
#include <mica/ns.h>
#include <mica/syscall.h>

static enum { LOG_UNASKED, LOG_TAGGED, LOG_RAW } log_state;
static uint64_t log_handle;

void mica_log_use(uint64_t log)
{
    log_handle = log;
    log_state = log ? LOG_RAW : LOG_TAGGED;
}

uint64_t mica_log_handle(void)
{
    return log_handle;
}

void mica_log_open(void)
{
    uint64_t h;
    if (log_state != LOG_UNASKED)
        return;
    log_state = LOG_TAGGED; /* also while asking: a line the call prints */
    if (ns_boot_cap(NS_CAP_LOG_WRITE, &h) == MICA_OK)
        mica_log_use(h);
}

/* The handle was closed or replaced behind our back (a task may close any
 * of its handles): the text is not lost, it goes in tagged. */
static bool handle_gone(long st)
{
    return log_handle && (st == MICA_EBADH || st == MICA_ETYPE || st == MICA_ERIGHTS);
}

long mica_debug_write(const char *s, size_t n)
{
    /* The kernel copies at most this much per call (kernel/syscall). */
    enum { PIECE = 512 };
    size_t done = 0;

    mica_log_open();
    while (done < n) {
        size_t k = n - done < PIECE ? n - done : PIECE;
        uint64_t a[6] = {(uint64_t)(uintptr_t)(s + done), k, log_handle};
        long st = mica_raw_syscall(SYS_DEBUG_WRITE, a, 0);
        if (handle_gone(st)) {
            mica_log_use(0);
            continue;
        }
        if (st < 0)
            return st;
        done += k;
    }
    return (long)done;
}
