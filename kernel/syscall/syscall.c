/*
 * System calls: one table from number to handler, bounds-checked. Every
 * handler decodes and validates its arguments (handles, rights, ranges,
 * user pointers) before it changes anything, and reports bad input with an
 * error code — never a panic.
 */
#include "syscall/syscall.h"

#include <string.h>

#include "arch.h"
#include "ipc/ipc.h"
#include "kernel.h"
#include "lib/klog.h"
#include "boot/modules.h"
#include "sched/sched.h"
#include "syscall/sys_common.h"

typedef int64_t (*syscall_fn)(struct trap_frame *f, struct thread *self);

#define DEBUG_WRITE_MAX 512

static int64_t sys_debug_write(struct trap_frame *f, struct thread *self)
{
    char buf[DEBUG_WRITE_MAX];
    uint64_t len = ARG(1);
    if (len > sizeof(buf))
        return MICA_ERANGE;
    if (arch_copy_from_user(buf, ARG(0), len) != 0)
        return MICA_EFAULT;
    klog_write(buf, len);
    klog_kick();
    return (int64_t)len;
}

static int64_t sys_yield(struct trap_frame *f, struct thread *self)
{
    sched_yield();
    return MICA_OK;
}

static int64_t sys_exit(struct trap_frame *f, struct thread *self)
{
    task_kill(self->task);
    sched_block();
    panic("a dead thread ran again");
}

/* The endpoint behind handle ARG(0), with the rights needed. */
static struct endpoint *endpoint_arg(struct thread *self, uint64_t h, uint32_t rights,
                                     uint64_t *badge, int *err)
{
    struct handle hd;
    struct endpoint *ep =
        handle_get(&self->task->handles, h, MICA_OBJ_ENDPOINT, rights, &hd, err);
    if (ep && badge)
        *badge = hd.badge;
    return ep;
}

static int64_t check_payload(const struct trap_frame *f)
{
    return MICA_INFO_LEN(ARG(1)) > MICA_IPC_PAYLOAD_MAX ? MICA_ERANGE : MICA_OK;
}

static int64_t sys_send_or_call(struct trap_frame *f, struct thread *self, bool call)
{
    int err;
    uint64_t badge;
    struct endpoint *ep = endpoint_arg(self, ARG(0), MICA_RIGHT_SEND, &badge, &err);
    if (!ep)
        return err;
    if (check_payload(f) != MICA_OK)
        return MICA_ERANGE;
    int64_t status;
    if (call && ipc_fast_call(self, ep, badge, ARG(6), &status))
        return status;
    return ipc_send(self, ep, badge, call, ARG(6));
}

static int64_t sys_send(struct trap_frame *f, struct thread *self)
{
    return sys_send_or_call(f, self, false);
}

static int64_t sys_call(struct trap_frame *f, struct thread *self)
{
    return sys_send_or_call(f, self, true);
}

static int64_t sys_recv(struct trap_frame *f, struct thread *self)
{
    int err;
    struct endpoint *ep = endpoint_arg(self, ARG(0), MICA_RIGHT_RECV, NULL, &err);
    if (!ep)
        return err;
    return ipc_recv(self, ep, ARG(6));
}

static int64_t sys_reply(struct trap_frame *f, struct thread *self)
{
    struct mica_msg m;
    arch_msg_from_frame(f, &m);
    /* REPLY takes the message from arguments 0..4, shifted down by one. */
    struct mica_msg shifted = {ARG(0), {ARG(1), ARG(2), ARG(3), ARG(4)}};
    (void)m;
    if (MICA_INFO_LEN(shifted.info) > MICA_IPC_PAYLOAD_MAX)
        return MICA_ERANGE;
    arch_msg_to_frame(f, 0, &shifted);
    return ipc_reply(self);
}

static int64_t sys_reply_recv(struct trap_frame *f, struct thread *self)
{
    int err;
    struct endpoint *ep = endpoint_arg(self, ARG(0), MICA_RIGHT_RECV, NULL, &err);
    if (!ep)
        return err;
    if (check_payload(f) != MICA_OK)
        return MICA_ERANGE;
    int64_t status;
    if (ipc_fast_reply_recv(self, ep, ARG(6), &status))
        return status;
    if (self->reply_to)
        ipc_reply(self);
    return ipc_recv(self, ep, ARG(6));
}

