/*
 * ctype.h - character classification of libc-mini. Only the C locale exists:
 * ASCII rules, bytes 128..255 belong to no class. Every function accepts EOF
 * (-1) and any unsigned char value, as C11 §7.4 requires.
 */
#ifndef MICA_LIBC_CTYPE_H
#define MICA_LIBC_CTYPE_H

int isalpha(int c);
int isdigit(int c);
int isxdigit(int c);
int isalnum(int c);
int isspace(int c);
int isupper(int c);
int islower(int c);
int isprint(int c);
int ispunct(int c);
int iscntrl(int c);
int isgraph(int c);
int toupper(int c);
int tolower(int c);

#endif
