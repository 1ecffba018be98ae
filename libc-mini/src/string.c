/*
 * string.c - memory and string routines of libc-mini (C11 §7.24, plus
 * POSIX strtok_r and BSD strlcpy). The kernel, the servers and the host tests
 * all build this file. The mem* functions move a 64-bit word at a time when
 * source and destination share an alignment, since they sit on every
 * struct copy and page clear; the str* functions stay byte-simple.
 */
#include <string.h>
#include <stdint.h>

/*
 * The compiler calls memcpy/memset/memmove/memcmp on its own, and at -O2
 * it also rewrites byte loops into such calls. Inside these functions that
 * rewrite would recurse forever, so each function here is marked so that
 * the compiler treats no library function as a builtin within it.
 */
#if defined(__clang__)
#define NO_BUILTIN __attribute__((no_builtin))
#elif defined(__GNUC__)
#define NO_BUILTIN __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define NO_BUILTIN
#endif

/* may_alias: the word loops read and write memory of any type. */
typedef uint64_t __attribute__((may_alias)) word_t;
#define WORD_SIZE sizeof(word_t)
#define WORD_MASK (WORD_SIZE - 1)

/* True when a and b can both reach word alignment after the same number of
 * byte steps; only then do the word loops avoid misaligned accesses. */
static int same_alignment(const void *a, const void *b)
{
    return (((uintptr_t)a ^ (uintptr_t)b) & WORD_MASK) == 0;
}

/* Forward copy shared by memcpy and memmove (safe when dst is below src). */
NO_BUILTIN static void copy_forward(unsigned char *d, const unsigned char *s, size_t n)
{
    if (n >= 2 * WORD_SIZE && same_alignment(d, s)) {
        for (; (uintptr_t)d & WORD_MASK; n--)
            *d++ = *s++;
        for (; n >= WORD_SIZE; n -= WORD_SIZE, d += WORD_SIZE, s += WORD_SIZE)
            *(word_t *)d = *(const word_t *)s;
    }
    while (n--)
        *d++ = *s++;
}

/* Backward copy for memmove when dst overlaps the tail of src; d and s point
 * one past the end of the regions. */
NO_BUILTIN static void copy_backward(unsigned char *d, const unsigned char *s, size_t n)
{
    if (n >= 2 * WORD_SIZE && same_alignment(d, s)) {
        for (; (uintptr_t)d & WORD_MASK; n--)
            *--d = *--s;
        for (; n >= WORD_SIZE; n -= WORD_SIZE) {
            d -= WORD_SIZE;
            s -= WORD_SIZE;
            *(word_t *)d = *(const word_t *)s;
        }
    }
    while (n--)
        *--d = *--s;
}

NO_BUILTIN void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    copy_forward(dst, src, n);
    return dst;
}

NO_BUILTIN void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    /* Compare as integers: relational operators on pointers into different
     * objects are undefined, and callers may pass unrelated buffers. */
    if ((uintptr_t)d - (uintptr_t)s >= n)
        copy_forward(d, s, n);
    else
        copy_backward(d + n, s + n, n);
    return dst;
}

NO_BUILTIN void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    unsigned char b = (unsigned char)c;

    if (n >= 2 * WORD_SIZE) {
        word_t pattern = (word_t)b * 0x0101010101010101ull;
        for (; (uintptr_t)d & WORD_MASK; n--)
            *d++ = b;
        for (; n >= WORD_SIZE; n -= WORD_SIZE, d += WORD_SIZE)
            *(word_t *)d = pattern;
    }
    while (n--)
        *d++ = b;
    return dst;
}

NO_BUILTIN int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b;

    for (; n; n--, p++, q++) {
        if (*p != *q)
            return *p - *q;
    }
    return 0;
}

NO_BUILTIN void *memchr(const void *s, int c, size_t n)
{
    const unsigned char *p = s;
    unsigned char b = (unsigned char)c;

    for (; n; n--, p++) {
        if (*p == b)
            return (void *)p;
    }
    return NULL;
}

NO_BUILTIN size_t strlen(const char *s)
{
    const char *p = s;

    while (*p)
        p++;
    return (size_t)(p - s);
}

NO_BUILTIN size_t strnlen(const char *s, size_t maxlen)
{
    size_t n = 0;

    while (n < maxlen && s[n])
        n++;
    return n;
}

