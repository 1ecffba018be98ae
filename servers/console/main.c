/*
 * console: owns COM1. At start it collects its capabilities from init
 * (NS_BOOT_CAP), enables the UART's ports and its receive interrupt, binds
 * IRQ 4 to a notification and registers "console". Then it serves
 * CON_WRITE and CON_READ (mica/console.h) in a receive -> check -> do_* ->
 * reply loop. Output polls THRE; input waits on the IRQ notification and
 * drains RBR while LSR.DR is set, editing the line as it comes.
 */
#include <mica/ns.h>
#include <mica/syscall.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "protocol.h"

/* THRE polls before a byte is sent anyway: a missing or stuck UART must
 * not hang the console (the kernel's own serial output does the same). */
#define THRE_SPINS 100000

/* Longest wait for input before RBR is checked anyway. */
#define RX_POLL_MS 100

/* info bits a request may use: label and payload length. */
#define INFO_KNOWN_BITS (0xffffffffull | (0x1fffull << 32))

static uint64_t irq_handle;
static uint64_t irq_ntf;
static bool last_was_cr; /* to take "\r\n" as one end of line */

/* ---- 16550 access (port I/O allowed by SYS_IOPORT_ENABLE). */

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

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

static void line_feed(struct line *l, char c)
{
    bool lf_after_cr = c == '\n' && last_was_cr;
    last_was_cr = c == '\r';
    if (lf_after_cr)
        return;
    if (c == '\r' || c == '\n') {
        uart_write("\n", 1);
        l->done = true;
    } else if (c == '\b' || c == 0x7f) {
        if (l->len) {
            l->len--;
            uart_write("\b \b", 3);
        }
    } else if (c >= 0x20 && c < 0x7f && l->len < l->max) {
        l->buf[l->len++] = c;
        uart_putc(c);
    }
}

/* Feeds the bytes the UART holds, stopping at the end of the line so
 * that what was typed after it waits for the next read. */
static void drain_rx(struct line *l)
{
    while (!l->done && (inb(COM1_BASE + UART_LSR) & LSR_DR))
        line_feed(l, (char)inb(COM1_BASE + UART_RBR));
}

/* Waits for the next COM1 interrupt and unmasks the line again. The wait
 * has a timeout so that a lost interrupt delays input by RX_POLL_MS at
 * most instead of hanging the console; a failed wait sleeps as long, so
 * the loop is a slow poll and never a spin. */
static void wait_rx(void)
{
    uint64_t bits;
    long st = mica_notify_wait(irq_ntf, &bits, RX_POLL_MS);
    if (st == MICA_OK)
        mica_irq_ack(irq_handle);
    else if (st != MICA_ETIMEOUT)
        mica_sleep_ms(RX_POLL_MS);
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
    uart_write(mica_ipc_buffer(), len);
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
    if (st == MICA_OK)
        st = publish(&ep, &step);
    if (st != MICA_OK)
        return fail(step, st);
    serve(ep);
}
