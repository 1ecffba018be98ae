/*
 * mini.h - the libc-mini functions as the host tests see them. The tests'
 * CMakeLists compiles libc-mini's sources with -D<name>=mini_<name>, so
 * glibc and libc-mini can live in one test binary and be compared call by
 * call. These prototypes must match libc-mini/include; they are repeated
 * here because including those headers would hide glibc's.
 */
#ifndef MICA_TEST_LIBC_MINI_H
#define MICA_TEST_LIBC_MINI_H

#include <stdarg.h>
#include <stddef.h>

void *mini_memcpy(void *restrict dst, const void *restrict src, size_t n);
void *mini_memmove(void *dst, const void *src, size_t n);
void *mini_memset(void *dst, int c, size_t n);
int mini_memcmp(const void *a, const void *b, size_t n);
void *mini_memchr(const void *s, int c, size_t n);
size_t mini_strlen(const char *s);
size_t mini_strnlen(const char *s, size_t maxlen);
int mini_strcmp(const char *a, const char *b);
int mini_strncmp(const char *a, const char *b, size_t n);
char *mini_strcpy(char *restrict dst, const char *restrict src);
char *mini_strncpy(char *restrict dst, const char *restrict src, size_t n);
char *mini_strcat(char *restrict dst, const char *restrict src);
char *mini_strncat(char *restrict dst, const char *restrict src, size_t n);
char *mini_strchr(const char *s, int c);
char *mini_strrchr(const char *s, int c);
char *mini_strstr(const char *haystack, const char *needle);
size_t mini_strspn(const char *s, const char *accept);
size_t mini_strcspn(const char *s, const char *reject);
char *mini_strtok_r(char *restrict s, const char *restrict delim, char **restrict save);
size_t mini_strlcpy(char *restrict dst, const char *restrict src, size_t size);

int mini_isalpha(int c);
int mini_isdigit(int c);
int mini_isxdigit(int c);
int mini_isalnum(int c);
int mini_isspace(int c);
int mini_isupper(int c);
int mini_islower(int c);
int mini_isprint(int c);
int mini_ispunct(int c);
int mini_iscntrl(int c);
int mini_isgraph(int c);
int mini_toupper(int c);
int mini_tolower(int c);

#define MINI_EINVAL 22
#define MINI_ERANGE 34
extern int mica_errno;
long mini_strtol(const char *restrict nptr, char **restrict endptr, int base);
unsigned long mini_strtoul(const char *restrict nptr, char **restrict endptr, int base);
long long mini_strtoll(const char *restrict nptr, char **restrict endptr, int base);
unsigned long long mini_strtoull(const char *restrict nptr, char **restrict endptr,
                                 int base);
int mini_atoi(const char *nptr);
long mini_atol(const char *nptr);
long long mini_atoll(const char *nptr);

typedef void (*mica_emit_fn)(void *ctx, const char *s, size_t n);
int mica_vformat(mica_emit_fn emit, void *ctx, const char *fmt, va_list ap);
int mini_vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap);
int mini_snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...);

#endif
