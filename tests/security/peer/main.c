/*
 * secpeer / secedge: the attack suite's hostile helper task (protocol in
 * ../sec.h). It finds the suite's control endpoint by name, says hello
 * with a send handle to its own command endpoint, and then does what each
 * command says: the attacks that need a second task, or that would take
 * the suite down if the kernel let them work (a task that unmaps its own
 * text dies of it). A watchdog thread ends the task when its deadline
 * passes, so no peer outlives the test that started it by much.
 */
#include <mica/memory.h>
#include <mica/ns.h>
#include <mica/syscall.h>
#include <stdbool.h>
#include <string.h>

#include "../sec.h"

#define PAGE        MICA_PAGE_SIZE
#define SEND_MS     3000
#define LOOKUP_MS   5000
#define STACK_BYTES 8192
#define MAX_THREADS 8 /* TASK_MAX_THREADS of the kernel */
/* Our private addresses, clear of the image and of libc-mini's heap. */
#define SCRATCH_VA 0x00000d0000000000ull
#define MEM_VA     0x00000e0000000000ull
#define SCRATCH_N  64

/* Edge code (edge.S). */
extern char edge_syscall[], edge_syscall_wait[], edge_movss_tf[], edge_movss[],
    edge_fall_off[], edge_tf_last[], edge_tf_syscall[], edge_movss_tf_mid[],
    edge_movss_tf_krsp[], edge_call[], edge_signal[];

static uint64_t ctl, cmd_ep, wd_ntf;
static volatile uint64_t wd_deadline;
static unsigned threads_made = 1; /* thread 0 is main */

static uint8_t stacks[MAX_THREADS][STACK_BYTES] __attribute__((aligned(16)));
static const char rodata_probe[] = "secpeer rodata probe";
static volatile uint64_t data_probe = 0x0123456789abcdefull;

/* ---- Messages. */

static long send_to(uint64_t ep, const struct mica_msg *m, uint64_t timeout_ms)
{
    uint64_t a[6] = {ep, m->info, m->w[0], m->w[1], m->w[2], m->w[3]};
    return mica_raw_syscall(SYS_SEND, a, timeout_ms);
}

static void report(uint64_t handle, long status, uint64_t a, uint64_t b)
{
    struct mica_msg m = {MICA_INFO(SEC_RESULT, 0), {handle, (uint64_t)status, a, b}};
    if (handle)
        m.info |= MICA_INFO_HANDLE;
    (void)send_to(ctl, &m, SEND_MS);
}

/* Reports that step `step` of an attack went otherwise than the kernel
 * promises (value: what happened instead), and returns. */
#define STEP(step, value)                                                                \
    do {                                                                                 \
        report(0, MICA_OK, (step), (value));                                             \
        return;                                                                          \
    } while (0)

/* ---- Threads. */

/* A new thread on one of our stacks; its number, or the kernel's error. */
static long spawn_thread(void (*fn)(uint64_t, void *), uint64_t arg)
{
    if (threads_made >= MAX_THREADS)
        return MICA_ENOMEM;
    long k = mica_thread_create(fn, stacks[threads_made] + STACK_BYTES, arg);
    if (k > 0)
        threads_made++;
    return k;
}

/* Ends the task when the deadline passes (CMD_WATCHDOG moves it). It
 * waits on its own notification, made at start, so that it works when
 * the task has used up its object quota. */
static void watchdog(uint64_t arg, void *ipc)
{
    (void)arg;
    (void)ipc;
    for (;;) {
        uint64_t now = mica_clock_ms(), bits;
        if (now >= wd_deadline)
            break;
        if (mica_notify_wait(wd_ntf, &bits, wd_deadline - now) == MICA_EBADH)
            break;
    }
    struct mica_msg m = {MICA_INFO(SEC_WATCHDOG, 0), {0}};
    (void)send_to(ctl, &m, 300);
    mica_exit(3);
}

/* A thread that only waits (it cannot end by itself). */
static void idle_thread(uint64_t arg, void *ipc)
{
    (void)ipc;
    uint64_t bits;
    for (;;)
        (void)mica_notify_wait(arg, &bits, MICA_WAIT_FOREVER);
}

