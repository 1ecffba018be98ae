/*
 * Peers of the attack suite (secsuite.h): spawning, commands, results, and
 * the cleanup after every test.
 *
 * Only the suite's main thread receives on the control endpoint. A message
 * from another peer of the running test is kept until asked for; one from a
 * peer no test knows (a late watchdog) is dropped, its handle closed.
 */
#include <mica/memory.h>
#include <mica/ns.h>
#include <mica/syscall.h>
#include <string.h>

#include "secsuite.h"

#define MAX_PEERS 40
#define STASH_MAX 16
#define HELLO_MS  5000
#define SEND_MS   2000
#define SLICE_MS  50
#define STOP_MS   1500

static uint64_t ctl;
static struct peer peers[MAX_PEERS];

static struct {
    bool used;
    uint64_t badge;
    struct mica_msg m;
} stash[STASH_MAX];

void sec_ctl_init(uint64_t h)
{
    ctl = h;
}

/* Forgets a message; the hello of a peer no test knows (one a peer
 * spawned) tells it to exit, so that it does not linger. */
static void drop(const struct mica_msg *m)
{
    if (!(m->info & MICA_INFO_HANDLE))
        return;
    if (MICA_INFO_LABEL(m->info) == SEC_HELLO) {
        struct mica_msg bye = {MICA_INFO(CMD_EXIT, 0), {0}};
        (void)kt_send(m->w[0], &bye, 100);
    }
    mica_handle_close(m->w[0]);
}

static struct peer *peer_by_id(uint64_t id)
{
    for (unsigned i = 0; i < MAX_PEERS; i++)
        if (peers[i].used && peers[i].id == id)
            return &peers[i];
    return NULL;
}

static bool from_stash(uint64_t id, struct mica_msg *out)
{
    for (unsigned i = 0; i < STASH_MAX; i++) {
        if (stash[i].used && stash[i].badge == id) {
            *out = stash[i].m;
            stash[i].used = false;
            return true;
        }
    }
    return false;
}

static void to_stash(uint64_t badge, const struct mica_msg *m)
{
    for (unsigned i = 0; i < STASH_MAX; i++) {
        if (!stash[i].used) {
            stash[i].used = true;
            stash[i].badge = badge;
            stash[i].m = *m;
            return;
        }
    }
    drop(m);
}

bool task_alive(uint64_t id)
{
    return mica_task_find(id, NULL);
}

bool peer_alive(const struct peer *p)
{
    return task_alive(p->id);
}

/* The next message from task `id` on the control endpoint; MICA_EDEAD when
 * the task is dead and has nothing more queued. */
static long ctl_wait(uint64_t id, struct mica_msg *out, uint64_t timeout_ms)
{
    uint64_t deadline = mica_clock_ms() + timeout_ms;
    for (;;) {
        if (from_stash(id, out))
            return MICA_OK;
        uint64_t now = mica_clock_ms();
        uint64_t slice = deadline > now ? deadline - now : 0;
        if (slice > SLICE_MS)
            slice = SLICE_MS;
        uint64_t badge = 0;
        struct mica_msg m;
        long st = kt_recv(ctl, &m, &badge, slice ? slice : MICA_NO_WAIT);
        if (st == MICA_OK) {
            if (badge == id) {
                *out = m;
                return MICA_OK;
            }
            if (peer_by_id(badge))
                to_stash(badge, &m);
            else
                drop(&m);
            continue;
        }
        if (!task_alive(id))
            return MICA_EDEAD;
        if (mica_clock_ms() >= deadline)
            return MICA_ETIMEOUT;
    }
}

long sec_spawn(const char *module, uint64_t *id, uint64_t *handle)
{
    size_t len = strlen(module) + 1;
    *handle = 0;
    if (len > NS_NAME_MAX)
        return MICA_EINVAL;
    memcpy(mica_ipc_buffer(), module, len);
    /* Our own task handle pays for the peer (init: do_spawn). */
    struct mica_msg req = {MICA_INFO(NS_SPAWN, len) | MICA_INFO_HANDLE,
                           {MICA_HANDLE_SELF}};
    struct mica_msg rep = {0};
    long st = kt_call(MICA_HANDLE_NS, &req, &rep, 10000);
    if (st != MICA_OK)
        return st;
    if (rep.info & MICA_INFO_HANDLE)
        *handle = rep.w[0];
    st = MICA_REPLY_STATUS(rep.info);
    if (st != MICA_OK && *handle) {
        mica_handle_close(*handle);
        *handle = 0;
    }
    if (st == MICA_OK)
        *id = rep.w[1];
    return st;
}

