/*
 * assert.h - assert() for libc-mini. Like every assert.h it has no include
 * guard: C11 §7.2 lets a file redefine assert after changing NDEBUG.
 * __assert_fail reports the failed expression and does not return; the
 * kernel and user space each define it.
 */
#undef assert

#ifdef NDEBUG
#define assert(e) ((void)0)
#else
#define assert(e) ((e) ? (void)0 : __assert_fail(#e, __FILE__, __LINE__, __func__))
#endif

#ifndef MICA_LIBC_ASSERT_FAIL_DECLARED
#define MICA_LIBC_ASSERT_FAIL_DECLARED
_Noreturn void __assert_fail(const char *expr, const char *file, int line,
                             const char *func);
#endif

#ifndef static_assert
#define static_assert _Static_assert
#endif
