/*
 * System call wrappers: every call goes through mica_syscall(), the one
 * place that knows the register convention of include/mica/abi.h (rax =
 * number, rdi rsi rdx r10 r8 r9 = arguments, r12 = timeout; rax = status
 * and rdi rsi rdx r10 r8 r9 = badge, info, words on return). The argument
 * registers are treated as outputs by every call, not only the receiving
 * ones, so the compiler never assumes the kernel left them intact.
 */
#include <mica/syscall.h>

/* Set by crt0 from rdi at entry. */
extern uint64_t mica_task_id;

struct regs {
    uint64_t a[6]; /* rdi, rsi, rdx, r10, r8, r9 */
};

long mica_raw_syscall(uint64_t nr, uint64_t a[6], uint64_t timeout_ms)
{
    register uint64_t rdi __asm__("rdi") = a[0];
    register uint64_t rsi __asm__("rsi") = a[1];
    register uint64_t rdx __asm__("rdx") = a[2];
    register uint64_t r10 __asm__("r10") = a[3];
    register uint64_t r8 __asm__("r8") = a[4];
    register uint64_t r9 __asm__("r9") = a[5];
    register uint64_t r12 __asm__("r12") = timeout_ms;
    uint64_t rax = nr;

    /* syscall itself overwrites rcx (return rip) and r11 (rflags). */
    __asm__ volatile("syscall"
                     : "+a"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8),
                       "+r"(r9)
                     : "r"(r12)
                     : "rcx", "r11", "memory", "cc");
    a[0] = rdi;
    a[1] = rsi;
    a[2] = rdx;
    a[3] = r10;
    a[4] = r8;
    a[5] = r9;
    return (long)rax;
}

static long mica_syscall(uint64_t nr, struct regs *r, uint64_t timeout_ms)
{
    return mica_raw_syscall(nr, r->a, timeout_ms);
}

static long syscall0(uint64_t nr)
{
    struct regs r = {{0}};
    return mica_syscall(nr, &r, 0);
}

static long syscall3(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
    struct regs r = {{a0, a1, a2}};
    return mica_syscall(nr, &r, 0);
}

/* Places a message in the registers after `first` (the endpoint), as
 * SEND, CALL and REPLY_RECV take it. */
static struct regs msg_regs(uint64_t first, const struct mica_msg *m)
{
    return (struct regs){{first, m->info, m->w[0], m->w[1], m->w[2], m->w[3]}};
}

/* Reads a received message (and badge) back out of the return registers. */
static void msg_from_regs(const struct regs *r, struct mica_msg *out, uint64_t *badge)
{
    if (badge)
        *badge = r->a[0];
    if (out)
        *out = (struct mica_msg){r->a[1], {r->a[2], r->a[3], r->a[4], r->a[5]}};
}

const char *mica_status_name(long status)
{
    switch (status) {
#define MICA_STATUS_CASE(n, name, doc)                                                   \
    case n:                                                                              \
        return #name;
        MICA_ERRORS(MICA_STATUS_CASE)
#undef MICA_STATUS_CASE
    }
    return "?";
}

uint64_t mica_self_id(void)
{
    return mica_task_id;
}

void mica_yield(void)
{
    syscall0(SYS_YIELD);
}

_Noreturn void mica_exit(int code)
{
    syscall3(SYS_EXIT, (uint64_t)(int64_t)code, 0, 0);
    for (;;)
        syscall0(SYS_YIELD);
}

long mica_send(uint64_t ep, const struct mica_msg *m)
{
    struct regs r = msg_regs(ep, m);
    return mica_syscall(SYS_SEND, &r, MICA_WAIT_FOREVER);
}

long mica_recv(uint64_t ep, struct mica_msg *out, uint64_t *badge, uint64_t timeout_ms)
{
    struct regs r = {{ep}};
    long st = mica_syscall(SYS_RECV, &r, timeout_ms);
    if (st == MICA_OK)
        msg_from_regs(&r, out, badge);
    return st;
}

