/*
 * ctype.c - character classification for the C locale (C11 §7.4). Plain
 * ASCII range checks instead of a lookup table: there is only one locale,
 * and the checks are as fast and keep no 256-entry table in every binary.
 * EOF (-1) and bytes 128..255 are in no class and map to themselves.
 */
#include <ctype.h>

int isupper(int c)
{
    return c >= 'A' && c <= 'Z';
}

int islower(int c)
{
    return c >= 'a' && c <= 'z';
}

int isalpha(int c)
{
    return isupper(c) || islower(c);
}

int isdigit(int c)
{
    return c >= '0' && c <= '9';
}

int isxdigit(int c)
{
    return isdigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int isalnum(int c)
{
    return isalpha(c) || isdigit(c);
}

/* Space, \t \n \v \f \r (0x09..0x0d). */
int isspace(int c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* 0x00..0x1f and DEL. */
int iscntrl(int c)
{
    return (c >= 0 && c < 0x20) || c == 0x7f;
}

/* Printable: space through '~'. */
int isprint(int c)
{
    return c >= 0x20 && c < 0x7f;
}

/* Printable except space. */
int isgraph(int c)
{
    return c > 0x20 && c < 0x7f;
}

int ispunct(int c)
{
    return isgraph(c) && !isalnum(c);
}

int toupper(int c)
{
    return islower(c) ? c - 'a' + 'A' : c;
}

int tolower(int c)
{
    return isupper(c) ? c - 'A' + 'a' : c;
}