static int64_t sys_notify_signal(struct trap_frame *f, struct thread *self)
{
    int err;
    struct notification *n = handle_get(
        &self->task->handles, ARG(0), MICA_OBJ_NOTIFICATION, MICA_RIGHT_SEND, NULL, &err);
    if (!n)
        return err;
    notification_signal(n, ARG(1));
    return MICA_OK;
}

static int64_t sys_notify_wait(struct trap_frame *f, struct thread *self)
{
    int err;
    struct notification *n = handle_get(
        &self->task->handles, ARG(0), MICA_OBJ_NOTIFICATION, MICA_RIGHT_RECV, NULL, &err);
    if (!n)
        return err;
    return notification_wait(self, n, ARG(6));
}

static int64_t install_new(struct task *t, enum mica_object_type type, void *obj)
{
    int64_t h =
        handle_install(&t->handles, (struct handle){type, MICA_RIGHTS_ALL, 0, obj});
    if (h > 0)
        t->objects++;
    return h;
}

static int64_t sys_endpoint_create(struct trap_frame *f, struct thread *self)
{
    if (self->task->objects >= TASK_OBJECT_QUOTA)
        return MICA_ENOMEM;
    struct endpoint *ep = endpoint_alloc(self->task);
    if (!ep)
        return MICA_ENOMEM;
    int64_t h = install_new(self->task, MICA_OBJ_ENDPOINT, ep);
    if (h < 0)
        ep->owner = NULL;
    else
        ep->creator = self->task->id;
    return h;
}

static int64_t sys_notify_create(struct trap_frame *f, struct thread *self)
{
    if (self->task->objects >= TASK_OBJECT_QUOTA)
        return MICA_ENOMEM;
    struct notification *n = notification_alloc();
    if (!n)
        return MICA_ENOMEM;
    int64_t h = install_new(self->task, MICA_OBJ_NOTIFICATION, n);
    if (h > 0)
        n->creator = self->task->id;
    return h;
}

static int64_t sys_handle_close(struct trap_frame *f, struct thread *self)
{
    return handle_close(&self->task->handles, ARG(0));
}

static int64_t sys_handle_copy(struct trap_frame *f, struct thread *self)
{
    uint64_t h = ARG(0);
    struct handle_table *t = &self->task->handles;
    if (h == 0 || h >= HANDLES_PER_TASK || t->slot[h].type == MICA_OBJ_NONE)
        return MICA_EBADH;
    struct handle copy = t->slot[h];
    bool badgeable = copy.type == MICA_OBJ_ENDPOINT || copy.type == MICA_OBJ_NOTIFICATION;
    /* A badge is set once, on an unbadged handle (like minting in seL4):
     * re-badging would let a task speak as another. A task handle's badge
     * is its identity check and never changes. */
    if (ARG(2) && (!badgeable || copy.badge != 0))
        return MICA_EINVAL;
    copy.rights &= (uint32_t)ARG(1);
    if (ARG(2))
        copy.badge = ARG(2);
    return handle_install(t, copy);
}

static int64_t sys_clock(struct trap_frame *f, struct thread *self)
{
    return (int64_t)sched_now_ms();
}

static int64_t sys_task_info(struct trap_frame *f, struct thread *self)
{
    struct task *t = task_by_index((unsigned)ARG(0));
    if (ARG(0) > MAX_TASKS || !t)
        return MICA_ENOENT;
    struct mica_task_info info = {
        .id = t->id,
        .state = t->dead                                         ? MICA_TASK_DEAD
                 : (t->main && t->main->state == THREAD_BLOCKED) ? MICA_TASK_BLOCKED
                                                                 : MICA_TASK_RUNNING,
        .priority = t->priority,
        .pages = t->pages,
        .kernel_frames = t->budget.used[BUDGET_FRAMES],
        .kernel_limit = t->budget.limit[BUDGET_FRAMES],
    };
    strlcpy(info.name, t->name, sizeof(info.name));
    if (arch_copy_to_user(ARG(1), &info, sizeof(info)) != 0)
        return MICA_EFAULT;
    return MICA_OK;
}

static int64_t sys_ioport_enable(struct trap_frame *f, struct thread *self);
static int64_t sys_irq_bind(struct trap_frame *f, struct thread *self);
static int64_t sys_irq_ack(struct trap_frame *f, struct thread *self);
static int64_t sys_system(struct trap_frame *f, struct thread *self);

/* Priorities init may give (below its own, 6, and above idle, 0). */
#define SPAWN_PRIORITY_DEFAULT 4
#define SPAWN_PRIORITY_MAX     5

