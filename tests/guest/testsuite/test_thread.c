/*
 * Suite thread: threads of one task. Two threads both make progress, with
 * yields and under preemption alone; each has its own IPC buffer; and the
 * SSE state (xmm0..xmm15 and MXCSR) of one never shows in the other.
 */
#include <mica/syscall.h>
#include <string.h>

#include "ktest.h"

#define WAIT_MS 5000

struct counter {
    volatile uint64_t count;
    volatile bool stop, ready, go;
    unsigned rounds;
};

/* Yields interleave the threads of one CPU: both run on CPU 0 (with more
 * CPUs they would otherwise run side by side, and a yield decide nothing). */
static void count_with_yields(void *arg)
{
    struct counter *c = arg;
    KT_OK(mica_thread_affinity(MICA_THREAD_SELF, 1));
    c->ready = true;
    while (!c->go)
        mica_yield(); /* until the test's thread looks */
    for (unsigned i = 0; i < c->rounds; i++) {
        c->count++;
        mica_yield();
    }
    KT_OK(mica_thread_affinity(MICA_THREAD_SELF, MICA_CPUS_ALL));
}

KTEST(thread, both_progress)
{
    struct counter other = {.rounds = 200};
    KT_OK(mica_thread_affinity(MICA_THREAD_SELF, 1));
    int job = kt_spawn(count_with_yields, &other);
    uint64_t start = mica_clock_ms();
    while (!other.ready && mica_clock_ms() - start < WAIT_MS)
        mica_yield(); /* until it is on CPU 0 too */
    other.go = true;
    bool saw_partial = false;
    for (unsigned i = 0; i < 200; i++) {
        uint64_t n = other.count;
        saw_partial = saw_partial || (n > 0 && n < other.rounds);
        mica_yield();
    }
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_OK(mica_thread_affinity(MICA_THREAD_SELF, MICA_CPUS_ALL));
    KT_EQ(other.count, 200);
    KT_ASSERT(saw_partial);
}

static void spin_until_stopped(void *arg)
{
    struct counter *c = arg;
    while (!c->stop)
        c->count++;
}

/* No syscall in either loop: only the timer can switch threads. */
KTEST(thread, preempted_without_yield)
{
    struct counter other = {0};
    int job = kt_spawn(spin_until_stopped, &other);
    uint64_t start = mica_clock_ms();
    while (other.count == 0 && mica_clock_ms() - start < 2000)
        ;
    other.stop = true;
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_CMP(other.count, >, 0);
}

struct ipc_probe {
    void *buffer;
};

static void write_own_buffer(void *arg)
{
    struct ipc_probe *p = arg;
    p->buffer = kt_ipc();
    memset(p->buffer, 0xaa, 64);
}

KTEST(thread, own_ipc_buffer)
{
    struct ipc_probe p = {0};
    uint8_t *mine = mica_ipc_buffer();
    memset(mine, 0x55, 64);
    int job = kt_spawn(write_own_buffer, &p);
    KT_ASSERT(kt_join(job, WAIT_MS));
    KT_NE((uintptr_t)p.buffer, (uintptr_t)mine);
    KT_EQ((uintptr_t)p.buffer % 4096, 0);
    KT_CMP((uintptr_t)p.buffer, <, MICA_IPC_BUFFER);
    for (unsigned i = 0; i < 64; i++)
        KT_EQ(mine[i], 0x55);
}

/* ---- SSE state. The whole check is one asm block: load xmm0..15 and
 * MXCSR, yield `rounds` times, store them back, so that the compiler
 * never uses those registers in between. */

struct sse_state {
    uint64_t xmm[32] __attribute__((aligned(16)));
    uint32_t mxcsr;
    uint32_t scratch; /* the default MXCSR, reloaded at the end */
};

static void sse_hold(const struct sse_state *in, struct sse_state *out, unsigned rounds)
{
    uint64_t n = rounds;
    __asm__ volatile("ldmxcsr 256(%[in])\n\t"
                     "movdqa 0(%[in]), %%xmm0\n\t"
                     "movdqa 16(%[in]), %%xmm1\n\t"
                     "movdqa 32(%[in]), %%xmm2\n\t"
                     "movdqa 48(%[in]), %%xmm3\n\t"
                     "movdqa 64(%[in]), %%xmm4\n\t"
                     "movdqa 80(%[in]), %%xmm5\n\t"
                     "movdqa 96(%[in]), %%xmm6\n\t"
                     "movdqa 112(%[in]), %%xmm7\n\t"
                     "movdqa 128(%[in]), %%xmm8\n\t"
                     "movdqa 144(%[in]), %%xmm9\n\t"
                     "movdqa 160(%[in]), %%xmm10\n\t"
                     "movdqa 176(%[in]), %%xmm11\n\t"
                     "movdqa 192(%[in]), %%xmm12\n\t"
                     "movdqa 208(%[in]), %%xmm13\n\t"
                     "movdqa 224(%[in]), %%xmm14\n\t"
                     "movdqa 240(%[in]), %%xmm15\n\t"
                     "1:\n\t"
                     "mov %[yield], %%eax\n\t"
                     "syscall\n\t"
                     "dec %[n]\n\t"
                     "jnz 1b\n\t"
                     "movdqa %%xmm0, 0(%[out])\n\t"
                     "movdqa %%xmm1, 16(%[out])\n\t"
                     "movdqa %%xmm2, 32(%[out])\n\t"
                     "movdqa %%xmm3, 48(%[out])\n\t"
                     "movdqa %%xmm4, 64(%[out])\n\t"
                     "movdqa %%xmm5, 80(%[out])\n\t"
                     "movdqa %%xmm6, 96(%[out])\n\t"
                     "movdqa %%xmm7, 112(%[out])\n\t"
                     "movdqa %%xmm8, 128(%[out])\n\t"
                     "movdqa %%xmm9, 144(%[out])\n\t"
                     "movdqa %%xmm10, 160(%[out])\n\t"
                     "movdqa %%xmm11, 176(%[out])\n\t"
                     "movdqa %%xmm12, 192(%[out])\n\t"
                     "movdqa %%xmm13, 208(%[out])\n\t"
                     "movdqa %%xmm14, 224(%[out])\n\t"
                     "movdqa %%xmm15, 240(%[out])\n\t"
                     "stmxcsr 256(%[out])\n\t"
                     "mov $0x1f80, %%eax\n\t"
                     "mov %%eax, 260(%[out])\n\t"
                     "ldmxcsr 260(%[out])"
                     : [n] "+r"(n)
                     : [in] "r"(in), [out] "r"(out), [yield] "i"(SYS_YIELD)
                     : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
                       "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
                       "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
                       "xmm15", "memory", "cc");
}

