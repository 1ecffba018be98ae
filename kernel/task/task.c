/*
 * Tasks: creation from a boot module (the ELF loader), lookup and death.
 *
 * Loading: every PT_LOAD segment gets fresh zeroed frames, the file bytes
 * are copied in through the physical map, and the pages are mapped with the
 * segment's rights (never W and X together: elf_check refused such files).
 * The user stack sits below USER_STACK_TOP with an unmapped guard page
 * under it; the IPC buffer is one page at MICA_IPC_BUFFER.
 */
#include "task/task.h"

#include <string.h>

#include "arch.h"
#include "boot/modules.h"
#include "ipc/ipc.h"
#include "kernel.h"
#include "lib/klog.h"
#include "mm/pmm.h"
#include "object/endpoint.h"
#include "sched/sched.h"

static struct task tasks[MAX_TASKS];
static struct thread threads[MAX_THREADS];
static struct pmm *frames;
static bool (*frame_keeper)(uint64_t pa);

void task_set_frame_keeper(bool (*keep)(uint64_t pa))
{
    frame_keeper = keep;
}
static uint32_t next_id = 1;

void task_init(struct pmm *pmm)
{
    frames = pmm;
}

struct task *task_by_id(uint32_t id)
{
    for (unsigned i = 0; i < MAX_TASKS; i++)
        if (tasks[i].used && tasks[i].id == id)
            return &tasks[i];
    return NULL;
}

struct task *task_by_index(unsigned i)
{
    for (unsigned k = 0, n = 0; k < MAX_TASKS; k++)
        if (tasks[k].used && n++ == i)
            return &tasks[k];
    return NULL;
}

/* Maps one fresh zeroed page; returns its physical address or 0. */
/* Maps one fresh zeroed page, charging it and the page tables it needs to
 * t's budget; returns its physical address or 0. */
static uint64_t map_new_page(struct task *t, uint64_t va, unsigned flags)
{
    uint64_t cost = 1 + arch_vm_tables_to_map(t->vm, va);
    if (!budget_charge(t, BUDGET_FRAMES, cost))
        return 0;
    uint64_t pa = pmm_alloc(frames);
    if (pa == PMM_NONE) {
        budget_uncharge(t, BUDGET_FRAMES, cost);
        return 0;
    }
    memset(phys_to_virt(pa), 0, 4096);
    if (arch_vm_map(frames, t->vm, va, pa, flags | VM_USER) != 0) {
        pmm_free(frames, pa);
        budget_uncharge(t, BUDGET_FRAMES, cost);
        return 0;
    }
    t->pages++;
    return pa;
}

int task_map_frame(struct task *t, uint64_t va, uint64_t pa, unsigned flags)
{
    uint64_t cost = arch_vm_tables_to_map(t->vm, va);
    if (!budget_charge(t, BUDGET_FRAMES, cost))
        return MICA_ENOMEM;
    if (arch_vm_map(frames, t->vm, va, pa, flags | VM_USER) != 0) {
        budget_uncharge(t, BUDGET_FRAMES, cost);
        return MICA_ENOMEM;
    }
    t->pages++;
    return MICA_OK;
}

static int load_segment(struct task *t, const uint8_t *image, const struct elf_segment *s)
{
    unsigned flags =
        ((s->flags & ELF_PF_W) ? VM_WRITE : 0) | ((s->flags & ELF_PF_X) ? VM_EXEC : 0);
    uint64_t first = ALIGN_DOWN(s->vaddr, 4096);
    uint64_t end = ALIGN_UP(s->vaddr + s->memsz, 4096);
    for (uint64_t va = first; va < end; va += 4096) {
        uint64_t pa = map_new_page(t, va, flags);
        if (!pa)
            return -1;
        /* The part of [offset, offset+filesz) that lands in this page. */
        uint64_t lo = va > s->vaddr ? va : s->vaddr;
        uint64_t hi = va + 4096 < s->vaddr + s->filesz ? va + 4096 : s->vaddr + s->filesz;
        if (lo < hi)
            memcpy((uint8_t *)phys_to_virt(pa) + (lo - va),
                   image + s->offset + (lo - s->vaddr), hi - lo);
    }
    return 0;
}

static struct thread *thread_alloc(void)
{
    for (unsigned i = 0; i < MAX_THREADS; i++) {
        /* A dead thread's kernel stack may still be in use: by the CPU
         * that runs it until it switches away. */
        bool reusable = threads[i].state == THREAD_DEAD && !sched_on_cpu(&threads[i]);
        if (threads[i].state == THREAD_FREE || reusable) {
            threads[i] = (struct thread){0};
            threads[i].kstack_top = arch_kstack_top(i);
            threads[i].state = THREAD_BLOCKED;
            threads[i].cpu = (uint8_t)arch_cpu_id();
            threads[i].affinity = MICA_CPUS_ALL;
            return &threads[i];
        }
    }
    return NULL;
}

