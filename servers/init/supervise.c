/*
 * Supervision: init starts the boot modules and restarts a server that dies.
 *
 * The kernel signals a notification when a watched task dies (TASK_WATCH);
 * a second thread of init waits on it, so the name service never stops.
 * For each dead server it prints `mica: server name=<n> state=crashed`,
 * waits a back-off delay (100 ms, doubling with each crash in the window),
 * starts the module again and tells the main thread (a call on init's own
 * endpoint, badge 0, which no other task can forge) so that the restarted
 * server is announced with `state=restarted` once it is up. A server that
 * crashes more than MAX_RESTARTS times within WINDOW_MS is left down, with
 * `mica: server name=<n> state=down reason="..."`.
 *
 * init keeps the handle the kernel gives it for each task it starts
 * (MICA_RIGHT_KILL: the authority to end it, SYS_TASK_KILL) while the task
 * lives; for an on-demand program it hands it to whoever asked for the
 * program (NS_SPAWN) and keeps none.
 *
 * Policy, not mechanism: which modules start at boot (all but the ones
 * whose command line says "ondemand"), their kernel budgets (the kernel's
 * defaults, or what the command line's `budget=<frames>,<tasks>,<threads>,
 * <objects>` asks for: the shell and the test runners start programs,
 * which are paid for out of their budgets), their priorities, the back-off
 * and the limit live here. A boot server's budget comes out of init's; an
 * on-demand program's out of the budget of the task that asked for it. Servers run at
 * SERVER_PRIORITY; the shell and the on-demand programs one below, so that at boot the
 * servers they depend on finish starting before the shell looks them up (no retry
 * sleeps), and a busy program never starves a server.
 */
#include "supervise.h"

#include <mica/ns.h>
#include <mica/syscall.h>
#include <stdio.h>
#include <string.h>

#include "protocol.h"

#define MAX_SUPERVISED  16
#define MAX_PROGRAMS    32
#define MAX_RESTARTS    3
#define WINDOW_MS       60000
#define BACKOFF_MS      100
#define DEATH_BIT       1
#define SERVER_PRIORITY 4
#define CLIENT_PRIORITY 3

struct supervised {
    char name[NS_NAME_MAX];
    struct mica_budget budget;
    uint64_t id;   /* 0: not running (left down) */
    uint64_t task; /* our handle to it (KILL, GRANT), 0: none */
    unsigned crashes;
    uint64_t window_start;
};

static struct supervised servers[MAX_SUPERVISED];
static unsigned server_count;
/* Every module but init, with the words of its line that are policy. */
#define WORDS_MAX 96
struct program {
    char name[NS_NAME_MAX];
    bool ondemand;
    struct mica_budget budget;
    char names[WORDS_MAX]; /* names=a,b: names it may register besides its own */
    char caps[WORDS_MAX];  /* caps=a,b: what init gives it (supervise.h) */
};
static struct program programs[MAX_PROGRAMS];
static unsigned program_count;
static uint64_t death_ntf;
static uint8_t watcher_stack[16384] __attribute__((aligned(16)));

static void log_line(const char *s)
{
    mica_debug_write(s, strlen(s));
}

static bool has_word(const char *line, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = line; (p = strstr(p, word)); p += n) {
        bool starts = p == line || p[-1] == ' ';
        bool ends = p[n] == '\0' || p[n] == ' ';
        if (starts && ends)
            return true;
    }
    return false;
}

/* The value of word `key=` of a command line, up to the next space, into
 * out ("" when there is none or it does not fit). */
static void word_value(const char *cmdline, const char *key, char *out, size_t size)
{
    size_t k = strlen(key);
    out[0] = '\0';
    for (const char *p = cmdline; (p = strstr(p, key)); p += k) {
        if ((p != cmdline && p[-1] != ' ') || p[k] != '=')
            continue;
        const char *v = p + k + 1;
        size_t n = strcspn(v, " ");
        if (n < size) {
            memcpy(out, v, n);
            out[n] = '\0';
        }
        return;
    }
}