static void exit_after(uint64_t ms, void *ipc)
{
    (void)ipc;
    uint64_t end = mica_clock_ms() + ms, bits;
    while (mica_clock_ms() < end)
        (void)mica_notify_wait(wd_ntf, &bits, end - mica_clock_ms());
    mica_exit(4);
}

/* ---- CMD_PAGER_CLOSED: a pager thread of our own. */

static struct {
    uint64_t ep;
    volatile uint64_t label, addr;
    volatile long map_status;
} pager;

static void pager_thread(uint64_t arg, void *ipc)
{
    (void)arg;
    (void)ipc;
    struct mica_msg m;
    long st = mica_recv(pager.ep, &m, NULL, 3000);
    if (st != MICA_OK) {
        pager.map_status = st;
        return; /* the faulting thread stays blocked; the watchdog ends us */
    }
    pager.label = MICA_INFO_LABEL(m.info);
    pager.addr = m.w[0];
    pager.map_status = mem_alloc(m.w[0] & ~(PAGE - 1), 1, MICA_MAP_WRITE);
    struct mica_msg r = {MICA_INFO(pager.map_status == MICA_OK ? 0 : 1, 0), {0}};
    mica_reply(&r);
    uint64_t bits;
    for (;;)
        (void)mica_notify_wait(wd_ntf, &bits, MICA_WAIT_FOREVER);
}

static void do_pager_closed(uint64_t addr, uint64_t value)
{
    long st = mem_hello();
    long e = mica_endpoint_create();
    if (st != MICA_OK || e <= 0) {
        report(0, st != MICA_OK ? st : e, 1, 0);
        return;
    }
    pager.ep = (uint64_t)e;
    long s = mica_handle_copy(pager.ep, MICA_RIGHT_SEND, 0);
    st = s > 0 ? mica_set_pager(MICA_HANDLE_SELF, (uint64_t)s) : s;
    if (s > 0)
        mica_handle_close((uint64_t)s);
    if (st != MICA_OK) {
        report(0, st, 2, 0);
        return;
    }
    /* Churn: endpoints made and dropped, so that a freed slot would be
     * taken again now. */
    for (int i = 0; i < 8; i++) {
        long h = mica_endpoint_create();
        if (h > 0)
            mica_handle_close((uint64_t)h);
    }
    st = spawn_thread(pager_thread, 0);
    if (st <= 0) {
        report(0, st, 3, 0);
        return;
    }
    volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)addr;
    *p = value;
    uint64_t got = *p;
    bool ok = pager.label == MICA_LABEL_PAGE_FAULT && pager.map_status == MICA_OK;
    report(0, ok ? MICA_OK : MICA_EINVAL, got, pager.addr);
}

static void do_pager_orphan(void)
{
    long e = mica_endpoint_create();
    if (e <= 0) {
        report(0, e, 0, 0);
        return;
    }
    long s = mica_handle_copy((uint64_t)e, MICA_RIGHT_SEND, 0);
    long st = s > 0 ? mica_set_pager(MICA_HANDLE_SELF, (uint64_t)s) : s;
    if (s > 0)
        mica_handle_close((uint64_t)s);
    mica_handle_close((uint64_t)e);
    report(0, st, 0, 0);
}

/* ---- CMD_IPCBUF. */

static struct {
    uint64_t ep, done, seed;
    volatile uint64_t ipc;
    volatile long status;
    volatile bool match;
} buf;

static uint8_t pattern_byte(uint64_t seed, unsigned i)
{
    return (uint8_t)((seed >> ((i % 8) * 8)) ^ (i * 131u));
}

static bool has_pattern(const volatile uint8_t *p, uint64_t seed, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (p[i] != pattern_byte(seed, i))
            return false;
    return true;
}

static void buf_thread(uint64_t arg, void *ipc)
{
    (void)arg;
    struct mica_msg m;
    buf.ipc = (uint64_t)(uintptr_t)ipc;
    buf.status = mica_recv(buf.ep, &m, NULL, 3000);
    buf.match = buf.status == MICA_OK && MICA_INFO_LEN(m.info) == PAGE &&
                has_pattern(ipc, buf.seed, PAGE);
    mica_notify_signal(buf.done, 1);
    uint64_t bits;
    for (;;)
        (void)mica_notify_wait(wd_ntf, &bits, MICA_WAIT_FOREVER);
}

