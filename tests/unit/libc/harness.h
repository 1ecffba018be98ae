/*
 * harness.h - shared helpers of the libc-mini differential tests: a seeded
 * PRNG (so a failure can be replayed with the printed seed), mismatch
 * counting and the summary line. Pass a seed as argv[1] to replay.
 */
#ifndef MICA_TEST_LIBC_HARNESS_H
#define MICA_TEST_LIBC_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define DEFAULT_SEED 0x4d494341u /* "MICA" */
#define MAX_REPORTS  25          /* keep a broken build's log readable */

struct harness {
    const char *name;
    uint64_t seed;
    uint64_t rng;
    unsigned long cases;
    unsigned long mismatches;
};

/* splitmix64: tiny, fast, and good enough to spread test inputs. */
static inline uint64_t rnd(struct harness *h)
{
    uint64_t z = (h->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform-enough value in [0, n); n > 0. */
static inline uint64_t rnd_below(struct harness *h, uint64_t n)
{
    return rnd(h) % n;
}

static inline void harness_init(struct harness *h, const char *name, int argc,
                                char **argv)
{
    h->name = name;
    h->seed = argc > 1 ? strtoull(argv[1], NULL, 0) : DEFAULT_SEED;
    h->rng = h->seed;
    h->cases = 0;
    h->mismatches = 0;
    printf("%s: seed %#llx\n", name, (unsigned long long)h->seed);
}

/* Counts a case; returns true when its mismatch should be printed. */
static inline int harness_check(struct harness *h, int ok)
{
    h->cases++;
    if (ok)
        return 0;
    h->mismatches++;
    if (h->mismatches == MAX_REPORTS + 1)
        printf("%s: further mismatches not shown\n", h->name);
    if (h->mismatches <= MAX_REPORTS)
        printf("%s: MISMATCH (seed %#llx, case %lu): ", h->name,
               (unsigned long long)h->seed, h->cases);
    return h->mismatches <= MAX_REPORTS;
}

static inline int harness_finish(struct harness *h)
{
    printf("%s: %lu cases, %lu mismatches\n", h->name, h->cases, h->mismatches);
    return h->mismatches ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Prints n bytes with C escapes, for showing inputs and outputs. */
static inline void print_escaped(const char *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c >= 0x20 && c < 0x7f)
            putchar(c);
        else
            printf("\\x%02x", c);
    }
    putchar('"');
}

#endif
