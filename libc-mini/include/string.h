/*
 * string.h - memory and string routines of libc-mini, Mica's freestanding C
 * library. The same declarations serve the kernel, the servers and the host
 * tests (which rename every function to mini_<name> to sit next to glibc).
 * Semantics follow C11 §7.24; strtok_r and strlcpy follow POSIX and BSD.
 */
#ifndef MICA_LIBC_STRING_H
#define MICA_LIBC_STRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);

size_t strlen(const char *s);
size_t strnlen(const char *s, size_t maxlen);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strcpy(char *restrict dst, const char *restrict src);
char *strncpy(char *restrict dst, const char *restrict src, size_t n);
char *strcat(char *restrict dst, const char *restrict src);
char *strncat(char *restrict dst, const char *restrict src, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strstr(const char *haystack, const char *needle);
size_t strspn(const char *s, const char *accept);
size_t strcspn(const char *s, const char *reject);
char *strtok_r(char *restrict s, const char *restrict delim, char **restrict save);

/* Copies at most size-1 bytes and always terminates when size > 0; returns
 * strlen(src), so a result >= size means the copy was truncated. */
size_t strlcpy(char *restrict dst, const char *restrict src, size_t size);

#endif