_Static_assert(__builtin_offsetof(struct sse_state, mxcsr) == 256, "asm offsets");
_Static_assert(__builtin_offsetof(struct sse_state, scratch) == 260, "asm offsets");

static void sse_fill(struct sse_state *s, uint64_t seed, uint32_t mxcsr)
{
    for (unsigned i = 0; i < 32; i++)
        s->xmm[i] = seed * 0x0101010101010101ull + i;
    s->mxcsr = mxcsr;
}

struct sse_job {
    struct sse_state in, out;
};

static void sse_other(void *arg)
{
    struct sse_job *j = arg;
    sse_hold(&j->in, &j->out, 300);
}

/* MXCSR 0x1f80 is the reset value; 0x7f80 also sets round-toward-zero. */
KTEST(thread, sse_state_separate)
{
    static struct sse_job other;
    static struct sse_state in, out;
    sse_fill(&other.in, 0xa5, 0x7f80);
    sse_fill(&in, 0x3c, 0x1f80);
    int job = kt_spawn(sse_other, &other);
    sse_hold(&in, &out, 300);
    KT_ASSERT(kt_join(job, WAIT_MS));
    for (unsigned i = 0; i < 32; i++) {
        KT_EQ(out.xmm[i], in.xmm[i]);
        KT_EQ(other.out.xmm[i], other.in.xmm[i]);
    }
    KT_EQ(out.mxcsr, in.mxcsr);
    KT_EQ(other.out.mxcsr, other.in.mxcsr);
}

/* ---- x87 state: the eight stack registers and the control word. As for
 * SSE, one asm block loads them, yields, and stores them back. */

struct x87_state {
    double in[8], out[8];
    uint16_t cw_in, cw_out;
};

static void x87_hold(struct x87_state *s, unsigned rounds)
{
    uint64_t n = rounds;
    uint16_t saved;
    __asm__ volatile("fnstcw %[saved]\n\t"
                     "fldcw %[cw_in]\n\t"
                     "fldl 0(%[in])\n\t"
                     "fldl 8(%[in])\n\t"
                     "fldl 16(%[in])\n\t"
                     "fldl 24(%[in])\n\t"
                     "fldl 32(%[in])\n\t"
                     "fldl 40(%[in])\n\t"
                     "fldl 48(%[in])\n\t"
                     "fldl 56(%[in])\n\t"
                     "1:\n\t"
                     "mov %[yield], %%eax\n\t"
                     "syscall\n\t"
                     "dec %[n]\n\t"
                     "jnz 1b\n\t"
                     "fnstcw %[cw_out]\n\t"
                     "fstpl 56(%[out])\n\t"
                     "fstpl 48(%[out])\n\t"
                     "fstpl 40(%[out])\n\t"
                     "fstpl 32(%[out])\n\t"
                     "fstpl 24(%[out])\n\t"
                     "fstpl 16(%[out])\n\t"
                     "fstpl 8(%[out])\n\t"
                     "fstpl 0(%[out])\n\t"
                     "fldcw %[saved]"
                     : [n] "+r"(n), [cw_out] "=m"(s->cw_out), [saved] "=m"(saved)
                     : [in] "r"(s->in), [out] "r"(s->out), [cw_in] "m"(s->cw_in),
                       [yield] "i"(SYS_YIELD)
                     : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "st",
                       "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)",
                       "memory", "cc");
}

static void x87_fill(struct x87_state *s, double seed, uint16_t cw)
{
    for (unsigned i = 0; i < 8; i++)
        s->in[i] = seed * (i + 1) + 0.25;
    s->cw_in = cw;
}

static void x87_other(void *arg)
{
    x87_hold(arg, 300);
}

/* 0x037f is the reset control word; 0x0c7f also rounds toward zero. */
KTEST(thread, x87_state_separate)
{
    static struct x87_state mine, other;
    x87_fill(&mine, 3.5, 0x037f);
    x87_fill(&other, -7.125, 0x0c7f);
    int job = kt_spawn(x87_other, &other);
    x87_hold(&mine, 300);
    KT_ASSERT(kt_join(job, WAIT_MS));
    for (unsigned i = 0; i < 8; i++) {
        KT_ASSERT(mine.out[i] == mine.in[i]);
        KT_ASSERT(other.out[i] == other.in[i]);
    }
    KT_EQ(mine.cw_out, 0x037f);
    KT_EQ(other.cw_out, 0x0c7f);
}
