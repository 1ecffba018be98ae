/*
 * Helpers shared by the syscall files: argument access and handle decoding.
 */
#ifndef MICA_SYSCALL_SYS_COMMON_H
#define MICA_SYSCALL_SYS_COMMON_H

#include "arch.h"
#include "syscall/syscall.h"
#include "task/task.h"

#define ARG(i) arch_syscall_arg(f, (i))

/* The live task behind a task handle (its badge holds the task id, so a
 * handle to a task that died and whose slot was reused fails). */
struct task *task_arg(struct thread *self, uint64_t h, uint32_t rights, int *err);

int64_t sys_map(struct trap_frame *f, struct thread *self);
int64_t sys_unmap(struct trap_frame *f, struct thread *self);
int64_t sys_set_pager(struct trap_frame *f, struct thread *self);
int64_t sys_mem_info(struct trap_frame *f, struct thread *self);
int64_t sys_ram_info(struct trap_frame *f, struct thread *self);
int64_t sys_thread_create(struct trap_frame *f, struct thread *self);
int64_t sys_log_bind(struct trap_frame *f, struct thread *self);
int64_t sys_log_read(struct trap_frame *f, struct thread *self);
/* The kernel log object, for init's boot capability. */
void *sys_log_object(void);
struct mb2_framebuffer;
void sys_mem_boot(struct task *init, const struct mb2_framebuffer *fb);

#endif