long peer_try_start(const char *module, struct peer **out)
{
    struct peer *p = NULL;
    for (unsigned i = 0; i < MAX_PEERS && !p; i++)
        if (!peers[i].used)
            p = &peers[i];
    if (!p)
        return MICA_ENOMEM;
    uint64_t id = 0, kill = 0;
    long st = sec_spawn(module, &id, &kill);
    if (st != MICA_OK)
        return st;
    *p = (struct peer){.used = true, .id = id, .kill = kill};
    struct mica_msg m;
    st = ctl_wait(id, &m, HELLO_MS);
    if (st == MICA_OK &&
        (MICA_INFO_LABEL(m.info) != SEC_HELLO || !(m.info & MICA_INFO_HANDLE))) {
        drop(&m);
        st = MICA_EINVAL;
    }
    if (st != MICA_OK) {
        if (p->kill)
            mica_handle_close(p->kill);
        p->used = false;
        return st;
    }
    p->cmd = m.w[0];
    *out = p;
    return MICA_OK;
}

struct peer *peer_start(const char *module)
{
    struct peer *p = NULL;
    long st = peer_try_start(module, &p);
    if (st != MICA_OK) {
        kt_fail(__FILE__, __LINE__, "peer %s not started: %s", module,
                kt_status_name(st));
        return NULL;
    }
    return p;
}

long peer_send(struct peer *p, uint32_t cmd, uint64_t handle, uint64_t a1, uint64_t a2,
               uint64_t a3)
{
    struct mica_msg m = {MICA_INFO(cmd, 0), {handle, a1, a2, a3}};
    if (handle)
        m.info |= MICA_INFO_HANDLE;
    return kt_send(p->cmd, &m, SEND_MS);
}

long peer_wait(struct peer *p, struct mica_msg *out, uint64_t timeout_ms)
{
    struct mica_msg m;
    long st = ctl_wait(p->id, &m, timeout_ms);
    if (st != MICA_OK)
        return st;
    if (MICA_INFO_LABEL(m.info) == SEC_WATCHDOG) {
        p->watchdog = true;
        return MICA_EDEAD;
    }
    if (MICA_INFO_LABEL(m.info) != SEC_RESULT) {
        drop(&m);
        return MICA_EINVAL;
    }
    if (out)
        *out = m;
    else
        drop(&m);
    return MICA_OK;
}

long peer_do(struct peer *p, uint32_t cmd, uint64_t handle, uint64_t a1, uint64_t a2,
             uint64_t a3, struct mica_msg *out)
{
    struct mica_msg m;
    long st = peer_send(p, cmd, handle, a1, a2, a3);
    if (st != MICA_OK)
        return st;
    st = peer_wait(p, &m, SEC_RESULT_MS);
    if (st != MICA_OK)
        return st;
    if (out)
        *out = m;
    else
        drop(&m);
    return result_status(&m);
}

bool peer_wait_dead(struct peer *p, uint64_t timeout_ms)
{
    uint64_t start = mica_clock_ms();
    while (peer_alive(p)) {
        if (mica_clock_ms() - start >= timeout_ms)
            return false;
        mica_sleep_ms(10);
    }
    return true;
}

void peer_stop(struct peer *p)
{
    if (!p || !p->used)
        return;
    if (peer_alive(p)) {
        struct mica_msg m = {MICA_INFO(CMD_EXIT, 0), {0}};
        long st = kt_send(p->cmd, &m, 200);
        uint64_t wait = st == MICA_OK ? STOP_MS : 100;
        /* A peer that cannot take the command (stuck in a fault) is ended
         * with the spawner's handle (init passes it on). */
        if (!peer_wait_dead(p, wait) && p->kill) {
            struct kt_regs r = {{p->kill}};
            (void)kt_syscall(SYS_TASK_KILL, &r, 0);
        }
        (void)peer_wait_dead(p, STOP_MS);
    }
    mica_handle_close(p->cmd);
    if (p->kill)
        mica_handle_close(p->kill);
    p->used = false;
}

