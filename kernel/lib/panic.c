/*
 * panic(): the end of the road for a broken kernel invariant. Prints
 * "PANIC: <reason>" and a backtrace on serial and screen, then halts.
 */
#include "arch.h"
#include "kernel.h"
#include "lib/klog.h"

void panic(const char *fmt, ...)
{
    va_list ap;
    console_reclaim_screen();
    klog_take_back();
    kprintf("PANIC: ");
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n");
    arch_backtrace_here();
    arch_halt();
}
