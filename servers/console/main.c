/*
 * console: owns COM1, the screen and the PS/2 keyboard, and shows the
 * kernel log on them. At start it collects its capabilities from init
 * (NS_BOOT_CAP): COM1 (uart.c, used only if a 16550 answers), the screen
 * (display.c) and the keyboard (ps2.c), each optional; its interrupts
 * arrive as bits of one notification. It then takes the kernel log over
 * (kernel_log.c, a thread of its own), registers "console", and serves
 * mica/console.h in the server runtime's loop. The keyboard is a
 * capability: CON_READ is taken only through an input handle, which goes
 * only to a client that asks through a control handle (CON_INPUT: the
 * shell), so nobody else reads what the user types. A read's reply is
 * deferred to the reader thread, which edits the line while the main
 * thread goes on serving every client's writes. All output goes through
 * output.c; the reader waits on the interrupt notification and takes
 * bytes from whichever devices exist, editing one line from both as it
 * comes.
 *
 * A device that is missing or fails to start is reported once on the
 * kernel log and left out: with a screen and a keyboard alone (no UART,
 * as in VirtualBox's default VM) everything works, and when no input is
 * waiting the console blocks, so the CPU idles.
 */
#include <mica/ns.h>
#include <mica/server.h>
#include <mica/syscall.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "display.h"
#include "kernel_log.h"
#include "output.h"
#include "protocol.h"
#include "ps2.h"
#include "uart.h"

/* Our heap is the static arena, never the memory server (malloc.c). */
const bool mica_heap_arena_only = true;

/* Longest wait for input before RBR is checked anyway. */
#define RX_POLL_MS 100

static uint64_t irq_ntf;
static bool last_was_cr; /* to take a serial "\r\n" as one end of line */

/* Client output, with the kernel log lines that arrived before it (when
 * the devices are at a line start) and after it. */
static void out(const char *s, size_t n)
{
    out_lock();
    if (out_at_line_start())
        kernel_log_drain();
    out_client(s, n);
    if (out_at_line_start())
        kernel_log_drain();
    out_unlock();
}

/* ---- Line editing. */

struct line {
    char buf[CON_LINE_MAX];
    size_t len, max;
    bool done;
};

/* One typed character, from either device, echoed to both. A tab is
 * kept as a space: the echo must take one cell, so that backspace, which
 * erases one cell, undoes it. */
static void line_feed(struct line *l, char c)
{
    if (c == '\t')
        c = ' ';
    if (c == '\r' || c == '\n') {
        out("\n", 1);
        l->done = true;
    } else if (c == '\b' || c == 0x7f) {
        if (l->len) {
            l->len--;
            out("\b \b", 3);
        }
    } else if (c >= 0x20 && c < 0x7f && l->len < l->max) {
        l->buf[l->len++] = c;
        out(&c, 1);
    }
}

/* A terminal may end a line with "\r\n": the "\n" is not a second one. */
static void serial_feed(struct line *l, char c)
{
    bool lf_after_cr = c == '\n' && last_was_cr;
    last_was_cr = c == '\r';
    if (!lf_after_cr)
        line_feed(l, c);
}

/* Feeds the bytes the UART and the keyboard hold, stopping at the end of
 * the line so that what was typed after it waits for the next read. */
static void drain_rx(struct line *l)
{
    int c;
    while (!l->done && (c = uart_getc()) >= 0)
        serial_feed(l, (char)c);
    while (!l->done && (c = ps2_getc()) >= 0)
        line_feed(l, (char)c);
}

/* Waits for the next COM1 or keyboard interrupt and unmasks the lines
 * whose bits came. The wait has a timeout so that a lost interrupt delays
 * input by RX_POLL_MS at most instead of hanging the console; a failed
 * wait sleeps as long, so the loop is a slow poll and never a spin. */
static void wait_rx(void)
{
    uint64_t bits;
    long st = mica_notify_wait(irq_ntf, &bits, RX_POLL_MS);
    if (st == MICA_OK) {
        if (bits & CONSOLE_IRQ_BIT)
            uart_irq_ack();
        if (bits & CONSOLE_KBD_BIT)
            ps2_irq_ack();
    } else if (st != MICA_ETIMEOUT) {
        mica_sleep_ms(RX_POLL_MS);
    }
}

/* While a client waits here, kernel log lines that arrive are printed
 * below its prompt and the prompt is repeated (output.h). */
static void read_line(struct line *l)
{
    out_lock();
    out_set_reading(true);
    out_unlock();
    for (drain_rx(l); !l->done; drain_rx(l))
        wait_rx();
    out_lock();
    out_set_reading(false);
    out_unlock();
}

/* ---- The reader: a thread of its own that edits the line of a deferred
 * CON_READ while the main thread goes on serving writes. */

/* The read waiting for a line: its reply handle (0: none) and length
 * (1..CON_LINE_MAX). Only the main thread sets it, only the reader clears
 * it. */
static struct {
    uint64_t reply;
    size_t want;
} pending;
static int pending_lock;
static uint64_t read_ntf; /* signalled when a read is pending */