/* The IPC-buffer aliasing attack: put a RAM page of our own where the
 * next thread's IPC buffer goes, have THREAD_CREATE refused, give the page
 * back to the memory server, take many pages from it again, make the
 * thread, and send it a payload: the payload is in the thread's buffer and
 * in none of the pages we got back. Reports (step that went wrong, value);
 * step 0 is success. */
static void do_ipcbuf(uint64_t seed)
{
    uint64_t va = MICA_IPC_BUFFER - threads_made * PAGE, bits;
    long st = mem_hello();
    if (st != MICA_OK)
        STEP(1, (uint64_t)st);
    long e = mica_endpoint_create(), n = mica_notify_create();
    if (e <= 0 || n <= 0)
        STEP(2, (uint64_t)(e <= 0 ? e : n));
    buf.ep = (uint64_t)e;
    buf.done = (uint64_t)n;
    buf.seed = seed;
    st = mem_alloc(va, 1, MICA_MAP_WRITE);
    if (st != MICA_OK)
        STEP(3, (uint64_t)st);
    *(volatile uint64_t *)(uintptr_t)va = 0x5a5a5a5a5a5a5a5aull;
    st = mica_thread_create(buf_thread, stacks[threads_made] + STACK_BYTES, 0);
    if (st != MICA_EBUSY)
        STEP(4, (uint64_t)st);
    if (*(volatile uint64_t *)(uintptr_t)va != 0x5a5a5a5a5a5a5a5aull)
        STEP(5, *(volatile uint64_t *)(uintptr_t)va);
    st = mem_free(va, 1);
    if (st != 1)
        STEP(6, (uint64_t)st);
    st = mem_alloc(SCRATCH_VA, SCRATCH_N, MICA_MAP_WRITE);
    if (st != MICA_OK)
        STEP(7, (uint64_t)st);
    st = spawn_thread(buf_thread, 0);
    if (st <= 0)
        STEP(8, (uint64_t)st);
    uint8_t *mine = mica_ipc_buffer();
    for (unsigned i = 0; i < PAGE; i++)
        mine[i] = pattern_byte(seed, i);
    struct mica_msg m = {MICA_INFO(0x77, PAGE), {0}};
    st = send_to(buf.ep, &m, 3000);
    if (st != MICA_OK)
        STEP(9, (uint64_t)st);
    st = mica_notify_wait(buf.done, &bits, 3000);
    if (st != MICA_OK)
        STEP(10, (uint64_t)st);
    if (buf.ipc != va)
        STEP(11, buf.ipc);
    if (!buf.match)
        STEP(12, (uint64_t)buf.status);
    unsigned hits = 0;
    for (unsigned p = 0; p < SCRATCH_N; p++)
        hits +=
            has_pattern((const uint8_t *)(uintptr_t)(SCRATCH_VA + p * PAGE), seed, 64);
    mem_free(SCRATCH_VA, SCRATCH_N);
    if (hits)
        STEP(13, hits);
    report(0, MICA_OK, 0, 0);
}

/* ---- CMD_UNMAP_SELF. */

