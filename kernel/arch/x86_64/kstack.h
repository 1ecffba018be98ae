/*
 * Guarded kernel stacks of threads (see kstack.c).
 */
#ifndef MICA_ARCH_X86_64_KSTACK_H
#define MICA_ARCH_X86_64_KSTACK_H

#include <stdbool.h>
#include <stdint.h>

bool kstack_is_guard(uint64_t addr);
bool kstack_contains(uint64_t addr);

#endif
