/*
 * Faults of user threads: the one place that decides what a fault costs
 * the task. A page fault goes to the task's pager first, as a call with
 * label MICA_LABEL_PAGE_FAULT that the pager answers once it has mapped
 * the page; anything else, or a page fault nobody resolves, is reported
 * in one line (`mica: fault task=... vector=... rip=... addr=...
 * action=...`) and ends the whole task.
 *
 *   task_page_fault     a user page fault (arch trap code)
 *   task_resolve_fault  the kernel's user copy hit an unmapped page
 *   task_fault          any other fault: report and kill
 *
 * The pager is another task and may lie: one that answers "mapped"
 * without mapping anything would have the thread fault at the same
 * instruction and address for ever, the kernel forwarding each fault. So
 * the kernel notes the last fault the pager said it resolved; after
 * FAULT_RETRIES_MAX answers in a row for the same rip and address it asks
 * no more, and the fault counts as unresolved (a user copy fails with
 * MICA_EFAULT). A pager that never answers holds only the faulting thread,
 * which its supervisor can end with SYS_TASK_KILL.
 */
#include "task/fault.h"

#include <mica/abi.h>

#include "arch.h"
#include "ipc/ipc.h"
#include "kernel.h"
#include "mm/ram.h"
#include "sched/sched.h"
#include "task/task.h"

#define FAULT_RETRIES_MAX 8

const char *task_fate(const struct task *t)
{
    /* The supervisor said, when it started watching, whether it will
     * restart this task (init's policy; the kernel only reports it). */
    return t && t->watch && t->will_restart ? "restarted" : "killed";
}

/* Whether the pager has already said FAULT_RETRIES_MAX times in a row that
 * it resolved this very fault. */
static bool pager_gave_up(const struct thread *self, uint64_t rip, uint64_t addr)
{
    return self->fault_rip == rip && self->fault_addr == addr &&
           self->fault_retries >= FAULT_RETRIES_MAX;
}

/* The pager said it resolved the fault at (rip, addr). */
static void note_resolved(struct thread *self, uint64_t rip, uint64_t addr)
{
    if (self->fault_rip == rip && self->fault_addr == addr) {
        self->fault_retries++;
        return;
    }
    self->fault_rip = rip;
    self->fault_addr = addr;
    self->fault_retries = 1;
}

/* Whether the pager's answer resolves the fault: "resolved", or a frame
 * to map at the faulting page that the kernel maps (or that another
 * thread's fault has mapped meanwhile). */
static bool fault_answered(struct thread *self, struct task *t, uint64_t addr)
{
    if (self->fault_result == MICA_FAULT_RESOLVED)
        return true;
    if (self->fault_result != MICA_FAULT_MAP)
        return false;
    uint64_t va = addr & ~(uint64_t)(MICA_PAGE_SIZE - 1);
    int64_t st =
        ram_map_page(self->fault_ram, t, va, self->fault_index, self->fault_flags);
    self->fault_ram = NULL;
    return st == MICA_OK || (st == MICA_EBUSY && arch_vm_lookup(t->vm, va));
}

/* Sends a user page fault to the task's pager as a call; true when the
 * pager mapped the page and the access should be retried. */
static bool ask_pager(struct thread *self, uint64_t rip, uint64_t addr, uint64_t error)
{
    struct task *t = self->task;
    if (!t || !t->pager || t->pager->dead || !arch_user_range(addr, 1) ||
        pager_gave_up(self, rip, addr))
        return false;
    self->in_fault = true;
    self->fault_result = ~0ull;
    self->fault_msg =
        (struct mica_msg){MICA_INFO(MICA_LABEL_PAGE_FAULT, 0), {addr, error, rip, 0}};
    int64_t st = ipc_send(self, t->pager, t->id, true, MICA_WAIT_FOREVER);
    self->in_fault = false;
    if (st == MICA_ELOST) {
        /* The pager died holding the fault; asking again is safe (the
         * access only repeats) and reaches its restarted instance if the
         * endpoint outlives it. Counted like a "resolved" answer. */
        note_resolved(self, rip, addr);
        return true;
    }
    if (st != MICA_OK || !fault_answered(self, t, addr))
        return false;
    note_resolved(self, rip, addr);
    return true;
}

bool task_resolve_fault(uint64_t addr, uint64_t error, uint64_t rip)
{
    struct thread *self = thread_current();
    return self->task && ask_pager(self, rip, addr, error);
}

void task_page_fault(unsigned vector, uint64_t rip, uint64_t addr, uint64_t error)
{
    if (!ask_pager(thread_current(), rip, addr, error))
        task_fault(vector, rip, addr, error);
}

void task_fault(unsigned vector, uint64_t rip, uint64_t addr, uint64_t error)
{
    struct task *t = thread_current()->task;
    kprintf("mica: fault task=%s vector=%u rip=%#llx addr=%#llx action=%s\n",
            t ? t->name : "?", vector, (unsigned long long)rip, (unsigned long long)addr,
            task_fate(t));
    if (t)
        task_kill(t);
    sched_block();
    panic("a killed task ran again");
}