unsigned thread_number(const struct thread *t)
{
    return t >= threads && t < threads + MAX_THREADS ? (unsigned)(t - threads) + 1 : 0;
}

struct thread *thread_by_index(unsigned i)
{
    return i < MAX_THREADS ? &threads[i] : NULL;
}

static bool runs_now(const struct task *t)
{
    for (unsigned k = 0; k < TASK_MAX_THREADS; k++)
        if (t->threads[k] && sched_on_cpu(t->threads[k]))
            return true;
    return false;
}

static struct task *task_alloc(const char *name, unsigned priority)
{
    for (unsigned i = 0; i < MAX_TASKS; i++) {
        bool reusable = tasks[i].dead && !runs_now(&tasks[i]);
        if (!tasks[i].used || reusable) {
            struct task *t = &tasks[i];
            *t = (struct task){0};
            t->used = true;
            t->id = next_id++;
            t->priority = priority;
            strlcpy(t->name, name, sizeof(t->name));
            return t;
        }
    }
    return NULL;
}

static int build_image(struct task *t, const struct boot_module *m)
{
    const uint8_t *image = phys_to_virt(m->phys);
    for (size_t i = 0; i < m->elf.nsegments; i++)
        if (load_segment(t, image, &m->elf.segments[i]) != 0)
            return -1;
    for (uint64_t va = USER_STACK_TOP - USER_STACK_SIZE; va < USER_STACK_TOP; va += 4096)
        if (!map_new_page(t, va, VM_WRITE))
            return -1;
    uint64_t buf = map_new_page(t, MICA_IPC_BUFFER, VM_WRITE);
    if (!buf)
        return -1;
    t->main->ipc_buffer_phys = buf;
    return 0;
}

static struct task *refuse(struct task *t, const char *name, const char *why, int *err)
{
    kprintf("mica: task name=%s result=refused reason=\"%s\"\n", name, why);
    *err = MICA_ENOMEM;
    if (t)
        task_kill(t);
    return NULL;
}

/* The task's first thread and address space, charged to its budget. */
static bool task_start_memory(struct task *t)
{
    struct thread *th = budget_charge(t, BUDGET_THREADS, 1) ? thread_alloc() : NULL;
    if (!th)
        return false;
    t->main = th;
    t->threads[0] = th;
    th->task = t;
    thread_set_priority(th, t->priority);
    if (!budget_charge(t, BUDGET_FRAMES, 1))
        return false;
    t->vm = arch_vm_create(frames);
    return t->vm != 0;
}

struct task *task_spawn_module(const struct boot_module *m, unsigned priority,
                               struct task *parent, const struct mica_budget *want,
                               int *err)
{
    struct task *t = task_alloc(m->name, priority);
    if (!t)
        return refuse(NULL, m->name, "no task slot", err);
    if (!parent) {
        budget_root(t, UINT64_MAX, MAX_TASKS, MAX_THREADS, MAX_ENDPOINTS, 0);
    } else if (budget_carve(parent, t, want) != MICA_OK) {
        t->used = false;
        return refuse(NULL, m->name, "over the spawner's budget", err);
    }
    if (!task_start_memory(t))
        return refuse(t, m->name, "no thread slot or out of memory", err);
    struct thread *th = t->main;
    if (build_image(t, m) != 0)
        return refuse(t, m->name, "out of memory or over its budget", err);
    if (arch_vm_count_wx(t->vm) != 0) {
        refuse(t, m->name, "writable and executable pages", err);
        *err = MICA_EINVAL;
        return NULL;
    }
    arch_fpu_init(th->fpu);
    /* rsp 16-byte aligned at entry, as the SysV ABI has it for _start. */
    th->saved_rsp =
        arch_thread_prepare(th->kstack_top, m->elf.entry, USER_STACK_TOP, t->id);
    th->frame = (struct trap_frame *)(th->kstack_top - arch_trap_frame_size());
    handle_install_at(
        &t->handles, MICA_HANDLE_SELF,
        (struct handle){MICA_OBJ_TASK, MICA_RIGHT_MANAGE | MICA_RIGHT_GRANT, t->id, t});
    sched_make_ready(th);
    return t;
}

