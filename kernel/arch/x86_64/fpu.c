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

/* Shared with the IPC fast path (fastpath.S), which switches threads
 * without calling in here and keeps these the same way. */
void *arch_fpu_owner; /* area whose state is in the registers, or NULL */
bool arch_fpu_ts_set;
#define owner  arch_fpu_owner
#define ts_set arch_fpu_ts_set

static void set_ts(bool on)
{
    if (on == ts_set)
        return;
    uint64_t cr0 = read_cr0();
    write_cr0(on ? cr0 | CR0_TS : cr0 & ~CR0_TS);
    ts_set = on;
}

void arch_fpu_switch(void *save, const void *load)
{
    (void)save;
    set_ts(load && load != owner);
}

void arch_fpu_forget(void *area)
{
    if (owner == area)
        owner = NULL;
}

bool fpu_trap(void *wanted)
{
    if (!wanted)
        return false;
    set_ts(false);
    if (owner != wanted) {
        if (owner)
            __asm__ volatile("fxsave64 (%0)" : : "r"(owner) : "memory");
        __asm__ volatile("fxrstor64 (%0)" : : "r"(wanted) : "memory");
        owner = wanted;
    }
    return true;
}
