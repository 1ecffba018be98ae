/*
 * The per-CPU block GS points at in the kernel (SWAPGS, SDM Vol. 2B),
 * shared by the syscall entry (syscall.S), which reaches its fields by
 * offset before any C runs, and thread.c, which fills it.
 */
#ifndef MICA_ARCH_X86_64_PERCPU_H
#define MICA_ARCH_X86_64_PERCPU_H

#define CPU_KERNEL_RSP 0  /* top of the running thread's kernel stack */
#define CPU_USER_RSP   8  /* the user rsp, saved by syscall_entry */
#define CPU_CURRENT    16 /* the running thread (struct thread *) */

#ifndef __ASSEMBLER__
#include <stdint.h>

struct thread;

struct cpu {
    uint64_t kernel_rsp;
    uint64_t user_rsp;
    struct thread *current;
};
_Static_assert(__builtin_offsetof(struct cpu, kernel_rsp) == CPU_KERNEL_RSP,
               "percpu.h CPU_KERNEL_RSP");
_Static_assert(__builtin_offsetof(struct cpu, user_rsp) == CPU_USER_RSP,
               "percpu.h CPU_USER_RSP");
_Static_assert(__builtin_offsetof(struct cpu, current) == CPU_CURRENT,
               "percpu.h CPU_CURRENT");
#endif

#endif
