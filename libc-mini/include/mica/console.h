/*
 * mica/console.h - the console server: its protocol (the one definition,
 * used by the server and the client stubs) and the client calls.
 *
 * What it drives, each only if present: COM1 (16550 at 0x3f8, IRQ 4), the
 * screen (EGA text or a linear framebuffer, whichever GRUB set up) and the
 * PS/2 keyboard (i8042, IRQ 1, US layout). Output goes to COM1, with "\n"
 * sent as "\r\n", and to the screen, together with the kernel log; input
 * is read a line at a time from COM1 and the keyboard together, echoed to
 * both, with backspace editing. Reading is a capability: CON_READ needs
 * an input handle, which CON_INPUT gives only through a control handle
 * (NS_BADGE_CONTROL: the shell's). The console defers a read's reply
 * (mica/server.h) to a thread of its own that edits the line, so writes
 * from every client are served while a read waits.
 *
 * Requests are calls; the reply's label is the status (MICA_REPLY_STATUS).
 *   CON_WRITE  payload = the bytes (0..MICA_IPC_PAYLOAD_MAX). Reply w[0] =
 *              bytes written.
 *   CON_INPUT  no fields, through a handle with NS_BADGE_CONTROL. Reply: an
 *              input handle attached (the console's endpoint, badged
 *              CON_BADGE_INPUT and the asker's task id); MICA_ERIGHTS
 *              without the control bit.
 *   CON_READ   through an input handle: w[0] = most bytes wanted
 *              (1..CON_LINE_MAX). Reply payload = the line without its
 *              end-of-line and without a NUL. One read waits at a time
 *              (MICA_EBUSY for another meanwhile, unless the waiting
 *              reader gave up or died: then the new one takes its place);
 *              through any other handle, MICA_ERIGHTS.
 */
#ifndef MICA_LIBC_CONSOLE_H
#define MICA_LIBC_CONSOLE_H

#include <mica/abi.h>

#include <stddef.h>
#include <stdint.h>

enum con_label {
    CON_WRITE = MICA_LABELS_CONSOLE,
    CON_READ = MICA_LABELS_CONSOLE + 1,
    CON_INPUT = MICA_LABELS_CONSOLE + 2,
};

#define CON_LINE_MAX 256

/* The badge bit of an input handle (only the console mints it; init's
 * badges use the task id and NS_BADGE_CONTROL). */
#define CON_BADGE_INPUT (1ull << 61)

/* Looks "console" up once; MICA_OK when the console can be used. Until then
 * printf writes to the kernel log. Only clients of the console may call it
 * (init and the console itself would wait for themselves). */
long console_open(void);
int console_is_open(void);

/* Returns bytes written or a negative MICA_E*. */
long console_write(const char *s, size_t n);
/* Takes the input capability through control (a handle to init with the
 * control bit, NS_CAP_CONTROL): looks the console up through it and asks
 * CON_INPUT. MICA_OK, then console_read works. */
long console_input_open(uint64_t control);
/* Reads one line into buf (at most max-1 bytes, NUL-terminated, without the
 * end-of-line); returns its length or a negative MICA_E* (MICA_EBADH
 * before console_input_open). */
long console_read(char *buf, size_t max);

#endif
