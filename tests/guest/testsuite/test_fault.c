/*
 * Suite fault: a task that faults is reported and killed, and the rest of
 * the system lives on (SPEC §7). A faulting thread takes its whole task
 * down, so the faults happen in crasher tasks (tests/guest/crasher), one
 * per kind of fault; the harness checks the kernel's `mica: fault` lines.
 * Afterwards the crasher's old endpoint answers MICA_EDEAD, and init has
 * started a new crasher (supervision).
 */
#include <mica/memory.h>
#include <mica/ns.h>
#include <mica/syscall.h>
#include <string.h>

#include "../crasher/crasher.h"
#include "ktest.h"

#define LOOKUP_MS  10000
#define DEATH_MS   3000
#define RESTART_MS 5000

/* The task with this id, if it still exists. */
static bool task_with_id(uint64_t id, struct mica_task_info *out)
{
    for (uint32_t i = 0; mica_task_info(i, out) == MICA_OK; i++)
        if (out->id == id)
            return true;
    return false;
}

/* A live task of this name other than `old`: the restarted instance. */
static bool restarted_instance(const char *name, uint64_t old)
{
    struct mica_task_info ti;
    for (uint32_t i = 0; mica_task_info(i, &ti) == MICA_OK; i++)
        if (ti.id != old && ti.state != MICA_TASK_DEAD && strcmp(ti.name, name) == 0)
            return true;
    return false;
}

/* Makes the crasher fault, then checks: it died; a handle to its old
 * endpoint now says MICA_EDEAD instead of blocking; init restarted it; and
 * the rest of the system answers. */
static void crash_and_check(const char *name, enum crash_kind kind)
{
    uint64_t ep;
    struct mica_task_info ti;
    KT_OK(kt_lookup(name, &ep, LOOKUP_MS));
    KT_ASSERT(kt_task_by_name(name, &ti));
    KT_NE(ti.state, MICA_TASK_DEAD);
    uint64_t id = ti.id;
    struct mica_msg go = {MICA_INFO(CRASH_GO, 0), {kind}}, rep;
    KT_OK(kt_send(ep, &go, DEATH_MS));
    uint64_t start = mica_clock_ms();
    while (task_with_id(id, &ti) && ti.state != MICA_TASK_DEAD &&
           mica_clock_ms() - start < DEATH_MS)
        mica_sleep_ms(10);
    KT_ASSERT(!task_with_id(id, &ti) || ti.state == MICA_TASK_DEAD);
    long send = kt_send(ep, &go, 1000);
    long call = kt_call(ep, &go, &rep, 1000);
    mica_handle_close(ep);
    KT_STATUS(send, MICA_EDEAD);
    KT_STATUS(call, MICA_EDEAD);
    start = mica_clock_ms();
    while (!restarted_instance(name, id) && mica_clock_ms() - start < RESTART_MS)
        mica_sleep_ms(10);
    KT_ASSERT(restarted_instance(name, id));
    uint64_t mem;
    struct mem_stats stats;
    KT_OK(kt_lookup("memory", &mem, LOOKUP_MS));
    KT_OK(mica_handle_close(mem));
    KT_OK(mem_stats(&stats));
}

KTEST(fault, page_fault_killed)
{
    crash_and_check("crasher-pf", CRASH_NULL_WRITE);
}

KTEST(fault, invalid_opcode_killed)
{
    crash_and_check("crasher-ud", CRASH_UD2);
}

KTEST(fault, divide_error_killed)
{
    crash_and_check("crasher-de", CRASH_DIVIDE);
}

KTEST(fault, privileged_instruction_killed)
{
    crash_and_check("crasher-gp", CRASH_HLT);
}
