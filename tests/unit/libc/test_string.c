/*
 * test_string.c - differential test of libc-mini's string.h against glibc
 * (and, for strlcpy, which glibc 2.36 lacks, against a reference written
 * here). Writing functions run on two copies of one random arena, which
 * must stay byte-identical, so stray writes anywhere in it show up;
 * reading functions get exact-size heap copies so that ASan catches any
 * read past the end. Random data uses small alphabets so that matches,
 * equal prefixes and overlaps are common, plus bytes >= 0x80 for the sign
 * of comparisons.
 */
#define _POSIX_C_SOURCE 200809L /* strnlen and strtok_r from glibc */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mini.h"

#define ROUNDS 20000
#define ARENA  160

static const char *const alphabets[] = {"ab", "abc", "ab\x80\xff", "a \t,", NULL};

/* A random byte from one of the alphabets; NULL means any non-zero byte. */
static char random_char(struct harness *h, const char *alphabet)
{
    if (!alphabet)
        return (char)(1 + rnd_below(h, 255));
    return alphabet[rnd_below(h, strlen(alphabet))];
}

static const char *random_alphabet(struct harness *h)
{
    return alphabets[rnd_below(h, sizeof(alphabets) / sizeof(alphabets[0]))];
}

/* A malloc'd NUL-terminated string of exactly len characters. */
static char *random_string(struct harness *h, size_t len, const char *alphabet)
{
    char *s = malloc(len + 1);

    if (!s)
        abort();
    for (size_t i = 0; i < len; i++)
        s[i] = random_char(h, alphabet);
    s[len] = '\0';
    return s;
}

/* Offset of a returned pointer, -1 for NULL: comparable across copies. */
static ptrdiff_t offset(const void *p, const void *base)
{
    return p ? (const char *)p - (const char *)base : -1;
}

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

/* Character argument for the search functions: often in the string, also
 * NUL, values beyond a byte and negative ones (all must act as (char)c). */
static int random_search_char(struct harness *h, const char *alphabet)
{
    switch (rnd_below(h, 6)) {
    case 0:
        return 0;
    case 1:
        return (unsigned char)random_char(h, alphabet) + 256;
    case 2:
        return (signed char)random_char(h, alphabet);
    case 3:
        return (int)rnd_below(h, 256);
    default:
        return (unsigned char)random_char(h, alphabet);
    }
}

/* The two arenas: glibc works on g, libc-mini on m. */
static unsigned char g[ARENA], m[ARENA];

static void arena_fill(struct harness *h)
{
    const char *alphabet = random_alphabet(h);

    for (size_t i = 0; i < ARENA; i++)
        g[i] = rnd_below(h, 8) ? (unsigned char)random_char(h, alphabet) : 0;
    memcpy(m, g, ARENA);
}

/* Compares the arenas and the offsets the two calls returned. */
static void arena_check(struct harness *h, const char *what, ptrdiff_t gr, ptrdiff_t mr)
{
    if (harness_check(h, gr == mr && memcmp(g, m, ARENA) == 0)) {
        printf("%s: returned offsets %td vs %td\n    glibc arena ", what, gr, mr);
        print_escaped((char *)g, ARENA);
        printf("\n    mini  arena ");
        print_escaped((char *)m, ARENA);
        printf("\n");
    }
}

static void test_memcpy_memmove_memset(struct harness *h)
{
    char what[96];
    size_t len = rnd_below(h, 70);
    size_t src = rnd_below(h, ARENA - len + 1), dst = rnd_below(h, ARENA - len + 1);
    int c;

    arena_fill(h);
    snprintf(what, sizeof(what), "memmove(+%zu, +%zu, %zu)", dst, src, len);
    arena_check(h, what, offset(memmove(g + dst, g + src, len), g),
                offset(mini_memmove(m + dst, m + src, len), m));

    /* memcpy needs disjoint regions: if they meet, put one in each half. */
    if (dst < src + len && src < dst + len) {
        size_t lo = rnd_below(h, ARENA / 2 - len + 1);
        size_t hi = ARENA / 2 + rnd_below(h, ARENA / 2 - len + 1);
        int up = (int)rnd_below(h, 2);
        src = up ? lo : hi;
        dst = up ? hi : lo;
    }
    arena_fill(h);
    snprintf(what, sizeof(what), "memcpy(+%zu, +%zu, %zu)", dst, src, len);
    arena_check(h, what, offset(memcpy(g + dst, g + src, len), g),
                offset(mini_memcpy(m + dst, m + src, len), m));

    c = (int)rnd_below(h, 600) - 300; /* only (unsigned char)c may be stored */
    snprintf(what, sizeof(what), "memset(+%zu, %d, %zu)", dst, c, len);
    arena_check(h, what, offset(memset(g + dst, c, len), g),
                offset(mini_memset(m + dst, c, len), m));
}

