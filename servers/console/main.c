/*
 * console: owns COM1, the screen and the PS/2 keyboard. At start it
 * collects its capabilities from init (NS_BOOT_CAP), enables the UART's
 * ports and its receive interrupt, binds IRQ 4 to a notification, takes
 * the screen (display.c) and the keyboard (ps2.c, IRQ 1 on another bit of
 * the same notification) and registers "console". Then it serves CON_WRITE
 * and CON_READ (mica/console.h) in a receive -> check -> do_* -> reply
 * loop. Output goes to COM1 (polling THRE) and to the screen; input waits
 * on the notification and drains RBR while LSR.DR is set and the i8042
 * while it holds a byte, editing one line from both as it comes.
 *
 * COM1 is the one device the console cannot do without; a screen or a
 * keyboard that fails to start is reported once on the kernel log and
 * left out.
 */
#include <mica/ns.h>
#include <mica/syscall.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "display.h"
#include "io.h"
#include "protocol.h"
#include "ps2.h"

/* THRE polls before a byte is sent anyway: a missing or stuck UART must
 * not hang the console (the kernel's own serial output does the same). */
#define THRE_SPINS 100000

/* Longest wait for input before RBR is checked anyway. */
#define RX_POLL_MS 100

/* info bits a request may use: label and payload length. */
#define INFO_KNOWN_BITS (0xffffffffull | (0x1fffull << 32))

static uint64_t irq_handle;
static uint64_t irq_ntf;
static bool last_was_cr; /* to take a serial "\r\n" as one end of line */

/* ---- 16550 access (port I/O allowed by SYS_IOPORT_ENABLE). */

static void uart_putc(char c)
{
    for (int i = 0; i < THRE_SPINS && !(inb(COM1_BASE + UART_LSR) & LSR_THRE); i++)
        ;
    outb(COM1_BASE + UART_THR, (uint8_t)c);
}

/* Sends n bytes, a terminal's "\r\n" for each "\n". */
static void uart_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            uart_putc('\r');
        uart_putc(s[i]);
    }
}

/* Output to every device: serial and, when it is up, the screen. */
static void out(const char *s, size_t n)
{
    uart_write(s, n);
    display_write(s, n);
}

static void uart_enable_rx_irq(void)
{
    outb(COM1_BASE + UART_IER, IER_RX_DATA);
    outb(COM1_BASE + UART_MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
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
    while (!l->done && (inb(COM1_BASE + UART_LSR) & LSR_DR))
        serial_feed(l, (char)inb(COM1_BASE + UART_RBR));
    int c;
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
            mica_irq_ack(irq_handle);
        if (bits & CONSOLE_KBD_BIT)
            ps2_irq_ack();
    } else if (st != MICA_ETIMEOUT) {
        mica_sleep_ms(RX_POLL_MS);
    }
}

static void read_line(struct line *l)
{
    for (drain_rx(l); !l->done; drain_rx(l))
        wait_rx();
}

/* ---- Requests. */

struct request {
    struct mica_msg msg;
    uint64_t badge; /* the client's task id, from the handle init gave it */
};

static bool words_zero_from(const struct mica_msg *m, unsigned first)
{
    for (unsigned i = first; i < 4; i++)
        if (m->w[i])
            return false;
    return true;
}

static struct mica_msg do_write(const struct request *rq)
{
    uint32_t len = MICA_INFO_LEN(rq->msg.info);
    if (len > MICA_IPC_PAYLOAD_MAX || !words_zero_from(&rq->msg, 0))
        return (struct mica_msg){MICA_REPLY_INFO(MICA_EINVAL, 0), {0}};
    out(mica_ipc_buffer(), len);
    return (struct mica_msg){MICA_REPLY_INFO(MICA_OK, 0), {len}};
}