static int64_t sys_task_spawn(struct trap_frame *f, struct thread *self)
{
    int err;
    char name[32];
    if (!handle_get(&self->task->handles, ARG(0), MICA_OBJ_SYSTEM, MICA_RIGHT_MANAGE,
                    NULL, &err))
        return err;
    if (ARG(2) == 0 || ARG(2) >= sizeof(name))
        return MICA_ERANGE;
    if (ARG(3) > SPAWN_PRIORITY_MAX)
        return MICA_EINVAL;
    unsigned priority = ARG(3) ? (unsigned)ARG(3) : SPAWN_PRIORITY_DEFAULT;
    if (arch_copy_from_user(name, ARG(1), ARG(2)) != 0)
        return MICA_EFAULT;
    name[ARG(2)] = '\0';
    const struct boot_module *m;
    for (size_t i = 0; (m = modules_get(i)); i++) {
        if (strcmp(m->name, name) != 0)
            continue;
        if (strcmp(name, "init") == 0)
            return MICA_EINVAL; /* the supervisor itself is not restartable */
        int err;
        struct task *t = task_spawn_module(m, priority, self->task, NULL, &err);
        if (!t)
            return err;
        syscall_grant_ns(t);
        return t->id;
    }
    return MICA_ENOENT;
}

static int64_t sys_task_watch(struct trap_frame *f, struct thread *self)
{
    int err;
    if (!handle_get(&self->task->handles, ARG(0), MICA_OBJ_SYSTEM, MICA_RIGHT_MANAGE,
                    NULL, &err))
        return err;
    struct notification *n = handle_get(
        &self->task->handles, ARG(2), MICA_OBJ_NOTIFICATION, MICA_RIGHT_SEND, NULL, &err);
    if (!n)
        return err;
    struct task *t = task_by_id((uint32_t)ARG(1));
    if (ARG(1) > UINT32_MAX || !t || t->dead)
        return MICA_EDEAD;
    if (ARG(3) == 0)
        return MICA_EINVAL;
    if (t->watch)
        object_unref(MICA_OBJ_NOTIFICATION, t->watch);
    object_ref(MICA_OBJ_NOTIFICATION, n);
    t->watch = n;
    t->watch_bits = ARG(3);
    t->will_restart = ARG(4) != 0;
    return MICA_OK;
}

static int64_t sys_module_info(struct trap_frame *f, struct thread *self)
{
    int err;
    if (!handle_get(&self->task->handles, ARG(0), MICA_OBJ_SYSTEM, MICA_RIGHT_MANAGE,
                    NULL, &err))
        return err;
    const struct boot_module *m = ARG(1) < MB2_MAX_MODULES ? modules_get(ARG(1)) : NULL;
    if (!m)
        return MICA_ENOENT;
    struct mica_module_info info = {.size = m->size};
    strlcpy(info.name, m->name, sizeof(info.name));
    sanitize(info.cmdline, sizeof(info.cmdline), m->cmdline ? m->cmdline : "");
    if (arch_copy_to_user(ARG(2), &info, sizeof(info)) != 0)
        return MICA_EFAULT;
    return MICA_OK;
}

static const syscall_fn syscalls[SYS_COUNT] = {
    [SYS_DEBUG_WRITE] = sys_debug_write,
    [SYS_YIELD] = sys_yield,
    [SYS_EXIT] = sys_exit,
    [SYS_SEND] = sys_send,
    [SYS_RECV] = sys_recv,
    [SYS_CALL] = sys_call,
    [SYS_REPLY] = sys_reply,
    [SYS_REPLY_RECV] = sys_reply_recv,
    [SYS_NOTIFY_SIGNAL] = sys_notify_signal,
    [SYS_NOTIFY_WAIT] = sys_notify_wait,
    [SYS_ENDPOINT_CREATE] = sys_endpoint_create,
    [SYS_NOTIFY_CREATE] = sys_notify_create,
    [SYS_HANDLE_CLOSE] = sys_handle_close,
    [SYS_HANDLE_COPY] = sys_handle_copy,
    [SYS_CLOCK] = sys_clock,
    [SYS_TASK_INFO] = sys_task_info,
    [SYS_IOPORT_ENABLE] = sys_ioport_enable,
    [SYS_IRQ_BIND] = sys_irq_bind,
    [SYS_IRQ_ACK] = sys_irq_ack,
    [SYS_SYSTEM] = sys_system,
    [SYS_MAP] = sys_map,
    [SYS_UNMAP] = sys_unmap,
    [SYS_SET_PAGER] = sys_set_pager,
    [SYS_MEM_INFO] = sys_mem_info,
    [SYS_THREAD_CREATE] = sys_thread_create,
    [SYS_RAM_INFO] = sys_ram_info,
    [SYS_TASK_SPAWN] = sys_task_spawn,
    [SYS_TASK_WATCH] = sys_task_watch,
    [SYS_MODULE_INFO] = sys_module_info,
    [SYS_LOG_BIND] = sys_log_bind,
    [SYS_LOG_READ] = sys_log_read,
};

