/*
 * Starting the application processors (smp.h). For each CPU of the MADT
 * but this one: the trampoline (ap_boot.S) and its page tables are put
 * below 1 MiB, its parameters filled in (a stack of its own, the entry),
 * and the CPU is sent INIT, then SIPI twice (SDM Vol. 3A §8.4.4.1, the
 * universal start-up algorithm: 10 ms after INIT, 200 µs between the
 * SIPIs); it reports online in ap_main. One CPU at a time, so the
 * trampoline and its parameters are only ever in use by one.
 */
#include "arch/x86_64/smp.h"

#include <mica/abi.h>
#include <string.h>

#include "arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/trap.h"
#include "kernel.h"
#include "sched/lock.h"
#include "sched/sched.h"

extern char ap_trampoline_start[], ap_trampoline_end[];
extern char ap_param_cr3[], ap_param_efer[], ap_param_stack[], ap_param_entry[];
extern char ap_entry64[];
extern uint32_t boot_nx;

#define EFER_LME_BIT (1ull << 8) /* SDM Vol. 3A §2.2.1 */
#define AP_STACK     8192
#define PTE_P        1u
#define PTE_W        2u
#define PTE_PS       0x80u

uint64_t smp_kernel_cr3; /* ap_entry64 loads it */
static volatile unsigned ap_online, ap_released;
static unsigned ap_index; /* the per-CPU block of the AP starting */
static uint32_t ap_apic;
/* Each AP's boot stack, which becomes its idle thread's. */
static uint8_t ap_stacks[ARCH_MAX_CPUS][AP_STACK] __attribute__((aligned(16)));

void cpu_init_ap(void);
void timer_start_ap(void);

/* The way into long mode: the low 2 MiB identity-mapped (where the
 * trampoline runs when paging comes on), the kernel's upper half shared. */
static void build_tables(void)
{
    uint64_t *pml4 = phys_to_virt(AP_TABLES);
    uint64_t *pdpt = phys_to_virt(AP_TABLES + 0x1000);
    uint64_t *pd = phys_to_virt(AP_TABLES + 0x2000);
    memset(pml4, 0, 3 * 4096);
    pml4[0] = (AP_TABLES + 0x1000) | PTE_P | PTE_W;
    pdpt[0] = (AP_TABLES + 0x2000) | PTE_P | PTE_W;
    pd[0] = 0 | PTE_P | PTE_W | PTE_PS;
    const uint64_t *kernel = phys_to_virt(smp_kernel_cr3 & ~0xfffull);
    for (unsigned i = 256; i < 512; i++)
        pml4[i] = kernel[i];
}

static void set_param(const char *param, uint64_t value)
{
    uint8_t *blob = phys_to_virt(AP_TRAMPOLINE);
    memcpy(blob + (param - ap_trampoline_start), &value, sizeof(value));
}

static void wait_ms(uint64_t ms)
{
    uint64_t until = arch_ms_since_boot() + ms;
    while (arch_ms_since_boot() < until)
        __asm__ volatile("pause");
}

/* Starts the CPU with that APIC id; true once it reports online. */
static bool start_ap(unsigned index, uint32_t apic)
{
    set_param(ap_param_stack, (uint64_t)&ap_stacks[index][AP_STACK]);
    ap_index = index;
    ap_apic = apic;
    ap_online = 0;
    lapic_send_ipi(apic, LAPIC_IPI_INIT);
    wait_ms(10);
    for (int sipi = 0; sipi < 2 && !ap_online; sipi++) {
        lapic_send_ipi(apic, LAPIC_IPI_STARTUP | (AP_TRAMPOLINE >> 12));
        wait_ms(1);
    }
    for (unsigned ms = 0; ms < 100 && !ap_online; ms++)
        wait_ms(1);
    return ap_online;
}

/* An AP, in long mode on its boot stack, interrupts off: its per-CPU
 * state, then it waits until the boot CPU lets every CPU schedule
 * (arch_smp_release), and joins the scheduler through the kernel lock. */
void ap_main(void)
{
    unsigned index = ap_index;
    percpu_init(index, ap_apic);
    cpu_init_ap();
    lapic_init();
    arch_cpus[index].online = true;
    __atomic_store_n(&ap_online, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&ap_released, __ATOMIC_ACQUIRE)) {
        arch_cpu_poll(); /* cannot be asked yet, but would answer */
        cpu_pause();
    }
    kernel_lock_acquire();
    sched_init_cpu();
    timer_start_ap();
    sched_start_cpu();
}

bool arch_cpu_describe(unsigned i, struct mica_cpu_info *out)
{
    if (i >= arch_cpus_online)
        return false;
    *out = (struct mica_cpu_info){
        .id = i,
        .apic = arch_cpus[i].apic,
        .state = MICA_CPU_ONLINE,
        .runs_tasks = 1,
    };
    return true;
}

static void wake_interrupt(struct trap_frame *f)
{
    (void)f;
    lapic_eoi();
    sched_wakeup_ipi();
}

/* Served in trap.c before the handler runs (the EOI too). */
static void request_interrupt(struct trap_frame *f)
{
    (void)f;
}

void arch_smp_init(void)
{
    trap_set_handler(VEC_IPI_WAKE, wake_interrupt);
    trap_set_handler(VEC_IPI_REQUEST, request_interrupt);
    smp_start();
}

void arch_smp_release(void)
{
    __atomic_store_n(&ap_released, 1, __ATOMIC_RELEASE);
}

void smp_start(void)
{
    const uint32_t *apic;
    unsigned n = arch_acpi_cpus(&apic);
    uint32_t self = lapic_id();
    kprintf("mica: lapic mode=%s\n", lapic_x2apic() ? "x2apic" : "xapic");
    kprintf("mica: cpu id=0 apic=%u state=online\n", self);
    arch_cpus[0].apic = self;
    arch_cpus[0].online = true;
    unsigned online = 1;
    if (n > 1) {
        smp_kernel_cr3 = read_cr3();
        memcpy(phys_to_virt(AP_TRAMPOLINE), ap_trampoline_start,
               (size_t)(ap_trampoline_end - ap_trampoline_start));
        build_tables();
        set_param(ap_param_cr3, AP_TABLES);
        set_param(ap_param_efer, EFER_LME_BIT | (boot_nx ? EFER_NXE : 0));
        set_param(ap_param_entry, (uint64_t)ap_entry64);
    }
    unsigned unused = 0;
    for (unsigned i = 0; i < n; i++) {
        if (apic[i] == self)
            continue;
        if (online == ARCH_MAX_CPUS) {
            unused++;
            continue;
        }
        bool ok = start_ap(online, apic[i]);
        kprintf("mica: cpu id=%u apic=%u state=%s\n", online, apic[i],
                ok ? "online" : "failed");
        online += ok;
        arch_cpus_online = online;
    }
    if (unused)
        kprintf("mica: smp cpus_unused=%u (the kernel runs at most %u)\n", unused,
                ARCH_MAX_CPUS);
    kprintf("mica: smp cpus=%u\n", online);
}
