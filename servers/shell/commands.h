/*
 * Shell commands that live in files of their own; main.c's table names
 * them. Each gets the rest of the line after the command word.
 */
#ifndef MICA_SHELL_COMMANDS_H
#define MICA_SHELL_COMMANDS_H

#include <stddef.h>
#include <stdint.h>

/* init's endpoint with the control bit (main.c), 0 if init gave none. */
extern uint64_t shell_control;

/* Copies the first word of s into out (size bytes with the NUL); returns
 * its length, 0 when there is none or it does not fit. */
size_t shell_word(const char *s, char *out, size_t size);

void cmd_crash(const char *args);
void cmd_fuzz(const char *args);
void cmd_bench(const char *args);
void cmd_tests(const char *args);
void cmd_run(const char *args);
void cmd_kill(const char *args);
void cmd_trace(const char *args);

#endif
