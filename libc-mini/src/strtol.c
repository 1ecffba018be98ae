/*
 * strtol.c - string to integer conversion (C11 §7.22.1.4) for libc-mini.
 * One scanner parses the text into a sign and a magnitude saturated at
 * ULLONG_MAX; each public function then clamps that to its own type. Errors
 * go to mica_errno (LIBC_ERANGE, LIBC_EINVAL) because there is no errno; see
 * stdlib.h.
 */
#include <stdlib.h>
#include <ctype.h>
#include <limits.h>
#include <stdbool.h>

int mica_errno;

struct scan {
    unsigned long long magnitude; /* saturated at ULLONG_MAX */
    bool negative;
    bool overflow; /* the digits did not fit in unsigned long long */
};

/* Value of c as a digit, or 36 (beyond every base) if it is not one. */
static int digit_value(int c)
{
    if (isdigit(c))
        return c - '0';
    if (islower(c))
        return c - 'a' + 10;
    if (isupper(c))
        return c - 'A' + 10;
    return 36;
}

/* A "0x" prefix only counts when a hex digit follows it; otherwise the
 * subject sequence ends after the "0" (C11 §7.22.1.4p3). */
static bool has_hex_prefix(const char *s)
{
    return s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && digit_value(s[2]) < 16;
}

/*
 * Parses an optional sign, base prefix and digits after leading white space.
 * Sets *endptr (if non-NULL) past the last digit used, or to nptr when no
 * digit was found. Returns false, without touching *endptr, for a base
 * outside 0 and 2..36.
 */
static bool scan_number(const char *nptr, char **endptr, int base, struct scan *out)
{
    const char *s = nptr;
    const char *digits;
    unsigned long long limit;
    unsigned radix;

    out->magnitude = 0;
    out->negative = false;
    out->overflow = false;
    if (base < 0 || base == 1 || base > 36) {
        mica_errno = LIBC_EINVAL;
        return false;
    }

    while (isspace((unsigned char)*s))
        s++;
    if (*s == '+' || *s == '-')
        out->negative = *s++ == '-';
    if ((base == 0 || base == 16) && has_hex_prefix(s)) {
        s += 2;
        base = 16;
    } else if (base == 0) {
        base = *s == '0' ? 8 : 10;
    }

    /* limit is the largest magnitude that can take one more digit. */
    radix = (unsigned)base;
    limit = ULLONG_MAX / radix;
    for (digits = s;; s++) {
        unsigned d = (unsigned)digit_value((unsigned char)*s);
        if (d >= radix)
            break;
        if (out->overflow)
            continue; /* keep consuming digits: endptr goes past all of them */
        if (out->magnitude > limit || out->magnitude * radix > ULLONG_MAX - d) {
            out->overflow = true;
            out->magnitude = ULLONG_MAX;
        } else {
            out->magnitude = out->magnitude * radix + d;
        }
    }

    if (endptr)
        *endptr = (char *)(s == digits ? nptr : s);
    if (s == digits)
        out->negative = false;
    return true;
}

/* Clamps the scanned value to the two's complement range [-max-1, max]. */
static long long to_signed(const struct scan *sc, unsigned long long max)
{
    if (sc->negative) {
        if (sc->overflow || sc->magnitude > max + 1) {
            mica_errno = LIBC_ERANGE;
            return -(long long)(max)-1;
        }
        /* Negate in unsigned arithmetic so that -(max+1) does not overflow. */
        return (long long)(0 - sc->magnitude);
    }
    if (sc->overflow || sc->magnitude > max) {
        mica_errno = LIBC_ERANGE;
        return (long long)max;
    }
    return (long long)sc->magnitude;
}

/* Unsigned results negate in the target type, as C specifies: "-1" is
 * ULONG_MAX. Only the magnitude itself can overflow. */
static unsigned long long to_unsigned(const struct scan *sc, unsigned long long max)
{
    if (sc->overflow || sc->magnitude > max) {
        mica_errno = LIBC_ERANGE;
        return max;
    }
    return sc->negative ? (0 - sc->magnitude) & max : sc->magnitude;
}

long strtol(const char *restrict nptr, char **restrict endptr, int base)
{
    struct scan sc;

    if (!scan_number(nptr, endptr, base, &sc))
        return 0;
    return (long)to_signed(&sc, LONG_MAX);
}

long long strtoll(const char *restrict nptr, char **restrict endptr, int base)
{
    struct scan sc;

    if (!scan_number(nptr, endptr, base, &sc))
        return 0;
    return to_signed(&sc, LLONG_MAX);
}

unsigned long strtoul(const char *restrict nptr, char **restrict endptr, int base)
{
    struct scan sc;

    if (!scan_number(nptr, endptr, base, &sc))
        return 0;
    return (unsigned long)to_unsigned(&sc, ULONG_MAX);
}

unsigned long long strtoull(const char *restrict nptr, char **restrict endptr, int base)
{
    struct scan sc;

    if (!scan_number(nptr, endptr, base, &sc))
        return 0;
    return to_unsigned(&sc, ULLONG_MAX);
}

/* Like glibc, the ato* functions are strtol truncated to the result type;
 * out-of-range input is undefined behaviour in C anyway. */
int atoi(const char *nptr)
{
    return (int)strtol(nptr, NULL, 10);
}

long atol(const char *nptr)
{
    return strtol(nptr, NULL, 10);
}

long long atoll(const char *nptr)
{
    return strtoll(nptr, NULL, 10);
}
