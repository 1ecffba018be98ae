/*
 * crasher: a task that faults when the fault tests ask it to (protocol in
 * crasher.h). It registers its endpoint under its own task name, which is
 * how several copies of this one ELF are told apart, then waits for
 * CRASH_GO and faults in the way requested. The kernel must report the
 * fault and kill only this task.
 */
#include <mica/memory.h>
#include <mica/ns.h>
#include <mica/syscall.h>
#include <stdbool.h>
#include <string.h>

#include "crasher.h"

/* Code for CRASH_EXEC_DATA: `ret`, in .data, which is never executable. */
static uint8_t data_code[16] = {0xc3};

/* CRASH_PAGER_RETRY's pager: a thread of this task that answers every
 * page fault "mapped" (label 0) and maps nothing. */
static uint8_t pager_stack[8192] __attribute__((aligned(16)));

static void lying_pager(uint64_t ep, void *ipc_buffer)
{
    (void)ipc_buffer;
    struct mica_msg m, done = {MICA_INFO(0, 0), {0}};
    while (mica_recv(ep, &m, NULL, MICA_WAIT_FOREVER) != MICA_OK)
        ;
    for (;;)
        (void)mica_reply_recv(ep, &done, &m, NULL, MICA_WAIT_FOREVER);
}

static void fault_under_lying_pager(void)
{
    long ep = mica_endpoint_create();
    if (ep <= 0 ||
        mica_thread_create(lying_pager, pager_stack + sizeof(pager_stack),
                           (uint64_t)ep) <= 0 ||
        mica_set_pager(MICA_HANDLE_SELF, (uint64_t)ep) != MICA_OK)
        mica_exit(4);
    /* The kernel's own copy to that page asks the pager too, and gives up
     * with MICA_EFAULT. */
    if (mica_task_info(0, (struct mica_task_info *)(uintptr_t)CRASH_PAGER_VA) !=
        MICA_EFAULT)
        mica_exit(5);
    *(volatile uint64_t *)(uintptr_t)CRASH_PAGER_VA = 1;
}

/* CRASH_SPIN: threads that spin on the CPUs of a mask without a single
 * system call, so that only an interrupt from the kernel can stop them. */
static uint8_t spin_stacks[CRASH_SPIN_THREADS][4096] __attribute__((aligned(16)));
static volatile uint64_t spin_counts[CRASH_SPIN_THREADS + 1];

static void spin_forever(uint64_t slot, void *ipc_buffer)
{
    (void)ipc_buffer;
    for (;;)
        spin_counts[slot]++;
}

static void spin_on(uint64_t cpus, uint64_t threads)
{
    if (threads > CRASH_SPIN_THREADS)
        threads = CRASH_SPIN_THREADS;
    for (uint64_t i = 0; i < threads; i++) {
        long k = mica_thread_create(spin_forever, spin_stacks[i] + sizeof(spin_stacks[i]),
                                    i + 1);
        /* A pin that fails leaves the thread where the kernel put it: the
         * test sees that in TASK_INFO's thread_cpu. */
        if (k > 0)
            (void)mica_thread_affinity((uint64_t)k, cpus);
    }
    (void)mica_thread_affinity(MICA_THREAD_SELF, cpus);
    spin_forever(0, NULL);
}

/* Each frame holds a page the compiler cannot drop; the recursion cannot
 * become a loop because the buffer is used after the call. */
static uint64_t recurse(uint64_t depth)
{
    volatile uint8_t frame[4096];
    if (depth > (1ull << 40)) /* never: 64 KiB of stack end long before */
        return 0;
    frame[0] = (uint8_t)depth;
    frame[4095] = (uint8_t)depth;
    return recurse(depth + 1) + frame[0] + frame[4095];
}

static void crash(uint64_t kind)
{
    volatile uint64_t zero = 0;

    switch (kind) {
    case CRASH_NULL_WRITE:
        *(volatile uint64_t *)(uintptr_t)zero = 1;
        break;
    case CRASH_UD2:
        __asm__ volatile("ud2");
        break;
    case CRASH_DIVIDE: {
        /* div by a register so the compiler cannot see the zero. */
        uint64_t lo = 1, hi = 0, d = zero;
        __asm__ volatile("divq %2" : "+a"(lo), "+d"(hi) : "r"(d));
        break;
    }
    case CRASH_HLT:
        __asm__ volatile("hlt");
        break;
    case CRASH_WRITE_RO: {
        /* Mapped without MICA_MAP_WRITE: reading works, writing faults. */
        if (mem_alloc(CRASH_RO_VA, 1, 0) != MICA_OK)
            mica_exit(2);
        volatile uint64_t *ro = (volatile uint64_t *)(uintptr_t)CRASH_RO_VA;
        if (ro[1] != 0)
            mica_exit(3);
        ro[0] = 1;
        break;
    }
    case CRASH_EXEC_DATA:
        ((void (*)(void))(uintptr_t)data_code)();
        break;
    case CRASH_IO:
        __asm__ volatile("outb %%al, $0x80" : : "a"(0));
        break;
    case CRASH_STACK:
        recurse(zero);
        break;
    case CRASH_SYSCALL_EDGE:
        /* movabs: the edge lies far above what -mcmodel=small addresses. */
        __asm__ volatile("movabsq $crash_edge_syscall, %%rcx\n\tjmp *%%rcx"
                         :
                         : "a"((uint64_t)SYS_YIELD)
                         : "rcx");
        break;
    case CRASH_PAGER_RETRY:
        fault_under_lying_pager();
        break;
    }
}

/* Our name as the kernel knows it (the module name). */
static bool own_name(char *out, size_t size)
{
    struct mica_task_info ti;
    for (uint32_t i = 0; i < 256 && mica_task_info(i, &ti) == MICA_OK; i++) {
        if (ti.id == mica_self_id()) {
            ti.name[sizeof(ti.name) - 1] = '\0';
            strlcpy(out, ti.name, size);
            return true;
        }
    }
    return false;
}

int main(void)
{
    char name[NS_NAME_MAX];
    long ep = mica_endpoint_create();

    if (ep <= 0 || !own_name(name, sizeof(name)) ||
        ns_register(name, (uint64_t)ep) != 0) {
        ns_ready();
        return 1;
    }
    for (;;) {
        struct mica_msg m;
        if (mica_recv((uint64_t)ep, &m, NULL, MICA_WAIT_FOREVER) != MICA_OK)
            continue;
        if (MICA_INFO_LABEL(m.info) != CRASH_GO)
            continue;
        if (m.w[0] == CRASH_SPIN)
            spin_on(m.w[1], m.w[2]);
        crash(m.w[0]);
    }
}
