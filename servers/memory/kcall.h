/*
 * The memory syscalls only this server makes (SYS_MAP, SYS_UNMAP,
 * SYS_SET_PAGER, SYS_MEM_INFO; see include/mica/abi.h), as inline
 * wrappers in the register convention libc-mini/user/syscall.c uses: every
 * argument register is an output too, so the compiler never assumes the
 * kernel left it intact.
 */
#ifndef MICA_MEMORY_KCALL_H
#define MICA_MEMORY_KCALL_H

#include <mica/abi.h>
#include <stdint.h>

static inline long kcall5(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                          uint64_t a4)
{
    register uint64_t rdi __asm__("rdi") = a0;
    register uint64_t rsi __asm__("rsi") = a1;
    register uint64_t rdx __asm__("rdx") = a2;
    register uint64_t r10 __asm__("r10") = a3;
    register uint64_t r8 __asm__("r8") = a4;
    register uint64_t r9 __asm__("r9") = 0;
    register uint64_t r12 __asm__("r12") = MICA_NO_WAIT;
    uint64_t rax = nr;

    /* syscall itself overwrites rcx (return rip) and r11 (rflags). */
    __asm__ volatile("syscall"
                     : "+a"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8),
                       "+r"(r9)
                     : "r"(r12)
                     : "rcx", "r11", "memory", "cc");
    return (long)rax;
}

/* Maps frame `index` of the RAM object `ram` at va in `task`. */
static inline long kcall_map(uint64_t task, uint64_t va, uint64_t ram, uint64_t index,
                             unsigned flags)
{
    return kcall5(SYS_MAP, task, va, ram, index, flags);
}

/* Unmaps the RAM page at va in `task`; returns its frame index (>= 0). */
static inline long kcall_unmap(uint64_t task, uint64_t va)
{
    return kcall5(SYS_UNMAP, task, va, 0, 0, 0);
}

static inline long kcall_set_pager(uint64_t task, uint64_t ep)
{
    return kcall5(SYS_SET_PAGER, task, ep, 0, 0, 0);
}

static inline long kcall_mem_info(struct mica_mem_info *out)
{
    return kcall5(SYS_MEM_INFO, (uint64_t)(uintptr_t)out, 0, 0, 0, 0);
}

#endif
