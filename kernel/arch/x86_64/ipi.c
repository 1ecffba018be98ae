/*
 * Inter-processor interrupts (SDM Vol. 3A §11.6): the wake-up that makes
 * an idle or busy CPU look at its run queue again, and the requests of
 * ipi.h. A request goes through the asked CPU's struct cpu: the asker
 * writes the arguments, then the request word (release), then sends
 * VEC_IPI_REQUEST; the asked CPU reads the word (acquire), does the work
 * on itself, and clears the word (release), which the asker waits for. The
 * asker holds the kernel lock throughout, so there is never a second
 * asker, and the asked CPU never needs the lock to answer.
 */
#include "arch/x86_64/ipi.h"

#include "arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/trap.h"

void arch_cpu_wake(unsigned cpu)
{
    if (cpu < arch_cpus_online && cpu != arch_cpu_id())
        lapic_send_fixed(arch_cpus[cpu].apic, VEC_IPI_WAKE);
}

void ipi_request(unsigned cpu, uint32_t what, uint64_t vm, void *fpu)
{
    struct cpu *c = &arch_cpus[cpu];
    c->request_vm = vm;
    c->request_fpu = fpu;
    __atomic_store_n(&c->request, what, __ATOMIC_RELEASE);
    lapic_send_fixed(c->apic, VEC_IPI_REQUEST);
    while (__atomic_load_n(&c->request, __ATOMIC_ACQUIRE))
        cpu_pause();
}

void ipi_request_vm(uint32_t what, uint64_t vm)
{
    unsigned self = arch_cpu_id();
    for (unsigned i = 0; i < arch_cpus_online; i++)
        if (i != self && __atomic_load_n(&arch_cpus[i].vm, __ATOMIC_RELAXED) == vm)
            ipi_request(i, what, vm, NULL);
}

void arch_cpu_leave_user(unsigned cpu)
{
    if (cpu < arch_cpus_online && cpu != arch_cpu_id())
        ipi_request(cpu, IPI_LEAVE_USER, 0, NULL);
}

void fpu_save_for_request(void *area);

void arch_cpu_poll(void)
{
    struct cpu *c = this_cpu();
    uint32_t what = __atomic_load_n(&c->request, __ATOMIC_ACQUIRE);
    if (!what)
        return;
    if ((what & (IPI_FLUSH_VM | IPI_DROP_VM)) && c->vm == c->request_vm) {
        /* A CR3 load flushes every non-global translation (SDM Vol. 3A
         * §4.10.4.1); user pages are never global. */
        uint64_t root = (what & IPI_DROP_VM) ? paging_kernel_pml4() : c->vm;
        c->vm = root;
        write_cr3(root);
    }
    if (what & IPI_SAVE_FPU)
        fpu_save_for_request(c->request_fpu);
    __atomic_store_n(&c->request, 0, __ATOMIC_RELEASE);
}