void sec_cleanup(void)
{
    for (unsigned i = 0; i < MAX_PEERS; i++)
        peer_stop(&peers[i]);
    for (unsigned i = 0; i < STASH_MAX; i++) {
        if (stash[i].used)
            drop(&stash[i].m);
        stash[i].used = false;
    }
    struct mica_msg m;
    while (kt_recv(ctl, &m, NULL, MICA_NO_WAIT) == MICA_OK)
        drop(&m);
}

long sec_system_answers(void)
{
    uint64_t h;
    struct mem_stats stats;
    long st = kt_lookup("memory", &h, 3000);
    if (st != MICA_OK)
        return st;
    mica_handle_close(h);
    return mem_stats(&stats);
}

void peer_edge_attack(const char *module, enum sec_edge which)
{
    struct peer *p = peer_start(module);
    KT_ASSERT(p);
    KT_OK(peer_do(p, CMD_WATCHDOG, 0, 4000, 0, 0, NULL));
    KT_OK(peer_do(p, CMD_EDGE, 0, which, 0, 0, NULL)); /* "on my way" */
    struct mica_msg r;
    long st = peer_wait(p, &r, SEC_DEATH_MS);
    if (st == MICA_OK)
        kt_fail(__FILE__, __LINE__, "the peer came back from the edge: %lld %lld",
                (long long)r.w[1], (long long)r.w[2]);
    KT_STATUS(st, MICA_EDEAD);
    KT_ASSERT(!p->watchdog); /* killed by the kernel, not by its own timer */
    KT_ASSERT(!peer_alive(p));
    KT_OK(sec_system_answers());
}

uint64_t sec_kernel_kib(void)
{
    struct mica_mem_info mi = {0};
    (void)mica_mem_info(&mi);
    return mi.kernel_kib;
}

uint64_t sec_init_kernel_frames(void)
{
    struct mica_task_info ti;
    return kt_task_by_name("init", &ti) ? ti.kernel_frames : 0;
}

static bool own_info(struct mica_task_info *ti)
{
    for (uint32_t i = 0; mica_task_info(i, ti) == MICA_OK; i++)
        if (ti->id == mica_self_id() && ti->state != MICA_TASK_DEAD)
            return true;
    return false;
}

uint64_t sec_own_kernel_frames(void)
{
    struct mica_task_info ti;
    return own_info(&ti) ? ti.kernel_frames : 0;
}

uint64_t sec_own_objects(void)
{
    struct mica_task_info ti;
    return own_info(&ti) ? ti.objects : 0;
}

long sec_crash_under_poller(const char *name, uint64_t index, struct mica_msg *poll,
                            long *poll_status)
{
    uint64_t control, srv;
    *poll_status = MICA_EINVAL;
    long st = ns_boot_cap(NS_CAP_CONTROL, &control);
    if (st != MICA_OK)
        return st;
    struct peer *p = peer_start(SEC_PEER);
    if (!p) {
        mica_handle_close(control);
        return MICA_EDEAD;
    }
    st = peer_send(p, CMD_NAME_POLL, 0, index, 1500, 0);
    mica_sleep_ms(50);
    long looked = st == MICA_OK ? ns_lookup_via(control, name, &srv) : st;
    struct mica_msg req = {MICA_INFO(MICA_LABEL_CRASH, 0), {0}}, rep;
    long crash = looked == MICA_OK ? kt_call(srv, &req, &rep, 3000) : looked;
    if (looked == MICA_OK)
        mica_handle_close(srv);
    mica_handle_close(control);
    *poll_status = st == MICA_OK ? peer_wait(p, poll, 3000) : st;
    return crash;
}

uint64_t sec_send_copy(uint64_t h, uint64_t badge)
{
    long c = mica_handle_copy(h, MICA_RIGHT_SEND | MICA_RIGHT_GRANT, badge);
    return c > 0 ? (uint64_t)c : 0;
}

long peer_call_us(struct peer *p, uint32_t cmd, uint64_t e, uint64_t badge,
                  uint32_t label, uint64_t timeout_ms, struct mica_msg *m)
{
    uint64_t give = sec_send_copy(e, badge), got = 0;
    if (!give)
        return MICA_ENOMEM;
    long st = peer_send(p, cmd, give, label, timeout_ms, 0);
    mica_handle_close(give);
    if (st == MICA_OK)
        st = kt_recv(e, m, &got, SEC_RESULT_MS);
    return st == MICA_OK && got != badge ? MICA_EINVAL : st;
}
