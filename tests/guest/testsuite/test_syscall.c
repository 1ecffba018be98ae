/*
 * Suite syscall: the system call layer itself (SPEC §7: any syscall with
 * any arguments returns an error, never a crash): unknown numbers, user
 * pointers that are NULL, in the kernel half, non-canonical, read-only or
 * too long, task_info bounds, the clock, and the registers a syscall must
 * leave alone.
 */
#include <mica/syscall.h>
#include <string.h>

#include "ktest.h"

#define KERNEL_ADDR       0xffffffff80000000ull
#define NON_CANONICAL     0x0000800000000000ull
#define NON_CANONICAL_HI  0x8000000000000000ull
#define USER_TOP_STRADDLE 0x00007ffffffffff0ull

static long raw3(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
    struct kt_regs r = {{a0, a1, a2}};
    return kt_syscall(nr, &r, 0);
}

KTEST(syscall, unknown_numbers)
{
    const uint64_t numbers[] = {SYS_COUNT, SYS_COUNT + 1, 1000, 1ull << 32, ~0ull};
    for (unsigned i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
        KT_STATUS(raw3(numbers[i], 0, 0, 0), MICA_ENOSYS);
}

KTEST(syscall, debug_write_bad_pointers)
{
    const uint64_t bad[] = {
        0, 1, KERNEL_ADDR, NON_CANONICAL, NON_CANONICAL_HI, USER_TOP_STRADDLE, ~0ull - 7};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        KT_STATUS(raw3(SYS_DEBUG_WRITE, bad[i], 32, 0), MICA_EFAULT);
}

KTEST(syscall, debug_write_lengths)
{
    static const char text[] = "x";
    KT_STATUS(raw3(SYS_DEBUG_WRITE, (uintptr_t)text, 513, 0), MICA_ERANGE);
    KT_STATUS(raw3(SYS_DEBUG_WRITE, (uintptr_t)text, ~0ull, 0), MICA_ERANGE);
    KT_STATUS(raw3(SYS_DEBUG_WRITE, 0, ~0ull, 0), MICA_ERANGE);
    /* Nothing to write is not an error, whatever the pointer. */
    KT_EQ(raw3(SYS_DEBUG_WRITE, (uintptr_t)text, 0, 0), 0);
}

KTEST(syscall, task_info_bad_pointers)
{
    /* Our own code is mapped but read-only: the kernel must not write it. */
    const uint64_t bad[] = {0, KERNEL_ADDR, NON_CANONICAL, USER_TOP_STRADDLE,
                            (uintptr_t)&raw3};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        KT_STATUS(raw3(SYS_TASK_INFO, 0, bad[i], 0), MICA_EFAULT);
}

KTEST(syscall, task_info_past_end)
{
    struct mica_task_info ti;
    uint32_t n = 0;
    while (n < 1000 && mica_task_info(n, &ti) == MICA_OK)
        n++;
    KT_CMP(n, >, 1);
    KT_CMP(n, <, 1000);
    KT_STATUS(mica_task_info(n, &ti), MICA_ENOENT);
    KT_STATUS(mica_task_info(1000, &ti), MICA_ENOENT);
    KT_STATUS(mica_task_info(0xffffffffu, &ti), MICA_ENOENT);
    KT_STATUS(raw3(SYS_TASK_INFO, 1ull << 32, (uintptr_t)&ti, 0), MICA_ENOENT);
}

/* The runner is "testsuite" (started by the shell) or "testsuite-boot"
 * (the test ISO). */
KTEST(syscall, task_info_self)
{
    struct mica_task_info ti;
    bool found = false;
    for (uint32_t i = 0; !found && mica_task_info(i, &ti) == MICA_OK; i++)
        found = ti.id == mica_self_id();
    KT_ASSERT(found);
    ti.name[sizeof(ti.name) - 1] = '\0';
    KT_EQ(strncmp(ti.name, "testsuite", 9), 0);
    KT_EQ(ti.state, MICA_TASK_RUNNING);
    KT_CMP(ti.pages, >, 0);
}

KTEST(syscall, mem_info)
{
    struct mica_mem_info mi;
    KT_OK(mica_mem_info(&mi));
    KT_CMP(mi.total_kib, >, 0);
    KT_CMP(mi.ram_frames, >, 0);
    KT_EQ(mi.ram_kib, mi.ram_frames * 4);
    KT_STATUS(raw3(SYS_MEM_INFO, 0, 0, 0), MICA_EFAULT);
    KT_STATUS(raw3(SYS_MEM_INFO, KERNEL_ADDR, 0, 0), MICA_EFAULT);
}

KTEST(syscall, clock_advances)
{
    uint64_t t0 = mica_clock_ms();
    KT_OK(mica_sleep_ms(30));
    uint64_t t1 = mica_clock_ms();
    KT_CMP(t1, >=, t0 + 30);
    KT_CMP(t1, <, t0 + 5000);
}

/* Privileged objects we do not hold: every one of these is refused. */
KTEST(syscall, privileged_refused)
{
    uint64_t ep = kt_endpoint();
    struct mica_ram_info ri;
    KT_STATUS(mica_system(MICA_HANDLE_SELF, MICA_SYSTEM_POWEROFF), MICA_ETYPE);
    KT_STATUS(mica_system(ep, MICA_SYSTEM_RESET), MICA_ETYPE);
    KT_STATUS(mica_ioport_enable(ep), MICA_ETYPE);
    KT_STATUS(mica_irq_bind(kt_free_slot(), ep, 1), MICA_EBADH);
    KT_STATUS(mica_irq_ack(MICA_HANDLE_SELF), MICA_ETYPE);
    KT_STATUS(mica_map(MICA_HANDLE_SELF, 0x10000000, ep, 0, 0), MICA_ETYPE);
    KT_STATUS(mica_ram_info(ep, &ri), MICA_ETYPE);
}

/* A parked thread: what a wrongly accepted thread_create would run. */
static void park(uint64_t arg, void *ipc)
{
    for (;;)
        mica_sleep_ms(60000);
}

KTEST(syscall, thread_create_bad_args)
{
    static uint8_t stack[256] __attribute__((aligned(16)));
    uint8_t *top = stack + sizeof(stack);
    KT_STATUS(mica_thread_create(park, top - 8, 0), MICA_EINVAL);
    KT_STATUS(mica_thread_create((void (*)(uint64_t, void *))KERNEL_ADDR, top, 0),
              MICA_EINVAL);
    KT_STATUS(mica_thread_create(park, (void *)(uintptr_t)KERNEL_ADDR, 0), MICA_EINVAL);
}

/* rbx and r13..r15 are callee-saved in the psABI and not named by the
 * syscall ABI: they must come back intact. */
KTEST(syscall, callee_saved_registers_kept)
{
    uint64_t out[4];
    __asm__ volatile("movabs $0x1111111111111111, %%rbx\n\t"
                     "movabs $0x1313131313131313, %%r13\n\t"
                     "movabs $0x1414141414141414, %%r14\n\t"
                     "movabs $0x1515151515151515, %%r15\n\t"
                     "mov %[yield], %%eax\n\t"
                     "syscall\n\t"
                     "mov %%rbx, 0(%[out])\n\t"
                     "mov %%r13, 8(%[out])\n\t"
                     "mov %%r14, 16(%[out])\n\t"
                     "mov %%r15, 24(%[out])"
                     :
                     : [out] "r"(out), [yield] "i"(SYS_YIELD)
                     : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
                       "r13", "r14", "r15", "memory", "cc");
    KT_EQ(out[0], 0x1111111111111111ull);
    KT_EQ(out[1], 0x1313131313131313ull);
    KT_EQ(out[2], 0x1414141414141414ull);
    KT_EQ(out[3], 0x1515151515151515ull);
}

/* ---- Timeouts of 0: a blocking call that would wait says MICA_EAGAIN at
 * once, and one whose partner is already there goes through. */

KTEST(syscall, zero_timeout_every_blocking_call)
{
    uint64_t ep = kt_endpoint(), ntf = kt_notification(), bits;
    struct mica_msg m = {MICA_INFO(1, 0), {0}}, rep;
    struct kt_regs rr = {{ep, MICA_INFO(1, 0)}};
    uint64_t t0 = mica_clock_ms();
    KT_STATUS(kt_send(ep, &m, MICA_NO_WAIT), MICA_EAGAIN);
    KT_STATUS(kt_call(ep, &m, &rep, MICA_NO_WAIT), MICA_EAGAIN);
    KT_STATUS(kt_recv(ep, &m, NULL, MICA_NO_WAIT), MICA_EAGAIN);
    KT_STATUS(kt_syscall(SYS_REPLY_RECV, &rr, MICA_NO_WAIT), MICA_EAGAIN);
    KT_STATUS(mica_notify_wait(ntf, &bits, MICA_NO_WAIT), MICA_EAGAIN);
    KT_CMP(mica_clock_ms() - t0, <, 1000);
}

struct parked_recv {
    uint64_t ep;
    long status;
    struct mica_msg got;
};

static void recv_waiting(void *arg)
{
    struct parked_recv *p = arg;
    p->status = kt_recv(p->ep, &p->got, NULL, 3000);
}

static void send_waiting(void *arg)
{
    struct parked_recv *p = arg;
    struct mica_msg m = {MICA_INFO(9, 0), {99}};
    p->status = kt_send(p->ep, &m, 3000);
}

KTEST(syscall, zero_timeout_send_to_waiting_receiver)
{
    struct parked_recv p = {.ep = kt_endpoint(), .status = 1};
    int job = kt_spawn(recv_waiting, &p);
    mica_sleep_ms(30); /* the receiver blocks first */
    struct mica_msg m = {MICA_INFO(5, 0), {55}};
    KT_OK(kt_send(p.ep, &m, MICA_NO_WAIT));
    KT_ASSERT(kt_join(job, 3000));
    KT_OK(p.status);
    KT_EQ(p.got.w[0], 55);
}

KTEST(syscall, zero_timeout_recv_from_waiting_sender)
{
    struct parked_recv p = {.ep = kt_endpoint(), .status = 1};
    int job = kt_spawn(send_waiting, &p);
    mica_sleep_ms(30); /* the sender blocks first */
    struct mica_msg m;
    KT_OK(kt_recv(p.ep, &m, NULL, MICA_NO_WAIT));
    KT_ASSERT(kt_join(job, 3000));
    KT_OK(p.status);
    KT_EQ(MICA_INFO_LABEL(m.info), 9);
    KT_EQ(m.w[0], 99);
}

KTEST(syscall, thread_create_noncanonical)
{
    static uint8_t stack[256] __attribute__((aligned(16)));
    uint8_t *top = stack + sizeof(stack);
    KT_STATUS(mica_thread_create((void (*)(uint64_t, void *))NON_CANONICAL, top, 0),
              MICA_EINVAL);
    KT_STATUS(mica_thread_create(park, (void *)(uintptr_t)NON_CANONICAL, 0), MICA_EINVAL);
    KT_STATUS(mica_thread_create(park, (void *)(uintptr_t)NON_CANONICAL_HI, 0),
              MICA_EINVAL);
}

/* SYS_CPU_INFO: CPU 0 is the boot CPU, online, running tasks, with ticks;
 * so is every other CPU; past the last CPU, MICA_ENOENT; a bad pointer,
 * MICA_EFAULT. */
KTEST(syscall, cpu_info)
{
    struct mica_cpu_info c;
    KT_OK(mica_cpu_info(0, &c));
    KT_EQ(c.id, 0);
    KT_EQ(c.state, MICA_CPU_ONLINE);
    KT_EQ(c.runs_tasks, 1);
    KT_CMP(c.ticks, >, 0);
    KT_CMP(c.idle_ticks, <=, c.ticks);
    uint32_t n = 1;
    while (mica_cpu_info(n, &c) == MICA_OK) {
        KT_EQ(c.id, n);
        KT_EQ(c.state, MICA_CPU_ONLINE);
        KT_EQ(c.runs_tasks, 1);
        KT_CMP(c.idle_ticks, <=, c.ticks);
        n++;
    }
    KT_CMP(n, <=, 8);
    KT_STATUS(mica_cpu_info(n, &c), MICA_ENOENT);
    KT_STATUS(mica_cpu_info(0xffffffffu, &c), MICA_ENOENT);
    KT_STATUS(mica_cpu_info(0, (struct mica_cpu_info *)(uintptr_t)NON_CANONICAL),
              MICA_EFAULT);
    KT_STATUS(mica_cpu_info(0, (struct mica_cpu_info *)(uintptr_t)0xffffffff80000000ull),
              MICA_EFAULT);
}