struct task *task_arg(struct thread *self, uint64_t h, uint32_t rights, int *err)
{
    struct handle hd;
    struct task *t = handle_get(&self->task->handles, h, MICA_OBJ_TASK, rights, &hd, err);
    if (!t)
        return NULL;
    if (!t->used || t->dead || t->id != hd.badge) {
        *err = MICA_EDEAD;
        return NULL;
    }
    return t;
}

void syscall_dispatch(struct trap_frame *f)
{
    struct thread *self = thread_current();
    uint64_t nr = arch_syscall_number(f);
    int64_t status = MICA_ENOSYS;
    if (nr < SYS_COUNT && syscalls[nr])
        status = syscalls[nr](f, self);
    arch_syscall_set_status(f, status);
}

/* ---- Drivers' objects: I/O ports, IRQs, power. */

#define MAX_IO_TASKS 4
static uint8_t io_bitmaps[MAX_IO_TASKS][8192];
static struct task *io_owner[MAX_IO_TASKS];

static struct ioports com1_ports = {0x3f8, 8};
static struct ioports ps2_ports = {0x60, 5};
static struct ioports crtc_ports = {0x3d4, 2}; /* VGA CRTC index and data */
static struct irq_line irq_lines[16];
static int system_object;

static uint8_t *io_bitmap_for(struct task *t)
{
    if (t->io_bitmap)
        return t->io_bitmap;
    for (unsigned i = 0; i < MAX_IO_TASKS; i++) {
        if (!io_owner[i] || io_owner[i]->dead || !io_owner[i]->used) {
            io_owner[i] = t;
            memset(io_bitmaps[i], 0xff, sizeof(io_bitmaps[i]));
            t->io_bitmap = io_bitmaps[i];
            return t->io_bitmap;
        }
    }
    return NULL;
}

static int64_t sys_ioport_enable(struct trap_frame *f, struct thread *self)
{
    int err;
    struct ioports *io = handle_get(&self->task->handles, ARG(0), MICA_OBJ_IOPORTS,
                                    MICA_RIGHT_MANAGE, NULL, &err);
    if (!io)
        return err;
    uint8_t *map = io_bitmap_for(self->task);
    if (!map)
        return MICA_ENOMEM;
    arch_io_allow(map, io->base, io->count);
    arch_io_load(map);
    return MICA_OK;
}

static int64_t sys_irq_bind(struct trap_frame *f, struct thread *self)
{
    int err;
    struct irq_line *irq = handle_get(&self->task->handles, ARG(0), MICA_OBJ_IRQ,
                                      MICA_RIGHT_MANAGE, NULL, &err);
    if (!irq)
        return err;
    struct notification *n = handle_get(
        &self->task->handles, ARG(1), MICA_OBJ_NOTIFICATION, MICA_RIGHT_SEND, NULL, &err);
    if (!n)
        return err;
    if (ARG(2) == 0)
        return MICA_EINVAL;
    if (irq->ntf)
        object_unref(MICA_OBJ_NOTIFICATION, irq->ntf);
    object_ref(MICA_OBJ_NOTIFICATION, n);
    irq->ntf = n;
    irq->bits = ARG(2);
    arch_irq_unmask(irq->line);
    return MICA_OK;
}

static int64_t sys_irq_ack(struct trap_frame *f, struct thread *self)
{
    int err;
    struct irq_line *irq = handle_get(&self->task->handles, ARG(0), MICA_OBJ_IRQ,
                                      MICA_RIGHT_MANAGE, NULL, &err);
    if (!irq)
        return err;
    arch_irq_unmask(irq->line);
    return MICA_OK;
}

void irq_fire(unsigned line)
{
    struct irq_line *irq = &irq_lines[line & 15];
    if (irq->ntf)
        notification_signal(irq->ntf, irq->bits);
}