/* The word `budget=<frames>,<tasks>,<threads>,<objects>[,<pages>]` of a
 * command line, if there is one and it is well formed (else the kernel's
 * defaults: all zero). */
static struct mica_budget budget_of(const char *name, const char *cmdline)
{
    char text[WORDS_MAX];
    word_value(cmdline, "budget", text, sizeof(text));
    if (!text[0])
        return (struct mica_budget){0};
    uint64_t v[5] = {0};
    unsigned n = 0;
    for (const char *p = text; n < 5;) {
        if (*p < '0' || *p > '9')
            break;
        while (*p >= '0' && *p <= '9' && v[n] < (1u << 30))
            v[n] = v[n] * 10 + (uint64_t)(*p++ - '0');
        n++;
        if (*p == '\0') {
            if (n >= 4)
                return (struct mica_budget){
                    v[0], (uint32_t)v[1], (uint32_t)v[2], (uint32_t)v[3], 0, v[4]};
            break;
        }
        if (*p++ != ',')
            break;
    }
    char line[128];
    snprintf(line, sizeof(line),
             "mica: init: module %s: bad budget= word; defaults used\n", name);
    log_line(line);
    return (struct mica_budget){0};
}

/* Whether `item` is one of the comma-separated items of list. */
static bool listed(const char *list, const char *item)
{
    size_t n = strlen(item);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, item, n) == 0)
            return true;
        p += len;
        if (*p == ',')
            p++;
    }
    return false;
}

static const struct program *program_named(const char *module)
{
    for (unsigned i = 0; i < program_count; i++)
        if (strcmp(programs[i].name, module) == 0)
            return &programs[i];
    return NULL;
}

bool supervise_may_register(const char *module, const char *name)
{
    const struct program *p = program_named(module);
    return p && (strcmp(name, p->name) == 0 || listed(p->names, name));
}

bool supervise_has_cap(const char *module, const char *cap)
{
    const struct program *p = program_named(module);
    return p && listed(p->caps, cap);
}

/* Starts a module and watches it; returns its id or an error, and in
 * *task the handle to it that the kernel gives the spawner (KILL, GRANT).
 * `again` tells the kernel whether a crash of this instance will be
 * restarted (its fault line says so); it is false for the last instance
 * the crash budget allows. (If the window then expires before that
 * instance crashes, init restarts it after all, though the fault line
 * said `killed`.) */
static long start(const char *name, const struct mica_budget *budget, bool again,
                  uint64_t *task)
{
    unsigned prio = strcmp(name, "shell") == 0 ? CLIENT_PRIORITY : SERVER_PRIORITY;
    *task = 0;
    long id = mica_task_start_for(MICA_BOOT_CAP_SYSTEM, name, prio, budget, 0, task);
    if (id > 0 && mica_task_watch(MICA_BOOT_CAP_SYSTEM, (uint64_t)id, death_ntf,
                                  DEATH_BIT, again) != MICA_OK)
        log_line("mica: init: cannot watch a server; it will not be restarted\n");
    return id;
}

/* The handle to a dead instance names nothing any more. */
static void forget_task(struct supervised *s)
{
    if (s->task)
        mica_handle_close(s->task);
    s->task = 0;
}

/* Tells the main thread that `old` is now `new_id` (0: left down). */
static void tell_main(uint64_t old, uint64_t new_id)
{
    struct mica_msg m = {MICA_INFO(NS_INTERNAL_RESTARTED, 0), {old, new_id}}, reply;
    (void)mica_call(MICA_HANDLE_NS, &m, &reply, MICA_WAIT_FOREVER);
}

