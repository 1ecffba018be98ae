/*
 * stdlib.h - numeric conversions of libc-mini, plus the declarations of the
 * allocation and process functions that user space will define later (the
 * kernel has none of them, so a kernel call to malloc fails at link time).
 *
 * There is no errno: the kernel is multi-CPU and has no thread-local
 * storage. Instead the strto* functions store LIBC_ERANGE in mica_errno on
 * overflow and LIBC_EINVAL on an unsupported base; they never clear it. It is
 * a plain global, so only single-threaded callers should rely on it. (These
 * are C library error numbers, not the ABI's MICA_E* statuses: names of
 * their own, so that neither depends on which header came first.)
 */
#ifndef MICA_LIBC_STDLIB_H
#define MICA_LIBC_STDLIB_H

#include <stddef.h>

#define LIBC_EINVAL 22 /* same values as Linux, so host tests compare 1:1 */
#define LIBC_ERANGE 34

extern int mica_errno;

long strtol(const char *restrict nptr, char **restrict endptr, int base);
unsigned long strtoul(const char *restrict nptr, char **restrict endptr, int base);
long long strtoll(const char *restrict nptr, char **restrict endptr, int base);
unsigned long long strtoull(const char *restrict nptr, char **restrict endptr, int base);
int atoi(const char *nptr);
long atol(const char *nptr);
long long atoll(const char *nptr);

/* Declared only: defined by the user-space part of libc-mini. */
void *malloc(size_t size);
void *calloc(size_t nmemb, size_t size);
void *realloc(void *ptr, size_t size);
void free(void *ptr);
_Noreturn void exit(int status);
_Noreturn void abort(void);

#endif
