/*
 * Kernel stacks of threads: one slot per thread, each a guard page followed
 * by KSTACK_SIZE bytes of stack. paging.c leaves every guard page unmapped,
 * so an overflow faults (and, since the CPU cannot push the #PF frame on
 * the broken stack, ends as a #DF on its IST stack, which trap.c reports as
 * a stack overflow) instead of running into the neighbouring stack.
 */
#include "arch.h"
#include "arch/x86_64/kstack.h"
#include "arch/x86_64/layout.h"

#define SLOT (KSTACK_SIZE + PAGE_SIZE)

static uint8_t kstacks[ARCH_MAX_KSTACKS][SLOT] __attribute__((aligned(PAGE_SIZE)));

uint64_t arch_kstack_top(unsigned i)
{
    return i < ARCH_MAX_KSTACKS ? (uint64_t)&kstacks[i][SLOT] : 0;
}

static bool in_area(uint64_t a)
{
    return a >= (uint64_t)kstacks && a < (uint64_t)kstacks + sizeof(kstacks);
}

bool kstack_is_guard(uint64_t a)
{
    return in_area(a) && (a - (uint64_t)kstacks) % SLOT < PAGE_SIZE;
}

bool kstack_contains(uint64_t a)
{
    return in_area(a) && !kstack_is_guard(a);
}
