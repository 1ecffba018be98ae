/*
 * Kernel command-line options: words of the form key=value, separated by
 * spaces; unknown words are ignored.
 */
#include "boot/options.h"

#include <stdbool.h>
#include <string.h>

#include "arch.h"
#include "kernel.h"

static bool test_panic, test_stack_overflow, test_ubsan, fastpath_off;

static bool word_is(const char *w, size_t len, const char *key)
{
    return strlen(key) == len && memcmp(w, key, len) == 0;
}

void options_parse(const char *cmdline)
{
    const char *p = cmdline;
    while (p && *p) {
        while (*p == ' ')
            p++;
        const char *w = p;
        while (*p && *p != ' ')
            p++;
        if (word_is(w, (size_t)(p - w), "mica.test=panic"))
            test_panic = true;
        if (word_is(w, (size_t)(p - w), "mica.test=stack_overflow"))
            test_stack_overflow = true;
        if (word_is(w, (size_t)(p - w), "mica.test=ubsan"))
            test_ubsan = true;
        if (word_is(w, (size_t)(p - w), "mica.fastpath=off"))
            fastpath_off = true;
    }
    /* The general path alone, for the equivalence tests (tests/guest). */
    arch_fastpath_set(!fastpath_off);
    kprintf("mica: ipc fastpath=%s\n", fastpath_off ? "off" : "on");
}

int options_fastpath(void)
{
    return !fastpath_off;
}

/* Three real frames deep so that the backtrace has something to show. The
 * write goes to a never-mapped kernel address: #PF in the kernel, a panic. */
__attribute__((noinline)) static void fault_level3(volatile uint64_t *p)
{
    *p = 0x6d696361;
}
__attribute__((noinline)) static void fault_level2(volatile uint64_t *p)
{
    fault_level3(p + 1);
    __asm__ volatile("" ::: "memory");
}
__attribute__((noinline)) static void fault_level1(void)
{
    fault_level2((volatile uint64_t *)0xffffffff00001000ull);
    __asm__ volatile("" ::: "memory");
}

/* Recursion deeper than any kernel stack, with a frame the compiler cannot
 * drop: runs into the boot stack's guard page long before the limit. */
__attribute__((noinline)) static uint64_t recurse(volatile uint64_t depth)
{
    volatile uint64_t pad[64];
    pad[depth % 64] = depth;
    if (depth > (1u << 20))
        return depth;
    return recurse(depth + 1) + pad[depth % 64];
}

void options_run_boot_tests(void)
{
    if (test_ubsan) {
        /* Signed overflow: undefined behaviour that the UBSan kernel traps. */
        volatile int32_t big = INT32_MAX;
        kprintf("mica: test undefined behaviour follows\n");
        kprintf("mica: ubsan test result=%d\n", (int)(big + 1));
    }
    if (test_stack_overflow) {
        kprintf("mica: test kernel stack overflow follows\n");
        recurse(0);
    }
    if (test_panic) {
        kprintf("mica: test fault in the kernel follows\n");
        fault_level1();
    }
}
