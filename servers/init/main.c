/*
 * init: the first task. It serves the name service on handle 1 (protocol in
 * mica/ns.h): servers register their endpoints under their module's
 * names, clients look them up, servers collect the boot capabilities
 * their module line grants (caps=), and a control handle's holder (the
 * shell) asks for power off or reset. Authority comes from init's record
 * of which module it started as each task, for the task id the kernel put
 * in the badge. The loop is the server runtime's (mica/server.h); each
 * do_* validates every field of the request before it changes anything,
 * and a bad request gets an error reply, never a crash.
 *
 * Handles that go out are fresh copies, closed once the reply has carried
 * them, so init's own capabilities stay where they are whether the kernel
 * copies or moves a transferred handle.
 */
#include <mica/server.h>
#include <mica/syscall.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "protocol.h"
#include "supervise.h"

/* Our heap is the static arena, never the memory server (malloc.c). */
const bool mica_heap_arena_only = true;

/* info bits a request may use: label, payload length, handle flag. */
#define INFO_KNOWN_BITS (0xffffffffull | (0x1fffull << 32) | MICA_INFO_HANDLE)

struct request {
    uint64_t badge; /* as received: the kernel badges handle 1 with the id */
    uint64_t id;    /* the sender's task id */
    bool control;   /* came through a control handle (NS_CAP_CONTROL) */
    struct mica_msg msg;
    uint64_t handle_in; /* handle that came with it, 0 if none */
    bool handle_kept;   /* set when a do_* keeps handle_in */
};

struct response {
    long status;
    uint64_t handle_out; /* a copy to attach and close afterwards, 0 if none */
    uint64_t word;       /* w[1] of the reply (w[0] carries the handle) */
};

struct entry {
    char name[NS_NAME_MAX]; /* "" when the slot is free */
    uint64_t handle;        /* the registered endpoint */
    uint64_t owner;         /* task id of the registering server */
};

static struct entry registry[NS_MAX_ENTRIES];

/* The servers init started from boot modules (supervise.c), and whether
 * each has said it is up since it was (re)started. */
struct boot_task {
    uint64_t id;
    char name[NS_NAME_MAX];
    bool up;
    bool restarted; /* announce `state=restarted` rather than `state=up` */
};
static struct boot_task boot_tasks[NS_MAX_ENTRIES];
static unsigned boot_task_count;
static bool ready_announced;
static uint64_t ready_ms; /* the boot_ms of `mica: ready` (NS_BOOT_MS) */

/* Whether the kernel gave us a screen. Without one its slot is empty at
 * start, and the first handle we receive later would land there. */
static bool screen_present;

static void log_text(const char *s)
{
    mica_debug_write(s, strlen(s));
}

static void log_server_state(const char *name, const char *state)
{
    char line[64 + NS_NAME_MAX];
    int n = snprintf(line, sizeof(line), "mica: server name=%s state=%s\n", name, state);
    if (n > 0 && (size_t)n < sizeof(line))
        mica_debug_write(line, (size_t)n);
}

/* ---- Who runs what: every task init started, and as which module. The
 * authority of a request is decided by this record (the module's policy
 * words, supervise.h) for the task id the kernel put in the badge; never
 * by a name the task could choose. */

#define MAX_INSTANCES 32

struct instance {
    uint64_t id; /* 0: free */
    char module[NS_NAME_MAX];
};
static struct instance instances[MAX_INSTANCES];

static void instance_add(uint64_t id, const char *module)
{
    for (unsigned i = 0; i < MAX_INSTANCES; i++) {
        if (instances[i].id == 0) {
            instances[i].id = id;
            strlcpy(instances[i].module, module, sizeof(instances[i].module));
            return;
        }
    }
    log_text("mica: init: too many tasks to track; a task runs without rights\n");
}

static struct instance *instance_of(uint64_t id)
{
    for (unsigned i = 0; id && i < MAX_INSTANCES; i++)
        if (instances[i].id == id)
            return &instances[i];
    return NULL;
}

/* The module task `id` runs, or "" for a task init did not start. */
static const char *module_of(uint64_t id)
{
    const struct instance *in = instance_of(id);
    return in ? in->module : "";
}

/* ---- Boot progress: `state=up` per boot task, then `mica: ready`. */

void boot_task_started(uint64_t id, const char *name)
{
    instance_add(id, name);
    if (boot_task_count == NS_MAX_ENTRIES)
        return;
    struct boot_task *b = &boot_tasks[boot_task_count++];
    b->id = id;
    strlcpy(b->name, name, sizeof(b->name));
}

