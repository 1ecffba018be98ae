/*
 * Suite fault: a task that faults is reported and killed, and the rest of
 * the system lives on (SPEC §7). A faulting thread takes its whole task
 * down, so the faults happen in crasher tasks (tests/guest/crasher), one
 * per kind of fault; the harness checks the kernel's `mica: fault` lines.
 * Afterwards a crasher's endpoint answers MICA_EDEAD.
 */
#include <mica/memory.h>
#include <mica/ns.h>
#include <mica/syscall.h>

#include "../crasher/crasher.h"
#include "ktest.h"

#define LOOKUP_MS 10000
#define DEATH_MS  3000

static void crash_and_check(const char *name, enum crash_kind kind)
{
    uint64_t ep;
    struct mica_task_info ti;
    KT_OK(kt_lookup(name, &ep, LOOKUP_MS));
    KT_ASSERT(kt_task_by_name(name, &ti));
    KT_NE(ti.state, MICA_TASK_DEAD);
    struct mica_msg go = {MICA_INFO(CRASH_GO, 0), {kind}};
    long st = kt_send(ep, &go, DEATH_MS);
    mica_handle_close(ep);
    KT_OK(st);
    uint64_t start = mica_clock_ms();
    while (kt_task_by_name(name, &ti) && ti.state != MICA_TASK_DEAD &&
           mica_clock_ms() - start < DEATH_MS)
        mica_sleep_ms(10);
    /* Dead, or its slot already reused for something else. */
    KT_ASSERT(!kt_task_by_name(name, &ti) || ti.state == MICA_TASK_DEAD);
    /* The rest of the system answers: init and the memory server. */
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

/* The name service still hands out the dead task's endpoint; using it
 * must say the peer died, not block. */
KTEST(fault, dead_task_endpoint)
{
    uint64_t ep;
    struct mica_task_info ti;
    if (!kt_task_by_name("crasher-pf", &ti) || ti.state != MICA_TASK_DEAD)
        KT_SKIP("crasher-pf is not dead");
    KT_OK(kt_lookup("crasher-pf", &ep, LOOKUP_MS));
    struct mica_msg m = {MICA_INFO(1, 0), {0}}, rep;
    long send = kt_send(ep, &m, 1000);
    long call = kt_call(ep, &m, &rep, 1000);
    mica_handle_close(ep);
    KT_STATUS(send, MICA_EDEAD);
    KT_STATUS(call, MICA_EDEAD);
}
