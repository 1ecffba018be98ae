/*
 * Handlers for the kernel built with -fsanitize=undefined (the MICA_UBSAN
 * option, `ubsan` preset). Every check clang inserts calls one of these on
 * failure; with -fno-sanitize-recover the _abort variants are used and must
 * not return. Each prints `UBSAN: <what> at <file>:<line>:<column>` and
 * panics. Every handler's data argument starts with the source location
 * (compiler-rt's ubsan_handlers.h describes the layouts; only that common
 * prefix is read here).
 */
#include <stdint.h>

#include "kernel.h"

struct source_location {
    const char *file;
    uint32_t line;
    uint32_t column;
};

__attribute__((noreturn)) static void report(const char *what, const void *data)
{
    const struct source_location *loc = data;
    kprintf("UBSAN: %s at %s:%u:%u\n", what, loc && loc->file ? loc->file : "?",
            loc ? loc->line : 0, loc ? loc->column : 0);
    panic("undefined behaviour in the kernel (%s)", what);
}

#define UBSAN_HANDLER(name, what, ...)                                                   \
    void __ubsan_handle_##name(const void *data, ##__VA_ARGS__);                         \
    void __ubsan_handle_##name(const void *data, ##__VA_ARGS__)                          \
    {                                                                                    \
        report(what, data);                                                              \
    }

UBSAN_HANDLER(add_overflow_abort, "signed addition overflow", uintptr_t a, uintptr_t b)
UBSAN_HANDLER(sub_overflow_abort, "signed subtraction overflow", uintptr_t a, uintptr_t b)
UBSAN_HANDLER(mul_overflow_abort, "signed multiplication overflow", uintptr_t a,
              uintptr_t b)
UBSAN_HANDLER(negate_overflow_abort, "signed negation overflow", uintptr_t a)
UBSAN_HANDLER(divrem_overflow_abort, "division overflow or by zero", uintptr_t a,
              uintptr_t b)
UBSAN_HANDLER(shift_out_of_bounds_abort, "shift out of bounds", uintptr_t a, uintptr_t b)
UBSAN_HANDLER(out_of_bounds_abort, "index out of bounds", uintptr_t index)
UBSAN_HANDLER(pointer_overflow_abort, "pointer overflow", uintptr_t base,
              uintptr_t result)
UBSAN_HANDLER(load_invalid_value_abort, "load of an invalid value", uintptr_t v)
UBSAN_HANDLER(type_mismatch_v1_abort, "misaligned or null pointer use", uintptr_t ptr)
UBSAN_HANDLER(vla_bound_not_positive_abort, "non-positive VLA bound", uintptr_t bound)
UBSAN_HANDLER(nonnull_arg_abort, "null passed as a nonnull argument")
UBSAN_HANDLER(invalid_builtin_abort, "invalid builtin argument")
UBSAN_HANDLER(builtin_unreachable, "unreachable code reached")
UBSAN_HANDLER(missing_return, "missing return value")
