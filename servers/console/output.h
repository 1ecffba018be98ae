/*
 * The console's one way to its devices (output.c): every byte shown on
 * serial and screen goes through here, under one lock, because two
 * threads print: the main thread (clients' writes and the line editor's
 * echo) and the log thread (the kernel log, kernel_log.c).
 *
 * Kernel log lines are printed whole and never inside a client's line:
 * when the devices are in the middle of one, a log line waits for it to
 * end; if a client is waiting for input at that line (a prompt), or the
 * line does not end soon, the log lines are printed below it, and the
 * client's line so far (the prompt and what was typed) is printed again
 * under them: before the client's next byte, or once the log is quiet.
 */
#ifndef MICA_CONSOLE_OUTPUT_H
#define MICA_CONSOLE_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

/* Which devices a log byte goes to: the screen always; serial only for
 * bytes the kernel had not printed there itself. */
enum out_devices { OUT_SCREEN = 1, OUT_SERIAL = 2, OUT_BOTH = 3 };

void out_lock(void);
void out_unlock(void);

/* The lock is held for all of these. */

/* Client output: a write's bytes, or the echo of typed input. */
void out_client(const char *s, size_t n);

/* Whether the devices are at the start of a line. */
bool out_at_line_start(void);

/* A client waits for input at the current line (the prompt) from now on,
 * or no longer. */
void out_set_reading(bool reading);
bool out_reading(void);

/* One whole log line (ending in "\n"), the part before `serial_from` only
 * to the screen. */
void out_log_line(const char *s, size_t n, size_t serial_from);

/* Whether log lines cut the client's line, and printing it again. */
bool out_owed(void);
void out_repay(void);

#endif
