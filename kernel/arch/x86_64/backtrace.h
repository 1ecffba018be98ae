/*
 * Frame-pointer backtraces for panic reports (see backtrace.c).
 */
#ifndef MICA_ARCH_X86_64_BACKTRACE_H
#define MICA_ARCH_X86_64_BACKTRACE_H

#include <stdbool.h>
#include <stdint.h>

void backtrace_print(uint64_t rip, uint64_t rbp);
bool backtrace_is_stack_guard(uint64_t addr);

#endif