static void announce_ready_if_all_up(void)
{
    for (unsigned i = 0; i < boot_task_count; i++)
        if (!boot_tasks[i].up)
            return;
    if (ready_announced)
        return;
    ready_announced = true;
    ready_ms = mica_clock_ms();
    char line[64];
    int n = snprintf(line, sizeof(line), "mica: ready boot_ms=%llu\n",
                     (unsigned long long)ready_ms);
    if (n > 0 && (size_t)n < sizeof(line))
        mica_debug_write(line, (size_t)n);
}

/* The task with this id is up: said once per boot task. */
static void mark_up(uint64_t id)
{
    for (unsigned i = 0; i < boot_task_count; i++) {
        if (boot_tasks[i].id == id && !boot_tasks[i].up) {
            boot_tasks[i].up = true;
            log_server_state(boot_tasks[i].name,
                             boot_tasks[i].restarted ? "restarted" : "up");
            announce_ready_if_all_up();
        }
    }
}

/* ---- Request checks. */

static bool words_zero_from(const struct mica_msg *m, unsigned first)
{
    for (unsigned i = first; i < 4; i++)
        if (m->w[i])
            return false;
    return true;
}

static bool name_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
}

/* Copies the name in the payload to out; MICA_OK only for a well-formed
 * name: NS_NAME_MAX bytes at most, NUL last and only last, allowed
 * characters. */
static long read_name(const struct mica_msg *m, char out[NS_NAME_MAX])
{
    uint32_t len = MICA_INFO_LEN(m->info);
    const char *p = mica_ipc_buffer();
    if (len < 2 || len > NS_NAME_MAX || p[len - 1] != '\0')
        return MICA_EINVAL;
    for (uint32_t i = 0; i + 1 < len; i++)
        if (!name_char_ok(p[i]))
            return MICA_EINVAL;
    memcpy(out, p, len);
    return MICA_OK;
}

/* ---- Registry. */

static struct entry *find_entry(const char *name)
{
    for (unsigned i = 0; i < NS_MAX_ENTRIES; i++)
        if (registry[i].name[0] && strcmp(registry[i].name, name) == 0)
            return &registry[i];
    return NULL;
}

static struct entry *free_entry(void)
{
    for (unsigned i = 0; i < NS_MAX_ENTRIES; i++)
        if (!registry[i].name[0])
            return &registry[i];
    return NULL;
}

static unsigned entries_of(uint64_t owner)
{
    unsigned n = 0;
    for (unsigned i = 0; i < NS_MAX_ENTRIES; i++)
        if (registry[i].name[0] && registry[i].owner == owner)
            n++;
    return n;
}

/* The slot a registration may use: its own name if the task that held it
 * is gone (a restarted server), else a free one. */
static long claim_entry(const char *name, uint64_t owner, struct entry **out)
{
    struct mica_task_info ti;
    struct entry *e = find_entry(name);
    if (e) {
        if (mica_task_find(e->owner, &ti))
            return MICA_EBUSY;
        mica_handle_close(e->handle);
        e->name[0] = '\0';
    } else {
        /* One task must not fill the registry for everybody else. */
        if (entries_of(owner) >= NS_MAX_PER_TASK)
            return MICA_ENOMEM;
        e = free_entry();
        if (!e)
            return MICA_ENOMEM;
    }
    *out = e;
    return MICA_OK;
}

/* ---- Requests. */

static void do_register(struct request *rq, struct response *rs)
{
    char name[NS_NAME_MAX];
    struct entry *e;

    rs->status = read_name(&rq->msg, name);
    if (rs->status != MICA_OK)
        return;
    if (!rq->handle_in || !words_zero_from(&rq->msg, 1)) {
        rs->status = MICA_EINVAL;
        return;
    }
    /* Policy: a task registers only its module's names (supervise.h), so a
     * server's names stay its own across restarts and nobody squats them. */
    if (!supervise_may_register(module_of(rq->id), name)) {
        rs->status = MICA_ERIGHTS;
        return;
    }
    rs->status = claim_entry(name, rq->id, &e);
    if (rs->status != MICA_OK)
        return;
    memcpy(e->name, name, sizeof(name));
    e->handle = rq->handle_in;
    e->owner = rq->id;
    rq->handle_kept = true;
    mark_up(rq->id);
}

static void do_ready(struct request *rq, struct response *rs)
{
    if (MICA_INFO_LEN(rq->msg.info) || rq->handle_in || !words_zero_from(&rq->msg, 0)) {
        rs->status = MICA_EINVAL;
        return;
    }
    mark_up(rq->id);
}

/* From our own watcher thread (badge 0, which no other task's handle to
 * this endpoint carries): server `w[0]` died and now runs as `w[1]` (0 when
 * it was left down). */
