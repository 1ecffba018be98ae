/*
 * printf.c - the formatting engine behind every printf-like function of
 * libc-mini, and snprintf/vsnprintf on top of it. mica_vformat parses the
 * format and hands output pieces to a callback, so it never needs a buffer
 * of its own beyond the digits of one number. Integer-only: the kernel
 * must not touch FPU state, so there is no %f/%e/%g/%a. Where C leaves the
 * output open (%p, NULL strings, odd flag mixes) we copy glibc, so output
 * from the host tests and from Mica reads the same.
 */
#include <mica/fmt.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <stdbool.h>
#include <limits.h>

enum {
    F_LEFT = 1 << 0,  /* '-' */
    F_PLUS = 1 << 1,  /* '+' */
    F_SPACE = 1 << 2, /* ' ' */
    F_ALT = 1 << 3,   /* '#' */
    F_ZERO = 1 << 4,  /* '0' */
};

enum length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_J, LEN_T };

/* One parsed conversion specification. */
struct spec {
    unsigned flags;
    int width;     /* >= 0 */
    int precision; /* -1 when absent */
    enum length length;
    char conv;
};

struct out {
    mica_emit_fn emit;
    void *ctx;
    size_t count; /* bytes emitted so far */
};

static void put(struct out *o, const char *s, size_t n)
{
    if (n) {
        o->emit(o->ctx, s, n);
        o->count += n;
    }
}

/* Emits n copies of c in chunks, so width and precision need no buffer. */
static void put_fill(struct out *o, char c, size_t n)
{
    static const char spaces[] = "                ";
    static const char zeros[] = "0000000000000000";
    const char *chunk = c == '0' ? zeros : spaces;

    while (n) {
        size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
        put(o, chunk, k);
        n -= k;
    }
}

/* Spaces needed to pad len bytes to the field width. */
static size_t padding(const struct spec *sp, size_t len)
{
    return (size_t)sp->width > len ? (size_t)sp->width - len : 0;
}

/* Emits s padded to the width, on the left unless '-' was given. */
static void put_field(struct out *o, const struct spec *sp, const char *s, size_t len)
{
    size_t pad = padding(sp, len);

    if (!(sp->flags & F_LEFT))
        put_fill(o, ' ', pad);
    put(o, s, len);
    if (sp->flags & F_LEFT)
        put_fill(o, ' ', pad);
}

/* Reads a non-negative decimal number, saturating instead of overflowing. */
static int parse_decimal(const char **fmt)
{
    int n = 0;

    while (**fmt >= '0' && **fmt <= '9') {
        int d = *(*fmt)++ - '0';
        n = n > (INT_MAX - d) / 10 ? INT_MAX : n * 10 + d;
    }
    return n;
}

/* Parses flags, width, precision and length after the '%'. A '*' takes its
 * value from the arguments; a negative width there means '-' plus its
 * absolute value, a negative precision means none (C11 §7.21.6.1p5). */
static void parse_spec(const char **fmt, va_list *ap, struct spec *sp)
{
    const char *f = *fmt;

    sp->flags = 0;
    for (;; f++) {
        if (*f == '-')
            sp->flags |= F_LEFT;
        else if (*f == '+')
            sp->flags |= F_PLUS;
        else if (*f == ' ')
            sp->flags |= F_SPACE;
        else if (*f == '#')
            sp->flags |= F_ALT;
        else if (*f == '0')
            sp->flags |= F_ZERO;
        else
            break;
    }

    if (*f == '*') {
        int w = va_arg(*ap, int);
        f++;
        if (w < 0) {
            sp->flags |= F_LEFT;
            /* -INT_MIN does not fit an int; saturate like a huge literal. */
            w = w == INT_MIN ? INT_MAX : -w;
        }
        sp->width = w;
    } else {
        sp->width = parse_decimal(&f);
    }

    sp->precision = -1;
    if (*f == '.') {
        f++;
        if (*f == '*') {
            int p = va_arg(*ap, int);
            f++;
            sp->precision = p < 0 ? -1 : p;
        } else {
            sp->precision = parse_decimal(&f);
        }
    }

    sp->length = LEN_NONE;
    switch (*f) {
    case 'h':
        sp->length = f[1] == 'h' ? LEN_HH : LEN_H;
        f += sp->length == LEN_HH ? 2 : 1;
        break;
    case 'l':
        sp->length = f[1] == 'l' ? LEN_LL : LEN_L;
        f += sp->length == LEN_LL ? 2 : 1;
        break;
    case 'z':
        sp->length = LEN_Z;
        f++;
        break;
    case 'j':
        sp->length = LEN_J;
        f++;
        break;
    case 't':
        sp->length = LEN_T;
        f++;
        break;
    }

    sp->conv = *f;
    *fmt = f;
}