long mica_reply(const struct mica_msg *m)
{
    /* REPLY has no endpoint argument: the message starts in rdi. */
    struct regs r = {{m->info, m->w[0], m->w[1], m->w[2], m->w[3]}};
    return mica_syscall(SYS_REPLY, &r, 0);
}

long mica_cpu_info(uint32_t index, struct mica_cpu_info *out)
{
    return syscall3(SYS_CPU_INFO, index, (uint64_t)(uintptr_t)out, 0);
}

long mica_thread_affinity(uint64_t thread, uint64_t cpus)
{
    return syscall3(SYS_THREAD_AFFINITY, thread, cpus, 0);
}

long mica_trace(uint64_t trace, uint32_t op, uint64_t seq, struct mica_trace_event *out,
                uint64_t n)
{
    struct regs r = {{trace, op, seq, (uint64_t)(uintptr_t)out, n}};
    return mica_syscall(SYS_TRACE, &r, 0);
}

long mica_reply_save(void)
{
    struct regs r = {{0}};
    return mica_syscall(SYS_REPLY_SAVE, &r, 0);
}

long mica_reply_to(uint64_t reply, const struct mica_msg *m)
{
    struct regs r = msg_regs(reply, m);
    return mica_syscall(SYS_REPLY_TO, &r, 0);
}

long mica_notify_signal(uint64_t ntf, uint64_t bits)
{
    return syscall3(SYS_NOTIFY_SIGNAL, ntf, bits, 0);
}

long mica_notify_wait(uint64_t ntf, uint64_t *bits, uint64_t timeout_ms)
{
    struct regs r = {{ntf}};
    long st = mica_syscall(SYS_NOTIFY_WAIT, &r, timeout_ms);
    /* The bits come back where a message's info word does (rsi). */
    if (st == MICA_OK && bits)
        *bits = r.a[1];
    return st;
}

long mica_endpoint_create(void)
{
    return syscall0(SYS_ENDPOINT_CREATE);
}

long mica_notify_create(void)
{
    return syscall0(SYS_NOTIFY_CREATE);
}

long mica_handle_close(uint64_t h)
{
    return syscall3(SYS_HANDLE_CLOSE, h, 0, 0);
}

long mica_handle_copy(uint64_t h, uint32_t rights, uint64_t badge)
{
    return syscall3(SYS_HANDLE_COPY, h, rights, badge);
}

uint64_t mica_clock_ms(void)
{
    return (uint64_t)syscall0(SYS_CLOCK);
}

long mica_sleep_ms(uint64_t ms)
{
    /* A wait on a notification nobody else holds always times out. One per
     * call, so that threads of a task can sleep at the same time (a
     * notification takes one waiter). */
    uint64_t bits;
    long ntf = mica_notify_create();
    if (ntf < 0)
        return ntf;
    long st = mica_notify_wait((uint64_t)ntf, &bits, ms ? ms : 1);
    mica_handle_close((uint64_t)ntf);
    return st == MICA_ETIMEOUT ? MICA_OK : st;
}

long mica_task_info(uint32_t index, struct mica_task_info *out)
{
    return syscall3(SYS_TASK_INFO, index, (uint64_t)(uintptr_t)out, 0);
}

long mica_ioport_enable(uint64_t io)
{
    return syscall3(SYS_IOPORT_ENABLE, io, 0, 0);
}

long mica_irq_bind(uint64_t irq, uint64_t ntf, uint64_t bits)
{
    return syscall3(SYS_IRQ_BIND, irq, ntf, bits);
}

long mica_irq_ack(uint64_t irq)
{
    return syscall3(SYS_IRQ_ACK, irq, 0, 0);
}

long mica_system(uint64_t sys, uint32_t op)
{
    return syscall3(SYS_SYSTEM, sys, op, 0);
}

static long syscall5(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                     uint64_t a4)
{
    struct regs r = {{a0, a1, a2, a3, a4}};
    return mica_syscall(nr, &r, 0);
}

long mica_map(uint64_t task, uint64_t va, uint64_t ram, uint64_t index, unsigned flags)
{
    return syscall5(SYS_MAP, task, va, ram, index, flags);
}

