/*
 * Client stubs of the console server (protocol in mica/console.h). The
 * console's endpoint is looked up once by console_open() and kept here;
 * stdio asks console_is_open() to choose between the console and the
 * kernel log.
 *
 * Riding through a console restart: a call that fails with MICA_EDEAD was
 * never delivered, so the stub looks the restarted console up and sends it
 * again. MICA_ELOST means the console died after taking the call: a read is
 * asked again (the line is lost either way), a write is not (it may have
 * been printed already: writes are at most once).
 *
 * Reading goes through an input handle, which console_input_open() gets
 * through a control handle; after a console restart it is asked for again
 * the same way.
 */
#include <mica/console.h>
#include <mica/ns.h>
#include <mica/syscall.h>
#include <stdbool.h>
#include <string.h>

static uint64_t console_ep; /* 0 until console_open() succeeds */
static uint64_t input_h;    /* 0 until console_input_open() succeeds */
static uint64_t input_control;

#define RECONNECT_MS    5000 /* how long to wait for a restarted console */
#define RECONNECT_PAUSE 20

long console_open(void)
{
    uint64_t h;
    if (console_ep)
        return MICA_OK;
    long st = ns_lookup("console", &h);
    if (st == MICA_OK)
        console_ep = h;
    return st;
}

int console_is_open(void)
{
    return console_ep != 0;
}

/* The console died: forget its endpoint and find the restarted one. */
static long reconnect(void)
{
    mica_handle_close(console_ep);
    console_ep = 0;
    uint64_t start = mica_clock_ms();
    long st;
    while ((st = console_open()) != MICA_OK && mica_clock_ms() - start < RECONNECT_MS)
        mica_sleep_ms(RECONNECT_PAUSE);
    return st;
}

/* One call with the recovery rules above; `payload` (n bytes) is copied
 * into the IPC buffer before every attempt. */
static long console_call(const struct mica_msg *req, const void *payload, size_t n,
                         bool repeat_if_lost, struct mica_msg *reply)
{
    for (int attempt = 0;; attempt++) {
        memcpy(mica_ipc_buffer(), payload, n);
        long st = mica_call(console_ep, req, reply, MICA_WAIT_FOREVER);
        bool retry = st == MICA_EDEAD || (st == MICA_ELOST && repeat_if_lost);
        if (!retry || attempt == 1)
            return st;
        if (reconnect() != MICA_OK)
            return st;
    }
}

/* Sends one piece that fits the IPC buffer; returns bytes written. */
static long write_piece(const char *s, size_t n)
{
    struct mica_msg req = {MICA_INFO(CON_WRITE, n), {0}};
    struct mica_msg reply;
    long st = console_call(&req, s, n, false, &reply);
    if (st < 0)
        return st;
    st = MICA_REPLY_STATUS(reply.info);
    if (st < 0)
        return st;
    return reply.w[0] <= n ? (long)reply.w[0] : MICA_EINVAL;
}

long console_write(const char *s, size_t n)
{
    size_t done = 0;
    if (!console_ep)
        return MICA_EBADH;
    while (done < n) {
        size_t k = n - done;
        if (k > MICA_IPC_PAYLOAD_MAX)
            k = MICA_IPC_PAYLOAD_MAX;
        long st = write_piece(s + done, k);
        if (st < 0)
            return st;
        if (st == 0)
            break;
        done += (size_t)st;
    }
    return (long)done;
}

long console_input_open(uint64_t control)
{
    uint64_t con, h;
    long st = ns_lookup_via(control, "console", &con);
    if (st != MICA_OK)
        return st;
    struct mica_msg req = {MICA_INFO(CON_INPUT, 0), {0}}, reply;
    st = mica_call(con, &req, &reply, MICA_WAIT_FOREVER);
    mica_handle_close(con);
    if (st == MICA_OK)
        st = MICA_REPLY_STATUS(reply.info);
    if (st != MICA_OK)
        return st;
    if (!(reply.info & MICA_INFO_HANDLE) || !reply.w[0])
        return MICA_ENOMEM; /* our table was full: the handle was dropped */
    h = reply.w[0];
    if (input_h)
        mica_handle_close(input_h);
    input_h = h;
    input_control = control;
    return MICA_OK;
}

/* A read whose console died: an input handle of the restarted console. */
static long input_reconnect(void)
{
    uint64_t start = mica_clock_ms();
    long st;
    while ((st = console_input_open(input_control)) != MICA_OK &&
           mica_clock_ms() - start < RECONNECT_MS)
        mica_sleep_ms(RECONNECT_PAUSE);
    return st;
}

long console_read(char *buf, size_t max)
{
    if (!input_h)
        return MICA_EBADH;
    if (max < 2)
        return MICA_EINVAL;
    size_t want = max - 1 < CON_LINE_MAX ? max - 1 : CON_LINE_MAX;
    struct mica_msg req = {MICA_INFO(CON_READ, 0), {want}};
    struct mica_msg reply;
    long st = mica_call(input_h, &req, &reply, MICA_WAIT_FOREVER);
    if ((st == MICA_EDEAD || st == MICA_ELOST) && input_reconnect() == MICA_OK)
        st = mica_call(input_h, &req, &reply, MICA_WAIT_FOREVER);
    if (st < 0)
        return st;
    st = MICA_REPLY_STATUS(reply.info);
    if (st < 0)
        return st;
    /* Never trust the server with our buffer's size. */
    size_t len = MICA_INFO_LEN(reply.info);
    if (len > want)
        return MICA_EINVAL;
    memcpy(buf, mica_ipc_buffer(), len);
    buf[len] = '\0';
    return (long)len;
}
