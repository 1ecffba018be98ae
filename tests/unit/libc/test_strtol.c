/*
 * test_strtol.c - differential test of libc-mini's strtol, strtoul, strtoll,
 * strtoull and ato* against glibc. Inputs are strings glued together from a
 * biased set of pieces (white space, signs, 0x, digit runs, letters,
 * numbers at the edge of overflow), with bases biased to 0, 8, 10, 16. For
 * every input both libraries must agree on the value, on where endptr
 * points and on whether the result overflowed (errno vs mica_errno).
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mini.h"

#define CASES 100000

static const char *const pieces[] = {
    " ",
    "\t",
    "\n",
    "\v",
    "\f",
    "\r",
    "+",
    "-",
    "+",
    "-",
    "0",
    "0",
    "0x",
    "0X",
    "x",
    "1",
    "7",
    "8",
    "9",
    "a",
    "f",
    "F",
    "g",
    "z",
    "Z",
    "_",
    ".",
    "\x80",
    "\xff",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775807",
    "9223372036854775808",
    "9223372036854775809",
    "4294967295",
    "4294967296",
    "ffffffffffffffff",
    "10000000000000000",
    "7fffffffffffffff",
    "8000000000000000",
    "1777777777777777777777",
    "2000000000000000000000",
    "777777777777777777777",
    "3w5e11264sgsf",
    "3w5e11264sgsg",
    "zzzzzzzzzzzzz",
    "1111111111111111111111111111111111111111111111111111111111111111",
    "10000000000000000000000000000000000000000000000000000000000000000",
};

/* Appends a random digit or letter run of up to 25 characters. */
static size_t random_run(struct harness *h, char *p)
{
    static const char chars[] = "0123456789abcdefghijklmnopqrstuvwxyzABCXYZ";
    size_t n = 1 + rnd_below(h, 25);

    for (size_t i = 0; i < n; i++)
        p[i] = chars[rnd_below(h, rnd_below(h, 2) ? 10 : sizeof(chars) - 1)];
    return n;
}

static void random_input(struct harness *h, char *buf, size_t cap)
{
    size_t len = 0;
    int n = (int)rnd_below(h, 7);

    for (int i = 0; i < n; i++) {
        char piece[80];
        size_t k;
        if (rnd_below(h, 4) == 0) {
            k = random_run(h, piece);
        } else {
            const char *s = pieces[rnd_below(h, sizeof(pieces) / sizeof(pieces[0]))];
            k = strlen(s);
            memcpy(piece, s, k);
        }
        if (len + k >= cap)
            break;
        memcpy(buf + len, piece, k);
        len += k;
    }
    buf[len] = '\0';
}

static int random_base(struct harness *h)
{
    static const int common[] = {0, 0, 0, 10, 10, 16, 16, 8, 2, 36};
    static const int invalid[] = {-1, 1, 37, 100, INT_MIN};

    switch (rnd_below(h, 20)) {
    case 0:
        return invalid[rnd_below(h, sizeof(invalid) / sizeof(invalid[0]))];
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
        return 2 + (int)rnd_below(h, 35);
    default:
        return common[rnd_below(h, sizeof(common) / sizeof(common[0]))];
    }
}

/* One function compared on one input. The value travels as 64 bits, which
 * holds every result type here exactly. */
struct result {
    unsigned long long value;
    ptrdiff_t end; /* endptr - input */
    int error;     /* 0, EINVAL or ERANGE */
};

static void report(struct harness *h, const char *fn, const char *in, int base,
                   const struct result *g, const struct result *m)
{
    /* An invalid base leaves glibc's endptr untouched; C leaves it open. */
    int bad_base = base < 0 || base == 1 || base > 36;
    int ok =
        g->value == m->value && g->error == m->error && (bad_base || g->end == m->end);

    if (harness_check(h, ok)) {
        printf("%s(", fn);
        print_escaped(in, strlen(in));
        printf(", base %d)\n    glibc value %#llx end %td err %d\n"
               "    mini  value %#llx end %td err %d\n",
               base, g->value, g->end, g->error, m->value, m->end, m->error);
    }
}

