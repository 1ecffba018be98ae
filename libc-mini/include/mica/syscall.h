/*
 * mica/syscall.h - typed wrappers for every system call of include/mica/abi.h,
 * for servers. Each returns the kernel's status (MICA_OK or a negative
 * MICA_E*) as a long, or the value named below (a new handle, a byte count).
 * Blocking IPC calls take a timeout in milliseconds (MICA_NO_WAIT,
 * MICA_WAIT_FOREVER or a count).
 *
 * The protocols of the servers share one reply convention, defined here:
 * the label of a reply is its status, so MICA_REPLY_STATUS(info) is
 * MICA_OK or a negative MICA_E*.
 */
#ifndef MICA_LIBC_SYSCALL_H
#define MICA_LIBC_SYSCALL_H

#include <mica/abi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MICA_MUST_CHECK __attribute__((warn_unused_result))

/* Reply convention: label = status (see above). */
#define MICA_REPLY_INFO(status, len) MICA_INFO((uint32_t)(int32_t)(status), (len))
#define MICA_REPLY_STATUS(info)      ((long)(int32_t)MICA_INFO_LABEL(info))

/* The one place that issues `syscall`: a[0..5] go in rdi rsi rdx r10 r8
 * r9 and come back with what the kernel left there (badge, info, words);
 * r12 carries the timeout. Returns rax, the status. For tests and the
 * fuzzer; everything else uses the typed wrappers below. */
long mica_raw_syscall(uint64_t nr, uint64_t a[6], uint64_t timeout_ms);

/* "EINVAL" for MICA_EINVAL and so on; "?" for a value that is no status. */
const char *mica_status_name(long status);

/* The task's id, as given by the kernel at entry (rdi); it is also the badge
 * the task's messages carry on the name service endpoint. */
uint64_t mica_self_id(void);

/* This thread's IPC buffer: payload bytes go here before a send and are
 * found here after a receive. */
static inline void *mica_ipc_buffer(void)
{
    return (void *)(uintptr_t)MICA_IPC_BUFFER;
}

/* Writes to the kernel log (COM1); returns bytes written. Longer texts are
 * cut into pieces the kernel accepts. The kernel tags each line with the
 * task's name unless the task holds the log with SEND (debug_log.c). */
long mica_debug_write(const char *s, size_t n);
/* The log handle (SEND) mica_debug_write passes from now on; 0: none. */
void mica_log_use(uint64_t log);
/* Asks init for the log with SEND once (mica_debug_write does so on its
 * first call); a task whose module line lacks caps=rawlog is refused. */
void mica_log_open(void);
/* The log handle in use, 0 if none (the fuzzer spares it). */
uint64_t mica_log_handle(void);
void mica_yield(void);
_Noreturn void mica_exit(int code);

/* Synchronous IPC. `badge` may be NULL. */
long mica_send(uint64_t ep, const struct mica_msg *m);
MICA_MUST_CHECK long mica_recv(uint64_t ep, struct mica_msg *out, uint64_t *badge,
                               uint64_t timeout_ms);
long mica_reply(const struct mica_msg *m);
/* Deferred replies: mica_reply_save moves the reply this thread owes into
 * a new reply handle (> 0) so that it may take other calls first;
 * mica_reply_to answers through it once (and closes it). Closing it
 * unanswered gives the caller MICA_ELOST. */
MICA_MUST_CHECK long mica_reply_save(void);
long mica_reply_to(uint64_t reply, const struct mica_msg *m);

/* The two calls of every request and answer, inline: the message goes
 * straight into the registers of the ABI (include/mica/abi.h) and comes
 * back out of them, a few instructions around the `syscall` (the kernel's
 * fast path passes the registers through). rbx, rbp and r12..r15 survive
 * the call; rcx and r11 do not, and neither do the message registers. */