static void do_unmap_self(void)
{
    uint64_t here = (uint64_t)(uintptr_t)__builtin_frame_address(0);
    const uint64_t pages[] = {
        (uint64_t)(uintptr_t)do_unmap_self,
        (uint64_t)(uintptr_t)rodata_probe,
        (uint64_t)(uintptr_t)&data_probe,
        (uint64_t)(uintptr_t)&stacks[0][0],
        here,
        0x00007ffffff00000ull - 64 * 1024, /* bottom of the user stack */
        MICA_IPC_BUFFER,
        MICA_IPC_BUFFER - PAGE, /* the watchdog's */
        SEC_EDGE_PAGE,
    };
    for (unsigned i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
        long st = mica_unmap(MICA_HANDLE_SELF, pages[i] & ~(PAGE - 1));
        if (st != MICA_ENOENT)
            STEP(i + 1, (uint64_t)st);
    }
    const uint64_t bad[] = {0, 0x0000800000000000ull, 0xffff800000000000ull,
                            0xffffffff80000000ull, 0x00007ffffffff001ull};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long st = mica_unmap(MICA_HANDLE_SELF, bad[i]);
        if (st != MICA_EINVAL)
            STEP(20 + i, (uint64_t)st);
    }
    /* The same through the memory server: MEM_FREE makes it UNMAP these
     * pages of ours (it holds our task handle) and free what it gets. */
    long st = mem_hello();
    if (st != MICA_OK)
        STEP(40, (uint64_t)st);
    for (unsigned i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
        st = mem_free(pages[i] & ~(PAGE - 1), 1);
        if (st != 0)
            STEP(41 + i, (uint64_t)st);
    }
    st = mem_free(0x400000, 8); /* the whole image */
    if (st != 0)
        STEP(60, (uint64_t)st);
    /* Everything still there and usable. */
    if (strcmp(rodata_probe, "secpeer rodata probe") != 0)
        STEP(30, 0);
    data_probe++;
    if (data_probe != 0x0123456789abcdf0ull)
        STEP(31, data_probe);
    stacks[0][0] = 1;
    report(0, MICA_OK, 0, 0);
}

/* ---- CMD_THREAD_BAD. */

static void do_thread_bad(void)
{
    uint64_t good_stack = (uint64_t)(uintptr_t)(stacks[MAX_THREADS - 1] + STACK_BYTES);
    uint64_t good_entry = (uint64_t)(uintptr_t)idle_thread;
    const struct {
        uint64_t entry, stack;
    } bad[] = {
        {0xffffffff80000000ull, good_stack}, /* kernel text */
        {0xffff800000000000ull, good_stack}, /* kernel half */
        {0x0000800000000000ull, good_stack}, /* non-canonical */
        {~0ull, good_stack},
        {good_entry, 0xffff800000000000ull}, /* kernel stack top */
        {good_entry, 0x0000800000000000ull}, /* non-canonical, 16-aligned */
        {good_entry, 0x8000000000000000ull},
        {good_entry, good_stack + 8}, /* misaligned */
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t a[6] = {bad[i].entry, bad[i].stack, wd_ntf};
        long st = mica_raw_syscall(SYS_THREAD_CREATE, a, 0);
        if (st != MICA_EINVAL)
            STEP(i + 1, (uint64_t)st);
    }
    /* All the threads a task may have, and then one more. */
    unsigned made = 0;
    long st;
    while ((st = spawn_thread(idle_thread, wd_ntf)) > 0)
        made++;
    uint64_t a[6] = {good_entry, good_stack, wd_ntf};
    long more = mica_raw_syscall(SYS_THREAD_CREATE, a, 0);
    if (more != MICA_ENOMEM)
        STEP(20, (uint64_t)more);
    report(0, MICA_OK, 0, made);
}

/* ---- Saved replies: CMD_SAVE_HOLD, CMD_REPLY_DRAIN, CMD_REPLY_DROP. */

#define KEPT_MAX 64

static uint64_t kept[KEPT_MAX]; /* reply handles we hold until exit or drop */
static unsigned kept_n;

static void keep_reply(uint64_t h)
{
    if (kept_n < KEPT_MAX)
        kept[kept_n++] = h;
}

/* Takes one call on ep and saves it; the reply handle stays ours (a copy
 * goes to the suite with the result when asked). */
static void do_save_hold(uint64_t ep, uint64_t timeout_ms, uint64_t give)
{
    struct mica_msg got;
    long st = ep ? mica_recv(ep, &got, NULL, timeout_ms) : MICA_EBADH;
    if (ep)
        mica_handle_close(ep);
    if (st != MICA_OK) {
        report(0, st, 0, 0);
        return;
    }
    long r = mica_reply_save();
    if (r <= 0) {
        struct mica_msg no = {MICA_INFO(1, 0), {0}};
        mica_reply(&no);
        report(0, r, 0, 0);
        return;
    }
    keep_reply((uint64_t)r);
    report(give ? (uint64_t)r : 0, MICA_OK, (uint64_t)r, 0);
}

