/*
 * The IPC flight recorder (trace.h). One ring for all CPUs (the kernel
 * lock orders the events; each names its CPU). Events are
 * numbered from 0 at MICA_TRACE_ON; the ring keeps the last TRACE_RING of
 * them, and a reader asks from a number on (SYS_TRACE read), so that it
 * can take them in pieces and knows when some were overwritten.
 */
#include "trace/trace.h"

#include <string.h>

#include "arch.h"
#include "boot/options.h"
#include "task/task.h"

#define TRACE_RING 2048 /* events kept; 160 KiB */

bool trace_on;

static struct mica_trace_event ring[TRACE_RING];
static uint64_t next_seq; /* the number the next event gets */
static int the_trace;     /* the object trace handles name */

void *trace_object(void)
{
    return &the_trace;
}

static void name_of(const struct thread *t, uint32_t *id, uint32_t *thread, char *name)
{
    const struct task *task = t ? t->task : NULL;
    *id = task ? task->id : 0;
    *thread = t ? thread_number(t) : 0;
    strlcpy(name, task ? task->name : "kernel", MICA_TRACE_NAME);
}

void trace_record(enum mica_trace_kind kind, const struct thread *from,
                  const struct thread *to, uint32_t endpoint, uint64_t badge,
                  uint32_t label, uint32_t len)
{
    struct mica_trace_event *e = &ring[next_seq % TRACE_RING];
    *e = (struct mica_trace_event){
        .seq = next_seq,
        .tsc = arch_timestamp(),
        .cpu = arch_cpu_id(),
        .kind = kind,
        .label = label,
        .len = len,
        .badge = badge,
        .endpoint = endpoint,
    };
    name_of(from, &e->from, &e->from_thread, e->from_name);
    if (to)
        name_of(to, &e->to, &e->to_thread, e->to_name);
    else
        strlcpy(e->to_name, "-", MICA_TRACE_NAME);
    next_seq++;
}

int64_t trace_control(uint64_t op)
{
    if (op == MICA_TRACE_ON) {
        next_seq = 0;
        trace_on = true;
        arch_fastpath_set(0); /* every event through the general path */
        return MICA_OK;
    }
    if (op == MICA_TRACE_OFF) {
        trace_on = false;
        arch_fastpath_set(options_fastpath());
        return MICA_OK;
    }
    return MICA_EINVAL;
}

int64_t trace_read(uint64_t seq, uint64_t buf, uint64_t n)
{
    uint64_t oldest = next_seq > TRACE_RING ? next_seq - TRACE_RING : 0;
    if (seq < oldest)
        seq = oldest;
    uint64_t count = 0;
    for (; seq < next_seq && count < n; seq++, count++)
        if (arch_copy_to_user(buf + count * sizeof(ring[0]), &ring[seq % TRACE_RING],
                              sizeof(ring[0])) != 0)
            return MICA_EFAULT;
    return (int64_t)count;
}