static void do_restarted(struct request *rq, struct response *rs)
{
    if (rq->badge != 0) {
        rs->status = MICA_ENOSYS; /* to any other task this label does not exist */
        return;
    }
    if (MICA_INFO_LEN(rq->msg.info) || rq->handle_in || !words_zero_from(&rq->msg, 2)) {
        rs->status = MICA_EINVAL;
        return;
    }
    struct instance *old = instance_of(rq->msg.w[0]);
    if (old)
        old->id = 0; /* (do_deaths has usually done so) */
    for (unsigned i = 0; i < boot_task_count; i++) {
        struct boot_task *b = &boot_tasks[i];
        if (b->id != rq->msg.w[0])
            continue;
        if (rq->msg.w[1])
            instance_add(rq->msg.w[1], b->name);
        b->id = rq->msg.w[1];
        b->up = rq->msg.w[1] == 0; /* a server left down is not waited for */
        b->restarted = true;
    }
}

/* From our own watcher thread: the kernel said a task we started died.
 * Its names die with it, and it holds no rights any more. */
static void do_deaths(struct request *rq, struct response *rs)
{
    struct mica_task_info ti;
    if (rq->badge != 0) {
        rs->status = MICA_ENOSYS;
        return;
    }
    for (unsigned i = 0; i < MAX_INSTANCES; i++) {
        uint64_t id = instances[i].id;
        if (!id || mica_task_find(id, &ti))
            continue;
        for (unsigned k = 0; k < NS_MAX_ENTRIES; k++) {
            if (registry[k].name[0] && registry[k].owner == id) {
                mica_handle_close(registry[k].handle);
                registry[k].name[0] = '\0';
            }
        }
        /* A supervised server's slot is taken over by its restart
         * (do_restarted); until then it names nobody. */
        instances[i].id = 0;
    }
}

/* A request that carries a name and nothing else; false (and rs->status
 * set) when it carries anything more or a bad name. */
static bool name_only(struct request *rq, struct response *rs, char name[NS_NAME_MAX])
{
    rs->status = read_name(&rq->msg, name);
    if (rs->status == MICA_OK && (rq->handle_in || !words_zero_from(&rq->msg, 0)))
        rs->status = MICA_EINVAL;
    return rs->status == MICA_OK;
}

/* Starts an on-demand module (fuzzer, test programs) for any task that
 * pays for it: the request carries the requester's task handle (MANAGE),
 * out of whose kernel budget the program's is carved, so a spawn loop
 * ends inside the requester's own budget. Policy: whoever asked for the
 * program may end it, so the reply carries our handle to the task (KILL,
 * GRANT), which the runtime closes once the reply has taken it. */
static void do_spawn(struct request *rq, struct response *rs)
{
    char name[NS_NAME_MAX];
    rs->status = read_name(&rq->msg, name);
    if (rs->status != MICA_OK)
        return;
    if (!rq->handle_in || !words_zero_from(&rq->msg, 1)) {
        rs->status = MICA_EINVAL;
        return;
    }
    uint64_t task = 0;
    long id = supervise_spawn_ondemand(name, rq->handle_in, &task);
    if (id < 0) {
        rs->status = id;
        return;
    }
    instance_add((uint64_t)id, name);
    rs->word = (uint64_t)id;
    rs->handle_out = task;
}

/* The boot time printed in `mica: ready`, for the benchmarks. */
static void do_boot_ms(struct request *rq, struct response *rs)
{
    if (MICA_INFO_LEN(rq->msg.info) || rq->handle_in || !words_zero_from(&rq->msg, 0)) {
        rs->status = MICA_EINVAL;
        return;
    }
    if (!ready_announced) {
        rs->status = MICA_EAGAIN;
        return;
    }
    rs->word = ready_ms;
}

static void do_lookup(struct request *rq, struct response *rs)
{
    char name[NS_NAME_MAX];
    if (!name_only(rq, rs, name))
        return;
    struct entry *e = find_entry(name);
    struct mica_task_info owner;
    /* A server that died is not there, whatever its entry says, until its
     * restarted instance registers again: clients retry on MICA_ENOENT. */
    if (!e || !mica_task_find(e->owner, &owner)) {
        rs->status = MICA_ENOENT;
        return;
    }
    /* The copy's badge tells the server which task is calling. */
    long h = mica_handle_copy(e->handle, MICA_RIGHT_SEND | MICA_RIGHT_GRANT, rq->badge);
    if (h < 0) {
        rs->status = h;
        return;
    }
    rs->handle_out = (uint64_t)h;
}