long mica_unmap(uint64_t task, uint64_t va)
{
    return syscall3(SYS_UNMAP, task, va, 0);
}

long mica_set_pager(uint64_t task, uint64_t ep)
{
    return syscall3(SYS_SET_PAGER, task, ep, 0);
}

long mica_mem_info(struct mica_mem_info *out)
{
    return syscall3(SYS_MEM_INFO, (uint64_t)(uintptr_t)out, 0, 0);
}

long mica_ram_info(uint64_t ram, struct mica_ram_info *out)
{
    return syscall3(SYS_RAM_INFO, ram, (uint64_t)(uintptr_t)out, 0);
}

long mica_log_bind(uint64_t log, uint64_t ntf, uint64_t bits)
{
    return syscall3(SYS_LOG_BIND, log, ntf, bits);
}

long mica_log_read(uint64_t log, uint64_t *pos, void *buf, size_t len)
{
    return syscall5(SYS_LOG_READ, log, (uint64_t)(uintptr_t)pos, (uint64_t)(uintptr_t)buf,
                    len, 0);
}

long mica_thread_create(void (*entry)(uint64_t arg, void *ipc_buffer), void *stack_top,
                        uint64_t arg)
{
    return syscall3(SYS_THREAD_CREATE, (uint64_t)(uintptr_t)entry,
                    (uint64_t)(uintptr_t)stack_top, arg);
}

long mica_task_start_for(uint64_t sys, const char *name, unsigned priority,
                         const struct mica_budget *budget, uint64_t payer, uint64_t *task)
{
    size_t n = 0;
    while (name[n])
        n++;
    struct regs r = {{sys, (uint64_t)(uintptr_t)name, n, priority,
                      (uint64_t)(uintptr_t)budget, payer}};
    long id = mica_syscall(SYS_TASK_SPAWN, &r, 0);
    /* The task handle comes back in rdi. */
    if (id > 0)
        *task = r.a[0];
    return id;
}

long mica_task_start(uint64_t sys, const char *name, unsigned priority, uint64_t *task)
{
    return mica_task_start_for(sys, name, priority, NULL, 0, task);
}

long mica_task_spawn_at(uint64_t sys, const char *name, unsigned priority)
{
    uint64_t task;
    long id = mica_task_start(sys, name, priority, &task);
    if (id > 0)
        mica_handle_close(task);
    return id;
}

long mica_task_kill(uint64_t task)
{
    return syscall3(SYS_TASK_KILL, task, 0, 0);
}

long mica_handle_info(uint64_t h, struct mica_handle_info *out)
{
    return syscall3(SYS_HANDLE_INFO, h, (uint64_t)(uintptr_t)out, 0);
}

long mica_task_notify_death(uint64_t task, uint64_t ntf, uint64_t bits)
{
    return syscall3(SYS_TASK_NOTIFY_DEATH, task, ntf, bits);
}

long mica_task_spawn(uint64_t sys, const char *name)
{
    return mica_task_spawn_at(sys, name, 0);
}

long mica_task_watch(uint64_t sys, uint64_t id, uint64_t ntf, uint64_t bits, bool restart)
{
    struct regs r = {{sys, id, ntf, bits, restart}};
    return mica_syscall(SYS_TASK_WATCH, &r, 0);
}

long mica_module_info(uint64_t sys, uint32_t index, struct mica_module_info *out)
{
    return syscall3(SYS_MODULE_INFO, sys, index, (uint64_t)(uintptr_t)out);
}

bool mica_task_find(uint64_t id, struct mica_task_info *out)
{
    struct mica_task_info ti;
    struct mica_task_info *t = out ? out : &ti;
    /* The kernel's table has at most a few dozen slots; the scan ends at
     * the first index past it (MICA_ENOENT). */
    for (uint32_t i = 0; i < 4096 && mica_task_info(i, t) == MICA_OK; i++) {
        if (t->id == id && t->state != MICA_TASK_DEAD) {
            t->name[sizeof(t->name) - 1] = '\0';
            return true;
        }
    }
    return false;
}