static int64_t sys_system(struct trap_frame *f, struct thread *self)
{
    int err;
    if (!handle_get(&self->task->handles, ARG(0), MICA_OBJ_SYSTEM, MICA_RIGHT_MANAGE,
                    NULL, &err))
        return err;
    if (ARG(1) == MICA_SYSTEM_POWEROFF || ARG(1) == MICA_SYSTEM_RESET)
        klog_take_back(); /* the last lines must not wait for the console */
    if (ARG(1) == MICA_SYSTEM_POWEROFF) {
        kprintf("mica: power off\n");
        arch_poweroff();
    }
    if (ARG(1) == MICA_SYSTEM_RESET) {
        kprintf("mica: reset\n");
        arch_reset();
    }
    return MICA_EINVAL;
}

static struct endpoint *ns_endpoint;

void syscall_grant_boot_caps(struct task *init, const struct mb2_framebuffer *fb)
{
    ns_endpoint = endpoint_alloc(init);
    irq_lines[4].line = 4;
    irq_lines[1].line = 1;
    struct handle caps[] = {
        {MICA_OBJ_ENDPOINT, MICA_RIGHTS_ALL, 0, ns_endpoint},
        {MICA_OBJ_SYSTEM, MICA_RIGHT_MANAGE | MICA_RIGHT_GRANT, 0, &system_object},
        {MICA_OBJ_IOPORTS, MICA_RIGHT_MANAGE | MICA_RIGHT_GRANT, 0, &com1_ports},
        {MICA_OBJ_IRQ, MICA_RIGHT_MANAGE | MICA_RIGHT_GRANT, 0, &irq_lines[4]},
        {MICA_OBJ_IOPORTS, MICA_RIGHT_MANAGE | MICA_RIGHT_GRANT, 0, &ps2_ports},
        {MICA_OBJ_IRQ, MICA_RIGHT_MANAGE | MICA_RIGHT_GRANT, 0, &irq_lines[1]},
    };
    for (unsigned i = 0; i < ARRAY_SIZE(caps); i++)
        handle_install_at(&init->handles, MICA_HANDLE_NS + i, caps[i]);
    handle_install_at(&init->handles, MICA_BOOT_CAP_LOG,
                      (struct handle){MICA_OBJ_LOG, MICA_RIGHT_MANAGE | MICA_RIGHT_GRANT,
                                      0, sys_log_object()});
    handle_install_at(&init->handles, MICA_BOOT_CAP_CRTC,
                      (struct handle){MICA_OBJ_IOPORTS,
                                      MICA_RIGHT_MANAGE | MICA_RIGHT_GRANT, 0,
                                      &crtc_ports});
    sys_mem_boot(init, fb);
}

void syscall_grant_ns(struct task *t)
{
    if (ns_endpoint)
        handle_install_at(&t->handles, MICA_HANDLE_NS,
                          (struct handle){MICA_OBJ_ENDPOINT,
                                          MICA_RIGHT_SEND | MICA_RIGHT_GRANT, t->id,
                                          ns_endpoint});
}

/* Sends a user page fault to the task's pager as a call; true when the
 * pager mapped the page and the access should be retried. */
static bool ask_pager(struct thread *self, uint64_t rip, uint64_t addr, uint64_t error)
{
    struct task *t = self->task;
    if (!t || !t->pager || t->pager->dead || addr >= 0x0000800000000000ull)
        return false;
    self->in_fault = true;
    self->fault_result = ~0ull;
    self->fault_msg =
        (struct mica_msg){MICA_INFO(MICA_LABEL_PAGE_FAULT, 0), {addr, error, rip, 0}};
    int64_t st = ipc_send(self, t->pager, t->id, true, MICA_WAIT_FOREVER);
    self->in_fault = false;
    return st == MICA_OK && self->fault_result == 0;
}

bool task_resolve_fault(uint64_t addr, uint64_t error, uint64_t rip)
{
    struct thread *self = thread_current();
    return self->task && ask_pager(self, rip, addr, error);
}

void task_fault(unsigned vector, uint64_t rip, uint64_t addr, uint64_t error)
{
    struct thread *self = thread_current();
    struct task *t = self->task;
    if (vector == 14 && ask_pager(self, rip, addr, error))
        return;
    /* The supervisor said, when it started watching, whether it will
     * restart this task (init's policy; the kernel only reports it). */
    kprintf("mica: fault task=%s vector=%u rip=%#llx addr=%#llx action=%s\n",
            t ? t->name : "?", vector, (unsigned long long)rip, (unsigned long long)addr,
            t && t->watch && t->will_restart ? "restarted" : "killed");
    if (t)
        task_kill(t);
    sched_block();
    panic("a killed task ran again");
}
