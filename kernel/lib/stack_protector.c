/*
 * Stack smashing protection for the kernel (-fstack-protector-strong):
 * functions with arrays or address-taken locals keep a copy of
 * __stack_chk_guard below their return address and call __stack_chk_fail
 * if it changed. The guard starts as a fixed value with a zero byte (so a
 * string copy cannot reproduce it) and is mixed with the TSC at boot, in a
 * function that has no canary itself.
 */
#include <stdint.h>

#include "arch.h"
#include "kernel.h"

uintptr_t __stack_chk_guard = 0x00d1ce5eed5a1e00ull;

__attribute__((no_stack_protector)) void stack_guard_init(uint64_t entropy)
{
    /* Keep the low zero byte: it stops string overflows at the canary. */
    __stack_chk_guard ^= (entropy * 0x9e3779b97f4a7c15ull) & ~0xffull;
}

__attribute__((noreturn)) void __stack_chk_fail(void);
void __stack_chk_fail(void)
{
    panic("kernel stack smashing detected (canary overwritten)");
}
