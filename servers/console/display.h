/*
 * The console's screen: what main.c needs to start it and to draw on it.
 * When display_init fails the console runs on serial only and
 * display_write does nothing.
 */
#ifndef MICA_CONSOLE_DISPLAY_H
#define MICA_CONSOLE_DISPLAY_H

#include <stddef.h>

/* Takes the screen from init, maps it and clears it. MICA_OK, or the error
 * of the step named in *step. */
long display_init(const char **step);

/* Draws n bytes at the cursor ("\n" starts a new line, "\b" erases back). */
void display_write(const char *s, size_t n);

#endif