#define MICA_IPC_SYSCALL(nr, first, m, timeout, rax_, rdi_, rsi_, rdx_, r10_, r8_, r9_)  \
    register uint64_t rdi_ __asm__("rdi") = (first);                                     \
    register uint64_t rsi_ __asm__("rsi") = (m)->info;                                   \
    register uint64_t rdx_ __asm__("rdx") = (m)->w[0];                                   \
    register uint64_t r10_ __asm__("r10") = (m)->w[1];                                   \
    register uint64_t r8_ __asm__("r8") = (m)->w[2];                                     \
    register uint64_t r9_ __asm__("r9") = (m)->w[3];                                     \
    register uint64_t r12_ __asm__("r12") = (timeout);                                   \
    long rax_ = (nr);                                                                    \
    __asm__ volatile("syscall"                                                           \
                     : "+a"(rax_), "+r"(rdi_), "+r"(rsi_), "+r"(rdx_), "+r"(r10_),       \
                       "+r"(r8_), "+r"(r9_)                                              \
                     : "r"(r12_)                                                         \
                     : "rcx", "r11", "memory", "cc")

static inline MICA_MUST_CHECK long mica_call(uint64_t ep, const struct mica_msg *req,
                                             struct mica_msg *reply, uint64_t timeout_ms)
{
    MICA_IPC_SYSCALL(SYS_CALL, ep, req, timeout_ms, rax, rdi, rsi, rdx, r10, r8, r9);
    (void)rdi;
    if (rax == MICA_OK && reply)
        *reply = (struct mica_msg){rsi, {rdx, r10, r8, r9}};
    return rax;
}

static inline MICA_MUST_CHECK long mica_reply_recv(uint64_t ep,
                                                   const struct mica_msg *reply,
                                                   struct mica_msg *out, uint64_t *badge,
                                                   uint64_t timeout_ms)
{
    MICA_IPC_SYSCALL(SYS_REPLY_RECV, ep, reply, timeout_ms, rax, rdi, rsi, rdx, r10, r8,
                     r9);
    if (rax == MICA_OK) {
        if (badge)
            *badge = rdi;
        if (out)
            *out = (struct mica_msg){rsi, {rdx, r10, r8, r9}};
    }
    return rax;
}

/* CPU `index` (SYS_CPU_INFO); MICA_ENOENT past the last. */
long mica_cpu_info(uint32_t index, struct mica_cpu_info *out);
/* Pins thread k of this task (MICA_THREAD_SELF: the caller) to the CPUs of
 * the mask (SYS_THREAD_AFFINITY). */
long mica_thread_affinity(uint64_t thread, uint64_t cpus);

/* The IPC flight recorder (abi.h SYS_TRACE) through its capability:
 * on/off returns a status, read the number of events copied. */
long mica_trace(uint64_t trace, uint32_t op, uint64_t seq, struct mica_trace_event *out,
                uint64_t n);

/* Notifications: wait stores the bits it took in *bits. */
long mica_notify_signal(uint64_t ntf, uint64_t bits);
MICA_MUST_CHECK long mica_notify_wait(uint64_t ntf, uint64_t *bits, uint64_t timeout_ms);

/* Handles: create returns the new handle (> 0) or an error. */
MICA_MUST_CHECK long mica_endpoint_create(void);
MICA_MUST_CHECK long mica_notify_create(void);
long mica_handle_close(uint64_t h);
MICA_MUST_CHECK long mica_handle_copy(uint64_t h, uint32_t rights, uint64_t badge);

/* Milliseconds since boot. */
uint64_t mica_clock_ms(void);
/* Sleeps about ms milliseconds (a wait on a private notification). */
long mica_sleep_ms(uint64_t ms);

/* Describes the task at `index` (0, 1, ... until MICA_ENOENT). */
MICA_MUST_CHECK long mica_task_info(uint32_t index, struct mica_task_info *out);