/* Runs glibc's and libc-mini's version of one function on the same input. */
#define COMPARE(h, fn, in, base)                                                         \
    do {                                                                                 \
        struct result g, m;                                                              \
        char *end = NULL;                                                                \
        errno = 0;                                                                       \
        g.value = (unsigned long long)fn(in, &end, base);                                \
        g.error = errno;                                                                 \
        g.end = end ? end - in : -1;                                                     \
        end = NULL;                                                                      \
        mica_errno = 0;                                                                  \
        m.value = (unsigned long long)mini_##fn(in, &end, base);                         \
        m.error = mica_errno == MINI_ERANGE   ? ERANGE                                   \
                  : mica_errno == MINI_EINVAL ? EINVAL                                   \
                                              : mica_errno;                              \
        m.end = end ? end - in : -1;                                                     \
        report(h, #fn, in, base, &g, &m);                                                \
    } while (0)

static void compare_ato(struct harness *h, const char *in)
{
    struct result g = {0}, m = {0};

    /* Beyond the range of int, atoi is undefined in C; both do (int)strtol. */
    g.value = (unsigned long long)atoi(in) ^ (unsigned long long)atol(in) << 1 ^
              (unsigned long long)atoll(in) << 2;
    m.value = (unsigned long long)mini_atoi(in) ^ (unsigned long long)mini_atol(in) << 1 ^
              (unsigned long long)mini_atoll(in) << 2;
    report(h, "atoi/atol/atoll", in, 10, &g, &m);
}

static void fixed_inputs(struct harness *h)
{
    static const char *const inputs[] = {
        "",
        " ",
        "0",
        "0x",
        "0X",
        "0xg",
        "-0x",
        " +0x1f",
        "0x0x1",
        "00",
        "08",
        "0b1",
        "-",
        "+",
        "+-1",
        "--1",
        " \t\n\v\f\r42",
        "\x80\x31",
        "-9223372036854775808",
        "-9223372036854775809",
        "9223372036854775807",
        "9223372036854775808",
        "-18446744073709551615",
        "-18446744073709551616",
        "18446744073709551615",
        "18446744073709551616",
        "0xFFFFFFFFFFFFFFFF",
        "0x10000000000000000",
        "-0x8000000000000000",
        "-0x8000000000000001",
        "99999999999999999999999999999999999999z",
    };
    static const int bases[] = {0, 2, 8, 10, 16, 36, 1, 37};

    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        for (size_t j = 0; j < sizeof(bases) / sizeof(bases[0]); j++) {
            COMPARE(h, strtol, inputs[i], bases[j]);
            COMPARE(h, strtoul, inputs[i], bases[j]);
            COMPARE(h, strtoll, inputs[i], bases[j]);
            COMPARE(h, strtoull, inputs[i], bases[j]);
        }
        compare_ato(h, inputs[i]);
    }
}

int main(int argc, char **argv)
{
    struct harness h;

    harness_init(&h, "libc_strtol", argc, argv);
    fixed_inputs(&h);
    for (int i = 0; i < CASES; i++) {
        char buf[256];
        int base = random_base(&h);
        char *copy;

        random_input(&h, buf, sizeof(buf));
        /* An exact-size heap copy lets ASan catch reads past the NUL. */
        copy = malloc(strlen(buf) + 1);
        if (!copy)
            return EXIT_FAILURE;
        strcpy(copy, buf);
        COMPARE(&h, strtol, copy, base);
        COMPARE(&h, strtoul, copy, base);
        COMPARE(&h, strtoll, copy, base);
        COMPARE(&h, strtoull, copy, base);
        if (i % 4 == 0)
            compare_ato(&h, copy);
        /* endptr may be NULL: only the value is left to compare. */
        if (harness_check(&h,
                          strtoll(copy, NULL, base) == mini_strtoll(copy, NULL, base)))
            printf("strtoll with NULL endptr on %s\n", copy);
        free(copy);
    }
    return harness_finish(&h);
}