/* Fetches a signed argument of the size the length modifier names, already
 * narrowed the way hh and h require (C11 §7.21.6.1p7). */
static intmax_t fetch_signed(va_list *ap, enum length len)
{
    switch (len) {
    case LEN_HH:
        return (signed char)va_arg(*ap, int);
    case LEN_H:
        return (short)va_arg(*ap, int);
    case LEN_L:
        return va_arg(*ap, long);
    case LEN_LL:
        return va_arg(*ap, long long);
    case LEN_Z:
        /* The signed type matching size_t; ptrdiff_t has its width. */
        return (ptrdiff_t)va_arg(*ap, size_t);
    case LEN_J:
        return va_arg(*ap, intmax_t);
    case LEN_T:
        return va_arg(*ap, ptrdiff_t);
    default:
        return va_arg(*ap, int);
    }
}

static uintmax_t fetch_unsigned(va_list *ap, enum length len)
{
    switch (len) {
    case LEN_HH:
        return (unsigned char)va_arg(*ap, unsigned);
    case LEN_H:
        return (unsigned short)va_arg(*ap, unsigned);
    case LEN_L:
        return va_arg(*ap, unsigned long);
    case LEN_LL:
        return va_arg(*ap, unsigned long long);
    case LEN_Z:
        return va_arg(*ap, size_t);
    case LEN_J:
        return va_arg(*ap, uintmax_t);
    case LEN_T:
        /* The unsigned type matching ptrdiff_t; size_t has its width. */
        return (size_t)va_arg(*ap, ptrdiff_t);
    default:
        return va_arg(*ap, unsigned);
    }
}

/* Writes value in base into the end of buf; returns where the digits start.
 * A zero precision with a zero value yields no digits at all. */
static char *to_digits(char *end, uintmax_t value, unsigned base, bool upper,
                       int precision)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char *p = end;

    if (value == 0 && precision == 0)
        return p;
    do {
        *--p = digits[value % base];
        value /= base;
    } while (value);
    return p;
}

/* Number base of an integer conversion. */
static unsigned conv_base(char conv)
{
    if (conv == 'o')
        return 8;
    if (conv == 'x' || conv == 'X' || conv == 'p')
        return 16;
    return 10;
}

/* The sign character, or 0 for none. glibc honours '+' and ' ' for %p as
 * well, so we do too. */
static char sign_char(const struct spec *sp, bool negative)
{
    bool is_signed = sp->conv == 'd' || sp->conv == 'i' || sp->conv == 'p';

    if (negative)
        return '-';
    if (is_signed && (sp->flags & F_PLUS))
        return '+';
    if (is_signed && (sp->flags & F_SPACE))
        return ' ';
    return 0;
}

/*
 * Emits one integer conversion: [spaces][sign][0x][zeros][digits][spaces].
 * The zeros come from the precision, from '#' with %o, or (with '0' and no
 * precision) from filling the width.
 */
static void format_integer(struct out *o, const struct spec *sp, uintmax_t magnitude,
                           bool negative)
{
    char buf[sizeof(uintmax_t) * CHAR_BIT / 3 + 1]; /* octal is the longest */
    char *end = buf + sizeof(buf);
    unsigned base = conv_base(sp->conv);
    char *digits = to_digits(end, magnitude, base, sp->conv == 'X', sp->precision);
    size_t ndigits = (size_t)(end - digits);
    char sign = sign_char(sp, negative);
    const char *radix = "";
    size_t zeros = 0, len;

    /* %#x marks only non-zero values; %p always shows 0x. */
    if (sp->conv == 'p' || ((sp->flags & F_ALT) && magnitude != 0 && base == 16))
        radix = sp->conv == 'X' ? "0X" : "0x";
    if (sp->precision >= 0 && (size_t)sp->precision > ndigits)
        zeros = (size_t)sp->precision - ndigits;
    /* '#' with %o: the first digit must be 0; add one only if it is not. */
    if (sp->conv == 'o' && (sp->flags & F_ALT) && zeros == 0 &&
        (ndigits == 0 || digits[0] != '0'))
        zeros = 1;

    len = (sign != 0) + strlen(radix) + zeros + ndigits;
    /* '0' fills the width with zeros, but a precision or '-' overrides it. */
    if ((sp->flags & F_ZERO) && !(sp->flags & F_LEFT) && sp->precision < 0) {
        size_t fill = padding(sp, len);
        zeros += fill;
        len += fill;
    }

    if (!(sp->flags & F_LEFT))
        put_fill(o, ' ', padding(sp, len));
    if (sign)
        put(o, &sign, 1);
    put(o, radix, strlen(radix));
    put_fill(o, '0', zeros);
    put(o, digits, ndigits);
    if (sp->flags & F_LEFT)
        put_fill(o, ' ', padding(sp, len));
}

