/*
 * Attacks nocap: the calls that need a capability this task was never
 * given: IRQ, I/O ports, system (spawn, watch, module list, power), RAM,
 * the kernel log, the IPC flight recorder. Every handle this task holds (whatever its
 * slot: init's boot capabilities sit in slots 2..10 of init's table, ours hold other
 * objects) is tried with each. Must: never MICA_OK; the refusal is
 * MICA_EBADH, MICA_ETYPE or MICA_ERIGHTS, decided on the handle before any
 * pointer or number is looked at. With no IRQ, watch or log binding to
 * make, none of the kernel's references of those kinds can be aimed by
 * this task at all.
 */
#include <mica/syscall.h>

#include "secsuite.h"

static bool refused(long st)
{
    return st == MICA_EBADH || st == MICA_ETYPE || st == MICA_ERIGHTS;
}

/* Every family once per handle 1..63 (and 0 and 64). */
#define EACH_HANDLE(h) for (uint64_t h = 0; h <= 64; h++)

#define KT_REFUSED(expr)                                                                 \
    do {                                                                                 \
        long kt_st_ = (long)(expr);                                                      \
        if (!refused(kt_st_)) {                                                          \
            kt_fail(__FILE__, __LINE__, "%s with handle %llu: got %s (%ld)", #expr,      \
                    (unsigned long long)h, kt_status_name(kt_st_), kt_st_);              \
            return;                                                                      \
        }                                                                                \
    } while (0)

/* Attack: bind an IRQ line to our notification (the console's keyboard
 * and serial interrupts would then signal us), or unmask one. */
KTEST(nocap, irq_bind_and_ack_refused)
{
    uint64_t ntf = kt_notification();
    EACH_HANDLE(h)
    {
        KT_REFUSED(mica_irq_bind(h, ntf, 1));
        KT_REFUSED(mica_irq_ack(h));
    }
}

/* Attack: start boot modules ourselves (a second "memory" would get all
 * free RAM from init), at any priority. */
KTEST(nocap, task_spawn_refused)
{
    EACH_HANDLE(h)
    {
        KT_REFUSED(mica_task_spawn_at(h, "memory", 0));
        KT_REFUSED(mica_task_spawn_at(h, SEC_PEER, 5));
    }
}

/* Attack: watch init's and the memory server's deaths, or re-point their
 * watch (the kernel keeps one notification reference per task: taking it
 * over would blind init's supervision). */
KTEST(nocap, task_watch_refused)
{
    uint64_t ntf = kt_notification();
    struct mica_task_info mem;
    KT_ASSERT(kt_task_by_name("memory", &mem));
    EACH_HANDLE(h)
    {
        KT_REFUSED(mica_task_watch(h, 1, ntf, 1, false));
        KT_REFUSED(mica_task_watch(h, mem.id, ntf, 1, true));
    }
}

/* Attack: power off or reset the machine directly. */
KTEST(nocap, system_refused)
{
    EACH_HANDLE(h)
    {
        KT_REFUSED(mica_system(h, MICA_SYSTEM_POWEROFF));
        KT_REFUSED(mica_system(h, MICA_SYSTEM_RESET));
    }
}

/* Attack: list the boot modules and their command lines. */
KTEST(nocap, module_info_refused)
{
    struct mica_module_info mi;
    EACH_HANDLE(h)
    KT_REFUSED(mica_module_info(h, 0, &mi));
}

/* Attack: enable I/O ports (COM1, PS/2, the VGA CRTC) in our bitmap. */
KTEST(nocap, ioport_enable_refused)
{
    EACH_HANDLE(h)
    KT_REFUSED(mica_ioport_enable(h));
}

/* Attack: take over the kernel log (every task's lines would go to us and
 * nowhere else) or read it. */
KTEST(nocap, log_bind_and_read_refused)
{
    uint64_t ntf = kt_notification(), pos = 0;
    char buf[16];
    EACH_HANDLE(h)
    {
        KT_REFUSED(mica_log_bind(h, ntf, 1));
        KT_REFUSED(mica_log_read(h, &pos, buf, sizeof(buf)));
    }
}

/* Attack: map frames of a RAM object into ourselves (any frame: another
 * task's memory) or ask for its size. */
KTEST(nocap, ram_map_refused)
{
    struct mica_ram_info ri;
    EACH_HANDLE(h)
    {
        KT_REFUSED(
            mica_map(MICA_HANDLE_SELF, 0x0000050000000000ull, h, 0, MICA_MAP_WRITE));
        KT_REFUSED(mica_map(MICA_HANDLE_SELF, 0x0000050000000000ull, h, 1000, 0));
        KT_REFUSED(mica_ram_info(h, &ri));
    }
}

/* Attack: turn the IPC flight recorder on and read it (it would show every
 * task's messages: who calls whom, with which labels and badges), or turn
 * it off under the shell. Must: refused with every handle we hold. */
KTEST(nocap, trace_refused)
{
    static struct mica_trace_event ev[4];
    EACH_HANDLE(h)
    {
        KT_REFUSED(mica_trace(h, MICA_TRACE_ON, 0, NULL, 0));
        KT_REFUSED(mica_trace(h, MICA_TRACE_OFF, 0, NULL, 0));
        KT_REFUSED(mica_trace(h, MICA_TRACE_READ, 0, ev, 4));
    }
}
