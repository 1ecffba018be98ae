/*
 * Frame-pointer backtraces. The kernel is built with -fno-omit-frame-pointer,
 * so each frame starts with [saved rbp, return address]. The walk trusts no
 * pointer: each must be aligned, inside a kernel stack, and strictly above
 * the previous one; at most MAX_FRAMES are printed. Addresses can be turned
 * into source lines with `addr2line -e build/kernel/mica.elf`.
 */
#include "arch/x86_64/backtrace.h"

#include "arch.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/kstack.h"
#include "kernel.h"

#define MAX_FRAMES 16

extern char boot_stack_guard[], boot_stack_bottom[], boot_stack_top[];

bool backtrace_is_stack_guard(uint64_t addr)
{
    return (addr >= (uint64_t)boot_stack_guard && addr < (uint64_t)boot_stack_bottom) ||
           kstack_is_guard(addr);
}

static bool on_kernel_stack(uint64_t addr)
{
    bool boot =
        addr >= (uint64_t)boot_stack_bottom && addr + 16 <= (uint64_t)boot_stack_top;
    return boot || gdt_on_ist_stack(addr) ||
           (kstack_contains(addr) && kstack_contains(addr + 15));
}

void backtrace_print(uint64_t rip, uint64_t rbp)
{
    kprintf("backtrace:\n  #0  %#llx\n", (unsigned long long)rip);
    for (int i = 1; i < MAX_FRAMES; i++) {
        if ((rbp & 7) || !on_kernel_stack(rbp))
            break;
        const uint64_t *frame = (const uint64_t *)rbp;
        if (frame[1] == 0)
            break;
        kprintf("  #%-2d %#llx\n", i, (unsigned long long)frame[1]);
        if (frame[0] <= rbp)
            break;
        rbp = frame[0];
    }
}

void arch_backtrace_here(void)
{
    const uint64_t *frame = __builtin_frame_address(0);
    backtrace_print(frame[1], frame[0]);
}