static void pending_take_lock(void)
{
    while (__atomic_exchange_n(&pending_lock, 1, __ATOMIC_ACQUIRE))
        mica_yield();
}

static void pending_give_lock(void)
{
    __atomic_store_n(&pending_lock, 0, __ATOMIC_RELEASE);
}

/* The pending read's reply handle (0: none) and length. */
static uint64_t pending_get(size_t *want)
{
    pending_take_lock();
    uint64_t reply = pending.reply;
    *want = pending.want;
    pending_give_lock();
    return reply;
}

/* Makes (reply, want) the pending read if it is still `old` (0: none) or
 * none: false if another read took the place. *took_old says whether
 * `old` (non-zero) was taken out here, so that the caller closes it; if the
 * reader answered it meanwhile, the answer closed it. */
static bool pending_replace(uint64_t old, uint64_t reply, size_t want, bool *took_old)
{
    pending_take_lock();
    *took_old = old && pending.reply == old;
    bool ok = *took_old || pending.reply == 0;
    if (ok) {
        pending.reply = reply;
        pending.want = want;
    }
    pending_give_lock();
    return ok;
}

/* Takes the pending read's reply handle (and its length) and clears it. */
static uint64_t pending_clear(size_t *want)
{
    pending_take_lock();
    uint64_t reply = pending.reply;
    *want = pending.want;
    pending.reply = 0;
    pending_give_lock();
    return reply;
}

/* Whether the caller of a deferred read still waits for it (the kernel
 * says so in a reply handle's badge). */
static bool reader_waits(uint64_t reply)
{
    struct mica_handle_info hi;
    return mica_handle_info(reply, &hi) == MICA_OK && hi.badge == 1;
}

static uint8_t reader_stack[16384] __attribute__((aligned(16)));

static void reader_thread(uint64_t arg, void *ipc_buffer)
{
    (void)arg;
    for (;;) {
        uint64_t bits;
        size_t want;
        if (!pending_get(&want)) {
            if (mica_notify_wait(read_ntf, &bits, MICA_WAIT_FOREVER) != MICA_OK)
                mica_sleep_ms(RX_POLL_MS);
            continue;
        }
        struct line l = {.len = 0, .max = CON_LINE_MAX, .done = false};
        read_line(&l);
        /* Cleared before the answer, so the next read may come at once;
         * the reader may have changed meanwhile (one that gave up was
         * replaced), so its length is taken now. */
        uint64_t reply = pending_clear(&want);
        if (!reply)
            continue;
        size_t len = l.len < want ? l.len : want;
        memcpy(ipc_buffer, l.buf, len);
        struct mica_msg m = {MICA_REPLY_INFO(MICA_OK, len), {0}};
        server_answer(reply, &m);
    }
}

static long start_reader(const char **step)
{
    *step = "reader notification";
    long ntf = mica_notify_create();
    if (ntf < 0)
        return ntf;
    read_ntf = (uint64_t)ntf;
    *step = "reader thread";
    long t = mica_thread_create(reader_thread, reader_stack + sizeof(reader_stack), 0);
    return t < 0 ? t : MICA_OK;
}

/* ---- Requests (the loop is the server runtime's, mica/server.h). */

static uint64_t console_ep; /* ours, all rights; CON_INPUT mints from it */

/* Out of line, so that a debugger can stop in it by name (the example of
 * docs/debugging.md: `mica break console do_write`). */
__attribute__((noinline)) static enum server_next do_write(struct server_request *rq)
{
    uint32_t len = MICA_INFO_LEN(rq->msg.info);
    if (len > MICA_IPC_PAYLOAD_MAX || !server_words_zero(rq, 0))
        return server_status(rq, MICA_EINVAL);
    out(rq->ipc, len);
    rq->reply.w[0] = len;
    return SERVER_REPLY;
}

/* Only through an input handle (CON_INPUT's badge). The reply is
 * deferred to the reader thread, so writes go on while the line is
 * typed; one read waits at a time (MICA_EBUSY for a second). */
static enum server_next do_read(struct server_request *rq)
{
    uint64_t want = rq->msg.w[0];
    if (!(rq->badge & CON_BADGE_INPUT))
        return server_status(rq, MICA_ERIGHTS);
    if (want == 0 || want > CON_LINE_MAX || MICA_INFO_LEN(rq->msg.info) ||
        !server_words_zero(rq, 1))
        return server_status(rq, MICA_EINVAL);
    /* A read whose caller gave up (timed out, died) keeps nobody else
     * from reading: the new one takes its place. */
    size_t old_want;
    uint64_t old = pending_get(&old_want);
    if (old && reader_waits(old))
        return server_status(rq, MICA_EBUSY);
    long reply = server_defer(rq);
    if (reply < 0)
        return server_status(rq, reply);
    bool took_old;
    if (!pending_replace(old, (uint64_t)reply, (size_t)want, &took_old)) {
        /* Another read came first after all: this one is refused. */
        struct mica_msg busy = {MICA_REPLY_INFO(MICA_EBUSY, 0), {0}};
        server_answer((uint64_t)reply, &busy);
        return SERVER_DEFERRED;
    }
    if (took_old)
        mica_handle_close(old); /* answers nobody: its caller is gone */
    mica_notify_signal(read_ntf, 1);
    return SERVER_DEFERRED;
}

