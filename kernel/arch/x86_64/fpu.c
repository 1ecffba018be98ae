/*
 * FPU/SSE state of user threads, kept apart with fxsave/fxrstor (SDM Vol. 1
 * §10.5), switched lazily: a context switch only sets CR0.TS when the next
 * thread does not own the registers; its first FPU/SSE instruction then
 * raises #NM (SDM Vol. 3A §2.5, CR0.TS), and the handler saves the owner's
 * state and loads the thread's. Threads that never touch the FPU (most
 * IPC-bound servers) never pay for the 512-byte save and load.
 *
 * Every thread starts from the state fninit leaves plus the default MXCSR
 * (all exceptions masked), saved once at boot as a template.
 */
#include "arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/ipi.h"
#include "arch/x86_64/percpu.h"

static uint8_t template_area[ARCH_FPU_AREA] __attribute__((aligned(16)));

void fpu_init_template(void)
{
    uint32_t mxcsr = 0x1f80;
    __asm__ volatile("fninit; ldmxcsr %1; fxsave64 %0"
                     : "=m"(template_area)
                     : "m"(mxcsr));
}

void arch_fpu_init(void *area)
{
    uint8_t *d = area;
    for (unsigned i = 0; i < ARCH_FPU_AREA; i++)
        d[i] = template_area[i];
}

/* Per CPU (percpu.h, shared with the IPC fast path, fastpath.S, which
 * switches threads without calling in here and keeps them the same way):
 * fpu_owner, the area whose state is in this CPU's registers, or NULL;
 * ts_set, whether CR0.TS is set. A thread whose state is in another CPU's
 * registers and that is to run here has that CPU save it first
 * (IPI_SAVE_FPU): its registers are that CPU's alone. */

static void set_ts(struct cpu *c, bool on)
{
    if (on == c->ts_set)
        return;
    uint64_t cr0 = read_cr0();
    write_cr0(on ? cr0 | CR0_TS : cr0 & ~CR0_TS);
    c->ts_set = on;
}

void arch_fpu_switch(void *save, const void *load)
{
    (void)save;
    struct cpu *c = this_cpu();
    set_ts(c, load && load != c->fpu_owner);
}

void fpu_save_for_request(void *area);

void arch_fpu_migrate(void *area, unsigned to)
{
    unsigned self = arch_cpu_id();
    for (unsigned i = 0; i < arch_cpus_online; i++) {
        if (i == to || arch_cpus[i].fpu_owner != area)
            continue;
        if (i == self)
            fpu_save_for_request(area);
        else
            ipi_request(i, IPI_SAVE_FPU, 0, area);
    }
}

void arch_fpu_forget(void *area)
{
    struct cpu *c = this_cpu();
    if (c->fpu_owner == area)
        c->fpu_owner = NULL;
    arch_fpu_migrate(area, arch_cpu_id()); /* no other CPU keeps it */
}

/* ipi.c, on this CPU, for the lock's holder: area's state leaves the
 * registers for memory. */
void fpu_save_for_request(void *area)
{
    struct cpu *c = this_cpu();
    if (c->fpu_owner != area)
        return;
    set_ts(c, false);
    __asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
    c->fpu_owner = NULL;
    set_ts(c, true);
}

bool fpu_trap(void *wanted)
{
    if (!wanted)
        return false;
    struct cpu *c = this_cpu();
    set_ts(c, false);
    if (c->fpu_owner != wanted) {
        if (c->fpu_owner)
            __asm__ volatile("fxsave64 (%0)" : : "r"(c->fpu_owner) : "memory");
        __asm__ volatile("fxrstor64 (%0)" : : "r"(wanted) : "memory");
        c->fpu_owner = wanted;
    }
    return true;
}