static struct {
    uint64_t ep;
    volatile bool done;
    volatile long last;      /* the status of the caller's last call */
    volatile uint32_t label; /* and its reply's label */
} drain;

/* Calls our own endpoint until an answer's label is not 0. */
static void drain_caller(uint64_t arg, void *ipc)
{
    (void)arg;
    (void)ipc;
    for (;;) {
        struct mica_msg req = {MICA_INFO(1, 0), {0}}, rep = {0};
        drain.last = mica_call(drain.ep, &req, &rep, 2000);
        drain.label = MICA_INFO_LABEL(rep.info);
        if (drain.last != MICA_OK || drain.label != 0)
            break;
    }
    drain.done = true;
    uint64_t bits;
    for (;;)
        (void)mica_notify_wait(wd_ntf, &bits, MICA_WAIT_FOREVER);
}

/* Saves our caller thread's calls one after another: each is answered at
 * once through its reply handle (so that the caller calls again) while a
 * copy of that handle keeps the reply object, and its budget slot, ours.
 * The call whose save is refused must still be ours to answer. */
static void do_reply_drain(uint64_t max)
{
    if (!drain.ep) {
        long e = mica_endpoint_create();
        if (e <= 0) {
            report(0, e, 0, 0);
            return;
        }
        drain.ep = (uint64_t)e;
    }
    drain.done = false;
    long t = spawn_thread(drain_caller, 0);
    if (t <= 0) {
        report(0, t, 0, 0);
        return;
    }
    uint64_t n = 0;
    long st = MICA_OK;
    while (n < max) {
        struct mica_msg m;
        st = mica_recv(drain.ep, &m, NULL, 2000);
        if (st != MICA_OK)
            break;
        long r = mica_reply_save();
        if (r <= 0) {
            st = r;
            break;
        }
        long copy = mica_handle_copy((uint64_t)r, MICA_RIGHT_SEND, 0);
        struct mica_msg again = {MICA_INFO(0, 0), {0}};
        mica_reply_to((uint64_t)r, &again);
        if (copy <= 0) {
            st = copy;
            break;
        }
        keep_reply((uint64_t)copy);
        n++;
    }
    struct mica_msg stop = {MICA_INFO(2, 0), {0}};
    long owed = mica_reply(&stop);
    /* No mica_sleep_ms: its notification may not fit our budget now. */
    uint64_t until = mica_clock_ms() + 1000;
    while (!drain.done && mica_clock_ms() < until)
        mica_yield();
    long got = owed != MICA_OK         ? owed
               : !drain.done           ? MICA_ETIMEOUT
               : drain.last != MICA_OK ? drain.last
                                       : (long)drain.label;
    report(0, st, n, (uint64_t)got);
}

static void do_reply_drop(void)
{
    unsigned n = kept_n;
    for (unsigned i = 0; i < kept_n; i++)
        mica_handle_close(kept[i]);
    kept_n = 0;
    report(0, MICA_OK, n, 0);
}

/* ---- Others. */

static void do_make_objects(uint64_t kind)
{
    long st, count = 0;
    while (count < 100) {
        st = kind ? mica_notify_create() : mica_endpoint_create();
        if (st <= 0)
            break;
        count++;
    }
    report(0, st, (uint64_t)count, 0);
}

static void do_mem_works(void)
{
    long st = mem_hello();
    if (st == MICA_OK)
        st = mem_alloc(MEM_VA, 1, MICA_MAP_WRITE);
    if (st == MICA_OK) {
        volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)MEM_VA;
        *p = 0x1234;
        st = *p == 0x1234 ? MICA_OK : MICA_EINVAL;
        long freed = mem_free(MEM_VA, 1);
        if (st == MICA_OK && freed != 1)
            st = freed < 0 ? freed : MICA_EINVAL;
    }
    report(0, st, 0, 0);
}

static void do_map_spread(uint64_t max)
{
    long st = mem_hello();
    uint64_t count = 0;
    for (uint64_t i = 1; st == MICA_OK && i <= max; i++) {
        st = mem_alloc(i << 30, 1, MICA_MAP_WRITE);
        if (st == MICA_OK)
            count++;
    }
    report(0, st, count, 0);
}