/* The boot capability behind an NS_CAP_* value, or 0. */
static uint64_t boot_cap_handle(uint64_t which)
{
    switch (which) {
    case NS_CAP_COM1:
        return MICA_BOOT_CAP_COM1;
    case NS_CAP_IRQ4:
        return MICA_BOOT_CAP_IRQ4;
    case NS_CAP_PS2:
        return MICA_BOOT_CAP_PS2;
    case NS_CAP_IRQ1:
        return MICA_BOOT_CAP_IRQ1;
    case NS_CAP_RAM:
        return MICA_BOOT_CAP_RAM;
    case NS_CAP_SCREEN:
        return MICA_BOOT_CAP_SCREEN;
    case NS_CAP_LOG:
        return MICA_BOOT_CAP_LOG;
    case NS_CAP_CRTC:
        return MICA_BOOT_CAP_CRTC;
    case NS_CAP_TRACE:
        return MICA_BOOT_CAP_TRACE;
    case NS_CAP_LOG_WRITE:
        return MICA_BOOT_CAP_LOG;
    case NS_CAP_CONTROL:
        return MICA_HANDLE_NS;
    case NS_CAP_ENDPOINT:
        return ~0ull; /* per module: lasting_endpoint() */
    }
    return 0;
}

/* ---- Lasting endpoints (NS_CAP_ENDPOINT): one per module that asks,
 * created by us and kept for good, so it outlives every instance of the
 * module. Calls and page faults sent to it while the module restarts wait
 * in its queue for the next instance instead of failing with MICA_EDEAD. */

#define MAX_LASTING 8

static struct {
    char module[NS_NAME_MAX]; /* "" : free */
    uint64_t ep;              /* ours, all rights */
} lasting[MAX_LASTING];

/* The lasting endpoint of `module` (created on first use), or 0; *earlier
 * says whether an earlier instance of the module had it already. */
static uint64_t lasting_endpoint(const char *module, bool *earlier, long *err)
{
    unsigned free = MAX_LASTING;
    *earlier = false;
    for (unsigned i = 0; i < MAX_LASTING; i++) {
        if (lasting[i].module[0] && strcmp(lasting[i].module, module) == 0) {
            *earlier = true;
            return lasting[i].ep;
        }
        if (!lasting[i].module[0] && free == MAX_LASTING)
            free = i;
    }
    *err = MICA_ENOMEM;
    if (free == MAX_LASTING || !module[0])
        return 0;
    long ep = mica_endpoint_create();
    if (ep < 0) {
        *err = ep;
        return 0;
    }
    strlcpy(lasting[free].module, module, sizeof(lasting[free].module));
    lasting[free].ep = (uint64_t)ep;
    return (uint64_t)ep;
}

/* The policy word (caps= of the module line) an NS_CAP_* needs. */
static const char *cap_word(uint64_t which)
{
    switch (which) {
    case NS_CAP_RAM:
        return "ram";
    case NS_CAP_LOG:
        return "log";
    case NS_CAP_LOG_WRITE:
        return "rawlog";
    case NS_CAP_CONTROL:
        return "control";
    case NS_CAP_ENDPOINT:
        return "endpoint";
    case NS_CAP_TRACE:
        return "trace";
    }
    return "devices";
}

/* The handle to give for NS_CAP_*: a copy with the rights it grants (and
 * GRANT, without which a handle cannot travel in the reply). */
static long cap_copy(uint64_t which, uint64_t cap, uint64_t id)
{
    switch (which) {
    case NS_CAP_LOG_WRITE:
        return mica_handle_copy(cap, MICA_RIGHT_SEND | MICA_RIGHT_GRANT, 0);
    case NS_CAP_LOG:
        return mica_handle_copy(
            cap, MICA_RIGHT_MANAGE | MICA_RIGHT_SEND | MICA_RIGHT_GRANT, 0);
    case NS_CAP_CONTROL: /* our endpoint, badged with the id and the control bit */
        return mica_handle_copy(cap, MICA_RIGHT_SEND | MICA_RIGHT_GRANT,
                                id | NS_BADGE_CONTROL);
    case NS_CAP_ENDPOINT: /* unbadged: the server mints, registers, receives */
        return mica_handle_copy(cap, MICA_RIGHT_SEND | MICA_RIGHT_RECV | MICA_RIGHT_GRANT,
                                0);
    }
    return mica_handle_copy(cap, MICA_RIGHT_MANAGE | MICA_RIGHT_GRANT, 0);
}

