/*
 * The per-CPU blocks (percpu.h) and the hooks of arch.h that read them:
 * which CPU this is, the thread it runs, its kernel stack.
 */
#include "arch/x86_64/percpu.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"

struct cpu arch_cpus[ARCH_MAX_CPUS];
unsigned arch_cpus_online = 1;

void percpu_init(unsigned i, uint8_t apic)
{
    struct cpu *c = &arch_cpus[i];
    c->self = c;
    c->id = i;
    c->apic = apic;
    c->vm = read_cr3() & ~0xfffull;
    __asm__ volatile("movw %w0, %%gs" : : "r"(0));
    wrmsr(MSR_GS_BASE, (uint64_t)c);
}

unsigned arch_cpu_id(void)
{
    unsigned id;
    __asm__ volatile("movl %%gs:%c1, %0" : "=r"(id) : "i"(CPU_ID));
    return id;
}

unsigned arch_cpu_count(void)
{
    return arch_cpus_online;
}

struct thread *arch_current(void)
{
    struct thread *t;
    __asm__ volatile("movq %%gs:%c1, %0" : "=r"(t) : "i"(CPU_CURRENT));
    return t;
}

void arch_set_current(struct thread *t)
{
    __asm__ volatile("movq %0, %%gs:%c1" : : "r"(t), "i"(CPU_CURRENT) : "memory");
}

struct thread *arch_cpu_current(unsigned cpu)
{
    return cpu < arch_cpus_online
               ? __atomic_load_n(&arch_cpus[cpu].current, __ATOMIC_RELAXED)
               : NULL;
}

void arch_set_cpu_local(void *sched)
{
    this_cpu()->sched = sched;
}

void arch_set_kernel_stack(uint64_t top)
{
    this_cpu()->kernel_rsp = top;
    gdt_set_kernel_stack(top);
}
