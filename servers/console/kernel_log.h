/*
 * The kernel log on the console's devices (kernel_log.c): a thread of its
 * own takes the log over from the kernel (SYS_LOG_BIND), draws what the
 * kernel printed before that on the screen again, and from then on prints
 * every new log line on serial and screen through output.h.
 */
#ifndef MICA_CONSOLE_KERNEL_LOG_H
#define MICA_CONSOLE_KERNEL_LOG_H

/* Takes the log capability from init and starts the log thread.
 * MICA_OK, or the error of the step named in *step (the kernel then keeps
 * printing its log itself, on serial only). */
long kernel_log_start(const char **step);

/* Prints the whole log lines that have arrived. The output lock is held. */
void kernel_log_drain(void);

#endif