static void do_boot_cap(struct request *rq, struct response *rs)
{
    uint64_t cap = boot_cap_handle(rq->msg.w[0]);

    if (!cap || MICA_INFO_LEN(rq->msg.info) || rq->handle_in ||
        !words_zero_from(&rq->msg, 1)) {
        rs->status = MICA_EINVAL;
        return;
    }
    /* Policy: the module's caps= words (the console drives the devices
     * and shows the log, the memory server owns free RAM, the shell may
     * power off and ask for crashes). */
    if (!supervise_has_cap(module_of(rq->id), cap_word(rq->msg.w[0]))) {
        rs->status = MICA_ERIGHTS;
        return;
    }
    if (rq->msg.w[0] == NS_CAP_SCREEN && !screen_present) {
        rs->status = MICA_ENOENT;
        return;
    }
    long err = MICA_OK;
    bool earlier = false;
    if (rq->msg.w[0] == NS_CAP_ENDPOINT &&
        !(cap = lasting_endpoint(module_of(rq->id), &earlier, &err))) {
        rs->status = err;
        return;
    }
    rs->word = earlier;
    long h = cap_copy(rq->msg.w[0], cap, rq->id);
    if (h < 0) {
        rs->status = h;
        return;
    }
    rs->handle_out = (uint64_t)h;
}

static void do_system(struct request *rq, struct response *rs)
{
    uint64_t op = rq->msg.w[0];

    if ((op != MICA_SYSTEM_POWEROFF && op != MICA_SYSTEM_RESET) ||
        MICA_INFO_LEN(rq->msg.info) || rq->handle_in || !words_zero_from(&rq->msg, 1)) {
        rs->status = MICA_EINVAL;
        return;
    }
    /* Only through a control handle (NS_CAP_CONTROL): a capability. */
    if (!rq->control) {
        rs->status = MICA_ERIGHTS;
        return;
    }
    /* Returns only when the kernel refused. */
    rs->status = mica_system(MICA_BOOT_CAP_SYSTEM, (uint32_t)op);
}

static void dispatch(struct request *rq, struct response *rs)
{
    if (rq->msg.info & ~INFO_KNOWN_BITS) {
        rs->status = MICA_EINVAL;
        return;
    }
    switch (MICA_INFO_LABEL(rq->msg.info)) {
    case NS_REGISTER:
        do_register(rq, rs);
        return;
    case NS_LOOKUP:
        do_lookup(rq, rs);
        return;
    case NS_BOOT_CAP:
        do_boot_cap(rq, rs);
        return;
    case NS_SYSTEM:
        do_system(rq, rs);
        return;
    case NS_READY:
        do_ready(rq, rs);
        return;
    case NS_SPAWN:
        do_spawn(rq, rs);
        return;
    case NS_BOOT_MS:
        do_boot_ms(rq, rs);
        return;
    case NS_INTERNAL_RESTARTED:
        do_restarted(rq, rs);
        return;
    case NS_INTERNAL_DEATHS:
        do_deaths(rq, rs);
        return;
    }
    rs->status = MICA_ENOSYS;
}

/* ---- The loop: the server runtime's (mica/server.h). */

static enum server_next handle(struct server_request *srq)
{
    struct request rq = {.badge = srq->badge, .msg = srq->msg, .handle_in = srq->handle};
    struct response rs = {MICA_OK, 0, 0};
    rq.id = NS_BADGE_TASK(rq.badge);
    rq.control = (rq.badge & NS_BADGE_CONTROL) != 0;
    dispatch(&rq, &rs);
    srq->keep_handle = rq.handle_kept;
    /* A sender that used SEND rather than CALL has no reply to take. */
    srq->reply = (struct mica_msg){MICA_REPLY_INFO(rs.status, 0), {0, rs.word}};
    srq->reply_handle = rs.handle_out;
    return SERVER_REPLY;
}

int main(void)
{
    mica_log_use(MICA_BOOT_CAP_LOG); /* our lines go in as they are */
    /* The supervision thread and this one share the server table without
     * locks (a restarted server must not ask for its capabilities before
     * the table names it), as threads of one CPU: they stay on one (new
     * threads inherit it); the tasks we start may run anywhere. */
    (void)mica_thread_affinity(MICA_THREAD_SELF, 1);
    /* Before any handle comes in: only a screen answers as a RAM object. */
    struct mica_ram_info ri;
    screen_present = mica_ram_info(MICA_BOOT_CAP_SCREEN, &ri) == MICA_OK;
    supervise_start();
    log_server_state("init", "up");
    announce_ready_if_all_up();
    struct server s = {
        .ep = MICA_HANDLE_NS,
        .info_bits = SERVER_INFO_BITS | MICA_INFO_HANDLE,
        .handle = handle,
    };
    server_run(&s);
    return 0;
}