void task_kill(struct task *t)
{
    if (!t->used || t->dead)
        return;
    t->dead = true;
    /* Its threads running on other CPUs leave user mode first: each such
     * CPU is then in the kernel, waiting for the lock, and finds its
     * thread dead when it gets it (kernel_enter). Until then its kernel
     * stack stays its own (thread_alloc) and the address space leaves its
     * CR3 before it is freed (arch_vm_destroy). */
    for (unsigned k = 0; k < TASK_MAX_THREADS; k++) {
        struct thread *th = t->threads[k];
        if (th && th->state == THREAD_RUNNING && th != thread_current())
            arch_cpu_leave_user(th->cpu);
    }
    for (unsigned k = 0; k < TASK_MAX_THREADS; k++) {
        struct thread *th = t->threads[k];
        if (!th)
            continue;
        ipc_thread_gone(th);
        arch_fpu_forget(th->fpu);
        if (th->state == THREAD_READY)
            sched_remove(th);
        th->state = THREAD_DEAD;
    }
    ipc_task_gone(t);
    klog_task_gone(t);
    if (t->pager) {
        object_unref(MICA_OBJ_ENDPOINT, t->pager);
        t->pager = NULL;
    }
    if (t->watch) {
        notification_signal(t->watch, t->watch_bits);
        object_unref(MICA_OBJ_NOTIFICATION, t->watch);
        t->watch = NULL;
    }
    for (unsigned k = 0; k < TASK_DEATH_WATCHES; k++) {
        if (t->death[k].ntf) {
            notification_signal(t->death[k].ntf, t->death[k].bits);
            object_unref(MICA_OBJ_NOTIFICATION, t->death[k].ntf);
            t->death[k].ntf = NULL;
        }
    }
    for (uint64_t h = 1; h < HANDLES_PER_TASK; h++)
        if (t->handles.slot[h].type != MICA_OBJ_NONE)
            handle_close(&t->handles, h);
    if (t->vm)
        arch_vm_destroy(frames, t->vm, frame_keeper);
    t->vm = 0;
    t->pages = 0;
    t->io_bitmap = NULL;
    budget_release(t);
}

int task_notify_death(struct task *t, struct notification *n, uint64_t bits)
{
    unsigned free = TASK_DEATH_WATCHES;
    for (unsigned k = 0; k < TASK_DEATH_WATCHES; k++) {
        if (t->death[k].ntf == n) { /* the same watcher again: new bits */
            t->death[k].bits = bits;
            return MICA_OK;
        }
        if (!t->death[k].ntf && free == TASK_DEATH_WATCHES)
            free = k;
    }
    if (free == TASK_DEATH_WATCHES)
        return MICA_ENOMEM;
    object_ref(MICA_OBJ_NOTIFICATION, n);
    t->death[free].ntf = n;
    t->death[free].bits = bits;
    return MICA_OK;
}

int64_t thread_create(uint64_t entry, uint64_t stack_top, uint64_t arg)
{
    struct task *t = thread_current()->task;
    unsigned k = 1;
    while (k < TASK_MAX_THREADS && t->threads[k])
        k++;
    if (k == TASK_MAX_THREADS)
        return MICA_ENOMEM;
    if (!arch_user_range(entry, 1) || !arch_user_range(stack_top, 1) || stack_top % 16)
        return MICA_EINVAL;
    if (!budget_charge(t, BUDGET_THREADS, 1))
        return MICA_ENOMEM;
    struct thread *th = thread_alloc();
    if (!th) {
        budget_uncharge(t, BUDGET_THREADS, 1);
        return MICA_ENOMEM;
    }
    /* The buffer is a frame of the kernel's own, which no UNMAP can take
     * away (UNMAP moves only RAM-object frames): a page the task mapped
     * there itself could be unmapped and handed to another task while the
     * kernel still copied payloads into it. */
    uint64_t buf_va = MICA_IPC_BUFFER - (uint64_t)k * 4096;
    if (arch_vm_lookup(t->vm, buf_va)) {
        th->state = THREAD_FREE;
        budget_uncharge(t, BUDGET_THREADS, 1);
        return MICA_EBUSY;
    }
    uint64_t buf = map_new_page(t, buf_va, VM_WRITE);
    if (!buf) {
        th->state = THREAD_FREE;
        budget_uncharge(t, BUDGET_THREADS, 1);
        return MICA_ENOMEM;
    }
    th->task = t;
    thread_set_priority(th, thread_current()->priority);
    th->ipc_buffer_phys = buf;
    arch_fpu_init(th->fpu);
    /* Entered as if called: rsp + 8 is 16-byte aligned (AMD64 psABI §3.2.2). */
    th->saved_rsp = arch_thread_prepare(th->kstack_top, entry, stack_top - 8, arg);
    th->frame = (struct trap_frame *)(th->kstack_top - arch_trap_frame_size());
    arch_thread_set_arg2(th->frame, buf_va);
    t->threads[k] = th;
    sched_make_ready(th);
    return k;
}