/* EDGE_CALL's server: takes each call and answers it with REPLY_RECV,
 * which goes by the fast path to the caller waiting in its CALL. */
static void edge_server(uint64_t ep, void *ipc)
{
    (void)ipc;
    struct mica_msg m;
    long st = mica_recv(ep, &m, NULL, MICA_WAIT_FOREVER);
    while (st == MICA_OK)
        st = mica_reply_recv(ep, &m, &m, NULL, MICA_WAIT_FOREVER);
    mica_exit(4);
}

/* The edge code by enum sec_edge. A table of 64-bit pointers: the last
 * page lies far above what the small code model's 32-bit references (a
 * switch's own table, say) can name. */
static void *const edges[] = {
    [EDGE_SYSCALL] = edge_syscall,
    [EDGE_SYSCALL_WAIT] = edge_syscall_wait,
    [EDGE_MOVSS_TF] = edge_movss_tf,
    [EDGE_MOVSS] = edge_movss,
    [EDGE_TF_SYSCALL] = edge_tf_syscall,
    [EDGE_MOVSS_TF_MID] = edge_movss_tf_mid,
    [EDGE_FALL_OFF] = edge_fall_off,
    [EDGE_TF_LAST] = edge_tf_last,
    [EDGE_CALL] = edge_call,
    [EDGE_SIGNAL] = edge_signal,
    [EDGE_WAIT_PENDING] = edge_syscall_wait,
    [EDGE_MOVSS_TF_KRSP] = edge_movss_tf_krsp,
};

static void do_edge(uint64_t which)
{
    long ntf = mica_notify_create();
    void *to = NULL;
    if (which == EDGE_CALL && ntf > 0) {
        /* The edge code gets the endpoint instead, with the server
         * waiting on it already, so that the call and its reply take the
         * fast paths. */
        long ep = mica_endpoint_create();
        if (ep <= 0 || spawn_thread(edge_server, (uint64_t)ep) <= 0) {
            report(0, ep <= 0 ? ep : MICA_ENOMEM, 0, 0);
            return;
        }
        mica_sleep_ms(20);
        ntf = ep;
    }
    if (which == EDGE_WAIT_PENDING && ntf > 0 && mica_notify_signal(ntf, 1) != MICA_OK)
        ntf = 0;
    if (which < sizeof(edges) / sizeof(edges[0]))
        to = edges[which];
    if (!to || ntf <= 0) {
        report(0, MICA_EINVAL, 0, 0);
        return;
    }
    report(0, MICA_OK, 0, 0); /* on our way: the suite now waits for our death */
    ((void (*)(uint64_t))to)((uint64_t)ntf);
    report(0, MICA_EINVAL, 1, 0); /* never: the edge code does not return */
}