static void test_memcmp_memchr(struct harness *h)
{
    const char *alphabet = random_alphabet(h);
    size_t n = rnd_below(h, 40);
    char *a = random_string(h, n, alphabet), *b = random_string(h, n, alphabet);
    size_t same = rnd_below(h, n + 1);
    int c = random_search_char(h, alphabet);
    int gr, mr;

    memcpy(b, a, same); /* a common prefix makes the decisive byte move */
    gr = sign(memcmp(a, b, n));
    mr = sign(mini_memcmp(a, b, n));
    if (harness_check(h, gr == mr)) {
        printf("memcmp(");
        print_escaped(a, n);
        printf(", ");
        print_escaped(b, n);
        printf(", %zu): glibc %d mini %d\n", n, gr, mr);
    }
    gr = (int)offset(memchr(a, c, n), a);
    mr = (int)offset(mini_memchr(a, c, n), a);
    if (harness_check(h, gr == mr)) {
        printf("memchr(");
        print_escaped(a, n);
        printf(", %d, %zu): glibc %d mini %d\n", c, n, gr, mr);
    }
    free(a);
    free(b);
}

static void report_str2(const char *fn, const char *a, const char *b, long long arg,
                        long long gr, long long mr)
{
    printf("%s(", fn);
    print_escaped(a, strlen(a));
    printf(", ");
    if (b)
        print_escaped(b, strlen(b));
    printf(", %lld): glibc %lld mini %lld\n", arg, gr, mr);
}

static void test_read_only_strings(struct harness *h)
{
    const char *alphabet = random_alphabet(h);
    char *a = random_string(h, rnd_below(h, 24), alphabet);
    char *b = random_string(h, rnd_below(h, 24), alphabet);
    char *needle = random_string(h, rnd_below(h, 4), alphabet);
    char *set = random_string(h, rnd_below(h, 4), alphabet);
    size_t alen = strlen(a), n = rnd_below(h, 8) ? rnd_below(h, alen + 3) : SIZE_MAX;
    int c = random_search_char(h, alphabet);
    long long gr, mr;

    /* Share a prefix so that the comparisons look past the first byte. */
    if (rnd_below(h, 2))
        memcpy(b, a, rnd_below(h, 1 + (alen < strlen(b) ? alen : strlen(b))));

#define SAME(expr_g, expr_m, fn, x, y, arg)                                              \
    do {                                                                                 \
        gr = (expr_g);                                                                   \
        mr = (expr_m);                                                                   \
        if (harness_check(h, gr == mr))                                                  \
            report_str2(fn, x, y, (long long)(arg), gr, mr);                             \
    } while (0)

    SAME((long long)strlen(a), (long long)mini_strlen(a), "strlen", a, NULL, 0);
    SAME((long long)strnlen(a, n), (long long)mini_strnlen(a, n), "strnlen", a, NULL, n);
    SAME(sign(strcmp(a, b)), sign(mini_strcmp(a, b)), "strcmp", a, b, 0);
    SAME(sign(strncmp(a, b, n)), sign(mini_strncmp(a, b, n)), "strncmp", a, b, n);
    SAME(offset(strchr(a, c), a), offset(mini_strchr(a, c), a), "strchr", a, NULL, c);
    SAME(offset(strrchr(a, c), a), offset(mini_strrchr(a, c), a), "strrchr", a, NULL, c);
    SAME(offset(strstr(a, needle), a), offset(mini_strstr(a, needle), a), "strstr", a,
         needle, 0);
    SAME((long long)strspn(a, set), (long long)mini_strspn(a, set), "strspn", a, set, 0);
    SAME((long long)strcspn(a, set), (long long)mini_strcspn(a, set), "strcspn", a, set,
         0);
#undef SAME
    free(a);
    free(b);
    free(needle);
    free(set);
}