/* Drivers. */
long mica_ioport_enable(uint64_t io);
long mica_irq_bind(uint64_t irq, uint64_t ntf, uint64_t bits);
long mica_irq_ack(uint64_t irq);
long mica_system(uint64_t sys, uint32_t op);

/* The kernel log (see abi.h, SYS_LOG_BIND): bind returns the position
 * the kernel had printed up to; read returns the bytes copied from *pos
 * (raised when older bytes are gone). */
long mica_log_bind(uint64_t log, uint64_t ntf, uint64_t bits);
long mica_log_read(uint64_t log, uint64_t *pos, void *buf, size_t len);

/* Memory mechanism (the memory server's tools; see abi.h). */
long mica_map(uint64_t task, uint64_t va, uint64_t ram, uint64_t index, unsigned flags);
long mica_unmap(uint64_t task, uint64_t va); /* >= 0: the frame's index */
long mica_set_pager(uint64_t task, uint64_t ep);
long mica_mem_info(struct mica_mem_info *out);
long mica_ram_info(uint64_t ram, struct mica_ram_info *out);

/* Supervision (init, with the system capability): start the boot module
 * of that name again (returns the new task's id), and be signalled with
 * `bits` on ntf when task `id` dies. */
long mica_task_spawn(uint64_t sys, const char *name);
/* The same at a priority (1..5; 0 = the default, 4). */
long mica_task_spawn_at(uint64_t sys, const char *name, unsigned priority);
/* The same, keeping what TASK_SPAWN also returns: a handle to the new task
 * with MICA_RIGHT_KILL and MICA_RIGHT_GRANT, in *task. (The two calls
 * above close it.) */
long mica_task_start(uint64_t sys, const char *name, unsigned priority, uint64_t *task);
/* The same with a budget (NULL: the kernel's defaults) carved out of the
 * budget of `payer`, a task handle with MANAGE (0: the caller's). */
long mica_task_start_for(uint64_t sys, const char *name, unsigned priority,
                         const struct mica_budget *budget, uint64_t payer,
                         uint64_t *task);
/* Whether a live task has this id; its SYS_TASK_INFO in *out (may be
 * NULL). The one "is task id alive" of every program. */
bool mica_task_find(uint64_t id, struct mica_task_info *out);
/* What one of our handles is: its type, rights and badge. */
long mica_handle_info(uint64_t h, struct mica_handle_info *out);
/* Ends the task behind a task handle that has MICA_RIGHT_KILL. */
long mica_task_kill(uint64_t task);
/* Signals `bits` on ntf when the task behind `task` (a handle with
 * MANAGE) dies; a few such watches per task (MICA_ENOMEM past them). */
long mica_task_notify_death(uint64_t task, uint64_t ntf, uint64_t bits);
/* `restart`: whether the caller will restart the task when it dies (the
 * kernel's fault line then says action=restarted rather than killed). */
long mica_task_watch(uint64_t sys, uint64_t id, uint64_t ntf, uint64_t bits,
                     bool restart);
long mica_module_info(uint64_t sys, uint32_t index, struct mica_module_info *out);

/* For servers: a MICA_LABEL_CRASH request whose badge carries
 * NS_BADGE_CONTROL (it came through a handle init gave a control-handle
 * holder: the shell) makes this task fault on purpose; any other returns
 * MICA_ERIGHTS. */
long mica_obey_crash(uint64_t badge);

/* Defined as true by a program whose malloc must never ask the memory
 * server for its heap (init, memory, console: malloc.c says why); the
 * library's own definition, false, is weak. */
extern const bool mica_heap_arena_only;

/* A new thread in this task: it runs entry(arg, its IPC buffer) on the
 * 16-byte aligned stack_top; returning from entry is not allowed (end the
 * task with mica_exit, or block). Returns the thread's number (> 0). */
long mica_thread_create(void (*entry)(uint64_t arg, void *ipc_buffer), void *stack_top,
                        uint64_t arg);

#endif
