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

/* A `syscall` as the last instruction of the user half returns to the
 * first non-canonical address: the kernel ends the task (vector 13, rip
 * 0x800000000000) instead of faulting in SYSRET or IRETQ itself. (No boot
 * instance "crasher-edge" exists: an on-demand crasher is used.) */
KTEST(fault, syscall_at_end_of_user_half_killed)
{
    crash_and_check("crasher-edge", CRASH_SYSCALL_EDGE);
}

/* A pager that answers "mapped" without mapping: the kernel's user copy
 * fails with MICA_EFAULT after a few rounds, and the task's own access
 * ends the task (vector 14) instead of looping for ever. (On-demand, as
 * above.) */
KTEST(fault, lying_pager_bounded)
{
    crash_and_check("crasher-pager", CRASH_PAGER_RETRY);
}

/* SYS_TASK_KILL needs MICA_RIGHT_KILL on the task handle: a task's own
 * handle lacks it, and so does a copy made without it. NS_SPAWN's reply
 * carries a handle with it to the program started, which then ends the
 * program: the program's endpoint and the handle say MICA_EDEAD after. */
KTEST(fault, task_kill_needs_the_right)
{
    uint64_t id, task, ep;
    struct mica_task_info ti;
    KT_STATUS(mica_task_kill(MICA_HANDLE_SELF), MICA_ERIGHTS);
    KT_OK(ns_spawn_task("crasher", &id, &task));
    long weak = mica_handle_copy(task, MICA_RIGHTS_ALL & ~MICA_RIGHT_KILL, 0);
    long lookup = kt_lookup("crasher", &ep, LOOKUP_MS);
    long without = mica_task_kill((uint64_t)weak);
    bool alive = task_with_id(id, &ti) && ti.state != MICA_TASK_DEAD;
    long with = mica_task_kill(task);
    bool dead = !task_with_id(id, &ti) || ti.state == MICA_TASK_DEAD;
    long again = mica_task_kill(task);
    long weak_again = mica_task_kill((uint64_t)weak);
    struct mica_msg go = {MICA_INFO(CRASH_GO, 0), {0}};
    long send = lookup == MICA_OK ? kt_send(ep, &go, 1000) : MICA_EDEAD;
    mica_handle_close(task);
    if (weak > 0)
        mica_handle_close((uint64_t)weak);
    if (lookup == MICA_OK)
        mica_handle_close(ep);
    KT_CMP(weak, >, 0);
    KT_OK(lookup);
    KT_STATUS(without, MICA_ERIGHTS);
    KT_ASSERT(alive);
    KT_OK(with);
    KT_ASSERT(dead);
    KT_STATUS(again, MICA_EDEAD);
    KT_STATUS(weak_again, MICA_ERIGHTS);
    KT_STATUS(send, MICA_EDEAD);
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

struct spinner {
    volatile bool stop;
    volatile uint64_t count;
};

/* On CPU 0, with the test's thread: the yields below must switch to it
 * (with more CPUs it would otherwise spin on one of its own). */
static void spin(void *arg)
{
    struct spinner *s = arg;
    mica_thread_affinity(MICA_THREAD_SELF, 1);
    while (!s->stop)
        s->count++;
    mica_thread_affinity(MICA_THREAD_SELF, MICA_CPUS_ALL);
}

#define RFLAGS_NT (1ull << 14)

static uint64_t read_rflags(void)
{
    uint64_t f;
    __asm__ volatile("pushfq\n\tpopq %0" : "=r"(f));
    return f;
}

static void write_rflags(uint64_t f)
{
    __asm__ volatile("pushq %0\n\tpopfq" : : "r"(f) : "cc", "memory");
}

/* RFLAGS.NT is the user's to set (POPF at CPL 3 may), and IRETQ with NT
 * set raises #GP in 64-bit mode (SDM Vol. 2A, IRET). The syscall entry
 * clears it (IA32_FMASK), so that no IRETQ of the kernel's, for this thread
 * or the one it switches to, runs with it; SYSRET gives it back. */
KTEST(fault, nt_flag_across_syscalls)
{
    struct spinner s = {0};
    KT_OK(mica_thread_affinity(MICA_THREAD_SELF, 1));
    int job = kt_spawn(spin, &s);
    uint64_t start = mica_clock_ms();
    while (s.count == 0 && mica_clock_ms() - start < DEATH_MS)
        mica_yield(); /* until it is here and has run */
    s.count = 0;
    uint64_t saved = read_rflags();
    write_rflags(saved | RFLAGS_NT);
    for (unsigned i = 0; i < 50; i++)
        mica_yield();
    uint64_t after = read_rflags();
    write_rflags(saved & ~RFLAGS_NT);
    s.stop = true;
    KT_ASSERT(kt_join(job, DEATH_MS));
    KT_OK(mica_thread_affinity(MICA_THREAD_SELF, MICA_CPUS_ALL));
    KT_ASSERT(after & RFLAGS_NT);
    KT_CMP(s.count, >, 0);
}