/* C11 §7.24.4: string comparisons order by unsigned char values. */
NO_BUILTIN int strcmp(const char *a, const char *b)
{
    const unsigned char *p = (const unsigned char *)a;
    const unsigned char *q = (const unsigned char *)b;

    while (*p && *p == *q) {
        p++;
        q++;
    }
    return *p - *q;
}

NO_BUILTIN int strncmp(const char *a, const char *b, size_t n)
{
    const unsigned char *p = (const unsigned char *)a;
    const unsigned char *q = (const unsigned char *)b;

    for (; n; n--, p++, q++) {
        if (*p != *q || !*p)
            return *p - *q;
    }
    return 0;
}

NO_BUILTIN char *strcpy(char *restrict dst, const char *restrict src)
{
    char *d = dst;

    while ((*d++ = *src++))
        ;
    return dst;
}

/* Unlike strlcpy, strncpy pads the rest of dst with NULs and leaves it
 * unterminated when src is at least n bytes long (C11 §7.24.2.4). */
NO_BUILTIN char *strncpy(char *restrict dst, const char *restrict src, size_t n)
{
    size_t i = 0;

    for (; i < n && src[i]; i++)
        dst[i] = src[i];
    for (; i < n; i++)
        dst[i] = '\0';
    return dst;
}

NO_BUILTIN char *strcat(char *restrict dst, const char *restrict src)
{
    strcpy(dst + strlen(dst), src);
    return dst;
}

/* Appends at most n bytes of src and always terminates the result. */
NO_BUILTIN char *strncat(char *restrict dst, const char *restrict src, size_t n)
{
    char *d = dst + strlen(dst);

    for (; n && *src; n--)
        *d++ = *src++;
    *d = '\0';
    return dst;
}

/* The terminator counts as part of the string, so strchr(s, 0) finds it. */
NO_BUILTIN char *strchr(const char *s, int c)
{
    char ch = (char)c;

    for (;; s++) {
        if (*s == ch)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}

NO_BUILTIN char *strrchr(const char *s, int c)
{
    char ch = (char)c;
    const char *last = NULL;

    for (;; s++) {
        if (*s == ch)
            last = s;
        if (!*s)
            return (char *)last;
    }
}

/* Plain O(n*m) search: the kernel only looks for short needles. */
NO_BUILTIN char *strstr(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);

    for (; *haystack; haystack++) {
        if (strncmp(haystack, needle, n) == 0)
            return (char *)haystack;
    }
    /* Only the empty needle matches at the terminator. */
    return n == 0 ? (char *)haystack : NULL;
}

/* A 256-bit membership set, so strspn/strcspn stay linear in both strings. */
struct byte_set {
    uint64_t bits[4];
};

NO_BUILTIN static void set_build(struct byte_set *set, const char *chars)
{
    set->bits[0] = set->bits[1] = set->bits[2] = set->bits[3] = 0;
    for (const unsigned char *p = (const unsigned char *)chars; *p; p++)
        set->bits[*p >> 6] |= 1ull << (*p & 63);
}

static int set_has(const struct byte_set *set, unsigned char c)
{
    return (set->bits[c >> 6] >> (c & 63)) & 1;
}

/* Length of the prefix of s whose bytes are all in (want == 1) or all out of
 * (want == 0) chars. The terminator is never in the set, so it stops both. */
NO_BUILTIN static size_t span(const char *s, const char *chars, int want)
{
    struct byte_set set;
    size_t n = 0;

    set_build(&set, chars);
    while (s[n] && set_has(&set, (unsigned char)s[n]) == want)
        n++;
    return n;
}

size_t strspn(const char *s, const char *accept)
{
    return span(s, accept, 1);
}

size_t strcspn(const char *s, const char *reject)
{
    return span(s, reject, 0);
}

/* Reentrant tokenizer: *save remembers where the next call resumes. */
NO_BUILTIN char *strtok_r(char *restrict s, const char *restrict delim,
                          char **restrict save)
{
    char *token;

    if (!s)
        s = *save;
    s += strspn(s, delim);
    if (!*s) {
        *save = s;
        return NULL;
    }
    token = s;
    s += strcspn(s, delim);
    if (*s)
        *s++ = '\0';
    *save = s;
    return token;
}

NO_BUILTIN size_t strlcpy(char *restrict dst, const char *restrict src, size_t size)
{
    size_t len = strlen(src);

    if (size) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}