static void dispatch(const struct mica_msg *m)
{
    uint64_t h = (m->info & MICA_INFO_HANDLE) ? m->w[0] : 0;
    const uint64_t *w = m->w;
    switch (MICA_INFO_LABEL(m->info)) {
    case CMD_EXIT:
        mica_exit(0);
    case CMD_WATCHDOG:
        wd_deadline = mica_clock_ms() + w[1];
        mica_notify_signal(wd_ntf, 1);
        report(0, MICA_OK, 0, 0);
        return;
    case CMD_PING:
        report(0, MICA_OK, mica_self_id(), 0);
        return;
    case CMD_GIVE_SELF:
        report(MICA_HANDLE_SELF, MICA_OK, 0, 0);
        return;
    case CMD_MAKE_EP: {
        long e = mica_endpoint_create();
        if (e > 0)
            report((uint64_t)e, MICA_OK, 0, 0);
        else
            report(0, e, 0, 0);
        return;
    }
    case CMD_SERVE_DIE: {
        struct mica_msg got;
        long st = h ? mica_recv(h, &got, NULL, w[1]) : MICA_EBADH;
        if (st == MICA_OK)
            mica_exit(5); /* the call taken, never answered */
        report(0, st, 0, 0);
        return;
    }
    case CMD_SERVE2_DIE: {
        struct mica_msg got;
        long st = h ? mica_recv(h, &got, NULL, w[1]) : MICA_EBADH;
        if (st == MICA_OK)
            st = mica_recv(h, &got, NULL, w[1]);
        if (st == MICA_OK)
            mica_exit(5); /* two calls taken, the first one's link overwritten */
        report(0, st, 0, 0);
        return;
    }
    case CMD_CALL:
    case CMD_CALL_EXIT: {
        struct mica_msg req = {MICA_INFO((uint32_t)w[1], 0), {0}}, rep = {0};
        bool exits = MICA_INFO_LABEL(m->info) == CMD_CALL_EXIT;
        if (exits && spawn_thread(exit_after, w[2]) <= 0) {
            report(0, MICA_ENOMEM, 0, 0);
            return;
        }
        long st = mica_call(h, &req, &rep, exits ? MICA_WAIT_FOREVER : w[2]);
        mica_handle_close(h);
        report(0, st, MICA_INFO_LABEL(rep.info), rep.w[0]);
        return;
    }
    case CMD_SET_PAGER: {
        long st = mica_set_pager(MICA_HANDLE_SELF, h);
        mica_handle_close(h);
        report(0, st, 0, 0);
        return;
    }
    case CMD_TOUCH: {
        volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)w[1];
        *p = w[2];
        report(0, MICA_OK, *p, 0);
        return;
    }
    case CMD_KCOPY: {
        uint64_t a[6] = {w[1], 8};
        report(0, mica_raw_syscall(SYS_DEBUG_WRITE, a, 0), 0, 0);
        return;
    }
    case CMD_PAGER_CLOSED:
        do_pager_closed(w[1], w[2]);
        return;
    case CMD_PAGER_ORPHAN:
        do_pager_orphan();
        return;
    case CMD_IPCBUF:
        do_ipcbuf(w[1]);
        return;
    case CMD_UNMAP_SELF:
        do_unmap_self();
        return;
    case CMD_THREAD_BAD:
        do_thread_bad();
        return;
    case CMD_MAKE_OBJECTS:
        do_make_objects(w[1]);
        return;
    case CMD_MEM_WORKS:
        do_mem_works();
        return;
    case CMD_REGISTER:
    case CMD_NAME_POLL: {
        static const char *const names[] = SEC_NAMES;
        if (w[1] >= SEC_NAME_COUNT) {
            report(0, MICA_EINVAL, 0, 0);
            return;
        }
        long e = mica_endpoint_create();
        if (e <= 0) {
            report(0, e, 0, 0);
            return;
        }
        if (MICA_INFO_LABEL(m->info) == CMD_REGISTER) {
            report(0, ns_register(names[w[1]], (uint64_t)e), 0, 0);
            return; /* the endpoint stays, as a server's would */
        }
        uint64_t ok = 0, tries = 0, until = mica_clock_ms() + w[2];
        while (mica_clock_ms() < until) {
            tries++;
            if (ns_register(names[w[1]], (uint64_t)e) == MICA_OK)
                ok++;
        }
        mica_handle_close((uint64_t)e);
        report(0, MICA_OK, ok, tries);
        return;
    }
    case CMD_BOOT_CAP: {
        uint64_t h = 0;
        long st = ns_boot_cap((uint32_t)w[1], &h);
        if (st == MICA_OK)
            mica_handle_close(h);
        report(0, st, 0, 0);
        return;
    }
    case CMD_HELLO_WITH: {
        uint64_t mem;
        long st = ns_lookup("memory", &mem);
        if (st == MICA_OK) {
            struct mica_msg req = {MICA_INFO(MEM_HELLO, 0) | MICA_INFO_HANDLE, {h}}, rep;
            st = mica_call(mem, &req, &rep, 2000);
            if (st == MICA_OK)
                st = MICA_REPLY_STATUS(rep.info);
            mica_handle_close(mem);
        }
        if (h)
            mica_handle_close(h);
        report(0, st, 0, 0);
        return;
    }
    case CMD_MEM_HOG: {
        enum { CHUNK = 256 };
        const uint64_t base = 0x0000200000000000ull; /* 32 TiB: a range of its own */
        uint64_t got = 0;
        long st;
        while ((st = mem_alloc(base + got * PAGE, CHUNK, MICA_MAP_WRITE)) == MICA_OK)
            got += CHUNK;
        while ((st = mem_alloc(base + got * PAGE, 1, MICA_MAP_WRITE)) == MICA_OK)
            got++;
        report(0, st, got, 0);
        return;
    }
    case CMD_CALL_NAMED: {
        static const char *const names[] = SEC_NAMES;
        uint64_t h;
        long st = w[1] < SEC_NAME_COUNT ? ns_lookup(names[w[1]], &h) : MICA_EINVAL;
        if (st != MICA_OK) {
            report(0, st, 0, 0);
            return;
        }
        struct mica_msg req = {MICA_INFO((uint32_t)w[2], 0), {w[3]}}, rep = {0};
        st = mica_call(h, &req, &rep, 1000);
        mica_handle_close(h);
        if (st == MICA_OK && (rep.info & MICA_INFO_HANDLE) && rep.w[0])
            mica_handle_close(rep.w[0]);
        report(0, st, (uint64_t)MICA_REPLY_STATUS(rep.info), 0);
        return;
    }
    case CMD_LOG_FORGE: {
        uint64_t h = 0;
        long ask = ns_boot_cap(NS_CAP_LOG_WRITE, &h);
        static const char forged[] = "mica: server name=sec-forged-peer state=up\n"
                                     "\rPANIC: sec-forged-peer\n"
                                     "mica: fault task=sec-forged-peer vector=14 rip=0x0 "
                                     "addr=0x0 action=killed\n";
        long wrote = mica_debug_write(forged, sizeof(forged) - 1);
        report(0, ask, (uint64_t)wrote, 0);
        return;
    }
    case CMD_SPAWN: {
        uint64_t id = 0;
        long st = ns_spawn(SEC_PEER, &id);
        report(0, st, id, 0);
        return;
    }
    case CMD_SPAWN_LOOP: {
        uint64_t id = 0, n = 0;
        long st = MICA_OK;
        while (n < w[1] && (st = ns_spawn(SEC_PEER, &id)) == MICA_OK)
            n++;
        report(0, st, n, 0);
        return;
    }
    case CMD_EDGE:
        do_edge(w[1]);
        return;
    case CMD_SAVE_HOLD:
        do_save_hold(h, w[1], w[2]);
        return;
    case CMD_REPLY_DRAIN:
        do_reply_drain(w[1]);
        return;
    case CMD_REPLY_DROP:
        do_reply_drop();
        return;
    case CMD_MAP_SPREAD:
        do_map_spread(w[1]);
        return;
    }
    if (h)
        mica_handle_close(h);
    report(0, MICA_ENOSYS, 0, 0);
}