static void restart(struct supervised *s)
{
    char line[128];
    uint64_t now = mica_clock_ms();
    uint64_t old = s->id;
    forget_task(s);
    snprintf(line, sizeof(line), "mica: server name=%s state=crashed\n", s->name);
    log_line(line);
    if (now - s->window_start > WINDOW_MS) {
        s->window_start = now;
        s->crashes = 0;
    }
    if (++s->crashes > MAX_RESTARTS) {
        snprintf(
            line, sizeof(line),
            "mica: server name=%s state=down reason=\"crashed %u times within %u s\"\n",
            s->name, s->crashes, WINDOW_MS / 1000);
        log_line(line);
        s->id = 0;
        tell_main(old, 0);
        return;
    }
    mica_sleep_ms(BACKOFF_MS << (s->crashes - 1));
    long id = start(s->name, &s->budget, s->crashes < MAX_RESTARTS, &s->task);
    s->id = id > 0 ? (uint64_t)id : 0;
    if (id <= 0) {
        snprintf(line, sizeof(line),
                 "mica: server name=%s state=down reason=\"restart failed: %s\"\n",
                 s->name, mica_status_name(id));
        log_line(line);
    }
    tell_main(old, s->id);
}

/* The kernel signalled a death: the main thread drops what the dead
 * held (its names), then supervised servers are restarted. */
static void tell_main_deaths(void)
{
    struct mica_msg m = {MICA_INFO(NS_INTERNAL_DEATHS, 0), {0}}, reply;
    (void)mica_call(MICA_HANDLE_NS, &m, &reply, MICA_WAIT_FOREVER);
}

static void watcher(uint64_t arg, void *ipc_buffer)
{
    (void)arg;
    (void)ipc_buffer;
    for (;;) {
        uint64_t bits;
        if (mica_notify_wait(death_ntf, &bits, MICA_WAIT_FOREVER) != MICA_OK)
            continue;
        tell_main_deaths();
        for (unsigned i = 0; i < server_count; i++)
            if (servers[i].id && !mica_task_find(servers[i].id, NULL))
                restart(&servers[i]);
    }
}

void supervise_start(void)
{
    long ntf = mica_notify_create();
    if (ntf < 0) {
        log_line("mica: init: no notification for supervision; servers run unwatched\n");
        return;
    }
    death_ntf = (uint64_t)ntf;
    struct mica_module_info mi;
    for (uint32_t i = 0; mica_module_info(MICA_BOOT_CAP_SYSTEM, i, &mi) == MICA_OK; i++) {
        mi.name[sizeof(mi.name) - 1] = '\0';
        mi.cmdline[sizeof(mi.cmdline) - 1] = '\0';
        if (strcmp(mi.name, "init") == 0)
            continue;
        struct mica_budget budget = budget_of(mi.name, mi.cmdline);
        if (program_count < MAX_PROGRAMS) {
            struct program *p = &programs[program_count++];
            strlcpy(p->name, mi.name, NS_NAME_MAX);
            p->ondemand = has_word(mi.cmdline, "ondemand");
            p->budget = budget;
            word_value(mi.cmdline, "names", p->names, sizeof(p->names));
            word_value(mi.cmdline, "caps", p->caps, sizeof(p->caps));
        }
        if (has_word(mi.cmdline, "ondemand"))
            continue;
        uint64_t task;
        long id = start(mi.name, &budget, true, &task);
        if (id <= 0 || server_count == MAX_SUPERVISED) {
            if (id > 0)
                mica_handle_close(task);
            continue;
        }
        struct supervised *s = &servers[server_count++];
        strlcpy(s->name, mi.name, sizeof(s->name));
        s->id = (uint64_t)id;
        s->task = task;
        s->budget = budget;
        boot_task_started((uint64_t)id, mi.name);
    }
    if (mica_thread_create(watcher, watcher_stack + sizeof(watcher_stack), 0) < 0)
        log_line("mica: init: no supervision thread; servers will not be restarted\n");
}

long supervise_spawn_ondemand(const char *name, uint64_t payer, uint64_t *task)
{
    const struct program *p = program_named(name);
    if (!p || !p->ondemand)
        return MICA_ERIGHTS;
    long id = mica_task_start_for(MICA_BOOT_CAP_SYSTEM, name, CLIENT_PRIORITY, &p->budget,
                                  payer, task);
    /* Watched too, so that its names die with it (supervise_deaths). */
    if (id > 0 && mica_task_watch(MICA_BOOT_CAP_SYSTEM, (uint64_t)id, death_ntf,
                                  DEATH_BIT, false) != MICA_OK)
        log_line("mica: init: cannot watch an on-demand task\n");
    return id;
}
