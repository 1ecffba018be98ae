/*
 * arch_cpu_init(): descriptor tables and the CPU protection features.
 * SMEP and SMAP (CPUID.(EAX=7,ECX=0):EBX bits 7 and 20, SDM Vol. 3A §4.6)
 * are switched on when present; NX was switched on by boot.S when the CPU
 * has it.
 */
#include "arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/trap.h"
#include "kernel.h"

extern uint32_t boot_nx;
void syscall_init(void);
void fpu_init_template(void);

static bool cpu_smep, cpu_smap;
uint8_t smap_enabled; /* read by uaccess.S */

/* The control-register bits every CPU runs with, the same on each. */
static void protect_this_cpu(void)
{
    uint64_t cr4 = read_cr4();
    if (cpu_smep)
        cr4 |= CR4_SMEP;
    if (cpu_smap)
        cr4 |= CR4_SMAP;
    /* SSE for user code: OSFXSR and OSXMMEXCPT on, x87 emulation off,
     * monitor coprocessor on (SDM Vol. 3A §14.1.3). The kernel itself is
     * built without SSE, so only context switches touch this state. */
    cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
    write_cr4(cr4);
    write_cr0((read_cr0() | CR0_WP | CR0_MP) & ~CR0_EM);
}

static void enable_protection(void)
{
    uint32_t r[4];
    cpuid(0, 0, r);
    if (r[0] >= 7) {
        cpuid(7, 0, r);
        cpu_smep = (r[1] >> 7) & 1;
        cpu_smap = (r[1] >> 20) & 1;
    }
    smap_enabled = cpu_smap;
    protect_this_cpu();
    fpu_init_template();
}

void arch_cpu_init(void)
{
    percpu_init(0, 0); /* the APIC id is filled in by smp.c */
    gdt_init();
    idt_init();
    syscall_init();
    enable_protection();
    kprintf("mica: cpu nx=%s smep=%s smap=%s wp=on\n", boot_nx ? "on" : "off",
            cpu_smep ? "on" : "off", cpu_smap ? "on" : "off");
    /* Without NX (CPUID.80000001h:EDX bit 20) every readable page can be
     * executed: mappings still say which pages are data (paging.h,
     * PTE_NOEXEC_SW), so nothing is writable and executable by intent, but
     * the CPU no longer stops a jump into data. */
    if (!boot_nx)
        kprintf("mica: warning: CPU has no NX: data pages (stacks, heap, IPC buffers) "
                "are executable; W^X holds by construction only\n");
}

/* An application processor (smp.c), in its own per-CPU block already:
 * its GDT, TSS and IST stacks, the shared IDT, the syscall MSRs and the
 * boot CPU's protection bits. */
void cpu_init_ap(void)
{
    gdt_init();
    idt_load();
    syscall_init();
    protect_this_cpu();
}