int main(void)
{
    wd_deadline = mica_clock_ms() + SEC_WATCHDOG_MS;
    long n = mica_notify_create();
    if (n <= 0)
        return 1;
    wd_ntf = (uint64_t)n;
    (void)spawn_thread(watchdog, 0); /* without it we just live on */
    long e = mica_endpoint_create();
    if (e <= 0)
        return 1;
    cmd_ep = (uint64_t)e;
    uint64_t start = mica_clock_ms();
    long st;
    while ((st = ns_lookup(SEC_CTL_NAME, &ctl)) == MICA_ENOENT &&
           mica_clock_ms() - start < LOOKUP_MS)
        mica_sleep_ms(20);
    if (st != MICA_OK)
        return 2;
    long give = mica_handle_copy(cmd_ep, MICA_RIGHT_SEND | MICA_RIGHT_GRANT, 0);
    if (give <= 0)
        return 1;
    struct mica_msg hello = {MICA_INFO(SEC_HELLO, 0) | MICA_INFO_HANDLE,
                             {(uint64_t)give}};
    st = send_to(ctl, &hello, 10000);
    mica_handle_close((uint64_t)give);
    if (st != MICA_OK)
        return 2;
    for (;;) {
        struct mica_msg m;
        if (mica_recv(cmd_ep, &m, NULL, MICA_WAIT_FOREVER) == MICA_OK)
            dispatch(&m);
    }
}
