/*
 * test_ctype.c - libc-mini's ctype functions against glibc's C locale for
 * every argument they must accept: EOF (-1) and 0..255. Classifiers are
 * compared as truth values (glibc returns bit masks), conversions exactly.
 */
#include <ctype.h>
#include <stdio.h>

#include "harness.h"
#include "mini.h"

struct classifier {
    const char *name;
    int (*glibc)(int);
    int (*mini)(int);
};

/* Wrappers because glibc may define the classifiers as macros only. */
#define WRAP(name)                                                                       \
    static int glibc_##name(int c)                                                       \
    {                                                                                    \
        return name(c);                                                                  \
    }
WRAP(isalpha)
WRAP(isdigit)
WRAP(isxdigit)
WRAP(isalnum)
WRAP(isspace)
WRAP(isupper)
WRAP(islower)
WRAP(isprint)
WRAP(ispunct)
WRAP(iscntrl)
WRAP(isgraph)
WRAP(toupper)
WRAP(tolower)

#define ENTRY(name)                                                                      \
    {                                                                                    \
#name, glibc_##name, mini_##name                                                 \
    }

static const struct classifier classifiers[] = {
    ENTRY(isalpha), ENTRY(isdigit), ENTRY(isxdigit), ENTRY(isalnum),
    ENTRY(isspace), ENTRY(isupper), ENTRY(islower),  ENTRY(isprint),
    ENTRY(ispunct), ENTRY(iscntrl), ENTRY(isgraph),
};

static const struct classifier converters[] = {ENTRY(toupper), ENTRY(tolower)};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

int main(int argc, char **argv)
{
    struct harness h;

    harness_init(&h, "libc_ctype", argc, argv);
    for (int c = EOF; c <= 255; c++) {
        for (size_t i = 0; i < COUNT(classifiers); i++) {
            int g = classifiers[i].glibc(c) != 0, m = classifiers[i].mini(c) != 0;
            if (harness_check(&h, g == m))
                printf("%s(%d): glibc %d mini %d\n", classifiers[i].name, c, g, m);
        }
        for (size_t i = 0; i < COUNT(converters); i++) {
            int g = converters[i].glibc(c), m = converters[i].mini(c);
            if (harness_check(&h, g == m))
                printf("%s(%d): glibc %d mini %d\n", converters[i].name, c, g, m);
        }
    }
    return harness_finish(&h);
}