/* %s: at most precision bytes of s. Like glibc, a NULL string prints as
 * "(null)" when the precision allows all of it and as nothing otherwise. */
static void format_string(struct out *o, const struct spec *sp, const char *s)
{
    static const char null_text[] = "(null)";
    size_t max = sp->precision < 0 ? SIZE_MAX : (size_t)sp->precision;

    if (!s)
        s = max >= sizeof(null_text) - 1 ? null_text : "";
    put_field(o, sp, s, strnlen(s, max));
}

/* %p: glibc prints a pointer as %#lx (flags, width and precision apply)
 * and NULL as "(nil)", padded to the width but never cut short. */
static void format_pointer(struct out *o, const struct spec *sp, const void *p)
{
    static const char nil_text[] = "(nil)";

    if (p)
        format_integer(o, sp, (uintptr_t)p, false);
    else
        put_field(o, sp, nil_text, sizeof(nil_text) - 1);
}

/* Emits one conversion; returns false for one we do not know. */
static bool format_conversion(struct out *o, const struct spec *sp, va_list *ap)
{
    switch (sp->conv) {
    case 'd':
    case 'i': {
        intmax_t v = fetch_signed(ap, sp->length);
        /* Negate in unsigned arithmetic: -INTMAX_MIN does not fit. */
        format_integer(o, sp, v < 0 ? 0 - (uintmax_t)v : (uintmax_t)v, v < 0);
        return true;
    }
    case 'u':
    case 'o':
    case 'x':
    case 'X':
        format_integer(o, sp, fetch_unsigned(ap, sp->length), false);
        return true;
    case 'c': {
        char c = (char)va_arg(*ap, int);
        put_field(o, sp, &c, 1);
        return true;
    }
    case 's':
        format_string(o, sp, va_arg(*ap, const char *));
        return true;
    case 'p':
        format_pointer(o, sp, va_arg(*ap, const void *));
        return true;
    case '%':
        /* glibc ignores flags and width here. */
        put(o, "%", 1);
        return true;
    default:
        return false;
    }
}

int mica_vformat(mica_emit_fn emit, void *ctx, const char *fmt, va_list ap)
{
    struct out o = {emit, ctx, 0};
    va_list args;

    /* Helpers take a va_list pointer: passing a va_list by value and then
     * using it again in the caller is not allowed (C11 §7.16p3). */
    va_copy(args, ap);
    while (*fmt) {
        const char *start = fmt;
        struct spec sp;

        if (*fmt != '%') {
            while (*fmt && *fmt != '%')
                fmt++;
            put(&o, start, (size_t)(fmt - start));
            continue;
        }
        fmt++;
        parse_spec(&fmt, &args, &sp);
        if (!*fmt) {
            /* A '%' cut off by the end of the format: show what there is. */
            put(&o, start, (size_t)(fmt - start));
            break;
        }
        fmt++;
        /* %n is unsupported on purpose (it writes through an argument), so
         * it and any other unknown conversion are printed as written. */
        if (!format_conversion(&o, &sp, &args))
            put(&o, start, (size_t)(fmt - start));
    }
    va_end(args);
    return o.count > INT_MAX ? -1 : (int)o.count;
}

/* snprintf's sink: keeps what fits in size-1 bytes and drops the rest. */
struct sink {
    char *buf;
    size_t size;
    size_t used;
};

static void sink_emit(void *ctx, const char *s, size_t n)
{
    struct sink *k = ctx;
    size_t room = k->size ? k->size - 1 - k->used : 0;

    if (n > room)
        n = room;
    /* Skipping n == 0 matters: with size 0, buf may be NULL. */
    if (n) {
        memcpy(k->buf + k->used, s, n);
        k->used += n;
    }
}

int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
{
    struct sink k = {buf, size, 0};
    int n = mica_vformat(sink_emit, &k, fmt, ap);

    if (size)
        buf[k.used] = '\0';
    return n;
}

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