/* strlcpy as BSD documents it; glibc 2.36 does not have one to compare with. */
static size_t reference_strlcpy(char *dst, const char *src, size_t size)
{
    size_t len = strlen(src);

    if (size) {
        size_t k = len < size - 1 ? len : size - 1;
        memmove(dst, src, k);
        dst[k] = '\0';
    }
    return len;
}

/* Writes the same short string into both arenas at off; returns its length. */
static size_t arena_put_string(struct harness *h, size_t off, size_t maxlen)
{
    size_t len = rnd_below(h, maxlen + 1);

    for (size_t i = 0; i < len; i++)
        g[off + i] = m[off + i] = 'A' + (unsigned char)rnd_below(h, 3);
    g[off + len] = m[off + len] = '\0';
    return len;
}

static void test_copying_strings(struct harness *h)
{
    char *src = random_string(h, rnd_below(h, 40), random_alphabet(h));
    size_t slen = strlen(src), off, n, dlen;
    char what[64];

    /* strcpy, strncpy and strlcpy into a spot with room for the result. */
    arena_fill(h);
    off = rnd_below(h, ARENA - slen);
    arena_check(h, "strcpy", offset(strcpy((char *)g + off, src), g),
                offset(mini_strcpy((char *)m + off, src), m));
    arena_fill(h);
    n = rnd_below(h, ARENA - off + 1);
    snprintf(what, sizeof(what), "strncpy(+%zu, len %zu, %zu)", off, slen, n);
    arena_check(h, what, offset(strncpy((char *)g + off, src, n), g),
                offset(mini_strncpy((char *)m + off, src, n), m));
    arena_fill(h);
    n = rnd_below(h, 4) ? rnd_below(h, slen + 3) : 0;
    n = n > ARENA - off ? ARENA - off : n;
    snprintf(what, sizeof(what), "strlcpy(+%zu, len %zu, %zu)", off, slen, n);
    arena_check(h, what, (ptrdiff_t)reference_strlcpy((char *)g + off, src, n),
                (ptrdiff_t)mini_strlcpy((char *)m + off, src, n));

    /* strcat and strncat onto a short string with room for both. */
    arena_fill(h);
    off = rnd_below(h, ARENA - slen - 10);
    dlen = arena_put_string(h, off, 8);
    (void)dlen;
    arena_check(h, "strcat", offset(strcat((char *)g + off, src), g),
                offset(mini_strcat((char *)m + off, src), m));
    arena_fill(h);
    dlen = arena_put_string(h, off, 8);
    n = rnd_below(h, 8) ? rnd_below(h, slen + 3) : SIZE_MAX;
    snprintf(what, sizeof(what), "strncat(+%zu, len %zu, %zu)", off, slen, n);
    arena_check(h, what, offset(strncat((char *)g + off, src, n), g),
                offset(mini_strncat((char *)m + off, src, n), m));
    free(src);
}

static void test_strtok_r(struct harness *h)
{
    char *delim = random_string(h, rnd_below(h, 3), "ab ,");
    size_t len = rnd_below(h, ARENA - 1);
    char *gs = (char *)g, *ms = (char *)m, *gsave = NULL, *msave = NULL;

    arena_fill(h);
    for (size_t i = 0; i < len; i++)
        g[i] = m[i] = (unsigned char)random_char(h, "abc ,");
    g[len] = m[len] = '\0';
    for (int step = 0; step < 40; step++) {
        char *gt = strtok_r(gs, delim, &gsave);
        char *mt = mini_strtok_r(ms, delim, &msave);
        gs = ms = NULL;
        arena_check(h, "strtok_r token", offset(gt, g), offset(mt, m));
        arena_check(h, "strtok_r save", offset(gsave, g), offset(msave, m));
        if (!gt || !mt)
            break;
    }
    free(delim);
}

int main(int argc, char **argv)
{
    struct harness h;

    harness_init(&h, "libc_string", argc, argv);
    for (int i = 0; i < ROUNDS; i++) {
        test_memcpy_memmove_memset(&h);
        test_memcmp_memchr(&h);
        test_read_only_strings(&h);
        test_copying_strings(&h);
        test_strtok_r(&h);
    }
    return harness_finish(&h);
}
