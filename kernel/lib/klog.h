/*
 * The kernel log: one ordered record of every line the kernel prints and
 * every SYS_DEBUG_WRITE, kept in a ring so that a console server can show
 * it (boot lines included) on the devices it owns.
 *
 * Until a reader binds it, and again once that reader dies, the kernel
 * writes the log to its own console devices itself (console.c). While a
 * reader is bound the kernel prints nothing: the reader is signalled and
 * copies the bytes out (SYS_LOG_READ), so that it can keep kernel lines
 * apart from the lines its clients are printing. A panic, power off or
 * reset takes the devices back for good.
 */
#ifndef MICA_KERNEL_KLOG_H
#define MICA_KERNEL_KLOG_H

#include <stddef.h>
#include <stdint.h>

struct notification;
struct task;

/* Ring size: the whole boot log many times over. A reader that falls this
 * far behind loses the oldest bytes (and is told so by SYS_LOG_READ). */
#define KLOG_SIZE (64u * 1024u)

/* Appends n bytes of the kernel's; prints them directly when no reader is
 * bound. */
void klog_write(const char *s, size_t n);
/* The same for task `writer` (its id); with a tag (the task's name) each
 * line goes in as `[<tag>] <line>`, control bytes shown as '?' (klog.c). */
void klog_write_task(uint32_t writer, const char *tag, const char *s, size_t n);

/* Signals the reader if bytes arrived since the last signal. Called where
 * waking a thread is safe: the timer tick and the end of a syscall that
 * wrote to the log. */
void klog_kick(void);

/* Makes `t` the reader: the kernel stops printing and signals `bits` on
 * ntf (counted reference) when there is more. Returns the position up to
 * which the devices already show the log. */
uint64_t klog_bind(struct task *t, struct notification *ntf, uint64_t bits);

/* Copies up to len bytes from position *pos (or from the oldest byte
 * still held, if that is later; *pos then says where the copy starts)
 * into out. A read by the bound reader at *pos confirms that the devices
 * show everything before it. Returns the byte count. */
size_t klog_read(struct task *t, uint64_t *pos, char *out, size_t len);

/* The end of the log (bytes ever written). */
uint64_t klog_head(void);

/* The task died: if it was the reader, the kernel prints again, starting
 * with what the reader had not confirmed. */
void klog_task_gone(struct task *t);

/* The kernel takes its devices back for good (panic, power off, reset):
 * prints what is pending, and every later byte, directly. */
void klog_take_back(void);

#endif
