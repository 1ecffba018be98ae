/*
 * System call dispatch (see syscall.c) and the kernel objects that only
 * syscalls use: I/O port ranges, IRQ lines, the system (power) object.
 */
#ifndef MICA_SYSCALL_SYSCALL_H
#define MICA_SYSCALL_SYSCALL_H

#include <stdint.h>

#include "task/task.h"

struct trap_frame;

struct ioports {
    unsigned base, count;
};

struct irq_line {
    unsigned line;
    struct notification *ntf;
    uint64_t bits;
};

void syscall_dispatch(struct trap_frame *f);
/* Gives init its boot capabilities (abi.h documents the slots). */
struct mb2_framebuffer;
void syscall_grant_boot_caps(struct task *init, const struct mb2_framebuffer *fb);
/* Gives a task a send handle (badged with its id) to init's endpoint. */
void syscall_grant_ns(struct task *t);
/* A device interrupt fired (called with the line masked). */
void irq_fire(unsigned line);
/* A user task faulted. A page fault goes to the task's pager first and
 * returns if the pager resolved it; otherwise the fault is reported, the
 * task killed, and this never returns. */
void task_fault(unsigned vector, uint64_t rip, uint64_t addr, uint64_t error);
/* The kernel's copy to or from user memory hit an unmapped page: asks the
 * current task's pager, as for the task's own fault; true when mapped. */
bool task_resolve_fault(uint64_t addr, uint64_t error, uint64_t rip);

#endif
