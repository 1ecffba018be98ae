/*
 * What the syscall files share: argument access, the handle decoders and
 * every handler of the table in syscall.c. A handler decodes and checks
 * all of its arguments before it changes anything, then calls the
 * mechanism (ipc/, task/, object/, mm/), and returns a status.
 *
 *   sys_ipc.c     SEND RECV CALL REPLY REPLY_RECV REPLY_SAVE REPLY_TO
 *                 NOTIFY_* *_CREATE
 *   sys_cap.c     HANDLE_CLOSE HANDLE_COPY HANDLE_INFO
 *   sys_task.c    EXIT YIELD CLOCK TASK_INFO TASK_SPAWN TASK_WATCH TASK_KILL CPU_INFO
 *                 TASK_NOTIFY_DEATH
 *                 MODULE_INFO THREAD_CREATE THREAD_AFFINITY
 *   sys_device.c  IOPORT_ENABLE IRQ_BIND IRQ_ACK SYSTEM
 *   sys_mem.c     MAP UNMAP SET_PAGER MEM_INFO RAM_INFO
 *   sys_log.c     DEBUG_WRITE LOG_BIND LOG_READ
 *   sys_trace.c   TRACE
 */
#ifndef MICA_SYSCALL_SYS_COMMON_H
#define MICA_SYSCALL_SYS_COMMON_H

#include "arch.h"
#include "syscall/syscall.h"
#include "task/task.h"

#define ARG(i) arch_syscall_arg(f, (i))

typedef int64_t (*syscall_fn)(struct trap_frame *f, struct thread *self);

/* The live task behind a task handle with `rights` (its badge holds the
 * task id, so a handle to a task that died and whose slot was reused
 * fails with MICA_EDEAD). */
struct task *task_arg(struct thread *self, uint64_t h, uint32_t rights, int *err);
/* The object behind handle h of the caller, of that type, with rights. */
void *object_arg(struct thread *self, uint64_t h, enum mica_object_type type,
                 uint32_t rights, int *err);
/* A binding's target: the notification behind h (SEND) and non-zero bits
 * to signal on it (MICA_EINVAL for none). */
struct notification *signal_arg(struct thread *self, uint64_t h, uint64_t bits, int *err);

#define SYSCALL_HANDLER(name)                                                            \
    int64_t sys_##name(struct trap_frame *f, struct thread *self)

SYSCALL_HANDLER(debug_write);
SYSCALL_HANDLER(yield);
SYSCALL_HANDLER(exit);
SYSCALL_HANDLER(send);
SYSCALL_HANDLER(recv);
SYSCALL_HANDLER(call);
SYSCALL_HANDLER(reply);
SYSCALL_HANDLER(reply_recv);
SYSCALL_HANDLER(reply_save);
SYSCALL_HANDLER(reply_to);
SYSCALL_HANDLER(trace);
SYSCALL_HANDLER(cpu_info);
SYSCALL_HANDLER(thread_affinity);
SYSCALL_HANDLER(notify_signal);
SYSCALL_HANDLER(notify_wait);
SYSCALL_HANDLER(endpoint_create);
SYSCALL_HANDLER(notify_create);
SYSCALL_HANDLER(handle_close);
SYSCALL_HANDLER(handle_copy);
SYSCALL_HANDLER(clock);
SYSCALL_HANDLER(task_info);
SYSCALL_HANDLER(ioport_enable);
SYSCALL_HANDLER(irq_bind);
SYSCALL_HANDLER(irq_ack);
SYSCALL_HANDLER(system);
SYSCALL_HANDLER(map);
SYSCALL_HANDLER(unmap);
SYSCALL_HANDLER(set_pager);
SYSCALL_HANDLER(mem_info);
SYSCALL_HANDLER(thread_create);
SYSCALL_HANDLER(ram_info);
SYSCALL_HANDLER(task_spawn);
SYSCALL_HANDLER(task_watch);
SYSCALL_HANDLER(module_info);
SYSCALL_HANDLER(log_bind);
SYSCALL_HANDLER(log_read);
SYSCALL_HANDLER(task_kill);
SYSCALL_HANDLER(task_notify_death);
SYSCALL_HANDLER(handle_info);

/* The kernel log object, for init's boot capability (sys_log.c). */
void *sys_log_object(void);
/* The RAM and screen objects, as init's boot capabilities (sys_mem.c). */
struct mb2_framebuffer;
void sys_mem_boot(struct task *init, const struct mb2_framebuffer *fb);
/* The frames of the RAM object: init's memory-server page quota. */
uint64_t sys_mem_ram_frames(void);

#endif