/* CON_INPUT: a send handle to our endpoint badged with CON_BADGE_INPUT and
 * the asker's task id, for a request that came through a control handle
 * (the runtime closes our copy once the reply has taken it along). */
static enum server_next do_input(struct server_request *rq)
{
    if (MICA_INFO_LEN(rq->msg.info) || !server_words_zero(rq, 0))
        return server_status(rq, MICA_EINVAL);
    if (!(rq->badge & NS_BADGE_CONTROL))
        return server_status(rq, MICA_ERIGHTS);
    long h = mica_handle_copy(console_ep, MICA_RIGHT_SEND | MICA_RIGHT_GRANT,
                              CON_BADGE_INPUT | NS_BADGE_TASK(rq->badge));
    if (h < 0)
        return server_status(rq, h);
    rq->reply_handle = (uint64_t)h;
    return SERVER_REPLY;
}

static enum server_next handle(struct server_request *rq)
{
    switch (MICA_INFO_LABEL(rq->msg.info)) {
    case CON_WRITE:
        return do_write(rq);
    case CON_READ:
        return do_read(rq);
    case CON_INPUT:
        return do_input(rq);
    }
    return server_status(rq, MICA_ENOSYS);
}

/* ---- Start. */

static int fail(const char *step, long status)
{
    char line[128];
    int n = snprintf(line, sizeof(line),
                     "mica: server name=console state=failed step=%s error=%s\n", step,
                     mica_status_name(status));
    if (n > 0 && (size_t)n < sizeof(line))
        mica_debug_write(line, (size_t)n);
    return 1;
}

static void log_line(const char *line, int n)
{
    if (n > 0)
        mica_debug_write(line, (size_t)n);
}

/* Says once on the kernel log that a device is left out, and why. */
static void degraded(const char *device, const char *step, long status)
{
    char line[128];
    log_line(line, snprintf(line, sizeof(line), "mica: console %s=off step=%s error=%s\n",
                            device, step, mica_status_name(status)));
}

/* Every device is optional: serial when a UART answers, the screen when
 * there is one, the keyboard when the i8042 answers. The kernel log comes
 * last, so that its replay of the boot lines lands on the screen. */
static long setup_devices(const char **step)
{
    *step = "notify_create";
    long ntf = mica_notify_create();
    if (ntf < 0)
        return ntf;
    irq_ntf = (uint64_t)ntf;

    const char *dstep = "";
    bool serial = false;
    long st = uart_init(irq_ntf, CONSOLE_IRQ_BIT, &serial, &dstep);
    long uart_st = st;
    if (st != MICA_OK)
        degraded("serial", dstep, st);
    bool screen = (st = display_init(&dstep)) == MICA_OK;
    if (!screen)
        degraded("screen", dstep, st);
    bool keyboard = (st = ps2_init(irq_ntf, CONSOLE_KBD_BIT, &dstep)) == MICA_OK;
    if (!keyboard)
        degraded("keyboard", dstep, st);
    if ((st = kernel_log_start(&dstep)) != MICA_OK)
        degraded("log", dstep, st);
    char line[96];
    log_line(line, snprintf(line, sizeof(line),
                            "mica: console serial=%s screen=%s keyboard=%s\n",
                            serial               ? "on"
                            : uart_st == MICA_OK ? "absent"
                                                 : "off",
                            screen ? "on" : "off", keyboard ? "on" : "off"));
    return MICA_OK;
}

/* Creates the endpoint and registers a send-only copy of it, so that
 * clients (and init) never hold the right to receive on it. */
static long publish(uint64_t *ep_out, const char **step)
{
    *step = "endpoint_create";
    long ep = mica_endpoint_create();
    if (ep < 0)
        return ep;
    *step = "handle_copy";
    long pub = mica_handle_copy((uint64_t)ep, MICA_RIGHT_SEND | MICA_RIGHT_GRANT, 0);
    if (pub < 0)
        return pub;
    *step = "register";
    long st = ns_register("console", (uint64_t)pub);
    mica_handle_close((uint64_t)pub);
    *ep_out = console_ep = (uint64_t)ep;
    return st;
}

int main(void)
{
    const char *step = "";
    uint64_t ep;
    /* Our threads (this one, the reader, the kernel log's) share the
     * screen and the line state without locks, as threads of one CPU:
     * they stay on one (new threads inherit it). */
    (void)mica_thread_affinity(MICA_THREAD_SELF, 1);
    long st = setup_devices(&step);
    if (st == MICA_OK)
        st = start_reader(&step);
    if (st == MICA_OK)
        st = publish(&ep, &step);
    if (st != MICA_OK)
        return fail(step, st);
    struct server s = {
        .ep = ep,
        .info_bits = SERVER_INFO_BITS,
        .obeys_crash = true,
        .handle = handle,
    };
    server_run(&s);
    return 0;
}
