/*
 * The IPC flight recorder (trace.c): a ring of events per CPU (struct
 * mica_trace_event, abi.h), off at boot. The general path records at the
 * places a message moves, a thread switches or an interrupt fires; while
 * recording, the arch fast paths are off, so those places see every
 * event. When off, a record site costs one test of `trace_on` that is
 * predicted not taken, and the fast paths carry no test at all.
 *
 *   TRACE            a record site (ipc.c, sched.c, irq.c, sys_ipc.c)
 *   trace_object     what the boot capability MICA_BOOT_CAP_TRACE names
 *   trace_control    SYS_TRACE on and off
 *   trace_read       SYS_TRACE read
 */
#ifndef MICA_TRACE_TRACE_H
#define MICA_TRACE_TRACE_H

#include <mica/abi.h>
#include <stdbool.h>
#include <stdint.h>

struct thread;

extern bool trace_on;

void trace_record(enum mica_trace_kind kind, const struct thread *from,
                  const struct thread *to, uint32_t endpoint, uint64_t badge,
                  uint32_t label, uint32_t len);

#define TRACE(...)                                                                       \
    do {                                                                                 \
        if (__builtin_expect(trace_on, 0))                                               \
            trace_record(__VA_ARGS__);                                                   \
    } while (0)

void *trace_object(void);
int64_t trace_control(uint64_t op);
/* Copies up to n events numbered seq and up to the user array at buf;
 * returns how many, or MICA_EFAULT. */
int64_t trace_read(uint64_t seq, uint64_t buf, uint64_t n);

#endif
