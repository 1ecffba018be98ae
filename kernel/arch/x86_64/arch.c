/*
 * Small x86_64 hooks: boot facts left by boot.S, the physical map, COM1
 * output, halting and the QEMU exit device.
 */
#include "arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/pc.h"
#include "arch/x86_64/percpu.h"
#include "sched/lock.h"

#define COM1_LSR (PC_COM1 + 5)
#define LSR_THRE 0x20
/* QEMU's isa-debug-exit device, when present (tests add it at 0xf4). */
#define QEMU_EXIT_PORT 0xf4

extern uint32_t boot_info_phys;
extern char __boot_start[], __kernel_end[];

void arch_boot_facts(struct arch_boot *out)
{
    out->info_phys = boot_info_phys;
    out->kernel_phys_start = (uint64_t)__boot_start;
    out->kernel_phys_end = (uint64_t)__kernel_end - KERNEL_VMA;
}

void *phys_to_virt(uint64_t phys)
{
    return (void *)(phys + PHYSMAP_BASE);
}

/* Polled 16550 output (boot.S programmed 115200 8N1). The wait is bounded so
 * a machine without COM1 (LSR reads 0xff or never drains) cannot hang us. */
static void serial_putc(char c)
{
    for (int spins = 0; spins < 100000; spins++) {
        if (inb(COM1_LSR) & LSR_THRE)
            break;
        cpu_pause();
    }
    outb(PC_COM1, (uint8_t)c);
}

void arch_serial_write(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n')
            serial_putc('\r');
        serial_putc(s[i]);
    }
}

void arch_qemu_exit(uint32_t code)
{
    outl(QEMU_EXIT_PORT, code);
}

void arch_halt(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* Entered holding the kernel lock (sched_start); the interrupts that end
 * each hlt take it again (trap.c) and, if they switch to a thread, hand it
 * on to that thread. */
void arch_idle_loop(void)
{
    this_cpu()->idle_window = true;
    kernel_lock_release();
    for (;;)
        __asm__ volatile("sti; hlt");
}

void arch_cpu_relax(void)
{
    cpu_pause();
}

/* Reset through the 8042's pulse-reset command (0xfe), then by a triple
 * fault with an empty IDT if the controller did not respond. */
void arch_reset(void)
{
    for (int i = 0; i < 100000 && (inb(0x64) & 2); i++)
        cpu_pause();
    outb(0x64, 0xfe);
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) empty = {0, 0};
    __asm__ volatile("lidt %0; int3" : : "m"(empty));
    arch_halt();
}

uint64_t arch_entropy(void)
{
    return rdtsc();
}
