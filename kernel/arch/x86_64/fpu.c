/*
 * FPU/SSE state of user threads, kept apart with fxsave/fxrstor (SDM Vol. 1
 * §10.5). Every thread starts from the state fninit leaves plus the default
 * MXCSR (all exceptions masked), saved once at boot as a template.
 */
#include "arch.h"

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

void arch_fpu_switch(void *save, const void *load)
{
    if (save)
        __asm__ volatile("fxsave64 (%0)" : : "r"(save) : "memory");
    if (load)
        __asm__ volatile("fxrstor64 (%0)" : : "r"(load) : "memory");
}
