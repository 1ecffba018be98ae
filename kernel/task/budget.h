/*
 * Kernel memory budgets (budget.c): every frame the kernel takes for a
 * task (page tables, its image, stack and IPC-buffer frames) and every
 * task, thread, endpoint and notification slot is charged to that task's
 * budget, and a task's
 * budget is carved out of its parent's when it is spawned. So the budgets
 * of all live tasks add up to no more than what the kernel has: a task
 * that uses up its own budget gets MICA_ENOMEM and denies no other task
 * anything, and a spawn loop ends inside the spawner's budget.
 *
 * init's budget is the kernel's: what is free once the boot is done, less
 * a reserve for the kernel's own work.
 */
#ifndef MICA_TASK_BUDGET_H
#define MICA_TASK_BUDGET_H

#include <mica/abi.h>
#include <stdbool.h>
#include <stdint.h>

struct task;

/* What is counted, and how much of each a budget holds. */
enum budget_kind {
    BUDGET_FRAMES,
    BUDGET_TASKS,
    BUDGET_THREADS,
    BUDGET_OBJECTS, /* endpoint and notification slots (object/object.h) */
    BUDGET_PAGES,   /* memory-server pages: only carried, the server enforces */
    BUDGET_KINDS
};

struct budget {
    uint64_t limit[BUDGET_KINDS];
    uint64_t used[BUDGET_KINDS]; /* children's limits included */
    uint32_t parent;             /* task id it was carved from; 0: the kernel */
};

/* Takes n of `kind` from t's budget; false (nothing taken) when it has
 * less than that left. */
bool budget_charge(struct task *t, enum budget_kind kind, uint64_t n);
void budget_uncharge(struct task *t, enum budget_kind kind, uint64_t n);

/* Sets the first task's limits (what it already uses stays counted):
 * everything the kernel can give. */
void budget_root(struct task *t, uint64_t frames, uint64_t tasks, uint64_t threads,
                 uint64_t objects, uint64_t pages);

/* Carves `want` (MICA_BUDGET_DEFAULT_* where a field is 0) out of
 * parent's budget for the new task child. MICA_OK or MICA_ENOMEM. */
int budget_carve(struct task *parent, struct task *child, const struct mica_budget *want);

/* t died: its budget goes back to its parent; its children's budgets,
 * carved from t's, and the objects it paid for that still live are moved
 * to t's parent (which held t's), so that the sums stay exact. */
void budget_release(struct task *t);

#endif
