/*
 * Suite fault: a task that faults is reported and killed, and the rest of
 * the system lives on (SPEC §7). A faulting thread takes its whole task
 * down, so the faults happen in crasher tasks (tests/guest/crasher), one
 * per kind of fault; the harness checks the kernel's `mica: fault` lines.
 * Afterwards the crasher's old endpoint answers MICA_EDEAD.
 *
 * On the test ISO the crashers are boot modules named crasher-<kind> that
 * init supervises: a new instance must appear (action=restarted). When the
 * runner was started from the shell there are none; each test then starts
 * the on-demand module "crasher" itself, and nobody restarts it
 * (action=killed): the test checks that it is gone for good.
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

/* The crasher to use: the supervised boot instance `supervised` if there
 * is one (test ISO), else a fresh on-demand "crasher". Sets *name to the
 * name it registered and *id to its task id. */
static long find_crasher(const char *supervised, const char **name, uint64_t *id,
                         bool *watched)
{
    struct mica_task_info ti;
    if (kt_task_by_name(supervised, &ti) && ti.state != MICA_TASK_DEAD) {
        *name = supervised;
        *id = ti.id;
        *watched = true;
        return MICA_OK;
    }
    *name = "crasher";
    *watched = false;
    return ns_spawn("crasher", id);
}

/* Makes the crasher fault, then checks: it died; a handle to its old
 * endpoint now says MICA_EDEAD instead of blocking; a supervised one was
 * restarted by init, an on-demand one stays dead; and the rest of the
 * system answers. */
static void crash_and_check(const char *supervised, enum crash_kind kind)
{
    const char *name;
    uint64_t ep, id;
    bool watched;
    struct mica_task_info ti;
    KT_OK(find_crasher(supervised, &name, &id, &watched));
    KT_OK(kt_lookup(name, &ep, LOOKUP_MS));
    KT_ASSERT(task_with_id(id, &ti));
    KT_NE(ti.state, MICA_TASK_DEAD);
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
    if (watched) {
        start = mica_clock_ms();
        while (!restarted_instance(name, id) && mica_clock_ms() - start < RESTART_MS)
            mica_sleep_ms(10);
        KT_ASSERT(restarted_instance(name, id));
    } else {
        mica_sleep_ms(200); /* init's back-off would have passed */
        KT_ASSERT(!restarted_instance(name, id));
    }
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

/* A page the memory server mapped without MICA_MAP_WRITE: #PF on write. */
KTEST(fault, write_to_readonly_killed)
{
    crash_and_check("crasher-ro", CRASH_WRITE_RO);
}

/* NX: data pages are never executable. */
KTEST(fault, exec_data_page_killed)
{
    crash_and_check("crasher-nx", CRASH_EXEC_DATA);
}

/* I/O instructions without an I/O ports capability: #GP. */
KTEST(fault, io_port_without_cap_killed)
{
    crash_and_check("crasher-io", CRASH_IO);
}

/* Runaway recursion reaches the unmapped guard page under the stack. */
KTEST(fault, stack_overflow_guard_page)
{
    crash_and_check("crasher-stack", CRASH_STACK);
}

/* Alignment checking (#AC) needs CR0.AM and EFLAGS.AC; Mica leaves it off,
 * so unaligned accesses simply work and cannot kill a task. */
KTEST(fault, unaligned_access_no_ac)
{
    static uint8_t bytes[32] __attribute__((aligned(16)));
    for (unsigned i = 0; i < sizeof(bytes); i++)
        bytes[i] = (uint8_t)i;
    uint64_t v, w;
    __asm__ volatile("movq 3(%1), %0" : "=r"(v) : "r"(bytes) : "memory");
    __asm__ volatile("movl $0x11223344, 9(%1)\n\tmovq 9(%1), %0"
                     : "=r"(w)
                     : "r"(bytes)
                     : "memory");
    KT_EQ(v, 0x0a09080706050403ull);
    KT_EQ(w & 0xffffffffull, 0x11223344ull);
}