static struct mica_msg do_read(const struct request *rq)
{
    uint64_t want = rq->msg.w[0];
    if (want == 0 || want > CON_LINE_MAX || MICA_INFO_LEN(rq->msg.info) ||
        !words_zero_from(&rq->msg, 1))
        return (struct mica_msg){MICA_REPLY_INFO(MICA_EINVAL, 0), {0}};
    struct line l = {.len = 0, .max = want, .done = false};
    read_line(&l);
    memcpy(mica_ipc_buffer(), l.buf, l.len);
    return (struct mica_msg){MICA_REPLY_INFO(MICA_OK, l.len), {0}};
}

static struct mica_msg dispatch(const struct request *rq)
{
    if (rq->msg.info & ~INFO_KNOWN_BITS)
        return (struct mica_msg){MICA_REPLY_INFO(MICA_EINVAL, 0), {0}};
    switch (MICA_INFO_LABEL(rq->msg.info)) {
    case CON_WRITE:
        return do_write(rq);
    case CON_READ:
        return do_read(rq);
    case MICA_LABEL_CRASH:
        return (struct mica_msg){MICA_REPLY_INFO(mica_obey_crash(rq->badge), 0), {0}};
    }
    return (struct mica_msg){MICA_REPLY_INFO(MICA_ENOSYS, 0), {0}};
}

_Noreturn static void serve(uint64_t ep)
{
    for (;;) {
        struct request rq;
        if (mica_recv(ep, &rq.msg, &rq.badge, MICA_WAIT_FOREVER) != MICA_OK) {
            mica_yield();
            continue;
        }
        /* No request carries a handle: drop one rather than leak a slot
         * (dispatch then refuses the request, since the flag is unknown). */
        if (rq.msg.info & MICA_INFO_HANDLE)
            mica_handle_close(rq.msg.w[0]);
        struct mica_msg reply = dispatch(&rq);
        mica_reply(&reply);
    }
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

/* Says once on the kernel log that a device is left out, and why. */
static void degraded(const char *device, const char *step, long status)
{
    char line[128];
    int n = snprintf(line, sizeof(line),
                     "mica: console %s=off step=%s error=%s, serial only\n", device, step,
                     mica_status_name(status));
    if (n > 0 && (size_t)n < sizeof(line))
        mica_debug_write(line, (size_t)n);
}

/* The screen and the keyboard: each optional, each reported on failure. */
static void setup_optional(void)
{
    const char *step = "";
    long st = display_init(&step);
    if (st != MICA_OK)
        degraded("screen", step, st);
    st = ps2_init(irq_ntf, CONSOLE_KBD_BIT, &step);
    if (st != MICA_OK)
        degraded("keyboard", step, st);
}

/* Takes COM1 and its interrupt from init and sets them up. */
static long setup_com1(const char **step)
{
    uint64_t io;
    long st;

    *step = "boot_cap_com1";
    if ((st = ns_boot_cap(NS_CAP_COM1, &io)) != MICA_OK)
        return st;
    *step = "ioport_enable";
    if ((st = mica_ioport_enable(io)) != MICA_OK)
        return st;
    *step = "boot_cap_irq4";
    if ((st = ns_boot_cap(NS_CAP_IRQ4, &irq_handle)) != MICA_OK)
        return st;
    *step = "notify_create";
    long ntf = mica_notify_create();
    if (ntf < 0)
        return ntf;
    irq_ntf = (uint64_t)ntf;
    /* The UART must raise its interrupt before the line is unmasked. */
    uart_enable_rx_irq();
    *step = "irq_bind";
    return mica_irq_bind(irq_handle, irq_ntf, CONSOLE_IRQ_BIT);
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
    *ep_out = (uint64_t)ep;
    return st;
}

int main(void)
{
    const char *step = "";
    uint64_t ep;
    long st = setup_com1(&step);
    if (st == MICA_OK) {
        setup_optional();
        st = publish(&ep, &step);
    }
    if (st != MICA_OK)
        return fail(step, st);
    serve(ep);
}
