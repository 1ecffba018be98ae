/*
 * Faults of user threads (fault.c): what the arch's trap code calls when a
 * thread of the current task faulted.
 */
#ifndef MICA_TASK_FAULT_H
#define MICA_TASK_FAULT_H

#include <stdbool.h>
#include <stdint.h>

struct task;

/* A page fault in user mode at addr: the task's pager resolves it (then
 * this returns and the access is retried), or the fault is reported and
 * the task killed, as in task_fault. `vector` is for the report. */
void task_page_fault(unsigned vector, uint64_t rip, uint64_t addr, uint64_t error);
/* Any other fault (or one the pager did not resolve): reports it in one
 * line, kills the task and runs another thread; never returns. */
__attribute__((noreturn)) void task_fault(unsigned vector, uint64_t rip, uint64_t addr,
                                          uint64_t error);
/* The kernel's copy to or from user memory hit an unmapped page: asks the
 * current task's pager, as for the task's own fault; true when mapped. */
bool task_resolve_fault(uint64_t addr, uint64_t error, uint64_t rip);
/* What becomes of t after its death, for the report lines: "restarted"
 * when its supervisor said so (SYS_TASK_WATCH), else "killed". */
const char *task_fate(const struct task *t);

#endif
